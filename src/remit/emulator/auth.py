"""Entra ID's side: OpenID configuration, the v2.0 token endpoint, and bearer-token checks.

Shaped like login.microsoftonline.com: ``/{tenant}/v2.0/.well-known/openid-configuration`` and
``/{tenant}/oauth2/v2.0/token`` (client credentials with a client secret or a certificate-signed
client assertion), with the AADSTS error bodies Entra returns. ``{tenant}`` may be the tenant id,
its primary domain, or a verified domain.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from remit.emulator.responses import GraphError
from remit.emulator.state import EmulatorState
from remit.emulator.tenants import TenantState

GRAPH_SCOPES = frozenset(
    {"https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"}
)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_LEEWAY = 300


class EntraError(Exception):
    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def entra_error_response(request: Request, exc: EntraError) -> JSONResponse:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS{exc.code}: {exc.description} Trace ID: {trace_id} Correlation ID: "
        f"{correlation_id} Timestamp: {stamp}"
    )
    body = {
        "error": exc.error,
        "error_description": description,
        "error_codes": [exc.code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{base_url(request)}/error?code={exc.code}",
    }
    return JSONResponse(
        body, status_code=exc.status, headers={"Cache-Control": "no-store, no-cache"}
    )


def _tenant_not_found(name: str) -> EntraError:
    return EntraError(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
    )


async def openid_configuration(request: Request) -> Response:
    name = request.path_params["tenant"]
    tenant = _state(request).registry.lookup(name)
    if tenant is None:
        return entra_error_response(request, _tenant_not_found(name))
    base, tid = base_url(request), tenant.tenant_id
    host = base.split("://", 1)[1]
    return JSONResponse(
        {
            "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid", "roles"],
            "kerberos_endpoint": f"{base}/{tid}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": host,
            "rbac_url": "https://pas.windows.net",
        }
    )


async def jwks(request: Request) -> Response:
    """Graph access tokens are opaque to clients; there is nothing for them to verify."""
    return JSONResponse({"keys": []})


def thumbprints(certificate: x509.Certificate) -> tuple[str, str]:
    """Lower-case hex SHA-1 and SHA-256 thumbprints."""
    sha1 = certificate.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - Entra's x5t is SHA-1
    return sha1, certificate.fingerprint(hashes.SHA256()).hex()


def register_certificate(tenant: TenantState, pem: str | bytes) -> x509.Certificate:
    data = pem.encode() if isinstance(pem, str) else pem
    certificate = x509.load_pem_x509_certificate(data)
    for thumbprint in thumbprints(certificate):
        tenant.certificates[thumbprint] = certificate
    return certificate


def _b64_thumbprint(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    except (binascii.Error, ValueError):
        return None


def verify_client_assertion(
    tenant: TenantState, assertion: str, audiences: list[str], now: datetime
) -> None:
    client_id = tenant.header.client_id
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise EntraError(
            401, "invalid_client", 50027, "JWT token is invalid or malformed."
        ) from None
    algorithm = header.get("alg")
    keys = [_b64_thumbprint(header.get("x5t#S256")), _b64_thumbprint(header.get("x5t"))]
    shown = next((k for k in keys if k), "")
    certificate = next((tenant.certificates[k] for k in keys if k in tenant.certificates), None)
    if certificate is None:
        raise EntraError(
            401,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered "
            f"on application. [Reason - The key was not found., Thumbprint of key used by client: "
            f"'{shown.upper()}', Please visit the Azure Portal, Graph Explorer or directly use MS "
            f"Graph to see configured keys for app Id '{client_id}'.]",
        )
    if now > certificate.not_valid_after_utc or now < certificate.not_valid_before_utc:
        raise EntraError(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The key used is expired., "
            f"Thumbprint of key used by client: '{shown.upper()}', Found key 'Start="
            f"{certificate.not_valid_before_utc:%m/%d/%Y %H:%M:%S}, End="
            f"{certificate.not_valid_after_utc:%m/%d/%Y %H:%M:%S}']",
        )
    if algorithm not in ("RS256", "PS256"):
        raise EntraError(
            401, "invalid_client", 700027, "Client assertion failed signature validation."
        )
    try:
        claims = jwt.decode(
            assertion,
            certificate.public_key(),  # type: ignore[arg-type]
            algorithms=[algorithm],
            audience=audiences,
            leeway=_ASSERTION_LEEWAY,
            options={"require": ["exp", "aud", "iss", "sub"]},
        )
    except jwt.InvalidSignatureError:
        raise EntraError(
            401, "invalid_client", 700027, "Client assertion failed signature validation."
        ) from None
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        raise EntraError(
            401,
            "invalid_client",
            700024,
            f"Client assertion is not within its valid time range. Current time: "
            f"{now:%Y-%m-%dT%H:%M:%S.%fZ}.",
        ) from None
    except jwt.InvalidAudienceError:
        raise EntraError(
            401,
            "invalid_client",
            50027,
            f"JWT token is invalid or malformed: the audience must be the token endpoint "
            f"{audiences[0]}.",
        ) from None
    except jwt.PyJWTError as exc:
        raise EntraError(
            401, "invalid_client", 50027, f"JWT token is invalid or malformed ({exc})."
        ) from None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise EntraError(
            401,
            "invalid_client",
            50027,
            "JWT token is invalid or malformed: 'iss' and 'sub' must be the client id.",
        )


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """client_id and client_secret from the form, or from HTTP Basic authentication."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret")


async def token(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["tenant"]
    form: dict[str, str] = {}
    body = (await request.body()).decode("utf-8", errors="replace")
    for key, value in parse_qsl(body, keep_blank_values=True):
        form.setdefault(key, value)
    try:
        tenant = state.registry.lookup(name)
        if tenant is None:
            raise _tenant_not_found(name)
        return _issue(request, state, tenant, form)
    except EntraError as exc:
        return entra_error_response(request, exc)


def _issue(
    request: Request, state: EmulatorState, tenant: TenantState, form: dict[str, str]
) -> Response:
    grant_type = form.get("grant_type", "")
    if grant_type != "client_credentials":
        raise EntraError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    client_id, secret = _client_credentials(request, form)
    if not client_id:
        raise EntraError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    if client_id.lower() != tenant.header.client_id.lower():
        raise EntraError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.header.display_name}'. This can happen if the application has not been "
            "installed by the administrator of the tenant or consented to by any user in the "
            "tenant. You may have sent your authentication request to the wrong tenant.",
        )
    scopes = set(form.get("scope", "").split())
    if not scopes & GRAPH_SCOPES:
        raise EntraError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')} is not valid. Client "
            "credential flows must have a scope value with /.default suffixed to the resource "
            "identifier (application ID URI).",
        )
    assertion = form.get("client_assertion")
    if assertion:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise EntraError(
                400,
                "invalid_request",
                50027,
                f"Invalid client_assertion_type: it must be {JWT_BEARER}.",
            )
        base = base_url(request)
        audiences = [
            f"{base}/{tenant.tenant_id}/oauth2/v2.0/token",
            f"{base}/{request.path_params['tenant']}/oauth2/v2.0/token",
            f"{base}/{tenant.header.primary_domain}/oauth2/v2.0/token",
            f"{base}/{tenant.tenant_id}/v2.0",
        ]
        verify_client_assertion(tenant, assertion, audiences, state.clock.token_time())
    elif secret:
        if not hmac.compare_digest(secret.encode(), tenant.header.client_secret.encode()):
            raise EntraError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{tenant.header.client_id}'.",
            )
    else:
        raise EntraError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    lifetime = state.options.token_lifetime_seconds
    access_token = state.signer.issue_access_token(
        tenant_id=tenant.tenant_id,
        client_id=tenant.header.client_id,
        app_name="Remit",
        roles=sorted(tenant.granted_permissions),
        issued_at=int(state.clock.token_timestamp()),
        lifetime=lifetime,
        issuer_host=base_url(request),
    )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        },
        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
    )


def authenticate(state: EmulatorState, authorization: str | None) -> TenantState:
    """The tenant a Graph request's bearer token is for; GraphError 401 when it is not valid."""
    if not authorization:
        raise _invalid_token("Access token is empty.")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _invalid_token("Access token validation failure. Invalid audience.")
    claims = state.signer.read_access_token(value.strip())
    if claims is None:
        raise _invalid_token("Access token validation failure.")
    tenant = state.registry.get(str(claims.get("tid", "")))
    if tenant is None:
        raise _invalid_token("Access token validation failure. Invalid tenant.")
    if float(claims.get("exp", 0)) <= state.clock.token_timestamp():
        raise _invalid_token("Lifetime validation failed, the token is expired.")
    return tenant


def _invalid_token(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={
            "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline'
            '.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        },
    )
