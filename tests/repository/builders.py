"""Shared set-up for the repository's functional tests: cheap repositories and folder snapshots.

``new_repo`` creates a repository with a cheap argon2id cost (so key derivation takes
milliseconds); ``reopen`` opens the same store again as another process would. ``tree_state``
records everything a restore must reproduce (bytes, modes, mtimes, symlink targets, empty
folders), keyed by the relative path as bytes so names that are not UTF-8 compare exactly.
"""

from __future__ import annotations

import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path

from remit.repository.crypto import KdfParams
from remit.repository.keys import Credential, Passphrase
from remit.repository.repository import Repository
from remit.repository.stores import LocalStore, Store

PASSPHRASE = Passphrase(b"correct horse battery staple")


def cheap_kdf() -> KdfParams:
    """argon2id parameters that cost almost nothing (tests only)."""
    return KdfParams(salt=os.urandom(16), iterations=1, memory_kib=8, lanes=1)


def new_repo(where: Path | Store, credential: Credential = PASSPHRASE) -> Repository:
    """A fresh repository in the folder (or store) ``where``."""
    store = LocalStore(where) if isinstance(where, Path) else where
    if isinstance(where, Path):
        where.mkdir(parents=True, exist_ok=True)
    return Repository.init(store, credential, kdf=cheap_kdf())


def reopen(repo: Repository, credential: Credential = PASSPHRASE) -> Repository:
    """The same repository opened again from its store (a second process, in effect)."""
    return Repository.open(repo.store, credential)


def stored_bytes(store: Store, prefix: str = "") -> int:
    """Total size of the objects under ``prefix`` (every object when empty)."""
    return sum(info.size for info in store.list(prefix))


def object_keys(store: Store, prefix: str) -> set[str]:
    return {info.key for info in store.list(prefix)}


def random_bytes(size: int, seed: int) -> bytes:
    """``size`` reproducible incompressible bytes."""
    return random.Random(seed).randbytes(size)


def write_file(path: Path, data: bytes, *, mode: int = 0o644, mtime_ns: int | None = None) -> None:
    """Write ``data`` to ``path`` (parents created) with the given mode and mtime."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


@dataclass(frozen=True, slots=True)
class Entry:
    """What a restore must reproduce for one item below the backed-up folder."""

    kind: str  # "file", "dir" or "symlink"
    mode: int
    mtime_ns: int
    data: bytes = b""  # file content, or the symlink's target


def tree_state(root: Path) -> dict[bytes, Entry]:
    """Every item below ``root`` (not ``root`` itself), by relative path as bytes.

    Folder mtimes are read after the whole walk, so reading never changes what is recorded.
    """
    out: dict[bytes, Entry] = {}
    base = os.fsencode(root)

    def walk(folder: bytes, rel: bytes) -> None:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            key = os.path.join(rel, name) if rel else name
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[key] = Entry("symlink", mode, st.st_mtime_ns, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                walk(path, key)
                out[key] = Entry("dir", mode, os.lstat(path).st_mtime_ns)
            else:
                with open(path, "rb") as f:
                    out[key] = Entry("file", mode, st.st_mtime_ns, f.read())

    walk(base, b"")
    return out


def assert_same_tree(expected: dict[bytes, Entry], restored: Path) -> None:
    """``restored`` holds exactly ``expected``: same names, kinds, bytes, modes and mtimes."""
    actual = tree_state(restored)
    assert sorted(actual) == sorted(expected)
    for key, want in expected.items():
        got = actual[key]
        assert got.kind == want.kind, key
        assert got.data == want.data, key
        if want.kind != "symlink":  # a symlink's own mode is not settable on Linux
            assert oct(got.mode) == oct(want.mode), key
        assert got.mtime_ns == want.mtime_ns, key
