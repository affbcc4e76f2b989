"""MFA registration coverage: enabled members (the registration report) and admins (their own
methods when collected, else the report)."""

from __future__ import annotations

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    AUTHENTICATOR,
    BILLING_ADMIN,
    DIRECTORY_SYNC,
    EMAIL_METHOD,
    FIDO2,
    GA,
    PASSWORD,
    REGISTRATION,
    USER_ADMIN,
    Tenant,
    licence_refused,
    names,
    permission_refused,
    run,
    user,
)

USERS = "remit.mfa.registration-users"
ADMINS = "remit.mfa.registration-admins"


def _staff(t: Tenant, registered: int, unregistered: int) -> None:
    for n in range(registered):
        t.add(user(f"staff{n}@contoso.com"), mfa=True)
    for n in range(unregistered):
        t.add(user(f"new{n}@contoso.com"), mfa=False)


# --- users -------------------------------------------------------------------------------------


def test_users_pass_when_every_enabled_member_registered() -> None:
    t = Tenant()
    _staff(t, 12, 0)
    outcome = run(USERS, t.data())
    assert outcome.status is Status.PASS
    assert outcome.details == "All 12 enabled member accounts have registered an MFA method."
    assert outcome.resources == ()


def test_users_warn_between_90_and_99_percent_naming_the_stragglers() -> None:
    t = Tenant()
    _staff(t, 19, 1)
    outcome = run(USERS, t.data())
    assert outcome.status is Status.WARN
    assert "19 of 20 enabled member accounts (95%) have registered" in outcome.details
    assert names(outcome) == ["new0@contoso.com"]


def test_users_fail_below_90_percent_and_list_everyone_in_resources() -> None:
    t = Tenant()
    _staff(t, 4, 12)
    outcome = run(USERS, t.data())
    assert outcome.status is Status.FAIL
    assert "4 of 16 enabled member accounts (25%)" in outcome.details
    assert "and 2 more" in outcome.details  # at most ten names inline
    assert len(outcome.resources) == 12
    assert {r.type for r in outcome.resources} == {"user"}


def test_users_leave_out_guests_disabled_accounts_and_the_sync_service_account() -> None:
    t = Tenant()
    _staff(t, 9, 0)
    t.add(user("partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", guest=True), mfa=False)
    t.add(user("leaver@contoso.com", enabled=False), mfa=False)
    t.admin("sync_dc01@contoso.onmicrosoft.com", DIRECTORY_SYNC, mfa=False)
    outcome = run(USERS, t.data())
    assert outcome.status is Status.PASS
    assert "All 9 enabled member accounts" in outcome.details


def test_users_missing_from_the_report_count_as_not_registered() -> None:
    t = Tenant()
    _staff(t, 9, 0)
    t.add(user("unreported@contoso.com"))  # no registration row
    outcome = run(USERS, t.data())
    assert outcome.status is Status.WARN
    assert names(outcome) == ["unreported@contoso.com"]


def test_users_error_names_the_missing_licence() -> None:
    t = Tenant()
    t.add(user("a@contoso.com"))
    outcome = run(USERS, t.data(licence_refused(REGISTRATION)))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the tenant has no Microsoft Entra ID P1 licence (needed for "
        "reports/authenticationMethods/userRegistrationDetails)"
    )


def test_users_error_names_the_missing_permission() -> None:
    t = Tenant()
    t.add(user("a@contoso.com"))
    outcome = run(USERS, t.data(permission_refused(REGISTRATION)))
    assert outcome.status is Status.ERROR
    assert "AuditLog.Read.All" in outcome.details


def test_users_not_applicable_without_enabled_members() -> None:
    t = Tenant()
    t.add(user("leaver@contoso.com", enabled=False), mfa=False)
    assert run(USERS, t.data()).status is Status.NOT_APPLICABLE


# --- admins ------------------------------------------------------------------------------------


def test_admins_pass_from_the_registration_report() -> None:
    t = Tenant()
    t.admin("ga1@contoso.com", GA, mfa=True)
    t.admin("ga2@contoso.com", GA, mfa=True)
    t.admin("ua@contoso.com", USER_ADMIN, eligible=True, mfa=True)
    outcome = run(ADMINS, t.data())
    assert outcome.status is Status.PASS
    assert outcome.details == "All 3 admins have an MFA method registered."


def test_admins_fail_on_any_admin_without_mfa_naming_the_role() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, mfa=True)
    t.admin("billing@contoso.com", BILLING_ADMIN, mfa=False)
    outcome = run(ADMINS, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "1 of 2 admins has no MFA method registered: billing@contoso.com (Billing Administrator)."
    )
    assert names(outcome) == ["billing@contoso.com"]


def test_admins_live_methods_win_over_the_report() -> None:
    t = Tenant()
    # The report is a day old: one admin removed their phone, another just added a key.
    t.admin("removed@contoso.com", GA, mfa=True, methods=[PASSWORD, EMAIL_METHOD])
    t.admin("added@contoso.com", GA, mfa=False, methods=[PASSWORD, FIDO2])
    outcome = run(ADMINS, t.data())
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["removed@contoso.com"]


def test_admins_use_methods_when_the_report_is_unlicensed() -> None:
    t = Tenant()
    t.admin("owner@contoso.com", GA, methods=[PASSWORD, AUTHENTICATOR])
    t.admin("office@contoso.com", GA, methods=[PASSWORD])
    outcome = run(ADMINS, t.data(licence_refused(REGISTRATION)))
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["office@contoso.com"]


def test_admins_error_when_neither_source_was_collected() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA)
    outcome = run(ADMINS, t.data(licence_refused(REGISTRATION)))
    assert outcome.status is Status.ERROR
    assert "ga@contoso.com" in outcome.details
    assert "no Microsoft Entra ID P1 licence" in outcome.details
    assert names(outcome) == ["ga@contoso.com"]


def test_admins_fail_still_says_which_admins_could_not_be_read() -> None:
    t = Tenant()
    t.admin("nomfa@contoso.com", GA, methods=[PASSWORD])
    t.admin("unknown@contoso.com", USER_ADMIN)
    outcome = run(ADMINS, t.data(licence_refused(REGISTRATION)))
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["nomfa@contoso.com"]
    assert "could not be read (unknown@contoso.com)" in outcome.details


def test_admins_holding_a_role_through_a_group_count() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, mfa=True)
    member = t.add(user("helpdesk@contoso.com"), mfa=False)
    group_id = t.group("Helpdesk admins", member)
    t.assign(group_id, USER_ADMIN)
    outcome = run(ADMINS, t.data())
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["helpdesk@contoso.com"]


def test_admins_leave_out_the_sync_service_account() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, mfa=True)
    t.admin("sync_dc01@contoso.onmicrosoft.com", DIRECTORY_SYNC, mfa=False)
    assert run(ADMINS, t.data()).status is Status.PASS


def test_admins_error_without_role_assignments() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, mfa=True)
    outcome = run(ADMINS, t.data(without=("roleManagement/directory/roleAssignments",)))
    assert outcome.status is Status.ERROR
    assert outcome.details == "roleManagement/directory/roleAssignments was not collected"
