"""Sealed repository objects: index, snapshot, session, mark and hold documents.

An object is ``OBJECT_MAGIC | kind (8 bytes) | generation (u32 LE) | nonce |
AES-256-GCM(zstd(JSON))`` with the first 20 bytes as associated data, and it is stored under
the BLAKE3 of its bytes, so its name and contents are authenticated and a swapped or truncated
object is detected.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import zstandard

from remit.errors import IntegrityError
from remit.repository.crypto import Keyring, content_id, seal, unseal
from remit.repository.format import OBJECT_MAGIC

_HEAD = struct.Struct("<8s8sI")
KINDS = ("index", "snapshot", "session", "mark", "hold", "config")


def _kind_tag(kind: str) -> bytes:
    if kind not in KINDS:
        raise ValueError(f"unknown object kind {kind!r}")
    return kind.encode().ljust(8, b"\0")


def seal_object(keyring: Keyring, kind: str, doc: dict[str, Any]) -> tuple[str, bytes]:
    """The object's id (BLAKE3 of its bytes) and its bytes."""
    generation = keyring.current
    head = _HEAD.pack(OBJECT_MAGIC, _kind_tag(kind), generation)
    body = zstandard.ZstdCompressor(level=3).compress(
        json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    )
    raw = head + seal(keyring.cipher(generation), body, head)
    return content_id(raw), raw


def open_object(keyring: Keyring, kind: str, raw: bytes, name: str) -> dict[str, Any]:
    """Verify ``raw`` against its ``name`` ("" for objects not named by content), open it."""
    what = f"{kind} object {name or '(unnamed)'}"
    if name and content_id(raw) != name:
        raise IntegrityError(f"{what} does not match its name: it was damaged or altered")
    if len(raw) < _HEAD.size:
        raise IntegrityError(f"{what} is truncated ({len(raw)} bytes)")
    magic, tag, generation = _HEAD.unpack_from(raw)
    if magic != OBJECT_MAGIC or tag != _kind_tag(kind):
        raise IntegrityError(f"{what} is not a {kind} object (bad header)")
    body = unseal(keyring.cipher(generation), raw[_HEAD.size :], raw[: _HEAD.size], what)
    try:
        doc = json.loads(zstandard.ZstdDecompressor().decompress(body))
    except (zstandard.ZstdError, ValueError) as exc:
        raise IntegrityError(f"{what} is authenticated but unreadable: {exc}") from None
    if not isinstance(doc, dict):
        raise IntegrityError(f"{what} does not hold a document")
    return doc
