"""``remit repo repair``: rebuild the index from the packs' own authenticated headers.

Needed when an index object is damaged or lost (``check`` reports it; its blobs are then
unreachable although their packs are intact). Every pack that no readable index lists has its
header read and verified; a new index lists them all and supersedes the damaged indexes, which
are deleted only after the new one is durable. Packs whose header is damaged are reported and
left alone. Packs left by interrupted backups are indexed too (prune removes them if unused).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from remit.errors import RemitError
from remit.repository.format import DATA_PREFIX, INDEX_PREFIX, pack_id_of, pack_key
from remit.repository.index import PackRecord, index_document
from remit.repository.packs import (
    PREFIX_SIZE,
    TAIL_SIZE,
    header_length,
    pack_generation,
    read_header,
)
from remit.repository.repository import Repository


@dataclass(slots=True)
class RepairReport:
    indexed_packs: int = 0
    indexed_blobs: int = 0
    removed_indexes: list[str] = field(default_factory=list)
    damaged_packs: list[str] = field(default_factory=list)
    new_index: str | None = None


def read_pack_record(repo: Repository, pack_id: str, size: int) -> PackRecord:
    key = pack_key(pack_id)
    prefix = repo.store.get_range(key, 0, PREFIX_SIZE)
    length = header_length(repo.store.get_range(key, size - TAIL_SIZE, TAIL_SIZE), pack_id)
    sealed = repo.store.get_range(key, size - TAIL_SIZE - length, length)
    entries = read_header(repo.keyring, prefix, sealed, pack_id)
    return PackRecord(pack_id, pack_generation(prefix, pack_id), entries)


def repair(repo: Repository, *, dry_run: bool = False) -> RepairReport:
    report = RepairReport()
    index = repo.index(reload=True)
    damaged = list(repo.damaged_indexes)
    stored = {pack_id_of(i.key): i.size for i in repo.store.list(DATA_PREFIX)}
    records = []
    for pack_id, size in sorted(stored.items()):
        if pack_id in index.packs:
            continue
        try:
            record = read_pack_record(repo, pack_id, size)
        except RemitError:
            report.damaged_packs.append(pack_id)
            continue
        records.append(record)
        report.indexed_blobs += len(record.entries)
    report.indexed_packs = len(records)
    report.removed_indexes = damaged
    if dry_run or (not records and not damaged):
        return report
    report.new_index = repo.write_object(
        "index", INDEX_PREFIX, index_document(records, supersedes=damaged)
    )
    for index_id in damaged:
        repo.store.delete(INDEX_PREFIX + index_id)
    repo.index(reload=True)
    return report
