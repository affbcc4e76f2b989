"""The one small interface every repository backend implements.

Keys are ``/``-separated relative names such as ``config``, ``keys/3f2a…`` or
``data/3f/3f2a…``. Every method is synchronous and thread-safe: the repository calls a store
from a few worker threads at once. Failures of the storage itself (full disk, unreachable
endpoint, access denied) raise ``remit.errors.StorageError`` with a message naming the store and
what to do; a missing object raises ``ObjectMissing``; a conditional create that finds the
object already there raises ``ObjectExists``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeAlias

_SPOOL_BLOCK = 1024 * 1024


class Spool:
    """A temporary file an object is written into before ``put`` publishes it, so a pack's
    bytes never sit in memory. ``path`` is set when the file lies inside the store (the local
    store then renames it into place instead of copying it); an anonymous spool has none."""

    def __init__(
        self,
        file: BinaryIO,
        path: Path | None = None,
        *,
        failure: Callable[[OSError], Exception] | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self.size = 0
        self._failure = failure  # turns a failed write (a full disk) into the store's error

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self.file.write(data)
        except OSError as exc:
            if self._failure is None:
                raise
            raise self._failure(exc) from exc
        self.size += len(data)

    def blocks(self) -> Iterator[bytes]:
        """The spooled bytes from the start, a block at a time."""
        self.file.flush()
        self.file.seek(0)
        while block := self.file.read(_SPOOL_BLOCK):
            yield block

    def discard(self) -> None:
        """Close and remove the file (a published spool has been renamed away already)."""
        with contextlib.suppress(OSError):
            self.file.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)


Payload: TypeAlias = bytes | bytearray | list[bytes] | Spool
"""What ``put`` takes: the object's bytes, its parts in order, or a spool holding them."""


def payload_parts(data: Payload) -> Iterable[bytes | bytearray]:
    if isinstance(data, Spool):
        return data.blocks()
    return data if isinstance(data, list) else [data]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int


class Store(Protocol):
    """An object store as the repository sees it."""

    @property
    def location(self) -> str:
        """Where the store is, for messages: a path or an ``s3://bucket/prefix`` URL."""
        ...

    def put(self, key: str, data: Payload, *, exclusive: bool = False) -> None:
        """Store ``data`` under ``key`` atomically: readers see all of it or nothing.

        With ``exclusive=True`` the write is a conditional create: if ``key`` exists already,
        nothing is written and ``ObjectExists`` is raised.
        """
        ...

    def spool(self) -> Spool:
        """A new temporary file to build an object in, published with ``put(key, spool)``
        and then ``discard``-ed by the caller (whatever happened)."""
        ...

    def clean_temporary(self, older_than_s: float) -> int:
        """Remove what crashed writers left in the store that no listing shows (a local
        store's half-written files), older than ``older_than_s`` seconds; how many went."""
        ...

    def get(self, key: str) -> bytes:
        """The whole object; ``ObjectMissing`` if there is none."""
        ...

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer only at the end of the object)."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes; ``ObjectMissing`` if there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (e.g. ``"snapshots/"``), any order."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing object is not an error."""
        ...
