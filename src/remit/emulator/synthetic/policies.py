"""Tenant policies: authentication methods, authorization, security defaults, the admin consent
workflow and the default app management policy, shaped per profile (conditional access and named
locations are in :mod:`remit.emulator.synthetic.conditional_access`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import (
    GUEST_ROLE_LIMITED,
    GUEST_ROLE_RESTRICTED,
    GUEST_ROLE_SAME_AS_MEMBER,
    SECURITY_DEFAULTS_ID,
)
from remit.emulator.synthetic.common import Json, Tenant, iso
from remit.emulator.synthetic.conditional_access import build_conditional_access

_AUTHENTICATOR_CONFIG = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration"


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
            "state": "disabled" if strict else "enabled",
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


# The default app management policy: Graph's id and wording for it.
APP_POLICY_ID = "00000000-0000-0000-0000-000000000000"
_APP_POLICY_DESCRIPTION = (
    "Default tenant policy that enforces app management restrictions on applications and service "
    "principals. To apply policy to targeted resources, create a new policy under "
    "appManagementPolicies collection."
)


def _restriction(kind: str, lifetime: str | None = None, since: str | None = None) -> Json:
    return {
        "restrictionType": kind,
        "state": "enabled",
        "maxLifetime": lifetime,
        "restrictForAppsCreatedAfterDateTime": since,
        "excludeActors": None,
    }


def _app_management_policy(t: Tenant) -> Json:
    """``policies/defaultAppManagementPolicy``. The well-run tenant blocks new client secrets and
    symmetric keys for every app and caps secret (180 days) and certificate (365 days) lifetimes;
    the business-premium and hybrid tenants drafted a secret lifetime limit for new apps once and
    never switched the policy on; the others keep Microsoft's default (off, no restrictions)."""
    enabled = False
    passwords: list[Json] = []
    keys: list[Json] = []
    service_principals: Json = {"passwordCredentials": [], "keyCredentials": []}
    if t.profile == P.WELL_RUN:
        enabled = True
        passwords = [
            _restriction("passwordAddition"),
            _restriction("symmetricKeyAddition"),
            _restriction("passwordLifetime", "P180D"),
            _restriction("symmetricKeyLifetime", "P180D"),
        ]
        keys = [_restriction("asymmetricKeyLifetime", "P365D")]
        service_principals = {"passwordCredentials": passwords, "keyCredentials": keys}
    elif t.profile in (P.BP_GAPS, P.HYBRID):
        rng = t.side_rng("app-management-policy")
        drafted = t.now.replace(hour=0, minute=0, second=0) - timedelta(days=rng.randrange(60, 500))
        passwords = [_restriction("passwordLifetime", "P365D", iso(drafted))]
    return {
        "id": APP_POLICY_ID,
        "displayName": "Default app management tenant policy",
        "description": _APP_POLICY_DESCRIPTION,
        "isEnabled": enabled,
        "applicationRestrictions": {
            "passwordCredentials": [dict(r) for r in passwords],
            "keyCredentials": [dict(r) for r in keys],
        },
        "servicePrincipalRestrictions": {
            "passwordCredentials": [dict(r) for r in service_principals["passwordCredentials"]],
            "keyCredentials": [dict(r) for r in service_principals["keyCredentials"]],
        },
    }


def build_policies(t: Tenant) -> None:
    data = t.data
    build_conditional_access(t)
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
    data["policies/defaultAppManagementPolicy"] = _app_management_policy(t)
