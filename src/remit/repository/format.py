"""Names and constants of the repository format (version 1), documented in
``docs/internals/repository.md``. Changing anything here changes the on-disk contract."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

FORMAT_NAME: Final = "remit-repository"
FORMAT_VERSION: Final = 1

ID_SIZE: Final = 32  # bytes of a blob, pack, index or snapshot id (BLAKE3)
NONCE_SIZE: Final = 12  # AES-256-GCM nonce
TAG_SIZE: Final = 16

CONFIG_KEY: Final = "config"
KEYS_PREFIX: Final = "keys/"
DATA_PREFIX: Final = "data/"
INDEX_PREFIX: Final = "index/"
SNAPSHOTS_PREFIX: Final = "snapshots/"
SESSIONS_PREFIX: Final = "sessions/"
MARKS_PREFIX: Final = "marks/"

PACK_MAGIC: Final = b"RMTPACK1"
PACK_TRAILER_MAGIC: Final = b"RMTPEND1"
OBJECT_MAGIC: Final = b"RMTOBJ1\n"  # sealed index, snapshot, session and mark objects

PACK_TARGET_SIZE: Final = 16 * 1024 * 1024  # a pack is closed once it holds this much
CHUNK_MIN: Final = 256 * 1024
CHUNK_AVG: Final = 1024 * 1024
CHUNK_MAX: Final = 4 * 1024 * 1024


class BlobType(IntEnum):
    """What a blob holds; data and tree blobs live in separate packs."""

    DATA = 0  # file content (whole small files, chunks of large ones, decoded MIME parts)
    TREE = 1  # a directory listing or another metadata document


def pack_key(pack_id: str) -> str:
    return f"{DATA_PREFIX}{pack_id[:2]}/{pack_id}"


def pack_id_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]
