"""Restore a snapshot into a folder (``remit repo restore-dir``).

Each file is written to a temporary name and renamed into place when all of it was read and
verified, so a damaged or missing blob never leaves a half file: the file is named in the
report and every other file is still restored.
"""

from __future__ import annotations

import binascii
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from remit.errors import RemitError
from remit.repository import mime
from remit.repository.format import BlobType
from remit.repository.repository import Repository
from remit.repository.snapshots import Snapshot
from remit.repository.trees import Node, Piece, decode_tree

_QUEUED_PER_THREAD = 64  # files handed to the pool ahead of the one being written


@dataclass(slots=True)
class RestoreReport:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    # (item, why): items named as `check` names them, from the snapshot root ("/docs/a.txt";
    # a folder ends in "/")
    failed: list[tuple[str, str]] = field(default_factory=list)


ProgressCallback = Callable[[RestoreReport], None]


class Restorer:
    def __init__(
        self, repo: Repository, *, threads: int = 3, progress: ProgressCallback | None = None
    ) -> None:
        self.repo = repo
        self.report = RestoreReport()
        self._threads = threads
        self._progress = progress
        self._last = 0.0
        self._lock = threading.Lock()

    def restore(self, snapshot: Snapshot, target: Path) -> RestoreReport:
        target.mkdir(parents=True, exist_ok=True)
        dir_times: list[tuple[Path, Node]] = []
        queued: deque[Future[None]] = deque()
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            for path, item, node in self._walk(snapshot.tree, target, "/", dir_times):
                queued.append(pool.submit(self._restore_file, path, item, node))
                if len(queued) > _QUEUED_PER_THREAD * self._threads:
                    queued.popleft().result()  # memory stays flat however many files
            for future in queued:
                future.result()
        for path, node in dir_times:  # children first: a parent's restored mode cannot block them
            with contextlib.suppress(OSError):
                os.chmod(path, node.mode or 0o755)
            _set_times(path, node)
        return self.report

    def _walk(
        self, tree_id: str, folder: Path, rel: str, dir_times: list[tuple[Path, Node]]
    ) -> Iterator[tuple[Path, str, Node]]:
        """Files to restore as (where to write, item name as check gives it, node); ``rel``
        is the folder's item name (``/`` for the root, ``/docs/`` below it)."""
        try:
            nodes = decode_tree(self.repo.read_blob(bytes.fromhex(tree_id), BlobType.TREE), tree_id)
        except RemitError as exc:
            self.report.failed.append((rel, f"folder listing lost: {exc}"))
            return
        for node in nodes:
            path = folder / os.fsdecode(os.fsencode(node.name))
            if "/" in node.name or node.name in ("", ".", ".."):
                self.report.failed.append((rel + node.name, "unsafe name in the snapshot"))
                continue
            if node.type == "dir" and node.subtree:
                path.mkdir(exist_ok=True)
                self.report.dirs += 1
                yield from self._walk(node.subtree, path, f"{rel}{node.name}/", dir_times)
                dir_times.append((path, node))
            elif node.type == "symlink" and node.target is not None:
                if path.is_symlink() or path.exists():
                    path.unlink()
                os.symlink(node.target, path)
                _set_times(path, node)
            elif node.type == "file":
                yield path, rel + node.name, node

    def _restore_file(self, path: Path, item: str, node: Node) -> None:
        tmp = path.with_name(f".remit-restore-{path.name}")
        try:
            with tmp.open("wb") as f:
                for data in self.file_bytes(node.content):
                    f.write(data)
            os.replace(tmp, path)
            os.chmod(path, node.mode or 0o644)
            _set_times(path, node)
        except (RemitError, OSError, ValueError, binascii.Error) as exc:
            tmp.unlink(missing_ok=True)
            self.report.failed.append((item, str(exc)))
            return
        with self._lock:
            self.report.files += 1
            self.report.bytes += node.size
        if self._progress is not None and time.monotonic() - self._last > 0.1:
            self._last = time.monotonic()
            self._progress(self.report)

    def file_bytes(self, content: list[Piece]) -> Iterator[bytes]:
        for piece in content:
            if isinstance(piece, str):
                yield self.repo.read_blob(bytes.fromhex(piece), BlobType.DATA)
            else:
                ids = piece["b64"]
                decoded = (
                    self.repo.read_blob(bytes.fromhex(ids[0]), BlobType.DATA)
                    if len(ids) == 1
                    else b"".join(self.repo.read_blob(bytes.fromhex(i), BlobType.DATA) for i in ids)
                )
                eol = b"\r\n" if piece["eol"] == "crlf" else b"\n"
                body = mime.Base64Body(decoded, int(piece["w"]), eol, bool(piece["end"]))
                yield from mime.join_pieces([body])  # encoded again block by block


def _set_times(path: Path, node: Node) -> None:
    with contextlib.suppress(OSError):  # times are best effort
        os.utime(path, ns=(node.mtime_ns, node.mtime_ns), follow_symlinks=False)


def restore_dir(
    repo: Repository, snapshot: Snapshot, target: Path, *, progress: ProgressCallback | None = None
) -> RestoreReport:
    return Restorer(repo, progress=progress).restore(snapshot, target)
