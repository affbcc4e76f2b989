"""What the SCuBA Entra ID checks share: wording helpers, the tenant's Entra ID P2 licence, who
holds the highly privileged roles, and which accounts look like emergency-access accounts.

Pure functions of :class:`TenantData`; anything a view needs and the snapshot lacks raises
:class:`MissingData` through the data object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from remit.posture.data import TenantData
from remit.posture.model import Resource
from remit.posture.views import (
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    ROLE_ELIGIBILITY,
    RoleHolder,
    display,
    role_holders,
    users_by_id,
)

INLINE = 10  # at most this many names in a finding's details; every one goes in resources

# The service plan ScubaGear looks for to decide that a tenant has Entra ID P2
# (Rego/Utils/AAD.rego, Aad2P2Licenses: ServicePlanName == "AAD_PREMIUM_P2").
P2_SERVICE_PLAN = "AAD_PREMIUM_P2"
# The id Graph uses in an authentication method feature's excludeTarget when nothing is excluded.
NO_EXCLUDED_TARGET = "00000000-0000-0000-0000-000000000000"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def name_list(names: Sequence[str], limit: int = INLINE) -> str:
    """``a, b and c``; past ``limit`` names, ``a, b, ... and 7 more``."""
    shown = list(names[:limit])
    rest = len(names) - len(shown)
    if rest > 0:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def quoted(name: str) -> str:
    return f"'{name}'"


def has_p2(data: TenantData) -> bool | None:
    """Whether a subscribed SKU carries the Entra ID P2 service plan (None: SKUs not collected)."""
    skus = data.optional_collection("subscribedSkus")
    if skus is None:
        return None
    for sku in skus:
        for plan in sku.get("servicePlans") or []:
            if isinstance(plan, dict) and plan.get("servicePlanName") == P2_SERVICE_PLAN:
                return True
    return False


def eligibility_gap(data: TenantData) -> str | None:
    """Why PIM eligible assignments are unknown, or None when they are known.

    Without Entra ID P2 there can be no eligible assignment, so a snapshot that lacks them for
    that reason is complete; any other reason (a missing permission, a failed read) leaves a gap.
    """
    if data.has(ROLE_ELIGIBILITY) or has_p2(data) is False:
        return None
    return data.cause(ROLE_ELIGIBILITY)


@dataclass(slots=True)
class PrivilegedUser:
    """A user holding at least one of SCuBA's highly privileged roles, active or eligible."""

    id: str
    user: dict[str, Any] | None
    holders: list[RoleHolder] = field(default_factory=list)

    @property
    def name(self) -> str:
        return display(self.user, self.id)

    @property
    def roles(self) -> set[str]:
        return {h.role_template_id for h in self.holders}

    @property
    def is_global_admin(self) -> bool:
        return GLOBAL_ADMINISTRATOR in self.roles

    @property
    def only_eligible(self) -> bool:
        return all(h.kind == "eligible" for h in self.holders)

    def resource(self) -> Resource:
        return Resource("user", self.id, self.name)


@dataclass(frozen=True, slots=True)
class PrivilegedView:
    """Who holds the highly privileged roles, and what could not be known about it."""

    users: dict[str, PrivilegedUser]
    gaps: tuple[str, ...]  # causes: eligible assignments or group members that were not read


def privileged_users(data: TenantData, roles: Iterable[str] | None = None) -> PrivilegedView:
    """Users holding ``roles`` (default: SCuBA's highly privileged roles), counted as ScubaGear's
    Get-PrivilegedUser counts them (ExportAADProvider.psm1): active and PIM eligible assignments,
    directly or through a group's members."""
    wanted = set(roles) if roles is not None else set(HIGHLY_PRIVILEGED_ROLES)
    users = users_by_id(data)
    gaps: list[str] = []
    gap = eligibility_gap(data)
    if gap:
        gaps.append(f"eligible assignments are unknown ({gap})")
    out: dict[str, PrivilegedUser] = {}
    for holder in role_holders(data):
        if holder.role_template_id not in wanted:
            continue
        if holder.principal_type == "group" and not data.has(
            f"groups/{holder.principal_id}/members"
        ):
            gaps.append(data.cause(f"groups/{holder.principal_id}/members"))
        if holder.principal_type != "user":
            continue
        entry = out.setdefault(
            holder.principal_id,
            PrivilegedUser(holder.principal_id, users.get(holder.principal_id)),
        )
        entry.holders.append(holder)
    return PrivilegedView(out, tuple(dict.fromkeys(gaps)))


def is_cloud_only(user: dict[str, Any]) -> bool:
    """Not synchronised from (or anchored to) an on-premises directory."""
    return user.get("onPremisesSyncEnabled") is not True and not user.get("onPremisesImmutableId")


def emergency_access_ids(data: TenantData) -> set[str]:
    """Users that look like emergency-access ("break-glass") accounts.

    ScubaGear accepts conditional-access exclusions and permanent assignments only for accounts
    an agency lists in its configuration (CapExclusions, RoleExclusions). Remit has no such list,
    so it recognises the accounts Microsoft's emergency-access guidance describes: enabled,
    cloud-only member accounts with no licence that hold Global Administrator through a
    permanent, direct, active assignment.
    """
    users = users_by_id(data)
    found: set[str] = set()
    for holder in role_holders(data, expand_groups=False):
        if (
            holder.role_template_id != GLOBAL_ADMINISTRATOR
            or holder.kind != "active"
            or not holder.permanent
            or holder.principal_type != "user"
        ):
            continue
        user = users.get(holder.principal_id)
        if user is None or user.get("accountEnabled") is False:
            continue
        if (user.get("userType") or "Member") != "Member":
            continue
        licences = user.get("assignedLicenses")
        if isinstance(licences, list) and not licences and is_cloud_only(user):
            found.add(holder.principal_id)
    return found
