"""The index: where each blob lives. One index object per writer session (or per prune).

An index document is ``{"packs": [{"id", "generation", "blobs": [[type, id, offset, length,
raw_length], …]}], "supersedes": [index ids]}``. Loading skips every index that another
index supersedes, so prune can replace indexes without a moment where a blob has no entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from remit.errors import IntegrityError
from remit.repository.format import BlobType
from remit.repository.packs import PackEntry


@dataclass(frozen=True, slots=True)
class Location:
    pack_id: str
    generation: int
    blob_type: BlobType
    offset: int
    length: int
    raw_length: int


@dataclass(slots=True)
class PackRecord:
    pack_id: str
    generation: int
    entries: list[PackEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.pack_id,
            "generation": self.generation,
            "blobs": [
                [int(e.blob_type), e.blob_id.hex(), e.offset, e.length, e.raw_length]
                for e in self.entries
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], index_id: str) -> PackRecord:
        try:
            entries = [
                PackEntry(BlobType(t), bytes.fromhex(i), int(o), int(n), int(r))
                for t, i, o, n, r in doc["blobs"]
            ]
            return cls(str(doc["id"]), int(doc["generation"]), entries)
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"index {index_id} has a malformed pack entry: {exc}") from None


def index_document(packs: Iterable[PackRecord], supersedes: Iterable[str] = ()) -> dict[str, Any]:
    return {"packs": [p.to_json() for p in packs], "supersedes": sorted(supersedes)}


def parse_index(doc: dict[str, Any], index_id: str) -> tuple[list[PackRecord], list[str]]:
    packs = doc.get("packs")
    if not isinstance(packs, list):
        raise IntegrityError(f"index {index_id} has no pack list")
    return [PackRecord.from_json(p, index_id) for p in packs], list(doc.get("supersedes", []))


class MasterIndex:
    """Every blob the loaded indexes know, with the packs and index files they came from."""

    def __init__(self) -> None:
        self._blobs: dict[bytes, Location] = {}
        self.packs: dict[str, PackRecord] = {}
        self.pack_index: dict[str, str] = {}  # pack id -> the index file that lists it

    def add_pack(self, record: PackRecord, index_id: str) -> None:
        self.packs[record.pack_id] = record
        self.pack_index[record.pack_id] = index_id
        for e in record.entries:
            self._blobs.setdefault(
                e.blob_id,
                Location(
                    record.pack_id, record.generation, e.blob_type, e.offset, e.length, e.raw_length
                ),
            )

    def get(self, blob_id: bytes) -> Location | None:
        return self._blobs.get(blob_id)

    def __contains__(self, blob_id: bytes) -> bool:
        return blob_id in self._blobs

    def __len__(self) -> int:
        return len(self._blobs)

    def blobs(self) -> Iterator[tuple[bytes, Location]]:
        return iter(self._blobs.items())

    def without_packs(self, pack_ids: set[str]) -> MasterIndex:
        """A copy that does not know the given packs (e.g. packs marked for deletion)."""
        copy = MasterIndex()
        for record in self.packs.values():
            if record.pack_id not in pack_ids:
                copy.add_pack(record, self.pack_index[record.pack_id])
        return copy
