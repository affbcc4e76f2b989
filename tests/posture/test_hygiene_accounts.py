"""Disabled, guest and on-premises-synced accounts holding directory roles: one check each."""

from __future__ import annotations

import pytest

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    DIRECTORY_SYNC,
    GA,
    HELPDESK_ADMIN,
    USER_ADMIN,
    Tenant,
    names,
    run,
    user,
)

DISABLED = "remit.admins.disabled"
GUESTS = "remit.admins.guests"
SYNCED = "remit.admins.synced"
GUEST_UPN = "rafael_adagency.io#EXT#@contoso.onmicrosoft.com"


def _clean() -> Tenant:
    t = Tenant()
    t.admin("ga@contoso.onmicrosoft.com", GA)
    t.admin("helpdesk@contoso.onmicrosoft.com", HELPDESK_ADMIN, eligible=True)
    t.add(user("leaver@contoso.com", enabled=False))  # no role: not counted
    t.add(user("partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", guest=True))
    t.add(user("synced.staff@contoso.com", synced=True))
    return t


@pytest.mark.parametrize(
    ("check_id", "wording"),
    [
        (DISABLED, "a disabled account"),
        (GUESTS, "a guest"),
        (SYNCED, "synced from on-premises Active Directory"),
    ],
)
def test_pass_when_no_admin_is_affected(check_id: str, wording: str) -> None:
    outcome = run(check_id, _clean().data())
    assert outcome.status is Status.PASS
    assert outcome.details == f"None of the 2 admins is {wording}."


def test_disabled_admin_fails_even_when_the_role_is_only_eligible() -> None:
    t = _clean()
    t.admin("old.admin@contoso.com", USER_ADMIN, eligible=True, enabled=False)
    outcome = run(DISABLED, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith(
        "1 of 3 admins is a disabled account: old.admin@contoso.com (User Administrator)."
    )
    assert names(outcome) == ["old.admin@contoso.com"]


def test_guest_admin_fails_by_user_type() -> None:
    t = _clean()
    t.admin(GUEST_UPN, "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", guest=True)
    outcome = run(GUESTS, t.data())
    assert outcome.status is Status.FAIL
    assert f"{GUEST_UPN} (Application Administrator)" in outcome.details
    assert names(outcome) == [GUEST_UPN]


def test_guest_admin_is_recognised_by_its_ext_upn_too() -> None:
    t = _clean()
    member = t.admin(GUEST_UPN, GA)
    member["userType"] = "Member"  # a guest converted to member keeps the #EXT# UPN
    assert run(GUESTS, t.data()).status is Status.FAIL


def test_guest_holding_a_role_through_a_group_fails() -> None:
    t = _clean()
    guest = t.add(user(GUEST_UPN, guest=True))
    t.assign(t.group("Helpdesk", guest), HELPDESK_ADMIN)
    outcome = run(GUESTS, t.data())
    assert outcome.status is Status.FAIL
    assert names(outcome) == [GUEST_UPN]


def test_synced_admins_fail_for_any_role_not_only_highly_privileged_ones() -> None:
    t = _clean()
    t.admin("jonas@contoso.com", GA, synced=True)
    t.admin("karin@contoso.com", HELPDESK_ADMIN, synced=True)
    outcome = run(SYNCED, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith("2 of 4 admins are synced from on-premises Active Directory")
    assert names(outcome) == ["jonas@contoso.com", "karin@contoso.com"]


def test_the_sync_service_account_is_not_an_admin() -> None:
    t = _clean()
    t.admin("sync_dc01@contoso.onmicrosoft.com", DIRECTORY_SYNC, synced=True)
    assert run(SYNCED, t.data()).status is Status.PASS


@pytest.mark.parametrize("check_id", [DISABLED, GUESTS, SYNCED])
def test_error_names_what_was_not_collected(check_id: str) -> None:
    outcome = run(check_id, _clean().data(without=("users",)))
    assert outcome.status is Status.ERROR
    assert outcome.details == "users was not collected"


@pytest.mark.parametrize("check_id", [DISABLED, GUESTS, SYNCED])
def test_not_applicable_when_nobody_holds_a_role(check_id: str) -> None:
    t = Tenant()
    t.add(user("staff@contoso.com"))
    assert run(check_id, t.data()).status is Status.NOT_APPLICABLE
