"""Graph-shaped fixtures for the CISA SCuBA Entra ID checks.

``compliant()`` is a tenant that meets every automated SCuBA Entra ID policy, the way the
baseline's implementation sections describe it: two emergency-access accounts (cloud-only,
unlicensed, permanent Global Administrator, excluded from conditional access), admins who hold
their roles as PIM eligible, one conditional-access policy per SCuBA policy, strict
authentication methods, consent, guest and app credential settings. Each test breaks one thing
with the small builders below and checks the verdict. ``snapshot(payloads)`` checks every object
against Microsoft's v1.0 CSDL before handing out a :class:`TenantData`, so no fixture can use a
property Graph does not have.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from remit.domain import EndpointOutcome, EndpointResult
from remit.emulator.synthetic import REFERENCE_NOW
from remit.posture.catalog import default_catalog
from remit.posture.checks import all_checks
from remit.posture.data import TenantData
from remit.posture.engine import run_check
from remit.posture.model import Outcome
from remit.posture.views import GLOBAL_ADMINISTRATOR, HIGHLY_PRIVILEGED_ROLES
from tests.support.csdl import validate, validate_fixture

Json = dict[str, Any]

NOW = REFERENCE_NOW
DOMAIN = "contoso.com"
INITIAL = "contoso.onmicrosoft.com"

GA = GLOBAL_ADMINISTRATOR
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
SHAREPOINT_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
HYBRID_IDENTITY_ADMIN = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
APPLICATION_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMIN = "158c047a-c907-4556-b7ef-446551a6b5f7"
SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
DIRECTORY_SYNC = "d29b2b05-8046-44ba-8758-1e26182fcf32"
ROLE_NAMES = {
    **HIGHLY_PRIVILEGED_ROLES,
    SECURITY_READER: "Security Reader",
    DIRECTORY_SYNC: "Directory Synchronization Accounts",
}

BUSINESS_PREMIUM = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
ENTRA_P2_SKU = "84a661c4-e949-4bd2-a560-ed7766fcaf2b"
ENTRA_P1_PLAN = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"
ENTRA_P2_PLAN = "eec0eb4f-6444-4f95-aba0-50c24d67f998"

PHISHING_RESISTANT_ID = "00000000-0000-0000-0000-000000000004"
MFA_STRENGTH_ID = "00000000-0000-0000-0000-000000000002"
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"

RESTRICTED_GUEST = "2af84b1e-32c8-42b7-82bc-daa82404023b"
LIMITED_GUEST = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
MEMBER_GUEST = "a0b1b346-4d3e-4e8b-98f8-753987be4970"

CA = "identity/conditionalAccess/policies"
SCHEDULES = "roleManagement/directory/roleAssignmentSchedules"
ELIGIBILITY = "roleManagement/directory/roleEligibilitySchedules"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
PIM_POLICIES = "policies/roleManagementPolicyAssignments"
AUTH_METHODS = "policies/authenticationMethodsPolicy"
AUTHORIZATION = "policies/authorizationPolicy"
ADMIN_CONSENT = "policies/adminConsentRequestPolicy"
APP_POLICY = "policies/defaultAppManagementPolicy"
SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
ENTRA_P1 = "Microsoft Entra ID P1"
ENTRA_P2 = "Microsoft Entra ID P2"
PIM_KEYS = (SCHEDULES, ELIGIBILITY, PIM_POLICIES)
CA_KEYS = (CA, "identity/conditionalAccess/namedLocations")


def gid(name: str) -> str:
    """A stable GUID for a fixture object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"remit-scuba-test:{name}"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def days_ahead(days: float) -> str:
    return iso(NOW + timedelta(days=days))


# --- directory objects --------------------------------------------------------------------------


def uid(upn: str) -> str:
    return gid(f"user:{upn}")


def user(
    upn: str,
    *,
    licensed: bool = True,
    synced: bool = False,
    enabled: bool = True,
    guest: bool = False,
) -> Json:
    return {
        "id": uid(upn),
        "displayName": upn.split("@")[0],
        "userPrincipalName": upn,
        "mail": upn,
        "userType": "Guest" if guest else "Member",
        "accountEnabled": enabled,
        "onPremisesSyncEnabled": True if synced else None,
        "assignedLicenses": (
            [{"skuId": BUSINESS_PREMIUM, "disabledPlans": []}] if licensed else []
        ),
        "createdDateTime": days_ago(400),
    }


def group(name: str, *, role_assignable: bool = False) -> Json:
    return {
        "id": gid(f"group:{name}"),
        "displayName": name,
        "groupTypes": [],
        "securityEnabled": True,
        "mailEnabled": False,
        "isAssignableToRole": role_assignable,
    }


def member_ref(item: Json) -> Json:
    """How ``groups/{id}/members`` lists a user or a group."""
    if "userPrincipalName" in item:
        return {
            "@odata.type": "#microsoft.graph.user",
            "id": item["id"],
            "displayName": item["displayName"],
            "userPrincipalName": item["userPrincipalName"],
            "userType": item["userType"],
        }
    return {
        "@odata.type": "#microsoft.graph.group",
        "id": item["id"],
        "displayName": item["displayName"],
    }


def role_definitions() -> list[Json]:
    return [
        {
            "id": template,
            "displayName": name,
            "templateId": template,
            "isBuiltIn": True,
            "isEnabled": True,
        }
        for template, name in ROLE_NAMES.items()
    ]


def assignment(principal: str, role: str, *, scope: str = "/") -> Json:
    return {
        "id": gid(f"assignment:{principal}:{role}:{scope}"),
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": scope,
    }


def schedule(
    principal: str,
    role: str,
    *,
    end: str | None = None,
    start: str | None = days_ago(200),
    assignment_type: str = "Assigned",
    eligible: bool = False,
) -> Json:
    expiration: Json = (
        {"type": "afterDateTime", "endDateTime": end}
        if end
        else {"type": "noExpiration", "endDateTime": None}
    )
    body: Json = {
        "id": gid(f"schedule:{principal}:{role}:{eligible}"),
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "memberType": "Direct",
        "status": "Provisioned",
        "createdDateTime": start or days_ago(200),
        "scheduleInfo": {"startDateTime": start, "expiration": expiration},
    }
    if not eligible:
        body["assignmentType"] = assignment_type
    return body


def notification(rule_id: str, recipients: Sequence[str]) -> Json:
    caller, level = (
        ("EndUser", "Assignment")
        if "EndUser" in rule_id
        else (
            "Admin",
            "Eligibility" if rule_id.endswith("Eligibility") else "Assignment",
        )
    )
    return {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
        "id": rule_id,
        "notificationType": "Email",
        "recipientType": "Admin",
        "notificationLevel": "All",
        "isDefaultRecipientsEnabled": True,
        "notificationRecipients": list(recipients),
        "target": {"caller": caller, "operations": ["all"], "level": level},
    }


def pim_policy(
    role: str,
    *,
    approval: bool = False,
    approver_group: str | None = None,
    eligible_alerts: Sequence[str] = ("secops@contoso.com",),
    active_alerts: Sequence[str] = ("secops@contoso.com",),
    activation_alerts: Sequence[str] = ("secops@contoso.com",),
) -> Json:
    approvers = (
        [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": approver_group}]
        if approver_group
        else []
    )
    policy_id = gid(f"pim-policy:{role}")
    return {
        "id": f"{policy_id}_{role}",
        "policyId": policy_id,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "roleDefinitionId": role,
        "policy": {
            "id": policy_id,
            "displayName": "DirectoryRole",
            "scopeId": "/",
            "scopeType": "DirectoryRole",
            "isOrganizationDefault": False,
            "rules": [
                notification("Notification_Admin_Admin_Eligibility", eligible_alerts),
                notification("Notification_Admin_Admin_Assignment", active_alerts),
                {
                    "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                    "id": "Approval_EndUser_Assignment",
                    "target": {"caller": "EndUser", "operations": ["all"], "level": "Assignment"},
                    "setting": {
                        "isApprovalRequired": approval,
                        "isApprovalRequiredForExtension": False,
                        "isRequestorJustificationRequired": True,
                        "approvalMode": "SingleStage",
                        "approvalStages": [
                            {
                                "approvalStageTimeOutInDays": 1,
                                "isApproverJustificationRequired": True,
                                "escalationTimeInMinutes": 0,
                                "isEscalationEnabled": False,
                                "primaryApprovers": approvers,
                                "escalationApprovers": [],
                            }
                        ],
                    },
                },
                notification("Notification_Admin_EndUser_Assignment", activation_alerts),
            ],
        },
    }


# --- conditional access -------------------------------------------------------------------------


def strength(
    combos: Sequence[str] = ("windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"),
    *,
    strength_id: str = PHISHING_RESISTANT_ID,
    name: str = "Phishing-resistant MFA",
) -> Json:
    return {
        "id": strength_id,
        "displayName": name,
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(combos),
    }


MFA_STRENGTH = strength(
    (
        "windowsHelloForBusiness",
        "fido2",
        "deviceBasedPush",
        "password,microsoftAuthenticatorPush",
        "password,sms",
    ),
    strength_id=MFA_STRENGTH_ID,
    name="Multifactor authentication",
)


def ca_policy(
    name: str,
    *,
    state: str = "enabled",
    include_users: Sequence[str] = ("All",),
    exclude_users: Sequence[str] = (),
    exclude_groups: Sequence[str] = (),
    include_roles: Sequence[str] = (),
    exclude_roles: Sequence[str] = (),
    exclude_guests: bool = False,
    include_apps: Sequence[str] = ("All",),
    exclude_apps: Sequence[str] = (),
    user_actions: Sequence[str] = (),
    client_apps: Sequence[str] = ("all",),
    user_risk: Sequence[str] = (),
    sign_in_risk: Sequence[str] = (),
    flows: str | None = None,
    platforms: Sequence[str] | None = None,
    exclude_locations: Sequence[str] = (),
    controls: Sequence[str] = (),
    operator: str = "OR",
    auth_strength: Json | None = None,
) -> Json:
    return {
        "id": gid(f"ca:{name}"),
        "displayName": name,
        "state": state,
        "createdDateTime": days_ago(300),
        "conditions": {
            "clientAppTypes": list(client_apps),
            "userRiskLevels": list(user_risk),
            "signInRiskLevels": list(sign_in_risk),
            "platforms": (
                {"includePlatforms": list(platforms), "excludePlatforms": []} if platforms else None
            ),
            "locations": (
                {"includeLocations": ["All"], "excludeLocations": list(exclude_locations)}
                if exclude_locations
                else None
            ),
            "authenticationFlows": {"transferMethods": flows} if flows else None,
            "applications": {
                "includeApplications": [] if user_actions else list(include_apps),
                "excludeApplications": list(exclude_apps),
                "includeUserActions": list(user_actions),
                "includeAuthenticationContextClassReferences": [],
            },
            "users": {
                "includeUsers": [] if include_roles else list(include_users),
                "excludeUsers": list(exclude_users),
                "includeGroups": [],
                "excludeGroups": list(exclude_groups),
                "includeRoles": list(include_roles),
                "excludeRoles": list(exclude_roles),
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": (
                    {
                        "guestOrExternalUserTypes": "b2bCollaborationGuest",
                        "externalTenants": {
                            "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                            "membershipKind": "all",
                        },
                    }
                    if exclude_guests
                    else None
                ),
            },
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": list(controls),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": auth_strength,
        },
        "sessionControls": None,
    }


# --- tenant settings ----------------------------------------------------------------------------


def feature(
    state: str = "enabled", *, include: str = "all_users", exclude: str | None = None
) -> Json:
    return {
        "state": state,
        "includeTarget": {"targetType": "group", "id": include},
        "excludeTarget": {
            "targetType": "group",
            "id": exclude or "00000000-0000-0000-0000-000000000000",
        },
    }


def method(odata: str, method_id: str, state: str, **extra: Any) -> Json:
    return {
        "@odata.type": f"#microsoft.graph.{odata}AuthenticationMethodConfiguration",
        "id": method_id,
        "state": state,
        "excludeTargets": [],
        **extra,
    }


def auth_methods(
    *,
    migration: str = "migrationComplete",
    sms: str = "disabled",
    voice: str = "disabled",
    email: str = "disabled",
    authenticator: str = "enabled",
    app_info: Json | None = None,
    location: Json | None = None,
    otp: bool = False,
) -> Json:
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "policyVersion": "1.5",
        "policyMigrationState": migration,
        "authenticationMethodConfigurations": [
            method(
                "microsoftAuthenticator",
                "MicrosoftAuthenticator",
                authenticator,
                isSoftwareOathEnabled=otp,
                featureSettings={
                    "displayAppInformationRequiredState": app_info or feature(),
                    "displayLocationInformationRequiredState": location or feature(),
                },
            ),
            method("fido2", "Fido2", "enabled", isSelfServiceRegistrationAllowed=True),
            method("sms", "Sms", sms),
            method("voice", "Voice", voice, isOfficePhoneAllowed=False),
            method("email", "Email", email, allowExternalIdToUseEmailOtp="disabled"),
        ],
    }


def authorization(
    *,
    create_apps: bool = False,
    consent: Sequence[str] = (
        "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
    ),
    guest_role: str = RESTRICTED_GUEST,
    invites: str = "adminsAndGuestInviters",
) -> Json:
    return {
        "id": "authorizationPolicy",
        "displayName": "Authorization Policy",
        "allowInvitesFrom": invites,
        "guestUserRoleId": guest_role,
        "defaultUserRolePermissions": {
            "allowedToCreateApps": create_apps,
            "allowedToCreateSecurityGroups": False,
            "allowedToCreateTenants": False,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": list(consent),
        },
    }


def admin_consent(*, enabled: bool = True, reviewers: int = 1) -> Json:
    return {
        "isEnabled": enabled,
        "notifyReviewers": enabled,
        "remindersEnabled": enabled,
        "requestDurationInDays": 30,
        "version": 1,
        "reviewers": [
            {
                "query": f"/groups/{gid('group:App reviewers')}/transitiveMembers",
                "queryType": "MicrosoftGraph",
                "queryRoot": None,
            }
            for _ in range(reviewers)
        ],
    }


def domain(
    name: str,
    *,
    validity: int | None = 2147483647,
    federated: bool = False,
    root: bool = True,
    verified: bool = True,
) -> Json:
    return {
        "id": name,
        "authenticationType": "Federated" if federated else "Managed",
        "isDefault": name == DOMAIN,
        "isInitial": name == INITIAL,
        "isRoot": root,
        "isVerified": verified,
        "passwordValidityPeriodInDays": validity,
        "passwordNotificationWindowInDays": 14,
        "supportedServices": ["Email"],
    }


def restriction(
    restriction_type: str,
    *,
    state: str = "enabled",
    max_lifetime: str | None = None,
    since: str = "0001-01-01T00:00:00Z",
) -> Json:
    return {
        "restrictionType": restriction_type,
        "state": state,
        "maxLifetime": max_lifetime,
        "restrictForAppsCreatedAfterDateTime": since,
    }


def app_restrictions(
    *,
    password_addition: Json | None = None,
    symmetric_addition: Json | None = None,
    password_lifetime: Json | None = None,
    symmetric_lifetime: Json | None = None,
    certificate: Json | None = None,
) -> Json:
    return {
        "passwordCredentials": [
            password_addition or restriction("passwordAddition"),
            symmetric_addition or restriction("symmetricKeyAddition"),
            password_lifetime or restriction("passwordLifetime", max_lifetime="P181D"),
            symmetric_lifetime or restriction("symmetricKeyLifetime", max_lifetime="P181D"),
        ],
        "keyCredentials": [
            certificate or restriction("asymmetricKeyLifetime", max_lifetime="P366D"),
        ],
    }


def app_policy(
    *, enabled: bool = True, apps: Json | None = None, service_principals: Json | None = None
) -> Json:
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions.",
        "isEnabled": enabled,
        "applicationRestrictions": apps or app_restrictions(),
        "servicePrincipalRestrictions": service_principals or app_restrictions(),
    }


def skus(*, p2: bool = True) -> list[Json]:
    plans = [
        {
            "servicePlanId": ENTRA_P1_PLAN,
            "servicePlanName": "AAD_PREMIUM",
            "provisioningStatus": "Success",
            "appliesTo": "User",
        }
    ]
    if p2:
        plans.append(
            {
                "servicePlanId": ENTRA_P2_PLAN,
                "servicePlanName": "AAD_PREMIUM_P2",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            }
        )
    return [
        {
            "id": gid("sku"),
            "skuId": ENTRA_P2_SKU if p2 else BUSINESS_PREMIUM,
            "skuPartNumber": "AAD_PREMIUM_P2" if p2 else "SPB",
            "capabilityStatus": "Enabled",
            "consumedUnits": 8,
            "prepaidUnits": {"enabled": 10, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": plans,
        }
    ]


# --- the compliant tenant -----------------------------------------------------------------------

EA1, EA2 = f"ea01@{INITIAL}", f"ea02@{INITIAL}"
ALICE, BOB = f"adm.alice@{INITIAL}", f"adm.bob@{INITIAL}"
CAROL, DAVE = f"adm.carol@{INITIAL}", f"adm.dave@{INITIAL}"
ERIN, FRANK = f"adm.erin@{INITIAL}", f"adm.frank@{INITIAL}"
JO = f"jo@{DOMAIN}"
# Who holds which role as PIM eligible in the compliant tenant.
ELIGIBLE = {
    ALICE: GA,
    BOB: GA,
    CAROL: EXCHANGE_ADMIN,
    DAVE: USER_ADMIN,
    ERIN: SHAREPOINT_ADMIN,
    FRANK: APPLICATION_ADMIN,
}
APPROVERS = group("PIM Approvers - Tier 0", role_assignable=True)
EMERGENCY_GROUP = group("Emergency Access Accounts")
MFA_EXCLUSIONS = group("MFA Exclusions")


def compliant_policies(*, exclude: Sequence[str] | None = None) -> list[Json]:
    """One enabled policy per SCuBA conditional-access policy, excluding the emergency accounts."""
    out = list(exclude) if exclude is not None else [uid(EA1), uid(EA2)]
    return [
        ca_policy(
            "Block legacy authentication",
            exclude_users=out,
            controls=["block"],
            client_apps=["exchangeActiveSync", "other"],
        ),
        ca_policy(
            "Block high user risk", exclude_users=out, controls=["block"], user_risk=["high"]
        ),
        ca_policy(
            "Block high sign-in risk",
            exclude_users=out,
            controls=["block"],
            sign_in_risk=["high", "medium"],
        ),
        ca_policy(
            "Phishing-resistant MFA for all users", exclude_users=out, auth_strength=strength()
        ),
        ca_policy(
            "Phishing-resistant MFA for admins",
            exclude_users=out,
            include_roles=list(HIGHLY_PRIVILEGED_ROLES),
            auth_strength=strength(),
        ),
        ca_policy(
            "Require compliant or hybrid joined device",
            exclude_users=out,
            controls=["compliantDevice", "domainJoinedDevice"],
        ),
        ca_policy(
            "Register security info from managed devices",
            exclude_users=out,
            user_actions=[REGISTER_SECURITY_INFO],
            controls=["compliantDevice", "domainJoinedDevice"],
        ),
        ca_policy(
            "Block device code flow", exclude_users=out, controls=["block"], flows="deviceCodeFlow"
        ),
    ]


def compliant() -> dict[str, Any]:
    """A snapshot (emulator fixture format) that meets every automated SCuBA Entra ID policy."""
    users = [user(EA1, licensed=False), user(EA2, licensed=False)]
    users += [user(upn, licensed=False) for upn in ELIGIBLE]
    users.append(user(JO))
    emergency = [users[0], users[1]]
    groups = [APPROVERS, EMERGENCY_GROUP, MFA_EXCLUSIONS]
    return {
        "users": {"value": users},
        "groups": {"value": groups},
        f"groups/{APPROVERS['id']}/members": {"value": [member_ref(users[2])]},
        f"groups/{EMERGENCY_GROUP['id']}/members": {"value": [member_ref(u) for u in emergency]},
        f"groups/{MFA_EXCLUSIONS['id']}/members": {"value": [member_ref(users[-1])]},
        "roleManagement/directory/roleDefinitions": {"value": role_definitions()},
        ASSIGNMENTS: {"value": [assignment(uid(EA1), GA), assignment(uid(EA2), GA)]},
        SCHEDULES: {"value": [schedule(uid(EA1), GA), schedule(uid(EA2), GA)]},
        ELIGIBILITY: {
            "value": [
                schedule(uid(upn), role, end=days_ahead(180), eligible=True)
                for upn, role in ELIGIBLE.items()
            ]
        },
        PIM_POLICIES: {
            "value": [
                pim_policy(role, approval=role == GA, approver_group=APPROVERS["id"])
                if role == GA
                else pim_policy(role)
                for role in HIGHLY_PRIVILEGED_ROLES
            ]
        },
        CA: {"value": compliant_policies()},
        "identity/conditionalAccess/namedLocations": {"value": []},
        AUTH_METHODS: auth_methods(),
        AUTHORIZATION: authorization(),
        ADMIN_CONSENT: admin_consent(),
        APP_POLICY: app_policy(),
        SECURITY_DEFAULTS: {
            "id": "00000000-0000-0000-0000-000000000000",
            "displayName": "Security Defaults",
            "isEnabled": False,
        },
        "domains": {"value": [domain(DOMAIN), domain(INITIAL, validity=None)]},
        "subscribedSkus": {"value": skus()},
    }


# --- running checks -----------------------------------------------------------------------------


def check_csdl(payloads: dict[str, Any]) -> None:
    """Every object is a real Graph v1.0 shape (the app management policy has no PATH_TYPES
    entry, so it is checked against its type directly)."""
    rest = {k: v for k, v in payloads.items() if k != APP_POLICY}
    problems = validate_fixture(rest)
    if APP_POLICY in payloads:
        problems += validate("tenantAppManagementPolicy", payloads[APP_POLICY], path=APP_POLICY)
    assert not problems, "\n".join(problems)


def snapshot(
    payloads: dict[str, Any],
    *,
    missing: Iterable[tuple[str, EndpointOutcome, str]] = (),
) -> TenantData:
    """``TenantData`` for ``payloads``, after a CSDL check; ``missing`` drops keys and records why
    (key, outcome, licence or permission), as the collection would."""
    payloads = copy.deepcopy(payloads)
    check_csdl(payloads)
    results: list[EndpointResult] = []
    for key, outcome, what in missing:
        payloads.pop(key, None)
        if outcome is EndpointOutcome.LICENSE_REQUIRED:
            results.append(EndpointResult(key, outcome, license=what))
        elif outcome is EndpointOutcome.MISSING_PERMISSION:
            results.append(EndpointResult(key, outcome, permission=what))
        else:
            results.append(EndpointResult(key, outcome, detail=what))
    return TenantData(payloads, results, now=NOW)


def run(check_id: str, data: TenantData) -> Outcome:
    """One SCuBA check through the engine (so ``requires`` and MissingData become ERRORs)."""
    meta = next(m for m in default_catalog().checks if m.id == check_id)
    return run_check(meta, all_checks()[check_id], data)


def resource_ids(outcome: Outcome) -> set[str]:
    return {r.id for r in outcome.resources}


def resource_names(outcome: Outcome) -> set[str]:
    return {r.name for r in outcome.resources}
