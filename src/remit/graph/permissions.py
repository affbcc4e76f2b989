"""Which application permission each Graph endpoint Remit reads needs, and the probes that
check them (what ``remit tenant test`` prints).

This is data, not code paths: :data:`ENDPOINT_PERMISSIONS` maps path templates to the
least-privileged application permission, checked against the Graph v1.0 reference. Where the
reference lists a narrower permission than the one used here, the broader one was chosen so
that one grant covers a whole family of endpoints; the comment on the rule says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from remit.domain import EndpointOutcome
from remit.errors import (
    GraphError,
    GraphUnavailable,
    LicenseRequired,
    MissingPermission,
    ThrottledTooLong,
)
from remit.graph.models import BatchRequest
from remit.graph.stats import endpoint_template
from remit.graph.urls import with_query

if TYPE_CHECKING:
    from remit.graph.client import GraphClient


@dataclass(frozen=True, slots=True)
class EndpointPermission:
    """``pattern`` is a path template; ``*`` matches one segment, a final ``**`` any rest.

    ``when_selected``: the rule applies only when that property appears in ``$select`` or
    ``$filter`` (``signInActivity`` on users needs AuditLog.Read.All on top of User.Read.All).
    """

    pattern: str
    permission: str
    needed_for: str
    when_selected: str | None = None


# First match wins. Templates use {id} for any id segment (see stats.endpoint_template).
ENDPOINT_PERMISSIONS: tuple[EndpointPermission, ...] = (
    # users: User.Read.All; signInActivity also needs AuditLog.Read.All (and Entra ID P1).
    EndpointPermission("users", "AuditLog.Read.All", "to read sign-in activity", "signInActivity"),
    EndpointPermission(
        "users/{id}", "AuditLog.Read.All", "to read sign-in activity", "signInActivity"
    ),
    EndpointPermission(
        "users/{id}/authentication/**",
        "UserAuthenticationMethod.Read.All",
        "to read users' registered authentication methods",
    ),
    # Outlook and OneDrive reads used by backups (reference: Mail.Read, Calendars.Read, ...).
    EndpointPermission("users/{id}/messages/**", "Mail.Read", "to back up mailboxes"),
    EndpointPermission("users/{id}/mailFolders/**", "Mail.Read", "to back up mailboxes"),
    EndpointPermission("users/{id}/events/**", "Calendars.Read", "to back up calendars"),
    EndpointPermission("users/{id}/calendar/**", "Calendars.Read", "to back up calendars"),
    EndpointPermission("users/{id}/calendars/**", "Calendars.Read", "to back up calendars"),
    EndpointPermission("users/{id}/contacts/**", "Contacts.Read", "to back up contacts"),
    EndpointPermission("users/{id}/contactFolders/**", "Contacts.Read", "to back up contacts"),
    EndpointPermission(
        "users/{id}/mailboxSettings/**", "MailboxSettings.Read", "to read mailbox settings"
    ),
    EndpointPermission("users/{id}/drive/**", "Files.Read.All", "to back up OneDrive"),
    EndpointPermission("drives/**", "Files.Read.All", "to back up OneDrive and document libraries"),
    EndpointPermission("sites/**", "Sites.Read.All", "to back up SharePoint sites"),
    EndpointPermission("users/**", "User.Read.All", "to read users and their account settings"),
    # Reference: organization → Organization.Read.All; subscribedSkus lists
    # LicenseAssignment.Read.All as least privileged with Organization.Read.All above it; one
    # grant (Organization.Read.All) covers both. domains → Domain.Read.All.
    EndpointPermission("organization/**", "Organization.Read.All", "to read the tenant profile"),
    EndpointPermission("subscribedSkus/**", "Organization.Read.All", "to read licences"),
    EndpointPermission("domains/**", "Domain.Read.All", "to read the tenant's domains"),
    EndpointPermission("groups/**", "GroupMember.Read.All", "to read groups and their members"),
    # Reference: roleEligibilitySchedules / roleAssignmentSchedules list
    # RoleEligibilitySchedule.Read.Directory / RoleAssignmentSchedule.Read.Directory as least
    # privileged with RoleManagement.Read.Directory above; one grant covers all role reads.
    EndpointPermission(
        "directoryRoles/**", "RoleManagement.Read.Directory", "to read directory role members"
    ),
    EndpointPermission(
        "roleManagement/directory/**",
        "RoleManagement.Read.Directory",
        "to read role assignments and PIM eligibility",
    ),
    EndpointPermission(
        "policies/roleManagementPolicyAssignments/**",
        "RoleManagementPolicy.Read.Directory",
        "to read PIM activation rules",
    ),
    EndpointPermission(
        "policies/roleManagementPolicies/**",
        "RoleManagementPolicy.Read.Directory",
        "to read PIM activation rules",
    ),
    EndpointPermission(
        "identity/conditionalAccess/**",
        "Policy.Read.All",
        "to read Conditional Access policies and named locations",
    ),
    # Reference: Policy.Read.All is least privileged for the default app management policy
    # (Policy.Read.ApplicationConfiguration is listed as higher privileged).
    EndpointPermission(
        "policies/defaultAppManagementPolicy",
        "Policy.Read.All",
        "to read the app management policy (limits on app secrets and certificates)",
    ),
    EndpointPermission(
        "policies/**",
        "Policy.Read.All",
        "to read tenant policies (authorization, security defaults, authentication methods)",
    ),
    EndpointPermission(
        "reports/authenticationMethods/**",
        "AuditLog.Read.All",
        "to read MFA registration details",
    ),
    EndpointPermission("auditLogs/**", "AuditLog.Read.All", "to read directory audit logs"),
    EndpointPermission(
        "security/secureScores/**", "SecurityEvents.Read.All", "to read Microsoft Secure Score"
    ),
    EndpointPermission(
        "security/secureScoreControlProfiles/**",
        "SecurityEvents.Read.All",
        "to read Microsoft Secure Score",
    ),
    EndpointPermission(
        "deviceManagement/managedDevices/**",
        "DeviceManagementManagedDevices.Read.All",
        "to read Intune device compliance",
    ),
    EndpointPermission(
        "applications/**", "Application.Read.All", "to read app registrations and their secrets"
    ),
    EndpointPermission(
        "servicePrincipals/**",
        "Application.Read.All",
        "to read enterprise apps and their permissions",
    ),
)


def _matches(pattern: str, template: str) -> bool:
    want = pattern.split("/")
    have = template.split("/")
    if want[-1] == "**":
        want = want[:-1]
        if len(have) < len(want):
            return False
        have = have[: len(want)]
    elif len(want) != len(have):
        return False
    return all(w in ("*", h) for w, h in zip(want, have, strict=True))


def _selected(params: Mapping[str, str] | None, prop: str) -> bool:
    if not params:
        return False
    lowered = prop.lower()
    for key in ("$select", "$filter", "$orderby"):
        value = params.get(key) or params.get(key.lstrip("$"))
        if value and lowered in value.lower():
            return True
    return False


def endpoint_permission(path: str, params: Mapping[str, str] | None) -> EndpointPermission | None:
    """The rule for ``path`` (relative to Graph's root, ids allowed) and its query parameters."""
    template = endpoint_template(path)
    for rule in ENDPOINT_PERMISSIONS:
        if rule.when_selected is not None and not _selected(params, rule.when_selected):
            continue
        if _matches(rule.pattern, template):
            return rule
    return None


def required_permission(path: str, params: Mapping[str, str] | None = None) -> str | None:
    """The least-privileged application permission a GET of ``path`` needs, if known."""
    rule = endpoint_permission(path, params)
    return rule.permission if rule else None


# --- probes ----------------------------------------------------------------------------------

USER_PLACEHOLDER = "{user}"


@dataclass(frozen=True, slots=True)
class PermissionProbe:
    """One cheap GET that succeeds only when ``permission`` is granted."""

    permission: str
    path: str  # may contain {user}: filled with a user id found by the users probe
    params: Mapping[str, str]
    why: str

    def url(self, user_id: str | None = None) -> str:
        path = self.path.replace(USER_PLACEHOLDER, user_id) if user_id else self.path
        return with_query(path, self.params)


PROBES: tuple[PermissionProbe, ...] = (
    PermissionProbe(
        "Organization.Read.All",
        "organization",
        {"$select": "id"},
        "tenant name, verified domains and licences (subscribedSkus)",
    ),
    PermissionProbe("Domain.Read.All", "domains", {"$select": "id"}, "domain list and DNS state"),
    PermissionProbe(
        "User.Read.All",
        "users",
        {"$top": "1", "$select": "id"},
        "every posture check starts from the user list (admins, guests, disabled accounts)",
    ),
    PermissionProbe(
        "AuditLog.Read.All",
        "auditLogs/directoryAudits",
        {"$top": "1"},
        "sign-in activity (stale accounts), MFA registration details and audit logs",
    ),
    PermissionProbe(
        "GroupMember.Read.All",
        "groups",
        {"$top": "1", "$select": "id"},
        "groups and their members (role-assignable groups, owners of privileged access)",
    ),
    PermissionProbe(
        "RoleManagement.Read.Directory",
        "roleManagement/directory/roleDefinitions",
        {"$select": "id"},
        "who holds admin roles, permanently or eligible through PIM (least-privilege drift)",
    ),
    PermissionProbe(
        "RoleManagementPolicy.Read.Directory",
        "policies/roleManagementPolicyAssignments",
        {"$filter": "scopeId eq '/' and scopeType eq 'Directory'", "$top": "1"},
        "PIM activation rules (MFA, approval and duration on activation)",
    ),
    PermissionProbe(
        "Policy.Read.All",
        "policies/authorizationPolicy",
        {"$select": "id"},
        "Conditional Access, security defaults, consent and authentication-method policies",
    ),
    PermissionProbe(
        "UserAuthenticationMethod.Read.All",
        f"users/{USER_PLACEHOLDER}/authentication/methods",
        {},
        "the methods registered by privileged users (phishing-resistant MFA for admins)",
    ),
    PermissionProbe(
        "SecurityEvents.Read.All",
        "security/secureScores",
        {"$top": "1"},
        "Microsoft Secure Score, shown next to Remit's own scorecard",
    ),
    PermissionProbe(
        "DeviceManagementManagedDevices.Read.All",
        "deviceManagement/managedDevices",
        {"$top": "1", "$select": "id"},
        "Intune device compliance for the device controls",
    ),
    PermissionProbe(
        "Application.Read.All",
        "servicePrincipals",
        {"$top": "1", "$select": "id"},
        "enterprise apps with risky permissions and expiring app secrets",
    ),
)

PERMISSION_PURPOSE: Mapping[str, str] = {probe.permission: probe.why for probe in PROBES}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe found. ``ok`` means the permission is granted (a missing licence is
    reported through ``outcome``/``license`` but still counts as granted)."""

    permission: str
    why: str
    outcome: EndpointOutcome
    message: str = ""
    license: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (EndpointOutcome.OK, EndpointOutcome.LICENSE_REQUIRED)


def _result(probe: PermissionProbe, error: GraphError | None) -> ProbeResult:
    if error is None:
        return ProbeResult(probe.permission, probe.why, EndpointOutcome.OK)
    if isinstance(error, LicenseRequired):
        return ProbeResult(
            probe.permission,
            probe.why,
            EndpointOutcome.LICENSE_REQUIRED,
            f"permission granted, but the tenant lacks {error.license}: {error.message}",
            license=error.license,
        )
    if isinstance(error, MissingPermission):
        outcome = EndpointOutcome.MISSING_PERMISSION
    elif isinstance(error, ThrottledTooLong):
        outcome = EndpointOutcome.THROTTLED
    elif isinstance(error, GraphUnavailable):
        outcome = EndpointOutcome.UNAVAILABLE
    else:
        outcome = EndpointOutcome.ERROR
    return ProbeResult(probe.permission, probe.why, outcome, error.message)


async def probe_permissions(
    client: GraphClient, probes: tuple[PermissionProbe, ...] = PROBES
) -> list[ProbeResult]:
    """Run every probe through ``$batch`` (two HTTP calls: the second needs a user id).

    Authentication failures (no token at all) propagate; per-probe failures are reported in
    the results, in the order of ``probes``.
    """
    first = [i for i, p in enumerate(probes) if USER_PLACEHOLDER not in p.path]
    later = [i for i, p in enumerate(probes) if USER_PLACEHOLDER in p.path]
    results: dict[int, ProbeResult] = {}
    responses = await client.batch([BatchRequest(url=probes[i].url()) for i in first])
    user_id: str | None = None
    for i, response in zip(first, responses, strict=True):
        results[i] = _result(probes[i], response.error)
        if probes[i].path == "users" and response.items:
            found = response.items[0].get("id")
            user_id = found if isinstance(found, str) and found else None
    if later and user_id is None:
        for i in later:
            results[i] = ProbeResult(
                probes[i].permission,
                probes[i].why,
                EndpointOutcome.ERROR,
                "not tested: no user could be read to test it with "
                "(grant User.Read.All first, then run `remit tenant test` again)",
            )
    elif later:
        responses = await client.batch([BatchRequest(url=probes[i].url(user_id)) for i in later])
        for i, response in zip(later, responses, strict=True):
            results[i] = _result(probes[i], response.error)
    return [results[i] for i in range(len(probes))]
