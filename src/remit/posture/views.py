"""Derived views of a snapshot that many checks share: roles and who holds them, users,
groups, conditional-access policies, MFA registration.

Pure functions of :class:`TenantData`; each raises :class:`MissingData` (through the data object)
when what it needs was not collected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from remit.posture.data import TenantData

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"

# CISA SCuBA's "Highly Privileged Roles" (aad.md), by built-in role template id.
HIGHLY_PRIVILEGED_ROLES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
}

ROLE_ASSIGNMENTS = "roleManagement/directory/roleAssignments"
ROLE_DEFINITIONS = "roleManagement/directory/roleDefinitions"
ROLE_ELIGIBILITY = "roleManagement/directory/roleEligibilitySchedules"
ROLE_ASSIGNMENT_SCHEDULES = "roleManagement/directory/roleAssignmentSchedules"
CA_POLICIES = "identity/conditionalAccess/policies"
REGISTRATION = "reports/authenticationMethods/userRegistrationDetails"


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 Graph timestamp as an aware datetime (None when absent or unparsable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def by_id(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item["id"]): item for item in items if "id" in item}


def users_by_id(data: TenantData) -> dict[str, dict[str, Any]]:
    return by_id(data.collection("users"))


def display(item: dict[str, Any] | None, fallback: str = "") -> str:
    """The name a technician recognises: UPN for users, display name otherwise."""
    if not item:
        return fallback
    return str(item.get("userPrincipalName") or item.get("displayName") or fallback)


def role_template_ids(data: TenantData) -> dict[str, str]:
    """Role definition id → role template id (they are equal for built-in roles)."""
    out: dict[str, str] = {}
    for definition in data.collection(ROLE_DEFINITIONS):
        out[str(definition["id"])] = str(definition.get("templateId") or definition["id"])
    return out


def role_names(data: TenantData) -> dict[str, str]:
    """Role template id → display name."""
    names = dict(HIGHLY_PRIVILEGED_ROLES)
    for definition in data.optional_collection(ROLE_DEFINITIONS) or []:
        template = str(definition.get("templateId") or definition.get("id"))
        names[template] = str(definition.get("displayName") or names.get(template, template))
    return names


@dataclass(frozen=True, slots=True)
class RoleHolder:
    """A user or other principal holding a directory role, directly or through a group."""

    principal_id: str
    principal_type: str  # user | group | servicePrincipal | unknown
    role_template_id: str
    role_name: str
    kind: str  # "active" or "eligible"
    permanent: bool  # no end date
    end: datetime | None = None
    via_group: str | None = None  # the role-assignable group the user holds it through
    assignment_type: str = ""  # PIM: "Assigned" or "Activated" (active ones only)


def _principal_types(data: TenantData) -> dict[str, str]:
    types: dict[str, str] = {}
    for key, kind in (("users", "user"), ("groups", "group"), ("servicePrincipals", "sp")):
        for item in data.optional_collection(key) or []:
            types[str(item.get("id"))] = "servicePrincipal" if kind == "sp" else kind
    return types


def _end_of(schedule: dict[str, Any]) -> datetime | None:
    info = schedule.get("scheduleInfo") or {}
    expiration = info.get("expiration") or {}
    if expiration.get("type") in (None, "noExpiration"):
        return None
    return parse_time(expiration.get("endDateTime"))


def role_holders(data: TenantData, *, expand_groups: bool = True) -> list[RoleHolder]:
    """Every active and eligible directory-role holder at tenant scope.

    Active ones come from ``roleAssignments``; when PIM's ``roleAssignmentSchedules`` were
    collected, they say which of those are permanent and which were activated. Eligible ones
    come from ``roleEligibilitySchedules`` when collected (Entra ID P2). Group holders are
    expanded to their members (with ``via_group``) when the group's members were collected.
    """
    templates = role_template_ids(data)
    names = role_names(data)
    types = _principal_types(data)
    holders: list[RoleHolder] = []
    schedules = data.optional_collection(ROLE_ASSIGNMENT_SCHEDULES)
    scheduled: dict[tuple[str, str], dict[str, Any]] = {}
    for schedule in schedules or []:
        template = templates.get(str(schedule.get("roleDefinitionId")), "")
        scheduled[(str(schedule.get("principalId")), template)] = schedule

    def add(item: dict[str, Any], kind: str, schedule: dict[str, Any] | None) -> None:
        if (item.get("directoryScopeId") or "/") != "/":
            return  # administrative-unit or app-scoped assignments are not tenant-wide
        template = templates.get(
            str(item.get("roleDefinitionId")), str(item.get("roleDefinitionId"))
        )
        principal = str(item.get("principalId"))
        end = _end_of(schedule) if schedule else None
        holders.append(
            RoleHolder(
                principal_id=principal,
                principal_type=types.get(principal, "unknown"),
                role_template_id=template,
                role_name=names.get(template, template),
                kind=kind,
                permanent=end is None,
                end=end,
                assignment_type=str((schedule or {}).get("assignmentType") or ""),
            )
        )

    for assignment in data.collection(ROLE_ASSIGNMENTS):
        template = templates.get(str(assignment.get("roleDefinitionId")), "")
        add(assignment, "active", scheduled.get((str(assignment.get("principalId")), template)))
    for eligibility in data.optional_collection(ROLE_ELIGIBILITY) or []:
        add(eligibility, "eligible", eligibility)
    if not expand_groups:
        return holders
    expanded: list[RoleHolder] = []
    for holder in holders:
        expanded.append(holder)
        if holder.principal_type != "group":
            continue
        members_key = f"groups/{holder.principal_id}/members"
        for member in data.optional_collection(members_key) or []:
            expanded.append(
                RoleHolder(
                    principal_id=str(member.get("id")),
                    principal_type=types.get(str(member.get("id")), "user"),
                    role_template_id=holder.role_template_id,
                    role_name=holder.role_name,
                    kind=holder.kind,
                    permanent=holder.permanent,
                    end=holder.end,
                    via_group=holder.principal_id,
                    assignment_type=holder.assignment_type,
                )
            )
    return expanded


def user_role_holders(
    data: TenantData, roles: Iterable[str] | None = None, *, kinds: Iterable[str] = ("active",)
) -> dict[str, list[RoleHolder]]:
    """User id → the roles (of ``roles`` template ids; all when None) the user holds."""
    wanted = set(roles) if roles is not None else None
    allowed = set(kinds)
    out: dict[str, list[RoleHolder]] = {}
    for holder in role_holders(data):
        if holder.principal_type != "user" or holder.kind not in allowed:
            continue
        if wanted is not None and holder.role_template_id not in wanted:
            continue
        out.setdefault(holder.principal_id, []).append(holder)
    return out


def global_admins(
    data: TenantData, *, kinds: Iterable[str] = ("active",)
) -> dict[str, list[RoleHolder]]:
    return user_role_holders(data, {GLOBAL_ADMINISTRATOR}, kinds=kinds)


def enabled_ca_policies(data: TenantData) -> list[dict[str, Any]]:
    """Conditional-access policies that are on (report-only ones enforce nothing)."""
    return [p for p in data.collection(CA_POLICIES) if p.get("state") == "enabled"]


def registration_by_user(data: TenantData) -> dict[str, dict[str, Any]]:
    return by_id(data.collection(REGISTRATION))
