"""Graph-shaped tenant data built step by step, for the drift, change-event and review tests.

Payloads have the snapshot's shape (keys are Graph paths, collections are ``{"value": [...]}``)
and the property names Graph uses, so what the tests feed the governance code is what a
collection stores.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from remit.governance.model import AccessKind, ApprovedAccess, ControlMapDoc
from remit.posture.data import TenantData

TENANT_ID = "33333333-3333-4333-8333-333333333333"
DOMAIN = "contoso.example"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

GA = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
ROLE_NAMES = {
    GA: "Global Administrator",
    USER_ADMIN: "User Administrator",
    HELPDESK: "Helpdesk Administrator",
}
PASSWORD = "#microsoft.graph.passwordAuthenticationMethod"
FIDO2 = "#microsoft.graph.fido2AuthenticationMethod"
AUDITS = "auditLogs/directoryAudits"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
ASSIGNMENT_SCHEDULES = "roleManagement/directory/roleAssignmentSchedules"
ELIGIBILITY = "roleManagement/directory/roleEligibilitySchedules"
CA = "identity/conditionalAccess/policies"
SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"


def oid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-tenant/{name}"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphTenant:
    """A tenant's Graph data; every method returns the new object's id."""

    def __init__(self, *, pim: bool = True) -> None:
        self.payloads: dict[str, Any] = {
            "organization": {"value": [{"id": TENANT_ID, "displayName": "Contoso"}]},
            "users": {"value": []},
            "groups": {"value": []},
            "servicePrincipals": {"value": []},
            "applications": {"value": []},
            "roleManagement/directory/roleDefinitions": {
                "value": [
                    {"id": t, "templateId": t, "displayName": n, "isBuiltIn": True}
                    for t, n in ROLE_NAMES.items()
                ]
            },
            ASSIGNMENTS: {"value": []},
            CA: {"value": []},
            SECURITY_DEFAULTS: {"id": "00000000-0000-0000-0000-000000000005", "isEnabled": True},
            AUDITS: {"value": []},
        }
        if pim:
            self.payloads[ASSIGNMENT_SCHEDULES] = {"value": []}
            self.payloads[ELIGIBILITY] = {"value": []}

    def items(self, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.payloads.setdefault(key, {"value": []})["value"]
        return items

    def copy(self) -> GraphTenant:
        clone = GraphTenant.__new__(GraphTenant)
        clone.payloads = copy.deepcopy(self.payloads)
        return clone

    def data(self, now: datetime = NOW) -> TenantData:
        return TenantData(copy.deepcopy(self.payloads), now=now)

    # --- directory objects ---------------------------------------------------------------------

    def user(self, name: str, *, enabled: bool = True, mfa: bool = True) -> str:
        uid = oid(f"user/{name}")
        self.items("users").append(
            {
                "id": uid,
                "displayName": name.title(),
                "userPrincipalName": f"{name}@{DOMAIN}",
                "userType": "Member",
                "accountEnabled": enabled,
            }
        )
        methods = [{"@odata.type": PASSWORD, "id": "28c10230-6103-485e-b985-444c60001490"}]
        if mfa:
            methods.append({"@odata.type": FIDO2, "id": oid(f"fido/{name}")})
        self.items(f"users/{uid}/authentication/methods").extend(methods)
        return uid

    def group(self, name: str, members: list[str]) -> str:
        gid = oid(f"group/{name}")
        self.items("groups").append(
            {"id": gid, "displayName": name, "isAssignableToRole": True, "securityEnabled": True}
        )
        self.items(f"groups/{gid}/members").extend(
            {"@odata.type": "#microsoft.graph.user", "id": m} for m in members
        )
        return gid

    def service_principal(self, name: str) -> str:
        sid = oid(f"sp/{name}")
        self.items("servicePrincipals").append(
            {"id": sid, "appId": oid(f"app/{name}"), "displayName": name}
        )
        return sid

    def application(self, name: str, *secrets: str) -> str:
        aid = oid(f"application/{name}")
        self.items("applications").append(
            {
                "id": aid,
                "appId": oid(f"appid/{name}"),
                "displayName": name,
                "passwordCredentials": [self.secret(s) for s in secrets],
                "keyCredentials": [],
            }
        )
        return aid

    @staticmethod
    def secret(name: str) -> dict[str, Any]:
        return {
            "keyId": oid(f"secret/{name}"),
            "displayName": name,
            "endDateTime": "2028-11-20T12:00:00Z",
        }

    def policy(self, name: str, state: str = "enabled") -> str:
        pid = oid(f"ca/{name}")
        self.items(CA).append(
            {
                "id": pid,
                "displayName": name,
                "state": state,
                "conditions": {"users": {"includeUsers": ["All"]}},
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
            }
        )
        return pid

    # --- roles ---------------------------------------------------------------------------------

    def assign(
        self,
        principal: str,
        role: str = GA,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        activated: bool = False,
    ) -> None:
        """An active assignment; with PIM, its schedule (start, end, Assigned/Activated)."""
        self.items(ASSIGNMENTS).append(
            {
                "id": oid(f"assignment/{principal}/{role}"),
                "principalId": principal,
                "roleDefinitionId": role,
                "directoryScopeId": "/",
            }
        )
        if ASSIGNMENT_SCHEDULES in self.payloads and (start or end or activated):
            self.items(ASSIGNMENT_SCHEDULES).append(
                _schedule(principal, role, start or NOW - timedelta(days=1), end)
                | {"assignmentType": "Activated" if activated else "Assigned"}
            )

    def eligible(
        self,
        principal: str,
        role: str = GA,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        self.items(ELIGIBILITY).append(
            _schedule(principal, role, start or NOW - timedelta(days=30), end)
        )

    def unassign(self, principal: str, role: str = GA) -> None:
        for key in (ASSIGNMENTS, ASSIGNMENT_SCHEDULES, ELIGIBILITY):
            if key in self.payloads:
                self.payloads[key]["value"] = [
                    a
                    for a in self.items(key)
                    if not (a["principalId"] == principal and a["roleDefinitionId"] == role)
                ]

    # --- audit log -----------------------------------------------------------------------------

    def audit(
        self,
        activity: str,
        when: datetime,
        targets: list[dict[str, Any]],
        *,
        actor: str = f"tech@{DOMAIN}",
        result: str = "success",
        app: str | None = None,
    ) -> str:
        rid = f"Directory_{oid(f'audit/{len(self.items(AUDITS))}/{activity}')}"
        self.items(AUDITS).insert(
            0,
            {
                "id": rid,
                "category": "RoleManagement",
                "result": result,
                "activityDisplayName": activity,
                "activityDateTime": iso(when),
                "loggedByService": "Core Directory",
                "initiatedBy": {
                    "app": {"displayName": app, "appId": oid(f"appid/{app}")} if app else None,
                    "user": None if app else {"id": oid(actor), "userPrincipalName": actor},
                },
                "targetResources": targets,
            },
        )
        return rid


def _schedule(principal: str, role: str, start: datetime, end: datetime | None) -> dict[str, Any]:
    return {
        "id": oid(f"schedule/{principal}/{role}/{start.isoformat()}"),
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "createdDateTime": iso(start),
        "scheduleInfo": {
            "startDateTime": iso(start),
            "expiration": {"type": "afterDateTime", "endDateTime": iso(end)}
            if end
            else {"type": "noExpiration", "endDateTime": None},
        },
    }


def user_target(uid: str, upn: str, *changes: tuple[str, Any, Any]) -> dict[str, Any]:
    """An audit ``targetResources`` entry for a user; ``changes`` are (property, old, new)."""
    return {
        "id": uid,
        "type": "User",
        "userPrincipalName": upn,
        "modifiedProperties": [
            {
                "displayName": name,
                "oldValue": None if old is None else json.dumps(old),
                "newValue": None if new is None else json.dumps(new),
            }
            for name, old, new in changes
        ],
    }


def approve(
    principal: str,
    role: str = "Global Administrator",
    kind: AccessKind = AccessKind.ACTIVE,
    **extra: Any,
) -> ApprovedAccess:
    return ApprovedAccess(principal=principal, role=role, kind=kind, **extra)


def control_map(*access: ApprovedAccess, emergency: tuple[str, ...] = ()) -> ControlMapDoc:
    return ControlMapDoc(privileged_access=list(access), emergency_accounts=list(emergency))


def upn(name: str) -> str:
    return f"{name}@{DOMAIN}"
