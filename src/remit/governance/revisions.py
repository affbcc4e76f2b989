"""Revisions of a layer and the differences between any two of them.

Every change to a layer stores the whole layer again as a new revision (author, time, reason,
content hash); history is never rewritten, and a rollback is a new revision whose content is an
older one's. :func:`diff` compares two documents field by field (see :mod:`.paths`): what was
added, removed or changed, as data for ``--json`` and as lines for people.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from remit.governance.model import ControlMapDoc
from remit.governance.paths import FieldPath, Json, flatten, layer_json, path_order


def content_hash(doc: ControlMapDoc) -> str:
    """SHA-256 (hex) of the layer's canonical JSON: equal layers, equal hashes."""
    canonical = json.dumps(
        layer_json(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Revision:
    """One stored state of a layer."""

    number: int  # 1, 2, 3, ... per layer
    author: str
    created_at: datetime
    reason: str
    content_hash: str
    doc: ControlMapDoc
    restored_from: int | None = None  # a rollback names the revision it restored


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One value that differs: ``before`` is None when added, ``after`` None when removed."""

    path: FieldPath
    before: Json
    after: Json

    @property
    def kind(self) -> ChangeKind:
        if self.before is None:
            return ChangeKind.ADDED
        return ChangeKind.REMOVED if self.after is None else ChangeKind.CHANGED

    def as_json(self) -> dict[str, Json]:
        return {
            "change": self.kind.value,
            "path": str(self.path),
            "section": self.path.section,
            "key": self.path.key,
            "field": self.path.field,
            "before": self.before,
            "after": self.after,
        }

    def line(self) -> str:
        """``+ controls[x].status: implemented``, ``~ ...: planned → implemented``, ``- ...``."""
        if self.kind is ChangeKind.ADDED:
            return f"+ {self.path}: {describe(self.after)}"
        if self.kind is ChangeKind.REMOVED:
            return f"- {self.path}: {describe(self.before)}"
        if isinstance(self.before, dict) and isinstance(self.after, dict):
            keys = [k for k in self.after if self.before.get(k) != self.after.get(k)]
            parts = [
                f"{k} {describe(self.before.get(k))} → {describe(self.after.get(k))}" for k in keys
            ]
            return f"~ {self.path}: " + "; ".join(parts)
        return f"~ {self.path}: {describe(self.before)} → {describe(self.after)}"


def describe(value: Json) -> str:
    """A value on one line: lists joined with commas, objects as ``key=value`` pairs."""
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", []))
    if value is None or value == "":
        return '""' if value == "" else "none"
    return str(value)


def diff_values(before: Mapping[FieldPath, Json], after: Mapping[FieldPath, Json]) -> list[Change]:
    """Changes from one flattened document to another, in document order."""
    paths = sorted(set(before) | set(after), key=path_order)
    return [
        Change(path, before.get(path), after.get(path))
        for path in paths
        if before.get(path) != after.get(path)
    ]


def diff(before: ControlMapDoc, after: ControlMapDoc, *, only_set: bool = True) -> list[Change]:
    """What changed between two documents: layers (``only_set``: what each layer sets) or
    effective maps (``only_set=False``: every value)."""
    return diff_values(flatten(before, only_set=only_set), flatten(after, only_set=only_set))
