"""Property: restoring a backup of any folder gives back exactly that folder.

Trees (files, symlinks, empty folders) are drawn with names from a safe alphabet plus some
unicode; contents are arbitrary bytes, MIME messages with base64 attachments in several layouts
(stored split and re-encoded on restore, so this is where byte-exactness is most at risk), and
occasional large random files. Every example gets a fresh repository.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remit.repository.archiver import backup_dir
from remit.repository.checker import check
from remit.repository.restorer import restore_dir
from tests.repository.builders import (
    assert_same_tree,
    new_repo,
    random_bytes,
    reopen,
    tree_state,
    write_file,
)

T0 = 1_700_000_000_000_000_000
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABC0123456789-_. éüßøΩЖ中文✓🙂"

names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..") and not n.startswith(".remit-restore-")
)


@st.composite
def mime_messages(draw: st.DrawFn) -> bytes:
    """A MIME message with a base64 part (sometimes malformed) laid out as mailers do."""
    payload = draw(
        st.one_of(
            st.binary(max_size=8192),
            st.builds(random_bytes, st.integers(2048, 200_000), st.integers(0, 2**32)),
        )
    )
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    width = draw(st.sampled_from([76, 64, 72, 0]))
    encoded = base64.b64encode(payload)
    lines = [encoded[i : i + width] for i in range(0, len(encoded), width)] if width else [encoded]
    body = eol.join(lines) + (eol if draw(st.booleans()) else b"")
    if draw(st.booleans()):  # damage: a stray character, or a cut-off body
        pos = draw(st.integers(0, max(len(body) - 1, 0)))
        body = body[:pos] + draw(st.sampled_from([b"!", b"=", b""])) + body[pos + 1 :]
    boundary = b"==b" + draw(st.text("abc123", min_size=1, max_size=8)).encode()
    parts = [
        b"From: a@example.com",
        b"To: b@example.com",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
        b"",
        b"--" + boundary,
        b"Content-Type: text/plain",
        b"",
        draw(st.binary(max_size=200)).replace(b"--", b"-"),
        b"--" + boundary,
        b"Content-Type: application/octet-stream",
        b"Content-Transfer-Encoding: base64",
        b"",
        body,
        b"--" + boundary + (b"--" if draw(st.booleans()) else b""),
    ]
    return eol.join(parts) + draw(st.sampled_from([b"", eol, eol + b"epilogue"]))


contents = st.one_of(
    st.binary(max_size=4096),
    mime_messages(),
    st.builds(random_bytes, st.integers(0, 1024 * 1024), st.integers(0, 2**32)),
)

file_names = st.one_of(names, names.map(lambda n: n + ".eml"))


@st.composite
def folder_trees(draw: st.DrawFn, depth: int = 0) -> dict[str, object]:
    """``{name: (mode, bytes) | str | dict}``: files, symlinks (their target) and subfolders."""
    tree: dict[str, object] = {}
    for name in draw(st.lists(file_names, max_size=5, unique_by=str.lower)):
        tree[name] = (draw(st.sampled_from([0o644, 0o600, 0o755, 0o444])), draw(contents))
    for name in draw(st.lists(names, max_size=1)):
        if name.lower() not in {n.lower() for n in tree}:
            tree[name] = draw(st.sampled_from(["../elsewhere", "/absolute/path", *tree]))
    if depth < 3:
        for name in draw(st.lists(names, max_size=2, unique_by=str.lower)):
            if name.lower() not in {n.lower() for n in tree}:
                tree[name] = draw(folder_trees(depth + 1))
    return tree


def _materialise(tree: dict[str, object], folder: Path, counter: list[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in tree.items():
        counter[0] += 1
        if isinstance(value, dict):
            _materialise(value, folder / name, counter)
            t = T0 + counter[0] * 1_000_003
            os.utime(folder / name, ns=(t, t))  # after its contents, which change it
        elif isinstance(value, str):
            os.symlink(value, folder / name)
            t = T0 + counter[0] * 31
            os.utime(folder / name, ns=(t, t), follow_symlinks=False)
        else:
            assert isinstance(value, tuple)
            mode, data = value
            write_file(folder / name, data, mode=mode, mtime_ns=T0 + counter[0] * 7_919)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(tree=folder_trees())
def test_restore_of_backup_is_identity(tree: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory(prefix="remit-prop-") as tmp:
        base = Path(tmp)
        _materialise(tree, base / "src", [0])
        expected = tree_state(base / "src")
        repo = new_repo(base / "repo")
        snapshot, progress = backup_dir(repo, base / "src")
        assert progress.errors == []
        report = restore_dir(reopen(repo), snapshot, base / "out")
        assert report.failed == []
        assert_same_tree(expected, base / "out")
        assert check(repo).ok
