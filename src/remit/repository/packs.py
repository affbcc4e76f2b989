"""Pack files: many sealed blobs in one object, with an authenticated header at the end.

``PACK_MAGIC | generation (u32 LE) | blob … blob | sealed header | header length (u32 LE) |
PACK_TRAILER_MAGIC``. The sealed header (AAD = the first 12 bytes) lists every blob as
``type (u8) | id (32) | offset (u64) | length (u32) | raw length (u64)``; it lets an index be
rebuilt from the packs alone. A pack is named by the BLAKE3 of all its bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import blake3

from remit.errors import IntegrityError
from remit.repository.crypto import Keyring, content_id, seal, unseal
from remit.repository.format import PACK_MAGIC, PACK_TRAILER_MAGIC, BlobType
from remit.repository.stores.base import Spool

_PREFIX = struct.Struct("<8sI")
_ENTRY = struct.Struct("<B32sQIQ")
_TAIL = struct.Struct("<I8s")
TAIL_SIZE = _TAIL.size


@dataclass(frozen=True, slots=True)
class PackEntry:
    blob_type: BlobType
    blob_id: bytes
    offset: int
    length: int
    raw_length: int


class PackBuilder:
    """Collects sealed blobs of one type until the pack is full, writing them straight into a
    spool file from ``new_spool`` (made at the first blob) so the pack is never in memory."""

    def __init__(
        self, keyring: Keyring, blob_type: BlobType, new_spool: Callable[[], Spool]
    ) -> None:
        self.keyring = keyring
        self.blob_type = blob_type
        self.generation = keyring.current
        self._prefix = _PREFIX.pack(PACK_MAGIC, self.generation)
        self._new_spool = new_spool
        self._spool: Spool | None = None
        self._hasher = blake3.blake3()
        self.size = len(self._prefix)
        self.entries: list[PackEntry] = []

    def add(self, blob_id: bytes, parts: list[bytes], raw_length: int) -> None:
        """Append one sealed blob, given as the parts ``blobs.encode`` made."""
        if self._spool is None:
            self._spool = self._new_spool()
            self._write(self._prefix)
        length = sum(len(p) for p in parts)
        for part in parts:
            self._write(part)
        self.entries.append(PackEntry(self.blob_type, blob_id, self.size, length, raw_length))
        self.size += length

    def _write(self, part: bytes) -> None:
        assert self._spool is not None
        self._spool.write(part)
        self._hasher.update(part)

    def __len__(self) -> int:
        return len(self.entries)

    def finish(self) -> tuple[str, Spool]:
        """The pack's id and the spool holding all its bytes, for ``Store.put``; the caller
        discards the spool afterwards."""
        assert self._spool is not None, "an empty pack is never written"
        header = b"".join(
            _ENTRY.pack(e.blob_type, e.blob_id, e.offset, e.length, e.raw_length)
            for e in self.entries
        )
        sealed = seal(self.keyring.cipher(self.generation), header, self._prefix)
        self._write(sealed)
        self._write(_TAIL.pack(len(sealed), PACK_TRAILER_MAGIC))
        spool, self._spool = self._spool, None
        return self._hasher.hexdigest(), spool

    def discard(self) -> None:
        """Drop an unfinished pack (the backup failed or was cancelled)."""
        if self._spool is not None:
            self._spool.discard()
            self._spool = None


def pack_generation(head: bytes, name: str) -> int:
    if len(head) < _PREFIX.size:
        raise IntegrityError(f"pack {name} is truncated")
    magic, generation = _PREFIX.unpack_from(head)
    if magic != PACK_MAGIC:
        raise IntegrityError(f"pack {name} does not start with the pack magic")
    return int(generation)


def header_length(tail: bytes, name: str) -> int:
    """The sealed header's length, read from the pack's last ``TAIL_SIZE`` bytes."""
    if len(tail) != TAIL_SIZE:
        raise IntegrityError(f"pack {name} is truncated")
    length, magic = _TAIL.unpack(tail)
    if magic != PACK_TRAILER_MAGIC:
        raise IntegrityError(f"pack {name} does not end with the pack trailer")
    return int(length)


def read_header(
    keyring: Keyring, prefix: bytes, sealed_header: bytes, name: str
) -> list[PackEntry]:
    generation = pack_generation(prefix, name)
    plain = unseal(
        keyring.cipher(generation), sealed_header, prefix[: _PREFIX.size], f"header of pack {name}"
    )
    if len(plain) % _ENTRY.size:
        raise IntegrityError(f"header of pack {name} has a partial entry")
    entries = []
    for t, blob_id, offset, length, raw_length in _ENTRY.iter_unpack(plain):
        entries.append(PackEntry(BlobType(t), blob_id, offset, length, raw_length))
    return entries


def parse_pack(keyring: Keyring, raw: bytes, name: str) -> list[PackEntry]:
    """Verify a whole pack against its name and return its header's entries."""
    if content_id(raw) != name:
        raise IntegrityError(f"pack {name} does not match its name: it was damaged or altered")
    length = header_length(raw[-TAIL_SIZE:], name)
    start = len(raw) - TAIL_SIZE - length
    if start < _PREFIX.size:
        raise IntegrityError(f"pack {name} has a header longer than the pack")
    return read_header(keyring, raw[: _PREFIX.size], raw[start : len(raw) - TAIL_SIZE], name)


PREFIX_SIZE = _PREFIX.size
