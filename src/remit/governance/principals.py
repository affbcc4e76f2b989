"""Who is who in a snapshot, for drift and change events: principals by id or UPN, role names,
and when a principal started holding a role (PIM schedules, else the directory audit log).

Pure functions of :class:`~remit.posture.data.TenantData`, shared by :mod:`.drift`,
:mod:`.events_audit`, :mod:`.events_diff` and :mod:`.reviews`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from remit.domain import Resource
from remit.posture.data import TenantData
from remit.posture.views import (
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    ROLE_ASSIGNMENT_SCHEDULES,
    ROLE_ELIGIBILITY,
    RoleHolder,
    parse_time,
    role_names,
)

AUDITS = "auditLogs/directoryAudits"
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")


def normalize_activity(name: Any) -> str:
    """An audit activity name, lowercased, with en/em dashes as ``-`` and single spaces.

    Entra writes "Update application – Certificates and secrets management " (an en dash and a
    trailing space); comparisons should not depend on either.
    """
    text = _DASHES.sub("-", str(name or ""))
    return _SPACES.sub(" ", text).strip().lower()


def audit_value(raw: Any) -> Any:
    """An audit ``oldValue``/``newValue``: JSON text (``"\\"Global Administrator\\""``), decoded.

    Values that are not JSON are returned as they are.
    """
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def first_text(value: Any) -> str:
    """A decoded audit value as one string (Entra sometimes wraps it in a one-item list)."""
    if isinstance(value, list):
        return first_text(value[0]) if value else ""
    return "" if value is None else str(value)


class Directory:
    """Users, groups and service principals of a snapshot, found by object id or name."""

    def __init__(self, data: TenantData) -> None:
        self.users = _by_id(data.optional_collection("users") or [])
        self.groups = _by_id(data.optional_collection("groups") or [])
        self.service_principals = _by_id(data.optional_collection("servicePrincipals") or [])
        self._by_upn = {
            str(user.get("userPrincipalName", "")).lower(): uid
            for uid, user in self.users.items()
            if user.get("userPrincipalName")
        }

    def user_id(self, ref: str) -> str | None:
        """The object id of the user named by ``ref`` (object id or UPN, any case)."""
        wanted = ref.strip().lower()
        if wanted in self.users:
            return wanted
        for uid in self.users:
            if uid.lower() == wanted:
                return uid
        return self._by_upn.get(wanted)

    def names_of(self, principal_id: str) -> set[str]:
        """Every lowercased name an approval may use for this principal: id, UPN, appId."""
        names = {principal_id.lower()}
        user = self.users.get(principal_id)
        if user and user.get("userPrincipalName"):
            names.add(str(user["userPrincipalName"]).lower())
        sp = self.service_principals.get(principal_id)
        if sp and sp.get("appId"):
            names.add(str(sp["appId"]).lower())
        return names

    def resource(self, principal_id: str, principal_type: str = "") -> Resource:
        """The principal as a finding names it: UPN for users, display name otherwise."""
        if principal_id in self.users:
            user = self.users[principal_id]
            name = user.get("userPrincipalName") or user.get("displayName") or principal_id
            return Resource("user", principal_id, str(name))
        if principal_id in self.groups:
            return Resource(
                "group", principal_id, str(self.groups[principal_id].get("displayName") or "")
            )
        if principal_id in self.service_principals:
            sp = self.service_principals[principal_id]
            return Resource("servicePrincipal", principal_id, str(sp.get("displayName") or ""))
        kind = principal_type if principal_type not in ("", "unknown") else "user"
        return Resource(kind, principal_id, principal_id)

    def label(self, principal_id: str) -> str:
        resource = self.resource(principal_id)
        return resource.name or principal_id

    def enabled(self, user_id: str) -> bool:
        return self.users.get(user_id, {}).get("accountEnabled", True) is not False


class Roles:
    """Role template ids and display names of a snapshot (built-in names as a fallback)."""

    def __init__(self, data: TenantData) -> None:
        self.names = role_names(data)  # template id -> display name
        self._by_name = {name.lower(): template for template, name in self.names.items()}

    def template(self, ref: str) -> str | None:
        """The template id of a role named by display name or template id (any case)."""
        wanted = ref.strip().lower()
        if wanted in self.names:
            return wanted
        for template in self.names:
            if template.lower() == wanted:
                return template
        return self._by_name.get(wanted)

    def name(self, template: str) -> str:
        return self.names.get(template, template)

    def key(self, template: str | None, name: str) -> str:
        """What identifies a role in a change's match: the template id, else the name."""
        if template:
            return template.lower()
        found = self.template(name)
        return (found or name).strip().lower()


def role_severity_rank(template: str) -> int:
    """2 for Global Administrator, 1 for other highly privileged roles, 0 for the rest."""
    if template == GLOBAL_ADMINISTRATOR:
        return 2
    return 1 if template in HIGHLY_PRIVILEGED_ROLES else 0


class Starts:
    """When a principal started holding a role: PIM schedules first, then the audit log."""

    def __init__(self, data: TenantData, roles: Roles) -> None:
        self._roles = roles
        self._schedules: dict[tuple[str, str, str], datetime] = {}
        for key, kind in ((ROLE_ASSIGNMENT_SCHEDULES, "active"), (ROLE_ELIGIBILITY, "eligible")):
            for schedule in data.optional_collection(key) or []:
                start = parse_time(
                    (schedule.get("scheduleInfo") or {}).get("startDateTime")
                ) or parse_time(schedule.get("createdDateTime"))
                template = roles.template(str(schedule.get("roleDefinitionId", "")))
                if start is None or template is None:
                    continue
                slot = (str(schedule.get("principalId")), template, kind)
                if slot not in self._schedules or start < self._schedules[slot]:
                    self._schedules[slot] = start
        self._audits = [
            record
            for record in data.optional_collection(AUDITS) or []
            if str(record.get("result") or "success").lower() == "success"
        ]

    def since(self, holder: RoleHolder) -> datetime | None:
        if holder.via_group:
            return self._joined_group(holder.principal_id, holder.via_group)
        scheduled = self._schedules.get((holder.principal_id, holder.role_template_id, holder.kind))
        if scheduled is not None:
            return scheduled
        return self._role_added(holder)

    def _role_added(self, holder: RoleHolder) -> datetime | None:
        wanted = (
            "add eligible member to role" if holder.kind == "eligible" else "add member to role"
        )
        latest: datetime | None = None
        for record in self._audits:
            activity = normalize_activity(record.get("activityDisplayName"))
            if (
                not activity.startswith(wanted)
                or "activation" in activity
                or "requested" in activity
            ):
                continue
            for target in record.get("targetResources") or []:
                if str(target.get("id")) != holder.principal_id:
                    continue
                if self._names_role(record, target, holder.role_template_id):
                    moment = parse_time(record.get("activityDateTime"))
                    if moment and (latest is None or moment > latest):
                        latest = moment
        return latest

    def _names_role(self, record: dict[str, Any], target: dict[str, Any], template: str) -> bool:
        for prop in _properties(record, target):
            name = str(prop.get("displayName", ""))
            value = first_text(audit_value(prop.get("newValue")))
            if name == "Role.TemplateId" and value.lower() == template.lower():
                return True
            if name == "Role.DisplayName" and self._roles.template(value) == template:
                return True
        return any(
            str(other.get("type", "")).lower() == "role"
            and self._roles.template(str(other.get("displayName") or "")) == template
            for other in record.get("targetResources") or []
        )

    def _joined_group(self, user_id: str, group_id: str) -> datetime | None:
        latest: datetime | None = None
        for record in self._audits:
            if normalize_activity(record.get("activityDisplayName")) != "add member to group":
                continue
            ids = {str(t.get("id")) for t in record.get("targetResources") or []}
            if {user_id, group_id} <= ids:
                moment = parse_time(record.get("activityDateTime"))
                if moment and (latest is None or moment > latest):
                    latest = moment
        return latest


def _properties(record: dict[str, Any], target: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The modified properties of ``target``, then those of the record's other targets."""
    yield from target.get("modifiedProperties") or []
    for other in record.get("targetResources") or []:
        if other is not target:
            yield from other.get("modifiedProperties") or []


def _by_id(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item["id"]): item for item in items if "id" in item}
