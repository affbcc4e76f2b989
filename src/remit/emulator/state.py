"""Everything one running emulator knows: options, tenants, clock, faults, throttling, stats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from remit.emulator.clock import EmulatorClock
from remit.emulator.faults import FaultRule, FaultSet
from remit.emulator.model import TenantSpec
from remit.emulator.stats import Stats
from remit.emulator.tenants import LazyTenant, TenantRegistry
from remit.emulator.throttling import Throttler
from remit.emulator.tokens import TokenSigner

SEVEN_DAYS = 7 * 24 * 3600.0


@dataclass(frozen=True)
class EmulatorOptions:
    # Emulated time runs 1/time_scale times faster (0.1: a 10 s throttling window lasts 1 s).
    time_scale: float = 1.0
    throttling: bool = True
    # Added to every top-level Graph response (an `await asyncio.sleep`, not blocking).
    latency_ms: int = 0
    # Share of Graph requests answered 429 / 503 (a CLI knob; maps onto fault rules).
    fault_429_rate: float = 0.0
    fault_5xx_rate: float = 0.0
    seed: int = 1
    access_log: bool = False
    token_lifetime_seconds: int = 3599
    delta_token_lifetime_seconds: float = SEVEN_DAYS

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be greater than 0")
        for name in ("fault_429_rate", "fault_5xx_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")

    def fault_rules(self) -> list[FaultRule]:
        rules = []
        if self.latency_ms:
            rules.append(FaultRule(kind="latency", latency_ms=self.latency_ms))
        if self.fault_429_rate:
            rules.append(
                FaultRule(kind="throttle", rate=self.fault_429_rate, retry_after=self.time_scale)
            )
        if self.fault_5xx_rate:
            rules.append(FaultRule(kind="error", rate=self.fault_5xx_rate, status=503))
        return rules


class EmulatorState:
    def __init__(
        self,
        tenants: Iterable[TenantSpec | LazyTenant],
        options: EmulatorOptions | None = None,
        *,
        clock: EmulatorClock | None = None,
    ) -> None:
        self.options = options or EmulatorOptions()
        self.clock = clock or EmulatorClock(self.options.time_scale)
        self.registry = TenantRegistry(tenants)
        self.signer = TokenSigner()
        self.faults = FaultSet(seed=self.options.seed)
        self.faults.add(self.options.fault_rules())
        self.throttler = Throttler(self.clock.now, enabled=self.options.throttling)
        self.stats = Stats()
