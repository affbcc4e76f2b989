"""``remit repo prune``: forget snapshots by retention policy, then reclaim space in two phases.

Phase one (*mark*) records, in a sealed ``marks/<id>`` object, every pack that no snapshot
needs. From then on writers treat those packs as absent and upload again what they need. Phase
two (*sweep*), on a later run once the mark is older than the grace period and no writer
session older than the mark is still live, checks again that no snapshot needs the pack (a
backup that was running during the mark may have committed since), writes an index that
supersedes the indexes listing the packs, and deletes packs, old indexes and the mark. So prune
can run while backups run, and a crash at any point leaves a readable repository.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from remit.errors import IntegrityError, RemitError
from remit.repository.format import (
    DATA_PREFIX,
    INDEX_PREFIX,
    MARKS_PREFIX,
    SESSIONS_PREFIX,
    BlobType,
    pack_id_of,
    pack_key,
)
from remit.repository.index import PackRecord, index_document
from remit.repository.objects import open_object
from remit.repository.repository import Repository
from remit.repository.retention import Decision, Policy, SnapshotRef, apply_policy
from remit.repository.snapshots import Snapshot
from remit.repository.trees import decode_tree

DEFAULT_GRACE = timedelta(hours=24)
SESSION_MAX_AGE = timedelta(days=7)  # a writer session older than this is taken as crashed
CLOCK_SKEW = timedelta(hours=1)  # writers' and prune's clocks may differ by this much

Say = Callable[[str], None]


@dataclass(slots=True)
class PruneReport:
    forgotten: list[Snapshot] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    marked_packs: int = 0
    marked_bytes: int = 0
    deleted_packs: int = 0
    deleted_bytes: int = 0
    waiting_marks: list[str] = field(default_factory=list)  # why a mark was not swept yet
    stale_sessions: int = 0
    temporary_files: int = 0  # left by crashed writers (local repositories), removed


def forget(
    repo: Repository, policy: Policy, *, now: datetime, dry_run: bool
) -> tuple[list[Decision], list[Snapshot]]:
    snaps = {s.id: s for s in repo.snapshots()}
    refs = [
        SnapshotRef(s.id, s.time, s.resource, hold=s.hold is not None, tags=frozenset(s.tags))
        for s in snaps.values()
    ]
    decisions = apply_policy(refs, policy, now=now)
    gone = [snaps[d.snapshot.id] for d in decisions if not d.keep]
    if not dry_run:
        repo.delete_snapshots(gone)
    return decisions, gone


def used_blobs(repo: Repository, snapshots: Iterable[Snapshot]) -> set[bytes]:
    """Every blob (trees and data) some snapshot needs."""
    used: set[bytes] = set()
    stack = [bytes.fromhex(s.tree) for s in snapshots]
    while stack:
        tree_id = stack.pop()
        if tree_id in used:
            continue
        used.add(tree_id)
        try:
            nodes = decode_tree(repo.read_blob(tree_id, BlobType.TREE), tree_id.hex())
        except RemitError as exc:
            raise IntegrityError(
                f"prune stopped: a snapshot's folder listing cannot be read ({exc}); run"
                " `remit repo check` — nothing was deleted"
            ) from None
        for node in nodes:
            if node.type == "dir" and node.subtree:
                stack.append(bytes.fromhex(node.subtree))
            elif node.type == "file":
                used.update(node.blob_ids())
    return used


class Pruner:
    def __init__(
        self, repo: Repository, *, now: datetime, grace: timedelta, say: Say | None = None
    ) -> None:
        self.repo = repo
        self.now = now
        self.grace = grace
        self.report = PruneReport()
        self._say = say or (lambda _m: None)

    def run(self, *, dry_run: bool) -> PruneReport:
        index = self.repo.index(reload=True)
        refuse_if_damaged(self.repo)
        marks = self._marks()
        sessions = self._sessions(dry_run)
        stored = {pack_id_of(i.key): i.size for i in self.repo.store.list(DATA_PREFIX)}
        used = used_blobs(self.repo, self.repo.snapshots())
        for mark_id, doc in marks.items():
            self._sweep(mark_id, doc, sessions, used, stored, dry_run)
        already = {p for doc in marks.values() for p in doc.get("packs", [])}
        unused = [
            pack_id
            for pack_id in stored
            if pack_id not in already and not self._needed(index.packs.get(pack_id), used)
        ]
        self._clean_temporary(sessions, dry_run)
        self.report.marked_packs = len(unused)
        self.report.marked_bytes = sum(stored[p] for p in unused)
        if unused and not dry_run:
            self.repo.write_object(
                "mark",
                MARKS_PREFIX,
                {
                    "time": self.now.isoformat(),
                    "packs": sorted(unused),
                },
            )
        return self.report

    def _clean_temporary(self, live_sessions: list[datetime], dry_run: bool) -> None:
        """Temporary files a crashed writer left (a local store's half-written objects and
        pack spools): those older than the grace period and than every live writer session,
        so a long backup's open pack (a spool written to only now and then) is never taken."""
        if dry_run:
            return
        cutoff = self.now - self.grace - CLOCK_SKEW
        if live_sessions:
            cutoff = min(cutoff, min(live_sessions) - CLOCK_SKEW)
        older_than = max(0.0, (self.now - cutoff).total_seconds())
        self.report.temporary_files = self.repo.store.clean_temporary(older_than)

    @staticmethod
    def _needed(record: PackRecord | None, used: set[bytes]) -> bool:
        if record is None:
            return False  # in no index: left by an interrupted writer (or one still running)
        return any(e.blob_id in used for e in record.entries)

    def _marks(self) -> dict[str, dict[str, Any]]:
        out = {}
        for info in self.repo.store.list(MARKS_PREFIX):
            mark_id = info.key[len(MARKS_PREFIX) :]
            out[mark_id] = open_object(
                self.repo.keyring, "mark", self.repo.store.get(info.key), mark_id
            )
        return out

    def _sessions(self, dry_run: bool) -> list[datetime]:
        """Start times of live writer sessions; crashed ones past SESSION_MAX_AGE are removed."""
        live = []
        for info in self.repo.store.list(SESSIONS_PREFIX):
            session_id = info.key[len(SESSIONS_PREFIX) :]
            try:
                doc = open_object(
                    self.repo.keyring, "session", self.repo.store.get(info.key), session_id
                )
            except RemitError:
                continue  # finished between list and get
            started = datetime.fromisoformat(doc["started"])
            if self.now - started > SESSION_MAX_AGE or _crashed_here(doc):
                self.report.stale_sessions += 1
                if not dry_run:
                    self.repo.store.delete(info.key)
            else:
                live.append(started)
        return live

    def _sweep(
        self,
        mark_id: str,
        doc: dict[str, Any],
        sessions: list[datetime],
        used: set[bytes],
        stored: dict[str, int],
        dry_run: bool,
    ) -> None:
        marked_at = datetime.fromisoformat(doc["time"])
        if self.now - marked_at < self.grace:
            left = self.grace - (self.now - marked_at)
            self.report.waiting_marks.append(
                f"mark {mark_id[:8]}: grace period ends in {_human(left)}"
            )
            return
        if any(started <= marked_at + CLOCK_SKEW for started in sessions):
            self.report.waiting_marks.append(
                f"mark {mark_id[:8]}: a backup that started before it is still running"
            )
            return
        index = self.repo.index()
        marked = set(doc.get("packs", []))
        # A blob uploaded again since the mark (writers skip marked packs) no longer needs its
        # marked copy: count as used only what no unmarked pack holds.
        kept = [r for p, r in index.packs.items() if p not in marked]
        only_here = used - {e.blob_id for r in kept for e in r.entries}
        doomed = [p for p in sorted(marked) if not self._needed(index.packs.get(p), only_here)]
        self.report.deleted_packs += len(doomed)
        self.report.deleted_bytes += sum(stored.get(p, 0) for p in doomed)
        if dry_run:
            return
        self._drop_from_indexes(set(doomed))
        for pack_id in doomed:
            self.repo.store.delete(pack_key(pack_id))
        self.repo.store.delete(MARKS_PREFIX + mark_id)
        self.repo.index(reload=True)

    def _drop_from_indexes(self, doomed: set[str]) -> None:
        """One new index with the other packs of every index that lists a doomed pack, which
        supersedes them; only then are the old indexes deleted."""
        index = self.repo.index()
        touched = {index.pack_index[p] for p in doomed if p in index.pack_index}
        if not touched:
            return
        keep: list[PackRecord] = []
        for index_id in touched:
            packs, _ = self.repo.read_index(index_id)
            keep.extend(r for r in packs if r.pack_id not in doomed)
        self.repo.write_object("index", INDEX_PREFIX, index_document(keep, supersedes=touched))
        for index_id in touched:
            self.repo.store.delete(INDEX_PREFIX + index_id)


def refuse_if_damaged(repo: Repository) -> None:
    """Prune decides what is unused; with a damaged index or snapshot it cannot know."""
    repo.snapshots()
    damaged = repo.damaged_indexes + repo.damaged_snapshots
    if damaged:
        raise IntegrityError(
            f"prune stopped: {len(damaged)} index or snapshot objects are damaged, so what is"
            " still needed cannot be known; run `remit repo check` (and `remit repo repair` for"
            " indexes) — nothing was deleted"
        )


def prune(
    repo: Repository,
    *,
    policy: Policy | None = None,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
    dry_run: bool = False,
    say: Say | None = None,
) -> PruneReport:
    now = now or datetime.now(UTC)
    decisions: list[Decision] = []
    gone: list[Snapshot] = []
    repo.index(reload=True)
    refuse_if_damaged(repo)
    if policy is not None:
        decisions, gone = forget(repo, policy, now=now, dry_run=dry_run)
    report = Pruner(repo, now=now, grace=grace, say=say).run(dry_run=dry_run)
    report.decisions, report.forgotten = decisions, gone
    return report


def _crashed_here(session: dict[str, Any]) -> bool:
    """A session of this host whose process is gone (killed, crashed, machine restarted)."""
    if session.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(session.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False


def _human(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m"
