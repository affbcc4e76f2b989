"""Application permissions and licences: Graph's refusals, in each service's own words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_INTUNE
from remit.emulator.server import EmulatorServer

from .factories import make_tenant
from .helpers import Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
NON_PREMIUM = (
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)


def _grant(session: Session, *permissions: str) -> None:
    response = session.control(
        "POST", f"tenants/{session.spec.tenant_id}/permissions", {"granted": list(permissions)}
    )
    assert response.status_code == 200


def test_directory_reads_need_one_of_the_documented_permissions(start: Start) -> None:
    _server, session = start()
    _grant(session, "Group.Read.All")
    refused = session.get("users")
    assert refused.status_code == 403
    assert error_of(refused) == DENIED
    _grant(session, "Directory.Read.All")
    assert session.get("users").status_code == 200
    _grant(session, "User.ReadWrite.All")  # a ReadWrite permission also reads
    assert session.get("users").status_code == 200
    assert session.get("groups").status_code == 403


def test_each_service_refuses_in_its_own_words(start: Start) -> None:
    _server, session = start()
    _grant(session, "User.Read.All")
    reports = session.get("auditLogs/directoryAudits")
    assert reports.status_code == 403
    assert error_of(reports) == (
        "Authentication_MSGraphPermissionMissing",
        "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
    )
    ca = session.get("identity/conditionalAccess/policies")
    assert ca.status_code == 403
    assert error_of(ca)[0] == "AccessDenied"
    intune = session.get("deviceManagement/managedDevices")
    assert intune.status_code == 403
    assert "DeviceManagementManagedDevices.Read.All" in error_of(intune)[1]
    roles = session.get("roleManagement/directory/roleAssignments")
    assert error_of(roles) == DENIED


def test_sign_in_activity_needs_audit_log_permission_and_p1(start: Start) -> None:
    _server, session = start()
    query = {"$select": "id,signInActivity"}
    _grant(session, "User.Read.All")
    assert error_of(session.get("users", query)) == DENIED
    _grant(session, "User.Read.All", "AuditLog.Read.All")
    assert session.get("users", query).status_code == 200
    session.control("POST", f"tenants/{session.spec.tenant_id}/licenses", {"licenses": []})
    refused = session.get("users", query)
    assert refused.status_code == 403
    assert error_of(refused) == NON_PREMIUM
    assert session.get("users", {"$select": "id"}).status_code == 200


@pytest.mark.parametrize(
    ("licenses", "path", "status", "code", "message"),
    [
        (
            {LICENSE_ENTRA_P1},
            "roleManagement/directory/roleEligibilitySchedules",
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs an AAD Premium 2 license.",
        ),
        (
            {LICENSE_ENTRA_P1},
            "policies/roleManagementPolicyAssignments",
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs an AAD Premium 2 license.",
        ),
        (set(), "reports/authenticationMethods/userRegistrationDetails", 403, *NON_PREMIUM),
        (
            {LICENSE_ENTRA_P1},
            "deviceManagement/managedDevices",
            400,
            "BadRequest",
            "Request not applicable to target tenant.",
        ),
    ],
)
def test_licence_errors(
    start: Start, licenses: set[str], path: str, status: int, code: str, message: str
) -> None:
    _server, session = start(make_tenant("small", licenses=frozenset(licenses)))
    response = session.get(path)
    assert response.status_code == status
    assert error_of(response) == (code, message)


def test_conditional_access_without_p1(start: Start) -> None:
    _server, session = start(make_tenant("small", licenses=frozenset({LICENSE_INTUNE})))
    response = session.get("identity/conditionalAccess/policies")
    assert response.status_code == 403
    code, message = error_of(response)
    assert code == "Forbidden"
    assert "premium license" in message


def test_the_app_management_policy_needs_policy_read_all(start: Start) -> None:
    _server, session = start()
    _grant(session, "Application.Read.All")
    refused = session.get("policies/defaultAppManagementPolicy")
    assert refused.status_code == 403
    assert error_of(refused) == DENIED
    for permission in ("Policy.Read.All", "Policy.Read.ApplicationConfiguration"):
        _grant(session, permission)
        served = session.get("policies/defaultAppManagementPolicy")
        assert served.status_code == 200, permission
        assert served.json()["isEnabled"] is False
        assert served.json()["@odata.context"].endswith(
            "$metadata#policies/defaultAppManagementPolicy/$entity"
        )
