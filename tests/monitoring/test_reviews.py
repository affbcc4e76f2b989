"""Review use cases: start from a snapshot or a map, decide, close, and the schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from remit.errors import InvalidInput, NotFound
from remit.governance.model import ControlEntry, ControlMapDoc, Raci
from remit.governance.reviews import Decision, ReviewKind
from remit.monitoring.reviews import (
    close_review,
    decide,
    due_reviews,
    get_review,
    list_reviews,
    start_review,
)
from remit.workspace import Workspace
from tests.monitoring.builders import NOW, GraphTenant, approve, control_map, upn
from tests.monitoring.conftest import Store

MAP = control_map(approve(upn("ana")))
RACI = ControlMapDoc(
    controls={
        "MS.AAD.7.1": ControlEntry(raci=Raci(responsible=["MSP"], accountable="ana")),
        "MS.AAD.3.1": ControlEntry(raci=Raci(responsible=["Client IT"], accountable="bo")),
    }
)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def admins() -> GraphTenant:
    tenant = GraphTenant()
    tenant.assign(tenant.user("ana"))
    tenant.assign(tenant.user("mallory"))
    return tenant


def test_a_privileged_review_from_start_to_evidence(workspace: Workspace, store: Store) -> None:
    snapshot = store(admins(), NOW - timedelta(hours=1))
    review = start_review(
        workspace,
        "contoso",
        ReviewKind.PRIVILEGED,
        reviewer="ana",
        maps=lambda w, t: MAP,
        now=at(NOW),
    )
    assert (review.snapshot_id, review.reviewer, review.tenant_name) == (snapshot, "ana", "contoso")
    drift = {i.details["principal"]: i.details["drift"] for i in review.items}
    assert drift == {upn("ana"): None, upn("mallory"): "unapproved-privileged"}
    mallory = next(i.number for i in review.items if i.details["principal"] == upn("mallory"))
    other = 3 - mallory
    decide(workspace, review.id, str(mallory), Decision.REVOKE, note="not approved", now=at(NOW))
    with pytest.raises(InvalidInput):
        close_review(workspace, review.id, now=at(NOW))
    decide(workspace, review.id, str(other), Decision.KEEP, by="bo", now=at(NOW))
    closed = close_review(workspace, review.id, now=at(NOW + timedelta(minutes=5)))
    assert closed.closed_by == "ana"  # the reviewer, by default
    assert closed.outcome is not None
    assert (closed.outcome["kept"], closed.outcome["revoked"]) == (1, 1)
    assert closed.outcome["actions"] == [
        f"remove Global Administrator (active) from {upn('mallory')} in Entra ID — not approved"
    ]
    decisions = {d["number"]: d["decided_by"] for d in closed.outcome["decisions"]}
    assert decisions == {mallory: "ana", other: "bo"}
    assert get_review(workspace, review.id) == closed
    assert [r.id for r in list_reviews(workspace)] == [review.id]
    assert list_reviews(workspace, "contoso", open_only=True) == []


def test_a_raci_review_lists_the_maps_controls(workspace: Workspace) -> None:
    review = start_review(
        workspace, "contoso", ReviewKind.RACI, reviewer="ana", maps=lambda w, t: RACI
    )
    assert [i.key for i in review.items] == ["MS.AAD.3.1", "MS.AAD.7.1"]
    assert review.snapshot_id is None
    decided = decide(workspace, review.id, "1-2", Decision.KEEP)
    assert decided.decided == 2


def test_a_privileged_review_needs_a_snapshot(workspace: Workspace) -> None:
    with pytest.raises(NotFound) as caught:
        start_review(
            workspace, "contoso", ReviewKind.PRIVILEGED, reviewer="ana", maps=lambda w, t: MAP
        )
    assert "remit inventory collect -t contoso" in str(caught.value)


def test_unknown_review(workspace: Workspace) -> None:
    with pytest.raises(NotFound):
        get_review(workspace, 42)
    with pytest.raises(NotFound):
        decide(workspace, 42, "1", Decision.KEEP)


def test_what_is_due_follows_the_schedule(workspace: Workspace, store: Store) -> None:
    due = due_reviews(workspace, now=at(NOW))
    assert {(d.tenant.name, d.kind) for d in due} == {
        (t, k) for t in ("contoso", "fabrikam") for k in ReviewKind
    }  # never reviewed: everything is due
    assert all(d.due_at is None for d in due)
    review = start_review(
        workspace, "contoso", ReviewKind.RACI, reviewer="ana", maps=lambda w, t: RACI, now=at(NOW)
    )
    [in_progress] = [
        d for d in due_reviews(workspace, ["contoso"], now=at(NOW)) if d.kind is ReviewKind.RACI
    ]
    assert in_progress.open_review == review.id
    decide(workspace, review.id, "1-2", Decision.KEEP)
    close_review(workspace, review.id, now=at(NOW))
    week = NOW + timedelta(days=7)
    assert [
        d.kind for d in due_reviews(workspace, ["contoso"], now=at(NOW + timedelta(days=6)))
    ] == [ReviewKind.PRIVILEGED]
    assert ReviewKind.RACI in [d.kind for d in due_reviews(workspace, ["contoso"], now=at(week))]
    everything = due_reviews(
        workspace, ["contoso"], include_all=True, now=at(NOW + timedelta(days=1))
    )
    raci = next(d for d in everything if d.kind is ReviewKind.RACI)
    assert (raci.due, raci.due_at, raci.last_closed) == (False, week, NOW)
