"""Failures around the repository: wrong or missing keys, foreign or newer repositories, a full
disk, an unreachable S3 endpoint, and writers and prune working at the same time."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from remit.errors import RepositoryError, RepositoryKeyError, StorageError
from remit.repository.archiver import Archiver, backup_dir
from remit.repository.checker import check
from remit.repository.format import DATA_PREFIX, SESSIONS_PREFIX, SNAPSHOTS_PREFIX, pack_id_of
from remit.repository.keys import Passphrase, RawKey
from remit.repository.pruner import prune
from remit.repository.repository import Repository
from remit.repository.stores import LocalStore, open_store
from remit.repository.stores.base import ObjectInfo
from remit.repository.writer import Writer
from tests.repository.builders import PASSPHRASE, cheap_kdf
from tests.repository.helpers import (
    Manifest,
    TreeMaker,
    backup,
    init_repo,
    manifest,
    open_repo,
    restore,
)
from tests.repository.tmpfs import small_tmpfs

# --- keys and formats ----------------------------------------------------------------------------


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    init_repo(path)
    return path


def test_wrong_passphrase(repo_path: Path) -> None:
    with pytest.raises(RepositoryKeyError, match=r"^wrong passphrase: no key of the repository at"):
        Repository.open(LocalStore(repo_path), Passphrase(b"not it"))


def test_wrong_key_file(repo_path: Path) -> None:
    with pytest.raises(RepositoryKeyError, match=r"^wrong key: no key of the repository at"):
        Repository.open(LocalStore(repo_path), RawKey.generate())


def test_missing_keys(repo_path: Path) -> None:
    for key in (repo_path / "keys").iterdir():
        key.unlink()
    with pytest.raises(RepositoryKeyError, match="has no keys left; it cannot be opened"):
        open_repo(repo_path)


def test_a_damaged_key_object_does_not_lock_out_another_key(repo_path: Path) -> None:
    raw = RawKey.generate()
    raw_id = open_repo(repo_path).add_key(raw)
    # Damage each key in turn (so one of the cases lists the damaged key first).
    for damage_raw, credential in ((True, PASSPHRASE), (False, raw)):
        copy = repo_path.with_name(f"copy-{damage_raw}")
        shutil.copytree(repo_path, copy)
        (victim,) = [k for k in (copy / "keys").iterdir() if (k.name == raw_id) == damage_raw]
        victim.write_bytes(victim.read_bytes()[:40])
        assert Repository.open(LocalStore(copy), credential).config.repo_id
        with pytest.raises(RepositoryError, match=f"key object keys/{victim.name} is malformed"):
            Repository.open(LocalStore(copy), raw if damage_raw else PASSPHRASE)


def test_newer_format_version(repo_path: Path) -> None:
    config = json.loads((repo_path / "config").read_bytes())
    config["version"] = 2
    (repo_path / "config").write_text(json.dumps(config))
    with pytest.raises(RepositoryError, match="format version 2, newer than this Remit reads"):
        open_repo(repo_path)


@pytest.mark.parametrize("what", ["empty", "foreign", "missing"])
def test_not_a_repository(tmp_path: Path, what: str) -> None:
    path = tmp_path / "elsewhere"
    if what != "missing":
        path.mkdir()
    if what == "foreign":  # e.g. a git directory: it has a "config" too
        (path / "config").write_text("[core]\n\trepositoryformatversion = 0\n")
    expected = {
        "empty": "no repository at .*: create one with `remit repo init`",
        "foreign": "is not a Remit repository .*give the right --repo",
        "missing": "no repository at .*: the directory does not exist",
    }[what]
    with pytest.raises(RepositoryError, match=expected) as caught:
        Repository.open(open_store(str(path)), PASSPHRASE)
    assert type(caught.value) is RepositoryError


# --- a full disk ---------------------------------------------------------------------------------

DISK_BYTES = 8 * 1024 * 1024


class SmallDiskFile(io.FileIO):
    """Without the right to mount: files refuse to grow the folder past DISK_BYTES."""

    def __init__(self, fd: int, root: Path) -> None:
        super().__init__(fd, "wb")
        self.root = root

    def write(self, data: Any) -> int:
        used = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        if used + len(data) > DISK_BYTES:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return int(super().write(data))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[LocalStore]:
    """A LocalStore on an 8 MiB tmpfs (a simulated small disk if we may not mount)."""
    mountpoint = tmp_path / "disk"
    with small_tmpfs(mountpoint, DISK_BYTES) as mounted:
        if mounted:
            yield LocalStore(mountpoint)
        else:
            yield LocalStore(mountpoint, opener=lambda fd: SmallDiskFile(fd, mountpoint))


def test_full_disk_fails_the_backup_and_keeps_what_was_there(
    small_disk: LocalStore, tmp_path: Path
) -> None:
    repo = Repository.init(small_disk, PASSPHRASE, kdf=cheap_kdf())
    source = tmp_path / "source"
    TreeMaker(source, 3).build()  # about 3.5 MiB, incompressible
    first = backup(repo, source)
    tree = manifest(source)
    (source / "more.bin").write_bytes(os.urandom(6 * 1024 * 1024))  # does not fit any more

    with pytest.raises(StorageError, match=r"disk full writing .*free space on") as caught:
        backup(repo, source)

    assert "\n" not in str(caught.value)
    root = small_disk.root
    assert [p for p in root.rglob("*") if p.name.startswith(".tmp-")] == []
    assert list(small_disk.list("sessions/")) == []
    repo = Repository.open(small_disk, PASSPHRASE)
    assert [s.id for s in repo.snapshots()] == [first.id]
    got, report = restore(repo, first, tmp_path / "restored")
    assert (got, report.failed) == (tree, [])
    checked = check(repo, read_data=True)
    assert (checked.errors, checked.damaged_items) == ([], [])

    (source / "more.bin").unlink()  # with room again, the next backup works
    (source / "small.txt").write_text("fits\n")
    second = backup(repo, source)
    got, report = restore(repo, second, tmp_path / "restored")
    assert (got, report.failed) == (manifest(source), [])


# --- an unreachable S3 endpoint ------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.mark.usefixtures("aws_env")
def test_unreachable_s3_endpoint_is_a_storage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("REMIT_S3_ENDPOINT", endpoint)
    store = open_store("s3://bucket/x")
    started = time.monotonic()
    with pytest.raises(StorageError, match=f"S3 endpoint {endpoint} unreachable") as caught:
        Repository.open(store, PASSPHRASE)
    elapsed = time.monotonic() - started
    assert "\n" not in str(caught.value)
    assert elapsed < 30, f"giving up on a closed port took {elapsed:.1f} s"


# --- writers and prune at the same time ----------------------------------------------------------


class Rendezvous:
    """A store that makes every writer wait for the others after writing its session object and
    before writing its snapshot, so their sessions overlap whatever the scheduler does."""

    def __init__(self, inner: LocalStore, barrier: threading.Barrier) -> None:
        self.inner = inner
        self.barrier = barrier

    @property
    def location(self) -> str:
        return self.inner.location

    def put(self, key: str, data: bytes | bytearray, *, exclusive: bool = False) -> None:
        if key.startswith(SNAPSHOTS_PREFIX):
            self.barrier.wait()
        self.inner.put(key, data, exclusive=exclusive)
        if key.startswith(SESSIONS_PREFIX):
            self.barrier.wait()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_writers_at_once_both_commit(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    init_repo(path)
    trees: dict[str, Manifest] = {}
    for name in ("a", "b"):
        TreeMaker(tmp_path / name, 11).build()  # same content: both dedup the same blobs
        (tmp_path / name / f"only-{name}.txt").write_text(f"{name}\n" * 1000)
        trees[name] = manifest(tmp_path / name)
    barrier = threading.Barrier(2, timeout=60)
    store = Rendezvous(LocalStore(path), barrier)
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            repo = Repository.open(store, PASSPHRASE)
            results[name] = backup_as(repo, tmp_path / name, name)
        except BaseException as exc:
            barrier.abort()
            results[name] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(not isinstance(r, BaseException) for r in results.values()), results
    repo = open_repo(path)
    assert {s.resource for s in repo.snapshots()} == {"dir:a", "dir:b"}
    report = check(repo, read_data=True)
    assert (report.errors, report.damaged_items, report.warnings) == ([], [], [])
    for snapshot in repo.snapshots():
        got, restored = restore(repo, snapshot, tmp_path / "restored")
        assert (got, restored.failed) == (trees[snapshot.resource[4:]], [])


def backup_as(repo: Repository, source: Path, name: str) -> str:
    snapshot, progress = backup_dir(repo, source, resource=f"dir:{name}")
    assert progress.errors == []
    return snapshot.id


def stored_packs(repo: Repository) -> set[str]:
    return {pack_id_of(i.key) for i in repo.store.list(DATA_PREFIX)}


def forget_and_prune_twice(path: Path, snapshot_id: str) -> None:
    """Another process forgets the snapshot, then prunes with no grace period, twice."""
    other = open_repo(path)
    other.delete_snapshots([s for s in other.snapshots() if s.id == snapshot_id])
    for _ in range(2):
        prune(other, grace=timedelta(0))


def snapshot_doc(root: str, source: Path) -> dict[str, Any]:
    return {
        "time": "2030-01-01T00:00:00+00:00",
        "resource": f"dir:{source}",
        "tree": root,
        "tags": [],
        "summary": {},
    }


@pytest.mark.parametrize("when", ["after-archiving", "after-flush"])
def test_prune_during_a_backup_keeps_the_packs_it_deduplicated_against(
    tmp_path: Path, when: str
) -> None:
    path = tmp_path / "repo"
    repo = init_repo(path)
    TreeMaker(tmp_path / "a", 5).build()
    shutil.copytree(tmp_path / "a", tmp_path / "b", symlinks=True)  # shares all of A's data
    (tmp_path / "b" / "only-b.txt").write_text("b\n" * 1000)
    first = backup(repo, tmp_path / "a")
    first_packs = stored_packs(repo)

    repo = open_repo(path)
    writer = Writer(repo)
    root = Archiver(repo, writer).archive_dir(tmp_path / "b", None)
    assert writer.new_bytes < 10_000  # all but only-b.txt and the listings came from A
    if when == "after-flush":
        writer.flush()
    forget_and_prune_twice(path, first.id)
    assert first_packs <= stored_packs(repo), "prune deleted packs a running backup uses"
    snapshot = writer.commit(snapshot_doc(root, tmp_path / "b"))

    assert_whole(path, snapshot.id, manifest(tmp_path / "b"), tmp_path)
    for _ in range(2):  # once the backup is done, prune still keeps what it needs
        prune(open_repo(path), grace=timedelta(0))
    assert_whole(path, snapshot.id, manifest(tmp_path / "b"), tmp_path)


def assert_whole(path: Path, snapshot_id: str, tree: Manifest, tmp_path: Path) -> None:
    repo = open_repo(path)
    report = check(repo, read_data=True)
    assert (report.errors, report.damaged_items) == ([], [])
    got, restored = restore(repo, repo.find_snapshot(snapshot_id), tmp_path / "restored")
    assert (got, restored.failed) == (tree, [])


class BeforeSession:
    """A store that runs ``hook`` once, just before the first session object is written."""

    def __init__(self, inner: LocalStore, hook: Callable[[], None]) -> None:
        self.inner = inner
        self.hook: Callable[[], None] | None = hook

    @property
    def location(self) -> str:
        return self.inner.location

    def put(self, key: str, data: bytes | bytearray, *, exclusive: bool = False) -> None:
        if key.startswith("sessions/") and self.hook is not None:
            hook, self.hook = self.hook, None
            hook()
        self.inner.put(key, data, exclusive=exclusive)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_prune_while_a_writer_starts_keeps_the_packs_it_deduplicates_against(
    tmp_path: Path,
) -> None:
    path = tmp_path / "repo"
    repo = init_repo(path)
    TreeMaker(tmp_path / "a", 5).build()
    shutil.copytree(tmp_path / "a", tmp_path / "b", symlinks=True)
    first = backup(repo, tmp_path / "a")

    store = BeforeSession(LocalStore(path), lambda: forget_and_prune_twice(path, first.id))
    repo = Repository.open(store, PASSPHRASE)
    writer = Writer(repo)  # the prune runs between its reading the marks and its session
    root = Archiver(repo, writer).archive_dir(tmp_path / "b", None)
    snapshot = writer.commit(snapshot_doc(root, tmp_path / "b"))

    assert_whole(path, snapshot.id, manifest(tmp_path / "b"), tmp_path)
