"""The repository's ``config`` object: format version, id and chunker parameters.

Plain JSON, so a newer format is recognised before any key is tried; a keyed BLAKE3 MAC (with
the keyring's id key) authenticates it once the repository is open.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import blake3

from remit.errors import IntegrityError, RepositoryError
from remit.repository.crypto import Keyring
from remit.repository.format import (
    CHUNK_AVG,
    CHUNK_MAX,
    CHUNK_MIN,
    FORMAT_NAME,
    FORMAT_VERSION,
    PACK_TARGET_SIZE,
)


@dataclass(frozen=True, slots=True)
class RepoConfig:
    repo_id: str
    version: int
    created: str
    chunk_min: int
    chunk_avg: int
    chunk_max: int
    pack_size: int

    @classmethod
    def new(cls) -> RepoConfig:
        return cls(
            repo_id=secrets.token_hex(16),
            version=FORMAT_VERSION,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            chunk_min=CHUNK_MIN,
            chunk_avg=CHUNK_AVG,
            chunk_max=CHUNK_MAX,
            pack_size=PACK_TARGET_SIZE,
        )

    def _body(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "id": self.repo_id,
            "created": self.created,
            "chunker": {
                "algorithm": "fastcdc-2020",
                "min": self.chunk_min,
                "avg": self.chunk_avg,
                "max": self.chunk_max,
            },
            "pack_size": self.pack_size,
            "cipher": "aes-256-gcm",
            "compression": "zstd",
            "id_hash": "blake3-keyed",
        }

    def to_bytes(self, keyring: Keyring) -> bytes:
        body = self._body()
        body["mac"] = _mac(keyring, body)
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes, location: str) -> RepoConfig:
        """Read the config without a key: checks that it is a repository of a version we read."""
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
                raise ValueError("no remit-repository format marker")
            version = int(doc["version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RepositoryError(
                f"{location} is not a Remit repository ({exc}); give the right --repo"
            ) from None
        if version > FORMAT_VERSION:
            raise RepositoryError(
                f"the repository at {location} has format version {version}, newer than this"
                f" Remit reads ({FORMAT_VERSION}); upgrade Remit to use it (nothing was changed)"
            )
        try:
            chunker = doc["chunker"]
            return cls(
                repo_id=str(doc["id"]),
                version=version,
                created=str(doc["created"]),
                chunk_min=int(chunker["min"]),
                chunk_avg=int(chunker["avg"]),
                chunk_max=int(chunker["max"]),
                pack_size=int(doc["pack_size"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RepositoryError(f"the config of {location} is malformed: {exc}") from None

    def verify(self, raw: bytes, keyring: Keyring) -> None:
        doc = json.loads(raw)
        mac = doc.pop("mac", None)
        if mac != _mac(keyring, doc) or doc != self._body():
            raise IntegrityError(
                "the repository config failed authentication: it was altered or belongs to"
                " another repository's keys"
            )


def _mac(keyring: Keyring, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return blake3.blake3(b"remit-config\0" + canonical, key=keyring.id_key).hexdigest()
