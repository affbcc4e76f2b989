"""A short, factual summary of a snapshot: what a technician sees first for each tenant.

Pure function of snapshot payloads (no I/O). Posture judgements belong to remit.posture; this
only counts what is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GLOBAL_ADMINISTRATOR_TEMPLATE_ID = "62e90394-69f5-4237-9190-012177145e10"


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    display_name: str
    users: int
    guests: int
    global_admins: int | None  # None when role assignments were not collected
    ca_policies_enabled: int | None
    security_defaults: bool | None
    mfa_registered_percent: float | None
    devices: int | None


def _values(payloads: Mapping[str, Any], key: str) -> list[dict[str, Any]] | None:
    body = payloads.get(key)
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return [v for v in body["value"] if isinstance(v, dict)]
    return None


def summarize(payloads: Mapping[str, Any]) -> SnapshotSummary:
    users = _values(payloads, "users") or []
    orgs = _values(payloads, "organization") or []
    definitions = _values(payloads, "roleManagement/directory/roleDefinitions") or []
    ga_ids = {
        d["id"]
        for d in definitions
        if d.get("templateId") == GLOBAL_ADMINISTRATOR_TEMPLATE_ID
        or d.get("id") == GLOBAL_ADMINISTRATOR_TEMPLATE_ID
    } or {GLOBAL_ADMINISTRATOR_TEMPLATE_ID}
    assignments = _values(payloads, "roleManagement/directory/roleAssignments")
    global_admins = (
        len({a.get("principalId") for a in assignments if a.get("roleDefinitionId") in ga_ids})
        if assignments is not None
        else None
    )
    policies = _values(payloads, "identity/conditionalAccess/policies")
    defaults = payloads.get("policies/identitySecurityDefaultsEnforcementPolicy")
    registrations = _values(payloads, "reports/authenticationMethods/userRegistrationDetails")
    members = [r for r in registrations or [] if r.get("userType", "member") == "member"]
    devices = _values(payloads, "deviceManagement/managedDevices")
    return SnapshotSummary(
        display_name=str(orgs[0].get("displayName", "")) if orgs else "",
        users=sum(1 for u in users if u.get("userType") != "Guest"),
        guests=sum(1 for u in users if u.get("userType") == "Guest"),
        global_admins=global_admins,
        ca_policies_enabled=(
            sum(1 for p in policies if p.get("state") == "enabled")
            if policies is not None
            else None
        ),
        security_defaults=(bool(defaults.get("isEnabled")) if isinstance(defaults, dict) else None),
        mfa_registered_percent=(
            round(100 * sum(1 for r in members if r.get("isMfaRegistered")) / len(members), 1)
            if members
            else None
        ),
        devices=len(devices) if devices is not None else None,
    )
