"""Keys: passphrases and raw key files open the repository; wrong ones, removed ones and
rotated-out ones do not; rotation seals new data with a new generation and keeps old data
readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.cli.repo_access import RepoOptions
from remit.errors import ExitCode, NotFound, RepositoryError, RepositoryKeyError
from remit.repository.archiver import backup_dir
from remit.repository.checker import check
from remit.repository.keys import Passphrase, RawKey
from remit.repository.repository import Repository
from remit.repository.restorer import restore_dir
from remit.repository.stores import LocalStore
from tests.repository.builders import (
    PASSPHRASE,
    cheap_kdf,
    new_repo,
    object_keys,
    random_bytes,
    write_file,
)

SECOND = Passphrase(b"second passphrase")


def test_open_with_the_passphrase_and_refuse_a_wrong_one(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    store = LocalStore(tmp_path / "repo")
    opened = Repository.open(store, PASSPHRASE)
    assert opened.config.repo_id == repo.config.repo_id
    assert opened.key_id == repo.key_id
    with pytest.raises(RepositoryKeyError, match="wrong passphrase") as caught:
        Repository.open(store, Passphrase(b"not it"))
    assert caught.value.exit_code == ExitCode.REPOSITORY_KEY
    with pytest.raises(RepositoryKeyError, match="wrong key"):
        Repository.open(store, RawKey.generate())


def test_second_passphrase_and_key_file_open_and_can_be_removed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    raw = RawKey.generate()
    key_file = tmp_path / "repo.key"
    key_file.write_text(raw.text())
    second_id = repo.add_key(SECOND, kdf=cheap_kdf())
    raw_id = repo.add_key(RawKey.parse(key_file.read_text(), str(key_file)))
    kinds = {k.key_id: k.kind for k in repo.list_keys()}
    assert kinds == {repo.key_id: "passphrase", second_id: "passphrase", raw_id: "raw"}
    store = repo.store
    assert Repository.open(store, SECOND).key_id == second_id
    assert Repository.open(store, raw).key_id == raw_id
    assert Repository.open(store, PASSPHRASE).key_id == repo.key_id

    repo.remove_key(second_id[:8])
    with pytest.raises(RepositoryKeyError):
        Repository.open(store, SECOND)
    via_key = Repository.open(store, raw)
    with pytest.raises(RepositoryError, match="refusing"):
        via_key.remove_key(raw_id)
    via_key.remove_key(repo.key_id)
    with pytest.raises(RepositoryKeyError):
        Repository.open(store, PASSPHRASE)
    with pytest.raises(NotFound):
        via_key.remove_key("ffffffffffff")
    assert [k.key_id for k in via_key.list_keys()] == [raw_id]


def test_rotate_uses_a_new_generation_and_retires_old_keys(tmp_path: Path) -> None:
    source = tmp_path / "src"
    old_data = random_bytes(300_000, 1)
    write_file(source / "old.bin", old_data)
    repo = new_repo(tmp_path / "repo")
    repo.add_key(RawKey.generate())
    first, _ = backup_dir(repo, source)
    old_keys = object_keys(repo.store, "keys/")
    old_packs = set(repo.index().packs)
    assert {r.generation for r in repo.index().packs.values()} == {1}

    rotated = Passphrase(b"after rotation")
    new_id, removed = repo.rotate(rotated, kdf=cheap_kdf())
    assert sorted(removed) == sorted(k.removeprefix("keys/") for k in old_keys)
    assert object_keys(repo.store, "keys/") == {f"keys/{new_id}"}
    with pytest.raises(RepositoryKeyError):
        Repository.open(repo.store, PASSPHRASE)

    reopened = Repository.open(repo.store, rotated)
    assert reopened.keyring.current == 2
    new_data = random_bytes(300_000, 2)
    write_file(source / "new.bin", new_data)
    second, _ = backup_dir(reopened, source)
    index = reopened.index(reload=True)
    assert {index.packs[p].generation for p in old_packs} == {1}
    assert {r.generation for p, r in index.packs.items() if p not in old_packs} == {2}
    assert index.get(reopened.keyring.blob_id(new_data)).generation == 2  # type: ignore[union-attr]

    restore_dir(reopened, first, tmp_path / "first")
    restore_dir(reopened, second, tmp_path / "second")
    assert (tmp_path / "first" / "old.bin").read_bytes() == old_data
    assert (tmp_path / "second" / "new.bin").read_bytes() == new_data
    assert check(reopened, read_data=True).ok


def test_cli_options_take_the_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REMIT_PASSWORD", "REMIT_PASSWORD_FILE", "REMIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    repo = new_repo(tmp_path / "repo")
    raw = RawKey.generate()
    raw_id = repo.add_key(raw)
    options = RepoOptions(repo=str(tmp_path / "repo"), no_cache=True)

    monkeypatch.setenv("REMIT_REPOSITORY_KEY", raw.text().strip())
    assert options.open().key_id == raw_id

    monkeypatch.setenv("REMIT_REPOSITORY_KEY", RawKey.generate().text())
    with pytest.raises(RepositoryKeyError):
        options.open()

    monkeypatch.delenv("REMIT_REPOSITORY_KEY")
    monkeypatch.setenv("REMIT_PASSWORD", PASSPHRASE.value.decode())
    assert options.open().key_id == repo.key_id

    key_file = tmp_path / "k"
    key_file.write_text(raw.text())
    assert RepoOptions(repo=str(tmp_path / "repo"), key_file=key_file).open().key_id == raw_id
