"""The same change seen in the audit log and in a snapshot diff is one event (the audit one)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from remit.domain import ChangeKind
from remit.emulator.scenarios import SCENARIOS
from remit.governance.events import AUDIT_LOG, SNAPSHOT_DIFF, detect_changes
from remit.posture.data import TenantData
from tests.inventory.helpers import well_run_tenant
from tests.monitoring.builders import AUDITS, CA, NOW, TENANT_ID, GraphTenant, upn, user_target

BEFORE = NOW - timedelta(hours=6)


def role_added(tenant: GraphTenant, uid: str, name: str, when: datetime) -> str:
    return tenant.audit(
        "Add member to role",
        when,
        [user_target(uid, upn(name), ("Role.DisplayName", None, "Global Administrator"))],
    )


def test_one_event_with_its_actor_when_both_sources_see_the_change() -> None:
    before = GraphTenant()
    after = before.copy()
    eve = after.user("eve")
    after.assign(eve)
    rid = role_added(after, eve, "eve", NOW - timedelta(hours=1))
    [change] = detect_changes(after.data(NOW), before.data(BEFORE), tenant_id=TENANT_ID)
    assert change.event.source == AUDIT_LOG
    assert change.event.key == f"audit:{rid}"
    assert change.event.actor.startswith("tech@")


def test_an_audit_record_outside_the_window_does_not_explain_the_diff() -> None:
    before = GraphTenant()
    after = before.copy()
    eve = after.user("eve")
    after.assign(eve)
    role_added(after, eve, "eve", BEFORE - timedelta(days=2))  # an earlier, older grant
    found = detect_changes(after.data(NOW), before.data(BEFORE), tenant_id=TENANT_ID)
    assert sorted(c.event.source for c in found) == [AUDIT_LOG, SNAPSHOT_DIFF]


def test_a_vague_policy_update_takes_the_diffs_more_specific_kind() -> None:
    before = GraphTenant()
    pid = before.policy("Require MFA")
    after = before.copy()
    after.items(CA)[0]["state"] = "disabled"
    after.audit(
        "Update conditional access policy",
        NOW - timedelta(hours=1),
        [{"id": pid, "displayName": "Require MFA", "type": "Policy"}],
    )
    [change] = detect_changes(after.data(NOW), before.data(BEFORE), tenant_id=TENANT_ID)
    assert change.event.kind is ChangeKind.CA_DISABLED
    assert change.event.source == AUDIT_LOG
    assert "state enabled → disabled" in change.event.details


def test_without_a_previous_snapshot_only_the_audit_log_speaks() -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    tenant.assign(eve)
    role_added(tenant, eve, "eve", NOW - timedelta(hours=1))
    [change] = detect_changes(tenant.data(NOW), None, tenant_id=TENANT_ID)
    assert change.event.source == AUDIT_LOG


def test_every_scenario_at_once_with_and_without_the_audit_log() -> None:
    spec = well_run_tenant()
    before = TenantData(copy.deepcopy(spec.data), now=BEFORE)
    history = {r["id"] for r in spec.data[AUDITS]["value"]}
    for name in (
        "new-global-admin",
        "admin-mfa-removed",
        "ca-policy-disabled",
        "ca-policy-deleted",
        "guest-privileged-role",
        "app-credential-added",
    ):
        SCENARIOS[name].apply(spec, {}, NOW - timedelta(minutes=30))
    expected = sorted(
        [
            ChangeKind.ROLE_ADDED,
            ChangeKind.ROLE_ADDED,
            ChangeKind.MFA_REMOVED,
            ChangeKind.CA_DISABLED,
            ChangeKind.CA_DELETED,
            ChangeKind.APP_CREDENTIAL_ADDED,
        ]
    )
    found = detect_changes(TenantData(spec.data, now=NOW), before, tenant_id=spec.tenant_id)
    new = [c for c in found if c.event.key.split(":")[1] not in history]
    assert sorted(c.event.kind for c in new) == expected
    assert {c.event.source for c in new} == {AUDIT_LOG}  # every diff change was explained

    blind = copy.deepcopy(spec.data)
    del blind[AUDITS]  # no AuditLog.Read.All: the diff alone still sees every change
    found = detect_changes(TenantData(blind, now=NOW), before, tenant_id=spec.tenant_id)
    assert sorted(c.event.kind for c in found) == expected
    assert {c.event.source for c in found} == {SNAPSHOT_DIFF}
    assert {c.event.actor for c in found} == {""}
