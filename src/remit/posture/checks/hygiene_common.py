"""Views shared by the MSP hygiene checks: who counts as an admin, when an account last signed
in, what proves MFA, who conditional access leaves out, which licences carry a mailbox.

Pure functions of :class:`TenantData`, like :mod:`remit.posture.views`; anything missing raises
:class:`MissingData` through the data object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remit.domain import EndpointOutcome
from remit.posture.data import TenantData
from remit.posture.model import Resource
from remit.posture.views import (
    CA_POLICIES,
    GLOBAL_ADMINISTRATOR,
    RoleHolder,
    display,
    enabled_ca_policies,
    parse_time,
    role_holders,
)

# Directory roles that are not administration: the accounts Entra Connect and Cloud Sync use
# (service accounts that cannot do MFA or sign in interactively) and the default user roles.
DIRECTORY_SYNC_ACCOUNTS = "d29b2b05-8046-44ba-8758-1e26182fcf32"
ON_PREMISES_DIRECTORY_SYNC_ACCOUNT = "a92aed5d-d78a-4d16-b381-09adb37eb3b0"
NON_ADMIN_ROLES: frozenset[str] = frozenset(
    {
        DIRECTORY_SYNC_ACCOUNTS,
        ON_PREMISES_DIRECTORY_SYNC_ACCOUNT,
        "a0b1b346-4d3e-4e8b-98f8-753987be4970",  # User
        "10dae51f-b6af-4016-8d66-8c2a99b929b3",  # Guest User
        "2af84b1e-32c8-42b7-82bc-daa82404023b",  # Restricted Guest User
    }
)

# users/{id}/authentication/methods types that are a second factor. Password, e-mail (self-service
# password reset only), temporary access pass (a one-off) and QR code + PIN are not.
MFA_METHOD_TYPES: frozenset[str] = frozenset(
    {
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "#microsoft.graph.phoneAuthenticationMethod",
        "#microsoft.graph.fido2AuthenticationMethod",
        "#microsoft.graph.softwareOathAuthenticationMethod",
        "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
        "#microsoft.graph.platformCredentialAuthenticationMethod",
        "#microsoft.graph.externalAuthenticationMethod",
    }
)

INLINE_NAMES = 10  # at most this many names in a finding's details; all go in resources


def methods_key(user_id: str) -> str:
    return f"users/{user_id}/authentication/methods"


def name_list(names: Sequence[str], limit: int = INLINE_NAMES) -> str:
    """``a, b, c`` or ``a, b, … and 4 more`` (all of them are in the finding's resources)."""
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def verb(count: int, one: str, many: str) -> str:
    """``has``/``have`` (or any pair) agreeing with ``count``."""
    return one if count == 1 else many


def every(count: int, word: str, many: str | None = None) -> str:
    """``the only admin``, ``both admins``, ``all 5 admins``."""
    if count == 1:
        return f"the only {word}"
    return f"both {many or word + 's'}" if count == 2 else f"all {plural(count, word, many)}"


def user_resource(user_id: str, user: dict[str, Any] | None) -> Resource:
    return Resource("user", user_id, display(user, user_id))


def missing_licence(data: TenantData, key: str) -> str | None:
    """The licence whose absence kept ``key`` out of the snapshot, or None when that is not why."""
    if data.has(key):
        return None
    result = data.result(key)
    if result is None or result.outcome is not EndpointOutcome.LICENSE_REQUIRED:
        return None
    return result.license or "a premium"


# --- Admins -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Admin:
    """A user holding at least one administrative directory role (active or PIM eligible)."""

    id: str
    user: dict[str, Any] | None  # None when the principal is not in the users collection
    roles: tuple[RoleHolder, ...]

    @property
    def name(self) -> str:
        return display(self.user, self.id)

    @property
    def role_names(self) -> list[str]:
        return sorted({r.role_name for r in self.roles})

    @property
    def resource(self) -> Resource:
        return user_resource(self.id, self.user)

    def holds(self, templates: Iterable[str]) -> bool:
        wanted = set(templates)
        return any(r.role_template_id in wanted for r in self.roles)


def admins(data: TenantData, roles: Iterable[str] | None = None) -> list[Admin]:
    """Users holding an administrative directory role at tenant scope, active or eligible,
    directly or through a group, sorted by name. ``roles`` limits it to those template ids."""
    wanted = set(roles) if roles is not None else None
    users = {str(u["id"]): u for u in data.collection("users") if "id" in u}
    held: dict[str, list[RoleHolder]] = {}
    for holder in role_holders(data):
        if holder.principal_type not in ("user", "unknown"):
            continue
        if holder.principal_type == "unknown" and holder.principal_id not in users:
            continue  # a deleted principal or a service principal missing from the snapshot
        if holder.role_template_id in NON_ADMIN_ROLES:
            continue
        if wanted is not None and holder.role_template_id not in wanted:
            continue
        held.setdefault(holder.principal_id, []).append(holder)
    out = [Admin(uid, users.get(uid), tuple(roles_)) for uid, roles_ in held.items()]
    return sorted(out, key=lambda a: a.name.lower())


def describe(admin: Admin) -> str:
    return f"{admin.name} ({', '.join(admin.role_names)})"


# --- Sign-in activity -------------------------------------------------------------------------

SIGN_IN_PART = "users.signInActivity"


def sign_in_unavailable(data: TenantData, users: Iterable[dict[str, Any]]) -> str | None:
    """Why the users' sign-in activity cannot be used, or None when it was collected."""
    missing = data.missing_part(SIGN_IN_PART)
    if missing:
        return missing
    if not any("signInActivity" in user for user in users):
        return data.cause(SIGN_IN_PART)
    return None


def last_sign_in(user: dict[str, Any]) -> datetime | None:
    """The last successful sign-in; without one, the latest interactive or non-interactive one."""
    activity = user.get("signInActivity") or {}
    successful = parse_time(activity.get("lastSuccessfulSignInDateTime"))
    if successful is not None:
        return successful
    others = [
        parse_time(activity.get("lastSignInDateTime")),
        parse_time(activity.get("lastNonInteractiveSignInDateTime")),
    ]
    known = [moment for moment in others if moment is not None]
    return max(known) if known else None


# --- Conditional access -----------------------------------------------------------------------


def group_member_ids(data: TenantData, group_id: str, _seen: set[str] | None = None) -> set[str]:
    """Members of a group, nested groups expanded where their members were collected.

    A group missing from the snapshot's ``groups`` (deleted since a policy named it) has no
    members; a known group whose members were not collected raises :class:`MissingData`.
    """
    seen = _seen if _seen is not None else set()
    if group_id in seen:
        return set()
    seen.add(group_id)
    key = f"groups/{group_id}/members"
    if not data.has(key):
        known = {str(g.get("id")) for g in data.collection("groups")}
        if group_id not in known:
            return set()
    out: set[str] = set()
    for member in data.collection(key):
        member_id = str(member.get("id"))
        if str(member.get("@odata.type", "")).endswith(".group"):
            out |= group_member_ids(data, member_id, seen)
        else:
            out.add(member_id)
    return out


def excluded_user_ids(data: TenantData, policy: dict[str, Any]) -> set[str]:
    """Users a conditional-access policy excludes by name or through an excluded group."""
    users = (policy.get("conditions") or {}).get("users") or {}
    out = {str(u) for u in users.get("excludeUsers") or []}
    for group_id in users.get("excludeGroups") or []:
        out |= group_member_ids(data, str(group_id))
    return out


@dataclass(frozen=True, slots=True)
class CaView:
    """The enabled conditional-access policies, or why there are none to look at."""

    policies: list[dict[str, Any]]
    unlicensed: str | None = None  # the missing licence when CA could not be read for it


def conditional_access(data: TenantData) -> CaView:
    """Enabled CA policies; an unlicensed tenant gets an empty view naming the licence, any
    other reason for missing policies raises :class:`MissingData`."""
    licence = missing_licence(data, CA_POLICIES)
    if licence is not None:
        return CaView([], unlicensed=licence)
    return CaView(enabled_ca_policies(data))


def requires_mfa(policy: dict[str, Any]) -> bool:
    grant = policy.get("grantControls") or {}
    return "mfa" in (grant.get("builtInControls") or []) or bool(
        grant.get("authenticationStrength")
    )


def emergency_problems(admin: Admin, skus: dict[str, str]) -> list[str]:
    """Why an emergency-access candidate is not fit for the job (empty when it is)."""
    user = admin.user or {}
    problems: list[str] = []
    if not any(
        r.role_template_id == GLOBAL_ADMINISTRATOR and r.kind == "active" and r.permanent
        for r in admin.roles
    ):
        problems.append("not a permanent active Global Administrator")
    if user.get("accountEnabled") is False:
        problems.append("disabled")
    if user.get("onPremisesSyncEnabled") is True:
        problems.append("synced from on-premises")
    licences = [
        skus.get(str(lic.get("skuId")), str(lic.get("skuId")))
        for lic in user.get("assignedLicenses") or []
    ]
    if licences:
        problems.append(f"licensed ({', '.join(sorted(licences))})")
    return problems


def emergency_candidates(data: TenantData, policies: list[dict[str, Any]]) -> list[Admin]:
    """Global Administrators (active or eligible) that every one of ``policies`` excludes, by
    name or through an excluded group: what emergency-access accounts look like in a snapshot.
    Needs at least one policy (with none, every account would qualify)."""
    if not policies:
        return []
    excluded = [excluded_user_ids(data, policy) for policy in policies]
    return [
        admin
        for admin in admins(data, {GLOBAL_ADMINISTRATOR})
        if all(admin.id in ids for ids in excluded)
    ]


# --- Licences ---------------------------------------------------------------------------------

# Exchange service plans that give a mailbox (EXCHANGE_S_FOUNDATION does not: it only lets
# other services store data in Exchange).
MAILBOX_PLAN_PREFIXES = ("EXCHANGE_S_", "EXCHANGE_L_")
NO_MAILBOX_PLANS = frozenset({"EXCHANGE_S_FOUNDATION"})


def mailbox_plans(data: TenantData) -> dict[str, set[str]]:
    """SKU id → ids of the service plans in it that give the user a mailbox."""
    out: dict[str, set[str]] = {}
    for sku in data.collection("subscribedSkus"):
        plans = {
            str(plan.get("servicePlanId"))
            for plan in sku.get("servicePlans") or []
            if str(plan.get("servicePlanName", "")).startswith(MAILBOX_PLAN_PREFIXES)
            and plan.get("servicePlanName") not in NO_MAILBOX_PLANS
        }
        out[str(sku.get("skuId"))] = plans
    return out


def sku_names(data: TenantData) -> dict[str, str]:
    return {
        str(sku.get("skuId")): str(sku.get("skuPartNumber") or sku.get("skuId"))
        for sku in data.collection("subscribedSkus")
    }
