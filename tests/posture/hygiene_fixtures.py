"""Graph-shaped fixtures for the MSP hygiene and estate checks, and the synthetic book as the
real collection would see it.

``Tenant`` builds a snapshot in a few lines (``t.admin("ceo@contoso.com", GA)``) and
``Tenant.data()`` checks every object against Microsoft's v1.0 CSDL before handing out a
:class:`TenantData`, so no fixture can use a property Graph does not have.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from remit.domain import EndpointOutcome, EndpointResult
from remit.emulator.synthetic import REFERENCE_NOW
from remit.graph.errors import ENTRA_P1
from remit.posture.catalog import default_catalog
from remit.posture.checks import estate, identity_hygiene, privileged_hygiene
from remit.posture.data import TenantData
from remit.posture.engine import run_check
from remit.posture.model import Outcome
from remit.posture.views import GLOBAL_ADMINISTRATOR, HIGHLY_PRIVILEGED_ROLES
from tests.support.csdl import validate_fixture

Json = dict[str, Any]

NOW = REFERENCE_NOW
GA = GLOBAL_ADMINISTRATOR
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
BILLING_ADMIN = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
DIRECTORY_SYNC = "d29b2b05-8046-44ba-8758-1e26182fcf32"
ROLE_NAMES = {
    **HIGHLY_PRIVILEGED_ROLES,
    BILLING_ADMIN: "Billing Administrator",
    HELPDESK_ADMIN: "Helpdesk Administrator",
    DIRECTORY_SYNC: "Directory Synchronization Accounts",
}

# Real SKU and service-plan ids (Microsoft's licensing service plan reference).
BUSINESS_STANDARD = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"
ENTRA_P2_SKU = "84a661c4-e949-4bd2-a560-ed7766fcaf2b"
EXCHANGE_STANDARD_PLAN = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"
TEAMS_PLAN = "57ff2da0-773e-42df-b2af-ffb7a2317929"
ENTRA_P2_PLAN = "eec0eb4f-6444-4f95-aba0-50c24d67f998"
FLOW_FREE_SKU = "f30db892-07e9-47e9-837c-80727f46fd3d"

SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
CA = "identity/conditionalAccess/policies"
REGISTRATION = "reports/authenticationMethods/userRegistrationDetails"


def gid(name: str) -> str:
    """A stable GUID for a fixture object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"remit-test:{name}"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def days_ahead(days: float) -> str:
    return iso(NOW + timedelta(days=days))


# --- directory objects --------------------------------------------------------------------------


def user(
    upn: str,
    *,
    enabled: bool = True,
    guest: bool = False,
    synced: bool = False,
    licences: tuple[str, ...] = (),
    disabled_plans: tuple[str, ...] = (),
    mail: str | None = None,
    created_days_ago: float = 400,
    signed_in_days_ago: float | None = 1,
    successful: bool = True,
) -> Json:
    """A user as ``users?$select=…`` returns it (sign-in activity included)."""
    activity: Json | None = None
    if signed_in_days_ago is not None:
        when = days_ago(signed_in_days_ago)
        activity = {
            "lastSignInDateTime": when,
            "lastSignInRequestId": gid(f"{upn}:signin"),
            "lastNonInteractiveSignInDateTime": when,
            "lastNonInteractiveSignInRequestId": gid(f"{upn}:noninteractive"),
            "lastSuccessfulSignInDateTime": when if successful else None,
            "lastSuccessfulSignInRequestId": gid(f"{upn}:success") if successful else None,
        }
    return {
        "id": gid(upn),
        "displayName": upn.split("@")[0].replace(".", " ").title(),
        "userPrincipalName": upn,
        "mail": mail,
        "userType": "Guest" if guest else "Member",
        "accountEnabled": enabled,
        "onPremisesSyncEnabled": True if synced else None,
        "assignedLicenses": [
            {"disabledPlans": list(disabled_plans), "skuId": sku} for sku in licences
        ],
        "createdDateTime": days_ago(created_days_ago),
        "creationType": "Invitation" if guest else None,
        "externalUserState": "Accepted" if guest else None,
        "signInActivity": activity,
    }


def registration(member: Json, *, mfa: bool) -> Json:
    methods = ["microsoftAuthenticatorPush"] if mfa else []
    return {
        "id": member["id"],
        "userPrincipalName": member["userPrincipalName"],
        "userDisplayName": member["displayName"],
        "userType": "guest" if member["userType"] == "Guest" else "member",
        "isAdmin": False,
        "isMfaCapable": mfa,
        "isMfaRegistered": mfa,
        "isPasswordlessCapable": False,
        "isSsprCapable": False,
        "isSsprEnabled": False,
        "isSsprRegistered": mfa,
        "methodsRegistered": methods,
        "lastUpdatedDateTime": days_ago(1),
    }


PASSWORD = {
    "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
    "id": "28c10230-6103-485e-b985-444c60001490",
    "createdDateTime": days_ago(400),
}
AUTHENTICATOR = {
    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
    "id": gid("authenticator"),
    "displayName": "iPhone 15",
    "deviceTag": "SoftwareTokenActivated",
    "phoneAppVersion": "6.8.10",
    "createdDateTime": days_ago(300),
}
FIDO2 = {
    "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
    "id": gid("fido2"),
    "displayName": "YubiKey 5 NFC",
    "model": "YubiKey 5 Series with NFC",
    "aaGuid": "cb69481e-8ff7-4039-93ec-0a2729a154a8",
    "attestationLevel": "attested",
    "createdDateTime": days_ago(200),
}
EMAIL_METHOD = {
    "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
    "id": "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
    "emailAddress": "someone@personal.example",
}


def ca_policy(
    name: str,
    *,
    state: str = "enabled",
    users: tuple[str, ...] = ("All",),
    roles: tuple[str, ...] = (),
    apps: tuple[str, ...] = ("All",),
    exclude_users: tuple[str, ...] = (),
    exclude_groups: tuple[str, ...] = (),
    grant: tuple[str, ...] = ("mfa",),
) -> Json:
    return {
        "id": gid(f"ca:{name}"),
        "displayName": name,
        "state": state,
        "createdDateTime": days_ago(100),
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": list(apps), "excludeApplications": []},
            "users": {
                "includeUsers": list(users),
                "excludeUsers": list(exclude_users),
                "includeGroups": [],
                "excludeGroups": list(exclude_groups),
                "includeRoles": list(roles),
                "excludeRoles": [],
            },
        },
        "grantControls": {"operator": "OR", "builtInControls": list(grant)},
    }


def sku(
    part: str,
    sku_id: str,
    *,
    bought: int,
    used: int,
    plans: tuple[tuple[str, str], ...] = (),
    status: str = "Enabled",
    applies_to: str = "User",
) -> Json:
    return {
        "id": f"{gid('tenant')}_{sku_id}",
        "accountId": gid("tenant"),
        "appliesTo": applies_to,
        "capabilityStatus": status,
        "consumedUnits": used,
        "skuId": sku_id,
        "skuPartNumber": part,
        "prepaidUnits": {"enabled": bought, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [
            {
                "servicePlanId": plan_id,
                "servicePlanName": plan_name,
                "provisioningStatus": "Success",
                "appliesTo": "User",
            }
            for plan_name, plan_id in plans
        ],
    }


STANDARD_SKU = sku(
    "O365_BUSINESS_PREMIUM",
    BUSINESS_STANDARD,
    bought=10,
    used=10,
    plans=(("EXCHANGE_S_STANDARD", EXCHANGE_STANDARD_PLAN), ("TEAMS1", TEAMS_PLAN)),
)
P2_SKU = sku(
    "AAD_PREMIUM_P2", ENTRA_P2_SKU, bought=5, used=5, plans=(("AAD_PREMIUM_P2", ENTRA_P2_PLAN),)
)


# --- estate: secure scores, devices, apps -------------------------------------------------------


def secure_score(current: float, maximum: float, *, days_back: int = 0) -> Json:
    return {
        "id": f"{gid('tenant')}_{days_ago(days_back)[:10]}",
        "azureTenantId": gid("tenant"),
        "activeUserCount": 10,
        "createdDateTime": days_ago(days_back),
        "currentScore": current,
        "maxScore": maximum,
        "enabledServices": ["HasExchange", "HasSharePoint"],
        "licensedUserCount": 10,
    }


def scores(*shares: float, maximum: float = 200) -> dict[str, Any]:
    """``security/secureScores``: one score a day, newest first, as percentages of ``maximum``."""
    return {
        "value": [
            secure_score(maximum * share / 100, maximum, days_back=day)
            for day, share in enumerate(shares)
        ]
    }


def device(
    name: str,
    *,
    state: str = "compliant",
    encrypted: bool = True,
    synced_days_ago: float | None = 1,
) -> Json:
    return {
        "id": gid(f"device:{name}"),
        "deviceName": name,
        "operatingSystem": "Windows",
        "osVersion": "10.0.22631.4460",
        "complianceState": state,
        "isEncrypted": encrypted,
        "lastSyncDateTime": days_ago(synced_days_ago)
        if synced_days_ago is not None
        else "0001-01-01T00:00:00Z",
        "userPrincipalName": f"{name.lower()}@contoso.com",
        "userId": gid(f"user:{name}"),
        "managedDeviceOwnerType": "company",
    }


def devices(*items: Json) -> dict[str, Any]:
    return {"deviceManagement/managedDevices": {"value": list(items)}}


def secret(name: str, *, ends_in_days: float) -> Json:
    return {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": days_ahead(ends_in_days),
        "hint": "abc",
        "keyId": gid(f"secret:{name}:{ends_in_days}"),
        "secretText": None,
        "startDateTime": days_ahead(ends_in_days - 365),
    }


def certificate(name: str, *, ends_in_days: float, usage: str = "Verify") -> Json:
    return {
        "customKeyIdentifier": "QUJDREVGR0hJSktMTU5PUFFSU1Q=",
        "displayName": f"CN={name}",
        "endDateTime": days_ahead(ends_in_days),
        "keyId": gid(f"certificate:{name}:{ends_in_days}:{usage}"),
        "startDateTime": days_ahead(ends_in_days - 365),
        "type": "AsymmetricX509Cert",
        "usage": usage,
    }


def application(
    name: str, *, secrets: tuple[Json, ...] = (), certificates: tuple[Json, ...] = ()
) -> Json:
    return {
        "id": gid(f"app:{name}"),
        "appId": gid(f"appid:{name}"),
        "displayName": name,
        "passwordCredentials": list(secrets),
        "keyCredentials": list(certificates),
    }


def service_principal(name: str, *, certificates: list[Json]) -> Json:
    return {
        "id": gid(f"sp:{name}"),
        "appId": gid(f"appid:{name}"),
        "displayName": name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": gid("tenant"),
        "passwordCredentials": [],
        "keyCredentials": certificates,
    }


# --- a tenant in a few lines ------------------------------------------------------------------


@dataclass
class Tenant:
    """A snapshot under construction. Keys left at None are not in the snapshot."""

    users: list[Json] = field(default_factory=list)
    assignments: list[Json] = field(default_factory=list)
    eligibilities: list[Json] | None = None
    registrations: list[Json] | None = None
    methods: dict[str, list[Json]] = field(default_factory=dict)
    policies: list[Json] | None = field(default_factory=list)
    groups: dict[str, tuple[Json, list[Json]]] = field(default_factory=dict)
    security_defaults: bool | None = None
    skus: list[Json] | None = field(default_factory=lambda: [STANDARD_SKU, P2_SKU])
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, member: Json, *, mfa: bool | None = None) -> Json:
        """Add a user; ``mfa`` adds a registration-report row (True/False)."""
        self.users.append(member)
        if mfa is not None:
            if self.registrations is None:
                self.registrations = []
            self.registrations.append(registration(member, mfa=mfa))
        return member

    def admin(
        self,
        upn: str,
        *roles: str,
        eligible: bool = False,
        mfa: bool | None = None,
        methods: list[Json] | None = None,
        **kwargs: Any,
    ) -> Json:
        """A user holding ``roles`` (active, or PIM eligible), with optional MFA evidence."""
        member = self.add(user(upn, **kwargs), mfa=mfa)
        for role in roles or (GA,):
            self.assign(member["id"], role, eligible=eligible)
        if methods is not None:
            self.methods[member["id"]] = methods
        return member

    def assign(self, principal_id: str, role: str, *, eligible: bool = False) -> None:
        item: Json = {
            "id": gid(f"assignment:{principal_id}:{role}:{eligible}"),
            "principalId": principal_id,
            "roleDefinitionId": role,
            "directoryScopeId": "/",
        }
        if eligible:
            if self.eligibilities is None:
                self.eligibilities = []
            item |= {
                "memberType": "Direct",
                "status": "Provisioned",
                "scheduleInfo": {
                    "startDateTime": days_ago(30),
                    "expiration": {"type": "noExpiration"},
                },
            }
            self.eligibilities.append(item)
        else:
            self.assignments.append(item)

    def group(self, name: str, *members: Json) -> str:
        group_id = gid(f"group:{name}")
        body = {
            "id": group_id,
            "displayName": name,
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "isAssignableToRole": False,
        }
        listed = [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": m["id"],
                "displayName": m["displayName"],
                "userPrincipalName": m["userPrincipalName"],
                "userType": m["userType"],
            }
            for m in members
        ]
        self.groups[group_id] = (body, listed)
        return group_id

    def payloads(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "users": {"value": self.users},
            "groups": {"value": [body for body, _ in self.groups.values()]},
            "roleManagement/directory/roleDefinitions": {
                "value": [
                    {
                        "id": template,
                        "displayName": name,
                        "templateId": template,
                        "isBuiltIn": True,
                        "isEnabled": True,
                    }
                    for template, name in ROLE_NAMES.items()
                ]
            },
            "roleManagement/directory/roleAssignments": {"value": self.assignments},
        }
        for group_id, (_, members) in self.groups.items():
            out[f"groups/{group_id}/members"] = {"value": members}
        if self.eligibilities is not None:
            out["roleManagement/directory/roleEligibilitySchedules"] = {"value": self.eligibilities}
        if self.registrations is not None:
            out[REGISTRATION] = {"value": self.registrations}
        for user_id, methods in self.methods.items():
            out[f"users/{user_id}/authentication/methods"] = {"value": methods}
        if self.policies is not None:
            out[CA] = {"value": self.policies}
        if self.security_defaults is not None:
            out[SECURITY_DEFAULTS] = {
                "id": "00000000-0000-0000-0000-000000000005",
                "displayName": "Security Defaults",
                "isEnabled": self.security_defaults,
            }
        if self.skus is not None:
            out["subscribedSkus"] = {"value": self.skus}
        out.update(self.extra)
        return out

    def data(
        self, *results: EndpointResult, now: datetime = NOW, without: tuple[str, ...] = ()
    ) -> TenantData:
        """The snapshot (minus the keys in ``without``), validated against the CSDL."""
        payloads = {k: v for k, v in self.payloads().items() if k not in without}
        problems = validate_fixture(payloads)
        assert not problems, problems
        return TenantData(payloads, results, now=now)


def run(check_id: str, data: TenantData) -> Outcome:
    """One hygiene or estate check through the engine, with its shipped metadata (so a missing
    ``requires`` key is an ERROR exactly as in a real assessment)."""
    meta = next(m for m in default_catalog().checks if m.id == check_id)
    checks = {**identity_hygiene.CHECKS, **privileged_hygiene.CHECKS, **estate.CHECKS}
    return run_check(meta, checks[check_id], data)


def only(payloads: dict[str, Any], *results: EndpointResult, now: datetime = NOW) -> TenantData:
    """TenantData of hand-written payloads, checked against the CSDL."""
    problems = validate_fixture(payloads)
    assert not problems, problems
    return TenantData(payloads, results, now=now)


def names(outcome: Outcome) -> list[str]:
    return [r.name for r in outcome.resources]


def licence_refused(key: str, licence: str = ENTRA_P1) -> EndpointResult:
    return EndpointResult(
        key, EndpointOutcome.LICENSE_REQUIRED, detail="not licensed", license=licence
    )


def permission_refused(key: str, permission: str = "AuditLog.Read.All") -> EndpointResult:
    return EndpointResult(
        key, EndpointOutcome.MISSING_PERMISSION, detail="forbidden", permission=permission
    )
