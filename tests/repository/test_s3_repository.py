"""The whole repository life cycle on S3 (a real moto server on loopback, reached through
``open_store("s3://bucket/prefix")`` with ``REMIT_S3_ENDPOINT``), and racing conditional
creates of one snapshot object, of which exactly one wins."""

from __future__ import annotations

import errno
import io
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from remit.errors import ObjectExists, StorageError
from remit.repository.archiver import backup_dir
from remit.repository.checker import check
from remit.repository.objects import seal_object
from remit.repository.pruner import prune
from remit.repository.repository import Repository
from remit.repository.restorer import restore_dir
from remit.repository.retention import Policy
from remit.repository.stores import open_store
from tests.repository.builders import (
    PASSPHRASE,
    assert_same_tree,
    new_repo,
    object_keys,
    random_bytes,
    tree_state,
    write_file,
)
from tests.repository.conftest import S3Server
from tests.repository.tmpfs import small_tmpfs

T0 = 1_690_000_000_000_000_000


@pytest.fixture
def s3_location(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REMIT_S3_ENDPOINT", s3.endpoint)
    return f"s3://{s3.new_bucket()}/backups/contoso"


def _open(location: str) -> Repository:
    return Repository.open(open_store(location), PASSPHRASE)


def test_full_cycle_on_s3(s3: S3Server, s3_location: str, tmp_path: Path) -> None:
    repo = new_repo(open_store(s3_location, create=True))
    source = tmp_path / "src"
    write_file(source / "readme.txt", b"kept all along\n" * 100, mtime_ns=T0)
    base, _ = backup_dir(repo, source)
    write_file(source / "notes.txt", b"minutes of the meeting\n" * 500, mtime_ns=T0)
    write_file(source / "old.bin", random_bytes(50_000, 2), mtime_ns=T0)
    first_state = tree_state(source)
    first, _ = backup_dir(_open(s3_location), source)
    assert first.summary["reused_files"] == 1

    (source / "old.bin").unlink()
    write_file(source / "notes.txt", b"amended minutes\n" * 500, mtime_ns=T0 + 1)
    write_file(source / "docs" / "contract.pdf", random_bytes(700_000, 1), mtime_ns=T0)
    second_state = tree_state(source)
    second, _ = backup_dir(_open(s3_location), source)
    assert second.parent == first.id
    assert second.summary["reused_files"] == 1

    bucket, prefix = s3_location.removeprefix("s3://").split("/", 1)
    listed = s3.client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/snapshots/")
    assert len(listed["Contents"]) == 3  # really in the bucket, under the prefix

    repo = _open(s3_location)
    restore_dir(repo, first, tmp_path / "first")
    assert_same_tree(first_state, tmp_path / "first")
    report = check(repo, read_data=True)
    assert report.ok, report.errors
    assert report.packs_read == report.packs > 0

    marked = prune(repo, policy=Policy(keep_last=1), grace=timedelta(0))
    assert {s.id for s in marked.forgotten} == {base.id, first.id}
    assert marked.marked_packs > 0
    swept = prune(repo, grace=timedelta(0))
    assert swept.deleted_packs == marked.marked_packs
    assert object_keys(repo.store, "marks/") == set()

    repo = _open(s3_location)
    assert [s.id for s in repo.snapshots()] == [second.id]
    report = check(repo, read_data=True)
    assert report.ok, report.errors
    assert report.warnings == []
    restore_dir(repo, second, tmp_path / "second")
    assert_same_tree(second_state, tmp_path / "second")


def test_a_second_create_of_one_snapshot_object_is_refused(s3_location: str) -> None:
    """Two writers (two store objects, as two processes would have) create the same snapshot
    key: the second conditional put is refused and the first one's bytes stay. (Racing them at
    once would test moto, which checks and writes without a lock; real S3 is atomic.)"""
    repo = new_repo(open_store(s3_location, create=True))
    first, second = open_store(s3_location), open_store(s3_location)
    key = f"snapshots/{0:064x}"
    bodies = [seal_object(repo.keyring, "snapshot", {"writer": n})[1] for n in range(2)]
    first.put(key, bodies[0], exclusive=True)
    with pytest.raises(ObjectExists):
        second.put(key, bodies[1], exclusive=True)
    assert repo.store.get(key) == bodies[0]


def test_a_full_temporary_folder_fails_an_s3_backup_cleanly(
    s3_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packs for S3 are built in TMPDIR: when it is full the backup stops with one clear line,
    nothing half is left in the bucket, and the earlier snapshot is untouched."""
    repo = new_repo(open_store(s3_location, create=True))
    source = tmp_path / "src"
    write_file(source / "first.txt", b"fits\n" * 100, mtime_ns=T0)
    first, _ = backup_dir(repo, source)
    packs_before = object_keys(repo.store, "data/")
    write_file(source / "big.bin", random_bytes(3 * 1024 * 1024, 3), mtime_ns=T0)
    with small_tmpfs(tmp_path / "tmp", 1024 * 1024) as mounted:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
        if not mounted:  # without the right to mount: temporary files that stop at 1 MiB
            monkeypatch.setattr(tempfile, "TemporaryFile", _one_mib_file)
        with pytest.raises(StorageError, match=r"cannot write a temporary file in .*TMPDIR") as e:
            backup_dir(_open(s3_location), source)
    assert "\n" not in str(e.value)
    again = _open(s3_location)
    assert [s.id for s in again.snapshots()] == [first.id]
    assert object_keys(again.store, "data/") == packs_before
    assert object_keys(again.store, "sessions/") == set()


class _OneMibFile(io.BufferedRandom):
    def write(self, data: Any) -> int:
        if self.tell() + len(data) > 1024 * 1024:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def _one_mib_file() -> _OneMibFile:
    fd, name = tempfile.mkstemp()
    os.unlink(name)
    return _OneMibFile(io.FileIO(fd, "w+"))
