"""Per-tenant admission: concurrency limits, mailbox limits, and the pause after a 429.

One :class:`TenantGate` belongs to one tenant. Every request to Graph enters it before it is
sent (and again before each retry): it waits for a free mailbox slot (Outlook allows four
requests in flight per mailbox), then for a tenant slot, then for any pause set after a 429 to
pass. A 429 pauses *every* request to the tenant, not just the one that was throttled, because
Graph throttles per app per tenant and hammering it only lengthens the penalty.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from remit.config import GraphSettings
from remit.graph.pacing import Pacer

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Outlook resources, where Graph's limit is per mailbox: users/{id}/<one of these>...
_MAILBOX_PATH = re.compile(
    r"^/?users/([^/?#]+)/(messages|mailFolders|events|calendar|calendars|contacts|"
    r"contactFolders|mailboxSettings|inferenceClassification)(?:[/?#(]|$)",
    re.IGNORECASE,
)


def mailbox_key(path: str) -> str | None:
    """The mailbox (user id segment, lower-cased) a request path targets, or None."""
    match = _MAILBOX_PATH.match(path)
    return match.group(1).lower() if match else None


def parse_retry_after(
    value: str | None, *, now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: float seconds or an HTTP date.

    Returns None when the header is absent or unusable (then the caller backs off).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with equal jitter: uniform in [step/2, step], step = base * 2**(n-1).

    Equal rather than full jitter: the waits still spread out, but each one is at least half the
    step, so they really grow. With full jitter early retries often come back within a few
    milliseconds, and a limit such as conditional access' one request a second (where Graph sends
    no Retry-After, and throttled requests still count) is hit again and again until the retry
    budget is gone.
    """
    step = min(cap, base * (2 ** max(0, attempt - 1)))
    return rng.uniform(step / 2, step)


class _MailboxSlots:
    """Semaphores per mailbox, created on first use and dropped when nobody holds or waits."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._slots.get(key)
        if entry is None:
            entry = self._slots[key] = (asyncio.Semaphore(self._limit), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._slots[key]

    def __len__(self) -> int:
        return len(self._slots)


class TenantGate:
    """Concurrency limits and the throttling pause for one tenant."""

    def __init__(
        self,
        settings: GraphSettings,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._tenant_slots = asyncio.Semaphore(settings.max_concurrency_per_tenant)
        self._mailboxes = _MailboxSlots(settings.max_concurrency_per_mailbox)
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        self._pacer = Pacer()

    @property
    def mailboxes_in_use(self) -> int:
        """Mailboxes with a request in flight or waiting (their slots are dropped when idle)."""
        return len(self._mailboxes)

    @property
    def paused_until(self) -> float:
        """Clock reading before which no request is sent (0 when never paused)."""
        return self._paused_until

    def pause(self, delay: float) -> None:
        """Hold back every request to the tenant for ``delay`` seconds from now (never shortens)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, delay))

    async def wait_if_paused(self) -> float:
        """Sleep until any pause has passed; return the seconds slept."""
        slept = 0.0
        while (remaining := self._paused_until - self._clock()) > 0:
            await self._sleep(remaining)
            slept += remaining
        return slept

    def reserve(self, path: str) -> float:
        """Take a slot under Graph's known low limits for ``path``; 0, or seconds to wait."""
        return self._pacer.reserve(path, self._clock())

    def answered(self, path: str) -> None:
        """The request for ``path`` is over: its known limit's next slot counts from now."""
        self._pacer.answered(path, self._clock())

    def throttled(self, path: str) -> None:
        """Graph answered 429 for ``path``: its known limit has no room left (throttled requests
        count too), so the next slot is a full interval away."""
        self._pacer.spent(path, self._clock())

    async def wait_for_slot(self, path: str) -> float:
        """Sleep until `path` fits its known limit (most have none); return seconds slept."""
        slept = 0.0
        while (delay := self.reserve(path)) > 0:
            await self._sleep(delay)
            slept += delay
        return slept

    @asynccontextmanager
    async def admit(self, path: str) -> AsyncIterator[None]:
        """Hold a mailbox slot (for Outlook paths), then a tenant slot, then wait out any pause.

        ``path`` is relative to Graph's versioned root. The mailbox slot is taken first so that
        requests queued behind a busy mailbox do not occupy the tenant's slots.
        """
        key = mailbox_key(path)
        await self.wait_for_slot(path)
        if key is None:
            async with self._tenant_slots:
                await self.wait_if_paused()
                yield
            return
        async with self._mailboxes.hold(key), self._tenant_slots:
            await self.wait_if_paused()
            yield
