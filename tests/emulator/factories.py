"""Small hand-made tenants for the emulator's tests (independent of the synthetic generator)."""

from __future__ import annotations

import uuid
from typing import Any

from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE, TenantSpec

ALL_LICENSES = frozenset({LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE})
GLOBAL_ADMIN_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10"
APPROVAL_RULE = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule"


def _id(tenant: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{name}"))


def make_user(tenant: str, domain: str, index: int, **extra: Any) -> dict[str, Any]:
    guest = extra.pop("guest", False)
    upn = f"user{index:03d}@{domain}" if not guest else f"guest{index:03d}_ext#EXT#@{domain}"
    user = {
        "id": _id(tenant, f"user{index}"),
        "displayName": f"User {index:03d}",
        "givenName": "User",
        "surname": f"{index:03d}",
        "userPrincipalName": upn,
        "mail": upn if not guest else f"guest{index:03d}@example.org",
        "userType": "Guest" if guest else "Member",
        "accountEnabled": index % 7 != 0,
        "onPremisesSyncEnabled": None,
        "jobTitle": "Engineer" if index % 2 else "Accountant",
        "department": "IT" if index % 3 == 0 else "Finance",
        "businessPhones": [],
        "createdDateTime": f"2025-{(index % 12) + 1:02d}-01T08:00:00Z",
        "assignedLicenses": []
        if index % 4 == 0
        else [{"skuId": _id(tenant, "sku"), "disabledPlans": []}],
        "signInActivity": {
            "lastSignInDateTime": f"2026-10-{(index % 28) + 1:02d}T09:00:00Z",
            "lastNonInteractiveSignInDateTime": None,
            "lastSuccessfulSignInDateTime": None,
        },
    }
    user.update(extra)
    return user


def make_tenant(
    name: str = "contoso",
    *,
    users: int = 12,
    guests: int = 2,
    groups: int = 3,
    permissions: frozenset[str] = ALL_PERMISSIONS,
    licenses: frozenset[str] = ALL_LICENSES,
) -> TenantSpec:
    tenant_id = _id("tenants", name)
    domain = f"{name}.onmicrosoft.com"
    user_list = [make_user(name, domain, i) for i in range(users)]
    user_list += [make_user(name, domain, users + i, guest=True) for i in range(guests)]
    group_list = [
        {
            "id": _id(name, f"group{i}"),
            "displayName": f"Group {i}",
            "groupTypes": ["Unified"] if i % 2 == 0 else [],
            "securityEnabled": i % 2 == 1,
            "mailEnabled": i % 2 == 0,
            "isAssignableToRole": i == 1,
        }
        for i in range(groups)
    ]
    data: dict[str, Any] = {
        "organization": {
            "value": [{"id": tenant_id, "displayName": name.title(), "verifiedDomains": []}]
        },
        "domains": {
            "value": [
                {"id": domain, "isDefault": False, "isVerified": True},
                {"id": f"{name}.example", "isDefault": True, "isVerified": True},
            ]
        },
        "users": {"value": user_list},
        "groups": {"value": group_list},
        "policies/authorizationPolicy": {
            "id": "authorizationPolicy",
            "allowInvitesFrom": "everyone",
            "defaultUserRolePermissions": {"allowedToCreateApps": True},
        },
        "policies/identitySecurityDefaultsEnforcementPolicy": {
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "isEnabled": True,
        },
        "policies/defaultAppManagementPolicy": {
            "id": "00000000-0000-0000-0000-000000000000",
            "displayName": "Default app management tenant policy",
            "isEnabled": False,
            "applicationRestrictions": {"passwordCredentials": [], "keyCredentials": []},
            "servicePrincipalRestrictions": {"passwordCredentials": [], "keyCredentials": []},
        },
        "identity/conditionalAccess/policies": {
            "value": [{"id": _id(name, "ca1"), "displayName": "Require MFA", "state": "enabled"}]
        },
        "reports/authenticationMethods/userRegistrationDetails": {
            "value": [{"id": u["id"], "isMfaRegistered": True} for u in user_list[:3]]
        },
        "deviceManagement/managedDevices": {
            "value": [{"id": _id(name, "device1"), "deviceName": "LAPTOP-1"}]
        },
        "roleManagement/directory/roleEligibilitySchedules": {"value": []},
        "roleManagement/directory/roleAssignments": {
            "value": [
                {
                    "id": _id(name, "ra1"),
                    "principalId": user_list[0]["id"],
                    "roleDefinitionId": GLOBAL_ADMIN_TEMPLATE,
                    "directoryScopeId": "/",
                }
            ]
        },
        "roleManagement/directory/roleDefinitions": {
            "value": [
                {
                    "id": GLOBAL_ADMIN_TEMPLATE,
                    "displayName": "Global Administrator",
                    "isBuiltIn": True,
                    "templateId": GLOBAL_ADMIN_TEMPLATE,
                }
            ]
        },
        "policies/roleManagementPolicyAssignments": {
            "value": [
                {
                    "id": "Directory_x_Admin",
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "roleDefinitionId": GLOBAL_ADMIN_TEMPLATE,
                    "policyId": "Directory_x",
                    "policy": {
                        "id": "Directory_x",
                        "rules": [
                            {
                                "@odata.type": APPROVAL_RULE,
                                "id": "Approval_EndUser_Assignment",
                            }
                        ],
                    },
                }
            ]
        },
        "auditLogs/directoryAudits": {
            "value": [{"id": f"audit{i}", "activityDisplayName": "Update user"} for i in range(3)]
        },
    }
    for group in group_list:
        data[f"groups/{group['id']}/members"] = {
            "value": [
                {"@odata.type": "#microsoft.graph.user", "id": u["id"]} for u in user_list[:4]
            ]
        }
    data[f"users/{user_list[0]['id']}/authentication/methods"] = {
        "value": [
            {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "pw"},
            {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "fido"},
        ]
    }
    return TenantSpec(
        tenant_id=tenant_id,
        display_name=name.title(),
        primary_domain=domain,
        client_id=_id(name, "client"),
        client_secret=f"Emu8Q~{name}-secret-value-0123456789abcdef"[:40],
        granted_permissions=permissions,
        licenses=licenses,
        profile="test",
        data=data,
    )
