"""Back up a local folder into a snapshot (``remit repo backup-dir``).

Files unchanged since the parent snapshot (same size, mtime and inode) are not read again.
Small files are stored whole; mail messages (.eml) are split into MIME pieces so a recurring
attachment is stored once; everything else goes through keyed content-defined chunking, read
as a stream so memory stays flat whatever the size of the data.
"""

from __future__ import annotations

import getpass
import os
import socket
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from remit import __version__
from remit.errors import InvalidInput, RemitError
from remit.repository import mime
from remit.repository.chunking import Chunker
from remit.repository.format import BlobType
from remit.repository.repository import Repository
from remit.repository.snapshots import Snapshot
from remit.repository.trees import Node, Piece, decode_tree, encode_tree
from remit.repository.writer import Writer

_MAIL_SUFFIXES = (".eml",)
_MAIL_MAX = 64 * 1024 * 1024  # larger messages are chunked as plain files
_SNIFF = 4096
_READAHEAD = 64 * 1024 * 1024
_BODY_CACHE = 20_000  # attachments remembered per run (~200 bytes each: ~4 MiB at most)
PROGRAM = f"remit {__version__}"


@dataclass(slots=True)
class BackupProgress:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    reused_files: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    current: str = ""


ProgressCallback = Callable[[BackupProgress], None]


class _Readahead:
    """Asks the kernel to start reading the next files of a folder (``POSIX_FADV_WILLNEED``)
    while the current one is processed, so a cold disk is read while the CPU works instead of
    in turns. Up to ``_READAHEAD`` bytes ahead; page cache, not this process's memory."""

    def __init__(
        self, pool: ThreadPoolExecutor, entries: list[os.DirEntry[str]], previous: dict[str, Node]
    ) -> None:
        self._pool = pool
        self._entries = entries
        self._previous = previous  # unchanged files are not read, so not read ahead either
        self._next = 0  # the first entry not yet asked for
        self._sizes: list[int] = []

    def advance(self, position: int) -> None:
        if not hasattr(os, "posix_fadvise"):
            return
        ahead = sum(self._sizes[position:])
        batch: list[str] = []
        while self._next < len(self._entries) and ahead < _READAHEAD:
            entry = self._entries[self._next]
            self._next += 1
            size = self._size_to_read(entry)
            self._sizes.append(size)
            if size > 0:
                ahead += size
                batch.append(entry.path)
        if batch:
            self._pool.submit(_will_need, batch)

    def _size_to_read(self, entry: os.DirEntry[str]) -> int:
        """Bytes the backup will read from ``entry``: 0 for folders and for files the parent
        snapshot holds unchanged (reading those ahead would read the whole tree for nothing)."""
        try:
            if not entry.is_file(follow_symlinks=False):
                return 0
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return 0
        before = self._previous.get(entry.name)
        if before is not None and _same_file(before, st):
            return 0
        return st.st_size


def _same_file(previous: Node, st: os.stat_result) -> bool:
    """The parent snapshot's file has this size, mtime and inode (so its content is reused)."""
    return (previous.type, previous.size, previous.mtime_ns, previous.inode) == (
        "file",
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def _will_need(paths: list[str]) -> None:
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
        except OSError:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # the real read reports the problem
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


class Archiver:
    def __init__(
        self, repo: Repository, writer: Writer, *, progress: ProgressCallback | None = None
    ) -> None:
        self.repo = repo
        self.writer = writer
        self.chunker = Chunker(repo.config, repo.keyring.chunker_seed)
        self.state = BackupProgress()
        self._progress = progress
        self._last_report = 0.0
        self._bodies: dict[bytes, list[str] | dict[str, object]] = {}
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readahead")

    def close(self) -> None:
        self._prefetcher.shutdown(wait=True, cancel_futures=True)

    # --- directories ----------------------------------------------------------------------------

    def archive_dir(self, path: Path, parent_tree: str | None) -> str:
        previous = self._parent_nodes(parent_tree)
        nodes: list[Node] = []
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            self._error(path, exc)
            entries = []
        readahead = _Readahead(self._prefetcher, entries, previous)
        for position, entry in enumerate(entries):
            readahead.advance(position)
            node = self._archive_entry(entry, previous.get(entry.name))
            if node is not None:
                nodes.append(node)
        self.state.dirs += 1
        return self.writer.add(BlobType.TREE, encode_tree(nodes)).hex()

    def _parent_nodes(self, tree_id: str | None) -> dict[str, Node]:
        if tree_id is None:
            return {}
        try:
            raw = self.repo.read_blob(bytes.fromhex(tree_id), BlobType.TREE)
            return {n.name: n for n in decode_tree(raw, tree_id)}
        except RemitError:  # a damaged parent listing only costs reading its files again
            return {}

    def _archive_entry(self, entry: os.DirEntry[str], previous: Node | None) -> Node | None:
        try:
            st = entry.stat(follow_symlinks=False)  # often cached already by the read-ahead
        except OSError as exc:
            self._error(Path(entry.path), exc)
            return None
        base = Node(
            name=entry.name, type="", mode=stat.S_IMODE(st.st_mode), mtime_ns=st.st_mtime_ns
        )
        if stat.S_ISDIR(st.st_mode):
            base.type = "dir"
            parent_sub = previous.subtree if previous and previous.type == "dir" else None
            base.subtree = self.archive_dir(Path(entry.path), parent_sub)
            return base
        if stat.S_ISLNK(st.st_mode):
            base.type = "symlink"
            base.target = os.readlink(entry.path)
            return base
        if not stat.S_ISREG(st.st_mode):
            return None  # sockets, devices and pipes hold no data to protect
        base.type = "file"
        base.size = st.st_size
        base.inode = st.st_ino
        if previous is not None and self._unchanged(previous, st):
            base.content = previous.content
            self.state.reused_files += 1
        else:
            path = Path(entry.path)
            try:
                base.content = self._archive_file(path, st.st_size)
            except OSError as exc:
                self._error(path, exc)
                return None
        self.state.files += 1
        self.state.bytes += st.st_size
        self._report(entry.path)
        return base

    def _unchanged(self, previous: Node, st: os.stat_result) -> bool:
        return _same_file(previous, st) and all(self.writer.has(b) for b in previous.blob_ids())

    # --- files ----------------------------------------------------------------------------------

    def _archive_file(self, path: Path, size: int) -> list[Piece]:
        with path.open("rb") as f:
            if size <= self.chunker.min_size or (size <= _MAIL_MAX and _is_mail_name(path)):
                data = f.read()
                if _is_mail_name(path) or mime.looks_like_message(data[:_SNIFF]):
                    return self.store_message(data)
                return [self.writer.add(BlobType.DATA, data).hex()]
            chunks = self.chunker.split_stream(f, size)
            return [self.writer.add(BlobType.DATA, c).hex() for c in chunks]

    def store_message(self, data: bytes) -> list[Piece]:
        """A mail message as MIME pieces: base64 attachments stored decoded (deduplicated).

        An attachment's encoded text seen before in this run (the same file sent to many
        mailboxes) is recognised by its hash and not decoded again.
        """
        out: list[Piece] = []
        for piece in mime.split_message_lazily(data):
            if isinstance(piece, mime.Raw):
                out.extend(self.store_bytes(piece.data))
                continue
            key = self.writer.blob_id(piece.text)
            known = self._bodies.get(key)
            if known is None:
                body = mime.decode_body(piece.text)
                if body is None:
                    known = self.store_bytes(piece.text)
                else:
                    known = {
                        "b64": self.store_bytes(body.decoded),
                        "w": body.line_length,
                        "eol": "crlf" if body.eol == b"\r\n" else "lf",
                        "end": body.final_eol,
                    }
                if len(self._bodies) < _BODY_CACHE:
                    self._bodies[key] = known
            if isinstance(known, list):
                out.extend(known)
            else:
                out.append(known)
        return out

    def store_bytes(self, data: bytes) -> list[str]:
        return [self.writer.add(BlobType.DATA, c).hex() for c in self.chunker.split_bytes(data)]

    # --- reporting ------------------------------------------------------------------------------

    def _error(self, path: Path, exc: OSError) -> None:
        self.state.errors.append((str(path), exc.strerror or str(exc)))

    def _report(self, path: str) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if now - self._last_report >= 0.1:
            self._last_report = now
            self.state.current = path
            self._progress(self.state)


def backup_dir(
    repo: Repository,
    path: Path,
    *,
    resource: str | None = None,
    tags: tuple[str, ...] = (),
    tenant: str | None = None,
    progress: ProgressCallback | None = None,
    threads: int = 2,
) -> tuple[Snapshot, BackupProgress]:
    """Snapshot the folder at ``path``; the parent is the latest snapshot of the same resource."""
    path = path.resolve()
    if not path.is_dir():
        raise InvalidInput(f"{path} is not a folder; give the folder to back up")
    resource = resource or f"dir:{path}"
    started = time.monotonic()
    previous = repo.snapshots(resource=resource)
    parent = previous[-1] if previous else None
    writer = Writer(repo, threads=threads)
    try:
        archiver = Archiver(repo, writer, progress=progress)
        try:
            root = archiver.archive_dir(path, parent.tree if parent else None)
        finally:
            archiver.close()
        state = archiver.state
        writer.flush()
        summary = {
            "files": state.files,
            "dirs": state.dirs,
            "bytes": state.bytes,
            "reused_files": state.reused_files,
            "new_blobs": writer.new_blobs,
            "new_bytes": writer.new_bytes,
            "stored_bytes": writer.stored_bytes,
            "errors": len(state.errors),
            "seconds": round(time.monotonic() - started, 3),
        }
        doc: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(),
            "resource": resource,
            "tree": root,
            "hostname": socket.gethostname(),
            "username": _user(),
            "tags": list(tags),
            "parent": parent.id if parent else None,
            "tenant": tenant,
            "program": PROGRAM,
            "summary": summary,
        }
        snapshot = writer.commit(doc)
    except BaseException:
        writer.close()
        raise
    return snapshot, state


def _is_mail_name(path: Path) -> bool:
    return path.suffix.lower() in _MAIL_SUFFIXES


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
