"""Synthetic tenants: deterministic, varied like a real MSP book, and internally consistent."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE, TenantSpec
from remit.emulator.synthetic import (
    DEFAULT_PERMISSIONS,
    MISSING_PERMISSION,
    PROFILE_CYCLE,
    PROFILES,
    REFERENCE_NOW,
    generate_tenant,
    generate_tenants,
    tenant_header,
)

GA = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED = {
    "62e90394-69f5-4237-9190-012177145e10",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
}
FEATURE_PLANS = {
    "AAD_PREMIUM": LICENSE_ENTRA_P1,
    "AAD_PREMIUM_P2": LICENSE_ENTRA_P2,
    "INTUNE_A": LICENSE_INTUNE,
}
SEED = 1


@cache
def tenant(profile: str, seed: int = SEED) -> TenantSpec:
    """The first tenant of that profile in the book (generated once; tests must not mutate)."""
    return generate_tenant(PROFILE_CYCLE.index(profile), seed)


def values(spec: TenantSpec, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.data[key]["value"]
    return items


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def global_admins(spec: TenantSpec) -> list[dict[str, Any]]:
    users = {u["id"]: u for u in values(spec, "users")}
    ids = [
        a["principalId"]
        for a in values(spec, "roleManagement/directory/roleAssignments")
        if a["roleDefinitionId"] == GA
    ]
    return [users[i] for i in ids]


def fingerprint(spec: TenantSpec) -> str:
    return hashlib.sha256(json.dumps(spec.data).encode()).hexdigest()


# --- Determinism ---------------------------------------------------------------------------------


def test_same_inputs_give_identical_json() -> None:
    first, second = generate_tenant(1, 42), generate_tenant(1, 42)
    assert json.dumps(first.data) == json.dumps(second.data)
    assert (first.tenant_id, first.client_secret) == (second.tenant_id, second.client_secret)


def test_data_does_not_depend_on_the_python_hash_seed() -> None:
    code = (
        "import hashlib, json; from remit.emulator.synthetic import generate_tenant; "
        "print(hashlib.sha256(json.dumps(generate_tenant(7, 3).data).encode()).hexdigest())"
    )
    expected = fingerprint(generate_tenant(7, 3))
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(sys.path)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def test_different_seeds_give_different_ids() -> None:
    a, b = generate_tenant(0, 1), generate_tenant(0, 2)
    assert a.tenant_id != b.tenant_id
    assert a.client_id != b.client_id
    assert not {u["id"] for u in values(a, "users")} & {u["id"] for u in values(b, "users")}


def test_now_moves_the_data_and_defaults_to_the_reference_date() -> None:
    assert datetime(2026, 11, 1, tzinfo=UTC) == REFERENCE_NOW
    assert fingerprint(generate_tenant(2, 5)) == fingerprint(generate_tenant(2, 5, REFERENCE_NOW))
    later = generate_tenant(2, 5, REFERENCE_NOW + timedelta(days=30))
    newest = values(later, "security/secureScores")[0]["createdDateTime"]
    assert ts(newest).date() == (REFERENCE_NOW + timedelta(days=30)).date()


def test_header_matches_the_full_tenant_and_has_no_data() -> None:
    for index in range(16):
        header, full = tenant_header(index, 9), generate_tenant(index, 9)
        assert header.data == {}
        assert (
            header.tenant_id,
            header.display_name,
            header.primary_domain,
            header.client_id,
            header.client_secret,
            header.profile,
            header.granted_permissions,
            header.licenses,
        ) == (
            full.tenant_id,
            full.display_name,
            full.primary_domain,
            full.client_id,
            full.client_secret,
            full.profile,
            full.granted_permissions,
            full.licenses,
        )


def test_generate_tenants_is_the_first_n_tenants() -> None:
    book = generate_tenants(3, 11)
    assert [t.tenant_id for t in book] == [generate_tenant(i, 11).tenant_id for i in range(3)]
    assert generate_tenants(0, 11) == []
    with pytest.raises(ValueError, match="count"):
        generate_tenants(-1, 11)
    with pytest.raises(ValueError, match="index"):
        tenant_header(-1, 11)


def test_a_thousand_headers_never_collide() -> None:
    headers = [tenant_header(i, 1) for i in range(1000)]
    for field in ("tenant_id", "client_id", "client_secret", "primary_domain", "display_name"):
        assert len({getattr(h, field) for h in headers}) == 1000, field


def test_secrets_look_like_entra_client_secrets() -> None:
    for index in range(8):
        secret = tenant_header(index, 1).client_secret
        assert len(secret) == 40
        assert secret[3:6] == "8Q~"


# --- The book ----------------------------------------------------------------------------------


def test_every_profile_appears_in_the_first_eight_tenants() -> None:
    assert {tenant_header(i, 1).profile for i in range(8)} == set(PROFILES)
    assert sum(p.startswith("small-office") for p in PROFILE_CYCLE) == len(PROFILE_CYCLE) // 2


def test_sizes_vary_within_each_profile_range() -> None:
    sizes: dict[str, list[int]] = {}
    for index in range(40):
        spec = generate_tenant(index, 4) if index % 8 != 3 else None  # well-run ones are big
        if spec is None:
            continue
        members = sum(u["userType"] == "Member" for u in values(spec, "users"))
        sizes.setdefault(spec.profile, []).append(members)
        low, high = PROFILES[spec.profile].users
        assert low <= members <= high, (spec.profile, members)
    assert all(len(set(found)) > 1 for found in sizes.values())
    assert min(sizes["small-office-no-ca"]) >= 5


def test_every_seventh_tenant_lacks_audit_log_permission() -> None:
    for index in range(21):
        granted = tenant_header(index, 1).granted_permissions
        if index % 7 == 6:
            assert granted == DEFAULT_PERMISSIONS - {MISSING_PERMISSION}
        else:
            assert granted == DEFAULT_PERMISSIONS
    assert MISSING_PERMISSION == "AuditLog.Read.All"
    assert {"User.Read.All", "Policy.Read.All", "RoleManagement.Read.Directory"} <= (
        DEFAULT_PERMISSIONS
    )


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_licences_match_the_service_plans_of_the_subscribed_skus(profile: str) -> None:
    spec = tenant(profile)
    plans = {
        plan["servicePlanName"]
        for sku in values(spec, "subscribedSkus")
        for plan in sku["servicePlans"]
    }
    assert spec.licenses == {FEATURE_PLANS[p] for p in plans if p in FEATURE_PLANS}
    assigned = {lic["skuId"] for u in values(spec, "users") for lic in u["assignedLicenses"]}
    assert assigned <= {sku["skuId"] for sku in values(spec, "subscribedSkus")}
    assert ("deviceManagement/managedDevices" in spec.data) == (LICENSE_INTUNE in spec.licenses)
    pim = "roleManagement/directory/roleEligibilitySchedules" in spec.data
    assert pim == (LICENSE_ENTRA_P2 in spec.licenses)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_keys_refer_to_each_other_consistently(profile: str) -> None:
    spec = tenant(profile)
    data = spec.data
    users = {u["id"]: u for u in values(spec, "users")}
    groups = {g["id"]: g for g in values(spec, "groups")}
    definitions = {d["id"] for d in values(spec, "roleManagement/directory/roleDefinitions")}
    assignments = values(spec, "roleManagement/directory/roleAssignments")
    for assignment in assignments:
        assert assignment["principalId"] in users.keys() | groups.keys()
        assert assignment["roleDefinitionId"] in definitions
    for group_id in groups:
        members = values(spec, f"groups/{group_id}/members")
        assert {m["id"] for m in members} <= users.keys() | groups.keys()
    for role in values(spec, "directoryRoles"):
        role_members = {m["id"] for m in values(spec, f"directoryRoles/{role['id']}/members")}
        holders = {
            a["principalId"] for a in assignments if a["roleDefinitionId"] == role["roleTemplateId"]
        }
        assert role_members == holders
    registration = values(spec, "reports/authenticationMethods/userRegistrationDetails")
    # Graph's registration report lists guests too (userType "guest").
    assert {r["id"]: r["userType"] for r in registration} == {
        u["id"]: u["userType"].lower() for u in users.values()
    }
    admins = {a["principalId"] for a in assignments} & users.keys()
    admins |= {
        s["principalId"]
        for s in data.get("roleManagement/directory/roleEligibilitySchedules", {"value": []})[
            "value"
        ]
    }
    for user_id in admins:
        methods = values(spec, f"users/{user_id}/authentication/methods")
        assert methods[0]["@odata.type"] == "#microsoft.graph.passwordAuthenticationMethod"
        details = next(r for r in registration if r["id"] == user_id)
        assert details["isAdmin"] is True
        assert details["isMfaRegistered"] == (len(methods) > 1)
    organization = values(spec, "organization")[0]
    assert organization["id"] == spec.tenant_id
    assert spec.primary_domain in {d["id"] for d in values(spec, "domains") if d["isDefault"]}
    remit = [a for a in values(spec, "applications") if a["appId"] == spec.client_id]
    assert remit
    assert remit[0]["passwordCredentials"][0]["hint"] == spec.client_secret[:3]
    assert any(sp["appId"] == spec.client_id for sp in values(spec, "servicePrincipals"))
    audits = [e["activityDateTime"] for e in values(spec, "auditLogs/directoryAudits")]
    assert audits == sorted(audits, reverse=True)
    scores = [s["createdDateTime"] for s in values(spec, "security/secureScores")]
    assert len(scores) == 30
    assert scores == sorted(scores, reverse=True)
    profiles = {c["id"]: c["maxScore"] for c in values(spec, "security/secureScoreControlProfiles")}
    for score in values(spec, "security/secureScores"):
        controls = {c["controlName"]: c["score"] for c in score["controlScores"]}
        assert controls.keys() == profiles.keys()  # the same names every day
        assert all(0 <= controls[name] <= profiles[name] for name in controls)
        assert score["currentScore"] == pytest.approx(sum(controls.values()), abs=0.01)
        assert score["maxScore"] == sum(profiles.values())
    for user in users.values():
        activity = user["signInActivity"]
        if activity:  # the latest successful sign-in, interactive or not
            moments = [
                activity["lastSignInDateTime"],
                activity["lastNonInteractiveSignInDateTime"],
            ]
            assert activity["lastSuccessfulSignInDateTime"] == max(m for m in moments if m)


# --- Realistic findings --------------------------------------------------------------------------


def test_small_office_without_ca_has_the_classic_findings() -> None:
    spec = tenant("small-office-no-ca")
    admins = global_admins(spec)
    assert len(admins) == 5
    assert spec.data["policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"] is False
    assert values(spec, "identity/conditionalAccess/policies") == []
    assert LICENSE_ENTRA_P1 not in spec.licenses
    daily_drivers = [u for u in admins if u["mail"] and u["assignedLicenses"]]
    assert len(daily_drivers) >= 2
    stale = [
        u
        for u in admins
        if u["signInActivity"]
        and ts(u["signInActivity"]["lastSignInDateTime"]) < REFERENCE_NOW - timedelta(days=90)
    ]
    assert stale
    registration = {
        r["id"]: r for r in values(spec, "reports/authenticationMethods/userRegistrationDetails")
    }
    assert sum(not registration[u["id"]]["isMfaRegistered"] for u in admins) >= 2
    policy = spec.data["policies/authorizationPolicy"]
    assert policy["allowInvitesFrom"] == "everyone"
    assert any(
        "legacy" in p
        for p in policy["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    )
    assert policy["guestUserRoleId"] == "a0b1b346-4d3e-4e8b-98f8-753987be4970"


def test_small_office_with_security_defaults() -> None:
    spec = tenant("small-office-secdefaults")
    assert spec.data["policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"] is True
    assert 2 <= len(global_admins(spec)) <= 3
    assert values(spec, "identity/conditionalAccess/policies") == []


def test_business_premium_tenant_has_ca_with_gaps() -> None:
    spec = tenant("business-premium-gaps")
    policies = {p["displayName"]: p for p in values(spec, "identity/conditionalAccess/policies")}
    states = {p["state"] for p in policies.values()}
    assert {"enabled", "disabled", "enabledForReportingButNotEnforced"} <= states
    legacy = [p for p in policies.values() if "other" in p["conditions"]["clientAppTypes"]]
    assert legacy
    assert all(p["state"] == "disabled" for p in legacy)
    excluding = [p for p in policies.values() if p["conditions"]["users"]["excludeGroups"]]
    group_id = excluding[0]["conditions"]["users"]["excludeGroups"][0]
    members = sum(u["userType"] == "Member" for u in values(spec, "users"))
    assert len(values(spec, f"groups/{group_id}/members")) >= members * 0.2
    soon = [
        c
        for app in values(spec, "applications")
        for c in app["passwordCredentials"]
        if ts(c["endDateTime"]) == REFERENCE_NOW + timedelta(days=10)
    ]
    assert soon
    bare_admins = [
        u
        for u in global_admins(spec)
        if len(values(spec, f"users/{u['id']}/authentication/methods")) == 1
    ]
    assert bare_admins
    devices = values(spec, "deviceManagement/managedDevices")
    assert any(d["complianceState"] == "noncompliant" for d in devices)
    assert any(not d["isEncrypted"] for d in devices)


def test_well_run_tenant_uses_pim_approval_and_emergency_accounts() -> None:
    spec = tenant("well-run-pim")
    eligible = values(spec, "roleManagement/directory/roleEligibilitySchedules")
    assert any(e["roleDefinitionId"] == GA for e in eligible)
    assert all(e["status"] == "Provisioned" and e["memberType"] == "Direct" for e in eligible)
    assignment = next(
        a
        for a in values(spec, "policies/roleManagementPolicyAssignments")
        if a["roleDefinitionId"] == GA
    )
    rules = {r["id"]: r for r in assignment["policy"]["rules"]}
    approval = rules["Approval_EndUser_Assignment"]["setting"]
    assert approval["isApprovalRequired"] is True
    assert approval["approvalStages"][0]["primaryApprovers"]
    assert rules["Notification_Admin_EndUser_Assignment"]["notificationRecipients"]
    emergency = global_admins(spec)
    assert len(emergency) == 2
    for account in emergency:
        assert account["onPremisesSyncEnabled"] is None
        assert account["assignedLicenses"] == []
    enabled = [
        p for p in values(spec, "identity/conditionalAccess/policies") if p["state"] == "enabled"
    ]
    assert enabled
    for policy in enabled:
        assert {a["id"] for a in emergency} <= set(policy["conditions"]["users"]["excludeUsers"])
    strong = [
        p
        for p in enabled
        if (p["grantControls"]["authenticationStrength"] or {}).get("id")
        == "00000000-0000-0000-0000-000000000004"
    ]
    assert strong
    assert GA in strong[0]["conditions"]["users"]["includeRoles"]
    assert any(
        "other" in p["conditions"]["clientAppTypes"]
        and p["grantControls"]["builtInControls"] == ["block"]
        for p in enabled
    )
    devices = values(spec, "deviceManagement/managedDevices")
    assert all(d["isEncrypted"] and d["complianceState"] == "compliant" for d in devices)
    stale = [d for d in devices if ts(d["lastSyncDateTime"]) < REFERENCE_NOW - timedelta(days=30)]
    assert len(stale) <= 0.01 * len(devices)


def _enabled_policies(spec: TenantSpec) -> list[dict[str, Any]]:
    return [
        p for p in values(spec, "identity/conditionalAccess/policies") if p["state"] == "enabled"
    ]


def test_well_run_tenant_meets_the_scuba_ca_and_method_baselines() -> None:
    spec = tenant("well-run-pim")
    enabled = _enabled_policies(spec)
    everyone = [p for p in enabled if p["conditions"]["users"]["includeUsers"] == ["All"]]
    blocks = [p for p in everyone if p["grantControls"]["builtInControls"] == ["block"]]
    assert any(p["conditions"]["userRiskLevels"] == ["high"] for p in blocks)
    assert any(
        (p["conditions"]["authenticationFlows"] or {}).get("transferMethods") == "deviceCodeFlow"
        for p in blocks
    )
    registration = [
        p
        for p in everyone
        if p["conditions"]["applications"]["includeUserActions"]
        == ["urn:user:registersecurityinfo"]
    ]
    assert len(registration) == 1
    assert registration[0]["conditions"]["applications"]["includeApplications"] == []
    assert set(registration[0]["grantControls"]["builtInControls"]) == {
        "compliantDevice",
        "domainJoinedDevice",
    }
    methods = {
        c["id"]: c["state"]
        for c in spec.data["policies/authenticationMethodsPolicy"][
            "authenticationMethodConfigurations"
        ]
    }
    assert methods["Sms"] == methods["Voice"] == methods["Email"] == "disabled"
    # CA requires MFA for everyone, so every enabled member who has signed in has registered.
    registration_details = {
        r["id"]: r for r in values(spec, "reports/authenticationMethods/userRegistrationDetails")
    }
    signed_in = [
        u
        for u in values(spec, "users")
        if u["userType"] == "Member" and u["accountEnabled"] and u["signInActivity"]
    ]
    assert signed_in
    assert all(registration_details[u["id"]]["isMfaRegistered"] for u in signed_in)


def test_hybrid_tenant_syncs_most_users_including_a_global_admin() -> None:
    spec = tenant("mid-size-hybrid")
    members = [u for u in values(spec, "users") if u["userType"] == "Member"]
    assert sum(bool(u["onPremisesSyncEnabled"]) for u in members) > 0.8 * len(members)
    assert any(u["onPremisesSyncEnabled"] for u in global_admins(spec))
    assert spec.data["organization"]["value"][0]["onPremisesSyncEnabled"] is True


def test_agency_has_many_guests_and_one_privileged_guest() -> None:
    spec = tenant("guest-heavy-agency")
    users = {u["id"]: u for u in values(spec, "users")}
    guests = [u for u in users.values() if u["userType"] == "Guest"]
    assert len(guests) >= 40
    privileged = [
        users[a["principalId"]]
        for a in values(spec, "roleManagement/directory/roleAssignments")
        if a["roleDefinitionId"] in PRIVILEGED and a["principalId"] in users
    ]
    assert [u["userType"] for u in privileged].count("Guest") == 1
    assert all("#EXT#@" in u["userPrincipalName"] for u in guests)


def test_hybrid_sync_account_signed_in_within_the_hour_and_synced_users_carry_an_anchor() -> None:
    spec = tenant("mid-size-hybrid")
    users = {u["id"]: u for u in values(spec, "users")}
    sync_role = "d29b2b05-8046-44ba-8758-1e26182fcf32"  # Directory Synchronization Accounts
    sync_ids = [
        a["principalId"]
        for a in values(spec, "roleManagement/directory/roleAssignments")
        if a["roleDefinitionId"] == sync_role
    ]
    assert len(sync_ids) == 1
    activity = users[sync_ids[0]]["signInActivity"]
    for field in (
        "lastSignInDateTime",
        "lastNonInteractiveSignInDateTime",
        "lastSuccessfulSignInDateTime",
    ):
        assert REFERENCE_NOW - timedelta(hours=1) <= ts(activity[field]) < REFERENCE_NOW, field
    for user in users.values():
        anchor = user["onPremisesImmutableId"]
        if user["onPremisesSyncEnabled"]:
            assert len(base64.b64decode(anchor, validate=True)) == 16  # the objectGUID
        else:
            assert anchor is None


def test_registration_details_list_guests_without_methods() -> None:
    spec = tenant("guest-heavy-agency")
    guests = [
        r
        for r in values(spec, "reports/authenticationMethods/userRegistrationDetails")
        if r["userType"] == "guest"
    ]
    assert len(guests) >= 40
    assert all("#EXT#@" in r["userPrincipalName"] for r in guests)
    admins = [r for r in guests if r["isAdmin"]]
    assert len(admins) == 1  # the guest holding Application Administrator
    assert admins[0]["isMfaRegistered"] is False


APP_POLICY = "policies/defaultAppManagementPolicy"


def test_only_the_well_run_tenant_restricts_app_credentials() -> None:
    well_run = tenant("well-run-pim").data[APP_POLICY]
    assert well_run["isEnabled"] is True
    for scope in ("applicationRestrictions", "servicePrincipalRestrictions"):
        passwords = {r["restrictionType"]: r for r in well_run[scope]["passwordCredentials"]}
        keys = {r["restrictionType"]: r for r in well_run[scope]["keyCredentials"]}
        for kind in ("passwordAddition", "symmetricKeyAddition"):
            assert passwords[kind]["state"] == "enabled"
            assert passwords[kind]["restrictForAppsCreatedAfterDateTime"] is None
        assert passwords["passwordLifetime"]["maxLifetime"] == "P180D"
        assert keys["asymmetricKeyLifetime"]["maxLifetime"] == "P365D"
    for profile in sorted(set(PROFILES) - {"well-run-pim"}):
        policy = tenant(profile).data[APP_POLICY]
        assert policy["id"] == well_run["id"] == "00000000-0000-0000-0000-000000000000"
        assert policy["isEnabled"] is False, profile
        assert policy["servicePrincipalRestrictions"] == {
            "passwordCredentials": [],
            "keyCredentials": [],
        }


def _score_course(spec: TenantSpec) -> tuple[float, float, float]:
    """(max score, share today in %, change over the 30 days in percentage points)."""
    scores = values(spec, "security/secureScores")

    def share(score: dict[str, Any]) -> float:
        return 100 * float(score["currentScore"]) / float(score["maxScore"])

    return float(scores[0]["maxScore"]), share(scores[0]), share(scores[0]) - share(scores[-1])


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_secure_score_is_sized_by_licences_and_follows_each_profile(seed: int) -> None:
    course = {p: _score_course(tenant(p, seed)) for p in PROFILES}
    maxima = {p: m for p, (m, _, _) in course.items()}
    assert all(150 <= m <= 420 for m in maxima.values()), maxima
    # E5 > Business Premium > Business Basic/Standard.
    assert maxima["well-run-pim"] > maxima["business-premium-gaps"] > maxima["small-office-no-ca"]
    no_ca, secdefaults = course["small-office-no-ca"], course["small-office-secdefaults"]
    assert no_ca[1] < 40  # neglected ...
    assert no_ca[2] == 0  # ... and flat
    assert secdefaults[1] >= 40  # above the FAIL line, but sliding: the trend warning shows
    assert secdefaults[2] < -5
    assert 70 <= course["well-run-pim"][1] <= 85
    assert course["well-run-pim"][2] == 0
    assert 0 < course["business-premium-gaps"][2] <= 7  # rising slowly
