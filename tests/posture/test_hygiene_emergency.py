"""Emergency-access accounts: 2-3 permanent, cloud-only, unlicensed Global Administrators that
every enabled conditional-access policy excludes."""

from __future__ import annotations

from typing import Any

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    BUSINESS_STANDARD,
    CA,
    GA,
    Json,
    Tenant,
    ca_policy,
    gid,
    licence_refused,
    names,
    permission_refused,
    run,
)

EMERGENCY = "remit.admins.emergency-access"


def _tenant() -> Tenant:
    t = Tenant()
    t.admin("ga@contoso.com", GA)  # a daily Global Administrator under conditional access
    return t


def _ea(t: Tenant, upn: str, *, eligible: bool = False, **kwargs: Any) -> Json:
    return t.admin(upn, GA, eligible=eligible, signed_in_days_ago=60, **kwargs)


def _exclude(t: Tenant, *accounts: Json, via_group: bool = False) -> None:
    """Two enabled policies (and a report-only one) that exclude ``accounts``."""
    ids = () if via_group else tuple(a["id"] for a in accounts)
    groups = (t.group("Emergency access", *accounts),) if via_group else ()
    t.policies = [
        ca_policy("Require MFA for all users", exclude_users=ids, exclude_groups=groups),
        ca_policy("Block legacy authentication", grant=("block",), exclude_users=ids,
                  exclude_groups=groups),
        ca_policy("Report-only pilot", state="enabledForReportingButNotEnforced"),
    ]  # fmt: skip


def test_pass_with_two_well_formed_accounts() -> None:
    t = _tenant()
    _exclude(t, _ea(t, "ea01@contoso.onmicrosoft.com"), _ea(t, "ea02@contoso.onmicrosoft.com"))
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.PASS
    assert outcome.details.startswith(
        "2 emergency-access accounts (ea01@contoso.onmicrosoft.com, ea02@contoso.onmicrosoft.com)"
    )
    assert names(outcome) == ["ea01@contoso.onmicrosoft.com", "ea02@contoso.onmicrosoft.com"]


def test_pass_when_excluded_through_a_group() -> None:
    t = _tenant()
    _exclude(t, *(_ea(t, f"ea0{n}@contoso.onmicrosoft.com") for n in (1, 2, 3)), via_group=True)
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.PASS
    assert len(outcome.resources) == 3


def test_fail_with_no_excluded_global_administrator() -> None:
    t = _tenant()
    _exclude(t)
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Emergency access needs 2-3 Global Administrators excluded from both enabled "
        "conditional-access policies; no Global Administrator is."
    )
    assert outcome.resources == ()


def test_fail_with_one_and_say_what_is_wrong_with_it() -> None:
    t = _tenant()
    _exclude(t, _ea(t, "ceo@contoso.com", licences=(BUSINESS_STANDARD,)))
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details.endswith(
        "only ceo@contoso.com is; ceo@contoso.com is licensed (O365_BUSINESS_PREMIUM)."
    )
    assert names(outcome) == ["ceo@contoso.com"]


def test_fail_with_more_than_three() -> None:
    t = _tenant()
    _exclude(t, *(_ea(t, f"ea0{n}@contoso.onmicrosoft.com") for n in range(1, 5)))
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith("4 Global Administrators are excluded from both")
    assert len(outcome.resources) == 4


def test_fail_when_one_is_synced_or_only_eligible() -> None:
    t = _tenant()
    _exclude(
        t,
        _ea(t, "ea01@contoso.onmicrosoft.com", synced=True),
        _ea(t, "ea02@contoso.onmicrosoft.com", eligible=True),
        _ea(t, "ea03@contoso.onmicrosoft.com"),
    )
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "3 emergency-access accounts found, but ea01@contoso.onmicrosoft.com is synced from "
        "on-premises; ea02@contoso.onmicrosoft.com is not a permanent active Global "
        "Administrator."
    )


def test_manual_without_a_conditional_access_licence() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA)
    outcome = run(EMERGENCY, t.data(licence_refused(CA), without=(CA,)))
    assert outcome.status is Status.MANUAL
    assert "the tenant has no Microsoft Entra ID P1 licence" in outcome.details
    assert "Confirm that two cloud-only, unlicensed emergency-access" in outcome.details


def test_manual_when_no_policy_is_enabled() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA)
    t.policies = [ca_policy("Pilot", state="disabled")]
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.MANUAL
    assert "no conditional-access policy is enabled" in outcome.details


def test_error_when_conditional_access_is_refused_for_a_permission() -> None:
    t = Tenant()
    t.admin("ga@contoso.com", GA)
    outcome = run(EMERGENCY, t.data(permission_refused(CA, "Policy.Read.All"), without=(CA,)))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the app lacks the Graph permission Policy.Read.All "
        "(reading identity/conditionalAccess/policies)"
    )


def test_error_when_an_excluded_groups_members_were_not_collected() -> None:
    t = _tenant()
    _exclude(t, *(_ea(t, f"ea0{n}@contoso.onmicrosoft.com") for n in (1, 2)), via_group=True)
    group_id = next(iter(t.groups))
    outcome = run(EMERGENCY, t.data(without=(f"groups/{group_id}/members",)))
    assert outcome.status is Status.ERROR
    assert outcome.details == f"groups/{group_id}/members was not collected"


def test_a_deleted_excluded_group_has_no_members() -> None:
    t = _tenant()
    _exclude(t, _ea(t, "ea01@contoso.onmicrosoft.com"), _ea(t, "ea02@contoso.onmicrosoft.com"))
    for policy in t.policies or []:
        policy["conditions"]["users"]["excludeGroups"] = [gid("group:deleted long ago")]
    outcome = run(EMERGENCY, t.data())
    assert outcome.status is Status.PASS


def test_error_when_groups_were_not_collected() -> None:
    t = _tenant()
    _exclude(t, *(_ea(t, f"ea0{n}@contoso.onmicrosoft.com") for n in (1, 2)), via_group=True)
    group_id = next(iter(t.groups))
    outcome = run(EMERGENCY, t.data(without=("groups", f"groups/{group_id}/members")))
    assert outcome.status is Status.ERROR
    assert outcome.details == "groups was not collected"
