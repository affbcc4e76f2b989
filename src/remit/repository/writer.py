"""A writer session: dedup, encode and pack blobs, upload packs, then indexes, then a snapshot.

Order is what makes a crash harmless: packs are durable before the index that lists them, and
the index before the snapshot that needs it, so a snapshot is visible only when everything it
references is. A crash leaves at most packs (and indexes) no snapshot refers to; prune removes
them. No global lock: packs and indexes are content-named, snapshots are conditional creates.
Blobs in packs marked for deletion (see ``prune``) are never deduplicated against.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from remit.repository import blobs
from remit.repository.format import (
    INDEX_PREFIX,
    MARKS_PREFIX,
    SESSIONS_PREFIX,
    SNAPSHOTS_PREFIX,
    BlobType,
    pack_key,
)
from remit.repository.index import MasterIndex, PackRecord, index_document
from remit.repository.objects import open_object
from remit.repository.packs import PackBuilder
from remit.repository.repository import Repository
from remit.repository.snapshots import Snapshot

_MAX_ENCODING = 4  # blobs being compressed and sealed at once (bounds memory)
_MAX_UPLOADING = 1  # finished packs being uploaded at once
_INDEX_EVERY = 32  # packs per index object, so an interrupted backup's work is reusable


class Writer:
    def __init__(self, repo: Repository, *, threads: int = 2) -> None:
        self.repo = repo
        self.keyring = repo.keyring
        self.started = datetime.now(UTC)
        marked = marked_packs(repo)
        base = repo.index()
        self._known: MasterIndex = base.without_packs(marked) if marked else base
        self._session_blobs: set[bytes] = set()
        self._cipher = self.keyring.cipher(self.keyring.current)
        self._encoders = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="encode")
        self._uploaders = ThreadPoolExecutor(max_workers=_MAX_UPLOADING, thread_name_prefix="pack")
        self._encoding: deque[Future[tuple[BlobType, bytes, bytes, int]]] = deque()
        self._uploading: deque[Future[PackRecord]] = deque()
        self._builders = {t: PackBuilder(self.keyring, t) for t in BlobType}
        self._done_packs: list[PackRecord] = []
        self.index_ids: list[str] = []
        self.new_blobs = 0
        self.new_bytes = 0  # raw bytes of blobs this session added
        self.stored_bytes = 0  # bytes written to packs
        self.session_id = repo.write_object(
            "session",
            SESSIONS_PREFIX,
            {
                "started": self.started.isoformat(),
                "host": socket.gethostname(),
                "pid": os.getpid(),
            },
        )

    # --- adding blobs ---------------------------------------------------------------------------

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return self.keyring.blob_id(data)

    def has(self, blob_id: bytes) -> bool:
        return blob_id in self._session_blobs or blob_id in self._known

    def add(self, blob_type: BlobType, data: bytes, blob_id: bytes | None = None) -> bytes:
        """Store ``data`` unless the repository has it already; returns its id."""
        if blob_id is None:
            blob_id = self.keyring.blob_id(data)
        if self.has(blob_id):
            return blob_id
        self._session_blobs.add(blob_id)
        self.new_blobs += 1
        self.new_bytes += len(data)
        self._encoding.append(self._encoders.submit(self._encode, blob_type, blob_id, data))
        while len(self._encoding) > _MAX_ENCODING:
            self._take_encoded()
        return blob_id

    def _encode(
        self, blob_type: BlobType, blob_id: bytes, data: bytes
    ) -> tuple[BlobType, bytes, bytes, int]:
        return blob_type, blob_id, blobs.encode(self._cipher, blob_type, blob_id, data), len(data)

    def _take_encoded(self) -> None:
        blob_type, blob_id, sealed, raw_length = self._encoding.popleft().result()
        builder = self._builders[blob_type]
        builder.add(blob_id, sealed, raw_length)
        self.stored_bytes += len(sealed)
        if builder.size >= self.repo.config.pack_size:
            self._ship(blob_type)

    def _ship(self, blob_type: BlobType) -> None:
        builder = self._builders[blob_type]
        self._builders[blob_type] = PackBuilder(self.keyring, blob_type)
        self._uploading.append(self._uploaders.submit(self._upload, builder))
        while len(self._uploading) > _MAX_UPLOADING:
            self._done_packs.append(self._uploading.popleft().result())
        if len(self._done_packs) >= _INDEX_EVERY:
            self._write_index()

    def _upload(self, builder: PackBuilder) -> PackRecord:
        pack_id, raw = builder.finish()
        self.repo.store.put(pack_key(pack_id), raw)
        return PackRecord(pack_id, builder.generation, builder.entries)

    def _write_index(self) -> None:
        if self._done_packs:
            doc = index_document(self._done_packs)
            self.index_ids.append(self.repo.write_object("index", INDEX_PREFIX, doc))
            self._done_packs = []

    # --- finishing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Make every blob added so far durable and indexed."""
        while self._encoding:
            self._take_encoded()
        for blob_type, builder in list(self._builders.items()):
            if len(builder):
                self._ship(blob_type)
        while self._uploading:
            self._done_packs.append(self._uploading.popleft().result())
        self._write_index()

    def commit(self, snapshot_doc: dict[str, Any]) -> Snapshot:
        """Flush, then make the snapshot visible (the last write), then end the session."""
        self.flush()
        snapshot_id = self.repo.write_object("snapshot", SNAPSHOTS_PREFIX, snapshot_doc)
        self.close()
        return self.repo.load_snapshot_by_id(snapshot_id)

    def close(self) -> None:
        """End the session without a snapshot (work already durable stays reusable)."""
        for future in self._encoding:
            future.cancel()
        self._encoders.shutdown(wait=True)
        self._uploaders.shutdown(wait=True)
        self.repo.store.delete(SESSIONS_PREFIX + self.session_id)
        self.repo.index(reload=True)


def marked_packs(repo: Repository) -> set[str]:
    """Packs a prune has marked for deletion: writers must not reuse their blobs."""
    out: set[str] = set()
    for info in repo.store.list(MARKS_PREFIX):
        mark_id = info.key[len(MARKS_PREFIX) :]
        doc = open_object(repo.keyring, "mark", repo.store.get(info.key), mark_id)
        out.update(doc.get("packs", []))
    return out
