"""SCuBA privileged-access checks (MS.AAD.7.1-7.9): who holds the highly privileged roles, how
they were assigned, and what PIM requires and reports."""

from __future__ import annotations

from typing import Any

import pytest

from remit.domain import EndpointOutcome
from remit.posture.model import Status
from remit.posture.views import HIGHLY_PRIVILEGED_ROLES
from tests.posture.scuba_fixtures import (
    ALICE,
    APPLICATION_ADMIN,
    ASSIGNMENTS,
    BOB,
    CAROL,
    EA1,
    EA2,
    ELIGIBILITY,
    ENTRA_P2,
    EXCHANGE_ADMIN,
    GA,
    JO,
    PIM_KEYS,
    PIM_POLICIES,
    PRIVILEGED_ROLE_ADMIN,
    SCHEDULES,
    SECURITY_READER,
    USER_ADMIN,
    assignment,
    compliant,
    days_ahead,
    gid,
    group,
    member_ref,
    pim_policy,
    resource_ids,
    resource_names,
    run,
    schedule,
    skus,
    snapshot,
    uid,
    user,
)

PIM_CHECKS = ["MS.AAD.7.4", "MS.AAD.7.5", "MS.AAD.7.6", "MS.AAD.7.7", "MS.AAD.7.8", "MS.AAD.7.9"]
NO_P2 = [(key, EndpointOutcome.LICENSE_REQUIRED, ENTRA_P2) for key in PIM_KEYS]


def add_active(payloads: dict[str, Any], upn: str, role: str, **user_options: Any) -> str:
    """A user holding ``role`` through a permanent active PIM assignment."""
    payloads["users"]["value"].append(user(upn, **user_options))
    payloads[ASSIGNMENTS]["value"].append(assignment(uid(upn), role))
    payloads[SCHEDULES]["value"].append(schedule(uid(upn), role))
    return uid(upn)


def add_eligible(payloads: dict[str, Any], upn: str, role: str, **user_options: Any) -> str:
    payloads["users"]["value"].append(user(upn, **user_options))
    payloads[ELIGIBILITY]["value"].append(
        schedule(uid(upn), role, end=days_ahead(90), eligible=True)
    )
    return uid(upn)


def without_p2(payloads: dict[str, Any]) -> dict[str, Any]:
    payloads["subscribedSkus"] = {"value": skus(p2=False)}
    return payloads


# --- MS.AAD.7.1: two to eight Global Administrators ----------------------------------------------


def test_global_admins_counted_active_and_eligible() -> None:
    outcome = run("MS.AAD.7.1", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        f"4 users hold Global Administrator: {ALICE} (eligible), {BOB} (eligible), {EA1} and {EA2}."
    )
    assert resource_names(outcome) == {ALICE, BOB, EA1, EA2}


def test_nine_global_admins_fail() -> None:
    payloads = compliant()
    for n in range(5):
        add_eligible(payloads, f"extra{n}@contoso.com", GA)
    outcome = run("MS.AAD.7.1", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith("9 users hold Global Administrator (SCuBA allows 2 to 8): ")
    assert len(outcome.resources) == 9


def test_one_global_admin_fails() -> None:
    payloads = compliant()
    payloads[ASSIGNMENTS]["value"] = [assignment(uid(EA1), GA)]
    payloads[ELIGIBILITY]["value"] = []
    outcome = run("MS.AAD.7.1", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details == f"1 user holds Global Administrator (SCuBA allows 2 to 8): {EA1}."


def test_a_group_holding_global_admin_is_expanded_and_each_user_counted_once() -> None:
    payloads = compliant()
    admins = group("Tier 0 admins", role_assignable=True)
    payloads["groups"]["value"].append(admins)
    # Alice is already an eligible GA: through the group she still counts once.
    members = [u for u in payloads["users"]["value"] if u["userPrincipalName"] in (ALICE, JO)]
    payloads[f"groups/{admins['id']}/members"] = {"value": [member_ref(u) for u in members]}
    payloads[ASSIGNMENTS]["value"].append(assignment(admins["id"], GA))
    payloads[SCHEDULES]["value"].append(schedule(admins["id"], GA))
    outcome = run("MS.AAD.7.1", snapshot(payloads))
    assert outcome.status is Status.PASS
    assert outcome.details.startswith("5 users hold Global Administrator")
    assert JO in outcome.details


def test_a_group_whose_members_were_not_read_is_an_error_unless_already_too_many() -> None:
    payloads = compliant()
    admins = group("Tier 0 admins", role_assignable=True)
    payloads["groups"]["value"].append(admins)
    payloads[ASSIGNMENTS]["value"].append(assignment(admins["id"], GA))
    key = f"groups/{admins['id']}/members"
    data = snapshot(payloads, missing=[(key, EndpointOutcome.THROTTLED, "429 after retries")])
    outcome = run("MS.AAD.7.1", data)
    assert outcome.status is Status.ERROR
    assert "Cannot count every Global Administrator" in outcome.details
    assert "throttled" in outcome.details
    for n in range(5):
        add_active(payloads, f"extra{n}@contoso.com", GA)
    outcome = run("MS.AAD.7.1", snapshot(payloads, missing=[(key, EndpointOutcome.THROTTLED, "")]))
    assert outcome.status is Status.FAIL


def test_without_p2_eligible_assignments_cannot_exist_so_active_ones_are_the_count() -> None:
    payloads = without_p2(compliant())
    outcome = run("MS.AAD.7.1", snapshot(payloads, missing=NO_P2))
    assert outcome.status is Status.PASS
    assert outcome.details == f"2 users hold Global Administrator: {EA1} and {EA2}."


def test_eligible_assignments_unreadable_with_p2_is_an_error() -> None:
    missing = [
        (ELIGIBILITY, EndpointOutcome.MISSING_PERMISSION, "RoleEligibilitySchedule.Read.Directory")
    ]
    outcome = run("MS.AAD.7.1", snapshot(compliant(), missing=missing))
    assert outcome.status is Status.ERROR
    assert "RoleEligibilitySchedule.Read.Directory" in outcome.details


def test_role_assignments_unreadable_is_an_error() -> None:
    missing = [(ASSIGNMENTS, EndpointOutcome.MISSING_PERMISSION, "RoleManagement.Read.Directory")]
    for check_id in ("MS.AAD.7.1", "MS.AAD.7.2", "MS.AAD.7.3", "MS.AAD.7.4", "MS.AAD.7.5"):
        outcome = run(check_id, snapshot(compliant(), missing=missing))
        assert outcome.status is Status.ERROR, check_id
        assert "RoleManagement.Read.Directory" in outcome.details


# --- MS.AAD.7.2: finer-grained roles ----------------------------------------------------------


def test_least_privilege_ratio_of_one_passes() -> None:
    outcome = run("MS.AAD.7.2", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details.startswith(
        "4 Global Administrators for 4 users with other highly privileged roles"
    )


def test_more_global_admins_than_other_privileged_users_fails() -> None:
    payloads = compliant()
    add_eligible(payloads, "adm.gina@contoso.onmicrosoft.com", GA)
    outcome = run("MS.AAD.7.2", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith(
        "5 Global Administrators for 4 users with other highly privileged roles"
    )
    assert len(outcome.resources) == 5


def test_a_user_with_both_counts_as_a_global_admin_only() -> None:
    payloads = compliant()
    # Carol (Exchange Administrator) also becomes eligible for Global Administrator.
    payloads[ELIGIBILITY]["value"].append(
        schedule(uid(CAROL), GA, end=days_ahead(30), eligible=True)
    )
    outcome = run("MS.AAD.7.2", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith(
        "5 Global Administrators for 3 users with other highly privileged roles"
    )


def test_roles_outside_the_highly_privileged_list_do_not_count() -> None:
    payloads = compliant()
    add_active(payloads, "reader@contoso.com", SECURITY_READER)
    outcome = run("MS.AAD.7.2", snapshot(payloads))
    assert outcome.status is Status.PASS
    assert "for 4 users" in outcome.details


# --- MS.AAD.7.3: cloud-only privileged users ----------------------------------------------------


def test_all_privileged_users_cloud_only_passes() -> None:
    outcome = run("MS.AAD.7.3", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == "All 8 highly privileged users are cloud-only."


def test_a_synced_eligible_exchange_admin_fails() -> None:
    payloads = compliant()
    add_eligible(payloads, "hybrid.admin@contoso.com", EXCHANGE_ADMIN, synced=True)
    outcome = run("MS.AAD.7.3", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "1 highly privileged user comes from the on-premises directory: "
        "hybrid.admin@contoso.com (Exchange Administrator)."
    )
    assert resource_ids(outcome) == {uid("hybrid.admin@contoso.com")}


def test_an_immutable_id_marks_a_user_as_not_cloud_only() -> None:
    payloads = compliant()
    uid_ = add_active(payloads, "federated@contoso.com", USER_ADMIN)
    next(u for u in payloads["users"]["value"] if u["id"] == uid_)["onPremisesImmutableId"] = (
        "QmFzZTY0SW1tdXRhYmxlSWQ="
    )
    outcome = run("MS.AAD.7.3", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert "federated@contoso.com (User Administrator)" in outcome.details


def test_a_role_holder_missing_from_users_is_an_error() -> None:
    payloads = compliant()
    payloads[ASSIGNMENTS]["value"].append(assignment(gid("ghost"), USER_ADMIN))
    payloads["users"]["value"] = [u for u in payloads["users"]["value"] if u["id"] != gid("ghost")]
    # The ghost is not in users, groups or service principals: its type is unknown, so it is not
    # counted as a user at all; a ghost *group member* is.
    admins = group("Helpdesk leads", role_assignable=True)
    payloads["groups"]["value"].append(admins)
    payloads[f"groups/{admins['id']}/members"] = {
        "value": [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": gid("ghost-member"),
                "displayName": "Ghost",
                "userPrincipalName": "ghost@contoso.com",
            }
        ]
    }
    payloads[ASSIGNMENTS]["value"].append(assignment(admins["id"], USER_ADMIN))
    outcome = run("MS.AAD.7.3", snapshot(payloads))
    assert outcome.status is Status.ERROR
    assert "1 role holder not found in users" in outcome.details


# --- MS.AAD.7.4: permanent active assignments ----------------------------------------------------


def test_only_emergency_accounts_hold_permanent_assignments_passes_and_names_them() -> None:
    outcome = run("MS.AAD.7.4", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "No highly privileged role is permanently active for anyone else. The emergency-access "
        f"accounts {EA1} and {EA2} hold Global Administrator permanently, which the baseline "
        "allows."
    )
    assert resource_ids(outcome) == {uid(EA1), uid(EA2)}


def test_a_permanent_active_admin_fails() -> None:
    payloads = compliant()
    add_active(payloads, "it@contoso.com", PRIVILEGED_ROLE_ADMIN)
    outcome = run("MS.AAD.7.4", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith(
        "1 permanent active assignment of highly privileged roles: it@contoso.com (Privileged "
        "Role Administrator)."
    )
    assert f"The emergency-access accounts {EA1} and {EA2}" in outcome.details
    assert resource_ids(outcome) == {uid("it@contoso.com")}


def test_a_time_bound_active_assignment_passes() -> None:
    payloads = compliant()
    principal = add_active(payloads, "temp@contoso.com", USER_ADMIN)
    payloads[SCHEDULES]["value"][-1] = schedule(
        principal, USER_ADMIN, end=days_ahead(7), assignment_type="Activated"
    )
    assert run("MS.AAD.7.4", snapshot(payloads)).status is Status.PASS


def test_a_licensed_permanent_global_admin_is_not_an_emergency_account() -> None:
    payloads = compliant()
    add_active(payloads, "owner@contoso.com", GA)  # licensed: a daily driver
    outcome = run("MS.AAD.7.4", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert "owner@contoso.com (Global Administrator)" in outcome.details


def test_a_permanent_role_assignable_group_is_reported_as_the_group() -> None:
    payloads = compliant()
    admins = group("App admins", role_assignable=True)
    payloads["groups"]["value"].append(admins)
    payloads[f"groups/{admins['id']}/members"] = {"value": []}
    payloads[ASSIGNMENTS]["value"].append(assignment(admins["id"], APPLICATION_ADMIN))
    payloads[SCHEDULES]["value"].append(schedule(admins["id"], APPLICATION_ADMIN))
    outcome = run("MS.AAD.7.4", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert "App admins (Application Administrator)" in outcome.details
    assert {(r.type, r.name) for r in outcome.resources} == {("group", "App admins")}


@pytest.mark.parametrize("check_id", PIM_CHECKS)
def test_without_entra_p2_pim_checks_are_errors_naming_the_licence(check_id: str) -> None:
    outcome = run(check_id, snapshot(without_p2(compliant()), missing=NO_P2))
    assert outcome.status is Status.ERROR
    assert "the tenant has no Microsoft Entra ID P2 licence" in outcome.details


# --- MS.AAD.7.5: assignments made outside PIM ----------------------------------------------------


def test_assignments_with_pim_schedules_pass() -> None:
    outcome = run("MS.AAD.7.5", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "All 2 active assignments of highly privileged roles were made through PIM."
    )


def test_an_assignment_without_a_schedule_was_made_outside_pim() -> None:
    payloads = compliant()
    payloads["users"]["value"].append(user("legacy@contoso.com"))
    payloads[ASSIGNMENTS]["value"].append(assignment(uid("legacy@contoso.com"), USER_ADMIN))
    outcome = run("MS.AAD.7.5", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "1 assignment of highly privileged roles was made outside PIM: legacy@contoso.com "
        "(User Administrator)."
    )


def test_a_schedule_without_a_start_was_made_outside_pim() -> None:
    payloads = compliant()
    payloads[SCHEDULES]["value"][0] = schedule(uid(EA1), GA, start=None)
    outcome = run("MS.AAD.7.5", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert f"{EA1} (Global Administrator)" in outcome.details


def test_assignments_of_other_roles_are_not_judged() -> None:
    payloads = compliant()
    payloads["users"]["value"].append(user("reader@contoso.com"))
    payloads[ASSIGNMENTS]["value"].append(assignment(uid("reader@contoso.com"), SECURITY_READER))
    assert run("MS.AAD.7.5", snapshot(payloads)).status is Status.PASS


# --- MS.AAD.7.6 to 7.9: PIM settings --------------------------------------------------------------


def with_pim(role: str, **options: Any) -> dict[str, Any]:
    payloads = compliant()
    payloads[PIM_POLICIES]["value"] = [
        pim_policy(r, **options) if r == role else p
        for r, p in zip(HIGHLY_PRIVILEGED_ROLES, payloads[PIM_POLICIES]["value"], strict=True)
    ]
    return payloads


def test_global_admin_activation_needs_approval() -> None:
    outcome = run("MS.AAD.7.6", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "Activating Global Administrator needs approval by PIM Approvers - Tier 0."
    )
    outcome = run("MS.AAD.7.6", snapshot(with_pim(GA, approval=False)))
    assert outcome.status is Status.FAIL
    assert outcome.details == ("Eligible users can activate Global Administrator without approval.")
    assert resource_ids(outcome) == {GA}


def test_approval_on_another_role_does_not_stand_in_for_global_admin() -> None:
    payloads = with_pim(GA, approval=False)
    payloads[PIM_POLICIES]["value"][1] = pim_policy(PRIVILEGED_ROLE_ADMIN, approval=True)
    assert run("MS.AAD.7.6", snapshot(payloads)).status is Status.FAIL


def test_no_pim_settings_for_global_admin_is_an_error() -> None:
    payloads = compliant()
    payloads[PIM_POLICIES]["value"] = payloads[PIM_POLICIES]["value"][1:]
    outcome = run("MS.AAD.7.6", snapshot(payloads))
    assert outcome.status is Status.ERROR
    assert "no approval rule for Global Administrator" in outcome.details


def test_policy_rules_not_expanded_is_an_error() -> None:
    payloads = compliant()
    for item in payloads[PIM_POLICIES]["value"]:
        del item["policy"]["rules"]
    for check_id in ("MS.AAD.7.6", "MS.AAD.7.7", "MS.AAD.7.8", "MS.AAD.7.9"):
        outcome = run(check_id, snapshot(payloads))
        assert outcome.status is Status.ERROR, check_id
        assert "without the policy rules" in outcome.details


def test_assignment_alerts_for_every_highly_privileged_role() -> None:
    outcome = run("MS.AAD.7.7", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == "Eligible and active assignments of 8 roles alert secops@contoso.com."


def test_a_role_whose_eligible_assignments_alert_nobody_fails() -> None:
    payloads = with_pim(EXCHANGE_ADMIN, eligible_alerts=[])
    outcome = run("MS.AAD.7.7", snapshot(payloads))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Eligible and active assignments of 1 role alert nobody beyond the default recipients: "
        "Exchange Administrator (eligible)."
    )


def test_a_role_with_no_pim_settings_is_an_error_for_assignment_alerts() -> None:
    payloads = compliant()
    payloads[PIM_POLICIES]["value"] = [
        p for p in payloads[PIM_POLICIES]["value"] if p["roleDefinitionId"] != USER_ADMIN
    ]
    outcome = run("MS.AAD.7.7", snapshot(payloads))
    assert outcome.status is Status.ERROR
    assert "no PIM notification settings for User Administrator" in outcome.details


def test_global_admin_activation_alert() -> None:
    outcome = run("MS.AAD.7.8", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == "Activations of Global Administrator alert secops@contoso.com."
    outcome = run("MS.AAD.7.8", snapshot(with_pim(GA, activation_alerts=[])))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Activations of Global Administrator alert nobody beyond the default recipients."
    )


def test_other_roles_activation_alerts() -> None:
    outcome = run("MS.AAD.7.9", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert "The baseline suggests a mailbox other than the one" in outcome.details
    separate = with_pim(GA, approval=True, activation_alerts=["ga-watch@contoso.com"])
    outcome = run("MS.AAD.7.9", snapshot(separate))
    assert outcome.status is Status.PASS
    assert outcome.details == "Activations of 7 roles alert secops@contoso.com."
    silent = with_pim(APPLICATION_ADMIN, activation_alerts=[])
    outcome = run("MS.AAD.7.9", snapshot(silent))
    assert outcome.status is Status.FAIL
    assert "Application Administrator" in outcome.details
    # Global Administrator's own activation alert is 7.8's business, not 7.9's.
    assert run("MS.AAD.7.9", snapshot(with_pim(GA, activation_alerts=[]))).status is Status.PASS
