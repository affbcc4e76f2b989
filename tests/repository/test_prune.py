"""Legal hold and prune: retention forgets snapshots, space comes back in two phases.

The first prune only marks packs no snapshot needs; a later one past the grace period, with
no writer session older than the mark still live, deletes them. A writer that deduplicated
against a marked pack before the mark keeps that pack alive; a writer that starts after the
mark uploads such data again. After every sweep, check passes and each snapshot restores.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from remit.errors import RepositoryError
from remit.repository.archiver import backup_dir
from remit.repository.checker import check
from remit.repository.format import SESSIONS_PREFIX, BlobType, pack_key
from remit.repository.pruner import prune
from remit.repository.repository import Repository
from remit.repository.restorer import restore_dir
from remit.repository.retention import Policy
from remit.repository.snapshots import Snapshot
from remit.repository.trees import Node, encode_tree
from remit.repository.writer import Writer, marked_packs
from tests.repository.builders import (
    Entry,
    assert_same_tree,
    new_repo,
    object_keys,
    random_bytes,
    reopen,
    tree_state,
    write_file,
)

KEEP_LAST = Policy(keep_last=1)
SRC = "dir:src"
T0 = 1_650_000_000_000_000_000


def _unique(i: int) -> bytes:
    return random_bytes(100_000, 1000 + i)


Expected = dict[str, dict[bytes, Entry]]


def _snapshots(tmp_path: Path, count: int) -> tuple[Repository, list[Snapshot], Expected]:
    """A "base" snapshot holding a shared file, then ``count`` snapshots of another folder
    with the shared file plus one file unique to each. A writer packs only what it adds, so
    each unique file sits in a pack of its own snapshot; the shared file in the base's.

    Returns the repository, the ``count`` snapshots and what each of them (base included)
    restores to, by snapshot id.
    """
    shared = b"in every snapshot\n" * 1000
    repo = new_repo(tmp_path / "repo")
    write_file(tmp_path / "base" / "shared.txt", shared, mtime_ns=T0)
    base, _ = backup_dir(repo, tmp_path / "base", resource="base")
    expected = {base.id: tree_state(tmp_path / "base")}
    source = tmp_path / "src"
    write_file(source / "shared.txt", shared, mtime_ns=T0)
    snaps = []
    for i in range(count):
        if i:
            (source / f"unique-{i - 1}.bin").unlink()
        write_file(source / f"unique-{i}.bin", _unique(i), mtime_ns=T0 + i)
        snap, _ = backup_dir(repo, source, resource=SRC)
        snaps.append(snap)
        expected[snap.id] = tree_state(source)
    return repo, snaps, expected


def _assert_healthy(repo: Repository, expected: Expected, tmp: Path) -> None:
    """check --read-data passes, and every snapshot left restores exactly."""
    repo = reopen(repo)
    report = check(repo, read_data=True)
    assert report.ok, report.errors
    assert report.warnings == []
    left = repo.snapshots()
    assert {s.id for s in left} == set(expected)
    for snap in left:
        target = tmp / f"restore-{snap.short_id}"
        assert restore_dir(repo, snap, target).failed == []
        assert_same_tree(expected[snap.id], target)


def test_legal_hold_keeps_a_snapshot_that_retention_would_forget(tmp_path: Path) -> None:
    repo, (s1, s2, s3), _ = _snapshots(tmp_path, 3)
    repo.set_hold(s1, "matter 2024-17", "legal@contoso.com")
    assert repo.holds() == {s1.id: "matter 2024-17"}
    assert repo.find_snapshot(s1.id).hold == "matter 2024-17"

    report = prune(repo, policy=KEEP_LAST)
    by_id = {d.snapshot.id: d for d in report.decisions}
    assert by_id[s1.id].keep
    assert "legal hold" in by_id[s1.id].reasons
    assert by_id[s3.id].keep
    assert "legal hold" not in by_id[s3.id].reasons
    assert not by_id[s2.id].keep
    assert [s.id for s in report.forgotten] == [s2.id]
    assert [s.id for s in repo.snapshots(resource=SRC)] == [s1.id, s3.id]
    with pytest.raises(RepositoryError, match="legal hold"):
        repo.delete_snapshots([repo.find_snapshot(s1.id)])

    repo.release_hold(s1)
    assert repo.holds() == {}
    report = prune(repo, policy=KEEP_LAST)
    assert [s.id for s in report.forgotten] == [s1.id]
    assert [s.id for s in repo.snapshots(resource=SRC)] == [s3.id]


def test_first_prune_marks_and_a_later_one_sweeps(tmp_path: Path) -> None:
    repo, snaps, expected = _snapshots(tmp_path, 3)
    packs_before = object_keys(repo.store, "data/")

    dry = prune(repo, policy=KEEP_LAST, grace=timedelta(0), dry_run=True)
    assert len(dry.forgotten) == 2
    assert object_keys(repo.store, "marks/") == set()
    assert len(repo.snapshots(resource=SRC)) == 3

    first = prune(repo, policy=KEEP_LAST, grace=timedelta(0))
    assert len(first.forgotten) == 2
    assert first.marked_packs > 0
    assert first.marked_bytes > 0
    assert first.deleted_packs == 0
    assert len(object_keys(repo.store, "marks/")) == 1
    assert object_keys(repo.store, "data/") == packs_before  # nothing deleted yet
    marked = marked_packs(repo)
    assert len(marked) == first.marked_packs

    second = prune(repo, grace=timedelta(0))
    assert second.deleted_packs == len(marked)
    assert second.marked_packs == 0
    assert object_keys(repo.store, "marks/") == set()
    assert object_keys(repo.store, "data/") == packs_before - {pack_key(p) for p in marked}
    kept = {i: expected[i] for i in expected if i not in {s.id for s in snaps[:-1]}}
    _assert_healthy(repo, kept, tmp_path)


def test_sweep_waits_for_the_grace_period(tmp_path: Path) -> None:
    repo, (s1, _), expected = _snapshots(tmp_path, 2)
    now = datetime.now(UTC)
    first = prune(repo, policy=KEEP_LAST, now=now)
    assert first.marked_packs > 0
    packs = object_keys(repo.store, "data/")

    early = prune(repo, now=now + timedelta(hours=23))
    assert early.deleted_packs == 0
    assert len(early.waiting_marks) == 1
    assert "grace period ends in 1h00m" in early.waiting_marks[0]
    assert object_keys(repo.store, "data/") == packs

    late = prune(repo, now=now + timedelta(hours=25))
    assert late.deleted_packs == first.marked_packs
    assert late.waiting_marks == []
    del expected[s1.id]
    _assert_healthy(repo, expected, tmp_path)


def test_writer_older_than_the_mark_blocks_the_sweep_and_keeps_what_it_used(
    tmp_path: Path,
) -> None:
    repo, (s1, _), expected = _snapshots(tmp_path, 2)
    old_content = _unique(0)  # only s1 has it
    writer = Writer(reopen(repo))  # a backup in another process, started before the mark
    assert len(object_keys(repo.store, "sessions/")) == 1
    reused_id = writer.add(BlobType.DATA, old_content)  # deduplicated against s1's pack
    assert writer.new_blobs == 0
    reused_pack = repo.index().get(reused_id).pack_id  # type: ignore[union-attr]

    first = prune(repo, policy=KEEP_LAST, grace=timedelta(0))
    assert [s.id for s in first.forgotten] == [s1.id]
    assert reused_pack in marked_packs(repo)

    blocked = prune(repo, grace=timedelta(0))
    assert blocked.deleted_packs == 0
    assert any("still running" in why for why in blocked.waiting_marks)
    assert reused_pack in {p.split("/")[-1] for p in object_keys(repo.store, "data/")}

    node = Node(
        name="recovered.bin",
        type="file",
        mode=0o640,
        mtime_ns=T0,
        size=len(old_content),
        content=[reused_id.hex()],
    )
    tree = writer.add(BlobType.TREE, encode_tree([node])).hex()
    late = writer.commit({"time": datetime.now(UTC).isoformat(), "resource": "late", "tree": tree})
    assert object_keys(repo.store, "sessions/") == set()

    swept = prune(repo, grace=timedelta(0))
    assert swept.waiting_marks == []
    assert 0 < swept.deleted_packs < first.marked_packs  # s1's listing goes, its data stays
    assert object_keys(repo.store, "marks/") == set()
    del expected[s1.id]
    expected[late.id] = {b"recovered.bin": Entry("file", 0o640, T0, old_content)}
    _assert_healthy(repo, expected, tmp_path)


def test_backup_after_the_mark_uploads_marked_data_again(tmp_path: Path) -> None:
    repo, (s1, s2), expected = _snapshots(tmp_path, 2)
    blob_id = repo.keyring.blob_id(_unique(0))
    old_pack = repo.index().get(blob_id).pack_id  # type: ignore[union-attr]
    prune(repo, policy=KEEP_LAST, grace=timedelta(0))
    assert old_pack in marked_packs(repo)
    source = tmp_path / "src"
    write_file(source / "unique-0.bin", _unique(0), mtime_ns=T0)  # s1's file is back
    s3, _ = backup_dir(reopen(repo), source, resource=SRC)
    assert s3.summary["new_bytes"] >= len(_unique(0))
    del expected[s1.id], expected[s2.id]
    expected[s3.id] = tree_state(source)

    swept = prune(repo, policy=KEEP_LAST, grace=timedelta(0))
    assert swept.deleted_packs > 0
    prune(repo, grace=timedelta(0))  # and what that run marked (s2's listing)
    assert object_keys(repo.store, "marks/") == set()
    assert pack_key(old_pack) not in object_keys(repo.store, "data/")
    assert reopen(repo).index().get(blob_id).pack_id != old_pack  # type: ignore[union-attr]
    _assert_healthy(repo, expected, tmp_path)


def test_prune_removes_temporary_files_of_crashed_writers_after_the_grace_period(
    tmp_path: Path,
) -> None:
    """A writer killed mid-pack leaves its spool (``data/.tmp-…``); prune removes it once it is
    older than the grace period plus the clock-skew allowance, never a live writer's."""
    repo = new_repo(tmp_path / "repo")
    data = tmp_path / "repo" / "data"
    data.mkdir(exist_ok=True)
    stale, live = data / ".tmp-crashed", data / ".tmp-in-flight"
    stale.write_bytes(b"half a pack")
    live.write_bytes(b"a pack being filled")
    old = (datetime.now(UTC) - timedelta(hours=26)).timestamp()
    os.utime(stale, (old, old))

    assert prune(repo, dry_run=True).temporary_files == 0
    assert stale.exists()
    report = prune(repo)
    assert report.temporary_files == 1
    assert not stale.exists()
    assert live.exists()


def test_prune_keeps_temporary_files_younger_than_a_live_backup(tmp_path: Path) -> None:
    """A backup running for 30 h may hold a spool last written 26 h ago (its open tree pack):
    prune leaves temporary files alone while a writer that started before them is live."""
    repo = new_repo(tmp_path / "repo")
    started = datetime.now(UTC) - timedelta(hours=30)
    session = repo.write_object(
        "session",
        SESSIONS_PREFIX,
        {"started": started.isoformat(), "host": socket.gethostname(), "pid": os.getpid()},
    )
    data = tmp_path / "repo" / "data"
    data.mkdir(exist_ok=True)
    spool = data / ".tmp-open-tree-pack"
    spool.write_bytes(b"an open pack")
    old = (datetime.now(UTC) - timedelta(hours=26)).timestamp()
    os.utime(spool, (old, old))

    assert prune(repo).temporary_files == 0
    assert spool.exists()
    repo.store.delete(SESSIONS_PREFIX + session)  # the backup ended (or crashed and was cleared)
    assert prune(repo).temporary_files == 1
    assert not spool.exists()
