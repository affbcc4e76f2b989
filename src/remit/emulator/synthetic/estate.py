"""What the tenant owns: organization, domains, licences, devices, app registrations and
enterprise apps (including the Remit app itself)."""

from __future__ import annotations

import base64
from datetime import timedelta

from remit.emulator.model import LICENSE_INTUNE
from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import (
    EXCHANGE_APP_ID,
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    GRAPH_SCOPE_USER_READ,
    MICROSOFT_TENANT_ID,
    PRODUCT_PERMISSIONS,
    SERVICE_PLANS,
    SHAREPOINT_APP_ID,
)
from remit.emulator.synthetic.common import Json, Person, Tenant, iso
from remit.emulator.synthetic.names import DEVICE_MODELS


def build_organization(t: Tenant) -> None:
    created = iso(t.created)
    plans = [plan for sku in t.skus for plan in sku.plans]
    hybrid = t.profile == P.HYBRID
    t.data["organization"] = {
        "value": [
            {
                "id": t.tenant_id,
                "deletedDateTime": None,
                "businessPhones": [
                    f"+1 {t.rng.randrange(201, 989)} 555 {t.rng.randrange(1000, 9999)}"
                ],
                "city": "Seattle",
                "country": None,
                "countryLetterCode": "US",
                "createdDateTime": created,
                "defaultUsageLocation": None,
                "displayName": t.name,
                "marketingNotificationEmails": [],
                "onPremisesLastSyncDateTime": iso(t.random_past(0.001, 0.03)) if hybrid else None,
                "onPremisesSyncEnabled": True if hybrid else None,
                "partnerTenantType": None,
                "postalCode": f"98{t.rng.randrange(100, 199)}",
                "preferredLanguage": "en",
                "securityComplianceNotificationMails": [],
                "securityComplianceNotificationPhones": [],
                "state": "WA",
                "street": f"{t.rng.randrange(10, 9999)} Main Street",
                "technicalNotificationMails": [f"alerts@{t.domain}"],
                "tenantType": "AAD",
                "mobileDeviceManagementAuthority": (
                    "intune" if LICENSE_INTUNE in t.features else "office365"
                ),
                "privacyProfile": None,
                "assignedPlans": [
                    {
                        "assignedDateTime": created,
                        "capabilityStatus": "Enabled",
                        "service": SERVICE_PLANS[plan][1],
                        "servicePlanId": SERVICE_PLANS[plan][0],
                    }
                    for plan in plans
                ],
                "provisionedPlans": [
                    {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": s}
                    for s in sorted({SERVICE_PLANS[plan][1] for plan in plans})
                ],
                "verifiedDomains": [
                    {
                        "capabilities": "Email, OfficeCommunicationsOnline",
                        "isDefault": False,
                        "isInitial": True,
                        "name": t.initial_domain,
                        "type": "Managed",
                    },
                    {
                        "capabilities": "Email, OfficeCommunicationsOnline",
                        "isDefault": True,
                        "isInitial": False,
                        "name": t.domain,
                        "type": "Managed",
                    },
                ],
            }
        ]
    }
    t.data["domains"] = {
        "value": [
            _domain(t.initial_domain, default=False, initial=True),
            _domain(t.domain, default=True, initial=False),
        ]
    }


def _domain(name: str, *, default: bool, initial: bool) -> Json:
    services = ["Email", "OfficeCommunicationsOnline"]
    if not initial:
        services.append("Intune")
    return {
        "id": name,
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "isAdminManaged": True,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": True,
        "isVerified": True,
        "supportedServices": services,
        "passwordValidityPeriodInDays": 2147483647,
        "passwordNotificationWindowInDays": 14,
        "state": None,
    }


def build_skus(t: Tenant) -> None:
    consumed = {sku.sku_id: 0 for sku in t.skus}
    for p in t.people:
        if p.member and p.licensed:
            for sku in t.skus:
                if sku.plans:
                    consumed[sku.sku_id] += 1
    out = []
    for sku in t.skus:
        used = consumed[sku.sku_id]
        if not sku.plans:  # a free viral licence (Power Automate Free) some users picked up
            used = max(1, used // 4)
        spare = t.rng.randrange(0, 4) if sku.plans else 10000 - used
        out.append(
            {
                "id": f"{t.tenant_id}_{sku.sku_id}",
                "accountId": t.tenant_id,
                "accountName": t.slug,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": used,
                "skuId": sku.sku_id,
                "skuPartNumber": sku.part_number,
                "subscriptionIds": [t.id()],
                "prepaidUnits": {
                    "enabled": used + spare,
                    "suspended": 0,
                    "warning": 0,
                    "lockedOut": 0,
                },
                "servicePlans": [
                    {
                        "servicePlanId": SERVICE_PLANS[plan][0],
                        "servicePlanName": plan,
                        "provisioningStatus": "Success",
                        "appliesTo": "User",
                    }
                    for plan in sku.plans
                ],
            }
        )
    t.data["subscribedSkus"] = {"value": out}


# --- Devices (Intune) --------------------------------------------------------------------------


# (share compliant, share encrypted, share stale: no check-in for over 30 days)
_COMPLIANCE = {
    P.BP_GAPS: (0.7, 0.75, 0.05),
    P.WELL_RUN: (1.0, 1.0, 0.005),  # retired devices are removed from Intune promptly
    P.HYBRID: (0.85, 0.9, 0.05),
    P.GUEST_HEAVY: (0.8, 0.85, 0.05),
}


def build_devices(t: Tenant) -> None:
    if LICENSE_INTUNE not in t.features:
        return
    rng = t.rng
    shares = _COMPLIANCE.get(t.profile, (0.8, 0.8, 0.05))
    devices: list[Json] = []
    owners = [p for p in t.members if p.licensed and p.enabled]
    for p in owners:
        for n in range(1 if rng.random() < 0.6 else 2):
            devices.append(_device(t, p, n, *shares))
    t.data["deviceManagement/managedDevices"] = {"value": devices}


def _device(
    t: Tenant, p: Person, n: int, compliant: float, encrypted: float, stale_share: float
) -> Json:
    rng = t.rng
    os_name, os_version, maker, model = DEVICE_MODELS[
        rng.randrange(4) if n == 0 else rng.randrange(len(DEVICE_MODELS))
    ]
    windows = os_name == "Windows"
    serial = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
    name = f"{t.slug[:6].upper()}-{serial[:7]}" if windows else f"{p.given}'s {model}"
    is_encrypted = rng.random() < encrypted
    state = "compliant" if rng.random() < compliant and is_encrypted else "noncompliant"
    if state == "noncompliant" and rng.random() < 0.2:
        state = "inGracePeriod"
    enrolled = max(p.created, t.random_past(10, 900))
    stale = rng.random() < stale_share
    last_sync = t.random_past(31, 120) if stale else t.random_past(0.01, 3)
    return {
        "id": t.id(),
        "userId": p.id,
        "deviceName": name,
        "managedDeviceName": f"{p.upn.split('@')[0]}_{os_name}_{enrolled:%m/%d/%Y_%I:%M %p}",
        "managedDeviceOwnerType": "company" if windows or rng.random() < 0.5 else "personal",
        "enrolledDateTime": iso(enrolled),
        "lastSyncDateTime": iso(last_sync),
        "operatingSystem": os_name,
        "osVersion": os_version,
        "complianceState": state,
        "jailBroken": "False" if os_name in ("iOS", "Android") else "Unknown",
        "managementAgent": "mdm",
        "easActivated": False,
        "easDeviceId": "",
        "easActivationDateTime": "0001-01-01T00:00:00Z",
        "azureADRegistered": True,
        "deviceEnrollmentType": "windowsAzureADJoin" if windows else "userEnrollment",
        "activationLockBypassCode": None,
        "emailAddress": p.mail or "",
        "azureADDeviceId": t.id(),
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown Category",
        "isSupervised": False,
        "exchangeLastSuccessfulSyncDateTime": "0001-01-01T00:00:00Z",
        "exchangeAccessState": "none",
        "exchangeAccessStateReason": "none",
        "remoteAssistanceSessionUrl": None,
        "remoteAssistanceSessionErrorDetails": None,
        "isEncrypted": is_encrypted,
        "userPrincipalName": p.upn,
        "model": model,
        "manufacturer": maker,
        "imei": "",
        "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
        "serialNumber": serial,
        "phoneNumber": "",
        "androidSecurityPatchLevel": "2024-10-01" if os_name == "Android" else "",
        "userDisplayName": p.display,
        "configurationManagerClientEnabledFeatures": None,
        "wiFiMacAddress": "",
        "deviceHealthAttestationState": None,
        "subscriberCarrier": "",
        "meid": "",
        "totalStorageSpaceInBytes": 255_471_009_792,
        "freeStorageSpaceInBytes": rng.randrange(20, 200) * 1_073_741_824,
        "partnerReportedThreatState": "unknown",
        "requireUserEnrollmentApproval": None,
        "managementCertificateExpirationDate": iso(enrolled + timedelta(days=365)),
        "iccid": None,
        "udid": None,
        "notes": None,
        "ethernetMacAddress": None,
        "physicalMemoryInBytes": 0,
        "enrollmentProfileName": None,
        "deviceActionResults": [],
        "managementState": "managed",
    }


# --- Applications and service principals ------------------------------------------------------


def _secret(t: Tenant, name: str, *, ends_in_days: float, hint: str | None = None) -> Json:
    end = t.now + timedelta(days=ends_in_days)
    start = end - timedelta(days=730 if ends_in_days > -400 else 365)
    return {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": iso(end),
        "hint": hint or "".join(t.rng.choice("abcdefghijkLMNOPQ0123456789~") for _ in range(3)),
        "keyId": t.id(),
        "secretText": None,
        "startDateTime": iso(start),
    }


def _certificate(t: Tenant, name: str, *, ends_in_days: float) -> Json:
    end = t.now + timedelta(days=ends_in_days)
    return {
        "customKeyIdentifier": base64.b64encode(t.rng.randbytes(20)).decode(),
        "displayName": f"CN={name}",
        "endDateTime": iso(end),
        "key": None,
        "keyId": t.id(),
        "startDateTime": iso(end - timedelta(days=365)),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }


def _access(*roles: str, scope: bool = False) -> list[Json]:
    access: list[Json] = [{"id": GRAPH_APP_ROLES[r], "type": "Role"} for r in roles]
    if scope:
        access.append({"id": GRAPH_SCOPE_USER_READ, "type": "Scope"})
    return [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}]


def _application(
    t: Tenant,
    name: str,
    *,
    app_id: str | None = None,
    secrets: list[Json] | None = None,
    certificates: list[Json] | None = None,
    access: list[Json] | None = None,
    redirect: str | None = None,
) -> Json:
    return {
        "id": t.id(),
        "deletedDateTime": None,
        "appId": app_id or t.id(),
        "applicationTemplateId": None,
        "createdDateTime": iso(t.random_past(60, max(61, (t.now - t.created).days))),
        "displayName": name,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isFallbackPublicClient": None,
        "notes": None,
        "publisherDomain": t.domain,
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "addIns": [],
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": certificates or [],
        "passwordCredentials": secrets or [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": access or [],
        "spa": {"redirectUris": []},
        "verifiedPublisher": {
            "displayName": None,
            "verifiedPublisherId": None,
            "addedDateTime": None,
        },
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [redirect] if redirect else [],
            "redirectUriSettings": [],
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
        },
    }


def _applications(t: Tenant) -> list[Json]:
    rng = t.rng
    remit = _application(
        t,
        "Remit",
        app_id=t.client_id,
        secrets=[_secret(t, "remit", ends_in_days=rng.uniform(120, 600), hint=t.client_secret[:3])],
        access=_access(*PRODUCT_PERMISSIONS),
    )
    apps = [remit]
    apps.append(
        _application(
            t,
            "Scan to Email (MFP)",
            secrets=[_secret(t, "printer", ends_in_days=rng.uniform(30, 400))],
            access=_access("Mail.Send"),
        )
    )
    if t.profile == P.BP_GAPS:
        apps.append(
            _application(
                t,
                "Xero Sync",
                secrets=[_secret(t, "xero", ends_in_days=10)],  # expires in 10 days
                access=_access("User.Read.All", scope=True),
                redirect="https://sync.example.com/auth/callback",
            )
        )
    if t.profile in (P.BP_GAPS, P.HYBRID, P.NO_CA):
        apps.append(
            _application(
                t,
                "Legacy SFTP connector",
                secrets=[_secret(t, "sftp", ends_in_days=-rng.uniform(20, 300))],  # expired
                access=_access("Files.ReadWrite.All"),
            )
        )
    if t.profile in (P.WELL_RUN, P.HYBRID, P.GUEST_HEAVY):
        apps.append(
            _application(
                t,
                "Intranet portal",
                certificates=[_certificate(t, "intranet", ends_in_days=rng.uniform(15, 45))],
                access=_access(scope=True),
                redirect=f"https://intranet.{t.domain}/signin-oidc",
            )
        )
        apps.append(
            _application(
                t,
                "HR system provisioning",
                certificates=[
                    _certificate(t, "hr-provisioning", ends_in_days=rng.uniform(200, 700))
                ],
                access=_access("User.Read.All", "Directory.Read.All"),
            )
        )
    return apps


def _service_principal(
    t: Tenant,
    name: str,
    app_id: str,
    owner: str,
    *,
    audience: str = "AzureADMyOrg",
    roles: list[Json] | None = None,
    tags: list[str] | None = None,
) -> Json:
    return {
        "id": t.id(),
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": [],
        "appDisplayName": name,
        "appDescription": None,
        "appId": app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": owner,
        "appRoleAssignmentRequired": False,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": audience,
        "tags": tags or ["WindowsAzureActiveDirectoryIntegratedApp"],
        "tokenEncryptionKeyId": None,
        "addIns": [],
        "appRoles": roles or [],
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {
            "displayName": None,
            "verifiedPublisherId": None,
            "addedDateTime": None,
        },
    }


def build_apps(t: Tenant) -> None:
    apps = _applications(t)
    t.data["applications"] = {"value": apps}
    graph_roles = [
        {
            "allowedMemberTypes": ["Application"],
            "description": f"Allows the app to {name} without a signed-in user.",
            "displayName": name,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": name,
        }
        for name, role_id in GRAPH_APP_ROLES.items()
    ]
    sps = [
        _service_principal(
            t,
            "Microsoft Graph",
            GRAPH_APP_ID,
            MICROSOFT_TENANT_ID,
            audience="AzureADMultipleOrgs",
            roles=graph_roles,
            tags=[],
        ),
        _service_principal(
            t,
            "Office 365 Exchange Online",
            EXCHANGE_APP_ID,
            MICROSOFT_TENANT_ID,
            audience="AzureADMultipleOrgs",
            tags=[],
        ),
        _service_principal(
            t,
            "Office 365 SharePoint Online",
            SHAREPOINT_APP_ID,
            MICROSOFT_TENANT_ID,
            audience="AzureADMultipleOrgs",
            tags=[],
        ),
    ]
    sps += [_service_principal(t, app["displayName"], app["appId"], t.tenant_id) for app in apps]
    third_party = ["Zoom", "DocuSign", "Adobe Acrobat Sign", "Calendly", "Mailchimp"]
    for name in t.rng.sample(third_party, k=t.rng.randrange(1, 4)):
        sps.append(_service_principal(t, name, t.id(), t.id(), audience="AzureADMultipleOrgs"))
    t.data["servicePrincipals"] = {"value": sps}
