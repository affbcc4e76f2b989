"""Building clients: the TLS context, the factory, and nothing done before the first request."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from remit.domain import AuthKind, TenantCredentials
from remit.errors import ConfigError
from remit.graph import GraphClient, MsalTokenProvider, open_graph_client
from remit.graph.client import tls_context

from ._fakes import settings


def write_ca(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Remit test CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_tls_context_trusts_exactly_the_bundle_and_is_made_once(tmp_path: Path) -> None:
    bundle = str(write_ca(tmp_path / "ca.pem"))
    context = tls_context(bundle)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "Remit test CA"),),)]
    assert tls_context(bundle) is context


def test_unreadable_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"graph\.ca_bundle: cannot load CA certificates"):
        tls_context(str(tmp_path / "missing.pem"))


async def test_open_graph_client_wires_msal_and_touches_no_network(tmp_path: Path) -> None:
    creds = TenantCredentials("tenant-z", "client-z", AuthKind.CLIENT_SECRET, "secret")
    conf = settings(ca_bundle=str(write_ca(tmp_path / "ca.pem")))
    client = open_graph_client(creds, conf)
    assert isinstance(client, GraphClient)
    assert client.tenant_id == "tenant-z"
    assert client.client_id == "client-z"
    assert isinstance(client._tokens, MsalTokenProvider)
    assert client._tokens.authority == "https://login.test/tenant-z"
    assert client.stats.total().requests == 0
    await client.aclose()
