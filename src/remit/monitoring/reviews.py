"""Access reviews: start one from the latest snapshot or the control map, decide, close; and
which tenants are due for one.

The schedule (:func:`remit.governance.reviews.next_due`): a RACI review a week after the last
closed one, a privileged-access review a month after; a tenant that never had one is due now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from remit.errors import InvalidInput, NotFound
from remit.governance.reviews import (
    Decision,
    ReviewKind,
    next_due,
    outcome,
    parse_items,
    privileged_items,
    raci_items,
)
from remit.monitoring.maps import MapSource, effective_map
from remit.monitoring.tenants import TenantName, resolve
from remit.posture.data import MissingData, TenantData
from remit.store.reviews import ReviewInfo, ReviewRepository, locate_review
from remit.workspace import Workspace

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def start_review(
    workspace: Workspace,
    tenant: str,
    kind: ReviewKind,
    *,
    reviewer: str,
    maps: MapSource = effective_map,
    now: Clock = _utcnow,
) -> ReviewInfo:
    """Start a review of ``kind`` for ``tenant``: its items are fixed now."""
    started = now()
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant)
        snapshots = workspace.snapshots(session, info)
        snapshot = snapshots.latest_usable() if kind is ReviewKind.PRIVILEGED else None
        payloads = snapshots.load(snapshot.id) if snapshot is not None else {}
    approved = maps(workspace, info.tenant_id)
    if kind is ReviewKind.RACI:
        items = raci_items(approved)
    elif snapshot is None:
        raise NotFound(
            f"tenant {info.name} has no usable snapshot to review; collect one with "
            f"`remit inventory collect -t {info.name}`"
        )
    else:
        data = TenantData(payloads, snapshot.endpoints, now=snapshot.finished_at)
        try:
            items = privileged_items(data, approved, started)
        except MissingData as exc:
            raise InvalidInput(
                f"cannot list the privileged assignments of {info.name}: {exc.cause}"
            ) from None
    with workspace.session() as session:
        info = workspace.tenants(session).get(info.tenant_id)
        return ReviewRepository(session, info).create(
            kind,
            items,
            reviewer=reviewer,
            started_at=started,
            snapshot_id=snapshot.id if snapshot else None,
        )


def list_reviews(
    workspace: Workspace, tenant: str | None = None, *, open_only: bool = False, limit: int = 50
) -> list[ReviewInfo]:
    """Reviews of one tenant or of all, newest first."""
    reviews: list[ReviewInfo] = []
    with workspace.session(write=False) as session:
        repo = workspace.tenants(session)
        infos = [repo.get(tenant)] if tenant is not None else repo.list()
        for info in infos:
            reviews += ReviewRepository(session, info).list(open_only=open_only, limit=limit)
    reviews.sort(key=lambda r: (r.started_at, r.id), reverse=True)
    return reviews[:limit]


def get_review(workspace: Workspace, review_id: int) -> ReviewInfo:
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get(locate_review(session, review_id))
        return ReviewRepository(session, info).get(review_id)


def decide(
    workspace: Workspace,
    review_id: int,
    items: str,
    decision: Decision,
    *,
    by: str | None = None,
    note: str = "",
    now: Clock = _utcnow,
) -> ReviewInfo:
    """Decide items (``3``, ``1-4``, ``1,3,5-7``) of an open review; ``by`` defaults to its
    reviewer."""
    with workspace.session() as session:
        info = workspace.tenants(session).get(locate_review(session, review_id))
        repo = ReviewRepository(session, info)
        review = repo.get(review_id)
        numbers = parse_items(items, len(review.items))
        return repo.decide(
            review_id, numbers, decision, by=by or review.reviewer, at=now(), note=note
        )


def close_review(
    workspace: Workspace, review_id: int, *, by: str | None = None, now: Clock = _utcnow
) -> ReviewInfo:
    """Close a review whose items are all decided; its outcome is stored as evidence."""
    with workspace.session() as session:
        info = workspace.tenants(session).get(locate_review(session, review_id))
        repo = ReviewRepository(session, info)
        review = repo.get(review_id)
        return repo.close(
            review_id,
            by=by or review.reviewer,
            at=now(),
            outcome=outcome(review.kind, review.items),
        )


@dataclass(frozen=True, slots=True)
class DueReview:
    """Where one tenant stands on one kind of review."""

    tenant: TenantName
    kind: ReviewKind
    last_closed: datetime | None
    due_at: datetime | None  # None: never reviewed, due now
    open_review: int | None  # the review in progress, if any
    due: bool


def due_reviews(
    workspace: Workspace,
    tenants: Sequence[str] | None = None,
    *,
    include_all: bool = False,
    now: Clock = _utcnow,
) -> list[DueReview]:
    """Tenants and kinds whose review is due (every tenant and kind when ``include_all``)."""
    moment = now()
    out: list[DueReview] = []
    names = resolve(workspace, tenants)
    with workspace.session(write=False) as session:
        for name in names:
            repo = ReviewRepository(session, workspace.tenants(session).get(name.tenant_id))
            for kind in (ReviewKind.PRIVILEGED, ReviewKind.RACI):
                last = repo.last_closed(kind)
                due_at = next_due(kind, last)
                current = repo.open_review(kind)
                due = due_at is None or due_at <= moment
                if due or include_all:
                    out.append(
                        DueReview(name, kind, last, due_at, current.id if current else None, due)
                    )
    return out
