"""How Graph says no: missing permissions, missing licences, throttling, injected errors.

The wording and codes differ by service, as they do on the real Graph: directory endpoints never
name the missing permission, the reports service does, Intune lists the scopes it wanted.
"""

from __future__ import annotations

from remit.emulator.endpoints import (
    CONDITIONAL_ACCESS,
    INTUNE,
    OUTLOOK,
    REPORTS,
    SECURITY,
    Endpoint,
)
from remit.emulator.responses import GraphError

NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
NON_PREMIUM_MESSAGE = "Neither tenant is B2C or tenant doesn't have premium license"


def permission_denied(endpoint: Endpoint, *, request_id: str, path: str) -> GraphError:
    if endpoint.service == REPORTS:
        return GraphError(
            403,
            "Authentication_MSGraphPermissionMissing",
            "Calling principal does not have required MSGraph permissions "
            + " or ".join(endpoint.permissions),
        )
    if endpoint.service == CONDITIONAL_ACCESS:
        return GraphError(
            403,
            "AccessDenied",
            "You cannot perform the requested operation, required scopes are missing in the token.",
        )
    if endpoint.service == INTUNE:
        scopes = []
        for permission in endpoint.permissions:
            scopes += [permission, permission.replace(".Read.", ".ReadWrite.")]
        return GraphError(
            403,
            "Forbidden",
            "Application is not authorized to perform this operation. Application must have one "
            f"of the following scopes: {', '.join(scopes)} - Operation ID (for customer support): "
            f"00000000-0000-0000-0000-000000000000 - Activity ID: {request_id} - "
            f"Url: https://fef.msub02.manage.microsoft.com/{path}",
        )
    if endpoint.service == SECURITY:
        return GraphError(
            403,
            "Forbidden",
            "Insufficient privileges to perform requested operation by the application "
            "'00000003-0000-0000-c000-000000000000'. ControllerName=MSGraphInternal, "
            f"URL absolute path=/{path}",
        )
    if endpoint.service == OUTLOOK:
        return GraphError(
            403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def license_missing(endpoint: Endpoint) -> GraphError:
    if endpoint.license == "P2":
        return GraphError(
            400, "AadPremiumLicenseRequired", "The tenant needs an AAD Premium 2 license."
        )
    if endpoint.license == "INTUNE":
        return GraphError(400, "BadRequest", "Request not applicable to target tenant.")
    if endpoint.service == CONDITIONAL_ACCESS:
        return GraphError(
            403,
            "Forbidden",
            "Your tenant is not licensed for this feature: it requires a premium license "
            "(Microsoft Entra ID P1 or P2).",
        )
    return GraphError(403, NON_PREMIUM_CODE, NON_PREMIUM_MESSAGE)


def sign_in_activity_refused(*, has_permission: bool) -> GraphError:
    if not has_permission:
        return GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    return GraphError(403, NON_PREMIUM_CODE, NON_PREMIUM_MESSAGE)


def format_retry_after(seconds: float) -> str:
    """Seconds as Graph's Retry-After header (fractional allowed, never 0)."""
    value = max(seconds, 0.001)
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0.001"


def throttled(
    endpoint: Endpoint, retry_after: float | None, *, mailbox: bool = False
) -> GraphError:
    headers = {}
    # Conditional access never sends Retry-After on 429, as the real service does.
    if retry_after is not None and endpoint.service != CONDITIONAL_ACCESS:
        headers["Retry-After"] = format_retry_after(retry_after)
    if mailbox:
        return GraphError(
            429,
            "ApplicationThrottled",
            "Application is over its MailboxConcurrency limit.",
            headers=headers,
        )
    if endpoint.service == OUTLOOK:
        return GraphError(
            429, "ApplicationThrottled", "Application is over its MailboxLimit.", headers=headers
        )
    return GraphError(
        429,
        "TooManyRequests",
        "Too many requests. The request was throttled; retry after the time in Retry-After.",
        headers=headers,
    )


_ERRORS = {
    500: ("generalException", "General exception while processing."),
    502: ("BadGateway", "Bad Gateway."),
    503: ("serviceNotAvailable", "Service unavailable. Try again later."),
    504: ("GatewayTimeout", "Gateway timeout. The service did not answer in time."),
}


def injected_error(status: int, retry_after: float | None) -> GraphError:
    code, message = _ERRORS.get(status, _ERRORS[503])
    headers = {"Retry-After": format_retry_after(retry_after)} if retry_after is not None else {}
    return GraphError(status, code, message, headers=headers)
