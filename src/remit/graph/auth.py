"""App-only tokens from Entra ID (client secret or certificate) through msal.

The msal application is built lazily, in a worker thread, on the first token request: msal
fetches the authority's OpenID configuration when it is constructed. Token requests are
serialised per provider; msal caches the token until shortly before it expires.

Failures become the typed errors of :mod:`remit.errors`, keyed on Entra's AADSTS codes, with
messages that say what failed, why, and what to do. The secret, the private key and the token
never appear in a message or a log.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from remit.config import GraphSettings
from remit.domain import AuthKind, TenantCredentials
from remit.errors import (
    AuthenticationError,
    CertificateError,
    GraphError,
    GraphUnavailable,
    InvalidClientSecret,
    TenantNotConsented,
    TenantNotFound,
)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----.+?-----END (?:RSA |EC |ENCRYPTED )?"
    r"PRIVATE KEY-----",
    re.DOTALL,
)
_AADSTS = re.compile(r"AADSTS(\d+)")


class TokenProvider(Protocol):
    """Something that hands out bearer tokens for Graph."""

    async def token(self, *, force_refresh: bool = False) -> str: ...


# --- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateCredential:
    """A private key and its certificate, parsed and checked."""

    private_key_pem: str
    certificate_pem: str
    thumbprint_sha1: str  # upper-case hex, as the Entra admin center shows it
    thumbprint_sha256: str
    not_before: datetime
    not_after: datetime

    def msal_credential(self) -> dict[str, str]:
        # With no "thumbprint", msal (>= 1.35) derives the SHA-256 thumbprint from the
        # certificate and signs the assertion with PS256 (header x5t#S256), which Entra accepts.
        return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}


def load_certificate_credential(pem_text: str, *, tenant_id: str) -> CertificateCredential:
    """Parse PEM text holding an unencrypted RSA private key and its certificate."""
    update = f"run `remit tenant update {tenant_id} --certificate NEW.pem`"
    block = _PRIVATE_KEY_BLOCK.search(pem_text)
    if block is None:
        raise CertificateError(
            f"the certificate file for tenant {tenant_id} holds no private key; it must "
            f"contain the PEM private key and the certificate; {update} with such a file",
            tenant_id=tenant_id,
        )
    try:
        key = serialization.load_pem_private_key(block.group(0).encode(), password=None)
    except TypeError:
        raise CertificateError(
            f"the private key for tenant {tenant_id} is encrypted; export it without a "
            f"password (e.g. `openssl pkey -in key.pem -out plain.pem`) and {update}",
            tenant_id=tenant_id,
        ) from None
    except ValueError as exc:
        raise CertificateError(
            f"the private key for tenant {tenant_id} cannot be read ({exc}); {update} with a "
            "valid PEM file",
            tenant_id=tenant_id,
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError(
            f"the private key for tenant {tenant_id} is not an RSA key; Entra ID needs an RSA "
            f"certificate for app authentication; {update} with an RSA one",
            tenant_id=tenant_id,
        )
    try:
        certificates = x509.load_pem_x509_certificates(pem_text.encode())
    except ValueError:
        certificates = []
    public = key.public_key().public_numbers()
    matching = [
        c
        for c in certificates
        if isinstance(c.public_key(), rsa.RSAPublicKey)
        and c.public_key().public_numbers() == public  # type: ignore[union-attr]
    ]
    if not matching:
        raise CertificateError(
            f"the certificate file for tenant {tenant_id} holds no certificate matching its "
            f"private key; {update} with the key and its own certificate",
            tenant_id=tenant_id,
        )
    certificate = matching[0]
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return CertificateCredential(
        private_key_pem=key_pem,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        thumbprint_sha1=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303
        thumbprint_sha256=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def check_certificate_validity(
    credential: CertificateCredential, *, tenant_id: str, now: datetime
) -> None:
    """Refuse an expired or not-yet-valid certificate before anything is sent to Entra ID."""
    thumb = credential.thumbprint_sha1
    if now > credential.not_after:
        raise CertificateError(
            f"the certificate for tenant {tenant_id} expired on "
            f"{credential.not_after:%Y-%m-%d} (thumbprint {thumb}); upload a new certificate "
            "to the app registration and run "
            f"`remit tenant update {tenant_id} --certificate NEW.pem`",
            tenant_id=tenant_id,
        )
    if now < credential.not_before:
        raise CertificateError(
            f"the certificate for tenant {tenant_id} is not valid before "
            f"{credential.not_before:%Y-%m-%d %H:%M} UTC (thumbprint {thumb}); check this "
            "computer's clock, or use a certificate that is already valid",
            tenant_id=tenant_id,
        )


# --- translating msal's failures --------------------------------------------------------------


def _first_sentence(description: str) -> str:
    text = description.split("Trace ID:", 1)[0].strip()
    return text.splitlines()[0].strip() if text else ""


def translate_token_error(
    result: Mapping[str, Any],
    *,
    tenant_id: str,
    client_id: str,
    authority_host: str,
    thumbprint: str | None = None,
) -> AuthenticationError:
    """The typed error for an msal result dict without an ``access_token``."""
    description = str(result.get("error_description") or "")
    error = str(result.get("error") or "unknown_error")
    codes = {int(c) for c in result.get("error_codes") or [] if str(c).isdigit()}
    codes |= {int(c) for c in _AADSTS.findall(description)}
    reason = _first_sentence(description) or error
    correlation = result.get("correlation_id")
    said = f"[{reason}" + (f"; correlation id {correlation}]" if correlation else "]")
    consent_url = f"{authority_host}/{tenant_id}/adminconsent?client_id={client_id}"
    secret_help = (
        f"create a new client secret in Entra admin center > App registrations > {client_id} > "
        f"Certificates & secrets, then pipe its value into "
        f"`remit tenant update {tenant_id} --client-secret -`"
    )
    where = f"tenant {tenant_id} (app {client_id})"
    if 7000222 in codes:
        return InvalidClientSecret(
            f"the client secret for {where} has expired {said}; {secret_help}",
            tenant_id=tenant_id,
            code=error,
        )
    if 7000215 in codes:
        return InvalidClientSecret(
            f"Entra ID rejected the client secret for {where} {said}; make sure the secret's "
            f"Value (not its Secret ID) was saved, or {secret_help}",
            tenant_id=tenant_id,
            code=error,
        )
    if 90002 in codes:
        return TenantNotFound(
            f"Entra ID does not know tenant {tenant_id} at {authority_host}/{tenant_id} {said}; "
            "check the tenant id or domain (`remit tenant show`) and graph.authority_host",
            tenant_id=tenant_id,
            code=error,
        )
    if codes & {700016, 65001, 7000229}:
        return TenantNotConsented(
            f"app {client_id} is not consented in tenant {tenant_id} {said}; a Global "
            f"Administrator of that tenant must grant admin consent at {consent_url} , then "
            f"run `remit tenant test {tenant_id}`",
            tenant_id=tenant_id,
            code=error,
        )
    assertion_problem = 50012 in codes and "assertion" in description.lower()
    if codes & {700027, 700024} or assertion_problem:
        thumb = f" (thumbprint {thumbprint})" if thumbprint else ""
        if 700024 in codes:
            advice = "check this computer's clock (the signed assertion is outside its time window)"
        else:
            advice = (
                "upload this certificate (public part) in Entra admin center > App "
                f"registrations > {client_id} > Certificates & secrets, or run "
                f"`remit tenant update {tenant_id} --certificate NEW.pem` with a registered one"
            )
        return CertificateError(
            f"Entra ID rejected the certificate{thumb} for {where} {said}; {advice}",
            tenant_id=tenant_id,
            code=error,
        )
    return AuthenticationError(
        f"Entra ID refused a token for {where}: {error} {said}; check the app registration "
        f"and run `remit tenant test {tenant_id}`",
        tenant_id=tenant_id,
        code=error,
    )


def translate_token_exception(
    exc: Exception, *, tenant_id: str, authority_host: str, ca_bundle: str
) -> GraphError | None:
    """The typed error for an exception raised by msal or requests, or None if unknown."""
    authority = f"{authority_host}/{tenant_id}"
    host = urlsplit(authority_host).netloc or authority_host
    if isinstance(exc, requests.exceptions.SSLError):
        return GraphUnavailable(
            f"cannot verify the TLS certificate of {host} while getting a token for tenant "
            f"{tenant_id} ({type(exc).__name__}); if a TLS-inspecting proxy or a local emulator "
            "sits in between, set graph.ca_bundle to its CA certificate file (now: "
            f"{ca_bundle or 'the system trust store'})",
            tenant_id=tenant_id,
        )
    if isinstance(exc, requests.exceptions.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return GraphUnavailable(
            f"Entra ID at {host} answered HTTP {status} while Remit was getting a token for "
            f"tenant {tenant_id}; this is usually temporary, run again later",
            tenant_id=tenant_id,
            status=status,
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return GraphUnavailable(
            f"cannot reach {host} to get a token for tenant {tenant_id} "
            f"({type(exc).__name__}); check the network, proxy settings (HTTPS_PROXY) and "
            "graph.authority_host, then run again",
            tenant_id=tenant_id,
        )
    if isinstance(exc, ValueError) and "Unable to get authority configuration" in str(exc):
        return TenantNotFound(
            f"Entra ID does not know tenant {tenant_id}: no OpenID configuration at "
            f"{authority}; check the tenant id or domain (`remit tenant show`) and "
            "graph.authority_host",
            tenant_id=tenant_id,
        )
    return None


# --- the provider ----------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_requests_session(settings: GraphSettings) -> requests.Session:
    """The HTTP session msal uses: our CA bundle wins over REQUESTS_CA_BUNDLE; proxies from the
    environment still apply (and NO_PROXY is honoured for the authority host)."""
    session = requests.Session()
    if settings.ca_bundle:
        session.verify = settings.ca_bundle
        session.trust_env = False
        host = urlsplit(settings.authority_host).hostname or ""
        if not urllib.request.proxy_bypass(host):
            proxies = urllib.request.getproxies()
            session.proxies.update({k: v for k, v in proxies.items() if k in ("http", "https")})
    return session


class MsalTokenProvider:
    """App-only tokens for one tenant from msal's ConfidentialClientApplication."""

    def __init__(
        self,
        credentials: TenantCredentials,
        settings: GraphSettings,
        *,
        now: Callable[[], datetime] = _utcnow,
        app_factory: Callable[..., Any] | None = None,
    ) -> None:
        self._credentials = credentials
        self._settings = settings
        self._now = now
        self._app_factory = app_factory
        self._lock = asyncio.Lock()
        self._app: Any = None
        self._certificate: CertificateCredential | None = None

    @property
    def authority(self) -> str:
        return f"{self._settings.authority_host}/{self._credentials.tenant_id}"

    def _client_credential(self) -> str | dict[str, str]:
        creds = self._credentials
        if creds.auth_kind is AuthKind.CLIENT_SECRET:
            return creds.secret
        if self._certificate is None:
            self._certificate = load_certificate_credential(creds.secret, tenant_id=creds.tenant_id)
        check_certificate_validity(self._certificate, tenant_id=creds.tenant_id, now=self._now())
        return self._certificate.msal_credential()

    def _build_app(self, credential: str | dict[str, str]) -> Any:
        factory = self._app_factory
        if factory is None:
            import msal

            factory = msal.ConfidentialClientApplication
        return factory(
            self._credentials.client_id,
            authority=self.authority,
            client_credential=credential,
            instance_discovery=False,
            http_client=make_requests_session(self._settings),
            timeout=self._settings.timeout_seconds,
        )

    def _acquire(self, credential: str | dict[str, str], force_refresh: bool) -> Any:
        """Runs in a worker thread: build the app on first use, then ask for a token."""
        if self._app is None:
            self._app = self._build_app(credential)
        if force_refresh:
            self._app.remove_tokens_for_client()
        return self._app.acquire_token_for_client(scopes=[GRAPH_SCOPE])

    async def token(self, *, force_refresh: bool = False) -> str:
        creds = self._credentials
        async with self._lock:
            credential = self._client_credential()  # refuses an expired certificate first
            try:
                result = await asyncio.to_thread(self._acquire, credential, force_refresh)
            except (ValueError, requests.exceptions.RequestException) as exc:
                error = translate_token_exception(
                    exc,
                    tenant_id=creds.tenant_id,
                    authority_host=self._settings.authority_host,
                    ca_bundle=self._settings.ca_bundle,
                )
                if error is None:
                    raise
                raise error from exc
        if isinstance(result, Mapping) and isinstance(result.get("access_token"), str):
            return str(result["access_token"])
        raise translate_token_error(
            result if isinstance(result, Mapping) else {},
            tenant_id=creds.tenant_id,
            client_id=creds.client_id,
            authority_host=self._settings.authority_host,
            thumbprint=self._certificate.thumbprint_sha1 if self._certificate else None,
        )
