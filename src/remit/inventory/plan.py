"""What an identity-and-access snapshot reads from Graph: the collection plan, as data.

Snapshot keys are Graph v1.0 paths relative to ``/v1.0/`` and bodies are what Graph returns
for them (collections as ``{"value": [...]}`` with every page merged), so a snapshot has the same
shape as an emulator fixture and checks can run on either.

Phase one is a fixed list of requests sent in ``$batch`` calls of 20. Phase two reads what phase
one names: members of role-assignable groups and of groups that conditional-access policies
include or exclude, members of each activated directory role, and the authentication methods of
every user who holds a directory role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

USER_PROPERTIES = (
    "id,displayName,userPrincipalName,mail,userType,accountEnabled,onPremisesSyncEnabled,"
    "onPremisesImmutableId,assignedLicenses,createdDateTime,creationType,externalUserState,"
    "signInActivity"
)
USER_PROPERTIES_WITHOUT_SIGN_IN = USER_PROPERTIES.removesuffix(",signInActivity")


@dataclass(frozen=True, slots=True)
class Resource:
    """One Graph read in a snapshot."""

    key: str  # snapshot key: the Graph path relative to /v1.0/
    params: Mapping[str, str] = field(default_factory=dict)
    collection: bool = True
    # Why a technician should care when it is missing (shown with the error).
    purpose: str = ""
    # A fallback request when the first one is refused for a licence or a permission
    # (e.g. users without signInActivity); the missing part is recorded under `fallback_key`.
    fallback_params: Mapping[str, str] | None = None
    fallback_key: str = ""

    def url(self, params: Mapping[str, str] | None = None) -> str:
        query = "&".join(f"{k}={v}" for k, v in (params or self.params).items())
        return f"{self.key}?{query}" if query else self.key


def phase_one(now: datetime, audit_days: int = 7) -> tuple[Resource, ...]:
    """The fixed reads of an identity-and-access snapshot."""
    since = (now - timedelta(days=audit_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        Resource("organization", purpose="tenant name, domains and directory settings"),
        Resource("domains", purpose="verified domains"),
        Resource("subscribedSkus", purpose="licences bought and assigned"),
        Resource(
            "users",
            {"$select": USER_PROPERTIES, "$top": "500"},
            purpose="accounts, guests, sync state, licences and last sign-in",
            fallback_params={"$select": USER_PROPERTIES_WITHOUT_SIGN_IN, "$top": "999"},
            fallback_key="users.signInActivity",
        ),
        Resource(
            "groups",
            {
                "$select": "id,displayName,groupTypes,securityEnabled,mailEnabled,"
                "isAssignableToRole,membershipRule,onPremisesSyncEnabled",
                "$top": "999",
            },
            purpose="groups used by roles and conditional access",
        ),
        Resource("directoryRoles", purpose="activated directory roles"),
        Resource(
            "roleManagement/directory/roleDefinitions",
            {"$select": "id,displayName,templateId,isBuiltIn,isEnabled"},
            purpose="role names",
        ),
        Resource("roleManagement/directory/roleAssignments", purpose="active role assignments"),
        Resource(
            "roleManagement/directory/roleEligibilitySchedules",
            purpose="PIM eligible assignments",
        ),
        Resource(
            "roleManagement/directory/roleAssignmentSchedules",
            purpose="PIM active assignments and their expiry",
        ),
        Resource(
            "policies/roleManagementPolicyAssignments",
            {
                "$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'",
                "$expand": "policy($expand=rules)",
            },
            purpose="PIM activation rules: approval, MFA, notifications",
        ),
        Resource("identity/conditionalAccess/policies", purpose="conditional-access policies"),
        Resource("policies/authenticationMethodsPolicy", collection=False, purpose="MFA methods"),
        Resource(
            "reports/authenticationMethods/userRegistrationDetails",
            {"$top": "999"},
            purpose="who has registered MFA",
        ),
        Resource("policies/authorizationPolicy", collection=False, purpose="user and guest rights"),
        Resource(
            "policies/identitySecurityDefaultsEnforcementPolicy",
            collection=False,
            purpose="security defaults",
        ),
        Resource(
            "policies/adminConsentRequestPolicy", collection=False, purpose="admin consent workflow"
        ),
        Resource(
            "policies/defaultAppManagementPolicy",
            collection=False,
            purpose="limits on app secrets and certificates (app management policy)",
        ),
        Resource("security/secureScores", {"$top": "30"}, purpose="Secure Score and its trend"),
        Resource(
            "security/secureScoreControlProfiles",
            {"$top": "999"},
            purpose="Secure Score controls",
        ),
        Resource(
            "deviceManagement/managedDevices",
            {
                "$select": "id,deviceName,operatingSystem,osVersion,complianceState,isEncrypted,"
                "lastSyncDateTime,userPrincipalName,userId,managedDeviceOwnerType",
                "$top": "999",
            },
            purpose="devices: compliance, encryption, last check-in",
        ),
        Resource(
            "applications",
            {"$select": "id,appId,displayName,passwordCredentials,keyCredentials", "$top": "999"},
            purpose="app registrations and their credential expiry",
        ),
        Resource(
            "servicePrincipals",
            {
                "$select": "id,appId,displayName,servicePrincipalType,accountEnabled,"
                "appOwnerOrganizationId,passwordCredentials,keyCredentials",
                "$top": "999",
            },
            purpose="enterprise apps",
        ),
        Resource(
            "auditLogs/directoryAudits",
            {"$filter": f"activityDateTime ge {since}", "$top": "999"},
            purpose="who changed what in the directory",
        ),
    )


def phase_two(payloads: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Reads that depend on phase one: members of the groups and roles that matter."""
    # Conditional access answers at most one request a second per tenant, so named locations
    # wait for phase two instead of sharing a batch with the policies.
    resources: list[Resource] = [
        Resource(
            "identity/conditionalAccess/namedLocations",
            purpose="trusted locations used by conditional access",
        )
    ]
    for group_id in sorted(_groups_that_matter(payloads)):
        resources.append(
            Resource(
                f"groups/{group_id}/members",
                {"$select": "id,displayName,userPrincipalName,userType", "$top": "999"},
                purpose="members of a role-assignable or conditional-access group",
            )
        )
    for role in _items(payloads, "directoryRoles"):
        resources.append(
            Resource(f"directoryRoles/{role['id']}/members", purpose="members of a directory role")
        )
    for user_id in sorted(_privileged_user_ids(payloads)):
        resources.append(
            Resource(
                f"users/{user_id}/authentication/methods",
                purpose="authentication methods of a privileged user",
            )
        )
    return tuple(resources)


def _items(payloads: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    body = payloads.get(key)
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return [item for item in body["value"] if isinstance(item, dict) and "id" in item]
    return []


def _groups_that_matter(payloads: Mapping[str, Any]) -> set[str]:
    ids = {g["id"] for g in _items(payloads, "groups") if g.get("isAssignableToRole") is True}
    for policy in _items(payloads, "identity/conditionalAccess/policies"):
        users = (policy.get("conditions") or {}).get("users") or {}
        for field_name in ("includeGroups", "excludeGroups"):
            ids.update(g for g in users.get(field_name) or [] if isinstance(g, str))
    known = {g["id"] for g in _items(payloads, "groups")}
    # A policy may name a group that no longer exists; asking for it would only yield a 404.
    return ids & known if known else ids


def _privileged_user_ids(payloads: Mapping[str, Any]) -> set[str]:
    users = {u["id"] for u in _items(payloads, "users")}
    principals = {
        a.get("principalId")
        for key in (
            "roleManagement/directory/roleAssignments",
            "roleManagement/directory/roleEligibilitySchedules",
        )
        for a in _items(payloads, key)
    }
    return {p for p in principals if isinstance(p, str) and p in users}
