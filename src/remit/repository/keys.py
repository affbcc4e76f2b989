"""Key objects: the keyring wrapped for one passphrase or one raw key (``keys/<id>``).

A key object is plain JSON (it must be readable before the repository is open)::

    {"format": "remit-repository-key", "version": 1, "kind": "passphrase" | "raw",
     "kdf": {...argon2id parameters...} (passphrase only), "created": ISO-8601,
     "host": ..., "user": ..., "keyring": base64(nonce | AES-256-GCM(keyring JSON))}

The associated data binds the wrapped keyring to its repository id and key id.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from remit.errors import InvalidInput, RepositoryError
from remit.repository.crypto import KEY_SIZE, KdfParams, Keyring, b64, seal, unb64
from remit.repository.format import FORMAT_VERSION, NONCE_SIZE

KEY_FORMAT = "remit-repository-key"


@dataclass(frozen=True, slots=True)
class Passphrase:
    value: bytes


@dataclass(frozen=True, slots=True)
class RawKey:
    """A 32-byte key-encryption key from a key file or the environment (base64 text)."""

    value: bytes

    @classmethod
    def parse(cls, text: str, source: str) -> RawKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_SIZE:
            raise InvalidInput(
                f"{source} does not hold a repository key (base64 of {KEY_SIZE} bytes);"
                " create one with `remit repo key add --new-key-file PATH`"
            )
        return cls(raw)

    @classmethod
    def generate(cls) -> RawKey:
        return cls(secrets.token_bytes(KEY_SIZE))

    def text(self) -> str:
        return base64.b64encode(self.value).decode() + "\n"


Credential = Passphrase | RawKey


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    kind: str
    created: str
    host: str
    user: str


def _aad(repo_id: str, key_id: str) -> bytes:
    return f"{KEY_FORMAT}:{repo_id}:{key_id}".encode()


def wrap(
    keyring: Keyring, credential: Credential, repo_id: str, key_id: str, kdf: KdfParams | None
) -> bytes:
    """A key object's bytes for ``credential``."""
    doc: dict[str, Any] = {
        "format": KEY_FORMAT,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "user": _user(),
    }
    if isinstance(credential, Passphrase):
        params = kdf or KdfParams(salt=os.urandom(16))
        kek = params.derive(credential.value)
        doc["kind"] = "passphrase"
        doc["kdf"] = params.to_json()
    else:
        kek = credential.value
        doc["kind"] = "raw"
    doc["keyring"] = b64(seal(AESGCM(kek), keyring.to_bytes(), _aad(repo_id, key_id)))
    return json.dumps(doc, indent=1, sort_keys=True).encode()


def read_info(raw: bytes, key_id: str) -> tuple[KeyInfo, dict[str, Any]]:
    try:
        doc = json.loads(raw)
        if doc.get("format") != KEY_FORMAT:
            raise ValueError("not a key object")
        info = KeyInfo(
            key_id,
            str(doc["kind"]),
            str(doc["created"]),
            str(doc.get("host", "")),
            str(doc.get("user", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryError(f"key object keys/{key_id} is malformed: {exc}") from None
    if int(doc.get("version", 0)) > FORMAT_VERSION:
        raise RepositoryError(
            f"key object keys/{key_id} has format version {doc['version']}, newer than this"
            f" Remit reads ({FORMAT_VERSION}); upgrade Remit"
        )
    return info, doc


def unwrap(
    doc: dict[str, Any], credential: Credential, repo_id: str, key_id: str
) -> Keyring | None:
    """The keyring, or None when ``credential`` does not open this key object."""
    try:
        if isinstance(credential, Passphrase):
            if doc["kind"] != "passphrase":
                return None
            kek = KdfParams.from_json(doc["kdf"]).derive(credential.value)
        else:
            if doc["kind"] != "raw":
                return None
            kek = credential.value
        sealed = unb64(doc["keyring"])
        if len(sealed) < NONCE_SIZE + 16:
            raise ValueError("the wrapped keyring is truncated")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # binascii.Error too
        raise RepositoryError(
            f"key object keys/{key_id} is malformed ({type(exc).__name__}: {exc}); open the"
            " repository with another key, or restore the key object from a copy"
        ) from None
    try:
        plain = AESGCM(kek).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], _aad(repo_id, key_id))
    except InvalidTag:
        return None
    return Keyring.from_bytes(plain)


def new_key_id() -> str:
    return secrets.token_hex(16)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
