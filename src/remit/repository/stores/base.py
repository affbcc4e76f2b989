"""The one small interface every repository backend implements.

Keys are ``/``-separated relative names such as ``config``, ``keys/3f2a…`` or
``data/3f/3f2a…``. Every method is synchronous and thread-safe: the repository calls a store
from a few worker threads at once. Failures of the storage itself (full disk, unreachable
endpoint, access denied) raise ``remit.errors.StorageError`` with a message naming the store and
what to do; a missing object raises ``ObjectMissing``; a conditional create that finds the
object already there raises ``ObjectExists``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias

Payload: TypeAlias = bytes | bytearray | list[bytes]
"""What ``put`` takes: the object's bytes, or its parts in order (a pack is written from its
sealed blobs without first copying them into one buffer)."""


def payload_parts(data: Payload) -> list[bytes] | list[bytes | bytearray]:
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
