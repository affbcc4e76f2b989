"""Token provider: certificate checks, msal error translation, and the msal wiring."""

from __future__ import annotations

import base64
import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from remit.domain import AuthKind, TenantCredentials
from remit.errors import (
    AuthenticationError,
    CertificateError,
    GraphUnavailable,
    InvalidClientSecret,
    TenantNotConsented,
    TenantNotFound,
)
from remit.graph import (
    MsalTokenProvider,
    check_certificate_validity,
    load_certificate_credential,
    translate_token_error,
)
from remit.graph.auth import make_requests_session, translate_token_exception

from ._fakes import settings

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "s3cr3t~VALUE.never-shown"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_cert(
    key: Any, not_before: datetime, not_after: datetime, name: str = "remit-test"
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


def pem(key: Any, *certs: x509.Certificate, password: bytes | None = None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    text = str(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, encryption
        ).decode()
    )
    return text + "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def valid_pem(key: Any) -> str:
    return pem(key, make_cert(key, NOW - timedelta(days=30), NOW + timedelta(days=300)))


# --- certificates ----------------------------------------------------------------------------


def test_load_certificate_credential(
    rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    ca = make_cert(other_key, NOW - timedelta(days=1), NOW + timedelta(days=1), "some-ca")
    cert = make_cert(rsa_key, NOW - timedelta(days=1), NOW + timedelta(days=10))
    credential = load_certificate_credential(pem(rsa_key, ca, cert), tenant_id=TENANT)
    assert credential.thumbprint_sha1 == cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    assert credential.thumbprint_sha256 == cert.fingerprint(hashes.SHA256()).hex().upper()
    assert credential.not_after == cert.not_valid_after_utc
    msal_credential = credential.msal_credential()
    assert set(msal_credential) == {"private_key", "public_certificate"}
    assert msal_credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert x509.load_pem_x509_certificate(msal_credential["public_certificate"].encode()) == cert


def test_expired_certificate_is_refused_with_date_thumbprint_and_next_step(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    cert = make_cert(rsa_key, datetime(2025, 1, 31, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC))
    credential = load_certificate_credential(pem(rsa_key, cert), tenant_id=TENANT)
    with pytest.raises(CertificateError) as caught:
        check_certificate_validity(credential, tenant_id=TENANT, now=NOW)
    assert str(caught.value) == (
        f"the certificate for tenant {TENANT} expired on 2026-01-31 (thumbprint "
        f"{credential.thumbprint_sha1}); upload a new certificate to the app registration and "
        f"run `remit tenant update {TENANT} --certificate NEW.pem`"
    )


def test_not_yet_valid_certificate_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    cert = make_cert(rsa_key, NOW + timedelta(days=2), NOW + timedelta(days=20))
    credential = load_certificate_credential(pem(rsa_key, cert), tenant_id=TENANT)
    with pytest.raises(CertificateError, match=r"not valid before .* check this computer's clock"):
        check_certificate_validity(credential, tenant_id=TENANT, now=NOW)


def test_bad_certificate_files(rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    cert = make_cert(rsa_key, NOW - timedelta(days=1), NOW + timedelta(days=1))
    cert_only = cert.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(CertificateError, match="holds no private key"):
        load_certificate_credential(cert_only, tenant_id=TENANT)
    with pytest.raises(CertificateError, match="is encrypted"):
        load_certificate_credential(pem(rsa_key, cert, password=b"pw"), tenant_id=TENANT)
    with pytest.raises(CertificateError, match="no certificate matching"):
        load_certificate_credential(pem(other_key, cert), tenant_id=TENANT)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_cert = make_cert(ec_key, NOW - timedelta(days=1), NOW + timedelta(days=1))
    with pytest.raises(CertificateError, match="not an RSA key"):
        load_certificate_credential(pem(ec_key, ec_cert), tenant_id=TENANT)


# --- translating Entra's answers ---------------------------------------------------------------


def entra(code: int, error: str, text: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: t1 Correlation ID: c1 Timestamp: x",
        "error_codes": [code],
        "correlation_id": "c1",
    }


@pytest.mark.parametrize(
    ("result", "error_type", "expected"),
    [
        (
            entra(7000215, "invalid_client", "Invalid client secret provided."),
            InvalidClientSecret,
            "Value (not its Secret ID)",
        ),
        (
            entra(7000222, "invalid_client", "The provided client secret keys are expired."),
            InvalidClientSecret,
            "has expired",
        ),
        (
            entra(90002, "invalid_tenant", f"Tenant '{TENANT}' not found."),
            TenantNotFound,
            f"https://login.test/{TENANT}",
        ),
        (
            entra(
                700016,
                "unauthorized_client",
                "Application with identifier was not found in the directory.",
            ),
            TenantNotConsented,
            f"https://login.test/{TENANT}/adminconsent?client_id={CLIENT}",
        ),
        (
            entra(65001, "invalid_grant", "The user or administrator has not consented."),
            TenantNotConsented,
            "grant admin consent",
        ),
        (
            entra(
                7000229, "invalid_client", "The client application is missing service principal."
            ),
            TenantNotConsented,
            "grant admin consent",
        ),
        (
            entra(700027, "invalid_client", "Client assertion failed signature validation."),
            CertificateError,
            "thumbprint ABC",
        ),
        (
            entra(700024, "invalid_client", "Client assertion is not within its valid time range."),
            CertificateError,
            "clock",
        ),
        (
            entra(50012, "invalid_client", "Client assertion contains an invalid signature."),
            CertificateError,
            "Certificates & secrets",
        ),
        (
            entra(50034, "invalid_request", "Something else."),
            AuthenticationError,
            "invalid_request",
        ),
    ],
)
def test_translate_token_error(
    result: dict[str, Any], error_type: type[Exception], expected: str
) -> None:
    error = translate_token_error(
        result,
        tenant_id=TENANT,
        client_id=CLIENT,
        authority_host="https://login.test",
        thumbprint="ABC",
    )
    assert type(error) is error_type
    message = str(error)
    assert expected in message
    assert "Trace ID" not in message
    assert "correlation id c1" in message
    assert error.tenant_id == TENANT


def test_translate_token_exception() -> None:
    kwargs = {"tenant_id": TENANT, "authority_host": "https://login.test", "ca_bundle": "/ca.pem"}
    ssl_error = translate_token_exception(requests.exceptions.SSLError("bad cert"), **kwargs)
    assert isinstance(ssl_error, GraphUnavailable)
    assert "graph.ca_bundle" in str(ssl_error)
    assert "/ca.pem" in str(ssl_error)
    unreachable = translate_token_exception(
        requests.exceptions.ConnectionError("refused"), **kwargs
    )
    assert isinstance(unreachable, GraphUnavailable)
    assert "cannot reach login.test" in str(unreachable)
    missing = translate_token_exception(
        ValueError("Unable to get authority configuration for https://login.test/x."), **kwargs
    )
    assert isinstance(missing, TenantNotFound)
    assert f"https://login.test/{TENANT}" in str(missing)
    assert translate_token_exception(ValueError("something else"), **kwargs) is None


# --- the provider ------------------------------------------------------------------------------


class FakeApp:
    def __init__(self, results: list[dict[str, Any]]) -> None:
        self.results = results
        self.removed = 0
        self.acquired = 0

    def remove_tokens_for_client(self) -> None:
        self.removed += 1

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        assert scopes == ["https://graph.microsoft.com/.default"]
        self.acquired += 1
        return self.results[min(self.acquired, len(self.results)) - 1]


class Factory:
    def __init__(self, app: FakeApp | None = None, error: Exception | None = None) -> None:
        self.app = app
        self.error = error
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> FakeApp:
        self.calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        assert self.app is not None
        return self.app


def secret_credentials() -> TenantCredentials:
    return TenantCredentials(TENANT, CLIENT, AuthKind.CLIENT_SECRET, SECRET)


async def test_secret_provider_builds_msal_lazily_and_refreshes_on_demand() -> None:
    app = FakeApp([{"access_token": "tok-1"}, {"access_token": "tok-2"}])
    factory = Factory(app)
    provider = MsalTokenProvider(
        secret_credentials(), settings(ca_bundle="/ca.pem"), app_factory=factory
    )
    assert factory.calls == []  # nothing happens before the first token request
    assert await provider.token() == "tok-1"
    assert await provider.token(force_refresh=True) == "tok-2"
    assert len(factory.calls) == 1
    args, kwargs = factory.calls[0]
    assert args == (CLIENT,)
    assert kwargs["authority"] == f"https://login.test/{TENANT}"
    assert kwargs["client_credential"] == SECRET
    assert kwargs["instance_discovery"] is False
    session = kwargs["http_client"]
    assert isinstance(session, requests.Session)
    assert session.verify == "/ca.pem"
    assert session.trust_env is False
    assert app.removed == 1


async def test_failed_token_result_becomes_a_typed_error_without_the_secret() -> None:
    app = FakeApp([entra(7000215, "invalid_client", "Invalid client secret provided.")])
    provider = MsalTokenProvider(secret_credentials(), settings(), app_factory=Factory(app))
    with pytest.raises(InvalidClientSecret) as caught:
        await provider.token()
    assert SECRET not in str(caught.value)
    assert f"remit tenant update {TENANT}" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ValueError("Unable to get authority configuration for https://login.test/x"),
            TenantNotFound,
        ),
        (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), GraphUnavailable),
        (requests.exceptions.ConnectionError("refused"), GraphUnavailable),
    ],
)
async def test_construction_failures_are_translated(
    error: Exception, expected: type[Exception]
) -> None:
    factory = Factory(error=error)
    provider = MsalTokenProvider(secret_credentials(), settings(), app_factory=factory)
    with pytest.raises(expected):
        await provider.token()
    with pytest.raises(expected):  # the app is built again on the next try
        await provider.token()
    assert len(factory.calls) == 2


async def test_expired_certificate_is_refused_before_msal_is_touched(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    cert = make_cert(rsa_key, NOW - timedelta(days=400), NOW - timedelta(days=1))
    creds = TenantCredentials(TENANT, CLIENT, AuthKind.CERTIFICATE, pem(rsa_key, cert))
    factory = Factory(FakeApp([{"access_token": "x"}]))
    provider = MsalTokenProvider(creds, settings(), app_factory=factory, now=lambda: NOW)
    with pytest.raises(CertificateError, match="expired on"):
        await provider.token()
    assert factory.calls == []


class FakeEntra:
    """Plays Entra ID for a real msal application: OpenID configuration and token endpoint."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []

    class _Response:
        def __init__(self, body: dict[str, Any]) -> None:
            self.status_code = 200
            self.text = json.dumps(body)
            self.headers: dict[str, str] = {}

        def raise_for_status(self) -> None:
            return None

    def get(self, url: str, **kwargs: Any) -> Any:
        assert url == f"https://login.test/{TENANT}/v2.0/.well-known/openid-configuration"
        base = f"https://login.test/{TENANT}"
        return self._Response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
            }
        )

    def post(self, url: str, data: Any = None, **kwargs: Any) -> Any:
        form = data if isinstance(data, dict) else dict(urllib.parse.parse_qsl(data))
        self.posts.append(form)
        return self._Response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": "real-msal-token"}
        )


async def test_real_msal_signs_a_certificate_assertion_with_our_credential(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    entra_fake = FakeEntra()

    def factory(*args: Any, **kwargs: Any) -> Any:
        kwargs["http_client"] = entra_fake
        return msal.ConfidentialClientApplication(*args, **kwargs)

    creds = TenantCredentials(TENANT, CLIENT, AuthKind.CERTIFICATE, valid_pem(rsa_key))
    provider = MsalTokenProvider(creds, settings(), app_factory=factory, now=lambda: NOW)
    assert await provider.token() == "real-msal-token"
    assert await provider.token() == "real-msal-token"  # cached by msal
    assert len(entra_fake.posts) == 1
    form = entra_fake.posts[0]
    assert "client_secret" not in form
    assertion = form["client_assertion"]
    assertion = assertion.decode() if isinstance(assertion, bytes) else assertion
    header_b64 = assertion.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header["alg"] == "PS256"
    assert "x5t#S256" in header


def test_requests_session_keeps_env_proxies_but_not_env_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = make_requests_session(settings(ca_bundle="/ca.pem"))
    assert session.verify == "/ca.pem"
    assert session.trust_env is False
    assert session.proxies.get("https") == "http://proxy.corp:3128"
    local = make_requests_session(
        settings(ca_bundle="/ca.pem", authority_host="https://127.0.0.1:8443")
    )
    assert "https" not in local.proxies  # NO_PROXY honoured for the authority host
    default = make_requests_session(settings())
    assert default.trust_env is True
