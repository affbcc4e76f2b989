"""Access reviews in the database: items, decisions, closing as evidence, isolation, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.governance.reviews import Decision, ReviewItem, ReviewKind
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.models_drift import ReviewItemRow
from remit.store.reviews import ReviewRepository, locate_review

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def items(count: int) -> list[ReviewItem]:
    return [
        ReviewItem(
            key=f"u{n}:ga:active",
            title=f"user{n}@contoso.example — Global Administrator (active, permanent)",
            details={
                "principal": f"user{n}@contoso.example",
                "role": "Global Administrator",
                "drift": None,
            },
        )
        for n in range(count)
    ]


def start(
    session: Session, tenant: TenantInfo, count: int = 3, kind: ReviewKind = ReviewKind.PRIVILEGED
) -> int:
    review = ReviewRepository(session, tenant).create(
        kind, items(count), reviewer="ana", started_at=NOW, snapshot_id=4
    )
    return review.id


def test_a_review_round_trips_with_numbered_items(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        review_id = start(session, contoso)
    with sessions.begin() as session:
        review = ReviewRepository(session, contoso).get(review_id)
        assert locate_review(session, review_id) == contoso.tenant_id
    assert (review.kind, review.reviewer, review.started_at, review.snapshot_id) == (
        ReviewKind.PRIVILEGED, "ana", NOW, 4,
    )  # fmt: skip
    assert review.is_open
    assert [i.number for i in review.items] == [1, 2, 3]
    assert review.items[0].details["role"] == "Global Administrator"
    assert review.decided == 0


def test_decide_then_close_keeps_the_outcome(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        review_id = start(session, contoso)
        repo = ReviewRepository(session, contoso)
        repo.decide(review_id, [1, 2], Decision.KEEP, by="ana", at=NOW)
        with pytest.raises(InvalidInput) as caught:
            repo.close(review_id, by="ana", at=NOW, outcome={})
        assert "1 undecided item(s) (3)" in str(caught.value)
        decided = repo.decide(review_id, [3], Decision.REVOKE, by="bo", at=NOW, note="left the MSP")
        assert decided.decided == 3
        closed = repo.close(review_id, by="ana", at=NOW + timedelta(hours=1), outcome={"kept": 2})
    assert (closed.closed_at, closed.closed_by, closed.outcome) == (
        NOW + timedelta(hours=1),
        "ana",
        {"kept": 2},
    )
    third = closed.items[2]
    assert (third.decision, third.decided_by, third.decided_at, third.note) == (
        Decision.REVOKE, "bo", NOW, "left the MSP",
    )  # fmt: skip
    with sessions.begin() as session:
        repo = ReviewRepository(session, contoso)
        with pytest.raises(InvalidInput) as caught:
            repo.decide(review_id, [1], Decision.REVOKE, by="ana", at=NOW)
        assert "cannot change" in str(caught.value)
        with pytest.raises(InvalidInput):
            repo.close(review_id, by="ana", at=NOW, outcome={})
        assert repo.last_closed(ReviewKind.PRIVILEGED) == NOW + timedelta(hours=1)
        assert repo.last_closed(ReviewKind.RACI) is None


def test_one_open_review_per_kind_and_nothing_to_review_is_refused(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        first = start(session, contoso)
        start(session, contoso, kind=ReviewKind.RACI)  # another kind may run alongside
        repo = ReviewRepository(session, contoso)
        with pytest.raises(AlreadyExists) as caught:
            start(session, contoso)
        assert f"review close {first}" in str(caught.value)
        open_reviews = repo.list(open_only=True)
        other = ReviewRepository(session, fabrikam)
        with pytest.raises(InvalidInput) as caught:
            other.create(ReviewKind.PRIVILEGED, [], reviewer="ana", started_at=NOW)
        assert "no role assignments" in str(caught.value)
        with pytest.raises(InvalidInput):
            other.create(ReviewKind.RACI, items(1), reviewer="  ", started_at=NOW)
    assert [r.kind for r in open_reviews] == [ReviewKind.RACI, ReviewKind.PRIVILEGED]


def test_bad_item_numbers(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        review_id = start(session, contoso, count=2)
        with pytest.raises(NotFound) as caught:
            ReviewRepository(session, contoso).decide(
                review_id, [5], Decision.KEEP, by="ana", at=NOW
            )
    assert "items 1-2" in str(caught.value)


def test_reviews_are_isolated_and_go_with_their_tenant(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo], box: SecretBox
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        theirs = start(session, fabrikam)
        ours = start(session, contoso)
    with sessions.begin() as session:
        repo = ReviewRepository(session, contoso)
        assert [r.id for r in repo.list()] == [ours]
        with pytest.raises(NotFound):
            repo.get(theirs)
        with pytest.raises(NotFound):
            repo.decide(theirs, [1], Decision.KEEP, by="ana", at=NOW)
        with pytest.raises(NotFound):
            locate_review(session, theirs + ours + 100)
    with sessions.begin() as session:
        TenantRepository(session, box).remove(fabrikam.name)
    with sessions.begin() as session:
        left = session.scalar(select(func.count()).select_from(ReviewItemRow))
    assert left == 3  # contoso's items only
