"""Injected faults: throttling, errors, dropped and truncated responses, latency, expired deltas.

Rules are deterministic (one seeded RNG) and matched in the order they were added against the
tenant and the request path relative to ``/v1.0/`` (fnmatch, no query string). ``throttle``,
``error`` and ``delta_expired`` apply to ``$batch`` sub-requests too; ``drop``, ``truncate`` and
``latency`` apply to whole HTTP responses (a top-level path, or ``$batch``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

KINDS = ("throttle", "error", "drop", "truncate", "latency", "delta_expired")
ERROR_STATUSES = (500, 502, 503, 504)
_HTTP_ONLY = {"drop", "truncate", "latency"}

# The ASGI scope key under which the transport-fault holder travels to the Graph handler.
SCOPE_KEY = "remit.emulator.transport_fault"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class FaultRule:
    kind: str
    id: str = ""
    tenant: str | None = None
    path: str = "*"
    count: int | None = None
    rate: float = 1.0
    retry_after: float | None = None
    status: int = 503
    latency_ms: int = 0
    fired: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def rule_from_json(obj: Any) -> FaultRule:
    """Validate one rule of ``POST /_emulator/faults``; ValueError with a clear message if bad."""
    if not isinstance(obj, Mapping):
        raise ValueError("each rule must be a JSON object")
    unknown = set(obj) - {
        "kind", "tenant", "path", "count", "rate", "retry_after", "status", "latency_ms",
    }  # fmt: skip
    if unknown:
        raise ValueError(f"unknown rule field(s): {', '.join(sorted(unknown))}")
    kind = obj.get("kind")
    if kind not in KINDS:
        raise ValueError(f"rule kind must be one of {', '.join(KINDS)}, not {kind!r}")
    rule = FaultRule(kind=kind)
    tenant = obj.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        raise ValueError("tenant must be a tenant id or null")
    rule.tenant = tenant.lower() if tenant else None
    path = obj.get("path", "*")
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty fnmatch pattern such as 'users*'")
    rule.path = path.lstrip("/")
    count = obj.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError("count must be a positive integer or null")
    rule.count = count
    rate = obj.get("rate", 1.0)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
        raise ValueError("rate must be a number from 0 to 1")
    rule.rate = float(rate)
    retry_after = obj.get("retry_after")
    if retry_after is not None and (
        not isinstance(retry_after, int | float) or isinstance(retry_after, bool) or retry_after < 0
    ):
        raise ValueError("retry_after must be a number of seconds (>= 0) or null")
    rule.retry_after = None if retry_after is None else float(retry_after)
    status = obj.get("status", 503)
    if kind == "error" and status not in ERROR_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, ERROR_STATUSES))}")
    rule.status = int(status)
    latency = obj.get("latency_ms", 0)
    if not isinstance(latency, int) or isinstance(latency, bool) or latency < 0:
        raise ValueError("latency_ms must be a non-negative integer")
    if kind == "latency" and latency == 0:
        raise ValueError("a latency rule needs latency_ms > 0")
    rule.latency_ms = latency
    return rule


@dataclass
class FaultDecision:
    latency_ms: int = 0
    action: FaultRule | None = None
    delta_expired: bool = False
    fired: list[FaultRule] = field(default_factory=list)


class FaultSet:
    def __init__(self, seed: int = 1) -> None:
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, rules: Iterable[FaultRule]) -> list[str]:
        with self._lock:
            ids = []
            for rule in rules:
                rule.id = f"f{self._next_id}"
                self._next_id += 1
                self._rules.append(rule)
                ids.append(rule.id)
            return ids

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(
        self, tenant_id: str, path: str, *, top_level: bool, delta_token: bool = False
    ) -> FaultDecision:
        decision = FaultDecision()
        if not self._rules:
            return decision
        with self._lock:
            for rule in self._rules:
                if rule.tenant is not None and rule.tenant != tenant_id.lower():
                    continue
                if not fnmatchcase(path, rule.path):
                    continue
                if rule.kind in _HTTP_ONLY and not top_level:
                    continue
                if rule.kind == "delta_expired" and not delta_token:
                    continue
                if rule.kind in ("throttle", "error", "drop", "truncate") and decision.action:
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                self._fire(rule, decision)
            self._rules = [r for r in self._rules if r.count is None or r.count > 0]
        return decision

    @staticmethod
    def _fire(rule: FaultRule, decision: FaultDecision) -> None:
        rule.fired += 1
        if rule.count is not None:
            rule.count -= 1
        decision.fired.append(rule)
        if rule.kind == "latency":
            decision.latency_ms += rule.latency_ms
        elif rule.kind == "delta_expired":
            decision.delta_expired = True
        else:
            decision.action = rule


# ---- transport faults (drop, truncate) -------------------------------------------------------


class TransportFault:
    """Set by the Graph handler; acted on by :class:`TransportFaultMiddleware`."""

    def __init__(self) -> None:
        self.kind: str | None = None


def _abort_connection(send: Send) -> bool:
    """Close the TCP connection under a response, without finishing it.

    A hack on uvicorn's h11 implementation: the ASGI ``send`` it hands the app is the bound method
    ``RequestResponseCycle.send``, whose cycle holds the asyncio ``transport``. Marking the cycle
    disconnected makes uvicorn ignore the unfinished response quietly. Returns False when the
    server is not uvicorn/h11 (the caller then answers 503 instead).
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    cycle.disconnected = True  # type: ignore[union-attr]
    transport.close()
    return True


_FALLBACK_BODY = b'{"error":{"code":"serviceNotAvailable","message":"Service unavailable"}}'


class TransportFaultMiddleware:
    """Outermost ASGI middleware: drops or truncates the response when the handler asked to."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder = TransportFault()
        scope[SCOPE_KEY] = holder
        start: Message | None = None
        chunks: list[bytes] = []
        finished = False

        async def guarded_send(message: Message) -> None:
            nonlocal start, finished
            if finished:
                return
            if holder.kind is None:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                if holder.kind == "drop":
                    finished = True
                    if not _abort_connection(send):
                        await _send_fallback(send)
                return
            if message["type"] != "http.response.body":
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            finished = True
            body = b"".join(chunks)
            if start is None or not hasattr(getattr(send, "__self__", None), "disconnected"):
                await _send_fallback(send)
                return
            await send(start)
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            _abort_connection(send)

        await self.app(scope, receive, guarded_send)


async def _send_fallback(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_FALLBACK_BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _FALLBACK_BODY, "more_body": False})
