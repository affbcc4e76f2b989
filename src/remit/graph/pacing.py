"""Pace requests to Graph's documented low per-tenant limits instead of running into them.

Most Graph limits are generous and a 429 with ``Retry-After`` is the right signal. A few are so
low that a normal collection meets them every time: conditional access answers one request a
second per tenant (and its 429 carries no ``Retry-After``), identity and access reports five
requests per ten seconds. Retrying into those limits wastes requests, and throttled requests
count against the limit too. So the client keeps a token bucket per tenant for each of them and
holds a request (or a ``$batch`` sub-request) back until its bucket has room. A 429 is still
handled by the retry policy when something else shares the tenant's quota.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KnownLimit:
    name: str
    prefixes: tuple[str, ...]  # paths relative to Graph's versioned root
    requests: int
    per_seconds: float


# learn.microsoft.com/graph/throttling-limits (see ../shared/reference/graph/NOTES.md)
KNOWN_LIMITS: tuple[KnownLimit, ...] = (
    KnownLimit(
        "conditional access", ("identity/conditionalAccess/", "identityProtection/"), 1, 1.0
    ),
    KnownLimit(
        "identity and access reports",
        ("auditLogs/", "reports/authenticationMethods/", "reports/credentialUserRegistration"),
        5,
        10.0,
    ),
)


def limit_for(path: str) -> KnownLimit | None:
    bare = path.lstrip("/").split("?", 1)[0]
    for limit in KNOWN_LIMITS:
        if bare.startswith(limit.prefixes) or bare + "/" in limit.prefixes:
            return limit
    return None


# Requests reach Graph later than the client reserves their slot, and not in the same order;
# pacing a little below the limit keeps two requests from landing in one window.
SAFETY_FACTOR = 1.25


class Pacer:
    """Token buckets of one tenant, one per known limit; times come from the caller's clock."""

    def __init__(self, limits: tuple[KnownLimit, ...] = KNOWN_LIMITS) -> None:
        self._tokens: dict[str, float] = {limit.name: float(limit.requests) for limit in limits}
        self._updated: dict[str, float] = {}

    def _refill(self, limit: KnownLimit, now: float) -> float:
        rate = limit.requests / (limit.per_seconds * SAFETY_FACTOR)
        last = self._updated.get(limit.name, now)
        tokens = min(float(limit.requests), self._tokens[limit.name] + (now - last) * rate)
        self._tokens[limit.name] = tokens
        self._updated[limit.name] = now
        return tokens

    def reserve(self, path: str, now: float) -> float:
        """Take a slot for ``path``; 0 when it may go now, else the seconds to wait first.

        Nothing is taken when a wait is returned: ask again after waiting.
        """
        limit = limit_for(path)
        if limit is None:
            return 0.0
        tokens = self._refill(limit, now)
        if tokens >= 1.0:
            self._tokens[limit.name] = tokens - 1.0
            return 0.0
        return (1.0 - tokens) * limit.per_seconds * SAFETY_FACTOR / limit.requests

    def answered(self, path: str, now: float) -> None:
        """The request for ``path`` got its answer: refill from now, not from when it was sent.

        Graph counts a request when it arrives, which may be most of a round trip after the
        client reserved its slot; not crediting the time in flight keeps the next request of the
        same limit a full interval behind this one's arrival.
        """
        limit = limit_for(path)
        if limit is not None:
            self._updated[limit.name] = max(self._updated.get(limit.name, now), now)

    def spent(self, path: str, now: float) -> None:
        """Graph throttled ``path``: empty its bucket, as Graph counts throttled requests too."""
        limit = limit_for(path)
        if limit is not None:
            self._refill(limit, now)
            self._tokens[limit.name] = min(0.0, self._tokens[limit.name] - 1.0)
