"""SCuBA conditional-access checks (MS.AAD.1.1, 2.1, 2.3, 3.1, 3.2, 3.6, 3.7, 3.8, 3.9): what
counts as a qualifying policy, per the baseline's implementation sections and ScubaGear's Rego."""

from __future__ import annotations

from typing import Any

import pytest

from remit.domain import EndpointOutcome
from remit.posture.model import Status
from remit.posture.views import HIGHLY_PRIVILEGED_ROLES
from tests.posture.scuba_fixtures import (
    CA,
    EA1,
    EA2,
    EMERGENCY_GROUP,
    ENTRA_P1,
    EXCHANGE_ADMIN,
    GA,
    HYBRID_IDENTITY_ADMIN,
    JO,
    MFA_EXCLUSIONS,
    MFA_STRENGTH,
    REGISTER_SECURITY_INFO,
    SECURITY_DEFAULTS,
    ca_policy,
    compliant,
    gid,
    member_ref,
    resource_ids,
    run,
    snapshot,
    strength,
    uid,
    user,
)

CA_CHECKS = [
    "MS.AAD.1.1",
    "MS.AAD.2.1",
    "MS.AAD.2.3",
    "MS.AAD.3.1",
    "MS.AAD.3.2",
    "MS.AAD.3.6",
    "MS.AAD.3.7",
    "MS.AAD.3.8",
    "MS.AAD.3.9",
]
EMERGENCY = [uid(EA1), uid(EA2)]


def with_policies(*policies: dict[str, Any]) -> dict[str, Any]:
    payloads = compliant()
    payloads[CA] = {"value": list(policies)}
    return payloads


def legacy(name: str, **options: Any) -> dict[str, Any]:
    """A policy that blocks legacy authentication, the way MS.AAD.1.1's instructions set it."""
    return ca_policy(
        name, controls=["block"], client_apps=["exchangeActiveSync", "other"], **options
    )


# --- every CA check: pass, missing licence, no policies ----------------------------------------


@pytest.mark.parametrize("check_id", CA_CHECKS)
def test_the_compliant_tenant_passes_and_names_its_policy(check_id: str) -> None:
    outcome = run(check_id, snapshot(compliant()))
    assert outcome.status is Status.PASS, outcome.details
    assert len(outcome.resources) >= 1
    assert all(r.type == "policy" for r in outcome.resources)
    # The emergency-access exclusions are accepted, and said so.
    assert f"Only emergency-access accounts are excluded: {EA1} and {EA2}." in outcome.details


@pytest.mark.parametrize("check_id", CA_CHECKS)
def test_without_entra_p1_every_ca_check_is_an_error_naming_the_licence(check_id: str) -> None:
    data = snapshot(compliant(), missing=[(CA, EndpointOutcome.LICENSE_REQUIRED, ENTRA_P1)])
    outcome = run(check_id, data)
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the tenant has no Microsoft Entra ID P1 licence (needed for "
        "identity/conditionalAccess/policies)"
    )


@pytest.mark.parametrize("check_id", CA_CHECKS)
def test_a_missing_permission_is_an_error_naming_it(check_id: str) -> None:
    data = snapshot(
        compliant(), missing=[(CA, EndpointOutcome.MISSING_PERMISSION, "Policy.Read.All")]
    )
    outcome = run(check_id, data)
    assert outcome.status is Status.ERROR
    assert "Policy.Read.All" in outcome.details


@pytest.mark.parametrize("check_id", CA_CHECKS)
def test_no_policies_at_all_fails_and_says_security_defaults_do_not_count(check_id: str) -> None:
    payloads = with_policies()
    payloads[SECURITY_DEFAULTS]["isEnabled"] = True
    outcome = run(check_id, snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "The tenant has no conditional-access policies. Security defaults are on, but SCuBA asks "
        "for a conditional-access policy."
    )


# --- state, scope, exclusions (ScubaGear's PolicyConditionsMatch and *ExclusionsFullyExempt) ---


def test_a_report_only_policy_does_not_count() -> None:
    policy = legacy("Block legacy (pilot)", state="enabledForReportingButNotEnforced")
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "No enabled conditional-access policy blocks legacy authentication (Exchange ActiveSync "
        "and other clients) for all users: 'Block legacy (pilot)' is report-only."
    )
    assert resource_ids(outcome) == {policy["id"]}


def test_a_disabled_policy_does_not_count_but_an_enabled_twin_does() -> None:
    off = legacy("Block legacy (old)", state="disabled")
    on = legacy("Block legacy")
    outcome = run("MS.AAD.1.1", snapshot(with_policies(off, on)))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {on["id"]}


def test_a_policy_for_some_users_only_does_not_count() -> None:
    policy = legacy("Block legacy for IT", include_users=[uid(JO)])
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "'Block legacy for IT' does not include all users." in outcome.details


def test_a_policy_for_some_apps_only_does_not_count() -> None:
    policy = legacy("Block legacy for Exchange", include_apps=["Office365"])
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "does not target all resources" in outcome.details


def test_legacy_auth_needs_both_exchange_activesync_and_other_clients() -> None:
    policy = ca_policy("Block EAS", controls=["block"], client_apps=["exchangeActiveSync"])
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "does not select the client apps Exchange ActiveSync and Other clients" in (
        outcome.details
    )


def test_excluded_users_who_are_not_emergency_accounts_disqualify_the_policy() -> None:
    policy = legacy("Block legacy", exclude_users=[*EMERGENCY, uid(JO)])
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert f"'Block legacy' excludes 1 user: {JO}." in outcome.details


def test_an_excluded_group_of_regular_users_disqualifies_the_policy() -> None:
    policy = ca_policy("Require MFA", exclude_groups=[MFA_EXCLUSIONS["id"]], controls=["mfa"])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "No enabled conditional-access policy requires MFA for all users: 'Require MFA' "
        "excludes the group 'MFA Exclusions' (1 member)."
    )


def test_an_excluded_group_of_emergency_accounts_is_accepted() -> None:
    policy = ca_policy("Require MFA", exclude_groups=[EMERGENCY_GROUP["id"]], controls=["mfa"])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.PASS
    assert f"Only emergency-access accounts are excluded: {EA1} and {EA2}." in outcome.details


def test_an_excluded_group_whose_members_were_not_read_is_an_error() -> None:
    payloads = with_policies(
        ca_policy("Require MFA", exclude_groups=[EMERGENCY_GROUP["id"]], controls=["mfa"])
    )
    key = f"groups/{EMERGENCY_GROUP['id']}/members"
    data = snapshot(
        payloads, missing=[(key, EndpointOutcome.MISSING_PERMISSION, "GroupMember.Read.All")]
    )
    outcome = run("MS.AAD.3.2", data)
    assert outcome.status is Status.ERROR
    assert "GroupMember.Read.All" in outcome.details
    assert "'Emergency Access Accounts'" in outcome.details


def test_an_excluded_licensed_global_admin_is_not_taken_for_an_emergency_account() -> None:
    payloads = compliant()
    payloads["users"]["value"][0]["assignedLicenses"] = [
        {"skuId": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "disabledPlans": []}
    ]
    outcome = run("MS.AAD.3.2", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert f"excludes 1 user: {EA1}" in outcome.details


def test_an_excluded_synced_global_admin_is_not_taken_for_an_emergency_account() -> None:
    payloads = compliant()
    payloads["users"]["value"][1]["onPremisesSyncEnabled"] = True
    outcome = run("MS.AAD.1.1", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert f"excludes 1 user: {EA2}" in outcome.details


def test_excluded_roles_disqualify_an_all_users_policy() -> None:
    sync = "d29b2b05-8046-44ba-8758-1e26182fcf32"
    policy = legacy("Block legacy", exclude_roles=[sync])
    outcome = run("MS.AAD.1.1", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "'Block legacy' excludes the role Directory Synchronization Accounts." in (
        outcome.details
    )


def test_excluded_guests_are_a_gap_so_the_policy_is_a_warning() -> None:
    policy = ca_policy("Require MFA", controls=["mfa"], exclude_guests=True)
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.WARN
    assert outcome.details == (
        "'Require MFA' meets SCuBA's criteria (it requires MFA for all users) but excludes guests "
        "and external users, which leaves a gap."
    )


# --- conditions and grants ---------------------------------------------------------------------


def test_risk_policies_need_high_and_block() -> None:
    change_password = ca_policy(
        "Password change for high user risk",
        user_risk=["high"],
        controls=["mfa", "passwordChange"],
        operator="AND",
    )
    outcome = run("MS.AAD.2.1", snapshot(with_policies(change_password)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "No enabled conditional-access policy blocks users whose user risk is high: 'Password "
        "change for high user risk' does not block access (it requires MFA and a password change)."
    )
    medium_only = ca_policy(
        "Block medium sign-in risk", sign_in_risk=["medium"], controls=["block"]
    )
    outcome = run("MS.AAD.2.3", snapshot(with_policies(medium_only)))
    assert outcome.status is Status.FAIL
    assert "does not select sign-in risk High" in outcome.details


def test_a_policy_narrowed_by_an_unasked_condition_is_a_warning() -> None:
    policy = ca_policy("Require MFA (Windows)", controls=["mfa"], platforms=["windows"])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.WARN
    assert "applies only to windows devices" in outcome.details
    locations = ca_policy(
        "Require MFA off site", controls=["mfa"], exclude_locations=["AllTrusted"]
    )
    outcome = run("MS.AAD.3.2", snapshot(with_policies(locations)))
    assert outcome.status is Status.WARN
    assert "does not apply in trusted locations" in outcome.details


def test_a_clean_policy_beats_a_narrowed_one() -> None:
    narrowed = ca_policy("MFA on Windows", controls=["mfa"], platforms=["windows"])
    clean = ca_policy("MFA everywhere", controls=["mfa"])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(narrowed, clean)))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {clean["id"]}


def test_mfa_counts_as_the_builtin_control_or_an_mfa_authentication_strength() -> None:
    builtin = ca_policy("MFA", controls=["mfa"])
    assert run("MS.AAD.3.2", snapshot(with_policies(builtin))).status is Status.PASS
    by_strength = ca_policy("MFA strength", auth_strength=MFA_STRENGTH)
    outcome = run("MS.AAD.3.2", snapshot(with_policies(by_strength)))
    assert outcome.status is Status.PASS
    # An MFA strength is not phishing-resistant: 3.1 still fails.
    outcome = run("MS.AAD.3.1", snapshot(with_policies(by_strength)))
    assert outcome.status is Status.FAIL
    assert "'MFA strength' does not require a phishing-resistant authentication strength" in (
        outcome.details
    )


def test_mfa_that_a_compliant_device_can_replace_is_a_warning() -> None:
    policy = ca_policy("MFA or compliant device", controls=["mfa", "compliantDevice"])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.WARN
    assert "can be satisfied with a compliant device instead" in outcome.details
    both = ca_policy(
        "MFA and compliant device", controls=["mfa", "compliantDevice"], operator="AND"
    )
    assert run("MS.AAD.3.2", snapshot(with_policies(both))).status is Status.PASS


def test_phishing_resistant_means_only_the_three_strong_methods() -> None:
    # ScubaGear's HasAcceptableMFA: any extra method in the strength disqualifies it.
    weak = ca_policy(
        "Passwordless",
        auth_strength=strength(["fido2", "deviceBasedPush"], strength_id=gid("s"), name="Custom"),
    )
    outcome = run("MS.AAD.3.1", snapshot(with_policies(weak)))
    assert outcome.status is Status.FAIL
    single = ca_policy("CBA only", auth_strength=strength(["x509CertificateMultiFactor"]))
    assert run("MS.AAD.3.1", snapshot(with_policies(single))).status is Status.PASS


def test_phishing_resistant_for_all_users_also_satisfies_mfa_for_all_users() -> None:
    policy = ca_policy("Phishing-resistant for everyone", auth_strength=strength())
    outcome = run("MS.AAD.3.2", snapshot(with_policies(policy)))
    assert outcome.status is Status.PASS


def test_excluded_applications_disqualify_phishing_resistant_but_only_warn_for_mfa() -> None:
    app = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    strong = ca_policy("PR all", auth_strength=strength(), exclude_apps=[app])
    outcome = run("MS.AAD.3.1", snapshot(with_policies(strong)))
    assert outcome.status is Status.FAIL
    assert "'PR all' excludes 1 application." in outcome.details
    mfa = ca_policy("MFA all", controls=["mfa"], exclude_apps=[app])
    outcome = run("MS.AAD.3.2", snapshot(with_policies(mfa)))
    assert outcome.status is Status.WARN
    assert "excludes 1 application" in outcome.details


def test_phishing_resistant_admins_needs_every_highly_privileged_role() -> None:
    roles = [r for r in HIGHLY_PRIVILEGED_ROLES if r != HYBRID_IDENTITY_ADMIN]
    policy = ca_policy("PR admins", include_roles=roles, auth_strength=strength())
    outcome = run("MS.AAD.3.6", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "No enabled conditional-access policy requires phishing-resistant MFA for every highly "
        "privileged role: 'PR admins' does not include Hybrid Identity Administrator."
    )


def test_phishing_resistant_admins_must_not_exclude_a_highly_privileged_role() -> None:
    policy = ca_policy(
        "PR admins",
        include_roles=list(HIGHLY_PRIVILEGED_ROLES),
        exclude_roles=[EXCHANGE_ADMIN],
        auth_strength=strength(),
    )
    outcome = run("MS.AAD.3.6", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "'PR admins' excludes the role Exchange Administrator." in outcome.details


def test_phishing_resistant_admins_with_plain_mfa_does_not_count() -> None:
    policy = ca_policy("MFA admins", include_roles=list(HIGHLY_PRIVILEGED_ROLES), controls=["mfa"])
    outcome = run("MS.AAD.3.6", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "No enabled conditional-access policy requires phishing-resistant MFA for every highly "
        "privileged role: 'MFA admins' does not require a phishing-resistant authentication "
        "strength (it requires MFA)."
    )


def test_an_all_users_phishing_resistant_policy_does_not_stand_in_for_the_admin_one() -> None:
    # ScubaGear's PhishingResistantMFA asks for the roles themselves in includeRoles.
    policy = ca_policy("PR everyone", auth_strength=strength())
    outcome = run("MS.AAD.3.6", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    assert "does not include Global Administrator, Privileged Role Administrator" in (
        outcome.details
    )


def test_managed_device_is_compliant_or_hybrid_joined() -> None:
    hybrid = ca_policy("Hybrid joined", controls=["domainJoinedDevice"])
    assert run("MS.AAD.3.7", snapshot(with_policies(hybrid))).status is Status.PASS
    mfa_only = ca_policy("MFA", controls=["mfa"])
    outcome = run("MS.AAD.3.7", snapshot(with_policies(mfa_only)))
    assert outcome.status is Status.FAIL
    assert "No conditional-access policy, enabled or not, requires a compliant" in outcome.details


def test_registration_needs_the_register_security_info_user_action() -> None:
    all_apps = ca_policy("Compliant device", controls=["compliantDevice"])
    outcome = run("MS.AAD.3.8", snapshot(with_policies(all_apps)))
    assert outcome.status is Status.FAIL
    assert "'Compliant device' does not target the user action Register security information" in (
        outcome.details
    )
    action = ca_policy(
        "Register from managed device",
        user_actions=[REGISTER_SECURITY_INFO],
        controls=["compliantDevice"],
    )
    assert run("MS.AAD.3.8", snapshot(with_policies(action))).status is Status.PASS


def test_device_code_flow_block_needs_the_flow_and_block() -> None:
    policy = ca_policy("Block transfer", controls=["block"], flows="authenticationTransfer")
    outcome = run("MS.AAD.3.9", snapshot(with_policies(policy)))
    assert outcome.status is Status.FAIL
    both = ca_policy(
        "Block flows", controls=["block"], flows="deviceCodeFlow,authenticationTransfer"
    )
    outcome = run("MS.AAD.3.9", snapshot(with_policies(both)))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {both["id"]}


def test_near_misses_are_listed_at_most_five() -> None:
    policies = [legacy(f"Legacy {n}", state="disabled") for n in range(7)]
    outcome = run("MS.AAD.1.1", snapshot(with_policies(*policies)))
    assert outcome.status is Status.FAIL
    assert len(outcome.resources) == 5
    assert outcome.details.count("is off") == 5


def test_an_unknown_excluded_user_with_no_users_collected_is_an_error() -> None:
    payloads = with_policies(legacy("Block legacy", exclude_users=EMERGENCY))
    data = snapshot(
        payloads, missing=[("users", EndpointOutcome.MISSING_PERMISSION, "User.Read.All")]
    )
    outcome = run("MS.AAD.1.1", data)
    assert outcome.status is Status.ERROR
    assert "User.Read.All" in outcome.details


def test_a_guest_global_admin_excluded_is_not_an_emergency_account() -> None:
    payloads = compliant()
    guest = user("partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", licensed=False, guest=True)
    payloads["users"]["value"].append(guest)
    payloads["roleManagement/directory/roleAssignments"]["value"].append(
        {
            "id": gid("guest-ga"),
            "principalId": guest["id"],
            "roleDefinitionId": GA,
            "directoryScopeId": "/",
        }
    )
    payloads[f"groups/{EMERGENCY_GROUP['id']}/members"]["value"].append(member_ref(guest))
    policy = ca_policy("Require MFA", exclude_groups=[EMERGENCY_GROUP["id"]], controls=["mfa"])
    payloads[CA] = {"value": [policy]}
    outcome = run("MS.AAD.3.2", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert "excludes the group 'Emergency Access Accounts' (3 members)" in outcome.details
