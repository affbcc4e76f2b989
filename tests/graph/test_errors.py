"""Graph error answers become typed errors with actionable messages."""

from __future__ import annotations

from typing import Any

import pytest

from remit.errors import (
    AuthenticationError,
    DeltaTokenExpired,
    ExitCode,
    GraphError,
    GraphNotFound,
    GraphRequestError,
    GraphUnavailable,
    LicenseRequired,
    MissingPermission,
    ThrottledTooLong,
)
from remit.graph import graph_error_from_response, parse_error_body

from ._fakes import graph_error, json_response, make_client


def map_error(
    status: int, body: Any, url: str = "users", headers: dict[str, str] | None = None
) -> GraphError:
    return graph_error_from_response(
        tenant_id="t-1",
        method="GET",
        url=url,
        status=status,
        body=body,
        headers=headers or {},
        client_id="app-9",
    )


def test_parse_error_body() -> None:
    assert parse_error_body(graph_error("Forbidden", "no", "r-7")) == ("Forbidden", "no", "r-7")
    assert parse_error_body({"error": {"code": "X", "innererror": {"request-id": "r"}}}) == (
        "X",
        None,
        "r",
    )
    assert parse_error_body(None) == (None, None, None)
    assert parse_error_body({"error": "text"}) == (None, None, None)


@pytest.mark.parametrize(
    "code",
    [
        "Authorization_RequestDenied",
        "Forbidden",
        "AccessDenied",
        "accessDenied",
        "Authorization_IdentityNotFound",
        "Authentication_MSGraphPermissionMissing",
    ],
)
def test_403_permission_codes_name_the_permission(code: str) -> None:
    error = map_error(
        403, graph_error(code, "Insufficient privileges to complete the operation."), "groups"
    )
    assert isinstance(error, MissingPermission)
    assert error.permission == "GroupMember.Read.All"
    assert error.exit_code == ExitCode.PERMISSION
    assert (error.tenant_id, error.endpoint, error.status, error.code, error.request_id) == (
        "t-1",
        "groups",
        403,
        code,
        "req-1",
    )


def test_missing_permission_message_is_actionable() -> None:
    error = map_error(
        403,
        graph_error(
            "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        ),
        "users?$select=id,signInActivity",
    )
    assert isinstance(error, MissingPermission)
    assert error.permission == "AuditLog.Read.All"
    message = str(error)
    assert message.startswith(
        "Graph refused GET users for tenant t-1: the app registration lacks the application "
        "permission AuditLog.Read.All (needed to read sign-in activity). In Entra admin center > "
        "App registrations > app-9 > API permissions, add it as an Application permission and "
        "grant admin consent, then run `remit tenant test t-1`."
    )
    assert "request-id req-1" in message


def test_missing_permission_for_an_unknown_endpoint_still_says_what_to_do() -> None:
    error = map_error(403, graph_error("Forbidden"), "teamwork/teamsAppSettings")
    assert isinstance(error, MissingPermission)
    assert error.permission == ""
    assert "Graph does not say which" in str(error)


@pytest.mark.parametrize(
    ("status", "code", "message", "url", "license_name"),
    [
        (
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
            "users?$select=signInActivity",
            "Microsoft Entra ID P1",
        ),
        (
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs an AAD Premium 2 license.",
            "roleManagement/directory/roleEligibilitySchedules",
            "Microsoft Entra ID P2",
        ),
        (
            400,
            "AadPremiumLicenseRequired",
            "Premium license required",
            "policies/roleManagementPolicyAssignments",
            "Microsoft Entra ID P2",
        ),
        (
            400,
            "AadPremiumLicenseRequired",
            "Premium license required",
            "identity/conditionalAccess/namedLocations",
            "Microsoft Entra ID P1",
        ),
        (
            400,
            "BadRequest",
            "Request not applicable to target tenant.",
            "deviceManagement/managedDevices",
            "Microsoft Intune",
        ),
        (
            403,
            "Forbidden",
            "Tenant does not have a premium license",
            "identity/conditionalAccess/policies",
            "Microsoft Entra ID P1",
        ),
    ],
)
def test_licence_errors(status: int, code: str, message: str, url: str, license_name: str) -> None:
    error = map_error(status, graph_error(code, message), url)
    assert isinstance(error, LicenseRequired)
    assert error.license == license_name
    assert error.exit_code == ExitCode.PERMISSION
    assert license_name in str(error)


def test_not_applicable_outside_device_management_is_a_request_error() -> None:
    error = map_error(
        400, graph_error("BadRequest", "Request not applicable to target tenant."), "users"
    )
    assert type(error) is GraphRequestError


def test_404_is_graph_not_found() -> None:
    error = map_error(
        404, graph_error("Request_ResourceNotFound", "Resource 'x' does not exist"), "users/1f0e-77"
    )
    assert isinstance(error, GraphNotFound)
    assert isinstance(error, GraphRequestError)
    assert error.endpoint == "users/{id}"
    assert error.exit_code == ExitCode.NOT_FOUND


@pytest.mark.parametrize(
    ("status", "code"), [(410, "Gone"), (400, "syncStateNotFound"), (400, "resyncRequired")]
)
def test_delta_expiry(status: int, code: str) -> None:
    assert isinstance(map_error(status, graph_error(code), "users/delta"), DeltaTokenExpired)


def test_other_statuses() -> None:
    assert type(map_error(400, graph_error("BadRequest", "Invalid filter"))) is GraphRequestError
    assert isinstance(
        map_error(401, graph_error("InvalidAuthenticationToken")), AuthenticationError
    )
    assert isinstance(map_error(429, graph_error("TooManyRequests")), ThrottledTooLong)
    assert isinstance(map_error(502, graph_error("BadGateway")), GraphUnavailable)
    unknown = map_error(403, graph_error("SomethingElse"))
    assert type(unknown) is GraphRequestError
    worded = map_error(403, graph_error("UnknownError", "Insufficient privileges to complete"))
    assert isinstance(worded, MissingPermission)


def test_request_id_falls_back_to_the_header_and_non_json_bodies_are_fine() -> None:
    error = map_error(400, None, headers={"request-id": "hdr-1"})
    assert error.request_id == "hdr-1"
    assert error.code is None
    assert "400 no error code" in str(error)


async def test_the_client_raises_the_mapped_error() -> None:
    handler = lambda r: json_response(403, graph_error("Authorization_RequestDenied"))  # noqa: E731
    async with make_client(handler) as client:
        with pytest.raises(MissingPermission) as caught:
            await client.get_all("identity/conditionalAccess/policies")
    assert caught.value.permission == "Policy.Read.All"
    assert "App registrations > client-123" in str(caught.value)
