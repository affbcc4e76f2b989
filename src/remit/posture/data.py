"""A snapshot as checks see it: Graph bodies by key, and why any key is missing.

Checks never touch raw dictionaries of the snapshot directly: they ask :class:`TenantData`, which
raises :class:`MissingData` naming the cause (the permission or licence that is missing, the
endpoint that failed, or that the read was never collected), so missing data becomes an ERROR
finding with its cause and never a FAIL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from remit.domain import EndpointOutcome, EndpointResult


class MissingData(Exception):
    """A check needed ``key`` and the snapshot does not have it; ``cause`` says why."""

    def __init__(self, key: str, cause: str) -> None:
        super().__init__(f"{key}: {cause}")
        self.key = key
        self.cause = cause


class TenantData:
    """Read-only access to one tenant's snapshot at evaluation time ``now``."""

    def __init__(
        self,
        payloads: Mapping[str, Any],
        results: Sequence[EndpointResult] = (),
        *,
        now: datetime | None = None,
    ) -> None:
        self._payloads = payloads
        self._results = {r.key: r for r in results}
        self.now = now or datetime.now(UTC)
        self._items: dict[str, list[dict[str, Any]]] = {}  # collections, filtered once

    @property
    def keys(self) -> Iterable[str]:
        return self._payloads.keys()

    def has(self, key: str) -> bool:
        return key in self._payloads

    def cause(self, key: str) -> str:
        """Why ``key`` is not in the snapshot, in words a technician can act on."""
        result = self._results.get(key)
        if result is None:
            return f"{key} was not collected"
        if result.outcome is EndpointOutcome.MISSING_PERMISSION and result.permission:
            return f"the app lacks the Graph permission {result.permission} (reading {key})"
        if result.outcome is EndpointOutcome.LICENSE_REQUIRED and result.license:
            return f"the tenant has no {result.license} licence (needed for {key})"
        if result.outcome is EndpointOutcome.OK:
            return f"{key} was not collected"
        detail = f": {result.detail}" if result.detail else ""
        return f"reading {key} failed ({result.outcome.value.replace('_', ' ')}){detail}"

    def result(self, key: str) -> EndpointResult | None:
        """How the collection went for ``key`` (None when it was not attempted or not known)."""
        return self._results.get(key)

    def missing_part(self, key: str) -> str | None:
        """The cause when part of ``key`` could not be read (e.g. ``users.signInActivity``)."""
        result = self._results.get(key)
        return None if result is None or result.outcome is EndpointOutcome.OK else self.cause(key)

    def collection(self, key: str) -> list[dict[str, Any]]:
        """The items of a collection key; raises :class:`MissingData` when absent.

        The list is shared between checks (read-only by contract: checks never mutate data).
        """
        cached = self._items.get(key)
        if cached is not None:
            return cached
        body = self._payloads.get(key)
        if body is None:
            raise MissingData(key, self.cause(key))
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise MissingData(key, f"{key} is not a collection in this snapshot")
        items = self._items[key] = [item for item in body["value"] if isinstance(item, dict)]
        return items

    def object(self, key: str) -> dict[str, Any]:
        """A single-object key; raises :class:`MissingData` when absent."""
        body = self._payloads.get(key)
        if body is None:
            raise MissingData(key, self.cause(key))
        if not isinstance(body, dict):
            raise MissingData(key, f"{key} is not an object in this snapshot")
        return body

    def optional_collection(self, key: str) -> list[dict[str, Any]] | None:
        """The items of ``key``, or None when the snapshot lacks it (for checks that can cope)."""
        return self.collection(key) if key in self._payloads else None
