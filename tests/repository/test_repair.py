"""`repair` rebuilds a damaged or lost index from the packs' authenticated headers."""

from __future__ import annotations

from pathlib import Path

from remit.repository.checker import check
from remit.repository.format import INDEX_PREFIX
from remit.repository.repair import repair
from tests.repository.helpers import TreeMaker, backup, init_repo, manifest, open_repo, restore


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_repair_rebuilds_a_damaged_index_and_everything_restores(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    source = tmp_path / "src"
    TreeMaker(source, 3).build()
    snapshot = backup(repo, source)
    expected = manifest(source)
    (index_id,) = repo.index_ids()
    _damage(tmp_path / "repo" / INDEX_PREFIX / index_id)

    damaged = open_repo(tmp_path / "repo")
    assert not check(damaged).ok
    assert repair(damaged, dry_run=True).new_index is None  # a dry run writes nothing
    assert damaged.index_ids() == [index_id]

    report = repair(damaged)
    assert report.removed_indexes == [index_id]
    assert report.indexed_packs >= 2  # a data pack and a tree pack
    assert report.damaged_packs == []
    assert damaged.index_ids() == [report.new_index]

    fresh = open_repo(tmp_path / "repo")
    result = check(fresh, read_data=True)
    assert result.ok, result.errors
    assert result.warnings == []
    got, restored = restore(fresh, snapshot, tmp_path / "out")
    assert restored.failed == []
    assert got == expected


def test_repair_indexes_packs_left_by_an_interrupted_backup(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    source = tmp_path / "src"
    TreeMaker(source, 4).build()
    backup(repo, source)
    (index_id,) = repo.index_ids()
    (tmp_path / "repo" / INDEX_PREFIX / index_id).unlink()  # as if the writer died before it

    orphaned = open_repo(tmp_path / "repo")
    assert len(check(orphaned).warnings) >= 2
    report = repair(orphaned)
    assert report.removed_indexes == []
    assert report.indexed_packs >= 2
    assert check(open_repo(tmp_path / "repo"), read_data=True).warnings == []
