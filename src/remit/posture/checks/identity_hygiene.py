"""MSP hygiene checks that SCuBA leaves out: MFA registration coverage, dormant admins, and
security defaults switched off with nothing in their place.

Thresholds are constants here and explained in each check's rationale
(``catalog/checks/identity-hygiene.yaml``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from remit.posture.checks.hygiene_common import (
    DIRECTORY_SYNC_ACCOUNTS,
    MFA_METHOD_TYPES,
    ON_PREMISES_DIRECTORY_SYNC_ACCOUNT,
    Admin,
    admins,
    conditional_access,
    describe,
    emergency_candidates,
    emergency_problems,
    every,
    last_sign_in,
    methods_key,
    name_list,
    plural,
    requires_mfa,
    sign_in_unavailable,
    sku_names,
    user_resource,
    verb,
)
from remit.posture.data import MissingData, TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import (
    REGISTRATION,
    ROLE_ASSIGNMENTS,
    ROLE_DEFINITIONS,
    display,
    parse_time,
    registration_by_user,
    role_holders,
)

SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"

USERS_FAIL_BELOW = 90  # % of enabled members with MFA registered; below 100 % is a WARN
DORMANT_WARN = timedelta(days=30)
DORMANT_FAIL = timedelta(days=90)
NEW_ACCOUNT = timedelta(days=30)  # never signed in, but created this recently: not dormant yet


def _is_member(user: dict[str, Any]) -> bool:
    return str(user.get("userType") or "Member").lower() == "member"


def _sync_service_accounts(data: TenantData) -> set[str]:
    """Entra Connect / Cloud Sync service accounts: they cannot register MFA."""
    if not (data.has(ROLE_ASSIGNMENTS) and data.has(ROLE_DEFINITIONS)):
        return set()
    sync_roles = {DIRECTORY_SYNC_ACCOUNTS, ON_PREMISES_DIRECTORY_SYNC_ACCOUNT}
    return {h.principal_id for h in role_holders(data) if h.role_template_id in sync_roles}


def mfa_registration_users(data: TenantData) -> Outcome:
    registration = registration_by_user(data)
    service_accounts = _sync_service_accounts(data)
    people = [
        user
        for user in data.collection("users")
        if _is_member(user)
        and user.get("accountEnabled") is not False
        and str(user.get("id")) not in service_accounts
    ]
    if not people:
        return Outcome(Status.NOT_APPLICABLE, "The tenant has no enabled member accounts.")
    missing = [
        user
        for user in people
        if not (registration.get(str(user.get("id"))) or {}).get("isMfaRegistered")
    ]
    registered = len(people) - len(missing)
    share = 100 * registered / len(people)
    summary = (
        f"{registered} of {plural(len(people), 'enabled member account')} "
        f"({int(share)}%) {verb(registered, 'has', 'have')} registered an MFA method"
    )
    if not missing:
        return Outcome(
            Status.PASS,
            f"{every(len(people), 'enabled member account').capitalize()} "
            f"{verb(len(people), 'has', 'have')} registered an MFA method.",
        )
    names = sorted(display(user, str(user.get("id"))) for user in missing)
    status = Status.FAIL if share < USERS_FAIL_BELOW else Status.WARN
    resources = tuple(
        sorted((user_resource(str(u.get("id")), u) for u in missing), key=lambda r: r.name)
    )
    return Outcome(
        status,
        f"{summary}; {len(missing)} {verb(len(missing), 'has', 'have')} not: {name_list(names)}.",
        resources,
    )


def _has_mfa(data: TenantData, admin: Admin, registration: dict[str, Any] | None) -> bool | None:
    """True/False from the admin's live methods when collected, else from the registration
    report; None when neither was collected."""
    key = methods_key(admin.id)
    if data.has(key):
        return any(m.get("@odata.type") in MFA_METHOD_TYPES for m in data.collection(key))
    if registration is not None:
        return bool((registration.get(admin.id) or {}).get("isMfaRegistered"))
    return None


def mfa_registration_admins(data: TenantData) -> Outcome:
    holders = admins(data)
    if not holders:
        return Outcome(Status.NOT_APPLICABLE, "No user holds a directory role.")
    registration = registration_by_user(data) if data.has(REGISTRATION) else None
    without: list[Admin] = []
    unknown: list[Admin] = []
    for admin in holders:
        verdict = _has_mfa(data, admin, registration)
        if verdict is None:
            unknown.append(admin)
        elif not verdict:
            without.append(admin)
    unknown_note = ""
    if unknown:
        cause = f"{data.cause(REGISTRATION)}; {data.cause(methods_key(unknown[0].id))}"
        unknown_note = (
            f"The MFA methods of {plural(len(unknown), 'more admin')} could not be read "
            f"({name_list([a.name for a in unknown])}): {cause}."
        )
    if without:
        details = (
            f"{len(without)} of {plural(len(holders), 'admin')} "
            f"{verb(len(without), 'has', 'have')} no MFA method registered: "
            f"{name_list([describe(a) for a in without])}."
        )
        return Outcome(
            Status.FAIL,
            f"{details} {unknown_note}".strip(),
            tuple(a.resource for a in without),
        )
    if unknown:
        return Outcome(Status.ERROR, unknown_note, tuple(a.resource for a in unknown))
    return Outcome(
        Status.PASS,
        f"{every(len(holders), 'admin').capitalize()} "
        f"{verb(len(holders), 'has', 'have')} an MFA method registered.",
    )


def _emergency_ids(data: TenantData) -> tuple[set[str], str]:
    """Ids of well-formed emergency-access accounts (Global Administrators excluded from every
    enabled CA policy that are permanent, cloud-only and unlicensed: an excluded daily account
    stays in scope), and a note when conditional access could not be read."""
    try:
        view = conditional_access(data)
        skus = sku_names(data) if data.has("subscribedSkus") else {}
        candidates = emergency_candidates(data, view.policies)
    except MissingData as exc:
        return set(), f" Emergency-access accounts could not be told apart ({exc.cause})."
    return {a.id for a in candidates if not emergency_problems(a, skus)}, ""


def dormant_admins(data: TenantData) -> Outcome:
    users = data.collection("users")
    unavailable = sign_in_unavailable(data, users)
    if unavailable:
        return Outcome(Status.ERROR, f"Sign-in activity could not be read: {unavailable}.")
    emergency, note = _emergency_ids(data)
    stale: list[tuple[Admin, str]] = []
    idle: list[tuple[Admin, str]] = []
    skipped: list[str] = []
    for admin in admins(data):
        user = admin.user
        if user is None or user.get("accountEnabled") is False:
            continue  # not in the snapshot, or disabled: the disabled-admins check covers it
        if admin.id in emergency:
            skipped.append(admin.name)
            continue
        last = last_sign_in(user)
        if last is not None:
            age = data.now - last
            how = f"last sign-in {last:%Y-%m-%d}, {age.days} days ago"
        else:
            created = parse_time(user.get("createdDateTime"))
            if created is not None and data.now - created <= NEW_ACCOUNT:
                continue
            age = data.now - created if created else DORMANT_FAIL + timedelta(days=1)
            how = f"never signed in, created {created:%Y-%m-%d}" if created else "never signed in"
        if age > DORMANT_FAIL:
            stale.append((admin, how))
        elif age > DORMANT_WARN:
            idle.append((admin, how))
    if skipped:
        note = (
            f" Left out as emergency-access accounts (they sign in rarely by design): "
            f"{name_list(skipped)}.{note}"
        )
    resources = tuple(a.resource for a, _ in stale + idle)
    parts: list[str] = []
    if stale:
        listed = name_list([f"{describe(a)}: {how}" for a, how in stale])
        parts.append(
            f"{plural(len(stale), 'admin')} {verb(len(stale), 'has', 'have')} not signed in "
            f"for 90 days: {listed}."
        )
    if idle:
        listed = name_list([f"{describe(a)}: {how}" for a, how in idle])
        parts.append(
            f"{plural(len(idle), 'admin')} {verb(len(idle), 'has', 'have')} not signed in "
            f"for 30 days: {listed}."
        )
    if stale or idle:
        status = Status.FAIL if stale else Status.WARN
        return Outcome(status, " ".join(parts) + note, resources)
    return Outcome(Status.PASS, f"Every enabled admin signed in within 30 days.{note}")


def _covers_everyone(policy: dict[str, Any]) -> bool:
    """All users, all apps, every client, and no risk, platform, location or device condition
    narrowing it (exclusions are the SCuBA checks' business)."""
    conditions = policy.get("conditions") or {}
    users = conditions.get("users") or {}
    apps = conditions.get("applications") or {}
    platforms = conditions.get("platforms") or {}
    locations = conditions.get("locations") or {}
    clients = set(conditions.get("clientAppTypes") or ["all"])
    return (
        "All" in (users.get("includeUsers") or [])
        and "All" in (apps.get("includeApplications") or [])
        and not conditions.get("userRiskLevels")
        and not conditions.get("signInRiskLevels")
        and not conditions.get("devices")
        and (
            not platforms
            or (
                platforms.get("includePlatforms") == ["all"]
                and not platforms.get("excludePlatforms")
            )
        )
        and (
            not locations
            or (
                locations.get("includeLocations") == ["All"]
                and not locations.get("excludeLocations")
            )
        )
        and ("all" in clients or {"browser", "mobileAppsAndDesktopClients"} <= clients)
    )


def _policy(policy: dict[str, Any]) -> Resource:
    return Resource("policy", str(policy.get("id")), str(policy.get("displayName") or ""))


def security_defaults(data: TenantData) -> Outcome:
    if data.object(SECURITY_DEFAULTS).get("isEnabled") is True:
        return Outcome(Status.PASS, "Security defaults are on.")
    view = conditional_access(data)
    if view.unlicensed:
        return Outcome(
            Status.FAIL,
            f"Security defaults are off and the tenant has no {view.unlicensed} licence, so no "
            "conditional-access policy can take their place: nothing requires MFA.",
        )
    mfa = [p for p in view.policies if requires_mfa(p)]
    if not mfa:
        return Outcome(
            Status.FAIL,
            "Security defaults are off and no enabled conditional-access policy requires MFA.",
        )
    everyone = [p for p in mfa if _covers_everyone(p)]
    names = [f"'{p.get('displayName')}'" for p in (everyone or mfa)]
    if everyone:
        return Outcome(
            Status.PASS,
            "Security defaults are off; conditional access requires MFA for all users instead "
            f"({name_list(names)}).",
            tuple(_policy(p) for p in everyone),
        )
    return Outcome(
        Status.WARN,
        "Security defaults are off and conditional access requires MFA only for some users, "
        f"apps or conditions ({name_list(names)}); other sign-ins need a password alone.",
        tuple(_policy(p) for p in mfa),
    )


CHECKS: dict[str, CheckFn] = {
    "remit.mfa.registration-users": mfa_registration_users,
    "remit.mfa.registration-admins": mfa_registration_admins,
    "remit.admins.dormant": dormant_admins,
    "remit.baseline.security-defaults": security_defaults,
}
