"""Graph's throttling, per app per tenant, as token buckets on the emulated clock.

Limits (learn.microsoft.com/graph/throttling-limits): identity and access resource units per
10 s by tenant size (3,500 / 5,000 / 8,000), reports 5 requests / 10 s, ``signInActivity`` about
10 / min, conditional access 1 request / s per tenant, Intune 2,000 / 20 s, Outlook 10,000 /
10 min per mailbox with at most 4 requests in flight. Throttled requests still count (the bucket
goes below zero, down to minus its capacity), and the wait returned is the time until the bucket
has room for the request again, in emulated seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from remit.emulator.endpoints import (
    CA_BUCKET,
    IDENTITY_BUCKET,
    INTUNE_BUCKET,
    OUTLOOK_BUCKET,
    REPORTS_BUCKET,
)

SIGNIN_BUCKET = "signInActivity"
MAILBOX_CONCURRENCY = 4

# bucket -> (capacity, window seconds); identity capacity depends on the tenant's size.
_LIMITS: dict[str, tuple[float, float]] = {
    REPORTS_BUCKET: (5, 10),
    SIGNIN_BUCKET: (10, 60),
    CA_BUCKET: (1, 1),
    INTUNE_BUCKET: (2000, 20),
    OUTLOOK_BUCKET: (10000, 600),
}


def identity_capacity(user_count: int) -> int:
    if user_count < 50:
        return 3500
    if user_count <= 500:
        return 5000
    return 8000


@dataclass
class TokenBucket:
    capacity: float
    window: float
    tokens: float
    updated: float

    def take(self, now: float, cost: float) -> float | None:
        """Spend ``cost``; None when allowed, else seconds until the bucket has room again."""
        rate = self.capacity / self.window
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * rate)
        self.updated = max(now, self.updated)
        if self.tokens >= cost:
            self.tokens -= cost
            return None
        self.tokens = max(-self.capacity, self.tokens - cost)
        return (cost - self.tokens) / rate


class Throttler:
    def __init__(self, clock: Callable[[], float], *, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._in_flight: dict[tuple[str, str], int] = {}

    def _bucket(
        self, key: tuple[str, ...], capacity: float, window: float, now: float
    ) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.capacity != capacity:
            bucket = TokenBucket(capacity, window, capacity, now)
            self._buckets[key] = bucket
        return bucket

    def charge(
        self,
        tenant_id: str,
        bucket: str,
        cost: int,
        *,
        user_count: int = 0,
        mailbox: str | None = None,
        sign_in_activity: bool = False,
    ) -> float | None:
        """Count one request; None when allowed, else the emulated seconds to wait."""
        if not self.enabled:
            return None
        now = self.clock()
        if bucket == IDENTITY_BUCKET:
            capacity, window = float(identity_capacity(user_count)), 10.0
        else:
            capacity, window = _LIMITS[bucket]
            cost = 1
        key = (tenant_id, bucket, mailbox or "")
        waits = [self._bucket(key, capacity, window, now).take(now, cost)]
        if sign_in_activity:
            capacity, window = _LIMITS[SIGNIN_BUCKET]
            signin = self._bucket((tenant_id, SIGNIN_BUCKET), capacity, window, now)
            waits.append(signin.take(now, 1))
        pending = [w for w in waits if w is not None]
        return max(pending) if pending else None

    def enter_mailbox(self, tenant_id: str, mailbox: str) -> bool:
        """Start a request on a mailbox; False when 4 are already in flight (answer 429)."""
        key = (tenant_id, mailbox)
        current = self._in_flight.get(key, 0)
        if self.enabled and current >= MAILBOX_CONCURRENCY:
            return False
        self._in_flight[key] = current + 1
        return True

    def leave_mailbox(self, tenant_id: str, mailbox: str) -> None:
        key = (tenant_id, mailbox)
        remaining = self._in_flight.get(key, 1) - 1
        if remaining <= 0:
            self._in_flight.pop(key, None)
        else:
            self._in_flight[key] = remaining

    def reset(self) -> None:
        self._buckets.clear()
