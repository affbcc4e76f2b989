"""Request accounting per Graph endpoint (a path template such as ``users/{id}/messages``).

Counts live in plain mutable records updated without any ``await`` in between, so concurrent
asyncio tasks never lose an increment and no lock is needed. The stats object is not meant to be
shared between threads.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from remit.domain import EndpointStats

BATCH_ENDPOINT = "$batch"

# A segment that is a word (a navigation property, an action, a cast, a `$value`-style keyword,
# or `delta()`) is kept; anything else (GUIDs, UPNs, base64 ids, numbers, site ids) becomes {id}.
_WORD = re.compile(r"^\$?[A-Za-z][A-Za-z.]*(\(\))?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def endpoint_template(path: str) -> str:
    """The template of a path relative to Graph's versioned root: query dropped, ids as ``{id}``.

    >>> endpoint_template("/users/0b1c.../messages?$top=5")  # doctest: +SKIP
    'users/{id}/messages'
    """
    path = urlsplit(path).path if "?" in path or "#" in path else path
    segments = [s for s in path.strip("/").split("/") if s]
    out = []
    for segment in segments:
        if _GUID.match(segment) or not _WORD.match(segment):
            out.append("{id}")
        else:
            out.append(segment)
    return "/".join(out) or "/"


@dataclass(slots=True)
class _Counts:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    errors: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0

    def add(self, other: _Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def freeze(self) -> EndpointStats:
        return EndpointStats(
            requests=self.requests,
            retries=self.retries,
            throttled=self.throttled,
            errors=self.errors,
            bytes_received=self.bytes_received,
            bytes_sent=self.bytes_sent,
        )


class RequestStats:
    """Per-endpoint counts of requests, retries, 429s, errors and bytes.

    Two ledgers are kept: HTTP requests (what went over the wire, ``$batch`` included) and
    sub-requests of batches (counted under their own template). :meth:`snapshot` shows both
    per endpoint; :meth:`total` sums only the HTTP ledger, so a batched request is not counted
    twice. Bytes are only known for HTTP requests.
    """

    def __init__(self) -> None:
        self._http: dict[str, _Counts] = {}
        self._batched: dict[str, _Counts] = {}
        self._resyncs: Counter[str] = Counter()

    # --- recording -----------------------------------------------------------------------

    def record(
        self,
        endpoint: str,
        *,
        status: int | None = None,
        retry: bool = False,
        error: bool = False,
        bytes_sent: int = 0,
        bytes_received: int = 0,
        batched: bool = False,
    ) -> None:
        """Count one attempt at ``endpoint``; ``status`` None means no answer (transport error)."""
        ledger = self._batched if batched else self._http
        counts = ledger.get(endpoint)
        if counts is None:
            counts = ledger[endpoint] = _Counts()
        counts.requests += 1
        counts.retries += int(retry)
        counts.throttled += int(status == 429)
        counts.errors += int(error or status is None or status >= 500)
        counts.bytes_sent += bytes_sent
        counts.bytes_received += bytes_received

    def record_error(self, endpoint: str) -> None:
        """Count a failure found after the answer arrived (a truncated or invalid body)."""
        counts = self._http.get(endpoint)
        if counts is None:
            counts = self._http[endpoint] = _Counts()
        counts.errors += 1

    def record_resync(self, endpoint: str) -> None:
        """Count a delta link that had expired and forced a full sync."""
        self._resyncs[endpoint] += 1

    # --- reading -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, EndpointStats]:
        """Counts per endpoint template: HTTP requests plus batched sub-requests."""
        merged: dict[str, _Counts] = {}
        for ledger in (self._http, self._batched):
            for endpoint, counts in ledger.items():
                merged.setdefault(endpoint, _Counts()).add(counts)
        return {endpoint: merged[endpoint].freeze() for endpoint in sorted(merged)}

    def total(self) -> EndpointStats:
        """Sum over HTTP requests only (``$batch`` once per call, not its sub-requests)."""
        total = _Counts()
        for counts in self._http.values():
            total.add(counts)
        return total.freeze()

    def resyncs(self) -> dict[str, int]:
        """Full resyncs forced by expired delta links, per endpoint template."""
        return dict(self._resyncs)

    def merge(self, other: RequestStats) -> None:
        """Add ``other``'s counts into this object (e.g. to sum the clients of many tenants)."""
        for mine, theirs in ((self._http, other._http), (self._batched, other._batched)):
            for endpoint, counts in theirs.items():
                mine.setdefault(endpoint, _Counts()).add(counts)
        self._resyncs.update(other._resyncs)
