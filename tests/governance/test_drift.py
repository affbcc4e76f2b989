"""Approval drift: every rule, how principals and roles are matched, since-when and severity."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from remit.domain import DriftRule, Severity
from remit.emulator.scenarios import SCENARIOS
from remit.governance.drift import approval_drift
from remit.governance.model import AccessKind, ControlMapDoc
from remit.governance.seed import seen_access
from remit.posture.data import MissingData, TenantData
from tests.inventory.helpers import well_run_tenant
from tests.monitoring.builders import (
    ASSIGNMENTS,
    GA,
    HELPDESK,
    NOW,
    TENANT_ID,
    USER_ADMIN,
    GraphTenant,
    approve,
    control_map,
    upn,
    user_target,
)

TODAY = NOW.date()


def with_emergency(tenant: GraphTenant) -> tuple[str, str]:
    """Two working emergency accounts, so tests see only the finding they are about."""
    tenant.assign(tenant.user("ea01"))
    tenant.assign(tenant.user("ea02"))
    return upn("ea01"), upn("ea02")


def drift(tenant: GraphTenant, approved: ControlMapDoc) -> list[tuple[DriftRule, str, str]]:
    return [
        (f.rule, f.principal.name, f.role)
        for f in approval_drift(tenant.data(), approved, NOW)
        if f.rule is not DriftRule.EMERGENCY_ACCOUNTS
    ]


# --- unapproved privileged principals ---------------------------------------------------------


def test_an_approved_global_admin_is_no_drift_whether_named_by_upn_or_object_id() -> None:
    tenant = GraphTenant()
    ana = tenant.user("ana")
    tenant.assign(ana)
    emergency = with_emergency(tenant)
    assert (
        approval_drift(tenant.data(), control_map(approve(upn("ana")), emergency=emergency), NOW)
        == []
    )
    by_id = control_map(approve(ana.upper(), role=GA.upper()), emergency=emergency)
    assert approval_drift(tenant.data(), by_id, NOW) == []  # any case, role by template id
    named = control_map(
        approve("ANA@contoso.example", role="global administrator"), emergency=emergency
    )
    assert approval_drift(tenant.data(), named, NOW) == []


def test_an_unapproved_global_admin_is_critical_and_says_since_when_from_pim() -> None:
    tenant = GraphTenant()
    start = NOW - timedelta(days=3)
    mallory = tenant.user("mallory")
    tenant.assign(mallory, start=start)
    approved = control_map(emergency=with_emergency(tenant))
    [finding] = approval_drift(tenant.data(), approved, NOW)
    assert finding.rule is DriftRule.UNAPPROVED_PRIVILEGED
    assert finding.severity is Severity.CRITICAL
    assert (finding.principal.type, finding.principal.id) == ("user", mallory)
    assert finding.principal.name == upn("mallory")
    assert finding.role == "Global Administrator"
    assert finding.since == start
    assert finding.tenant_id == TENANT_ID  # from the snapshot's organization
    assert "does not approve" in finding.details
    assert "active, permanent" in finding.details


def test_approval_for_another_role_does_not_cover_this_one() -> None:
    tenant = GraphTenant()
    bob = tenant.user("bob")
    tenant.assign(bob, USER_ADMIN)
    tenant.assign(bob, HELPDESK)
    approved = control_map(approve(upn("bob"), role="Helpdesk Administrator"))
    found = approval_drift(tenant.data(), approved, NOW)
    assert [(f.rule, f.role, f.severity) for f in found if f.principal.id == bob] == [
        (DriftRule.UNAPPROVED_PRIVILEGED, "User Administrator", Severity.HIGH)
    ]


def test_severity_follows_the_role() -> None:
    tenant = GraphTenant()
    for name, role in (("a", GA), ("b", USER_ADMIN), ("c", HELPDESK)):
        tenant.assign(tenant.user(name), role)
    found = {
        f.principal.name: f.severity for f in approval_drift(tenant.data(), control_map(), NOW)
    }
    assert found[upn("a")] is Severity.CRITICAL  # Global Administrator
    assert found[upn("b")] is Severity.HIGH  # another highly privileged role (SCuBA's list)
    assert found[upn("c")] is Severity.MEDIUM  # any other directory role


def test_since_comes_from_the_audit_log_without_pim_and_is_none_when_unknown() -> None:
    tenant = GraphTenant(pim=False)
    eve, zed = tenant.user("eve"), tenant.user("zed")
    tenant.assign(eve)
    tenant.assign(zed)
    added = NOW - timedelta(hours=5)
    tenant.audit(
        "Add member to role",
        added,
        [user_target(eve, upn("eve"), ("Role.DisplayName", None, "Global Administrator"))],
    )
    since = {f.principal.name: f.since for f in approval_drift(tenant.data(), control_map(), NOW)}
    assert since[upn("eve")] == added
    assert since[upn("zed")] is None


def test_eligible_holders_need_approval_too() -> None:
    tenant = GraphTenant()
    ivy = tenant.user("ivy")
    tenant.eligible(ivy, USER_ADMIN, end=NOW + timedelta(days=90))
    assert drift(tenant, control_map()) == [
        (DriftRule.UNAPPROVED_PRIVILEGED, upn("ivy"), "User Administrator")
    ]
    approved = control_map(approve(upn("ivy"), "User Administrator", AccessKind.ELIGIBLE))
    assert drift(tenant, approved) == []


def test_members_of_a_role_group_are_covered_by_the_groups_approval_or_their_own() -> None:
    tenant = GraphTenant()
    ann, ben = tenant.user("ann"), tenant.user("ben")
    group = tenant.group("Tier 0 admins", [ann, ben])
    tenant.assign(group, USER_ADMIN)
    joined = NOW - timedelta(days=2)
    tenant.audit(
        "Add member to group",
        joined,
        [user_target(ben, upn("ben")), {"id": group, "type": "Group", "displayName": "Tier 0"}],
    )
    # Nobody approved the group: the group and each member through it are drift.
    only_ann = control_map(approve(upn("ann"), "User Administrator"))
    found = {f.principal.name: f for f in approval_drift(tenant.data(), only_ann, NOW) if f.role}
    assert sorted(found) == ["Tier 0 admins", upn("ben")]
    assert "through group Tier 0 admins" in found[upn("ben")].details
    assert found[upn("ben")].since == joined  # when ben joined, not when the group got the role
    # Approving the group covers the access its members hold through it.
    assert drift(tenant, control_map(approve(group, "User Administrator"))) == []


def test_a_group_holding_a_role_is_itself_a_principal_to_approve() -> None:
    tenant = GraphTenant()
    group = tenant.group("Helpdesk", [])
    tenant.assign(group, HELPDESK)
    [finding] = [f for f in approval_drift(tenant.data(), control_map(), NOW) if f.role]
    assert (finding.principal.type, finding.principal.name) == ("group", "Helpdesk")


def test_service_principals_match_by_object_id_or_app_id() -> None:
    tenant = GraphTenant()
    sp = tenant.service_principal("Backup app")
    tenant.assign(sp, HELPDESK)
    app_id = tenant.items("servicePrincipals")[0]["appId"]
    assert drift(tenant, control_map(approve(sp, "Helpdesk Administrator"))) == []
    assert drift(tenant, control_map(approve(app_id, "Helpdesk Administrator"))) == []
    [(rule, name, _)] = drift(tenant, control_map())
    assert (rule, name) == (DriftRule.UNAPPROVED_PRIVILEGED, "Backup app")


def test_an_assignment_scoped_to_an_administrative_unit_is_not_tenant_wide() -> None:
    tenant = GraphTenant()
    tenant.assign(tenant.user("scoped"), USER_ADMIN)
    tenant.items(ASSIGNMENTS)[0]["directoryScopeId"] = "/administrativeUnits/x"
    assert drift(tenant, control_map()) == []


# --- expired approvals, active where eligible, contractors ------------------------------------


def test_an_approval_that_ended_while_the_access_did_not() -> None:
    tenant = GraphTenant()
    tenant.assign(tenant.user("olga"), USER_ADMIN)
    ended = approve(upn("olga"), "User Administrator", until=TODAY - timedelta(days=1))
    [finding] = [f for f in approval_drift(tenant.data(), control_map(ended), NOW) if f.role]
    assert finding.rule is DriftRule.APPROVAL_EXPIRED
    assert finding.severity is Severity.MEDIUM
    assert (TODAY - timedelta(days=1)).isoformat() in finding.details
    # Valid through its last day; and one valid approval among expired ones is enough.
    assert drift(tenant, control_map(ended.model_copy(update={"until": TODAY}))) == []
    renewed = approve(upn("olga"), "User Administrator", until=TODAY + timedelta(days=30))
    assert drift(tenant, control_map(ended, renewed)) == []


def test_a_permanent_active_assignment_where_only_eligible_was_approved() -> None:
    tenant = GraphTenant()
    pat = tenant.user("pat")
    start = NOW - timedelta(days=10)
    tenant.assign(pat, start=start)
    eligible_only = control_map(
        approve(upn("pat"), kind=AccessKind.ELIGIBLE), emergency=with_emergency(tenant)
    )
    [finding] = approval_drift(tenant.data(), eligible_only, NOW)
    assert finding.rule is DriftRule.ACTIVE_NOT_ELIGIBLE
    assert finding.severity is Severity.HIGH
    assert finding.since == start
    assert "permanent active" in finding.details


def test_pim_activations_and_time_bound_assignments_fit_an_eligible_approval() -> None:
    tenant = GraphTenant()
    pat, kim = tenant.user("pat"), tenant.user("kim")
    tenant.eligible(pat)
    tenant.assign(pat, activated=True, end=NOW + timedelta(hours=8))
    tenant.assign(kim, end=NOW + timedelta(days=7))  # time-bound active, not permanent
    approved = control_map(
        approve(upn("pat"), kind=AccessKind.ELIGIBLE), approve(upn("kim"), kind=AccessKind.ELIGIBLE)
    )
    assert drift(tenant, approved) == []


def test_an_active_approval_covers_eligible_access() -> None:
    tenant = GraphTenant()
    tenant.eligible(tenant.user("lee"))
    assert drift(tenant, control_map(approve(upn("lee"), kind=AccessKind.ACTIVE))) == []


def test_without_pim_data_every_active_assignment_counts_as_permanent() -> None:
    tenant = GraphTenant(pim=False)
    tenant.assign(tenant.user("sam"))
    approved = control_map(approve(upn("sam"), kind=AccessKind.ELIGIBLE))
    assert drift(tenant, approved) == [
        (DriftRule.ACTIVE_NOT_ELIGIBLE, upn("sam"), "Global Administrator")
    ]


def test_a_contractor_past_their_end_date_still_privileged() -> None:
    tenant = GraphTenant()
    carl = tenant.user("carl")
    tenant.assign(carl)
    tenant.assign(carl, HELPDESK)
    gone = date(2026, 10, 31)
    approved = control_map(
        approve(upn("carl"), contractor_until=gone), approve(upn("carl"), "Helpdesk Administrator")
    )
    found = {f.role: f for f in approval_drift(tenant.data(), approved, NOW) if f.role}
    assert {r: f.rule for r, f in found.items()} == {
        "Global Administrator": DriftRule.CONTRACTOR_ENDED,
        "Helpdesk Administrator": DriftRule.CONTRACTOR_ENDED,  # the person's engagement ended
    }
    assert found["Global Administrator"].severity is Severity.CRITICAL
    assert found["Helpdesk Administrator"].severity is Severity.HIGH
    assert "2026-10-31" in found["Global Administrator"].details
    future = control_map(
        approve(upn("carl"), contractor_until=TODAY), approve(upn("carl"), "Helpdesk Administrator")
    )
    assert drift(tenant, future) == []


# --- emergency accounts -------------------------------------------------------------------------


def emergency(tenant: GraphTenant, approved: ControlMapDoc) -> list[str]:
    return [
        f.details
        for f in approval_drift(tenant.data(), approved, NOW)
        if f.rule is DriftRule.EMERGENCY_ACCOUNTS
    ]


def test_two_or_three_working_emergency_accounts_are_fine() -> None:
    tenant = GraphTenant()
    accounts = with_emergency(tenant)
    assert emergency(tenant, control_map(emergency=accounts)) == []
    tenant.assign(tenant.user("ea03"))
    assert emergency(tenant, control_map(emergency=(*accounts, upn("ea03")))) == []
    # Designated accounts hold Global Administrator without being in privileged_access.
    assert drift(tenant, control_map(emergency=(*accounts, upn("ea03")))) == []


def test_emergency_accounts_missing_disabled_or_no_longer_global_admin() -> None:
    tenant = GraphTenant()
    tenant.assign(tenant.user("ea01"))
    tenant.assign(tenant.user("ea02", enabled=False))
    tenant.eligible(tenant.user("ea03"))  # eligible only: no use when PIM is unreachable
    approved = control_map(emergency=(upn("ea01"), upn("ea02"), upn("ea03"), upn("gone")))
    found = approval_drift(tenant.data(), approved, NOW)
    details = [f.details for f in found if f.rule is DriftRule.EMERGENCY_ACCOUNTS]
    assert any("ea02@contoso.example is disabled" in d for d in details)
    assert any(
        "ea03@contoso.example is no longer an active Global Administrator" in d for d in details
    )
    assert any("gone@contoso.example does not exist" in d for d in details)
    assert any("only 1 of 4 designated emergency accounts work" in d for d in details)
    assert any("4 emergency accounts are designated" in d for d in details)
    too_many = next(f for f in found if "are designated" in f.details)
    assert (too_many.severity, too_many.principal.type, too_many.role) == (
        Severity.MEDIUM,
        "tenant",
        "",
    )


def test_no_emergency_accounts_designated() -> None:
    tenant = GraphTenant()
    [finding] = approval_drift(tenant.data(), control_map(), NOW)
    assert finding.rule is DriftRule.EMERGENCY_ACCOUNTS
    assert finding.severity is Severity.HIGH
    assert "no emergency accounts are designated" in finding.details


# --- what the snapshot lacks, and realism ------------------------------------------------------


def test_role_assignments_not_collected_is_an_error_naming_the_cause() -> None:
    tenant = GraphTenant()
    del tenant.payloads[ASSIGNMENTS]
    with pytest.raises(MissingData) as caught:
        approval_drift(tenant.data(), control_map(), NOW)
    assert caught.value.key == ASSIGNMENTS


def test_a_synthetic_tenant_seeded_as_it_is_drifts_only_when_a_new_admin_appears() -> None:
    spec = well_run_tenant()
    data = TenantData(copy.deepcopy(spec.data), now=NOW)
    seen = seen_access(data, approved_by="onboarding")  # what `remit map seed` approves
    approved = ControlMapDoc(
        privileged_access=list(seen.access), emergency_accounts=list(seen.emergency_accounts)
    )
    assert approval_drift(data, approved, NOW) == []
    SCENARIOS["new-global-admin"].apply(spec, {"upn": f"intruder@{spec.primary_domain}"}, NOW)
    [finding] = approval_drift(TenantData(spec.data, now=NOW), approved, NOW)
    assert finding.rule is DriftRule.UNAPPROVED_PRIVILEGED
    assert finding.principal.name == f"intruder@{spec.primary_domain}"
    assert finding.severity is Severity.CRITICAL
    assert finding.since == NOW.replace(microsecond=0)  # the PIM schedule the scenario wrote
