"""Real Microsoft identifiers the synthetic tenants use: SKUs, service plans, roles, guest roles.

Everything here is public reference data (Microsoft's licensing service plan reference and the
Entra built-in roles reference), so payloads carry the same ids a real tenant shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE

# --- Service plans (servicePlanName -> servicePlanId, and the service name organization shows) ---

SERVICE_PLANS: dict[str, tuple[str, str]] = {
    "EXCHANGE_S_STANDARD": ("9aaf7827-d63c-4b61-89c3-182f06f82e5c", "exchange"),
    "EXCHANGE_S_ENTERPRISE": ("efb87545-963c-4e0d-99df-69c6916d9eb0", "exchange"),
    "EXCHANGE_S_FOUNDATION": ("113feb6c-3fe4-4440-bddc-54d774bf0318", "exchange"),
    "SHAREPOINTSTANDARD": ("c7699d2e-19aa-44de-8edf-1736da088ca1", "SharePoint"),
    "SHAREPOINTENTERPRISE": ("5dbe027f-2339-4123-9542-606e4d348a72", "SharePoint"),
    "SHAREPOINTWAC": ("e95bec33-7c88-4a70-8e19-b10bd9d0c014", "SharePoint"),
    "TEAMS1": ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TeamspaceAPI"),
    "MCOSTANDARD": ("0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MicrosoftCommunicationsOnline"),
    "OFFICESUBSCRIPTION": ("43de0ff5-c92c-492b-9116-175376d08c38", "MicrosoftOffice"),
    "INTUNE_O365": ("882e1d05-acd1-4ccb-8708-6ee03664b117", "SCO"),
    "INTUNE_A": ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "SCO"),
    "AAD_PREMIUM": ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AADPremiumService"),
    "AAD_PREMIUM_P2": ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AADPremiumService"),
    "MFA_PREMIUM": ("8a256a2b-b617-496d-b51b-e76466e88db0", "MultiFactorService"),
    "RMS_S_ENTERPRISE": ("bea4c11e-220a-4e6d-8eb8-8ea15d019f90", "RMSOnline"),
    "RMS_S_PREMIUM": ("6c57d4b6-3b23-47a5-9bc9-69f17b4947b3", "RMSOnline"),
    "RMS_S_PREMIUM2": ("5689bec4-755d-4753-8b61-40975025187c", "RMSOnline"),
    "ATP_ENTERPRISE": ("f20fedf3-f3c3-43c3-8267-2bfdd51c0939", "exchange"),
    "THREAT_INTELLIGENCE": ("8e0c0a52-6a6c-4d40-8370-dd62790dcd70", "exchange"),
    "MDE_SMB": ("bfc1bbd9-981b-4f71-9b82-17c35fd0e2a4", "WindowsDefenderATP"),
    "WINDEFATP": ("871d91ec-ec1a-452b-a83f-bd76c7d770ef", "WindowsDefenderATP"),
    "ADALLOM_S_STANDALONE": ("2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2", "Adallom"),
    "ATA": ("14ab5db5-e6c4-4b20-b4bc-13e36fd2227f", "Adallom"),
    "YAMMER_ENTERPRISE": ("7547a3fe-08ee-4ccb-b430-5077c5041653", "YammerEnterprise"),
    "FLOW_O365_P1": ("0f9b09cb-62d1-4ff4-9129-43f4996f83f4", "ProcessSimple"),
    "POWERAPPS_O365_P1": ("92f7a6f3-b89b-4bbd-8c30-809e6da5ad1c", "PowerAppsService"),
}

# Which licence feature (remit.emulator.model) each feature plan provides.
FEATURE_PLANS: dict[str, str] = {
    "AAD_PREMIUM": LICENSE_ENTRA_P1,
    "AAD_PREMIUM_P2": LICENSE_ENTRA_P2,
    "INTUNE_A": LICENSE_INTUNE,
}


@dataclass(frozen=True, slots=True)
class Sku:
    part_number: str
    sku_id: str
    name: str
    plans: tuple[str, ...]

    @property
    def features(self) -> frozenset[str]:
        return frozenset(FEATURE_PLANS[p] for p in self.plans if p in FEATURE_PLANS)


_OFFICE_BASIC = ("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "SHAREPOINTWAC", "TEAMS1")
_OFFICE_FULL = ("EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "TEAMS1")

SKUS: dict[str, Sku] = {
    sku.part_number: sku
    for sku in (
        Sku(
            "O365_BUSINESS_ESSENTIALS",
            "3b555118-da6a-4418-894f-7df1e2096870",
            "Microsoft 365 Business Basic",
            (*_OFFICE_BASIC, "MCOSTANDARD", "INTUNE_O365", "FLOW_O365_P1"),
        ),
        Sku(
            "O365_BUSINESS_PREMIUM",
            "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
            "Microsoft 365 Business Standard",
            (*_OFFICE_BASIC, "MCOSTANDARD", "OFFICESUBSCRIPTION", "INTUNE_O365", "FLOW_O365_P1"),
        ),
        Sku(
            "SPB",
            "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
            "Microsoft 365 Business Premium",
            (
                *_OFFICE_BASIC,
                "MCOSTANDARD",
                "OFFICESUBSCRIPTION",
                "AAD_PREMIUM",
                "MFA_PREMIUM",
                "INTUNE_A",
                "RMS_S_PREMIUM",
                "ATP_ENTERPRISE",
                "MDE_SMB",
            ),
        ),
        Sku(
            "ENTERPRISEPACK",
            "6fd2c87f-b296-42f0-b197-1e91e994b900",
            "Office 365 E3",
            (
                *_OFFICE_FULL,
                "MCOSTANDARD",
                "OFFICESUBSCRIPTION",
                "RMS_S_ENTERPRISE",
                "YAMMER_ENTERPRISE",
            ),
        ),
        Sku(
            "SPE_E3",
            "05e9a617-0261-4cee-bb44-138d3ef5d965",
            "Microsoft 365 E3",
            (
                *_OFFICE_FULL,
                "MCOSTANDARD",
                "OFFICESUBSCRIPTION",
                "AAD_PREMIUM",
                "MFA_PREMIUM",
                "INTUNE_A",
                "RMS_S_ENTERPRISE",
                "RMS_S_PREMIUM",
            ),
        ),
        Sku(
            "SPE_E5",
            "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
            "Microsoft 365 E5",
            (
                *_OFFICE_FULL,
                "MCOSTANDARD",
                "OFFICESUBSCRIPTION",
                "AAD_PREMIUM",
                "AAD_PREMIUM_P2",
                "MFA_PREMIUM",
                "INTUNE_A",
                "RMS_S_ENTERPRISE",
                "RMS_S_PREMIUM",
                "RMS_S_PREMIUM2",
                "ATP_ENTERPRISE",
                "THREAT_INTELLIGENCE",
                "WINDEFATP",
                "ADALLOM_S_STANDALONE",
                "ATA",
            ),
        ),
        Sku(
            "AAD_PREMIUM",
            "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
            "Microsoft Entra ID P1",
            ("AAD_PREMIUM", "MFA_PREMIUM"),
        ),
        Sku(
            "EXCHANGESTANDARD",
            "4b9405b0-7788-4568-add1-99614e613b69",
            "Exchange Online (Plan 1)",
            ("EXCHANGE_S_STANDARD",),
        ),
        Sku("FLOW_FREE", "f30db892-07e9-47e9-837c-80727f46fd3d", "Power Automate Free", ()),
    )
}

# --- Built-in directory roles ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    template_id: str
    description: str
    actions: tuple[str, ...]
    privileged: bool  # in CISA SCuBA's list of highly privileged roles


def _role(name: str, tid: str, desc: str, actions: tuple[str, ...], priv: bool = False) -> Role:
    return Role(name, tid, desc, actions, priv)


ROLES: tuple[Role, ...] = (
    _role(
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft "
        "Entra identities.",
        (
            "microsoft.directory/users/allProperties/allTasks",
            "microsoft.directory/groups/allProperties/allTasks",
            "microsoft.directory/roleAssignments/allProperties/allTasks",
            "microsoft.directory/conditionalAccessPolicies/allProperties/allTasks",
            "microsoft.directory/applications/allProperties/allTasks",
            "microsoft.office365.exchange/allEntities/basic/allTasks",
            "microsoft.office365.sharePoint/allEntities/allTasks",
        ),
        True,
    ),
    _role(
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged "
        "Identity Management.",
        (
            "microsoft.directory/roleAssignments/allProperties/allTasks",
            "microsoft.directory/roleDefinitions/allProperties/allTasks",
            "microsoft.directory/privilegedIdentityManagement/allProperties/allTasks",
        ),
        True,
    ),
    _role(
        "User Administrator",
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "Can manage all aspects of users and groups, including resetting passwords for limited "
        "admins.",
        (
            "microsoft.directory/users/create",
            "microsoft.directory/users/delete",
            "microsoft.directory/users/password/update",
            "microsoft.directory/groups/create",
        ),
        True,
    ),
    _role(
        "SharePoint Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "Can manage all aspects of the SharePoint service.",
        ("microsoft.office365.sharePoint/allEntities/allTasks",),
        True,
    ),
    _role(
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Can manage all aspects of the Exchange product.",
        ("microsoft.office365.exchange/allEntities/basic/allTasks",),
        True,
    ),
    _role(
        "Hybrid Identity Administrator",
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Can manage Active Directory to Microsoft Entra cloud provisioning, Microsoft Entra "
        "Connect, pass-through authentication (PTA), password hash synchronization (PHS), "
        "seamless single sign-on (seamless SSO), and federation settings.",
        ("microsoft.directory/onPremisesSynchronization/standard/read",),
        True,
    ),
    _role(
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Can create and manage all aspects of app registrations and enterprise apps.",
        (
            "microsoft.directory/applications/create",
            "microsoft.directory/applications/credentials/update",
            "microsoft.directory/servicePrincipals/credentials/update",
        ),
        True,
    ),
    _role(
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Can create and manage all aspects of app registrations and enterprise apps except App "
        "Proxy.",
        (
            "microsoft.directory/applications/create",
            "microsoft.directory/applications/credentials/update",
        ),
        True,
    ),
    _role(
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Can read security information and reports, and manage configuration in Microsoft Entra "
        "ID and Office 365.",
        ("microsoft.directory/conditionalAccessPolicies/create",),
    ),
    _role(
        "Conditional Access Administrator",
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Can manage Conditional Access capabilities.",
        ("microsoft.directory/conditionalAccessPolicies/allProperties/allTasks",),
    ),
    _role(
        "Authentication Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Can access to view, set and reset authentication method information for any non-admin "
        "user.",
        ("microsoft.directory/users/authenticationMethods/standard/restrictedRead",),
    ),
    _role(
        "Privileged Authentication Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Can access to view, set and reset authentication method information for any user "
        "(admin or non-admin).",
        ("microsoft.directory/users/authenticationMethods/allProperties/allTasks",),
    ),
    _role(
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Can reset passwords for non-administrators and Helpdesk Administrators.",
        ("microsoft.directory/users/password/update",),
    ),
    _role(
        "Intune Administrator",
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Can manage all aspects of the Intune product.",
        ("microsoft.intune/allEntities/allTasks",),
    ),
    _role(
        "Teams Administrator",
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Can manage the Microsoft Teams service.",
        ("microsoft.teams/allEntities/allProperties/allTasks",),
    ),
    _role(
        "Billing Administrator",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Can perform common billing related tasks like updating payment information.",
        ("microsoft.commerce.billing/allEntities/allProperties/allTasks",),
    ),
    _role(
        "License Administrator",
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "Can manage product licenses on users and groups.",
        ("microsoft.directory/users/assignLicense",),
    ),
    _role(
        "Global Reader",
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Can read everything that a Global Administrator can, but not update anything.",
        ("microsoft.directory/users/allProperties/read",),
    ),
    _role(
        "Security Reader",
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        "Can read security information and reports in Microsoft Entra ID and Office 365.",
        ("microsoft.directory/auditLogs/allProperties/read",),
    ),
    _role(
        "Reports Reader",
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        "Can read sign-in and audit reports.",
        ("microsoft.directory/signInReports/allProperties/read",),
    ),
    _role(
        "Guest Inviter",
        "95e79109-95c0-4d8e-aee3-d01accf2d47b",
        "Can invite guest users independent of the 'members can invite guests' setting.",
        ("microsoft.directory/users/inviteGuest",),
    ),
    _role(
        "Directory Readers",
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Can read basic directory information. Commonly used to grant directory read access to "
        "applications and guests.",
        ("microsoft.directory/users/standard/read",),
    ),
    _role(
        "Directory Synchronization Accounts",
        "d29b2b05-8046-44ba-8758-1e26182fcf32",
        "Only used by Microsoft Entra Connect service.",
        ("microsoft.directory/onPremisesSynchronization/standard/read",),
    ),
)

ROLES_BY_NAME: dict[str, Role] = {role.name: role for role in ROLES}
ROLES_BY_ID: dict[str, Role] = {role.template_id: role for role in ROLES}

GLOBAL_ADMIN = ROLES_BY_NAME["Global Administrator"].template_id
PRIVILEGED_ROLE_ADMIN = ROLES_BY_NAME["Privileged Role Administrator"].template_id
PRIVILEGED_ROLE_IDS: tuple[str, ...] = tuple(r.template_id for r in ROLES if r.privileged)

# --- Guest access levels (authorizationPolicy.guestUserRoleId) --------------------------------
GUEST_ROLE_SAME_AS_MEMBER = "a0b1b346-4d3e-4e8b-98f8-753987be4970"
GUEST_ROLE_LIMITED = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
GUEST_ROLE_RESTRICTED = "2af84b1e-32c8-42b7-82bc-daa82404023b"

# --- Well-known ids -------------------------------------------------------------------------
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT_APP_ID = "00000003-0000-0ff1-ce00-000000000000"
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # owns Microsoft's first-party apps

# Microsoft Graph app roles (application permissions): id of each app role on the Graph
# service principal, as requiredResourceAccess and appRoleAssignments name them.
GRAPH_APP_ROLES: dict[str, str] = {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagement.Read.All": "c7fbd983-d9aa-4fa7-84b8-17382c103bc4",
    "RoleEligibilitySchedule.Read.Directory": "ff278e11-4a33-4d0c-83d2-d01dc58929a5",
    "RoleAssignmentSchedule.Read.Directory": "d5fe8ce8-684c-4c83-a52c-46e882ce4be1",
    "RoleManagementPolicy.Read.Directory": "fdc4c997-9942-4479-bfcb-75a36d1138df",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Reports.Read.All": "230c1aed-a721-4c5d-9cb4-a90514e508ef",
    "UserAuthenticationMethod.Read.All": "38d9df27-64da-44fd-b7c5-a6fbac20248f",
    "SecurityEvents.Read.All": "bf394140-e372-4bf9-a898-299cfc7564e5",
    "DeviceManagementManagedDevices.Read.All": "2f51be20-0bb4-4fed-bf7b-db946066c75e",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Files.Read.All": "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
    "Sites.Read.All": "332a536c-c7ef-4017-ab91-336970924f0d",
    "ChannelMessage.Read.All": "7b2449af-6ccd-4f4d-9f78-e550c193f0d1",
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Files.ReadWrite.All": "75359482-378d-4052-8f01-80520e7db3cd",
}

# Application permissions Remit needs (posture: identity and access; backup: mail, files,
# sites, channel messages). Every synthetic tenant grants them all, except the documented
# missing-permission slot (see remit.emulator.synthetic).
PRODUCT_PERMISSIONS: tuple[str, ...] = (
    "User.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Organization.Read.All",
    "Domain.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.Read.Directory",
    "RoleManagementPolicy.Read.Directory",
    "Policy.Read.All",
    "AuditLog.Read.All",
    "Reports.Read.All",
    "UserAuthenticationMethod.Read.All",
    "SecurityEvents.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Application.Read.All",
    "Mail.Read",
    "Files.Read.All",
    "Sites.Read.All",
    "ChannelMessage.Read.All",
)
GRAPH_SCOPE_USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"

# Fixed ids Graph uses for a user's password and phone methods.
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"
MOBILE_PHONE_METHOD_ID = "3179e48a-750b-4051-897c-87b9720928f7"
EMAIL_METHOD_ID = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f"

# Built-in authentication strengths.
STRENGTH_MFA = "00000000-0000-0000-0000-000000000002"
STRENGTH_PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"

SECURITY_DEFAULTS_ID = "00000000-0000-0000-0000-000000000005"
