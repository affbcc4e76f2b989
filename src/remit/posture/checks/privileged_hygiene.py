"""MSP hygiene checks on the accounts that hold directory roles: disabled, guest and synced
admins, emergency-access accounts, and admins who use the same account for daily work.

An admin is a user holding any directory role at tenant scope, active or PIM eligible,
directly or through a role-assignable group (the directory-sync service roles excepted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from remit.posture.checks.hygiene_common import (
    Admin,
    admins,
    conditional_access,
    describe,
    emergency_candidates,
    emergency_problems,
    every,
    mailbox_plans,
    name_list,
    plural,
    sku_names,
    verb,
)
from remit.posture.data import TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Status
from remit.posture.views import HIGHLY_PRIVILEGED_ROLES

EMERGENCY_MIN, EMERGENCY_MAX = 2, 3
# CIS 1.1.4: admin accounts hold no licence, or only Microsoft Entra ID P1 / P2.
IDENTITY_ONLY_SKUS = frozenset({"AAD_PREMIUM", "AAD_PREMIUM_P2"})


def _is_guest(user: dict[str, Any]) -> bool:
    upn = str(user.get("userPrincipalName") or "")
    return str(user.get("userType") or "").lower() == "guest" or "#EXT#" in upn.upper()


def _admins_that(
    data: TenantData, wrong: str, test: Callable[[dict[str, Any]], bool], fix: str
) -> Outcome:
    """FAIL naming every admin for whom ``test(user)`` holds, PASS when none does."""
    holders = admins(data)
    if not holders:
        return Outcome(Status.NOT_APPLICABLE, "No user holds a directory role.")
    found = [a for a in holders if a.user is not None and test(a.user)]
    if not found:
        return Outcome(Status.PASS, f"None of the {plural(len(holders), 'admin')} is {wrong}.")
    return Outcome(
        Status.FAIL,
        f"{len(found)} of {plural(len(holders), 'admin')} {verb(len(found), 'is', 'are')} "
        f"{wrong}: {name_list([describe(a) for a in found])}. {fix}",
        tuple(a.resource for a in found),
    )


def disabled_admins(data: TenantData) -> Outcome:
    return _admins_that(
        data,
        "a disabled account",
        lambda user: user.get("accountEnabled") is False,
        "Their roles come back the moment the account is enabled again.",
    )


def guest_admins(data: TenantData) -> Outcome:
    return _admins_that(
        data,
        "a guest",
        _is_guest,
        "A guest's password and MFA are managed by another organisation.",
    )


def synced_admins(data: TenantData) -> Outcome:
    return _admins_that(
        data,
        "synced from on-premises Active Directory",
        lambda user: user.get("onPremisesSyncEnabled") is True,
        "Whoever controls the on-premises directory controls these roles.",
    )


def emergency_access(data: TenantData) -> Outcome:
    view = conditional_access(data)
    if view.unlicensed or not view.policies:
        why = (
            f"the tenant has no {view.unlicensed} licence, so it has no conditional access"
            if view.unlicensed
            else "no conditional-access policy is enabled"
        )
        return Outcome(
            Status.MANUAL,
            f"Emergency-access accounts are recognised by their exclusion from conditional "
            f"access, and {why}. Confirm that two cloud-only, unlicensed emergency-access "
            "Global Administrators exist and that their credentials are stored safely.",
        )
    candidates = emergency_candidates(data, view.policies)
    skus = sku_names(data) if data.has("subscribedSkus") else {}
    resources = tuple(a.resource for a in candidates)
    scope = every(
        len(view.policies),
        "enabled conditional-access policy",
        "enabled conditional-access policies",
    )
    problems = {a.name: emergency_problems(a, skus) for a in candidates}
    wrong = [f"{name} is {' and '.join(issues)}" for name, issues in problems.items() if issues]
    flaws = f"; {'; '.join(wrong)}" if wrong else ""
    if len(candidates) < EMERGENCY_MIN:
        found = f"only {candidates[0].name} is" if candidates else "no Global Administrator is"
        return Outcome(
            Status.FAIL,
            f"Emergency access needs {EMERGENCY_MIN}-{EMERGENCY_MAX} Global Administrators "
            f"excluded from {scope}; {found}{flaws}.",
            resources,
        )
    if len(candidates) > EMERGENCY_MAX:
        return Outcome(
            Status.FAIL,
            f"{len(candidates)} Global Administrators are excluded from {scope} "
            f"({name_list(list(problems))}); keep {EMERGENCY_MIN}-{EMERGENCY_MAX} "
            f"emergency-access accounts and bring the others under conditional access{flaws}.",
            resources,
        )
    if wrong:
        return Outcome(
            Status.FAIL,
            f"{len(candidates)} emergency-access accounts found, but {'; '.join(wrong)}.",
            resources,
        )
    return Outcome(
        Status.PASS,
        f"{len(candidates)} emergency-access accounts ({name_list(list(problems))}): permanent "
        "Global Administrators, cloud-only, unlicensed and excluded from every enabled "
        "conditional-access policy.",
        resources,
    )


def _mailbox_licences(
    user: dict[str, Any], plans: dict[str, set[str]], skus: dict[str, str]
) -> list[str]:
    out = []
    for lic in user.get("assignedLicenses") or []:
        sku = str(lic.get("skuId"))
        disabled = {str(p) for p in lic.get("disabledPlans") or []}
        if plans.get(sku, set()) - disabled:
            out.append(skus.get(sku, sku))
    return sorted(out)


def daily_driver_admins(data: TenantData) -> Outcome:
    holders = admins(data, HIGHLY_PRIVILEGED_ROLES)
    if not holders:
        return Outcome(Status.NOT_APPLICABLE, "No user holds a highly privileged role.")
    plans = mailbox_plans(data)
    skus = sku_names(data)
    with_mailbox: list[str] = []
    licensed: list[str] = []
    flagged: list[Admin] = []
    for admin in holders:
        user = admin.user or {}
        mailbox = _mailbox_licences(user, plans, skus)
        other = sorted(
            name
            for name in (
                skus.get(str(lic.get("skuId")), str(lic.get("skuId")))
                for lic in user.get("assignedLicenses") or []
            )
            if name not in IDENTITY_ONLY_SKUS
        )
        if mailbox or (user.get("mail") and not _is_guest(user)):
            why = f"mailbox licence {', '.join(mailbox)}" if mailbox else f"mail {user['mail']}"
            with_mailbox.append(f"{describe(admin)}: {why}")
            flagged.append(admin)
        elif other:
            licensed.append(f"{describe(admin)}: {', '.join(other)}")
            flagged.append(admin)
    resources = tuple(a.resource for a in flagged)
    parts = []
    if with_mailbox:
        parts.append(
            f"{plural(len(with_mailbox), 'highly privileged admin')} also "
            f"{verb(len(with_mailbox), 'has', 'have')} a mailbox: {name_list(with_mailbox)}."
        )
    if licensed:
        parts.append(
            f"{plural(len(licensed), 'highly privileged admin')} "
            f"{verb(len(licensed), 'holds', 'hold')} productivity licences: "
            f"{name_list(licensed)}."
        )
    if with_mailbox:
        return Outcome(Status.FAIL, " ".join(parts), resources)
    if licensed:
        return Outcome(Status.WARN, " ".join(parts), resources)
    return Outcome(
        Status.PASS,
        f"None of the {plural(len(holders), 'highly privileged admin')} has a mailbox or a "
        "productivity licence.",
    )


CHECKS: dict[str, CheckFn] = {
    "remit.admins.disabled": disabled_admins,
    "remit.admins.guests": guest_admins,
    "remit.admins.synced": synced_admins,
    "remit.admins.emergency-access": emergency_access,
    "remit.admins.daily-driver": daily_driver_admins,
}
