"""Entra ID's side of the emulator: OpenID configuration, the token endpoint, bearer checks."""

from __future__ import annotations

from collections.abc import Callable

import msal
import pytest
import requests

from remit.emulator.server import EmulatorServer

from .certs import client_assertion, make_certificate
from .factories import make_tenant
from .helpers import GRAPH_SCOPE, Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _msal_app(server: EmulatorServer, tenant: str, client_id: str, credential: object) -> object:
    http = requests.Session()
    http.verify = str(server.ca_bundle)
    http.trust_env = False
    return msal.ConfidentialClientApplication(
        client_id,
        authority=f"{server.url}/{tenant}",
        client_credential=credential,
        instance_discovery=False,
        http_client=http,
    )


@pytest.mark.parametrize("name", ["tenant_id", "primary_domain", "verified_domain"])
def test_openid_configuration_by_id_or_domain(contoso: Session, name: str) -> None:
    spec = contoso.spec
    tenant = {
        "tenant_id": spec.tenant_id,
        "primary_domain": spec.primary_domain,
        "verified_domain": "contoso.example",
    }[name]
    response = contoso.http.get(f"/{tenant}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    config = response.json()
    base = contoso.server.url
    assert config["token_endpoint"] == f"{base}/{spec.tenant_id}/oauth2/v2.0/token"
    assert config["issuer"] == f"{base}/{spec.tenant_id}/v2.0"
    for key in ("authorization_endpoint", "jwks_uri", "device_authorization_endpoint"):
        assert config[key].startswith(f"{base}/{spec.tenant_id}/")
    assert config["tenant_region_scope"]


def test_unknown_tenant_answers_like_entra(contoso: Session) -> None:
    response = contoso.http.get("/nowhere.example/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.example' not found.")


def test_client_secret_gives_a_bearer_token(contoso: Session) -> None:
    response = contoso.token_response()
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert body["ext_expires_in"] == 3599
    assert body["access_token"].count(".") == 2


def test_wrong_secret_is_aadsts7000215(contoso: Session) -> None:
    response = contoso.token_response(client_secret="not-the-secret")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    description = body["error_description"]
    assert description.startswith("AADSTS7000215: Invalid client secret provided.")
    assert f"added to app '{contoso.spec.client_id}'" in description
    for marker in ("Trace ID: ", "Correlation ID: ", "Timestamp: "):
        assert marker in description
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= body.keys()


def test_unknown_client_is_aadsts700016(contoso: Session) -> None:
    response = contoso.token_response(client_id="11111111-2222-3333-4444-555555555555")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert body["error_codes"] == [700016]
    assert (
        "Application with identifier '11111111-2222-3333-4444-555555555555' was not found"
        in (body["error_description"])
    )


@pytest.mark.parametrize(
    ("form", "status", "error", "code"),
    [
        ({"client_secret": ""}, 401, "invalid_client", 7000218),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"scope": "User.Read"}, 400, "invalid_scope", 1002012),
    ],
)
def test_other_token_errors(
    contoso: Session, form: dict[str, str], status: int, error: str, code: int
) -> None:
    response = contoso.token_response(**form)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_codes"] == [code]


@pytest.mark.parametrize("algorithm", ["PS256", "RS256"])
def test_certificate_assertion_gives_a_token(start: Start, algorithm: str) -> None:
    server, session = start()
    cert_pem, key_pem = make_certificate()
    registered = session.control(
        "POST", f"tenants/{session.spec.tenant_id}/certificates", {"pem": cert_pem}
    )
    assert registered.status_code == 200
    assertion = client_assertion(
        cert_pem,
        key_pem,
        client_id=session.spec.client_id,
        audience=f"{server.url}/{session.spec.tenant_id}/oauth2/v2.0/token",
        algorithm=algorithm,
    )
    response = session.token_response(
        client_secret="", client_assertion_type=ASSERTION_TYPE, client_assertion=assertion
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    users = session.http.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200


def test_certificate_errors(start: Start) -> None:
    server, session = start()
    spec = session.spec
    audience = f"{server.url}/{spec.tenant_id}/oauth2/v2.0/token"
    good_cert, good_key = make_certificate()
    old_cert, old_key = make_certificate(expired=True)
    server.register_certificate(spec.tenant_id, good_cert)
    server.register_certificate(spec.tenant_id, old_cert)
    stranger_cert, stranger_key = make_certificate()

    def attempt(cert: str, key: str, **kwargs: object) -> dict[str, object]:
        assertion = client_assertion(cert, key, client_id=spec.client_id, **kwargs)  # type: ignore[arg-type]
        response = session.token_response(
            client_secret="", client_assertion_type=ASSERTION_TYPE, client_assertion=assertion
        )
        assert response.status_code == 401
        body: dict[str, object] = response.json()
        return body

    unknown = attempt(stranger_cert, stranger_key, audience=audience)
    assert unknown["error_codes"] == [700027]
    assert "not registered on application" in str(unknown["error_description"])
    expired = attempt(old_cert, old_key, audience=audience)
    assert expired["error_codes"] == [700027]
    assert "expired" in str(expired["error_description"])
    stale = attempt(good_cert, good_key, audience=audience, lifetime=-3600)
    assert stale["error_codes"] == [700024]
    wrong_audience = attempt(good_cert, good_key, audience="https://example.org/token")
    assert wrong_audience["error"] == "invalid_client"
    # A key that does not match the registered certificate fails signature validation.
    forged = attempt(good_cert, stranger_key, audience=audience)
    assert forged["error_codes"] == [700027]
    assert "signature validation" in str(forged["error_description"])


def test_msal_gets_a_token_with_a_secret(shared_server: EmulatorServer, contoso: Session) -> None:
    spec = contoso.spec
    app = _msal_app(shared_server, spec.tenant_id, spec.client_id, spec.client_secret)
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # type: ignore[attr-defined]
    assert "access_token" in result, result
    users = contoso.http.get(
        "/v1.0/organization", headers={"Authorization": f"Bearer {result['access_token']}"}
    )
    assert users.status_code == 200


def test_msal_gets_a_token_with_a_certificate(start: Start) -> None:
    server, session = start()
    spec = session.spec
    cert_pem, key_pem = make_certificate()
    server.register_certificate(spec.tenant_id, cert_pem)
    credential = {"private_key": key_pem, "public_certificate": cert_pem}
    app = _msal_app(server, spec.primary_domain, spec.client_id, credential)
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # type: ignore[attr-defined]
    assert "access_token" in result, result


def test_msal_reports_wrong_secret_and_unknown_tenant(
    shared_server: EmulatorServer, contoso: Session
) -> None:
    spec = contoso.spec
    app = _msal_app(shared_server, spec.tenant_id, spec.client_id, "wrong")
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # type: ignore[attr-defined]
    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        _msal_app(shared_server, "nowhere.example", spec.client_id, "x")


def test_graph_needs_a_valid_bearer_token(contoso: Session) -> None:
    missing = contoso.http.get("/v1.0/users")
    assert missing.status_code == 401
    assert error_of(missing) == ("InvalidAuthenticationToken", "Access token is empty.")
    assert "WWW-Authenticate" in missing.headers
    garbage = contoso.http.get("/v1.0/users", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401
    code, message = error_of(garbage)
    assert code == "InvalidAuthenticationToken"
    assert message.startswith("Access token validation failure")


def test_expired_token_is_refused(start: Start) -> None:
    _server, session = start()
    assert session.get("organization").status_code == 200
    session.control("POST", "clock", {"advance_seconds": 3600})
    expired = session.get("organization")
    assert expired.status_code == 401
    assert error_of(expired)[1] == "Lifetime validation failed, the token is expired."
    session.token(refresh=True)
    assert session.get("organization").status_code == 200


def test_tenants_are_isolated(contoso: Session, fabrikam: Session) -> None:
    ours = {u["id"] for u in contoso.get_all("users", {"$select": "id"})}
    theirs = {u["id"] for u in fabrikam.get_all("users", {"$select": "id"})}
    assert ours
    assert theirs
    assert not ours & theirs
    assert contoso.get("organization").json()["value"][0]["id"] == contoso.spec.tenant_id
    # A user of the other tenant does not exist here, even by id.
    assert fabrikam.get(f"users/{next(iter(ours))}").status_code == 404
    # Another tenant's nextLink is refused (the skiptoken is bound to its tenant).
    next_link = contoso.get("users", {"$top": "2"}).json()["@odata.nextLink"]
    refused = fabrikam.get(next_link)
    assert refused.status_code == 400
    assert error_of(refused)[0] == "Directory_ExpiredPageToken"


def test_a_tenant_built_lazily_is_built_once(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    from remit.emulator.tenants import LazyTenant

    full = make_tenant("lazy")
    header = make_tenant("lazy")
    header.data = {}
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        return full

    server = emulator_factory([LazyTenant(header=header, load=load)])  # type: ignore[arg-type]
    assert calls == []
    with Session(server, header) as session:
        assert session.token_response().status_code == 200
        assert calls == []
        assert len(session.get_all("users")) == full.user_count
        assert session.get("groups").status_code == 200
    assert calls == [1]
