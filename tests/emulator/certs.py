"""Client certificates for certificate-credential tests, made with cryptography."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def make_certificate(*, expired: bool = False) -> tuple[str, str]:
    """(certificate PEM, private key PEM) for an RSA-2048 self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "remit-test-app")])
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=60), now - timedelta(days=1))
        if expired
        else (
            now - timedelta(days=1),
            now + timedelta(days=30),
        )
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_assertion(
    cert_pem: str,
    key_pem: str,
    *,
    client_id: str,
    audience: str,
    algorithm: str = "PS256",
    lifetime: int = 600,
) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    headers = (
        {"x5t#S256": _b64(cert.fingerprint(hashes.SHA256()))}
        if algorithm == "PS256"
        else {"x5t": _b64(cert.fingerprint(hashes.SHA1()))}  # noqa: S303 - Entra's x5t is SHA-1
    )
    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key_pem, algorithm=algorithm, headers=headers)
