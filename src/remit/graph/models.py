"""Plain result types of the Graph client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remit.errors import GraphError


@dataclass(frozen=True, slots=True)
class Collection:
    """Every item of a paged collection; ``count`` is ``@odata.count`` from page one, if sent."""

    items: list[dict[str, Any]]
    count: int | None = None


@dataclass(frozen=True, slots=True)
class DeltaResult:
    """One delta round: changed items (``@removed`` entries included) and the link to store.

    ``full_resync`` is True when the stored link had expired and a full sync was run instead:
    the caller must then treat ``items`` as the complete state, not as changes.
    """

    items: list[dict[str, Any]]
    delta_link: str
    full_resync: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRequest:
    """One sub-request of a JSON ``$batch``; ``url`` is relative to the versioned root."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] | None = None
    body: Any = None
    id: str | None = None
    depends_on: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class BatchResponse:
    """The final answer to one sub-request, after any retries.

    ``error`` holds the typed error a top-level request would have raised (None when ok);
    :meth:`raise_for_error` raises it.
    """

    id: str
    status: int
    headers: Mapping[str, str]
    body: Any
    error: GraphError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.error is None

    @property
    def next_link(self) -> str | None:
        """``@odata.nextLink`` of a paged body: continue with ``GraphClient.iter_pages``."""
        if isinstance(self.body, dict):
            link = self.body.get("@odata.nextLink")
            return link if isinstance(link, str) else None
        return None

    @property
    def items(self) -> list[dict[str, Any]]:
        """The ``value`` list of a collection body ([] when absent)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("value"), list):
            return list(self.body["value"])
        return []

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error
