"""LocalStore beyond the contract: temporary files, full disks and permission errors."""

from __future__ import annotations

import errno
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from remit.errors import ObjectMissing, StorageError
from remit.repository.stores import LocalStore, Spool
from remit.repository.stores.local import Opener
from tests.repository.tmpfs import small_tmpfs


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


class FailingFile(io.BytesIO):
    """A file whose write fails like the kernel would (a seam where no real fault is possible)."""

    def __init__(self, fd: int, err: int) -> None:
        super().__init__()
        self._fd = fd
        self._err = err

    def write(self, data: object) -> int:
        raise OSError(self._err, os.strerror(self._err))

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def failing_opener(err: int) -> Opener:
    def opener(fd: int) -> BinaryIO:
        return FailingFile(fd, err)

    return opener


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


class SmallDiskFile(io.FileIO):
    """A file on a simulated 64 KiB disk: writing more than fits fails with ENOSPC."""

    def write(self, data: object) -> int:
        assert isinstance(data, bytes | bytearray | memoryview)
        if self.tell() + len(data) > TINY_DISK_BYTES:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


TINY_DISK_BYTES = 64 * 1024


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[LocalStore]:
    """A store on a 64 KiB filesystem, unmounted afterwards.

    A real tmpfs when we may mount one (root, as on the development machine); otherwise a store
    whose files refuse to grow past 64 KiB with ENOSPC, so the test still runs without root.
    """
    mountpoint = tmp_path / "tiny"
    with small_tmpfs(mountpoint, TINY_DISK_BYTES) as mounted:
        if mounted:
            yield LocalStore(mountpoint)
        else:
            yield LocalStore(mountpoint, opener=lambda fd: SmallDiskFile(fd, "wb"))


def test_full_disk_is_a_storage_error_and_leaves_nothing(tiny_disk: LocalStore) -> None:
    store, root = tiny_disk, tiny_disk.root
    store.put("config", b"small")

    with pytest.raises(StorageError) as caught:
        store.put("data/3f/3f01", os.urandom(256 * 1024))

    message = str(caught.value)
    assert message.startswith(f"disk full writing {root}/data/3f/3f01: free space on ")
    assert "the filesystem mounted at /" in message
    if os.path.ismount(root):  # a real tmpfs: the hint names it
        assert f"mounted at {root} " in message
    assert message.endswith("and retry; nothing was written")
    assert "\n" not in message
    assert files_under(root) == ["config"]  # no temporary file left behind
    store.put("data/3f/3f02", b"fits")  # the space was given back
    assert store.get("data/3f/3f02") == b"fits"


def test_full_disk_on_overwrite_keeps_the_old_object(tiny_disk: LocalStore) -> None:
    tiny_disk.put("index/i", b"old")
    with pytest.raises(StorageError, match="disk full"):
        tiny_disk.put("index/i", os.urandom(256 * 1024))
    assert tiny_disk.get("index/i") == b"old"
    assert files_under(tiny_disk.root) == ["index/i"]


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (errno.EDQUOT, "disk quota exceeded writing"),
        (errno.ENOSPC, "disk full writing"),
        (errno.EACCES, "permission denied writing"),
        (errno.EROFS, "read-only filesystem writing"),
        (errno.EIO, "failed writing"),
    ],
)
def test_write_errors_are_mapped_and_clean_up(root: Path, err: int, expected: str) -> None:
    store = LocalStore(root, opener=failing_opener(err))
    with pytest.raises(StorageError) as caught:
        store.put("data/aa/aa01", b"payload", exclusive=True)
    assert str(caught.value).startswith(f"{expected} {root}/data/aa/aa01")
    assert str(caught.value).endswith("nothing was written")
    assert files_under(root) == []


def test_permission_denied_names_path_and_user(root: Path) -> None:
    store = LocalStore(root, opener=failing_opener(errno.EACCES))
    with pytest.raises(StorageError) as caught:
        store.put("config", b"x")
    assert f"uid {os.getuid()}" in str(caught.value)
    assert f"read and write access to {root}" in str(caught.value)


def test_missing_root_is_reported_not_created(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "unmounted")
    calls: list[Callable[[], object]] = [
        lambda: store.put("config", b"x"),
        lambda: store.get("config"),
        lambda: store.size("config"),
        lambda: store.exists("config"),
        lambda: store.delete("config"),
        lambda: list(store.list("snapshots/")),
    ]
    for call in calls:
        with pytest.raises(StorageError) as caught:
            call()
        assert not isinstance(caught.value, ObjectMissing)
        assert str(caught.value).startswith(
            f"repository directory {tmp_path}/unmounted does not exist: is the disk mounted?"
        )
    assert not (tmp_path / "unmounted").exists()


def test_temporary_files_are_never_listed(root: Path) -> None:
    store = LocalStore(root)
    store.put("data/3f/3f01", b"x")
    (root / "data" / "3f" / ".tmp-crashed").write_bytes(b"half")
    (root / ".tmp-top").write_bytes(b"half")
    (root / ".tmp-dir").mkdir()
    (root / ".tmp-dir" / "inside").write_bytes(b"x")

    assert [info.key for info in store.list("")] == ["data/3f/3f01"]
    assert [info.key for info in store.list("data/3f/")] == ["data/3f/3f01"]


def test_clean_temporary_removes_only_old_temporary_files(root: Path) -> None:
    store = LocalStore(root)
    store.put("data/3f/3f01", b"x")
    old = root / "data" / "3f" / ".tmp-old"
    young = root / "data" / ".tmp-young"
    old.write_bytes(b"stale")
    young.write_bytes(b"in flight")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(root / "data" / "3f" / "3f01", (two_days_ago, two_days_ago))

    assert store.clean_temporary(older_than_s=86400) == 1
    assert not old.exists()
    assert young.exists()
    assert store.get("data/3f/3f01") == b"x"


def test_put_creates_directories_and_writes_complete_files(root: Path) -> None:
    store = LocalStore(root)
    store.put("data/3f/3f01", b"abc")
    assert (root / "data" / "3f" / "3f01").read_bytes() == b"abc"
    assert store.size("data/3f/3f01") == 3


def test_a_directory_is_not_an_object(root: Path) -> None:
    store = LocalStore(root)
    store.put("data/3f/3f01", b"abc")
    assert not store.exists("data/3f")
    with pytest.raises(StorageError, match="is missing from"):
        store.get("data/3f")
    with pytest.raises(StorageError, match="is missing from"):
        store.size("data")


def test_a_spool_from_elsewhere_is_copied_in_not_renamed(root: Path, tmp_path: Path) -> None:
    """A spool that is not one of this store's own files (an anonymous temporary file) is
    copied into place block by block, and the original stays for its owner to discard."""
    store = LocalStore(root)
    outside = tmp_path / "elsewhere.spool"
    spool = Spool(outside.open("w+b"), outside)
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one copy block
    spool.write(data)
    store.put("data/ab/ab01", spool)
    assert store.get("data/ab/ab01") == data
    assert outside.read_bytes() == data
    spool.discard()
    assert not outside.exists()
