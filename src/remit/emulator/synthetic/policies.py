"""Tenant policies: conditional access, named locations, authentication methods, authorization,
security defaults and the admin consent workflow, shaped per profile."""

from __future__ import annotations

from typing import Any

from remit.emulator.model import LICENSE_ENTRA_P1
from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import (
    GLOBAL_ADMIN,
    GUEST_ROLE_LIMITED,
    GUEST_ROLE_RESTRICTED,
    GUEST_ROLE_SAME_AS_MEMBER,
    PRIVILEGED_ROLE_IDS,
    ROLES_BY_NAME,
    SECURITY_DEFAULTS_ID,
    STRENGTH_PHISHING_RESISTANT,
)
from remit.emulator.synthetic.common import Json, Tenant, iso

_LEGACY_CLIENTS = ["exchangeActiveSync", "other"]
_AUTHENTICATOR_CONFIG = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration"


def _users(
    *,
    include_users: list[str] | None = None,
    exclude_users: list[str] | None = None,
    include_roles: list[str] | None = None,
    exclude_roles: list[str] | None = None,
    exclude_groups: list[str] | None = None,
    include_guests: bool = False,
) -> Json:
    return {
        "includeUsers": include_users or [],
        "excludeUsers": exclude_users or [],
        "includeGroups": [],
        "excludeGroups": exclude_groups or [],
        "includeRoles": include_roles or [],
        "excludeRoles": exclude_roles or [],
        "includeGuestsOrExternalUsers": (
            {
                "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
                "externalTenants": {
                    "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                    "membershipKind": "all",
                },
            }
            if include_guests
            else None
        ),
        "excludeGuestsOrExternalUsers": None,
    }


def _policy(
    t: Tenant,
    name: str,
    state: str,
    users: Json,
    *,
    controls: list[str] | None = None,
    operator: str = "OR",
    client_apps: list[str] | None = None,
    sign_in_risk: list[str] | None = None,
    user_risk: list[str] | None = None,
    strength: Json | None = None,
    locations: Json | None = None,
    platforms: Json | None = None,
) -> Json:
    created = t.random_past(60, 900)
    return {
        "id": t.id(),
        "templateId": None,
        "displayName": name,
        "createdDateTime": iso(created),
        "modifiedDateTime": iso(max(created, t.random_past(5, 300))),
        "state": state,
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": user_risk or [],
            "signInRiskLevels": sign_in_risk or [],
            "clientAppTypes": client_apps or ["all"],
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": platforms,
            "locations": locations,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": users,
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": controls or [],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": strength,
        },
    }


def _phishing_resistant() -> Json:
    return {
        "id": STRENGTH_PHISHING_RESISTANT,
        "createdDateTime": "2021-12-01T00:00:00Z",
        "modifiedDateTime": "2021-12-01T00:00:00Z",
        "displayName": "Phishing-resistant MFA",
        "description": "Phishing-resistant, Passwordless methods for the strongest authentication, "
        "such as a FIDO2 security key",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    }


def _named_locations(t: Tenant) -> list[Json]:
    if t.profile not in (P.WELL_RUN, P.BP_GAPS, P.HYBRID):
        return []
    created = iso(t.random_past(100, 700))
    office = {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": t.id(),
        "displayName": "Head office",
        "createdDateTime": created,
        "modifiedDateTime": created,
        "isTrusted": True,
        "ipRanges": [
            {
                "@odata.type": "#microsoft.graph.iPv4CidrRange",
                "cidrAddress": f"203.0.113.{t.rng.randrange(0, 224, 16)}/28",
            }
        ],
    }
    out = [office]
    if t.profile == P.WELL_RUN:
        out.append(
            {
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                "id": t.id(),
                "displayName": "Allowed countries",
                "createdDateTime": created,
                "modifiedDateTime": created,
                "countriesAndRegions": ["US", "CA", "GB"],
                "includeUnknownCountriesAndRegions": False,
                "countryLookupMethod": "clientIpAddress",
            }
        )
    return out


def _role(name: str) -> str:
    return ROLES_BY_NAME[name].template_id


def _ca_policies(t: Tenant, locations: list[Json]) -> list[Json]:
    if LICENSE_ENTRA_P1 not in t.features:
        return []
    admin_roles = [GLOBAL_ADMIN, _role("Exchange Administrator"), _role("User Administrator")]
    if t.profile == P.BP_GAPS:
        exclusions = [t.special_groups["mfa_exclusions"]]
        return [
            _policy(
                t,
                "Require MFA - all users",
                "enabled",
                _users(include_users=["All"], exclude_groups=exclusions),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Require MFA - admins",
                "enabledForReportingButNotEnforced",
                _users(include_roles=admin_roles),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Block legacy authentication",
                "disabled",
                _users(include_users=["All"]),
                controls=["block"],
                client_apps=list(_LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "Require compliant device - Windows",
                "enabled",
                _users(include_users=["All"], exclude_groups=exclusions),
                controls=["compliantDevice", "mfa"],
                platforms={"includePlatforms": ["windows"], "excludePlatforms": []},
            ),
        ]
    if t.profile == P.WELL_RUN:
        breakglass = [p.id for p in t.people if p.emergency]
        allowed = next(loc["id"] for loc in locations if loc["displayName"] == "Allowed countries")
        return [
            _policy(
                t,
                "CA001 - Require phishing-resistant MFA for admins",
                "enabled",
                _users(include_roles=list(PRIVILEGED_ROLE_IDS), exclude_users=breakglass),
                strength=_phishing_resistant(),
            ),
            _policy(
                t,
                "CA002 - Require MFA for all users",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["mfa"],
            ),
            _policy(
                t,
                "CA003 - Block legacy authentication",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                client_apps=list(_LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "CA004 - Block high sign-in risk",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                sign_in_risk=["high"],
            ),
            _policy(
                t,
                "CA005 - Password change for high user risk",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["mfa", "passwordChange"],
                operator="AND",
                user_risk=["high"],
            ),
            _policy(
                t,
                "CA006 - Require compliant or hybrid joined device",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["compliantDevice", "domainJoinedDevice"],
                platforms={"includePlatforms": ["all"], "excludePlatforms": []},
            ),
            _policy(
                t,
                "CA007 - Block access outside allowed countries",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                locations={"includeLocations": ["All"], "excludeLocations": [allowed]},
            ),
        ]
    if t.profile == P.HYBRID:
        sync_role = [_role("Directory Synchronization Accounts")]
        return [
            _policy(
                t,
                "Require MFA for administrators",
                "enabled",
                _users(include_roles=[*admin_roles, _role("Hybrid Identity Administrator")]),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Block legacy authentication",
                "enabled",
                _users(include_users=["All"], exclude_roles=sync_role),
                controls=["block"],
                client_apps=list(_LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "Require MFA for all users (pilot)",
                "enabledForReportingButNotEnforced",
                _users(include_users=["All"], exclude_roles=sync_role),
                controls=["mfa"],
            ),
        ]
    if t.profile == P.GUEST_HEAVY:
        return [
            _policy(
                t,
                "Require MFA for admins",
                "enabled",
                _users(include_roles=admin_roles),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Require MFA for guests",
                "enabledForReportingButNotEnforced",
                _users(include_guests=True),
                controls=["mfa"],
            ),
        ]
    return []


def _target(extra: dict[str, Any] | None = None) -> Json:
    body: Json = {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
    body.update(extra or {})
    return body


def _auth_methods_policy(t: Tenant) -> Json:
    strict = t.profile == P.WELL_RUN
    modern = t.profile in (P.WELL_RUN, P.BP_GAPS, P.SECDEFAULTS)
    sms_voice = "disabled" if strict else "enabled"
    feature = {
        "state": "enabled",
        "includeTarget": {"targetType": "group", "id": "all_users"},
        "excludeTarget": {"targetType": "group", "id": "00000000-0000-0000-0000-000000000000"},
    }
    configs: list[Json] = [
        {
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            "id": "Fido2",
            "state": "enabled" if strict else "disabled",
            "isSelfServiceRegistrationAllowed": True,
            "isAttestationEnforced": strict,
            "excludeTargets": [],
            "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
            "includeTargets": [_target()],
        },
        {
            "@odata.type": _AUTHENTICATOR_CONFIG,
            "id": "MicrosoftAuthenticator",
            "state": "enabled",
            "isSoftwareOathEnabled": False,
            "excludeTargets": [],
            "featureSettings": {
                "displayAppInformationRequiredState": dict(feature)
                if modern
                else {**feature, "state": "default"},
                "displayLocationInformationRequiredState": dict(feature)
                if modern
                else {**feature, "state": "default"},
            },
            "includeTargets": [_target({"authenticationMode": "any"})],
        },
        {
            "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
            "id": "Sms",
            "state": sms_voice,
            "excludeTargets": [],
            "includeTargets": [_target({"isUsableForSignIn": False})],
        },
        {
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
            "id": "TemporaryAccessPass",
            "state": "enabled" if strict else "disabled",
            "defaultLifetimeInMinutes": 60,
            "defaultLength": 8,
            "minimumLifetimeInMinutes": 60,
            "maximumLifetimeInMinutes": 480,
            "isUsableOnce": strict,
            "excludeTargets": [],
            "includeTargets": [_target()],
        },
        {
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
            "id": "SoftwareOath",
            "state": "enabled" if t.profile == P.HYBRID else "disabled",
            "excludeTargets": [],
            "includeTargets": [_target()],
        },
        {
            "@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration",
            "id": "Voice",
            "state": sms_voice,
            "isOfficePhoneAllowed": False,
            "excludeTargets": [],
            "includeTargets": [_target()],
        },
        {
            "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration",
            "id": "Email",
            "state": "enabled",
            "allowExternalIdToUseEmailOtp": "default",
            "excludeTargets": [],
            "includeTargets": [_target()],
        },
        {
            "@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
            "id": "X509Certificate",
            "state": "disabled",
            "excludeTargets": [],
            "certificateUserBindings": [
                {
                    "x509CertificateField": "PrincipalName",
                    "userProperty": "onPremisesUserPrincipalName",
                    "priority": 1,
                    "trustAffinityLevel": "low",
                },
                {
                    "x509CertificateField": "RFC822Name",
                    "userProperty": "userPrincipalName",
                    "priority": 2,
                    "trustAffinityLevel": "low",
                },
            ],
            "authenticationModeConfiguration": {
                "x509CertificateAuthenticationDefaultMode": "x509CertificateSingleFactor",
                "x509CertificateDefaultRequiredAffinityLevel": "low",
                "rules": [],
            },
            "crlValidationConfiguration": {
                "state": "disabled",
                "exemptedCertificateAuthoritiesSubjectKeyIdentifiers": [],
            },
            "issuerHintsConfiguration": {"state": "disabled"},
            "certificateAuthorityScopes": [],
            "includeTargets": [_target()],
        },
    ]
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are "
        "allowed in the tenant, authentication method registration requirements, and "
        "self-service password reset settings",
        "lastModifiedDateTime": iso(t.random_past(5, 400)),
        "policyVersion": "1.5",
        "reconfirmationInDays": 0,
        "policyMigrationState": "migrationComplete" if modern else "preMigration",
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1,
                "state": "enabled" if strict else "default",
                "excludeTargets": [],
                "includeTargets": [
                    {
                        "id": "all_users",
                        "targetType": "group",
                        "targetedAuthenticationMethod": "microsoftAuthenticator",
                    }
                ],
            }
        },
        "authenticationMethodConfigurations": configs,
    }


_CONSENT_LEGACY = "ManagePermissionGrantsForSelf.microsoft-user-default-legacy"
_CONSENT_LOW = "ManagePermissionGrantsForSelf.microsoft-user-default-low"
_RSC = [
    "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
    "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat",
]

# profile -> (allowInvitesFrom, user consent policies, guestUserRoleId, users may create apps)
_AUTHORIZATION: dict[str, tuple[str, list[str], str, bool]] = {
    P.NO_CA: ("everyone", [_CONSENT_LEGACY, *_RSC], GUEST_ROLE_SAME_AS_MEMBER, True),
    P.SECDEFAULTS: (
        "adminsGuestInvitersAndAllMembers",
        [_CONSENT_LOW, *_RSC],
        GUEST_ROLE_LIMITED,
        True,
    ),
    P.BP_GAPS: (
        "adminsGuestInvitersAndAllMembers",
        [_CONSENT_LOW, *_RSC],
        GUEST_ROLE_LIMITED,
        True,
    ),
    P.WELL_RUN: ("adminsAndGuestInviters", list(_RSC), GUEST_ROLE_RESTRICTED, False),
    P.HYBRID: ("adminsAndGuestInviters", [_CONSENT_LOW, *_RSC], GUEST_ROLE_LIMITED, False),
    P.GUEST_HEAVY: ("everyone", [_CONSENT_LEGACY, *_RSC], GUEST_ROLE_SAME_AS_MEMBER, True),
}


def _authorization_policy(t: Tenant) -> Json:
    invites, consent, guest_role, create_apps = _AUTHORIZATION[t.profile]
    strict = t.profile == P.WELL_RUN
    return {
        "id": "authorizationPolicy",
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "allowInvitesFrom": invites,
        "allowedToSignUpEmailBasedSubscriptions": not strict,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": False,
        "allowUserConsentForRiskyApps": None,
        "blockMsolPowerShell": strict,
        "guestUserRoleId": guest_role,
        "defaultUserRolePermissions": {
            "allowedToCreateApps": create_apps,
            "allowedToCreateSecurityGroups": not strict,
            "allowedToCreateTenants": not strict,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": consent,
        },
    }


def build_policies(t: Tenant) -> None:
    data = t.data
    locations = _named_locations(t)
    data["identity/conditionalAccess/policies"] = {"value": _ca_policies(t, locations)}
    data["identity/conditionalAccess/namedLocations"] = {"value": locations}
    data["policies/authenticationMethodsPolicy"] = _auth_methods_policy(t)
    data["policies/authorizationPolicy"] = _authorization_policy(t)
    data["policies/identitySecurityDefaultsEnforcementPolicy"] = {
        "id": SECURITY_DEFAULTS_ID,
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms "
        "recommended by Microsoft. When enabled, these recommendations will be automatically "
        "enforced in your organization. Administrators and users will be better protected from "
        "common identity related attacks.",
        "isEnabled": t.profile == P.SECDEFAULTS,
    }
    reviewers: list[Json] = []
    if t.profile == P.WELL_RUN:
        admins = [p for p in t.people if "cloud-admin" in p.tags][:2]
        reviewers = [
            {"query": f"/users/{p.id}", "queryType": "MicrosoftGraph", "queryRoot": None}
            for p in admins
        ]
    data["policies/adminConsentRequestPolicy"] = {
        "isEnabled": bool(reviewers),
        "notifyReviewers": bool(reviewers),
        "remindersEnabled": bool(reviewers),
        "requestDurationInDays": 30 if reviewers else 0,
        "version": 1 if reviewers else 0,
        "reviewers": reviewers,
    }
