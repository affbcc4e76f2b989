"""``remit repo check``: structure always, data with ``--read-data``.

Structure: every index opens and lists packs that exist with a header that agrees; every
snapshot opens; every tree blob reachable from a snapshot opens and every blob it names is
indexed. Data: the chosen packs are read whole, checked against their names, and every blob in
them is decrypted and re-hashed. Damage is reported with the snapshots and items it affects.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from remit.errors import IntegrityError, InvalidInput, RemitError
from remit.repository import blobs
from remit.repository.crypto import content_id
from remit.repository.format import DATA_PREFIX, INDEX_PREFIX, BlobType, pack_id_of, pack_key
from remit.repository.index import MasterIndex, PackRecord, parse_index
from remit.repository.objects import open_object
from remit.repository.repair import read_pack_record
from remit.repository.repository import Repository
from remit.repository.trees import decode_tree


@dataclass(frozen=True, slots=True)
class Damage:
    snapshot: str
    resource: str
    item: str
    reason: str


@dataclass(slots=True)
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    damaged_items: list[Damage] = field(default_factory=list)
    snapshots: int = 0
    packs: int = 0
    packs_read: int = 0
    blobs_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.damaged_items


Progress = Callable[[str], None]


def parse_subset(text: str) -> Callable[[str], bool]:
    """``n/m`` (the n-th of m groups of packs) or ``p%`` (a random share of packs)."""
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if m:
        n, total = int(m.group(1)), int(m.group(2))
        if total < 1 or not 1 <= n <= total:
            raise InvalidInput(f"--read-data subset {text!r}: n/m needs 1 <= n <= m")
        return lambda pack_id: int(pack_id[:8], 16) % total == n - 1
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", text.strip())
    if m and 0 < float(m.group(1)) <= 100:
        share = float(m.group(1)) / 100
        rng = random.Random()
        return lambda _pack_id: rng.random() < share
    raise InvalidInput(f"--read-data subset {text!r}: use n/m (e.g. 1/5) or a percentage (10%)")


class Checker:
    def __init__(self, repo: Repository, progress: Progress | None = None) -> None:
        self.repo = repo
        self.report = CheckReport()
        self.bad_blobs: dict[bytes, str] = {}
        self._say = progress or (lambda _msg: None)

    def run(self, *, read_data: bool = False, subset: str | None = None) -> CheckReport:
        select = parse_subset(subset) if subset else (lambda _p: True)
        index = self._check_indexes()
        self._check_packs(index)
        if read_data or subset:
            self._read_data(index, select)
        try:
            self._check_snapshots(index)
        finally:
            self.repo._index = None  # later reads load the index afresh
        return self.report

    def _check_indexes(self) -> MasterIndex:
        self._say("reading indexes")
        records: list[tuple[str, list[PackRecord]]] = []
        superseded: set[str] = set()
        for info in self.repo.store.list(INDEX_PREFIX):
            index_id = info.key[len(INDEX_PREFIX) :]
            try:
                raw = self.repo.store.get(info.key)
                doc = open_object(self.repo.keyring, "index", raw, index_id)
                packs, sup = parse_index(doc, index_id)
            except RemitError as exc:
                self.report.errors.append(f"index {index_id}: {exc}")
                continue
            records.append((index_id, packs))
            superseded.update(sup)
        master = MasterIndex()
        for index_id, packs in records:
            if index_id not in superseded:
                for record in packs:
                    master.add_pack(record, index_id)
        return master

    def _check_packs(self, index: MasterIndex) -> None:
        self._say("checking packs")
        stored = {pack_id_of(i.key): i.size for i in self.repo.store.list(DATA_PREFIX)}
        self.report.packs = len(stored)
        for pack_id, record in index.packs.items():
            size = stored.get(pack_id)
            if size is None:
                self.report.errors.append(f"pack {pack_id} is listed in an index but missing")
                self._lose(record, "its pack is missing")
                continue
            try:
                entries = read_pack_record(self.repo, pack_id, size).entries
            except RemitError as exc:
                self.report.errors.append(f"pack {pack_id}: {exc}")
                self._verify_without_header(record)
                continue
            if sorted(entries, key=lambda e: e.offset) != sorted(
                record.entries, key=lambda e: e.offset
            ):
                self.report.errors.append(f"pack {pack_id}: its header and the index disagree")
        for pack_id in stored.keys() - index.packs.keys():
            self.report.warnings.append(
                f"pack {pack_id} is in no index (left by an interrupted backup or a prune;"
                " `remit repo prune` removes it)"
            )

    def _verify_without_header(self, record: PackRecord) -> None:
        """A pack whose header is damaged (or cut off) may still hold intact blobs, which a
        restore reads through the index: open each one the index lists and count as lost only
        those that do not verify, so check names exactly what a restore cannot recover."""
        reason = f"pack {record.pack_id[:12]} is damaged"
        try:
            raw = self.repo.store.get(pack_key(record.pack_id))
        except RemitError:
            self._lose(record, reason)
            return
        for e in record.entries:
            sealed = raw[e.offset : e.offset + e.length]
            try:
                if len(sealed) != e.length:
                    raise IntegrityError(f"blob {e.blob_id.hex()} lies past the end of the pack")
                blobs.decode(self.repo.keyring, record.generation, e.blob_type, e.blob_id, sealed)
            except RemitError:
                self.bad_blobs[e.blob_id] = reason

    def _lose(self, record: PackRecord, reason: str) -> None:
        for e in record.entries:
            self.bad_blobs[e.blob_id] = reason

    def _read_data(self, index: MasterIndex, select: Callable[[str], bool]) -> None:
        chosen = [r for r in index.packs.values() if select(r.pack_id)]
        for n, record in enumerate(chosen, 1):
            self._say(f"reading pack {n}/{len(chosen)}")
            try:
                raw = self.repo.store.get(pack_key(record.pack_id))
            except RemitError as exc:
                self._lose(record, str(exc))
                continue
            self.report.packs_read += 1
            if content_id(raw) != record.pack_id:
                self.report.errors.append(
                    f"pack {record.pack_id} does not match its name: its bytes were damaged"
                )
            for e in record.entries:
                sealed = raw[e.offset : e.offset + e.length]
                try:
                    blobs.decode(
                        self.repo.keyring, record.generation, e.blob_type, e.blob_id, sealed
                    )
                    self.report.blobs_read += 1
                except RemitError as exc:
                    self.report.errors.append(f"pack {record.pack_id}: {exc}")
                    self.bad_blobs[e.blob_id] = f"blob {e.blob_id.hex()[:12]} is damaged"

    def _check_snapshots(self, index: MasterIndex) -> None:
        self._say("checking snapshots")
        self.repo._index = index  # read trees through the index this check verified
        seen: dict[str, list[tuple[str, str]]] = {}
        for snapshot_id in self.repo.snapshot_ids():
            try:
                snap = self.repo.load_snapshot_by_id(snapshot_id)
            except RemitError as exc:
                self.report.errors.append(f"snapshot {snapshot_id}: {exc}")
                continue
            self.report.snapshots += 1
            for item, reason in self._tree_damage(snap.tree, "", seen):
                self.report.damaged_items.append(Damage(snap.id, snap.resource, item, reason))

    def _tree_damage(
        self, tree_id: str, path: str, seen: dict[str, list[tuple[str, str]]]
    ) -> list[tuple[str, str]]:
        if tree_id in seen:
            return [(path + rel, why) for rel, why in seen[tree_id]]
        local: list[tuple[str, str]] = []
        blob_id = bytes.fromhex(tree_id)
        why = self.bad_blobs.get(blob_id) or (
            None if blob_id in self.repo.index() else "its listing is not in any index"
        )
        nodes = None
        if why is None:
            try:
                nodes = decode_tree(self.repo.read_blob(blob_id, BlobType.TREE), tree_id)
            except RemitError as exc:
                why = str(exc)
        if nodes is None:
            local.append(("/", f"folder listing lost: {why}"))
        else:
            for node in nodes:
                if node.type == "dir" and node.subtree:
                    local.extend(
                        (f"/{node.name}{rel}", r)
                        for rel, r in self._tree_damage(node.subtree, "", seen)
                    )
                elif node.type == "file":
                    for b in node.blob_ids():
                        reason = self.bad_blobs.get(b) or (
                            None
                            if b in self.repo.index()
                            else f"blob {b.hex()[:12]} is not in any index"
                        )
                        if reason:
                            local.append((f"/{node.name}", reason))
                            break
        seen[tree_id] = local
        return [(path + rel, r) for rel, r in local]


def check(
    repo: Repository,
    *,
    read_data: bool = False,
    subset: str | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    return Checker(repo, progress).run(read_data=read_data, subset=subset)
