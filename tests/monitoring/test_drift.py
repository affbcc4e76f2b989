"""check_drift: findings against the map, new events stored once, what each check compares."""

from __future__ import annotations

from datetime import datetime, timedelta

from remit.domain import ChangeKind, CollectionStatus, DriftRule, EndpointOutcome, EndpointResult
from remit.errors import NotFound
from remit.governance.events import AUDIT_LOG, SNAPSHOT_DIFF
from remit.governance.model import ControlMapDoc
from remit.monitoring.drift import DriftReport, check_drift
from remit.monitoring.maps import MapSource
from remit.store.events import DriftCheckRepository, EventRepository
from remit.workspace import Workspace
from tests.monitoring.builders import (
    ASSIGNMENTS,
    AUDITS,
    NOW,
    USER_ADMIN,
    GraphTenant,
    approve,
    control_map,
    upn,
    user_target,
)
from tests.monitoring.conftest import Store

APPROVED = control_map(approve(upn("ana")), emergency=(upn("ea01"), upn("ea02")))


def maps(doc: ControlMapDoc = APPROVED) -> MapSource:
    return lambda workspace, tenant: doc


def baseline() -> GraphTenant:
    tenant = GraphTenant()
    for name in ("ana", "ea01", "ea02"):
        tenant.assign(tenant.user(name), start=NOW - timedelta(days=100))
    return tenant


def check(
    workspace: Workspace, at: datetime = NOW, tenants: tuple[str, ...] = ("contoso",)
) -> list[DriftReport]:
    return check_drift(workspace, list(tenants), maps=maps(), now=lambda: at)


def test_a_tenant_without_a_snapshot_is_reported_and_the_others_still_checked(
    workspace: Workspace, store: Store
) -> None:
    store(baseline(), NOW - timedelta(hours=1))
    reports = check(workspace, tenants=("fabrikam", "contoso"))
    assert [r.tenant.name for r in reports] == ["fabrikam", "contoso"]
    assert "no usable snapshot" in reports[0].error
    assert reports[1].error == ""
    assert reports[1].findings == ()


def test_first_check_records_audit_events_and_checking_again_records_nothing_new(
    workspace: Workspace, store: Store
) -> None:
    tenant = baseline()
    eve = tenant.user("eve")
    tenant.assign(eve, start=NOW - timedelta(hours=3))
    tenant.audit(
        "Add member to role",
        NOW - timedelta(hours=3),
        [user_target(eve, upn("eve"), ("Role.DisplayName", None, "Global Administrator"))],
    )
    snapshot = store(tenant, NOW - timedelta(hours=1))
    [first] = check(workspace)
    assert (first.snapshot_id, first.base_snapshot_id) == (snapshot, None)
    assert [(f.rule, f.principal.name) for f in first.findings] == [
        (DriftRule.UNAPPROVED_PRIVILEGED, upn("eve"))
    ]
    assert [(e.event.kind, e.event.source) for e in first.new_events] == [
        (ChangeKind.ROLE_ADDED, AUDIT_LOG)
    ]
    assert any("first check" in w for w in first.warnings)
    assert first.first_check
    [again] = check(workspace, at=NOW + timedelta(minutes=5))
    assert not again.first_check
    assert again.new_events == ()
    assert again.findings == first.findings
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get("contoso")
        latest = DriftCheckRepository(session, info).latest()
        stored = EventRepository(session, info).list()
    assert latest is not None
    assert (latest.snapshot_id, latest.new_events, latest.findings) == (snapshot, 0, first.findings)
    assert len(stored) == 1


def test_without_the_audit_log_a_new_admin_is_seen_by_the_diff(
    workspace: Workspace, store: Store
) -> None:
    missing = EndpointResult(
        AUDITS,
        EndpointOutcome.MISSING_PERMISSION,
        detail="Forbidden",
        permission="AuditLog.Read.All",
    )
    partial = {"status": CollectionStatus.PARTIAL, "results": (missing,)}
    before = baseline()
    del before.payloads[AUDITS]
    first = store(before, NOW - timedelta(hours=6), **partial)
    check(workspace, at=NOW - timedelta(hours=6))
    after = before.copy()
    after.assign(after.user("mallory"), USER_ADMIN)
    second = store(after, NOW - timedelta(hours=1), **partial)
    [report] = check(workspace)
    assert (report.snapshot_id, report.base_snapshot_id) == (second, first)
    [event] = report.new_events
    assert (event.event.kind, event.event.source, event.event.actor) == (
        ChangeKind.ROLE_ADDED,
        SNAPSHOT_DIFF,
        "",
    )
    assert event.event.target.name == upn("mallory")
    assert any("AuditLog.Read.All" in w for w in report.warnings)
    assert [f.principal.name for f in report.findings] == [upn("mallory")]


def test_changes_between_checks_are_not_missed_when_snapshots_were_skipped(
    workspace: Workspace, store: Store
) -> None:
    s1 = baseline()
    del s1.payloads[AUDITS]
    store(s1, NOW - timedelta(hours=3))
    check(workspace, at=NOW - timedelta(hours=3))
    s2 = s1.copy()
    s2.policy("Require MFA")  # created after the first check
    store(s2, NOW - timedelta(hours=2))  # collected, but not checked
    s3 = s2.copy()
    s3.payloads["identity/conditionalAccess/policies"]["value"][0]["state"] = "disabled"
    store(s3, NOW - timedelta(hours=1))
    [report] = check(workspace)
    # Compared with the snapshot the last check judged: the policy is new, created disabled.
    assert [e.event.kind for e in report.new_events] == [ChangeKind.CA_CREATED]
    assert "(disabled)" in report.new_events[0].event.details


def test_a_failed_snapshot_is_never_judged(workspace: Workspace, store: Store) -> None:
    good = store(baseline(), NOW - timedelta(hours=2))
    store(GraphTenant(), NOW - timedelta(hours=1), status=CollectionStatus.FAILED)
    [report] = check(workspace)
    assert report.snapshot_id == good


def test_an_unreadable_map_or_missing_role_data_fails_that_tenant_only(
    workspace: Workspace, store: Store
) -> None:
    store(baseline(), NOW - timedelta(hours=1))
    no_roles = baseline()
    del no_roles.payloads[ASSIGNMENTS]
    store(no_roles, NOW - timedelta(hours=1), tenant="fabrikam")

    def broken(workspace: Workspace, tenant: str) -> ControlMapDoc:
        if tenant.startswith("3333"):
            raise NotFound("the map of contoso is gone")
        return APPROVED

    contoso, fabrikam = check_drift(
        workspace, ["contoso", "fabrikam"], maps=broken, now=lambda: NOW
    )
    assert contoso.error == "the map of contoso is gone"
    assert fabrikam.error.startswith("cannot check approved access: ")
    assert ASSIGNMENTS in fabrikam.error


def test_the_default_map_comes_from_the_control_map_use_case(
    workspace: Workspace, store: Store
) -> None:
    store(baseline(), NOW - timedelta(hours=1))
    [report] = check_drift(workspace, ["contoso"], now=lambda: NOW)
    assert report.error == ""
    # Nothing is approved in a new tenant's map: every admin is drift until approved.
    assert {f.principal.name for f in report.findings if f.role} == {
        upn("ana"),
        upn("ea01"),
        upn("ea02"),
    }


def test_every_tenant_when_none_are_named(workspace: Workspace, store: Store) -> None:
    store(baseline(), NOW - timedelta(hours=1))
    store(baseline(), NOW - timedelta(hours=1), tenant="fabrikam")
    reports = check_drift(workspace, None, maps=maps(), now=lambda: NOW)
    assert [r.tenant.name for r in reports] == ["contoso", "fabrikam"]
    assert all(r.error == "" and r.findings == () for r in reports)
