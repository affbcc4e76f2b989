"""The ids of the blobs one writer session has added, with memory bounded.

A backup must not store a blob twice, so it remembers every id it added. Up to ``SPILL`` ids
stay in a set; beyond that they move to a temporary SQLite file (a B-tree on disk with a small
page cache), so backing up ten times the data does not take ten times the memory for this.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading

SPILL = 4_096  # ids kept in memory (about 0.5 MiB) before they move to disk


class SeenBlobs:
    def __init__(self, spill: int = SPILL) -> None:
        self._recent: set[bytes] = set()
        self._spill_at = spill
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None
        self._lock = threading.Lock()

    def __contains__(self, blob_id: bytes) -> bool:
        with self._lock:
            if blob_id in self._recent:
                return True
            if self._db is None:
                return False
            row = self._db.execute("SELECT 1 FROM ids WHERE id = ?", (blob_id,)).fetchone()
            return row is not None

    def add(self, blob_id: bytes) -> None:
        with self._lock:
            self._recent.add(blob_id)
            if len(self._recent) >= self._spill_at:
                self._spill()

    def _spill(self) -> None:
        if self._db is None:
            fd, self._path = tempfile.mkstemp(prefix="remit-seen-", suffix=".sqlite")
            os.close(fd)
            self._db = sqlite3.connect(self._path, check_same_thread=False)
            self._db.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                " PRAGMA cache_size = -2048;"  # 2 MiB of pages
                " CREATE TABLE ids (id BLOB PRIMARY KEY) WITHOUT ROWID;"
            )
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO ids VALUES (?)", ((i,) for i in sorted(self._recent))
            )
        self._recent = set()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._path)
                self._path = None
