"""Access reviews of one tenant: items, decisions, and the outcome kept as evidence.

A review's items are fixed when it starts. Decisions can change until the review is closed;
after that, nothing about it changes. :class:`ReviewRepository` is bound to one tenant and
every statement it issues filters by that tenant.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.governance.reviews import DecidedItem, Decision, ReviewItem, ReviewKind
from remit.store.models import Tenant
from remit.store.models_drift import NAME_LENGTH, AccessReviewRow, ReviewItemRow
from remit.store.tenants import TenantInfo


@dataclass(frozen=True, slots=True)
class ReviewInfo:
    """One review with its items and their decisions."""

    id: int
    tenant_id: str
    tenant_name: str
    kind: ReviewKind
    reviewer: str
    started_at: datetime
    snapshot_id: int | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: dict[str, Any] | None
    items: tuple[DecidedItem, ...]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def decided(self) -> int:
        return sum(1 for item in self.items if item.decision is not None)


def locate_review(session: Session, review_id: int) -> str:
    """The tenant id (GUID) of the tenant that owns review ``review_id``."""
    tenant_id = session.scalars(
        select(Tenant.tenant_id)
        .join(AccessReviewRow, AccessReviewRow.tenant_pk == Tenant.id)
        .where(AccessReviewRow.id == review_id)
    ).first()
    if tenant_id is None:
        raise NotFound(f"there is no review {review_id}; `remit review list` lists them")
    return tenant_id


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > NAME_LENGTH:
        raise InvalidInput(f"{what} {value!r}: give a name of 1 to {NAME_LENGTH} characters")
    return value


class ReviewRepository:
    """The access reviews of one tenant, in one session. The caller commits."""

    def __init__(self, session: Session, tenant: TenantInfo) -> None:
        self._session = session
        self._tenant_pk = tenant.pk
        self._tenant_id = tenant.tenant_id
        self._tenant_name = tenant.name

    def _reviews(self) -> Select[AccessReviewRow]:
        return select(AccessReviewRow).where(AccessReviewRow.tenant_pk == self._tenant_pk)

    # --- writing ---------------------------------------------------------------------------

    def create(
        self,
        kind: ReviewKind,
        items: Sequence[ReviewItem],
        *,
        reviewer: str,
        started_at: datetime,
        snapshot_id: int | None = None,
    ) -> ReviewInfo:
        """Start a review with ``items`` (numbered from 1); one open review per kind."""
        reviewer = _name(reviewer, "reviewer")
        current = self.open_review(kind)
        if current is not None:
            raise AlreadyExists(
                f"tenant {self._tenant_name} already has an open {kind.value} review "
                f"({current.id}, started {current.started_at:%Y-%m-%d}); finish it with "
                f"`remit review close {current.id}`"
            )
        if not items:
            raise InvalidInput(
                f"there is nothing to review for a {kind.value} review of {self._tenant_name}"
                + (
                    ": its control map has no controls"
                    if kind is ReviewKind.RACI
                    else ": the snapshot shows no role assignments"
                )
            )
        with self._session.begin_nested():
            row = AccessReviewRow(
                tenant_pk=self._tenant_pk,
                kind=kind.value,
                reviewer=reviewer,
                started_at=started_at,
                snapshot_id=snapshot_id,
            )
            self._session.add(row)
            self._session.flush()
            self._session.add_all(
                ReviewItemRow(
                    review_id=row.id,
                    number=number,
                    tenant_pk=self._tenant_pk,
                    key=item.key,
                    title=item.title,
                    details=dict(item.details),
                    note="",
                )
                for number, item in enumerate(items, start=1)
            )
            self._session.flush()
        return self.get(row.id)

    def decide(
        self,
        review_id: int,
        numbers: Sequence[int],
        decision: Decision,
        *,
        by: str,
        at: datetime,
        note: str = "",
    ) -> ReviewInfo:
        """Record ``decision`` for items ``numbers`` of an open review."""
        by = _name(by, "decided by")
        row = self._open_row(review_id)
        items = {item.number: item for item in self._item_rows([row.id])}
        missing = [n for n in numbers if n not in items]
        if missing:
            raise NotFound(
                f"review {review_id} has no item {missing[0]}; it has items 1-{len(items)}"
            )
        for number in numbers:
            item = items[number]
            item.decision = decision.value
            item.decided_by = by
            item.decided_at = at
            item.note = note
        self._session.flush()
        return self.get(review_id)

    def close(
        self, review_id: int, *, by: str, at: datetime, outcome: dict[str, Any]
    ) -> ReviewInfo:
        """Close an open review whose every item is decided, keeping ``outcome`` as evidence."""
        by = _name(by, "closed by")
        row = self._open_row(review_id)
        open_items = [i.number for i in self._item_rows([row.id]) if i.decision is None]
        if open_items:
            shown = ", ".join(str(n) for n in open_items[:10])
            more = "…" if len(open_items) > 10 else ""
            raise InvalidInput(
                f"review {review_id} has {len(open_items)} undecided item(s) ({shown}{more}); "
                f"decide them with `remit review decide {review_id} ITEM keep|revoke`"
            )
        row.closed_at = at
        row.closed_by = by
        row.outcome = outcome
        self._session.flush()
        return self.get(review_id)

    # --- reading ---------------------------------------------------------------------------

    def get(self, review_id: int) -> ReviewInfo:
        row = self._row(review_id)
        return self._info(row, self._item_rows([row.id]))

    def list(
        self, *, kind: ReviewKind | None = None, open_only: bool = False, limit: int = 50
    ) -> builtins.list[ReviewInfo]:
        """Reviews, newest first."""
        query = self._reviews()
        if kind is not None:
            query = query.where(AccessReviewRow.kind == kind.value)
        if open_only:
            query = query.where(AccessReviewRow.closed_at.is_(None))
        rows = builtins.list(
            self._session.scalars(
                query.order_by(AccessReviewRow.started_at.desc(), AccessReviewRow.id.desc()).limit(
                    limit
                )
            )
        )
        items = self._item_rows([r.id for r in rows])
        return [self._info(r, [i for i in items if i.review_id == r.id]) for r in rows]

    def open_review(self, kind: ReviewKind) -> ReviewInfo | None:
        found = self.list(kind=kind, open_only=True, limit=1)
        return found[0] if found else None

    def last_closed(self, kind: ReviewKind) -> datetime | None:
        return self._session.scalars(
            select(AccessReviewRow.closed_at)
            .where(
                AccessReviewRow.tenant_pk == self._tenant_pk,
                AccessReviewRow.kind == kind.value,
                AccessReviewRow.closed_at.is_not(None),
            )
            .order_by(AccessReviewRow.closed_at.desc())
            .limit(1)
        ).first()

    def _row(self, review_id: int) -> AccessReviewRow:
        row = self._session.scalars(self._reviews().where(AccessReviewRow.id == review_id)).first()
        if row is None:
            raise NotFound(
                f"tenant {self._tenant_name} has no review {review_id}; "
                f"`remit review list -t {self._tenant_name}` lists its reviews"
            )
        return row

    def _open_row(self, review_id: int) -> AccessReviewRow:
        row = self._row(review_id)
        if row.closed_at is not None:
            raise InvalidInput(
                f"review {review_id} was closed on {row.closed_at:%Y-%m-%d %H:%M} by "
                f"{row.closed_by}; its decisions are evidence and cannot change (start a new "
                "review)"
            )
        return row

    def _item_rows(self, review_ids: Sequence[int]) -> builtins.list[ReviewItemRow]:
        if not review_ids:
            return []
        return builtins.list(
            self._session.scalars(
                select(ReviewItemRow)
                .where(
                    ReviewItemRow.tenant_pk == self._tenant_pk,
                    ReviewItemRow.review_id.in_(builtins.list(review_ids)),
                )
                .order_by(ReviewItemRow.review_id, ReviewItemRow.number)
            )
        )

    def _info(self, row: AccessReviewRow, items: Sequence[ReviewItemRow]) -> ReviewInfo:
        return ReviewInfo(
            id=row.id,
            tenant_id=self._tenant_id,
            tenant_name=self._tenant_name,
            kind=ReviewKind(row.kind),
            reviewer=row.reviewer,
            started_at=row.started_at,
            snapshot_id=row.snapshot_id,
            closed_at=row.closed_at,
            closed_by=row.closed_by,
            outcome=row.outcome,
            items=tuple(
                DecidedItem(
                    number=item.number,
                    key=item.key,
                    title=item.title,
                    details=dict(item.details),
                    decision=Decision(item.decision) if item.decision else None,
                    note=item.note,
                    decided_by=item.decided_by or "",
                    decided_at=item.decided_at,
                )
                for item in items
            ),
        )
