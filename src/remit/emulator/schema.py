"""A few facts from Graph's v1.0 metadata the emulator needs at run time.

Property names of ``user`` and ``group`` (to refuse unknown names in ``$select``/``$filter`` as
Graph does), the properties Graph returns for users when no ``$select`` is given, and which embedded
properties are navigation properties (served only when ``$expand`` asks for them). Taken from
microsoftgraph/msgraph-metadata (v1.0, MIT); the emulator does not read the CSDL at run time.
"""

from __future__ import annotations

USER_PROPERTIES = frozenset(
    {
        "aboutMe",
        "accountEnabled",
        "ageGroup",
        "assignedLicenses",
        "assignedPlans",
        "authorizationInfo",
        "birthday",
        "businessPhones",
        "city",
        "companyName",
        "consentProvidedForMinor",
        "country",
        "createdDateTime",
        "creationType",
        "customSecurityAttributes",
        "deletedDateTime",
        "department",
        "deviceEnrollmentLimit",
        "displayName",
        "employeeHireDate",
        "employeeId",
        "employeeLeaveDateTime",
        "employeeOrgData",
        "employeeType",
        "externalUserState",
        "externalUserStateChangeDateTime",
        "faxNumber",
        "givenName",
        "hireDate",
        "id",
        "identities",
        "identityParentId",
        "imAddresses",
        "interests",
        "isManagementRestricted",
        "isResourceAccount",
        "jobTitle",
        "lastPasswordChangeDateTime",
        "legalAgeGroupClassification",
        "licenseAssignmentStates",
        "mail",
        "mailNickname",
        "mailboxSettings",
        "mobilePhone",
        "mySite",
        "officeLocation",
        "onPremisesDistinguishedName",
        "onPremisesDomainName",
        "onPremisesExtensionAttributes",
        "onPremisesImmutableId",
        "onPremisesLastSyncDateTime",
        "onPremisesProvisioningErrors",
        "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
        "onPremisesUserPrincipalName",
        "otherMails",
        "passwordPolicies",
        "passwordProfile",
        "pastProjects",
        "postalCode",
        "preferredDataLocation",
        "preferredLanguage",
        "preferredName",
        "print",
        "provisionedPlans",
        "proxyAddresses",
        "responsibilities",
        "schools",
        "securityIdentifier",
        "serviceProvisioningErrors",
        "showInAddressList",
        "signInActivity",
        "signInSessionsValidFromDateTime",
        "skills",
        "state",
        "streetAddress",
        "surname",
        "usageLocation",
        "userPrincipalName",
        "userType",
    }
)

USER_NAVIGATION = frozenset(
    {
        "activities",
        "adhocCalls",
        "agreementAcceptances",
        "appRoleAssignments",
        "authentication",
        "calendar",
        "calendarGroups",
        "calendarView",
        "calendars",
        "chats",
        "cloudClipboard",
        "cloudPCs",
        "contactFolders",
        "contacts",
        "createdObjects",
        "dataSecurityAndGovernance",
        "deviceManagementTroubleshootingEvents",
        "directReports",
        "drive",
        "drives",
        "employeeExperience",
        "events",
        "extensions",
        "followedSites",
        "inferenceClassification",
        "insights",
        "joinedTeams",
        "licenseDetails",
        "mailFolders",
        "managedAppRegistrations",
        "managedDevices",
        "manager",
        "memberOf",
        "messages",
        "oauth2PermissionGrants",
        "onPremisesSyncBehavior",
        "onenote",
        "onlineMeetings",
        "outlook",
        "ownedDevices",
        "ownedObjects",
        "people",
        "permissionGrants",
        "photo",
        "photos",
        "planner",
        "presence",
        "registeredDevices",
        "scopedRoleMemberOf",
        "settings",
        "solutions",
        "sponsorOf",
        "sponsors",
        "teamwork",
        "todo",
        "transitiveMemberOf",
    }
)

GROUP_PROPERTIES = frozenset(
    {
        "accessType",
        "allowExternalSenders",
        "assignedLabels",
        "assignedLicenses",
        "autoSubscribeNewMembers",
        "classification",
        "createdDateTime",
        "deletedDateTime",
        "description",
        "displayName",
        "expirationDateTime",
        "groupTypes",
        "hasMembersWithLicenseErrors",
        "hideFromAddressLists",
        "hideFromOutlookClients",
        "id",
        "infoCatalogs",
        "isArchived",
        "isAssignableToRole",
        "isFavorite",
        "isManagementRestricted",
        "isSubscribedByMail",
        "licenseProcessingState",
        "mail",
        "mailEnabled",
        "mailNickname",
        "membershipRule",
        "membershipRuleProcessingState",
        "onPremisesDomainName",
        "onPremisesExtensionAttributes",
        "onPremisesLastSyncDateTime",
        "onPremisesNetBiosName",
        "onPremisesProvisioningErrors",
        "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
        "organizationId",
        "preferredDataLocation",
        "preferredLanguage",
        "proxyAddresses",
        "renewedDateTime",
        "resourceBehaviorOptions",
        "resourceProvisioningOptions",
        "securityEnabled",
        "securityIdentifier",
        "serviceProvisioningErrors",
        "theme",
        "uniqueName",
        "unseenConversationsCount",
        "unseenCount",
        "unseenMessagesCount",
        "visibility",
        "welcomeMessageEnabled",
    }
)

GROUP_NAVIGATION = frozenset(
    {
        "acceptedSenders",
        "appRoleAssignments",
        "calendar",
        "calendarView",
        "conversations",
        "createdOnBehalfOf",
        "drive",
        "drives",
        "events",
        "extensions",
        "groupLifecyclePolicies",
        "memberOf",
        "members",
        "membersWithLicenseErrors",
        "onPremisesSyncBehavior",
        "onenote",
        "owners",
        "permissionGrants",
        "photo",
        "photos",
        "planner",
        "rejectedSenders",
        "settings",
        "sites",
        "team",
        "threads",
        "transitiveMemberOf",
        "transitiveMembers",
    }
)

# What GET /users and GET /users/{id} return without $select (Graph's documented default set).
USER_DEFAULT_PROPERTIES = (
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
    "id",
)

# Properties Graph returns only when $select names them (on top of the default set).
USER_SELECT_ONLY = frozenset({"signInActivity"})

_ROLE_SCHEDULE_NAV = ("principal", "roleDefinition", "directoryScope", "appScope")

# Navigation properties per collection key: embedded in the data, served only when expanded.
NAVIGATION: dict[str, frozenset[str]] = {
    "users": USER_NAVIGATION,
    "groups": GROUP_NAVIGATION,
    "directoryRoles": frozenset({"members", "scopedMembers"}),
    "policies/roleManagementPolicyAssignments": frozenset({"policy"}),
    "roleManagement/directory/roleAssignments": frozenset(_ROLE_SCHEDULE_NAV),
    "roleManagement/directory/roleEligibilitySchedules": frozenset(_ROLE_SCHEDULE_NAV),
    "roleManagement/directory/roleAssignmentSchedules": frozenset(
        (*_ROLE_SCHEDULE_NAV, "activatedUsing")
    ),
    "roleManagement/directory/roleEligibilityScheduleInstances": frozenset(_ROLE_SCHEDULE_NAV),
    "roleManagement/directory/roleAssignmentScheduleInstances": frozenset(
        (*_ROLE_SCHEDULE_NAV, "activatedUsing")
    ),
}

# Navigation properties of objects that are themselves expanded (policy($expand=rules)).
NESTED_NAVIGATION: dict[str, frozenset[str]] = {
    "policy": frozenset({"rules", "effectiveRules"}),
}

# Where "<name>Id" points when a client expands <name> and the data does not embed it.
REFERENCE_COLLECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "principal": (
        ("users", "#microsoft.graph.user"),
        ("groups", "#microsoft.graph.group"),
        ("servicePrincipals", "#microsoft.graph.servicePrincipal"),
    ),
    "roleDefinition": (
        ("roleManagement/directory/roleDefinitions", "#microsoft.graph.unifiedRoleDefinition"),
    ),
}

# Type names used in error messages.
TYPE_NAMES: dict[str, str] = {
    "users": "microsoft.graph.user",
    "groups": "microsoft.graph.group",
    "applications": "microsoft.graph.application",
    "servicePrincipals": "microsoft.graph.servicePrincipal",
    "directoryRoles": "microsoft.graph.directoryRole",
    "devices": "microsoft.graph.device",
}

# Properties known per collection (others are accepted without checking).
KNOWN_PROPERTIES: dict[str, frozenset[str]] = {
    "users": USER_PROPERTIES,
    "groups": GROUP_PROPERTIES,
}
