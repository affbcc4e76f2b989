"""Keys, sealing and ids.

A repository has one *keyring* (its master secrets): an id key (keyed BLAKE3 for blob ids), a
chunker seed (FastCDC's gear table, so chunk boundaries leak nothing about content) and one or
more AES-256-GCM data keys numbered by generation. New data is sealed with the newest
generation; older generations stay for reading, so rotating the data key rewrites nothing. The
keyring is stored wrapped in key objects (``keys/<id>``), each with its own key-encryption key:
derived with argon2id from a passphrase, or a 32-byte key from a key file or the environment.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from remit.errors import IntegrityError, RepositoryError
from remit.repository.format import NONCE_SIZE, TAG_SIZE

KEY_SIZE = 32


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id cost, stored in each key object. The default (32 MiB, 3 passes, 4 lanes) is
    well above OWASP's minimum (19 MiB, 2 passes) and keeps a scripted restore's peak memory
    low; RFC 9106's 64 MiB option costs twice the memory for the same passes."""

    salt: bytes
    iterations: int = 3
    memory_kib: int = 32 * 1024
    lanes: int = 4

    def derive(self, passphrase: bytes) -> bytes:
        kdf = Argon2id(
            salt=self.salt,
            length=KEY_SIZE,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(passphrase)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "salt": b64(self.salt),
            "iterations": self.iterations,
            "memory_kib": self.memory_kib,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> KdfParams:
        if doc.get("name") != "argon2id":
            raise RepositoryError(f"unknown key derivation {doc.get('name')!r} in a key object")
        return cls(
            salt=unb64(doc["salt"]),
            iterations=int(doc["iterations"]),
            memory_kib=int(doc["memory_kib"]),
            lanes=int(doc["lanes"]),
        )


@dataclass(slots=True)
class Keyring:
    """The repository's master secrets (never stored unwrapped)."""

    id_key: bytes
    chunker_seed: int
    data_keys: dict[int, bytes] = field(default_factory=dict)
    _ciphers: dict[int, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def generate(cls) -> Keyring:
        return cls(
            id_key=secrets.token_bytes(KEY_SIZE),
            chunker_seed=secrets.randbits(63),
            data_keys={1: secrets.token_bytes(KEY_SIZE)},
        )

    @property
    def current(self) -> int:
        return max(self.data_keys)

    def add_generation(self) -> int:
        generation = self.current + 1
        self.data_keys[generation] = secrets.token_bytes(KEY_SIZE)
        return generation

    def cipher(self, generation: int) -> AESGCM:
        cipher = self._ciphers.get(generation)
        if cipher is not None:
            return cipher
        try:
            cipher = self._ciphers[generation] = AESGCM(self.data_keys[generation])
            return cipher
        except KeyError:
            raise IntegrityError(
                f"data sealed with key generation {generation}, which this keyring does not hold;"
                " the object is damaged or from another repository"
            ) from None

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return blake3.blake3(data, key=self.id_key).digest()

    def to_bytes(self) -> bytes:
        doc = {
            "id_key": b64(self.id_key),
            "chunker_seed": self.chunker_seed,
            "data_keys": {str(g): b64(k) for g, k in sorted(self.data_keys.items())},
        }
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Keyring:
        doc = json.loads(raw)
        return cls(
            id_key=unb64(doc["id_key"]),
            chunker_seed=int(doc["chunker_seed"]),
            data_keys={int(g): unb64(k) for g, k in doc["data_keys"].items()},
        )


def seal(cipher: AESGCM, plaintext: bytes | memoryview, aad: bytes) -> bytes:
    """nonce || AES-256-GCM(plaintext) with ``aad`` authenticated alongside."""
    nonce, sealed = seal_parts(cipher, plaintext, aad)
    return nonce + sealed


def seal_parts(cipher: AESGCM, plaintext: bytes | memoryview, aad: bytes) -> tuple[bytes, bytes]:
    """``seal`` as (nonce, ciphertext and tag), so large blobs are not copied to prepend."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce, cipher.encrypt(nonce, plaintext, aad)


def unseal(cipher: AESGCM, sealed: bytes | memoryview, aad: bytes, what: str) -> bytes:
    view = memoryview(sealed)
    if len(view) < NONCE_SIZE + TAG_SIZE:  # AESGCM would raise a bare ValueError
        raise IntegrityError(
            f"{what} is truncated ({len(view)} bytes): it was damaged; run `remit repo check`"
        )
    try:
        return cipher.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:], aad)
    except InvalidTag:
        raise IntegrityError(
            f"{what} failed authentication: it was damaged or altered; run `remit repo check`"
        ) from None


def content_id(data: bytes | bytearray | memoryview) -> str:
    """The unkeyed BLAKE3 of stored bytes: how pack, index and snapshot objects are named."""
    return blake3.blake3(data).hexdigest()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def generation_header(generation: int) -> bytes:
    return struct.pack("<I", generation)
