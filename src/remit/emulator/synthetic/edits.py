"""Consistent edits of a tenant's Graph data (the fixture format), used by the scenarios.

A ``TenantEdit`` is one application of a change: it finds users and collections, creates keys a
hand-written fixture may lack, derives new ids deterministically from the tenant, the change,
the time and the audit log, and records audit events with the acting admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from remit.emulator.model import TenantSpec
from remit.emulator.synthetic.audit import Actor, Target, add_event, audit_event
from remit.emulator.synthetic.catalog import (
    GLOBAL_ADMIN,
    PASSWORD_METHOD_ID,
    ROLES_BY_ID,
    ROLES_BY_NAME,
)
from remit.emulator.synthetic.common import iso, role_assignment_id

Json = dict[str, Any]

USERS = "users"
ROLES = "directoryRoles"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
ASSIGNMENT_SCHEDULES = "roleManagement/directory/roleAssignmentSchedules"
ELIGIBILITY_SCHEDULES = "roleManagement/directory/roleEligibilitySchedules"
REGISTRATION = "reports/authenticationMethods/userRegistrationDetails"
CA_POLICIES = "identity/conditionalAccess/policies"
SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
APPLICATIONS = "applications"
PASSWORD_METHOD = "#microsoft.graph.passwordAuthenticationMethod"


class ScenarioError(ValueError):
    """A scenario was asked for with a bad parameter, or cannot apply to this tenant."""


@dataclass
class TenantEdit:
    """One application of a change: the data, the parameters, the clock and an id source."""

    scenario: str
    spec: TenantSpec
    params: dict[str, str]
    now: datetime
    _count: int = field(default=0, init=False)
    _seed: str = field(default="", init=False)

    def __post_init__(self) -> None:
        audits = self.data.get("auditLogs/directoryAudits", {}).get("value", [])
        self._seed = f"{self.spec.tenant_id}/{self.scenario}/{self.now.isoformat()}/{len(audits)}"

    @property
    def data(self) -> dict[str, Any]:
        return self.spec.data

    def new_id(self) -> str:
        self._count += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"remit-scenario:{self._seed}/{self._count}"))

    def collection(self, key: str) -> list[Json]:
        """The ``value`` list of a collection key, created empty when the tenant lacks it."""
        body = self.data.setdefault(key, {"value": []})
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise ScenarioError(f"data key {key!r} is not a collection ({{'value': [...]}})")
        items: list[Json] = body["value"]
        return items

    def existing(self, key: str) -> list[Json]:
        body = self.data.get(key)
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            items: list[Json] = body["value"]
            return items
        return []

    def user(self, ref: str) -> Json:
        """A user by object id or UPN (case-insensitive)."""
        wanted = ref.strip().lower()
        for user in self.existing(USERS):
            if (
                user.get("id", "").lower() == wanted
                or str(user.get("userPrincipalName", "")).lower() == wanted
            ):
                return user
        raise ScenarioError(f"no user with id or UPN {ref!r} in tenant {self.spec.tenant_id}")

    def actor(self) -> Actor:
        upn = self.params.get("actor")
        if upn:
            try:
                user = self.user(upn)
            except ScenarioError:  # e.g. a partner technician acting through GDAP
                return Actor(id=str(uuid.uuid5(uuid.NAMESPACE_URL, upn.lower())), upn=upn)
            return Actor(id=user["id"], upn=user["userPrincipalName"])
        holders = {
            a.get("principalId")
            for a in self.existing(ASSIGNMENTS)
            if a.get("roleDefinitionId") == GLOBAL_ADMIN
        }
        for user in self.existing(USERS):
            if (
                user.get("id") in holders
                and user.get("accountEnabled", True)
                and (user.get("userType", "Member") == "Member")
            ):
                return Actor(id=user["id"], upn=user["userPrincipalName"])
        return Actor(id=self.new_id(), upn=f"admin@{self.spec.primary_domain}")

    def audit(
        self,
        activity: str,
        category: str,
        operation: str,
        targets: list[Target],
        *,
        service: str = "Core Directory",
        seconds_ago: float = 0,
    ) -> Json:
        event = audit_event(
            self.new_id,
            self.now - timedelta(seconds=seconds_ago),
            activity=activity,
            category=category,
            service=service,
            operation=operation,
            actor=self.actor(),
            targets=targets,
        )
        add_event(self.data, event)
        return event


def user_ref(user: Json) -> Json:
    ref: Json = {"@odata.type": "#microsoft.graph.user", "id": user["id"]}
    for key in (
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
    ):
        ref[key] = user.get(key, [] if key == "businessPhones" else None)
    return ref


def resolve_role(ref: str) -> tuple[str, str]:
    """(template id, display name) of a built-in role named by display name or template id."""
    wanted = ref.strip().lower()
    for name, role in ROLES_BY_NAME.items():
        if name.lower() == wanted or role.template_id == wanted:
            return role.template_id, name
    known = ", ".join(sorted(ROLES_BY_NAME))
    raise ScenarioError(f"unknown directory role {ref!r}; use a built-in role name: {known}")


def assign_role(run: TenantEdit, user: Json, template_id: str, role_name: str) -> None:
    assignments = run.collection(ASSIGNMENTS)
    if any(
        a.get("principalId") == user["id"] and a.get("roleDefinitionId") == template_id
        for a in assignments
    ):
        raise ScenarioError(f"{user['userPrincipalName']} already holds {role_name}")
    roles = run.collection(ROLES)
    role = next((r for r in roles if r.get("roleTemplateId") == template_id), None)
    if role is None:  # the first assignment activates the role
        role = {
            "id": run.new_id(),
            "deletedDateTime": None,
            "description": ROLES_BY_ID[template_id].description,
            "displayName": role_name,
            "roleTemplateId": template_id,
        }
        roles.append(role)
    run.collection(f"{ROLES}/{role['id']}/members").append(user_ref(user))
    assignments.append(
        {
            "id": role_assignment_id(template_id, user["id"]),
            "principalId": user["id"],
            "roleDefinitionId": template_id,
            "directoryScopeId": "/",
            "appScopeId": None,
            "condition": None,
        }
    )
    if ASSIGNMENT_SCHEDULES in run.data:  # P2 tenants: a permanent active assignment via PIM
        start = iso(run.now)
        run.collection(ASSIGNMENT_SCHEDULES).append(
            {
                "id": run.new_id(),
                "principalId": user["id"],
                "roleDefinitionId": template_id,
                "directoryScopeId": "/",
                "appScopeId": None,
                "createdUsing": run.new_id(),
                "createdDateTime": start,
                "modifiedDateTime": None,
                "status": "Provisioned",
                "assignmentType": "Assigned",
                "memberType": "Direct",
                "scheduleInfo": {
                    "startDateTime": start,
                    "recurrence": None,
                    "expiration": {"type": "noExpiration", "endDateTime": None, "duration": None},
                },
            }
        )
    for details in run.existing(REGISTRATION):
        if details.get("id") == user["id"]:
            details["isAdmin"] = True
    run.audit(
        "Add member to role",
        "RoleManagement",
        "Assign",
        [
            Target(
                user["id"],
                None,
                "User",
                user["userPrincipalName"],
                (("Role.DisplayName", None, role_name), ("Role.TemplateId", None, template_id)),
            )
        ],
    )


def blank_user(run: TenantEdit, *, upn: str, display: str, guest_mail: str | None = None) -> Json:
    local = upn.split("@")[0]
    return {
        "id": run.new_id(),
        "displayName": display,
        "givenName": None,
        "surname": None,
        "userPrincipalName": upn,
        "mail": guest_mail,
        "mailNickname": local.replace("#EXT#", ""),
        "jobTitle": None,
        "department": None,
        "officeLocation": None,
        "businessPhones": [],
        "mobilePhone": None,
        "preferredLanguage": None,
        "userType": "Guest" if guest_mail else "Member",
        "accountEnabled": True,
        "createdDateTime": iso(run.now - timedelta(minutes=3)),
        "creationType": "Invitation" if guest_mail else None,
        "externalUserState": "Accepted" if guest_mail else None,
        "externalUserStateChangeDateTime": iso(run.now - timedelta(minutes=2))
        if guest_mail
        else None,
        "usageLocation": None,
        "assignedLicenses": [],
        "proxyAddresses": [],
        "lastPasswordChangeDateTime": iso(run.now - timedelta(minutes=3)),
        "passwordPolicies": None,
        "onPremisesSyncEnabled": None,
        "onPremisesImmutableId": None,
        "onPremisesLastSyncDateTime": None,
        "onPremisesSamAccountName": None,
        "onPremisesDomainName": None,
        "onPremisesUserPrincipalName": None,
        "onPremisesDistinguishedName": None,
        "onPremisesSecurityIdentifier": None,
        "signInActivity": None,
    }


def password_only(created: str) -> Json:
    return {
        "@odata.type": PASSWORD_METHOD,
        "id": PASSWORD_METHOD_ID,
        "password": None,
        "createdDateTime": created,
    }


def no_mfa_registration(details: Json, now: datetime) -> None:
    details.update(
        {
            "isMfaRegistered": False,
            "isMfaCapable": False,
            "isPasswordlessCapable": False,
            "isSsprRegistered": False,
            "isSsprCapable": False,
            "methodsRegistered": [],
            "systemPreferredAuthenticationMethods": [],
            "userPreferredMethodForSecondaryAuthentication": "none",
            "lastUpdatedDateTime": iso(now),
        }
    )


def initial_domain(run: TenantEdit) -> str:
    for domain in run.existing("domains"):
        if domain.get("isInitial"):
            return str(domain["id"])
    return run.spec.primary_domain
