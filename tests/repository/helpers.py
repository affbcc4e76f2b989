"""Shared pieces for the repository reliability tests.

A deterministic source tree (small files in nested folders, .eml messages sharing one base64
attachment, an empty file, a symlink and a multi-MiB file that is cut into several chunks),
small deterministic changes to it, a manifest of what a tree holds (so a restore can be compared
byte for byte), cheap key derivation and helpers to create, open, back up and restore.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from remit.repository.archiver import backup_dir
from remit.repository.format import BlobType
from remit.repository.repository import Repository
from remit.repository.restorer import RestoreReport, restore_dir
from remit.repository.snapshots import Snapshot
from remit.repository.stores import LocalStore
from remit.repository.trees import decode_tree
from tests.repository.builders import PASSPHRASE, new_repo

BIG_FILE = "media/big.bin"
BIG_SIZE = 3 * 1024 * 1024 + 12345  # several FastCDC chunks (min 256 KiB, avg 1 MiB)
MAIL_COUNT = 3
ATTACHMENT_SIZE = 48 * 1024

Manifest = dict[str, str]
"""Relative path -> ``file:<sha256>``, ``dir`` or ``link:<target>``."""


def init_repo(path: Path) -> Repository:
    return new_repo(path)


def open_repo(path: Path) -> Repository:
    return Repository.open(LocalStore(path), PASSPHRASE)


# --- the source tree -----------------------------------------------------------------------------


class TreeMaker:
    """Builds and changes a source tree deterministically (content and mtimes) from a seed.

    Every write sets an mtime of its own, so a changed file never keeps size and mtime of its
    previous version (the archiver would then, rightly, take it as unchanged).
    """

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self._clock = 1_700_000_000 * 10**9
        self._serial = 0

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.new")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a new inode, like most editors and sync clients
        self._clock += 1_000_003_000
        os.utime(path, ns=(self._clock, self._clock))

    def text(self, size: int) -> bytes:
        words = [b"mailbox", b"tenant", b"policy", b"backup", b"restore", b"drive", b"site"]
        out = bytearray()
        while len(out) < size:
            out += self.rng.choice(words) + b" " + str(self.rng.randrange(10**6)).encode() + b"\n"
        return bytes(out[:size])

    def build(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in ("docs", "docs/deep", "notes", "empty-dir"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(6):
            self.write(f"docs/report-{i}.txt", self.text(self.rng.randrange(200, 6000)))
        for i in range(4):
            self.write(f"docs/deep/item-{i}.csv", self.text(self.rng.randrange(100, 3000)))
        for i in range(5):
            self.write(f"notes/note-{i}.md", self.text(self.rng.randrange(50, 2000)))
        self.write("notes/empty.txt", b"")
        attachment = self.rng.randbytes(ATTACHMENT_SIZE)
        for i in range(MAIL_COUNT):
            self.write(f"mail/msg-{i}.eml", self.message(i, attachment))
        self.write(BIG_FILE, self.rng.randbytes(BIG_SIZE))
        os.symlink("../docs/report-0.txt", self.root / "notes/link-to-report")

    def message(self, n: int, attachment: bytes) -> bytes:
        body = base64.encodebytes(attachment).replace(b"\n", b"\r\n")
        return b"".join(
            [
                f"From: alice@contoso.com\r\nTo: bob{n}@contoso.com\r\n".encode(),
                f"Subject: report {n}\r\nMessage-ID: <{n}.{self.rng.random()}@x>\r\n".encode(),
                b"MIME-Version: 1.0\r\n",
                b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n',
                b"--XYZ\r\nContent-Type: text/plain\r\n\r\n",
                self.text(300).replace(b"\n", b"\r\n"),
                b"\r\n--XYZ\r\nContent-Type: application/pdf\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b'Content-Disposition: attachment; filename="q3.pdf"\r\n\r\n',
                body,
                b"--XYZ--\r\n",
            ]
        )

    def mutate(self) -> None:
        """A small day's worth of change: edit, add and delete a few files, touch the big one."""
        rng = self.rng
        self._serial += 1
        files = sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and not p.is_symlink() and p.suffix in (".txt", ".csv", ".md")
        )
        self.write(rng.choice(files), self.text(rng.randrange(100, 5000)))
        self.write(f"docs/new-{self._serial}.txt", self.text(rng.randrange(100, 4000)))
        if len(files) > 8:
            victim = rng.choice([f for f in files if f != "docs/report-0.txt"])
            (self.root / victim).unlink()
        if rng.random() < 0.3:
            attachment = rng.randbytes(ATTACHMENT_SIZE // 2)
            self.write(f"mail/new-{self._serial}.eml", self.message(self._serial, attachment))
        if rng.random() < 0.3:  # rewrite a region of the big file: a chunk or two change
            data = bytearray((self.root / BIG_FILE).read_bytes())
            at = rng.randrange(len(data) - 4096)
            data[at : at + 4096] = rng.randbytes(4096)
            self.write(BIG_FILE, bytes(data))


def manifest(root: Path) -> Manifest:
    out: Manifest = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- backing up and restoring --------------------------------------------------------------------


def backup(repo: Repository, source: Path) -> Snapshot:
    snapshot, progress = backup_dir(repo, source, resource="dir:source")
    assert progress.errors == []
    return snapshot


def restore(repo: Repository, snapshot: Snapshot, target: Path) -> tuple[Manifest, RestoreReport]:
    if target.exists():
        shutil.rmtree(target)
    report = restore_dir(repo, snapshot, target)
    leftovers = list(target.rglob(".remit-restore-*"))
    assert leftovers == [], f"restore left temporary files: {leftovers}"
    return manifest(target), report


@dataclass
class Layout:
    """What a snapshot holds, keyed the way ``check`` names items (``/docs/``, ``/docs/a.txt``).

    ``dirs`` maps each folder (``/`` is the root) to its tree blob, ``files`` each file to the
    data blobs its content needs.
    """

    dirs: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)

    @classmethod
    def of(cls, repo: Repository, snapshot: Snapshot) -> Layout:
        layout = cls()
        layout._walk(repo, bytes.fromhex(snapshot.tree), "/")
        return layout

    def _walk(self, repo: Repository, tree_id: bytes, path: str) -> None:
        self.dirs[path] = tree_id
        for node in decode_tree(repo.read_blob(tree_id, BlobType.TREE), tree_id.hex()):
            if node.type == "dir" and node.subtree:
                self._walk(repo, bytes.fromhex(node.subtree), f"{path}{node.name}/")
            elif node.type == "file":
                self.files[path + node.name] = node.blob_ids()

    def blobs(self) -> set[bytes]:
        return set(self.dirs.values()).union(*self.files.values())

    def loss(self, lost: set[bytes], tree: Manifest) -> tuple[set[str], Manifest]:
        """If the blobs in ``lost`` cannot be read: the items named as damaged (a lost folder
        listing hides everything below it) and what a restore still gives back."""
        damaged: set[str] = set()
        hidden: list[str] = []  # folders whose listing is lost
        for path, tree_id in sorted(self.dirs.items()):
            if any(path.startswith(h) for h in hidden):
                continue
            if tree_id in lost:
                damaged.add(path)
                hidden.append(path)
        for path, blob_ids in self.files.items():
            if not any(path.startswith(h) for h in hidden) and lost.intersection(blob_ids):
                damaged.add(path)
        survivors = {
            rel: what
            for rel, what in tree.items()
            if f"/{rel}" not in damaged and not any(f"/{rel}".startswith(h) for h in hidden)
        }
        return damaged, survivors


def failed_items(report: RestoreReport, target: Path) -> set[str]:
    """``RestoreReport.failed`` item names: those ``check`` uses (``/docs/``, ``/a.txt``)."""
    assert target.is_dir()
    return {path for path, _reason in report.failed}
