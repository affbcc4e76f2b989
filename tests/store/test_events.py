"""Change events and drift checks in the database: dedupe by key and by match, explain, list,
tenant isolation, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import ChangeEvent, ChangeKind, DriftFinding, DriftRule, Resource, Severity
from remit.errors import InvalidInput, NotFound
from remit.governance.events import AUDIT_LOG, SNAPSHOT_DIFF, Change
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.events import DriftCheckRepository, EventRepository, locate_event
from remit.store.models_drift import ChangeEventRow

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EVE = Resource("user", "u-eve", "eve@contoso.example")


def change(
    key: str,
    *,
    source: str = AUDIT_LOG,
    at: datetime = NOW,
    match: str = "role-added:u-eve:ga:active",
    window_start: datetime | None = None,
    actor: str = "tech@contoso.example",
) -> Change:
    event = ChangeEvent(
        key=key,
        tenant_id="t",
        kind=ChangeKind.ROLE_ADDED,
        occurred_at=at,
        actor=actor if source == AUDIT_LOG else "",
        target=EVE,
        details="eve@contoso.example added to Global Administrator (active)",
        source=source,
    )
    return Change(
        event, match, Severity.CRITICAL, role="Global Administrator", window_start=window_start
    )


def diff_change(key: str = "diff:1", *, start: datetime, end: datetime) -> Change:
    return change(key, source=SNAPSHOT_DIFF, at=end, window_start=start)


def test_recording_twice_stores_each_change_once(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    batch = [change("audit:1"), change("audit:2", match="ca-updated:p1")]
    with sessions.begin() as session:
        first = EventRepository(session, contoso, now=lambda: NOW).record(batch)
    with sessions.begin() as session:
        again = EventRepository(session, contoso).record(batch)
        stored = EventRepository(session, contoso).list()
    assert [e.event.key for e in first] == ["audit:1", "audit:2"]
    assert again == []
    assert len(stored) == 2
    one = next(e for e in stored if e.event.key == "audit:1")
    assert one.event == replace(batch[0].event, tenant_id=contoso.tenant_id)
    assert (one.severity, one.role, one.recorded_at) == (
        Severity.CRITICAL,
        "Global Administrator",
        NOW,
    )
    assert one.event.tenant_id == contoso.tenant_id
    assert one.event.occurred_at == NOW
    assert not one.explained


def test_a_diff_change_already_seen_by_the_audit_log_is_not_stored_again(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        EventRepository(session, contoso).record([change("audit:1", at=NOW - timedelta(hours=2))])
    with sessions.begin() as session:
        repo = EventRepository(session, contoso)
        inside = repo.record([diff_change(start=NOW - timedelta(hours=6), end=NOW)])
        outside = repo.record(
            [diff_change("diff:2", start=NOW + timedelta(days=1), end=NOW + timedelta(days=2))]
        )
    assert inside == []
    assert [e.event.key for e in outside] == ["diff:2"]  # a later grant of the same role


def test_an_audit_record_upgrades_the_diff_event_it_explains(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        repo = EventRepository(session, contoso)
        [seen] = repo.record([diff_change(start=NOW - timedelta(hours=6), end=NOW)])
        repo.explain(seen.id, "CHG-7", by="ana")
    # The next snapshot can read the audit log: it says who, and exactly when.
    when = NOW - timedelta(hours=3)
    with sessions.begin() as session:
        repo = EventRepository(session, contoso)
        assert repo.record([change("audit:9", at=when)]) == []  # not new: no second alert
        assert repo.record([change("audit:9", at=when)]) == []
        assert repo.record([diff_change(start=NOW - timedelta(hours=6), end=NOW)]) == []
        everything = repo.list()
    [upgraded] = everything
    assert upgraded.id == seen.id
    assert (upgraded.event.key, upgraded.event.source) == ("audit:9", AUDIT_LOG)
    assert (upgraded.event.actor, upgraded.event.occurred_at) == ("tech@contoso.example", when)
    assert upgraded.event.ticket == "CHG-7"  # the explanation is kept


def test_explain_list_unexplained_and_since(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        repo = EventRepository(session, contoso, now=lambda: NOW)
        old, new = repo.record(
            [change("audit:old", at=NOW - timedelta(days=10)), change("audit:new", match="m2")]
        )
        explained = repo.explain(new.id, "  T123 ", by="ana", note="planned onboarding")
    assert (explained.event.ticket, explained.explained_by, explained.explained_at) == (
        "T123",
        "ana",
        NOW,
    )
    assert explained.note == "planned onboarding"
    with sessions.begin() as session:
        repo = EventRepository(session, contoso)
        assert [e.id for e in repo.list()] == [new.id, old.id]  # newest first
        assert [e.id for e in repo.list(unexplained=True)] == [old.id]
        assert [e.id for e in repo.list(since=NOW - timedelta(days=1))] == [new.id]
        assert [e.id for e in repo.list(limit=1)] == [new.id]
        assert repo.by_key("audit:old").id == old.id
        assert locate_event(session, old.id) == contoso.tenant_id
        with pytest.raises(InvalidInput):
            repo.explain(old.id, "   ", by="ana")
        with pytest.raises(InvalidInput):
            repo.explain(old.id, "x" * 200, by="ana")


def test_events_are_isolated_per_tenant(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        [theirs] = EventRepository(session, fabrikam).record([change("audit:1")])
        [ours] = EventRepository(session, contoso).record([change("audit:1")])  # same key: fine
    with sessions.begin() as session:
        repo = EventRepository(session, contoso)
        assert [e.id for e in repo.list()] == [ours.id]
        with pytest.raises(NotFound):
            repo.get(theirs.id)
        with pytest.raises(NotFound):
            repo.explain(theirs.id, "T1", by="ana")
        with pytest.raises(NotFound):
            locate_event(session, theirs.id + ours.id + 100)


def test_events_go_with_their_tenant(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo], box: SecretBox
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        EventRepository(session, contoso).record([change("audit:1")])
        DriftCheckRepository(session, contoso).save(
            [], snapshot_id=1, base_snapshot_id=None, checked_at=NOW, new_events=1
        )
    with sessions.begin() as session:
        TenantRepository(session, box).remove(contoso.name)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ChangeEventRow)) == 0


def test_drift_checks_keep_their_findings(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    finding = DriftFinding(
        rule=DriftRule.UNAPPROVED_PRIVILEGED,
        tenant_id=contoso.tenant_id,
        principal=EVE,
        role="Global Administrator",
        since=NOW - timedelta(days=1),
        details="eve holds Global Administrator",
        severity=Severity.CRITICAL,
    )
    with sessions.begin() as session:
        checks = DriftCheckRepository(session, contoso)
        assert checks.latest() is None
        checks.save(
            [],
            snapshot_id=1,
            base_snapshot_id=None,
            checked_at=NOW - timedelta(hours=1),
            new_events=0,
        )
        checks.save([finding], snapshot_id=2, base_snapshot_id=1, checked_at=NOW, new_events=3)
    with sessions.begin() as session:
        latest = DriftCheckRepository(session, contoso).latest()
        assert DriftCheckRepository(session, fabrikam).latest() is None
    assert latest is not None
    assert (latest.snapshot_id, latest.base_snapshot_id, latest.new_events) == (2, 1, 3)
    assert latest.findings == (finding,)
