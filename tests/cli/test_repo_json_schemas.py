"""`remit repo … --json` output has the documented shape (docs/reference/schemas/repo-*).

One repository goes through a life that makes every document's nullable fields and nested
lists take both forms: empty and full, healthy and damaged. The published files themselves are
checked by test_json_schemas.py, which covers every name in `schemas.OUTPUTS`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from remit.cli import schemas
from remit.cli.schemas_repo import REPO_OUTPUTS
from remit.repository.format import INDEX_PREFIX
from remit.repository.keys import Passphrase
from remit.repository.repository import Repository
from remit.repository.stores import LocalStore
from remit.repository.trees import decode_tree
from tests.cli.runner import Cli, json_of
from tests.cli.test_repo_cmd import PASSWORD, REPO_ENV, make_tree
from tests.repository.builders import random_bytes


@pytest.fixture(autouse=True)
def _repo_environment(monkeypatch: pytest.MonkeyPatch, cli: Cli, tmp_path: Path) -> None:
    """Only REMIT_PASSWORD from here chooses the credential; no cache outside the test."""
    for name in REPO_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("REMIT_PASSWORD", PASSWORD)
    cli.keep_secret(PASSWORD)


class Outputs:
    """Runs `remit repo -r PATH --no-cache … --json` and keeps every document by schema name."""

    def __init__(self, cli: Cli, path: Path) -> None:
        self.cli, self.path = cli, path
        self.docs: defaultdict[str, list[Any]] = defaultdict(list)

    def __call__(self, name: str, *args: str, code: int = 0) -> Any:
        # --no-cache: a damaged index object must be read from the repository, not the cache.
        result = self.cli("repo", "-r", str(self.path), "--no-cache", *args, "--json")
        assert result.code == code, (
            f"remit repo {' '.join(args)} exited {result.code}: {result.err}"
        )
        document = json_of(result)
        self.docs[name].append(document)
        return document


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _damage_big_file_data(path: Path, snapshot_id: str) -> None:
    """Flip a byte inside the stored data of big.bin in the snapshot."""
    opened = Repository.open(LocalStore(path), Passphrase(PASSWORD.encode()))
    (snapshot,) = [s for s in opened.snapshots() if s.id == snapshot_id]
    root = decode_tree(opened.read_blob(bytes.fromhex(snapshot.tree)), "root")
    big = next(n for n in root if n.name == "big.bin")
    loc = opened.locate(big.blob_ids()[0])
    _flip(path / "data" / loc.pack_id[:2] / loc.pack_id, loc.offset + 40)


def test_every_repo_json_output_validates_against_its_type(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "repo"
    run = Outputs(cli, path)
    assert run("repo-init", "init")["location"] == str(path)
    assert run("repo-stats", "stats")["dedup_ratio"] is None
    assert run("repo-snapshots", "snapshots") == []

    source = tmp_path / "source"
    make_tree(source)
    kept = run("repo-backup-dir", "backup-dir", str(source), "--tag", "nightly")["snapshot"]
    scratch = tmp_path / "scratch"  # one file, replaced: the older snapshot's packs fall free
    scratch.mkdir()
    (scratch / "a.bin").write_bytes(random_bytes(300 * 1024, seed=2))
    old = run("repo-backup-dir", "backup-dir", str(scratch), "--resource", "scratch")["snapshot"]
    (scratch / "a.bin").write_bytes(random_bytes(300 * 1024, seed=3))
    new = run("repo-backup-dir", "backup-dir", str(scratch), "--resource", "scratch")["snapshot"]
    assert new["parent"] == old["id"]
    assert len(run("repo-snapshots", "snapshots")) == 3
    assert run("repo-stats", "stats")["dedup_ratio"] is not None
    assert run("repo-info", "info")["snapshots"] == 3
    assert run("repo-key-list", "key", "list")[0]["current"] is True
    assert run("repo-check", "check", "--read-data")["ok"] is True
    assert run("repo-restore-dir", "restore-dir", "latest", str(tmp_path / "out"))["failed"] == []

    pruned = run("repo-prune", "prune", "--keep-last", "1", "--grace", "0s")
    assert pruned["forgotten"] == [old["id"]]
    assert {k["id"] for k in pruned["kept"]} == {kept["id"], new["id"]}
    assert pruned["marked_packs"] >= 1
    assert run("repo-prune", "prune")["waiting"] != []  # the default grace has not passed
    assert run("repo-repair", "repair", "--dry-run")["new_index"] is None

    for index in (path / INDEX_PREFIX).rglob("*"):
        if index.is_file():
            _flip(index, index.stat().st_size // 2)
    assert run("repo-check", "check", code=14)["errors"] != []
    repaired = run("repo-repair", "repair")
    assert repaired["removed_indexes"] != []
    assert repaired["new_index"] is not None

    _damage_big_file_data(path, kept["id"])
    damaged = run("repo-check", "check", "--read-data", code=14)["damaged"]
    assert [(d["snapshot"], d["item"]) for d in damaged] == [(kept["id"], "/big.bin")]
    failed = run("repo-restore-dir", "restore-dir", kept["short_id"], str(tmp_path / "o2"), code=14)
    assert failed["failed"] != []

    for name, documents in run.docs.items():
        for document in documents:
            schemas.validate(name, document)
    assert set(run.docs) == set(REPO_OUTPUTS)


def test_a_repo_document_of_the_wrong_shape_is_refused() -> None:
    key = {"id": "ab", "kind": "pgp", "created": "2026-01-01T00:00:00+00:00"}
    with pytest.raises(ValueError, match="kind"):
        schemas.validate("repo-key-list", [{**key, "host": "h", "user": "u", "current": True}])
    with pytest.raises(ValueError, match="summary"):
        schemas.validate("repo-snapshots", [{"id": "ab", "time": "2026-01-01T00:00:00+00:00"}])
