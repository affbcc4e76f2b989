"""A repository on a local (or mounted) filesystem.

Each key is a file under the root: ``data/3f/3f2a…`` is ``<root>/data/3f/3f2a…``. Writes go to a
temporary file in the target directory (named ``.tmp-…``, never listed), are flushed and fsynced,
then published with ``os.replace`` or, for an exclusive create, ``os.link`` (which fails if the
name exists, so exactly one of several racing writers wins); finally the directory is fsynced. A
crash at any point leaves either the old object, the new one, or a stale temporary file that
``clean_temporary`` removes later.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from remit.errors import ObjectExists, ObjectMissing, StorageError
from remit.repository.stores.base import ObjectInfo, Payload, Spool, payload_parts
from remit.repository.stores.keys import TEMP_PREFIX, check_key, check_prefix

Opener = Callable[[int], BinaryIO]
"""Wraps an open file descriptor in a binary file for writing (a seam for fault injection)."""


_IMMUTABLE_PREFIX = "data/"  # packs: content-named, never rewritten
_OPEN_PER_THREAD = 8
_MAIN = threading.main_thread()
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP})


def _open_for_writing(fd: int) -> BinaryIO:
    return os.fdopen(fd, "wb")


class LocalStore:
    """Objects as files under ``root``; thread-safe (it keeps no mutable state)."""

    def __init__(self, root: Path, *, opener: Opener = _open_for_writing) -> None:
        self._root = Path(root).absolute()
        self._opener = opener
        self._local = threading.local()
        self._spools = self._root / _IMMUTABLE_PREFIX.rstrip("/")  # where spool() files go

    @property
    def root(self) -> Path:
        return self._root

    @property
    def location(self) -> str:
        return str(self._root)

    # --- writing -------------------------------------------------------------------------

    def spool(self) -> Spool:
        """A temporary file under ``data/`` (never listed; ``clean_temporary`` removes it if a
        crash leaves it): ``put`` renames it into place, so a pack is written once."""
        folder = self._spools
        try:
            self._make_parents(folder)
            fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        except OSError as exc:
            raise self._error(exc, folder, writing=True) from exc
        try:
            path = Path(name)
            return Spool(
                self._opener(fd),
                path,
                failure=lambda exc: self._error(exc, path, writing=True),
            )
        except BaseException:
            os.close(fd)
            Path(name).unlink(missing_ok=True)
            raise

    def put(self, key: str, data: Payload, *, exclusive: bool = False) -> None:
        path = self._path(key)
        if isinstance(data, Spool) and data.path is not None and data.path.parent == self._spools:
            self._publish_spool(data, path, key, exclusive)
            return
        try:
            self._make_parents(path.parent)
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        except OSError as exc:
            raise self._error(exc, path, writing=True) from exc
        tmp = Path(tmp_name)
        try:
            try:
                file = self._opener(fd)
            except BaseException:
                os.close(fd)
                raise
            with file:
                for part in payload_parts(data):
                    file.write(part)
                file.flush()
                os.fsync(file.fileno())
            self._publish(tmp, path, key, exclusive)
        except OSError as exc:
            raise self._error(exc, path, writing=True) from exc
        finally:
            tmp.unlink(missing_ok=True)

    def _publish_spool(self, spool: Spool, path: Path, key: str, exclusive: bool) -> None:
        assert spool.path is not None
        try:
            spool.file.flush()
            os.fsync(spool.file.fileno())
            self._make_parents(path.parent)
            self._publish(spool.path, path, key, exclusive)
        except OSError as exc:
            raise self._error(exc, path, writing=True) from exc
        finally:
            spool.path.unlink(missing_ok=True)  # left only if publishing failed

    def _publish(self, tmp: Path, path: Path, key: str, exclusive: bool) -> None:
        """Give the durable temporary file ``tmp`` its name ``path``; fsync the folder."""
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ObjectExists(
                    f"object {key} already exists in {self.location}: another writer "
                    "created it first; nothing was written"
                ) from None
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS:
                    raise
                # We just created the temporary file here, so this is not a permission
                # problem: the filesystem (FAT, some FUSE or SMB mounts) has no hard links.
                raise StorageError(
                    f"the filesystem at {self._root} does not support hard links, which "
                    "exclusive writes need: put the repository on ext4, XFS, Btrfs, ZFS, "
                    "APFS or NTFS; nothing was written"
                ) from exc
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            self._check_root()
            return
        except OSError as exc:
            raise self._error(exc, path, writing=True, action="deleting") from exc
        try:
            _fsync_dir(path.parent)
        except OSError as exc:
            raise self._error(exc, path, writing=True, action="deleting") from exc

    def clean_temporary(self, older_than_s: float = 86400.0) -> int:
        """Remove temporary files left by crashed writers, older than ``older_than_s`` seconds.

        Returns how many were removed. Younger ones may belong to a writer still at work.
        """
        cutoff = time.time() - older_than_s
        removed = 0
        for dirpath, _dirs, files in os.walk(self._root):
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(dirpath, name)
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise self._error(exc, path, writing=True, action="removing") from exc
        return removed

    # --- reading -------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._error(exc, path, writing=False) from exc

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError(f"invalid range offset={offset} length={length}")
        if key.startswith(_IMMUTABLE_PREFIX) and threading.current_thread() is not _MAIN:
            try:
                return self._pread(key, offset, length)
            except OSError:
                pass  # the slow path below says what is wrong
        path = self._path(key)
        try:
            with path.open("rb") as file:
                file.seek(offset)
                return file.read(length)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._error(exc, path, writing=False) from exc

    def _pread(self, key: str, offset: int, length: int) -> bytes:
        """Ranged reads of packs keep a few files open per worker thread (a restore reads many
        blobs from each pack); packs never change once written, so a handle is never stale.
        The handles close when the thread ends (a restore's pool ends with the restore); the
        main thread, which lives as long as the process, keeps none."""
        handles: OrderedDict[str, io.FileIO] | None = getattr(self._local, "handles", None)
        if handles is None:
            handles = self._local.handles = OrderedDict()
        handle = handles.get(key)
        if handle is None:
            handle = io.FileIO(self._path(key), "r")
            handles[key] = handle
            if len(handles) > _OPEN_PER_THREAD:
                handles.popitem(last=False)[1].close()
        else:
            handles.move_to_end(key)
        return os.pread(handle.fileno(), length, offset)

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._error(exc, path, writing=False) from exc
        if not path.is_file():
            raise self._missing(key)
        return st.st_size

    def exists(self, key: str) -> bool:
        path = self._path(key)
        try:
            found = path.is_file()
        except OSError as exc:  # is_file hides ENOENT; anything left is a real failure
            raise self._error(exc, path, writing=False) from exc
        if not found:
            self._check_root()
        return found

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        head, _, _ = prefix.rpartition("/")
        start = self._root / head if head else self._root
        base = f"{head}/" if head else ""
        self._check_root()
        try:
            yield from self._walk(start, base, prefix)
        except OSError as exc:
            raise self._error(exc, start, writing=False, action="listing") from exc

    def _walk(self, directory: Path, base: str, prefix: str) -> Iterator[ObjectInfo]:
        """Objects under ``directory`` (whose key is ``base``) starting with ``prefix``."""
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            key = base + entry.name
            if entry.is_dir(follow_symlinks=False):
                # Descend only where some key below could start with the prefix.
                sub = key + "/"
                if sub.startswith(prefix) or prefix.startswith(sub):
                    yield from self._walk(Path(entry.path), sub, prefix)
            elif key.startswith(prefix):
                try:
                    size = entry.stat().st_size
                except FileNotFoundError:  # deleted while we listed
                    continue
                yield ObjectInfo(key, size)

    # --- helpers -------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._root / check_key(key)

    def _make_parents(self, directory: Path) -> None:
        """Create ``directory`` below the root, fsyncing each parent that gained an entry."""
        self._check_root("; nothing was written")
        missing: list[Path] = []
        current = directory
        while current != self._root and not current.is_dir():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                continue  # another thread created it; its creator fsyncs the parent
            _fsync_dir(path.parent)

    def _check_root(self, tail: str = "") -> None:
        """A missing root (an unmounted disk?) is a storage failure, not an empty store."""
        if not self._root.is_dir():
            raise StorageError(
                f"repository directory {self._root} does not exist: is the disk mounted? "
                f"Check the path and retry{tail}"
            )

    def _missing(self, key: str) -> ObjectMissing:
        self._check_root()
        return ObjectMissing(
            f"object {key} is missing from {self.location}: the repository is damaged or "
            "another process removed it; run a repository check"
        )

    def _error(
        self, exc: OSError, path: Path, *, writing: bool, action: str | None = None
    ) -> StorageError:
        doing = action or ("writing" if writing else "reading")
        tail = "; nothing was written" if writing and action is None else ""
        if exc.errno == errno.ENOSPC:
            return StorageError(
                f"disk full {doing} {path}: free space on {_mount_point(self._root)} "
                f"and retry{tail}"
            )
        if exc.errno == errno.EDQUOT:
            return StorageError(
                f"disk quota exceeded {doing} {path}: free space or raise the quota on "
                f"{_mount_point(self._root)} and retry{tail}"
            )
        if exc.errno in (errno.EACCES, errno.EPERM):
            return StorageError(
                f"permission denied {doing} {path}: the user running Remit (uid {os.getuid()}) "
                f"needs read and write access to {self._root} and everything in it{tail}"
            )
        if exc.errno == errno.EROFS:
            return StorageError(
                f"read-only filesystem {doing} {path}: remount {_mount_point(self._root)} "
                f"read-write or choose another repository location{tail}"
            )
        why = exc.strerror or type(exc).__name__
        return StorageError(f"failed {doing} {path}: {why}; check the disk and retry{tail}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mount_point(path: Path) -> str:
    """The mount point holding ``path`` (for "free space on …" hints)."""
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    while not os.path.ismount(current) and current != current.parent:
        current = current.parent
    return f"the filesystem mounted at {current}"
