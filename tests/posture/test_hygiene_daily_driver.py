"""Highly privileged admins with a mailbox (FAIL) or productivity licences (WARN): CIS 1.1.4."""

from __future__ import annotations

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    BUSINESS_STANDARD,
    ENTRA_P2_SKU,
    EXCHANGE_STANDARD_PLAN,
    GA,
    HELPDESK_ADMIN,
    USER_ADMIN,
    Tenant,
    names,
    run,
)

DAILY = "remit.admins.daily-driver"
GUEST_UPN = "rafael_adagency.io#EXT#@contoso.onmicrosoft.com"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"


def test_pass_for_unlicensed_admins_and_entra_only_licences() -> None:
    t = Tenant()
    t.admin("adm.jo@contoso.onmicrosoft.com", GA)
    t.admin("adm.li@contoso.onmicrosoft.com", USER_ADMIN, eligible=True, licences=(ENTRA_P2_SKU,))
    outcome = run(DAILY, t.data())
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "None of the 2 highly privileged admins has a mailbox or a productivity licence."
    )


def test_fail_for_a_mailbox_licence() -> None:
    t = Tenant()
    t.admin("owner@contoso.com", GA, licences=(BUSINESS_STANDARD,), mail="owner@contoso.com")
    t.admin("adm.jo@contoso.onmicrosoft.com", GA)
    outcome = run(DAILY, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "1 highly privileged admin also has a mailbox: owner@contoso.com (Global Administrator): "
        "mailbox licence O365_BUSINESS_PREMIUM."
    )
    assert names(outcome) == ["owner@contoso.com"]


def test_fail_for_a_mail_address_without_a_licence() -> None:
    t = Tenant()
    t.admin("shared@contoso.com", GA, mail="shared@contoso.com")
    outcome = run(DAILY, t.data())
    assert outcome.status is Status.FAIL
    assert "shared@contoso.com (Global Administrator): mail shared@contoso.com" in outcome.details


def test_warn_when_exchange_is_disabled_in_the_licence() -> None:
    t = Tenant()
    t.admin(
        "it@contoso.com",
        GA,
        licences=(BUSINESS_STANDARD,),
        disabled_plans=(EXCHANGE_STANDARD_PLAN,),
    )
    outcome = run(DAILY, t.data())
    assert outcome.status is Status.WARN
    assert outcome.details == (
        "1 highly privileged admin holds productivity licences: "
        "it@contoso.com (Global Administrator): O365_BUSINESS_PREMIUM."
    )


def test_a_guests_home_address_is_not_a_mailbox_here() -> None:
    t = Tenant()
    t.admin(GUEST_UPN, APP_ADMIN, guest=True, mail="rafael@adagency.io")
    assert run(DAILY, t.data()).status is Status.PASS


def test_roles_that_are_not_highly_privileged_are_left_out() -> None:
    t = Tenant()
    t.admin("adm.jo@contoso.onmicrosoft.com", GA)
    t.admin("helpdesk@contoso.com", HELPDESK_ADMIN, licences=(BUSINESS_STANDARD,))
    assert run(DAILY, t.data()).status is Status.PASS


def test_not_applicable_without_highly_privileged_admins() -> None:
    t = Tenant()
    t.admin("helpdesk@contoso.com", HELPDESK_ADMIN)
    assert run(DAILY, t.data()).status is Status.NOT_APPLICABLE


def test_error_without_subscribed_skus() -> None:
    t = Tenant(skus=None)
    t.admin("owner@contoso.com", GA)
    outcome = run(DAILY, t.data())
    assert outcome.status is Status.ERROR
    assert outcome.details == "subscribedSkus was not collected"
