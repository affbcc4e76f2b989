"""Permission lookups per endpoint, and the probes behind `remit tenant test`."""

from __future__ import annotations

from typing import Any

import pytest

from remit.domain import EndpointOutcome
from remit.graph import PROBES, probe_permissions, required_permission

from ._fakes import BatchServer, graph_error, make_client

USER = "6e2b2a4c-1a2b-4c3d-9e8f-0123456789ab"


@pytest.mark.parametrize(
    ("path", "params", "permission"),
    [
        ("organization", None, "Organization.Read.All"),
        ("subscribedSkus", None, "Organization.Read.All"),
        ("domains", None, "Domain.Read.All"),
        ("users", None, "User.Read.All"),
        ("users", {"$select": "id,displayName"}, "User.Read.All"),
        ("users", {"$select": "id,signInActivity"}, "AuditLog.Read.All"),
        (
            "users",
            {"$filter": "signInActivity/lastSignInDateTime le 2026-01-01"},
            "AuditLog.Read.All",
        ),
        (f"users/{USER}", {"$select": "signInActivity"}, "AuditLog.Read.All"),
        (f"users/{USER}", None, "User.Read.All"),
        ("users/delta", None, "User.Read.All"),
        (f"users/{USER}/authentication/methods", None, "UserAuthenticationMethod.Read.All"),
        (f"users/{USER}/messages", None, "Mail.Read"),
        ("groups", None, "GroupMember.Read.All"),
        (f"groups/{USER}/members", None, "GroupMember.Read.All"),
        ("directoryRoles", None, "RoleManagement.Read.Directory"),
        (f"directoryRoles/{USER}/members", None, "RoleManagement.Read.Directory"),
        ("roleManagement/directory/roleAssignments", None, "RoleManagement.Read.Directory"),
        (
            "roleManagement/directory/roleEligibilitySchedules",
            None,
            "RoleManagement.Read.Directory",
        ),
        ("policies/roleManagementPolicyAssignments", None, "RoleManagementPolicy.Read.Directory"),
        ("identity/conditionalAccess/policies", None, "Policy.Read.All"),
        ("identity/conditionalAccess/namedLocations", None, "Policy.Read.All"),
        ("policies/authorizationPolicy", None, "Policy.Read.All"),
        ("policies/identitySecurityDefaultsEnforcementPolicy", None, "Policy.Read.All"),
        ("reports/authenticationMethods/userRegistrationDetails", None, "AuditLog.Read.All"),
        ("auditLogs/directoryAudits", None, "AuditLog.Read.All"),
        ("security/secureScores", None, "SecurityEvents.Read.All"),
        ("security/secureScoreControlProfiles", None, "SecurityEvents.Read.All"),
        ("deviceManagement/managedDevices", None, "DeviceManagementManagedDevices.Read.All"),
        ("applications", None, "Application.Read.All"),
        ("servicePrincipals", None, "Application.Read.All"),
        ("teamwork/whatever", None, None),
        ("/users?$top=1", None, "User.Read.All"),
    ],
)
def test_required_permission(
    path: str, params: dict[str, str] | None, permission: str | None
) -> None:
    assert required_permission(path, params) == permission


def test_every_probe_checks_the_permission_it_names() -> None:
    assert len({p.permission for p in PROBES}) == len(PROBES)
    for probe in PROBES:
        path = probe.path.replace("{user}", USER)
        assert required_permission(path, probe.params) == probe.permission, probe
        assert probe.why


def _tenant(missing: set[str], unlicensed: dict[str, tuple[int, str]]) -> BatchServer:
    """A tenant where probes for ``missing`` permissions get 403 and some paths need licences."""

    def sub(request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        path = request["url"].lstrip("/").split("?", 1)[0]
        permission = required_permission(path, None)
        if permission in missing:
            return 403, {}, graph_error("Authorization_RequestDenied", "Insufficient privileges")
        for prefix, (status, code) in unlicensed.items():
            if path.startswith(prefix):
                return status, {}, graph_error(code, "Request not applicable to target tenant.")
        if path == "users":
            return 200, {}, {"value": [{"id": USER}]}
        return 200, {}, {"value": []}

    return BatchServer(sub)


async def test_probe_permissions_reports_each_permission_in_two_calls() -> None:
    server = _tenant(
        missing={"AuditLog.Read.All", "SecurityEvents.Read.All"},
        unlicensed={
            "deviceManagement": (400, "BadRequest"),
            "policies/roleManagementPolicyAssignments": (400, "AadPremiumLicenseRequired"),
        },
    )
    async with make_client(server) as client:
        results = await probe_permissions(client)
    assert [r.permission for r in results] == [p.permission for p in PROBES]
    by_name = {r.permission: r for r in results}
    assert by_name["User.Read.All"].outcome is EndpointOutcome.OK
    assert by_name["AuditLog.Read.All"].outcome is EndpointOutcome.MISSING_PERMISSION
    assert not by_name["AuditLog.Read.All"].ok
    assert "AuditLog.Read.All" in by_name["AuditLog.Read.All"].message
    assert by_name["SecurityEvents.Read.All"].outcome is EndpointOutcome.MISSING_PERMISSION
    intune = by_name["DeviceManagementManagedDevices.Read.All"]
    assert intune.outcome is EndpointOutcome.LICENSE_REQUIRED
    assert intune.ok
    assert intune.license == "Microsoft Intune"
    pim = by_name["RoleManagementPolicy.Read.Directory"]
    assert pim.ok
    assert pim.license == "Microsoft Entra ID P2"
    methods = by_name["UserAuthenticationMethod.Read.All"]
    assert methods.outcome is EndpointOutcome.OK
    assert len(server.calls) == 2
    assert server.calls[1][0]["url"] == f"/users/{USER}/authentication/methods"
    assert sum(1 for r in results if r.ok) == len(PROBES) - 2


async def test_probe_without_user_read_cannot_test_authentication_methods() -> None:
    server = _tenant(missing={"User.Read.All"}, unlicensed={})
    async with make_client(server) as client:
        results = {r.permission: r for r in await probe_permissions(client)}
    assert results["User.Read.All"].outcome is EndpointOutcome.MISSING_PERMISSION
    methods = results["UserAuthenticationMethod.Read.All"]
    assert methods.outcome is EndpointOutcome.ERROR
    assert "grant User.Read.All first" in methods.message
    assert len(server.calls) == 1
