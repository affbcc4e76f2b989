"""Emulated time: a monotonic clock (throttling) and a wall clock (tokens, delta expiry).

Both run ``1 / time_scale`` times faster than real time (``time_scale=0.1`` makes a 10 s throttling
window last 1 s of real time) and can be moved forward with :meth:`EmulatorClock.advance`.
Access tokens use :meth:`EmulatorClock.token_timestamp`: real time plus advances, never scaled.
Durations handed back to clients (Retry-After) are converted to real seconds with
:meth:`EmulatorClock.to_real_seconds`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class EmulatorClock:
    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be greater than 0")
        self.time_scale = time_scale
        self._monotonic = monotonic
        self._wall = wall
        self._start_mono = monotonic()
        self._start_wall = wall()
        self._advanced = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Emulated seconds since the clock was created (monotonic)."""
        elapsed = (self._monotonic() - self._start_mono) / self.time_scale
        return elapsed + self._advanced

    def wall_timestamp(self) -> float:
        """Emulated POSIX timestamp."""
        return self._start_wall + self.now()

    def wall(self) -> datetime:
        return datetime.fromtimestamp(self.wall_timestamp(), tz=UTC)

    def token_timestamp(self) -> float:
        """Real POSIX time plus explicit advances, not scaled: access tokens and certificates.

        Clients cache tokens by their own (real) clock; scaling token lifetimes would make every
        cached token look expired to the emulator long before the client refreshes it.
        """
        return self._wall() + self._advanced

    def token_time(self) -> datetime:
        return datetime.fromtimestamp(self.token_timestamp(), tz=UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulated clock only moves forward")
        with self._lock:
            self._advanced += seconds

    def to_real_seconds(self, emulated_seconds: float) -> float:
        return emulated_seconds * self.time_scale
