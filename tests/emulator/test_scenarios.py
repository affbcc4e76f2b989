"""Scenarios: each one's effect on the tenant's data, its audit event, and its errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.scenarios import SCENARIOS, ScenarioError
from remit.emulator.synthetic import PROFILE_CYCLE, generate_tenant

GA = "62e90394-69f5-4237-9190-012177145e10"
PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
AUDITS = "auditLogs/directoryAudits"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
REGISTRATION = "reports/authenticationMethods/userRegistrationDetails"
CA = "identity/conditionalAccess/policies"


def fresh(profile: str) -> TenantSpec:
    """A new copy of the first tenant of that profile in book 1 (scenarios mutate it)."""
    return generate_tenant(PROFILE_CYCLE.index(profile), 1)


def values(spec: TenantSpec, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.data[key]["value"]
    return items


def newest_audit(spec: TenantSpec) -> dict[str, Any]:
    return values(spec, AUDITS)[0]


def user_by_upn(spec: TenantSpec, upn: str) -> dict[str, Any]:
    return next(u for u in values(spec, "users") if u["userPrincipalName"] == upn)


def role_members(spec: TenantSpec, template_id: str) -> set[str]:
    role = next(r for r in values(spec, "directoryRoles") if r["roleTemplateId"] == template_id)
    return {m["id"] for m in values(spec, f"directoryRoles/{role['id']}/members")}


def test_the_scenario_names_are_the_interface() -> None:
    assert set(SCENARIOS) == {
        "new-global-admin",
        "admin-mfa-removed",
        "ca-policy-disabled",
        "ca-policy-deleted",
        "guest-privileged-role",
        "security-defaults-off",
        "app-credential-added",
    }
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name
        assert scenario.summary


def test_scenario_error_is_a_value_error_and_unknown_params_are_refused() -> None:
    assert issubclass(ScenarioError, ValueError)
    with pytest.raises(ScenarioError, match=r"unknown parameter 'colour'.*accepts: actor"):
        SCENARIOS["security-defaults-off"].apply(
            fresh("small-office-secdefaults"), {"colour": "x"}, NOW
        )
    with pytest.raises(ScenarioError, match="non-empty"):
        SCENARIOS["new-global-admin"].apply(fresh("small-office-no-ca"), {"upn": " "}, NOW)


def test_new_global_admin_appears_everywhere_with_audit_events() -> None:
    spec = fresh("business-premium-gaps")
    before = len(values(spec, "users"))
    upn = f"backdoor@{spec.primary_domain}"
    actor = "itsupport@" + next(d["id"] for d in values(spec, "domains") if d["isInitial"])
    message = SCENARIOS["new-global-admin"].apply(
        spec, {"upn": upn, "display_name": "Backup Admin", "actor": actor}, NOW
    )
    assert upn in message
    assert len(values(spec, "users")) == before + 1
    user = user_by_upn(spec, upn)
    assert user["userType"] == "Member"
    assert user["displayName"] == "Backup Admin"
    assert user["id"] in role_members(spec, GA)
    assert any(
        a["principalId"] == user["id"] and a["roleDefinitionId"] == GA
        for a in values(spec, ASSIGNMENTS)
    )
    details = next(r for r in values(spec, REGISTRATION) if r["id"] == user["id"])
    assert details["isAdmin"] is True
    assert details["isMfaRegistered"] is False
    methods = values(spec, f"users/{user['id']}/authentication/methods")
    assert [m["@odata.type"] for m in methods] == ["#microsoft.graph.passwordAuthenticationMethod"]
    first, second = values(spec, AUDITS)[:2]
    assert first["activityDisplayName"] == "Add member to role"
    assert first["activityDateTime"] == "2026-11-02T09:30:00Z"
    assert first["initiatedBy"]["user"]["userPrincipalName"] == actor
    assert first["targetResources"][0]["id"] == user["id"]
    assert first["targetResources"][0]["modifiedProperties"][0]["newValue"] == (
        '"Global Administrator"'
    )
    assert second["activityDisplayName"] == "Add user"
    with pytest.raises(ScenarioError, match="already exists"):
        SCENARIOS["new-global-admin"].apply(spec, {"upn": upn}, NOW)


def test_new_global_admin_in_a_p2_tenant_also_gets_a_pim_schedule() -> None:
    spec = fresh("well-run-pim")
    SCENARIOS["new-global-admin"].apply(spec, {}, NOW)
    user = user_by_upn(spec, f"tempadmin@{spec.primary_domain}")
    schedules = values(spec, "roleManagement/directory/roleAssignmentSchedules")
    mine = [s for s in schedules if s["principalId"] == user["id"]]
    assert len(mine) == 1
    assert mine[0]["roleDefinitionId"] == GA
    assert mine[0]["scheduleInfo"]["expiration"]["type"] == "noExpiration"
    # The default actor is the tenant's first enabled member Global Administrator.
    actor = newest_audit(spec)["initiatedBy"]["user"]
    assert GA in {
        a["roleDefinitionId"] for a in values(spec, ASSIGNMENTS) if a["principalId"] == actor["id"]
    }


def test_admin_mfa_removed_leaves_only_the_password() -> None:
    spec = fresh("mid-size-hybrid")
    message = SCENARIOS["admin-mfa-removed"].apply(spec, {}, NOW)
    upn = message.split("admin ")[1].split(";")[0]
    user = user_by_upn(spec, upn)
    methods = values(spec, f"users/{user['id']}/authentication/methods")
    assert [m["@odata.type"] for m in methods] == ["#microsoft.graph.passwordAuthenticationMethod"]
    details = next(r for r in values(spec, REGISTRATION) if r["id"] == user["id"])
    assert details["isMfaRegistered"] is False
    assert details["methodsRegistered"] == []
    event = newest_audit(spec)
    assert event["activityDisplayName"] == "Admin deleted security info"
    assert event["targetResources"][0]["userPrincipalName"] == upn
    with pytest.raises(ScenarioError, match="no MFA method"):
        SCENARIOS["admin-mfa-removed"].apply(spec, {"user": upn}, NOW)


def test_admin_mfa_removed_refuses_non_admins_and_unknown_users() -> None:
    spec = fresh("small-office-secdefaults")
    admins = {a["principalId"] for a in values(spec, ASSIGNMENTS)}
    staff = next(u for u in values(spec, "users") if u["id"] not in admins)
    with pytest.raises(ScenarioError, match="holds no directory role"):
        SCENARIOS["admin-mfa-removed"].apply(spec, {"user": staff["userPrincipalName"]}, NOW)
    with pytest.raises(ScenarioError, match="no user with id or UPN"):
        SCENARIOS["admin-mfa-removed"].apply(spec, {"user": "nobody@nowhere.example"}, NOW)


def test_ca_policy_disabled_by_default_and_by_name() -> None:
    spec = fresh("well-run-pim")
    first_enabled = next(p for p in values(spec, CA) if p["state"] == "enabled")
    SCENARIOS["ca-policy-disabled"].apply(spec, {}, NOW)
    assert first_enabled["state"] == "disabled"
    assert first_enabled["modifiedDateTime"] == "2026-11-02T09:30:00Z"
    event = newest_audit(spec)
    assert event["activityDisplayName"] == "Update conditional access policy"
    assert event["loggedByService"] == "Conditional Access"
    assert event["targetResources"][0]["id"] == first_enabled["id"]
    change = event["targetResources"][0]["modifiedProperties"][0]
    assert json.loads(change["oldValue"])["state"] == "enabled"
    assert json.loads(change["newValue"])["state"] == "disabled"
    name = "CA003 - Block legacy authentication"
    SCENARIOS["ca-policy-disabled"].apply(spec, {"policy": name.upper()}, NOW)
    assert next(p for p in values(spec, CA) if p["displayName"] == name)["state"] == "disabled"
    with pytest.raises(ScenarioError, match="already disabled"):
        SCENARIOS["ca-policy-disabled"].apply(spec, {"policy": name}, NOW)
    with pytest.raises(ScenarioError, match="no conditional access policy 'nope'"):
        SCENARIOS["ca-policy-disabled"].apply(spec, {"policy": "nope"}, NOW)


def test_ca_scenarios_refuse_a_tenant_without_policies() -> None:
    spec = fresh("small-office-no-ca")
    for name in ("ca-policy-disabled", "ca-policy-deleted"):
        with pytest.raises(ScenarioError, match="no conditional access policies"):
            SCENARIOS[name].apply(spec, {}, NOW)


def test_ca_policy_deleted_removes_it_and_records_the_old_policy() -> None:
    spec = fresh("business-premium-gaps")
    policy = next(p for p in values(spec, CA) if p["state"] == "enabled")
    count = len(values(spec, CA))
    message = SCENARIOS["ca-policy-deleted"].apply(spec, {"policy": policy["id"]}, NOW)
    assert policy["displayName"] in message
    assert len(values(spec, CA)) == count - 1
    assert policy["id"] not in {p["id"] for p in values(spec, CA)}
    event = newest_audit(spec)
    assert event["activityDisplayName"] == "Delete conditional access policy"
    change = event["targetResources"][0]["modifiedProperties"][0]
    assert json.loads(change["oldValue"])["id"] == policy["id"]
    assert change["newValue"] is None


def test_guest_privileged_role_uses_an_existing_guest() -> None:
    spec = fresh("guest-heavy-agency")
    message = SCENARIOS["guest-privileged-role"].apply(
        spec, {"role": "Privileged Role Administrator"}, NOW
    )
    upn = message.split("guest ")[1].split(" now")[0]
    guest = user_by_upn(spec, upn)
    assert guest["userType"] == "Guest"
    assert guest["id"] in role_members(spec, PRA)
    registration = values(spec, "reports/authenticationMethods/userRegistrationDetails")
    assert next(r for r in registration if r["id"] == guest["id"])["isAdmin"] is True
    event = newest_audit(spec)
    assert event["activityDisplayName"] == "Add member to role"
    assert event["targetResources"][0]["id"] == guest["id"]
    with pytest.raises(ScenarioError, match="already holds"):
        SCENARIOS["guest-privileged-role"].apply(spec, {"role": PRA, "user": guest["id"]}, NOW)
    with pytest.raises(ScenarioError, match="unknown directory role"):
        SCENARIOS["guest-privileged-role"].apply(spec, {"role": "Overlord"}, NOW)
    member = next(u for u in values(spec, "users") if u["userType"] == "Member")
    with pytest.raises(ScenarioError, match="is not a guest"):
        SCENARIOS["guest-privileged-role"].apply(spec, {"user": member["id"]}, NOW)


def test_guest_privileged_role_invites_a_guest_when_there_is_none() -> None:
    spec = fresh("small-office-secdefaults")
    spec.data["users"]["value"] = [u for u in values(spec, "users") if u["userType"] == "Member"]
    SCENARIOS["guest-privileged-role"].apply(spec, {}, NOW)
    guests = [u for u in values(spec, "users") if u["userType"] == "Guest"]
    assert len(guests) == 1
    assert "#EXT#@" in guests[0]["userPrincipalName"]
    assert guests[0]["id"] in role_members(spec, GA)
    activities = [e["activityDisplayName"] for e in values(spec, AUDITS)[:2]]
    assert activities == ["Add member to role", "Invite external user"]
    # The registration report lists guests too: the new one, an admin with no MFA method.
    details = next(
        r
        for r in values(spec, "reports/authenticationMethods/userRegistrationDetails")
        if r["id"] == guests[0]["id"]
    )
    assert (details["userType"], details["isAdmin"], details["isMfaRegistered"]) == (
        "guest",
        True,
        False,
    )


def test_security_defaults_off() -> None:
    spec = fresh("small-office-secdefaults")
    SCENARIOS["security-defaults-off"].apply(spec, {"actor": "someone@partner.example"}, NOW)
    assert spec.data["policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"] is False
    event = newest_audit(spec)
    assert event["targetResources"][0]["displayName"] == "Security Defaults"
    assert event["initiatedBy"]["user"]["userPrincipalName"] == "someone@partner.example"
    with pytest.raises(ScenarioError, match="already off"):
        SCENARIOS["security-defaults-off"].apply(spec, {}, NOW)


def test_app_credential_added() -> None:
    spec = fresh("business-premium-gaps")
    app = next(a for a in values(spec, "applications") if a["displayName"] == "Xero Sync")
    before = len(app["passwordCredentials"])
    SCENARIOS["app-credential-added"].apply(spec, {"app": "xero sync", "days": "90"}, NOW)
    assert len(app["passwordCredentials"]) == before + 1
    credential = app["passwordCredentials"][-1]
    assert credential["endDateTime"] == (NOW + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = newest_audit(spec)
    assert event["category"] == "ApplicationManagement"
    assert event["targetResources"][0]["id"] == app["id"]
    SCENARIOS["app-credential-added"].apply(spec, {"app": app["appId"], "days": 30}, NOW)  # type: ignore[dict-item]
    assert app["passwordCredentials"][-1]["endDateTime"] == "2026-12-02T09:30:00Z"
    for bad in ("0", "ten", "5000"):
        with pytest.raises(ScenarioError, match="days"):
            SCENARIOS["app-credential-added"].apply(spec, {"days": bad}, NOW)
    with pytest.raises(ScenarioError, match="no application 'nope'"):
        SCENARIOS["app-credential-added"].apply(spec, {"app": "nope"}, NOW)


def test_applying_the_same_scenario_at_the_same_time_is_deterministic() -> None:
    first, second = fresh("small-office-no-ca"), fresh("small-office-no-ca")
    for spec in (first, second):
        SCENARIOS["new-global-admin"].apply(spec, {}, NOW)
        SCENARIOS["guest-privileged-role"].apply(spec, {}, NOW)
    assert json.dumps(first.data) == json.dumps(second.data)


def test_scenarios_work_on_a_minimal_hand_written_fixture() -> None:
    spec = TenantSpec(
        tenant_id="11111111-1111-4111-8111-111111111111",
        display_name="Fixture",
        primary_domain="fixture.example",
        client_id="22222222-2222-4222-8222-222222222222",
        client_secret="x",
        granted_permissions=frozenset(),
        licenses=frozenset(),
        data={"users": {"value": []}},
    )
    SCENARIOS["new-global-admin"].apply(spec, {"upn": "boss@fixture.example"}, NOW)
    user = user_by_upn(spec, "boss@fixture.example")
    assert user["id"] in role_members(spec, GA)
    assert len(values(spec, AUDITS)) == 2
