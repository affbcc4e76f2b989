"""Admins with no sign-in for 30 (WARN) or 90 (FAIL) days, from users' signInActivity."""

from __future__ import annotations

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    CA,
    GA,
    HELPDESK_ADMIN,
    USER_ADMIN,
    Tenant,
    ca_policy,
    licence_refused,
    names,
    permission_refused,
    run,
    user,
)

DORMANT = "remit.admins.dormant"
SIGN_IN = "users.signInActivity"


def test_pass_when_every_admin_signed_in_this_month() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, signed_in_days_ago=2)
    t.admin("ua@contoso.com", USER_ADMIN, eligible=True, signed_in_days_ago=29)
    t.add(user("staff@contoso.com", signed_in_days_ago=400))  # not an admin: not counted
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.PASS
    assert outcome.details == "Every enabled admin signed in within 30 days."


def test_warn_between_30_and_90_days() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, signed_in_days_ago=1)
    t.admin("helpdesk@contoso.com", HELPDESK_ADMIN, signed_in_days_ago=45)
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.WARN
    assert outcome.details == (
        "1 admin has not signed in for 30 days: helpdesk@contoso.com (Helpdesk Administrator): "
        "last sign-in 2026-09-17, 45 days ago."
    )
    assert names(outcome) == ["helpdesk@contoso.com"]


def test_fail_past_90_days_and_list_both_groups() -> None:
    t = Tenant()
    t.admin("admin@contoso.com", GA, signed_in_days_ago=300)
    t.admin("helpdesk@contoso.com", HELPDESK_ADMIN, signed_in_days_ago=45)
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.FAIL
    assert "1 admin has not signed in for 90 days: admin@contoso.com" in outcome.details
    assert "1 admin has not signed in for 30 days: helpdesk@contoso.com" in outcome.details
    assert names(outcome) == ["admin@contoso.com", "helpdesk@contoso.com"]


def test_a_never_used_account_counts_from_its_creation() -> None:
    t = Tenant()
    t.admin("contractor@contoso.com", GA, signed_in_days_ago=None, created_days_ago=200)
    t.admin("starter@contoso.com", USER_ADMIN, signed_in_days_ago=None, created_days_ago=5)
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["contractor@contoso.com"]
    assert "never signed in, created 2026-04-15" in outcome.details


def test_failed_sign_ins_do_not_count_as_use() -> None:
    # Only failed attempts recently (a password spray): lastSuccessfulSignInDateTime is empty,
    # so the latest attempt is used as the fallback the brief describes.
    t = Tenant()
    t.admin("sprayed@contoso.com", GA, signed_in_days_ago=120, successful=False)
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.FAIL
    assert "120 days ago" in outcome.details


def test_disabled_admins_are_left_to_their_own_check() -> None:
    t = Tenant()
    t.admin("leaver@contoso.com", GA, enabled=False, signed_in_days_ago=300)
    assert run(DORMANT, t.data()).status is Status.PASS


def test_emergency_access_accounts_are_left_out_and_named() -> None:
    t = Tenant()
    ea1 = t.admin("ea01@contoso.onmicrosoft.com", GA, signed_in_days_ago=200)
    ea2 = t.admin("ea02@contoso.onmicrosoft.com", GA, signed_in_days_ago=200)
    t.admin("ga@contoso.com", GA, signed_in_days_ago=1)
    t.policies = [ca_policy("Require MFA", exclude_users=(ea1["id"], ea2["id"]))]
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.PASS
    assert "Left out as emergency-access accounts (they sign in rarely by design): " in (
        outcome.details
    )
    assert "ea01@contoso.onmicrosoft.com, ea02@contoso.onmicrosoft.com" in outcome.details


def test_a_licensed_daily_account_excluded_from_ca_is_still_checked() -> None:
    t = Tenant()
    ceo = t.admin(
        "ceo@contoso.com",
        GA,
        signed_in_days_ago=200,
        licences=("f245ecc8-75af-4f8e-b61f-27d8114de5f3",),
    )
    t.policies = [ca_policy("Require MFA", exclude_users=(ceo["id"],))]
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.FAIL
    assert names(outcome) == ["ceo@contoso.com"]


def test_error_when_sign_in_activity_needs_a_licence() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, signed_in_days_ago=None)
    outcome = run(DORMANT, t.data(licence_refused(SIGN_IN)))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "Sign-in activity could not be read: the tenant has no Microsoft Entra ID P1 licence "
        "(needed for users.signInActivity)."
    )


def test_error_when_sign_in_activity_needs_a_permission() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA)
    outcome = run(DORMANT, t.data(permission_refused(SIGN_IN)))
    assert outcome.status is Status.ERROR
    assert "AuditLog.Read.All" in outcome.details


def test_error_when_no_user_carries_sign_in_activity() -> None:
    t = Tenant()
    member = t.admin("ga@contoso.com", GA)
    del member["signInActivity"]  # users read without $select=signInActivity, no result kept
    outcome = run(DORMANT, t.data())
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "Sign-in activity could not be read: users.signInActivity was not collected."
    )


def test_conditional_access_that_cannot_be_read_is_said() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA, signed_in_days_ago=1)
    outcome = run(DORMANT, t.data(permission_refused(CA, "Policy.Read.All"), without=(CA,)))
    assert outcome.status is Status.PASS
    assert "Emergency-access accounts could not be told apart" in outcome.details
    assert "Policy.Read.All" in outcome.details
