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
import threading
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
from remit.repository.seen import SeenBlobs
from remit.repository.snapshots import Snapshot

_IN_FLIGHT = 12 * 1024 * 1024  # memory held for the encoders, read buffers included
_INDEX_EVERY = 32  # packs per index object, so an interrupted backup's work is reusable


class Writer:
    """Blobs go from the caller's thread to encoder threads, which compress, seal, append to
    the open pack of their type and upload it when full. The caller only waits when the
    encoders are more than ``_IN_FLIGHT`` bytes behind, so memory stays bounded."""

    def __init__(self, repo: Repository, *, threads: int = 2) -> None:
        self.repo = repo
        self.keyring = repo.keyring
        self.started = datetime.now(UTC)
        # The session object first, then the marks: a prune that marks after this point sees
        # the session and will not sweep until it ends (see pruner).
        self.session_id = repo.write_object(
            "session",
            SESSIONS_PREFIX,
            {
                "started": self.started.isoformat(),
                "host": socket.gethostname(),
                "pid": os.getpid(),
            },
        )
        marked = marked_packs(repo)
        base = repo.index()
        self._known: MasterIndex = base
        self._marked = marked  # blobs in these packs count as absent (prune will delete them)
        self._session_blobs = SeenBlobs()
        self._cipher = self.keyring.cipher(self.keyring.current)
        self._encoders = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="encode")
        self._futures: set[Future[None]] = set()
        self._failure: BaseException | None = (
            None  # the first encoder failure, raised to the caller
        )
        self._lock = threading.Lock()  # builders, counters and the list of finished packs
        self._room = threading.Condition()
        self._in_flight = 0  # bytes counted by _reserve and not yet released
        self._views: dict[int, int] = {}  # id of a counted buffer -> its chunks in flight
        self._builders = {t: self._new_builder(t) for t in BlobType}
        self._done_packs: list[PackRecord] = []
        self.index_ids: list[str] = []
        self.new_blobs = 0
        self.new_bytes = 0  # raw bytes of blobs this session added
        self.stored_bytes = 0  # bytes written to packs

    # --- adding blobs ---------------------------------------------------------------------------

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return self.keyring.blob_id(data)

    def has(self, blob_id: bytes) -> bool:
        if blob_id in self._session_blobs:
            return True
        found = self._known.get(blob_id)
        return found is not None and found.pack_id not in self._marked

    def add(
        self, blob_type: BlobType, data: bytes | memoryview, blob_id: bytes | None = None
    ) -> bytes:
        """Store ``data`` unless the repository has it already; returns its id."""
        if blob_id is None:
            blob_id = self.keyring.blob_id(data)
        with self._lock:
            if self.has(blob_id):
                return blob_id
            self._session_blobs.add(blob_id)
            self.new_blobs += 1
            self.new_bytes += len(data)
        held = self._reserve(data)
        future = self._encoders.submit(self._encode, blob_type, blob_id, data, held)
        self._futures.add(future)
        future.add_done_callback(self._finished)
        return blob_id

    def _reserve(self, data: bytes | memoryview) -> bytes | bytearray | memoryview:
        """Wait for room, then count the memory ``data`` holds until it is sealed: for a view
        (a chunk of a read buffer), the whole buffer it keeps alive, counted once however many
        of its chunks are in flight. Returns what was counted, for ``_release``."""
        held: bytes | bytearray | memoryview = data
        if isinstance(data, memoryview) and isinstance(data.obj, bytes | bytearray):
            held = data.obj
        with self._room:
            while True:
                views = self._views.get(id(held), 0)
                size = 0 if views else len(held)
                if not size or not self._in_flight or self._in_flight + size <= _IN_FLIGHT:
                    break
                self._room.wait()
            self._in_flight += size
            self._views[id(held)] = views + 1
        self._raise_failures()
        return held

    def _release(self, held: bytes | bytearray | memoryview) -> None:
        with self._room:
            views = self._views.pop(id(held)) - 1
            if views:
                self._views[id(held)] = views
            else:
                self._in_flight -= len(held)
                self._room.notify_all()

    def _finished(self, future: Future[None]) -> None:
        self._futures.discard(future)
        if not future.cancelled() and future.exception() is not None and self._failure is None:
            self._failure = future.exception()

    def _raise_failures(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _encode(
        self,
        blob_type: BlobType,
        blob_id: bytes,
        data: bytes | memoryview,
        held: bytes | bytearray | memoryview,
    ) -> None:
        try:
            parts = blobs.encode(self._cipher, blob_type, blob_id, data)
            full = None
            with self._lock:
                builder = self._builders[blob_type]
                builder.add(blob_id, parts, len(data))
                self.stored_bytes += sum(len(p) for p in parts)
                if builder.size >= self.repo.config.pack_size:
                    full = builder
                    self._builders[blob_type] = self._new_builder(blob_type)
            if full is not None:
                self._upload(full)
        finally:
            del data  # this frame's view of the buffer goes before the buffer is counted free
            self._release(held)

    def _new_builder(self, blob_type: BlobType) -> PackBuilder:
        return PackBuilder(self.keyring, blob_type, self.repo.store.spool)

    def _upload(self, builder: PackBuilder) -> None:
        pack_id, spool = builder.finish()
        try:
            self.repo.store.put(pack_key(pack_id), spool)
        finally:
            spool.discard()
        with self._lock:
            self._done_packs.append(PackRecord(pack_id, builder.generation, builder.entries))
            if len(self._done_packs) < _INDEX_EVERY:
                return
            packs, self._done_packs = self._done_packs, []
        self._write_index(packs)

    def _write_index(self, packs: list[PackRecord]) -> None:
        if packs:
            index_id = self.repo.write_object("index", INDEX_PREFIX, index_document(packs))
            with self._lock:
                self.index_ids.append(index_id)

    # --- finishing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Make every blob added so far durable and indexed."""
        for future in list(self._futures):
            future.result()  # raises the first failure
        self._futures.clear()
        self._raise_failures()
        with self._lock:
            partial = [b for b in self._builders.values() if len(b)]
            self._builders = {t: self._new_builder(t) for t in BlobType}
        for builder in partial:
            self._upload(builder)
        with self._lock:
            packs, self._done_packs = self._done_packs, []
        self._write_index(packs)

    def commit(self, snapshot_doc: dict[str, Any]) -> Snapshot:
        """Flush, then make the snapshot visible (the last write), then end the session."""
        self.flush()
        snapshot_id = self.repo.write_object("snapshot", SNAPSHOTS_PREFIX, snapshot_doc)
        self.close()
        return self.repo.load_snapshot_by_id(snapshot_id)

    def close(self) -> None:
        """End the session without a snapshot (work already durable stays reusable)."""
        for future in self._futures:
            future.cancel()
        self._encoders.shutdown(wait=True)
        for builder in self._builders.values():
            builder.discard()  # unfinished packs of a failed backup (empty after a commit)
        self._session_blobs.close()
        self.repo.store.delete(SESSIONS_PREFIX + self.session_id)
        self.repo.forget_index()  # loaded again when next needed, not now (memory)


def marked_packs(repo: Repository) -> set[str]:
    """Packs a prune has marked for deletion: writers must not reuse their blobs."""
    out: set[str] = set()
    for info in repo.store.list(MARKS_PREFIX):
        mark_id = info.key[len(MARKS_PREFIX) :]
        doc = open_object(repo.keyring, "mark", repo.store.get(info.key), mark_id)
        out.update(doc.get("packs", []))
    return out
