"""Inventory snapshots of one tenant: content-addressed, compressed, deduplicated.

A snapshot maps keys (Graph paths relative to ``/v1.0/``, e.g. ``users``) to the JSON body Graph
returned. Each body is stored once per tenant as a blob: its canonical JSON, compressed with
zstd, addressed by the BLAKE3 hash of the canonical JSON. A body that did not change since the
last collection costs one entry row and no new blob. Every read verifies the hash.

:class:`SnapshotRepository` is bound to one tenant; every statement it issues filters by that
tenant, so one tenant's repository cannot read, list or delete another tenant's rows.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import blake3
import zstandard
from sqlalchemy import Select, and_, delete, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from remit.domain import (
    CollectionStatus,
    EndpointOutcome,
    EndpointResult,
    EndpointStats,
    SnapshotInfo,
)
from remit.errors import DatabaseError, InvalidInput, NotFound
from remit.store.models import KEY_LENGTH, Blob, Snapshot, SnapshotEntry
from remit.store.tenants import TenantInfo

COMPRESSION_LEVEL = 10
_CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that Remit hashes and stores."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Graph can return lone surrogates (\ud800) in strings; keep them instead of failing.
    return text.encode("utf-8", "surrogatepass")


def content_hash(data: bytes) -> str:
    """BLAKE3 of ``data``, hex: the content address of a blob or a manifest."""
    return str(blake3.blake3(data).hexdigest())


@dataclass(frozen=True, slots=True)
class PruneResult:
    snapshots_deleted: int
    blobs_deleted: int
    bytes_freed: int  # compressed bytes of the deleted blobs


class SnapshotRepository:
    """The snapshots of one tenant, in one session. The caller commits (``Workspace.session``)."""

    def __init__(
        self, session: Session, tenant: TenantInfo, *, compression_level: int = COMPRESSION_LEVEL
    ) -> None:
        self._session = session
        self._tenant_pk = tenant.pk
        self._tenant_id = tenant.tenant_id
        self._tenant_name = tenant.name
        self._level = compression_level
        self._compressor: zstandard.ZstdCompressor | None = None
        self._decompressor: zstandard.ZstdDecompressor | None = None

    # --- the one place that scopes statements to the tenant --------------------------------

    def _snapshots(self) -> Select[Snapshot]:
        return select(Snapshot).where(Snapshot.tenant_pk == self._tenant_pk)

    # --- writing ---------------------------------------------------------------------------

    def save(
        self,
        payloads: Mapping[str, Any],
        *,
        status: CollectionStatus,
        started_at: datetime,
        finished_at: datetime,
        endpoint_results: Sequence[EndpointResult] = (),
        request_stats: Mapping[str, EndpointStats] | None = None,
        http_requests: int = 0,
        error: str | None = None,
    ) -> SnapshotInfo:
        """Store one collection in one transaction (a savepoint inside the caller's)."""
        encoded = {_check_key(key): canonical_json(body) for key, body in payloads.items()}
        hashes = {key: content_hash(data) for key, data in encoded.items()}
        by_hash = {digest: encoded[key] for key, digest in hashes.items()}
        with self._session.begin_nested():
            present = self._present(by_hash)
            new_rows: builtins.list[dict[str, Any]] = [
                {
                    "tenant_pk": self._tenant_pk,
                    "hash": digest,
                    "data": self._compress(data),
                    "raw_size": len(data),
                }
                for digest, data in by_hash.items()
                if digest not in present
            ]
            if new_rows:
                self._session.execute(self._insert_blobs_if_absent(), new_rows)
            row = Snapshot(
                tenant_pk=self._tenant_pk,
                status=CollectionStatus(status),
                started_at=started_at,
                finished_at=finished_at,
                manifest_hash=_manifest_hash(hashes),
                size_bytes=sum(len(data) for data in encoded.values()),
                stored_bytes=sum(len(r["data"]) for r in new_rows),
                http_requests=http_requests,
                endpoint_results=[_result_to_json(r) for r in endpoint_results],
                request_stats={k: dataclasses.asdict(v) for k, v in (request_stats or {}).items()},
                error=error,
            )
            self._session.add(row)
            self._session.flush()
            if hashes:
                self._session.execute(
                    insert(SnapshotEntry),
                    [
                        {
                            "snapshot_id": row.id,
                            "tenant_pk": self._tenant_pk,
                            "key": key,
                            "blob_hash": digest,
                        }
                        for key, digest in hashes.items()
                    ],
                )
        return self._info(row)

    def prune(self, keep: int) -> PruneResult:
        """Keep the ``keep`` newest snapshots (and always the newest usable one); delete the rest
        and every blob no remaining snapshot refers to."""
        if keep < 1:
            raise InvalidInput(f"keep must be at least 1, not {keep}")
        ids = builtins.list(
            self._session.scalars(
                self._newest_first(self._snapshots()).with_only_columns(Snapshot.id)
            )
        )
        usable = self.latest_usable()
        doomed = [i for i in ids[keep:] if usable is None or i != usable.id]
        with self._session.begin_nested():
            for chunk in _chunks(doomed):
                self._session.execute(
                    delete(Snapshot).where(
                        Snapshot.tenant_pk == self._tenant_pk, Snapshot.id.in_(chunk)
                    )
                )
            unreferenced = and_(
                Blob.tenant_pk == self._tenant_pk,
                ~exists().where(
                    SnapshotEntry.tenant_pk == self._tenant_pk,
                    SnapshotEntry.blob_hash == Blob.hash,
                ),
            )
            count, freed = self._session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(Blob.data)), 0)).where(
                    unreferenced
                )
            ).one()
            self._session.execute(delete(Blob).where(unreferenced))
        return PruneResult(len(doomed), int(count), int(freed))

    # --- reading ---------------------------------------------------------------------------

    def get(self, snapshot_id: int) -> SnapshotInfo:
        return self._info(self._row(snapshot_id))

    def latest(
        self, statuses: Iterable[CollectionStatus] = (CollectionStatus.COMPLETE,)
    ) -> SnapshotInfo | None:
        """The newest snapshot (by finish time) whose status is one of ``statuses``."""
        query = self._snapshots().where(Snapshot.status.in_(builtins.list(statuses)))
        row = self._session.scalars(self._newest_first(query).limit(1)).first()
        return None if row is None else self._info(row)

    def latest_usable(self) -> SnapshotInfo | None:
        """The newest COMPLETE snapshot, else the newest PARTIAL one, else None."""
        return self.latest((CollectionStatus.COMPLETE,)) or self.latest((CollectionStatus.PARTIAL,))

    def list(
        self, *, limit: int | None = 50, statuses: Iterable[CollectionStatus] | None = None
    ) -> builtins.list[SnapshotInfo]:
        """Snapshots, newest first."""
        query = self._snapshots()
        if statuses is not None:
            query = query.where(Snapshot.status.in_(builtins.list(statuses)))
        query = self._newest_first(query)
        if limit is not None:
            query = query.limit(limit)
        return [self._info(row) for row in self._session.scalars(query)]

    def request_stats(self, snapshot_id: int) -> dict[str, EndpointStats]:
        """Request accounting per endpoint template, as recorded with the snapshot."""
        row = self._row(snapshot_id)
        return {key: EndpointStats(**value) for key, value in row.request_stats.items()}

    def load(self, snapshot_id: int, keys: Collection[str] | None = None) -> dict[str, Any]:
        """The snapshot's bodies (all, or just ``keys``), each verified against its hash."""
        row = self._row(snapshot_id)
        query = (
            select(SnapshotEntry.key, SnapshotEntry.blob_hash, Blob.data, Blob.raw_size)
            .join(
                Blob,
                and_(
                    Blob.tenant_pk == SnapshotEntry.tenant_pk, Blob.hash == SnapshotEntry.blob_hash
                ),
            )
            .where(
                SnapshotEntry.tenant_pk == self._tenant_pk,
                SnapshotEntry.snapshot_id == row.id,
            )
        )
        if keys is not None:
            query = query.where(SnapshotEntry.key.in_(builtins.list(keys)))
        result: dict[str, Any] = {}
        hashes: dict[str, str] = {}
        for key, digest, data, raw_size in self._session.execute(query):
            result[key] = self._decode(row.id, key, digest, data, raw_size)
            hashes[key] = digest
        if keys is None and _manifest_hash(hashes) != row.manifest_hash:
            raise DatabaseError(
                f"snapshot {row.id} of tenant '{self._tenant_name}' is damaged: its entries do not "
                "match its manifest; collect the tenant again, or restore the database from a "
                "backup"
            )
        return result

    # --- helpers ---------------------------------------------------------------------------

    def _row(self, snapshot_id: int) -> Snapshot:
        row = self._session.scalars(self._snapshots().where(Snapshot.id == snapshot_id)).first()
        if row is None:
            raise NotFound(
                f"no snapshot {snapshot_id} of tenant '{self._tenant_name}' in this workspace; "
                "list the tenant's snapshots to see which exist"
            )
        return row

    @staticmethod
    def _newest_first(query: Select[Snapshot]) -> Select[Snapshot]:
        return query.order_by(Snapshot.finished_at.desc(), Snapshot.id.desc())

    def _present(self, by_hash: Mapping[str, bytes]) -> set[str]:
        present: set[str] = set()
        for chunk in _chunks(builtins.list(by_hash)):
            present.update(
                self._session.scalars(
                    select(Blob.hash).where(Blob.tenant_pk == self._tenant_pk, Blob.hash.in_(chunk))
                )
            )
        return present

    def _insert_blobs_if_absent(self) -> Any:
        # A concurrent collection of the same tenant may have inserted the same blob since
        # _present() looked: content addressing makes that row identical, so skip it.
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(Blob).on_conflict_do_nothing()
        if dialect == "sqlite":
            return sqlite.insert(Blob).on_conflict_do_nothing()
        return insert(Blob)  # pragma: no cover - Remit supports SQLite and PostgreSQL

    def _compress(self, data: bytes) -> bytes:
        if self._compressor is None:
            self._compressor = zstandard.ZstdCompressor(level=self._level)
        return bytes(self._compressor.compress(data))

    def _decode(self, snapshot_id: int, key: str, digest: str, data: bytes, size: int) -> Any:
        if self._decompressor is None:
            self._decompressor = zstandard.ZstdDecompressor()
        try:
            raw = bytes(self._decompressor.decompress(bytes(data), max_output_size=size))
        except zstandard.ZstdError as exc:
            raise self._damaged(snapshot_id, key, f"it does not decompress ({exc})") from None
        if len(raw) != size or content_hash(raw) != digest:
            raise self._damaged(snapshot_id, key, "its content does not match its hash")
        return json.loads(raw.decode("utf-8", "surrogatepass"))

    def _damaged(self, snapshot_id: int, key: str, why: str) -> DatabaseError:
        return DatabaseError(
            f"snapshot {snapshot_id} of tenant '{self._tenant_name}' is damaged: the stored body "
            f"of '{key}' {why}; collect the tenant again, or restore the database from a backup"
        )

    def _info(self, row: Snapshot) -> SnapshotInfo:
        return SnapshotInfo(
            id=row.id,
            tenant_id=self._tenant_id,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            content_hash=row.manifest_hash,
            size_bytes=row.size_bytes,
            stored_bytes=row.stored_bytes,
            endpoints=tuple(_result_from_json(r) for r in row.endpoint_results),
            http_requests=row.http_requests,
            error=row.error,
        )


def _manifest_hash(hashes: Mapping[str, str]) -> str:
    return content_hash(canonical_json(dict(hashes)))


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > KEY_LENGTH:
        raise InvalidInput(f"snapshot key {key!r} must be a Graph path of 1 to {KEY_LENGTH} chars")
    return key


def _result_to_json(result: EndpointResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["outcome"] = result.outcome.value
    return data


def _result_from_json(data: Mapping[str, Any]) -> EndpointResult:
    return EndpointResult(
        key=data["key"],
        outcome=EndpointOutcome(data["outcome"]),
        items=data.get("items"),
        detail=data.get("detail", ""),
        permission=data.get("permission"),
        license=data.get("license"),
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
