"""Turn Graph's error answers into Remit's typed errors, with messages a technician can act on.

Graph's error body: ``{"error": {"code", "message", "innerError": {"request-id", "date"}}}``.
Every error carries tenant_id, endpoint (the path template), status, code and request_id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remit.errors import (
    AuthenticationError,
    DeltaTokenExpired,
    GraphError,
    GraphNotFound,
    GraphRequestError,
    GraphUnavailable,
    LicenseRequired,
    MissingPermission,
    ThrottledTooLong,
)
from remit.graph.permissions import PERMISSION_PURPOSE, endpoint_permission
from remit.graph.stats import endpoint_template
from remit.graph.urls import split_path

ENTRA_P1 = "Microsoft Entra ID P1"
ENTRA_P2 = "Microsoft Entra ID P2"
INTUNE = "Microsoft Intune"

PERMISSION_CODES = frozenset(
    {
        "authorization_requestdenied",
        "forbidden",
        "accessdenied",
        "authorization_identitynotfound",
        "authentication_msgraphpermissionmissing",  # audit and sign-in logs
        "erroraccessdenied",  # Exchange Online (mail, calendar, contacts)
    }
)
DELTA_EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
_PIM_SEGMENTS = (
    "roleEligibilitySchedule",
    "roleAssignmentSchedule",
    "roleManagementPolic",
)


def parse_error_body(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, request-id) from a Graph error body; Nones where absent."""
    if not isinstance(body, Mapping):
        return None, None, None
    error = body.get("error")
    if not isinstance(error, Mapping):
        return None, None, None
    code = error.get("code")
    message = error.get("message")
    inner = error.get("innerError") or error.get("innererror")
    request_id = inner.get("request-id") if isinstance(inner, Mapping) else None
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
        request_id if isinstance(request_id, str) else None,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _license_for(status: int, code: str, message: str, path: str) -> str | None:
    lowered = message.lower()
    if code == "authentication_requestfromnonpremiumtenantorb2ctenant":
        return ENTRA_P1
    if code == "aadpremiumlicenserequired":
        if "premium 2" in lowered or "p2" in lowered or any(s in path for s in _PIM_SEGMENTS):
            return ENTRA_P2
        return ENTRA_P1
    if status == 400 and "not applicable to target tenant" in lowered:
        if path.startswith("deviceManagement"):
            return INTUNE
        return None
    if status == 403 and ("premium licen" in lowered or "not licensed" in lowered):
        # Risk-based features need P2; everything else refused this way (conditional access,
        # sign-in reports) needs P1, even when the message mentions "P1 or P2".
        if "identityProtection" in path or "risk" in path.lower():
            return ENTRA_P2
        return ENTRA_P1
    return None


def graph_error_from_response(
    *,
    tenant_id: str,
    method: str,
    url: str,
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    client_id: str | None = None,
) -> GraphError:
    """The typed error for a non-2xx answer to ``method url`` (url relative to the root)."""
    headers = headers or {}
    path, params = split_path(url)
    endpoint = endpoint_template(path)
    code, graph_message, request_id = parse_error_body(body)
    request_id = request_id or _header(headers, "request-id")
    code_key = (code or "").lower()
    said = f"{status} {code or 'no error code'}"
    if graph_message:
        said += f": {graph_message.strip()}"
    if request_id:
        said += f" (request-id {request_id})"
    what = f"{method} {endpoint}"
    context: dict[str, Any] = {
        "tenant_id": tenant_id,
        "endpoint": endpoint,
        "status": status,
        "code": code,
        "request_id": request_id,
    }
    app = client_id or "the Remit app"

    if status == 410 or code_key in DELTA_EXPIRED_CODES:
        return DeltaTokenExpired(
            f"the delta link for {endpoint} in tenant {tenant_id} is no longer valid [{said}]; "
            "a full sync is needed",
            **context,
        )
    license_name = _license_for(status, code_key, graph_message or "", path)
    if license_name is not None:
        return LicenseRequired(
            f"Graph refused {what} for tenant {tenant_id}: the tenant has no {license_name} "
            f"licence, which this data needs [{said}]. Controls that depend on it are reported "
            "as not licensed; license the tenant or record an accepted exception for them.",
            license=license_name,
            **context,
        )
    if status == 401:
        return AuthenticationError(
            f"Graph refused the access token for {what} in tenant {tenant_id}, even after "
            f"fetching a new one [{said}]. Check that app {app} is still registered and "
            f"consented in the tenant, then run `remit tenant test {tenant_id}`.",
            **context,
        )
    insufficient = "insufficient privileges" in (graph_message or "").lower()
    if status == 403 and (code_key in PERMISSION_CODES or insufficient):
        rule = endpoint_permission(path, params)
        if rule is None:
            lacks = (
                "lacks an application permission this request needs (Graph does not say "
                f"which, and Remit has no rule for {endpoint})"
            )
            permission = ""
            add = "add the permission the Graph reference lists for this request"
        else:
            purpose = rule.needed_for or PERMISSION_PURPOSE.get(rule.permission, "")
            lacks = f"lacks the application permission {rule.permission} (needed {purpose})"
            permission = rule.permission
            add = "add it as an Application permission"
        return MissingPermission(
            f"Graph refused {what} for tenant {tenant_id}: the app registration {lacks}. "
            f"In Entra admin center > App registrations > {app} > API permissions, {add} and "
            f"grant admin consent, then run `remit tenant test {tenant_id}`. [{said}]",
            permission=permission,
            **context,
        )
    if status == 404:
        return GraphNotFound(
            f"Graph found nothing at {what} for tenant {tenant_id} [{said}]. The object may "
            "have been deleted since it was listed; run the collection again.",
            **context,
        )
    if status == 429:
        return ThrottledTooLong(
            f"Graph throttled {what} for tenant {tenant_id} [{said}]. Run again later, or "
            "lower collect.tenant_concurrency so fewer requests reach the tenant at once.",
            **context,
        )
    if status >= 500:
        return GraphUnavailable(
            f"Graph failed {what} for tenant {tenant_id} [{said}]. This is usually temporary "
            "on Microsoft's side: run again later; if it persists, check Microsoft 365 service "
            "health.",
            **context,
        )
    return GraphRequestError(
        f"Graph rejected {what} for tenant {tenant_id} [{said}]. This is likely a Remit bug "
        "or a query the tenant does not support; report it with the request-id.",
        **context,
    )
