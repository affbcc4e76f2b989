"""Child process of ``test_crash``: back up a folder and SIGKILL itself at the N-th store write.

Usage: ``python -m tests.repository.crash_writer REPO SOURCE LOG KILL_AT MODE``, with MODE one of

- ``before``: die just before the N-th write (``put`` or ``delete``) reaches the store;
- ``partial``: for a ``put``, let the LocalStore create its ``.tmp-`` file and write half of the
  bytes into it, then die (for a ``delete``, die before it);
- ``after``: die right after the N-th write completed.

Every write is logged to LOG (``N put|delete KEY``) before it is attempted, so the test knows
where the process died. A run with fewer than N writes completes and exits 0.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from remit.repository.repository import Repository
from remit.repository.stores import LocalStore
from remit.repository.stores.base import ObjectInfo, Payload, Spool
from tests.repository.builders import PASSPHRASE
from tests.repository.helpers import backup

MODES = ("before", "partial", "after")
_local = threading.local()


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class HalfThenDie(io.FileIO):
    """The LocalStore's temporary file: half of the first write lands on disk, then SIGKILL."""

    def write(self, data: object) -> int:
        assert isinstance(data, bytes | bytearray | memoryview)
        super().write(bytes(data[: len(data) // 2]))
        self.flush()
        os.fsync(self.fileno())
        die()
        raise AssertionError("unreachable")


def opener(fd: int) -> BinaryIO:
    if getattr(_local, "partial", False):
        return HalfThenDie(fd, "wb")
    return os.fdopen(fd, "wb")


class KillingStore:
    """A LocalStore that counts writes and kills the process at write number ``kill_at``."""

    def __init__(self, root: Path, kill_at: int, mode: str, log: Path) -> None:
        self.inner = LocalStore(root, opener=opener)
        self.kill_at = kill_at
        self.mode = mode
        self._log = log.open("a", buffering=1)
        self._count = 0
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return self.inner.location

    def _tick(self, op: str, key: str) -> bool:
        """Log the write; die now if asked; True if the process must die after it."""
        with self._lock:
            self._count += 1
            n = self._count
            self._log.write(f"{n} {op} {key}\n")
        if n != self.kill_at:
            return False
        if self.mode == "before" or (self.mode == "partial" and op == "delete"):
            die()
        if self.mode == "partial":
            _local.partial = True
        return self.mode == "after"

    def put(self, key: str, data: Payload, *, exclusive: bool = False) -> None:
        die_after = self._tick("put", key)
        self.inner.put(key, data, exclusive=exclusive)
        if die_after:
            die()

    def spool(self) -> Spool:
        return self.inner.spool()

    def clean_temporary(self, older_than_s: float) -> int:
        return self.inner.clean_temporary(older_than_s)

    def delete(self, key: str) -> None:
        die_after = self._tick("delete", key)
        self.inner.delete(key)
        if die_after:
            die()

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        return self.inner.get_range(key, offset, length)

    def size(self, key: str) -> int:
        return self.inner.size(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)


def main(argv: list[str]) -> int:
    repo_path, source, log, kill_at, mode = argv
    assert mode in MODES, mode
    store = KillingStore(Path(repo_path), int(kill_at), mode, Path(log))
    repo = Repository.open(store, PASSPHRASE)
    snapshot = backup(repo, Path(source))
    print(snapshot.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
