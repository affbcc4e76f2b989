"""Damage to any repository object is found by ``check`` and contained by ``restore``.

A repository gets three backups of a changing tree (so every kind of object exists three
times). Each case damages one object of the second backup (a byte flipped, the object cut in
half, or the object deleted) in a fresh copy of the repository, then checks that ``check
--read-data`` names the object and the damaged items, and that a restore of every snapshot
names exactly the files it cannot give back, leaves them out entirely and restores everything
else byte for byte. What is expected is computed from the undamaged repository: which blobs
the damage makes unreadable, and which files and folders of each snapshot need them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from remit.errors import IntegrityError, RemitError, RepositoryError, RepositoryKeyError
from remit.repository.checker import CheckReport, check
from remit.repository.format import INDEX_PREFIX, BlobType, pack_key
from remit.repository.index import PackRecord
from remit.repository.pruner import prune
from remit.repository.repository import Repository
from tests.repository.helpers import (
    Layout,
    Manifest,
    TreeMaker,
    backup,
    failed_items,
    init_repo,
    manifest,
    open_repo,
    restore,
)

Damager = Callable[[Path], None]


@dataclass
class Pristine:
    """The undamaged repository and everything the cases compute their expectations from."""

    path: Path
    snapshots: list[str]  # ids, oldest first
    trees: list[Manifest]  # what each snapshot was taken of
    layouts: list[Layout]
    data_pack: PackRecord  # the second backup's packs and index
    tree_pack: PackRecord
    index_id: str

    def copy(self, to: Path) -> Path:
        shutil.copytree(self.path, to)
        return to


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    base = tmp_path_factory.mktemp("pristine")
    path, source = base / "repo", base / "source"
    repo = init_repo(path)
    maker = TreeMaker(source, 7)
    maker.build()
    snapshots, trees, packs, indexes = [], [], [], []
    for n in range(3):
        if n:
            maker.mutate()
        before, before_idx = set(repo.index().packs), set(repo.index_ids())
        snapshots.append(backup(repo, source).id)
        trees.append(manifest(source))
        packs.append([repo.index().packs[p] for p in set(repo.index().packs) - before])
        indexes.append(set(repo.index_ids()) - before_idx)
    second = packs[1]
    (data_pack,) = [p for p in second if p.entries[0].blob_type == BlobType.DATA]
    (tree_pack,) = [p for p in second if p.entries[0].blob_type == BlobType.TREE]
    (index_id,) = indexes[1]
    by_id = {s.id: s for s in repo.snapshots()}
    layouts = [Layout.of(repo, by_id[i]) for i in snapshots]
    assert check(repo, read_data=True).ok
    return Pristine(path, snapshots, trees, layouts, data_pack, tree_pack, index_id)


# --- damaging objects ----------------------------------------------------------------------------


def flip(key: str, offset: int | None = None) -> Damager:
    """Flip one bit of the object's byte at ``offset`` (default: the middle)."""

    def damage(root: Path) -> None:
        path = root / key
        data = bytearray(path.read_bytes())
        at = len(data) // 2 if offset is None else offset
        data[at] ^= 0x10
        path.write_bytes(bytes(data))

    return damage


def truncate(key: str) -> Damager:
    def damage(root: Path) -> None:
        path = root / key
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return damage


def delete(key: str) -> Damager:
    def damage(root: Path) -> None:
        (root / key).unlink()

    return damage


def damaged_copy(pristine: Pristine, tmp_path: Path, damage: Damager) -> Path:
    path = pristine.copy(tmp_path / "repo")
    damage(path)
    return path


def check_copy(path: Path) -> CheckReport:
    """``check --read-data`` on its own Repository object: check leaves the index it verified
    in the object it was given, which would hide from later reads what the damage does."""
    return check(open_repo(path), read_data=True)


# --- what must follow from the damage ------------------------------------------------------------


def items(report: CheckReport, snapshot_id: str) -> set[str]:
    return {d.item for d in report.damaged_items if d.snapshot == snapshot_id}


def assert_contained(
    repo: Repository, pristine: Pristine, lost: set[bytes], tmp_path: Path
) -> list[set[str]]:
    """Every snapshot restores all but what ``lost`` takes away, and names exactly that."""
    by_id = {s.id: s for s in repo.snapshots()}
    failures = []
    for snapshot_id, layout, tree in zip(
        pristine.snapshots, pristine.layouts, pristine.trees, strict=True
    ):
        damaged, survivors = layout.loss(lost, tree)
        target = tmp_path / f"restore-{snapshot_id[:8]}"
        got, report = restore(repo, by_id[snapshot_id], target)
        assert failed_items(report, target) == damaged, snapshot_id[:8]
        assert got == survivors, snapshot_id[:8]
        failures.append(damaged)
    assert any(failures), "the damage should cost at least one item"
    assert not failures[0], "the first snapshot does not use the second backup's objects"
    return failures


def assert_check_names(report: CheckReport, pristine: Pristine, lost: set[bytes]) -> None:
    for snapshot_id, layout, tree in zip(
        pristine.snapshots, pristine.layouts, pristine.trees, strict=True
    ):
        assert items(report, snapshot_id) == layout.loss(lost, tree)[0], snapshot_id[:8]
    assert not report.ok


def blob_ids(
    record: PackRecord, keep: Callable[[int, int], bool] = lambda _o, _n: True
) -> set[bytes]:
    return {e.blob_id for e in record.entries if keep(e.offset, e.length)}


# --- data and tree packs -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["data", "tree"])
def test_flipped_byte_in_a_pack_loses_one_blob(
    pristine: Pristine, tmp_path: Path, kind: str
) -> None:
    record = pristine.data_pack if kind == "data" else pristine.tree_pack
    if kind == "tree":  # the folder listing of /docs/ in the second snapshot: a subtree
        victim = next(e for e in record.entries if e.blob_id == pristine.layouts[1].dirs["/docs/"])
    else:  # a blob in the middle of the pack
        victim = record.entries[len(record.entries) // 2]
    path = damaged_copy(
        pristine, tmp_path, flip(pack_key(record.pack_id), victim.offset + victim.length // 2)
    )

    report = check_copy(path)
    repo = open_repo(path)

    lost = {victim.blob_id}
    assert f"pack {record.pack_id} does not match its name: its bytes were damaged" in report.errors
    assert any(victim.blob_id.hex() in e and "failed authentication" in e for e in report.errors)
    assert_check_names(report, pristine, lost)
    failures = assert_contained(repo, pristine, lost, tmp_path)
    if kind == "tree":
        assert failures[1] == {"/docs/"}


@pytest.mark.parametrize("kind", ["data", "tree"])
def test_truncated_pack(pristine: Pristine, tmp_path: Path, kind: str) -> None:
    record = pristine.data_pack if kind == "data" else pristine.tree_pack
    key = pack_key(record.pack_id)
    size = (pristine.path / key).stat().st_size
    path = damaged_copy(pristine, tmp_path, truncate(key))

    report = check_copy(path)
    repo = open_repo(path)

    assert f"pack {record.pack_id}: pack {record.pack_id} does not end with the pack trailer" in (
        report.errors
    )
    # Without the header, check opens each blob the index lists: the blobs before the cut verify
    # on their own, so check names exactly the items a restore cannot recover.
    lost = blob_ids(record, lambda o, n: o + n > size // 2)
    assert lost
    assert lost != blob_ids(record)
    assert_check_names(report, pristine, lost)
    assert_contained(repo, pristine, lost, tmp_path)


@pytest.mark.parametrize("kind", ["data", "tree"])
def test_deleted_pack(pristine: Pristine, tmp_path: Path, kind: str) -> None:
    record = pristine.data_pack if kind == "data" else pristine.tree_pack
    path = damaged_copy(pristine, tmp_path, delete(pack_key(record.pack_id)))

    report = check_copy(path)
    repo = open_repo(path)

    assert f"pack {record.pack_id} is listed in an index but missing" in report.errors
    assert_check_names(report, pristine, blob_ids(record))
    assert_contained(repo, pristine, blob_ids(record), tmp_path)


def test_flipped_byte_in_a_pack_header_is_reported_but_costs_no_data(
    pristine: Pristine, tmp_path: Path
) -> None:
    record = pristine.data_pack
    key = pack_key(record.pack_id)
    size = (pristine.path / key).stat().st_size
    path = damaged_copy(pristine, tmp_path, flip(key, size - 40))  # inside the sealed header

    report = check_copy(path)
    repo = open_repo(path)

    assert any(
        e.startswith(f"pack {record.pack_id}: header of pack") and "failed authentication" in e
        for e in report.errors
    )
    assert report.blobs_read == sum(len(p.entries) for p in repo.index().packs.values())
    # Every blob verifies on its own (restore reads blobs through the index), so check reports
    # the damaged header and names no item as lost.
    assert_check_names(report, pristine, set())
    by_id = {s.id: s for s in repo.snapshots()}
    for snapshot_id, tree in zip(pristine.snapshots, pristine.trees, strict=True):
        got, restored = restore(repo, by_id[snapshot_id], tmp_path / snapshot_id[:8])
        assert (got, restored.failed) == (tree, [])


# --- index objects -------------------------------------------------------------------------------


def second_backup_blobs(pristine: Pristine) -> set[bytes]:
    return blob_ids(pristine.data_pack) | blob_ids(pristine.tree_pack)


@pytest.mark.parametrize("how", [flip, truncate])
def test_damaged_index_is_reported_and_its_packs_show_as_unindexed(
    pristine: Pristine, tmp_path: Path, how: Callable[[str], Damager]
) -> None:
    index_id = pristine.index_id
    path = damaged_copy(pristine, tmp_path, how(INDEX_PREFIX + index_id))

    report = check_copy(path)
    repo = open_repo(path)

    assert [e for e in report.errors if e.startswith(f"index {index_id}: ")] == [
        f"index {index_id}: index object {index_id} does not match its name: it was damaged"
        " or altered"
    ]
    for record in (pristine.data_pack, pristine.tree_pack):
        assert any(w.startswith(f"pack {record.pack_id} is in no index") for w in report.warnings)
    assert_check_names(report, pristine, second_backup_blobs(pristine))

    # Reading skips the damaged index: only what it alone covered is lost.
    repo.index()
    assert repo.damaged_indexes == [index_id]
    assert_contained(repo, pristine, second_backup_blobs(pristine), tmp_path)

    # Prune must not take the packs of a damaged index for unused ones: here it stops, as the
    # second snapshot's listings cannot be read, and deletes nothing.
    packs = sorted((path / "data").rglob("*"))
    for _ in range(2):
        with pytest.raises(IntegrityError, match="prune stopped"):
            prune(open_repo(path), grace=timedelta(0))
    assert sorted((path / "data").rglob("*")) == packs


def test_deleted_index_loses_what_it_covered(pristine: Pristine, tmp_path: Path) -> None:
    path = damaged_copy(pristine, tmp_path, delete(INDEX_PREFIX + pristine.index_id))

    report = check_copy(path)
    repo = open_repo(path)

    assert report.errors == []  # a missing index cannot be told from one never written ...
    for record in (pristine.data_pack, pristine.tree_pack):  # ... but its packs are orphans
        assert any(w.startswith(f"pack {record.pack_id} is in no index") for w in report.warnings)
    assert_check_names(report, pristine, second_backup_blobs(pristine))
    assert_contained(repo, pristine, second_backup_blobs(pristine), tmp_path)


# --- snapshot objects ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", [flip, truncate])
def test_damaged_snapshot_is_reported_and_the_others_restore(
    pristine: Pristine, tmp_path: Path, how: Callable[[str], Damager]
) -> None:
    first, second, third = pristine.snapshots
    path = damaged_copy(pristine, tmp_path, how(f"snapshots/{second}"))

    report = check_copy(path)
    repo = open_repo(path)

    assert report.errors == [
        f"snapshot {second}: snapshot object {second} does not match its name: it was damaged"
        " or altered"
    ]
    assert (report.snapshots, report.damaged_items) == (2, [])
    with pytest.raises(IntegrityError, match=f"snapshot object {second} does not match"):
        repo.load_snapshot_by_id(second)
    # Listings leave the damaged snapshot out (and say so); prune refuses to run.
    assert [s.id for s in repo.snapshots()] == [first, third]
    assert repo.damaged_snapshots == [second]
    with pytest.raises(IntegrityError, match="prune stopped"):
        prune(repo, grace=timedelta(0))
    for snapshot_id in (first, third):
        snapshot = repo.find_snapshot(snapshot_id[:12])
        got, restored = restore(repo, snapshot, tmp_path / snapshot.short_id)
        assert (got, restored.failed) == (pristine.trees[pristine.snapshots.index(snapshot_id)], [])


def test_deleted_snapshot_is_indistinguishable_from_a_forgotten_one(
    pristine: Pristine, tmp_path: Path
) -> None:
    first, second, third = pristine.snapshots
    path = damaged_copy(pristine, tmp_path, delete(f"snapshots/{second}"))

    report = check_copy(path)
    repo = open_repo(path)

    # Nothing lists the snapshots that should exist, so this loss is not detectable; the data
    # it used stays until prune finds it unused. Every other snapshot is whole.
    assert (report.ok, report.snapshots) == (True, 2)
    assert [s.id for s in repo.snapshots()] == [first, third]
    for snapshot in repo.snapshots():
        got, restored = restore(repo, snapshot, tmp_path / snapshot.short_id)
        assert (got, restored.failed) == (pristine.trees[pristine.snapshots.index(snapshot.id)], [])


# --- config and key objects ----------------------------------------------------------------------


def config_mac_offset(root: Path) -> int:
    raw = (root / "config").read_bytes()
    return raw.index(b'"mac": "') + len(b'"mac": "') + 10


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (
            lambda root: flip("config", config_mac_offset(root))(root),
            IntegrityError,
            "the repository config failed authentication",
        ),
        (truncate("config"), RepositoryError, "is not a Remit repository"),
        (delete("config"), RepositoryError, "no repository at"),
    ],
    ids=["flip", "truncate", "delete"],
)
def test_damaged_config_stops_open_with_a_clear_error(
    pristine: Pristine, tmp_path: Path, damage: Damager, error: type[RemitError], message: str
) -> None:
    path = pristine.copy(tmp_path / "repo")
    damage(path)
    with pytest.raises(error, match=message) as caught:
        open_repo(path)
    assert "\n" not in str(caught.value)


def key_path(root: Path) -> Path:
    (path,) = (root / "keys").iterdir()
    return path


def flip_keyring(root: Path) -> None:
    """Change one character of the wrapped keyring to another base64 character."""
    path = key_path(root)
    doc = json.loads(path.read_bytes())
    text = doc["keyring"]
    middle = len(text) // 2
    doc["keyring"] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (flip_keyring, RepositoryKeyError, "wrong passphrase: no key of the repository"),
        (
            lambda root: flip(str(key_path(root).relative_to(root)), 0)(root),
            RepositoryError,
            "is malformed",
        ),
        (
            lambda root: truncate(str(key_path(root).relative_to(root)))(root),
            RepositoryError,
            "is malformed",
        ),
        (lambda root: key_path(root).unlink(), RepositoryKeyError, "has no keys left"),
    ],
    ids=["keyring", "flip", "truncate", "delete"],
)
def test_damaged_key_stops_open_with_a_clear_error(
    pristine: Pristine, tmp_path: Path, damage: Damager, error: type[RemitError], message: str
) -> None:
    path = pristine.copy(tmp_path / "repo")
    damage(path)
    with pytest.raises(error, match=message) as caught:
        open_repo(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["config", "key"])
def test_no_single_bit_flip_in_config_or_key_gives_a_traceback(
    pristine: Pristine, tmp_path: Path, name: str
) -> None:
    """Every bit 4 of every byte: the repository opens (only key metadata such as ``host``
    is unauthenticated) or a one-line RepositoryError says why not."""
    root = pristine.copy(tmp_path / "repo")
    path = root / "config" if name == "config" else key_path(root)
    original = path.read_bytes()
    fields = json.loads(original)
    opened: set[str] = set()  # the fields a flip that still opened had changed
    messages: list[str] = []
    for at in range(len(original)):
        data = bytearray(original)
        data[at] ^= 0x10
        path.write_bytes(bytes(data))
        try:
            repo = open_repo(root)
        except RepositoryError as exc:
            messages.append(str(exc))
            continue
        assert repo.config == open_repo(pristine.path).config
        changed = json.loads(bytes(data))
        opened.update(k for k in fields if fields[k] != changed.get(k))
    path.write_bytes(original)
    assert messages
    assert [m for m in messages if "\n" in m] == []
    if name == "config":
        assert opened == set()
    else:
        assert opened <= {"created", "host", "user", "version"}
