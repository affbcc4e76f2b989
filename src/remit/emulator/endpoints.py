"""What each Graph endpoint needs: application permissions, licences, throttling costs, paging.

Data, not code paths: :data:`RULES` maps path templates (ids replaced by ``{id}``) to an
:class:`Endpoint`; the first matching pattern wins. Permissions are listed least-privileged first
as in the Graph reference; a ``.ReadWrite.`` variant of any listed permission also satisfies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import lru_cache

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE

# Services decide the wording of a refusal (see permissions.py).
DIRECTORY = "directory"
REPORTS = "reports"
CONDITIONAL_ACCESS = "conditionalAccess"
INTUNE = "intune"
SECURITY = "security"
OUTLOOK = "outlook"

# Throttling buckets (see throttling.py).
IDENTITY_BUCKET = "identity"
REPORTS_BUCKET = "reports"
CA_BUCKET = "conditionalAccess"
INTUNE_BUCKET = "intune"
OUTLOOK_BUCKET = "outlook"

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Segments that name a collection whose next segment is an id.
_ID_PARENTS = frozenset(
    {
        "users", "groups", "directoryRoles", "applications", "servicePrincipals", "domains",
        "devices", "roleDefinitions", "roleAssignments", "roleEligibilitySchedules",
        "roleAssignmentSchedules", "roleEligibilityScheduleInstances",
        "roleAssignmentScheduleInstances", "roleManagementPolicyAssignments",
        "roleManagementPolicies", "namedLocations", "managedDevices", "secureScores",
        "secureScoreControlProfiles", "directoryAudits", "signIns", "userRegistrationDetails",
        "subscribedSkus", "methods", "members", "messages", "mailFolders", "events", "contacts",
        "contactFolders", "calendars", "organization", "administrativeUnits", "rules", "policies",
    }
)  # fmt: skip
_STATIC_CHILDREN = frozenset({"delta", "$count", "$value", "$ref"})
_MAILBOX_SEGMENTS = {
    "messages": "Mail.Read",
    "mailFolders": "Mail.Read",
    "inferenceClassification": "Mail.Read",
    "events": "Calendars.Read",
    "calendar": "Calendars.Read",
    "calendars": "Calendars.Read",
    "calendarView": "Calendars.Read",
    "contacts": "Contacts.Read",
    "contactFolders": "Contacts.Read",
    "mailboxSettings": "MailboxSettings.Read",
}


def path_template(path: str) -> str:
    """``users/5f1…/authentication/methods`` → ``users/{id}/authentication/methods``."""
    segments = [s for s in path.strip("/").split("/") if s]
    out: list[str] = []
    for i, segment in enumerate(segments):
        parent = segments[i - 1] if i else ""
        is_id = (
            _GUID.search(segment) is not None
            or "@" in segment
            or (
                parent in _ID_PARENTS
                and segment not in _STATIC_CHILDREN
                and not (parent == "policies" and i == 1)
                and not segment.startswith("microsoft.graph.")
            )
        )
        out.append("{id}" if is_id and i > 0 else segment)
    return "/".join(out)


@dataclass(frozen=True)
class Endpoint:
    permissions: tuple[str, ...] = ()
    service: str = DIRECTORY
    license: str | None = None
    bucket: str = IDENTITY_BUCKET
    cost: int = 1
    default_page: int = 100
    max_top: int = 999
    directory_object: bool = False
    template: str = ""
    mailbox: str | None = None

    def allows(self, granted: frozenset[str]) -> bool:
        if not self.permissions:
            return True
        for permission in self.permissions:
            if permission in granted or permission.replace(".Read.", ".ReadWrite.") in granted:
                return True
        return False


_DIR = "Directory.Read.All"
_ROLES = ("RoleManagement.Read.Directory", "RoleManagement.Read.All", _DIR)
_PIM_POLICY = (
    "RoleManagementPolicy.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
)
_AUDIT = ("AuditLog.Read.All",)


RULES: tuple[tuple[str, Endpoint], ...] = (
    ("organization*", Endpoint(("Organization.Read.All", _DIR))),
    ("domains*", Endpoint(("Domain.Read.All", _DIR))),
    ("subscribedSkus*", Endpoint(("Organization.Read.All", _DIR), cost=3)),
    (
        "users/{id}/authentication/methods*",
        Endpoint(("UserAuthenticationMethod.Read.All",)),
    ),
    ("users/{id}/memberOf*", Endpoint(("User.Read.All", _DIR), cost=3, directory_object=True)),
    ("users*", Endpoint(("User.Read.All", _DIR), cost=2, directory_object=True)),
    (
        "groups/{id}/members*",
        Endpoint(("GroupMember.Read.All", "Group.Read.All", _DIR), cost=3, directory_object=True),
    ),
    (
        "groups/{id}/owners*",
        Endpoint(("GroupMember.Read.All", "Group.Read.All", _DIR), cost=3, directory_object=True),
    ),
    ("groups*", Endpoint(("GroupMember.Read.All", "Group.Read.All", _DIR), directory_object=True)),
    ("directoryRoles/{id}/members*", Endpoint(_ROLES, cost=3, directory_object=True)),
    ("directoryRoles*", Endpoint(_ROLES, directory_object=True)),
    ("roleManagement/directory/roleEligibilitySchedule*", Endpoint(_ROLES, license="P2")),
    ("roleManagement/directory/roleAssignmentSchedule*", Endpoint(_ROLES, license="P2")),
    ("roleManagement/*", Endpoint(_ROLES)),
    ("policies/roleManagementPolicyAssignments*", Endpoint(_PIM_POLICY, license="P2")),
    ("policies/roleManagementPolicies*", Endpoint(_PIM_POLICY, license="P2")),
    (
        "identity/conditionalAccess/*",
        Endpoint(
            ("Policy.Read.All", "Policy.Read.ConditionalAccess"),
            service=CONDITIONAL_ACCESS,
            license="P1",
            bucket=CA_BUCKET,
        ),
    ),
    (
        "policies/authenticationMethodsPolicy*",
        Endpoint(("Policy.Read.All", "Policy.Read.AuthenticationMethod")),
    ),
    (
        "policies/defaultAppManagementPolicy*",
        Endpoint(("Policy.Read.All", "Policy.Read.ApplicationConfiguration")),
    ),
    ("policies/*", Endpoint(("Policy.Read.All",))),
    (
        "reports/authenticationMethods/*",
        Endpoint(_AUDIT, service=REPORTS, license="P1", bucket=REPORTS_BUCKET),
    ),
    ("auditLogs/signIns*", Endpoint(_AUDIT, service=REPORTS, license="P1", bucket=REPORTS_BUCKET)),
    ("auditLogs/*", Endpoint(_AUDIT, service=REPORTS, bucket=REPORTS_BUCKET, max_top=1000)),
    ("security/*", Endpoint(("SecurityEvents.Read.All",), service=SECURITY)),
    (
        "deviceManagement/managedDevices*",
        Endpoint(
            ("DeviceManagementManagedDevices.Read.All",),
            service=INTUNE,
            license="INTUNE",
            bucket=INTUNE_BUCKET,
            max_top=1000,
        ),
    ),
    (
        "deviceManagement/*",
        Endpoint(
            ("DeviceManagementConfiguration.Read.All",),
            service=INTUNE,
            license="INTUNE",
            bucket=INTUNE_BUCKET,
            max_top=1000,
        ),
    ),
    ("applications*", Endpoint(("Application.Read.All", _DIR), directory_object=True)),
    ("servicePrincipals*", Endpoint(("Application.Read.All", _DIR), directory_object=True)),
    ("devices*", Endpoint(("Device.Read.All", _DIR), directory_object=True)),
    ("administrativeUnits*", Endpoint(("AdministrativeUnit.Read.All", _DIR))),
)

LICENSE_FEATURES = {
    "P1": (LICENSE_ENTRA_P1, LICENSE_ENTRA_P2),
    "P2": (LICENSE_ENTRA_P2,),
    "INTUNE": (LICENSE_INTUNE,),
}


def has_license(licenses: frozenset[str], needed: str | None) -> bool:
    if needed is None:
        return True
    return any(feature in licenses for feature in LICENSE_FEATURES[needed])


@lru_cache(maxsize=4096)
def _classify_template(template: str) -> Endpoint:
    segments = template.split("/")
    if len(segments) >= 3 and segments[0] == "users" and segments[2] in _MAILBOX_SEGMENTS:
        return Endpoint(
            (_MAILBOX_SEGMENTS[segments[2]],),
            service=OUTLOOK,
            bucket=OUTLOOK_BUCKET,
            template=template,
            max_top=1000,
        )
    for pattern, endpoint in RULES:
        if fnmatchcase(template, pattern):
            return replace(endpoint, template=template)
    return Endpoint(template=template)


def classify(path: str) -> Endpoint:
    """The policy for a request path relative to ``/v1.0/`` (no query string)."""
    template = path_template(path)
    endpoint = _classify_template(template)
    if endpoint.bucket == OUTLOOK_BUCKET:
        return replace(endpoint, mailbox=path.strip("/").split("/")[1].lower())
    return endpoint
