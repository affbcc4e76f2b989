"""`remit repo …` end to end, in-process through the CLI runner, on local-folder repositories.

Repositories are created through the library with a cheap argon2id cost (the cost is stored in
each key object, so the CLI opens them in microseconds); only `init` and the key commands that
add a passphrase pay the default cost, as they do for users.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from remit.repository.keys import Passphrase, RawKey
from remit.repository.repository import Repository
from remit.repository.stores import LocalStore
from remit.repository.trees import decode_tree
from tests.cli.runner import Cli, Result, json_of
from tests.repository.builders import new_repo, random_bytes

PASSWORD = "correct horse battery staple"
REPO_ENV = (
    "REMIT_REPOSITORY",
    "REMIT_PASSWORD",
    "REMIT_PASSWORD_FILE",
    "REMIT_KEY_FILE",
    "REMIT_REPOSITORY_KEY",
    "REMIT_NEW_PASSWORD",
    "REMIT_CACHE_DIR",
    "REMIT_S3_ENDPOINT",
    "REMIT_S3_OBJECT_LOCK",
)


@pytest.fixture(autouse=True)
def _repo_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing from the developer's shell chooses the repository or its credentials, and the
    default index cache lands in the test's own folder."""
    for name in REPO_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def repo_path(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cheap-to-open repository; REMIT_PASSWORD opens it."""
    path = tmp_path / "repo"
    new_repo(path, Passphrase(PASSWORD.encode()))
    monkeypatch.setenv("REMIT_PASSWORD", PASSWORD)
    cli.keep_secret(PASSWORD)
    return path


def repo(cli: Cli, path: Path, *args: str, ok: bool = True) -> Result:
    """`remit repo -r PATH …` (asserting exit 0 unless ``ok=False``)."""
    argv = ("repo", "-r", str(path), *args)
    return cli.ok(*argv) if ok else cli(*argv)


def last_error(result: Result) -> str:
    """The final line on stderr (commands such as `check` print findings before it)."""
    assert "Traceback" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return lines[-1]


def current_key(result: Result) -> str:
    """The id of the key `key list --json` says the command was opened with."""
    (current,) = [k["id"] for k in json_of(result) if k["current"]]
    return str(current)


def make_tree(root: Path) -> dict[str, bytes]:
    """A folder with small, empty, nested and chunked (> 256 KiB) files; relative path → bytes."""
    files = {
        "notes.txt": b"quarterly figures\n",
        "empty.bin": b"",
        "sub/deeper/report.csv": b"a,b\n1,2\n" * 500,
        "big.bin": random_bytes(900 * 1024, seed=1),
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- init --------------------------------------------------------------------------------------


def test_init_creates_a_repository_and_refuses_a_second_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new" / "repo"
    monkeypatch.setenv("REMIT_PASSWORD", PASSWORD)
    cli.keep_secret(PASSWORD)
    created = json_of(repo(cli, path, "init", "--json"))
    assert created["location"] == str(path)
    assert (path / "config").is_file()
    assert len(list((path / "keys").iterdir())) == 1

    again = repo(cli, path, "init", ok=False)
    assert again.code == 12
    assert "already holds a repository" in again.one_error_line()

    info = json_of(repo(cli, path, "info", "--json"))
    assert info["id"] == created["id"]
    assert info["version"] == created["version"]
    assert (info["keys"], info["snapshots"], info["key_generations"]) == (1, 0, [1])
    assert set(info["chunker"]) == {"min", "avg", "max"}
    assert info["pack_size"] > 0


def test_init_without_a_passphrase_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "never"
    result = repo(cli, path, "init", ok=False)
    assert result.code == 13
    assert "no passphrase or key" in result.one_error_line()
    assert not path.exists()


def test_init_with_a_key_file_and_repository_from_the_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = RawKey.generate()
    key_file = tmp_path / "repo.key"
    key_file.write_text(key.text())
    cli.keep_secret(key.text().strip())
    monkeypatch.setenv("REMIT_REPOSITORY", str(tmp_path / "repo"))
    cli.ok("repo", "--key-file", str(key_file), "init")
    monkeypatch.setenv("REMIT_REPOSITORY_KEY", key.text().strip())
    assert json_of(cli.ok("repo", "info", "--json"))["keys"] == 1


# --- backup, snapshots, restore, stats -----------------------------------------------------------


def test_backup_snapshots_and_restore_round_trip(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = make_tree(source)
    first = json_of(repo(cli, repo_path, "backup-dir", str(source), "--tag", "nightly", "--json"))
    assert first["errors"] == []
    snap = first["snapshot"]
    assert snap["resource"] == f"dir:{source.resolve()}"
    assert snap["tags"] == ["nightly"]
    assert snap["hold"] is None
    assert snap["parent"] is None
    assert snap["summary"]["files"] == len(files)

    (source / "notes.txt").write_bytes(b"revised figures\n")
    files["notes.txt"] = b"revised figures\n"
    second = json_of(repo(cli, repo_path, "backup-dir", str(source), "--json"))["snapshot"]
    assert second["parent"] == snap["id"]
    assert second["summary"]["reused_files"] == len(files) - 1

    listed = json_of(repo(cli, repo_path, "snapshots", "--json"))
    assert [s["id"] for s in listed] == [snap["id"], second["id"]]
    assert listed[0]["short_id"] == snap["id"][:8]
    table = repo(cli, repo_path, "snapshots").out
    assert snap["id"][:8] in table
    assert "2 snapshots" in table

    target = tmp_path / "restored"
    restored = json_of(repo(cli, repo_path, "restore-dir", "latest", str(target), "--json"))
    assert restored["snapshot"] == second["id"]
    assert restored["failed"] == []
    assert read_tree(target) == files

    older = tmp_path / "older"
    text = repo(cli, repo_path, "restore-dir", snap["id"][:10], str(older)).out
    assert f"of snapshot {snap['id'][:8]}" in text
    assert (older / "notes.txt").read_bytes() == b"quarterly figures\n"


def test_stats_and_info(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = make_tree(source)
    repo(cli, repo_path, "backup-dir", str(source))
    repo(cli, repo_path, "backup-dir", str(source), "--resource", "copy")  # all deduplicated

    stats = json_of(repo(cli, repo_path, "stats", "--json"))
    logical = 2 * sum(len(d) for d in files.values())
    assert stats["snapshots"] == 2
    assert stats["logical_bytes"] == logical
    file_bytes = sum(len(d) for d in files.values())
    assert file_bytes < stats["unique_raw_bytes"] < file_bytes + 4096  # + the folder listings
    assert stats["dedup_ratio"] == pytest.approx(2.0, rel=0.01)
    assert stats["packs"] >= 1
    assert stats["blobs"] >= len(files)
    assert stats["stored_bytes"] >= stats["unique_sealed_bytes"] > 0
    assert stats["compression_ratio"] > 0
    assert "dedup x2.00" in repo(cli, repo_path, "stats").out

    info = json_of(repo(cli, repo_path, "info", "--json"))
    assert info["snapshots"] == 2
    assert info["keys"] == 1
    assert info["location"] == str(repo_path)


def test_password_file_and_cache_options(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    cache = tmp_path / "cache"
    source = tmp_path / "source"
    make_tree(source)
    base = ("repo", "-r", str(repo_path), "--password-file", str(pw))
    cli.ok(*base, "--cache-dir", str(cache), "backup-dir", str(source))
    assert cli.ok(*base, "--cache-dir", str(cache), "snapshots", "--json").out.count('"id"') == 1
    cli.ok(*base, "--cache-dir", str(cache), "stats")  # reads the index, so fills the cache
    assert list(cache.glob("*/index/*")), "the index cache was not filled"
    cli.ok(*base, "--no-cache", "snapshots")
    assert not (tmp_path / "xdg-cache").exists()


# --- check ---------------------------------------------------------------------------------------


def test_check_passes_then_finds_a_damaged_pack(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    make_tree(source)
    repo(cli, repo_path, "backup-dir", str(source))
    assert "no errors" in repo(cli, repo_path, "check").out
    full = json_of(repo(cli, repo_path, "check", "--read-data", "--json"))
    assert full["ok"]
    assert full["packs_read"] == full["packs"] >= 1
    assert repo(cli, repo_path, "check", "--read-data-subset", "1/3").code == 0
    assert repo(cli, repo_path, "check", "--read-data-subset", "50%").code == 0

    # Flip one byte inside the stored data of big.bin.
    opened = Repository.open(LocalStore(repo_path), Passphrase(PASSWORD.encode()))
    root = decode_tree(opened.read_blob(bytes.fromhex(opened.snapshots()[0].tree)), "root")
    big = next(n for n in root if n.name == "big.bin")
    loc = opened.locate(big.blob_ids()[0])
    pack = repo_path / "data" / loc.pack_id[:2] / loc.pack_id
    raw = bytearray(pack.read_bytes())
    raw[loc.offset + 40] ^= 0xFF
    pack.write_bytes(bytes(raw))

    damaged = repo(cli, repo_path, "check", "--read-data", ok=False)
    assert damaged.code == 14
    final = last_error(damaged)
    assert final.startswith("error: check found")
    assert "damaged items" in final
    assert "does not match its name" in damaged.err
    assert any(
        line.startswith("damaged snapshot") and "/big.bin" in line
        for line in damaged.err.splitlines()
    ), damaged.err
    assert "ERRORS FOUND" in damaged.out

    report = json_of(repo(cli, repo_path, "check", "--read-data", "--json", ok=False))
    assert report["ok"] is False
    assert [d["item"] for d in report["damaged"]] == ["/big.bin"]

    target = tmp_path / "restored"
    restore = repo(cli, repo_path, "restore-dir", "latest", str(target), ok=False)
    assert restore.code == 14
    assert "not restored" in restore.err
    assert "big.bin" in restore.err
    assert "could not be restored" in last_error(restore)
    assert (target / "notes.txt").read_bytes() == b"quarterly figures\n"
    assert not (target / "big.bin").exists()


# --- prune and holds -----------------------------------------------------------------------------


def test_prune_forgets_marks_then_deletes_after_the_grace_period(
    cli: Cli, repo_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.bin").write_bytes(random_bytes(300 * 1024, seed=2))
    repo(cli, repo_path, "backup-dir", str(source))
    (source / "a.bin").write_bytes(random_bytes(300 * 1024, seed=3))
    repo(cli, repo_path, "backup-dir", str(source))
    old, new = (s["id"] for s in json_of(repo(cli, repo_path, "snapshots", "--json")))

    dry = json_of(repo(cli, repo_path, "prune", "--keep-last", "1", "--dry-run", "--json"))
    assert dry["dry_run"]
    assert dry["forgotten"] == [old]
    assert len(json_of(repo(cli, repo_path, "snapshots", "--json"))) == 2

    first = json_of(repo(cli, repo_path, "prune", "--keep-last", "1", "--grace", "0s", "--json"))
    assert first["forgotten"] == [old]
    assert [k["id"] for k in first["kept"]] == [new]
    assert first["marked_packs"] >= 1
    assert first["deleted_packs"] == 0
    packs_before = len(list((repo_path / "data").rglob("*")))

    waiting = json_of(repo(cli, repo_path, "prune", "--json"))  # default grace: 24h
    assert waiting["deleted_packs"] == 0
    assert "grace period ends" in waiting["waiting"][0]

    second = json_of(repo(cli, repo_path, "prune", "--keep-last", "1", "--grace", "0s", "--json"))
    assert second["forgotten"] == []
    assert second["deleted_packs"] == first["marked_packs"]
    assert second["deleted_bytes"] == first["marked_bytes"]
    assert len(list((repo_path / "data").rglob("*"))) < packs_before
    assert json_of(repo(cli, repo_path, "check", "--read-data", "--json"))["ok"]
    repo(cli, repo_path, "restore-dir", "latest", str(tmp_path / "out"))
    assert (tmp_path / "out" / "a.bin").read_bytes() == random_bytes(300 * 1024, seed=3)


def test_hold_keeps_a_snapshot_through_prune_until_released(
    cli: Cli, repo_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for n in range(2):
        (source / "f.txt").write_text(f"version {n}\n")
        repo(cli, repo_path, "backup-dir", str(source))
    old, new = (s["id"] for s in json_of(repo(cli, repo_path, "snapshots", "--json")))

    said = repo(cli, repo_path, "hold", old[:8], "--reason", "case 4711").out
    assert f"snapshot {old[:8]} is under legal hold: case 4711" in said
    assert json_of(repo(cli, repo_path, "snapshots", "--json"))[0]["hold"] == "case 4711"
    kept = json_of(repo(cli, repo_path, "prune", "--keep-last", "1", "--grace", "0s", "--json"))
    assert kept["forgotten"] == []
    assert {k["id"] for k in kept["kept"]} == {old, new}

    assert "released" in repo(cli, repo_path, "hold", old[:8], "--release").out
    gone = json_of(repo(cli, repo_path, "prune", "--keep-last", "1", "--grace", "0s", "--json"))
    assert gone["forgotten"] == [old]
    assert [s["id"] for s in json_of(repo(cli, repo_path, "snapshots", "--json"))] == [new]


# --- keys ----------------------------------------------------------------------------------------


def test_key_add_list_remove_passwd_and_rotate(
    cli: Cli, repo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    files = make_tree(source)
    repo(cli, repo_path, "backup-dir", str(source))
    second_pw = tmp_path / "second.pw"
    second_pw.write_text("a second passphrase\n")
    cli.keep_secret("a second passphrase")

    (original,) = json_of(repo(cli, repo_path, "key", "list", "--json"))
    assert original["current"]
    assert original["kind"] == "passphrase"

    assert (
        "added key" in repo(cli, repo_path, "key", "add", "--new-password-file", str(second_pw)).out
    )
    key_file = tmp_path / "keys" / "laptop.key"
    key_file.parent.mkdir()
    repo(cli, repo_path, "key", "add", "--new-key-file", str(key_file))
    assert key_file.stat().st_mode & 0o777 == 0o600
    cli.keep_secret(key_file.read_text().strip())
    listed = json_of(repo(cli, repo_path, "key", "list", "--json"))
    assert sorted(k["kind"] for k in listed) == ["passphrase", "passphrase", "raw"]
    assert [k["current"] for k in listed].count(True) == 1

    # Each new key opens the same repository.
    monkeypatch.delenv("REMIT_PASSWORD")
    with_pw = ("repo", "-r", str(repo_path), "--password-file", str(second_pw))
    with_key = ("repo", "-r", str(repo_path), "--key-file", str(key_file))
    raw_id = next(k["id"] for k in listed if k["kind"] == "raw")
    second_id = next(
        k["id"] for k in listed if k["kind"] == "passphrase" and k["id"] != original["id"]
    )
    assert current_key(cli.ok(*with_pw, "key", "list", "--json")) == second_id
    assert current_key(cli.ok(*with_key, "key", "list", "--json")) == raw_id

    # Remove the second passphrase (opened with the key file): it opens nothing any more.
    assert f"removed key {second_id[:8]}" in cli.ok(*with_key, "key", "remove", second_id[:8]).out
    refused = cli(*with_pw, "snapshots")
    assert refused.code == 13
    assert "wrong passphrase" in refused.one_error_line()
    itself = cli(*with_key, "key", "remove", raw_id[:8])
    assert itself.code == 12
    assert "refusing to remove" in itself.one_error_line()
    unknown = cli(*with_key, "key", "remove", "ffffffffffff")
    assert unknown.code == 5
    assert "no single key" in unknown.one_error_line()

    # passwd: the key file is replaced by a third passphrase.
    third_pw = tmp_path / "third.pw"
    third_pw.write_text("third time lucky")
    cli.keep_secret("third time lucky")
    said = cli.ok(*with_key, "key", "passwd", "--new-password-file", str(third_pw)).out
    assert f"replaced key {raw_id[:8]}" in said
    assert cli(*with_key, "snapshots").code == 13
    with_third = ("repo", "-r", str(repo_path), "--password-file", str(third_pw))
    ids = {k["id"] for k in json_of(cli.ok(*with_third, "key", "list", "--json"))}
    assert raw_id not in ids
    assert original["id"] in ids
    assert len(ids) == 2

    # rotate: a new data-key generation and one new key file; every other key is removed.
    rotated_key = tmp_path / "keys" / "rotated.key"
    said = cli.ok(*with_third, "key", "rotate", "--new-key-file", str(rotated_key)).out
    assert "data key generation 2" in said
    assert "removed 2 old keys" in said
    cli.keep_secret(rotated_key.read_text().strip())
    assert cli(*with_third, "snapshots").code == 13
    with_rotated = ("repo", "-r", str(repo_path), "--key-file", str(rotated_key))
    info = json_of(cli.ok(*with_rotated, "info", "--json"))
    assert info["keys"] == 1
    assert info["key_generations"] == [1, 2]
    cli.ok(*with_rotated, "restore-dir", "latest", str(tmp_path / "old-data"))
    assert read_tree(tmp_path / "old-data") == files
    (source / "new.txt").write_text("written under generation 2\n")
    cli.ok(*with_rotated, "backup-dir", str(source))
    assert json_of(cli.ok(*with_rotated, "check", "--read-data", "--json"))["ok"]


def test_key_add_without_a_new_credential_is_refused(cli: Cli, repo_path: Path) -> None:
    result = repo(cli, repo_path, "key", "add", ok=False)
    assert result.code == 9
    assert "--new-password-file" in result.one_error_line()


# --- errors --------------------------------------------------------------------------------------


def test_wrong_passphrase(cli: Cli, repo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMIT_PASSWORD", "not the passphrase")
    cli.keep_secret("not the passphrase")
    result = repo(cli, repo_path, "snapshots", ok=False)
    assert result.code == 13
    assert "wrong passphrase" in result.one_error_line()
    assert result.out == ""


def test_no_passphrase_and_no_terminal(
    cli: Cli, repo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REMIT_PASSWORD")
    result = repo(cli, repo_path, "snapshots", ok=False)
    assert result.code == 13
    assert "no passphrase or key" in result.one_error_line()


def test_missing_repository(cli: Cli, tmp_path: Path) -> None:
    result = cli("repo", "snapshots")
    assert result.code == 9
    assert "REMIT_REPOSITORY" in result.one_error_line()
    nowhere = repo(cli, tmp_path / "nowhere", "snapshots", ok=False)
    assert nowhere.code == 12
    assert "no repository at" in nowhere.one_error_line()


@pytest.mark.parametrize("subset", ["0/3", "4/3", "abc", "0%", "150%", "100M"])
def test_bad_read_data_subset(cli: Cli, repo_path: Path, subset: str) -> None:
    result = repo(cli, repo_path, "check", "--read-data-subset", subset, ok=False)
    assert result.code == 9
    assert "--read-data" in last_error(result)
    assert subset in last_error(result)


@pytest.mark.parametrize("grace", ["1 week", "24", "-1h", "2w", "30m"])
def test_bad_grace(cli: Cli, repo_path: Path, grace: str) -> None:
    result = repo(cli, repo_path, "prune", "--grace", grace, ok=False)
    assert result.code == 9
    assert "--grace" in result.one_error_line()


def test_bad_keep_within(cli: Cli, repo_path: Path) -> None:
    result = repo(cli, repo_path, "prune", "--keep-within", "soon", ok=False)
    assert result.code == 9
    assert "--keep-within" in result.one_error_line()


def test_restore_of_an_unknown_snapshot(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    result = repo(cli, repo_path, "restore-dir", "deadbeef", str(tmp_path / "out"), ok=False)
    assert result.code == 5
    assert "no snapshot with id 'deadbeef'" in result.one_error_line()
    latest = repo(cli, repo_path, "restore-dir", "latest", str(tmp_path / "out"), ok=False)
    assert latest.code == 5
    assert "no snapshot" in latest.one_error_line()
    assert not (tmp_path / "out").exists()


def test_backup_of_a_missing_folder(cli: Cli, repo_path: Path, tmp_path: Path) -> None:
    result = repo(cli, repo_path, "backup-dir", str(tmp_path / "missing"), ok=False)
    assert result.code == 9
    assert "is not a folder" in result.one_error_line()
    assert json_of(repo(cli, repo_path, "snapshots", "--json")) == []


def test_a_file_that_cannot_be_read_is_named_and_the_rest_is_kept(
    cli: Cli, repo_path: Path, tmp_path: Path
) -> None:
    """A file whose absolute path is longer than PATH_MAX (4096) cannot be opened by anyone,
    root included (permission bits do not stop root, so chmod 000 would not do)."""
    source = tmp_path / "source"
    (source / "readable.txt").parent.mkdir(parents=True)
    (source / "readable.txt").write_text("fine\n")
    deep = source
    while len(str(deep)) + 201 <= 4000:  # the folder itself stays under PATH_MAX
        deep = deep / ("d" * 200)
    deep = deep / ("d" * (4000 - len(str(deep)) - 1))
    deep.mkdir(parents=True)
    name = "unreadable-" + "x" * 230
    assert len(str(deep / name)) >= 4096
    folder = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder))
    finally:
        os.close(folder)

    result = repo(cli, repo_path, "backup-dir", str(source), ok=False)
    assert result.code == 11
    skipped = [line for line in result.err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1
    assert skipped[0].endswith(f"{name}: File name too long")
    assert "1 files or folders could not be read" in last_error(result)

    as_json = json_of(repo(cli, repo_path, "backup-dir", str(source), "--json", ok=False))
    assert [e["path"] for e in as_json["errors"]] == [str(deep / name)]
    repo(cli, repo_path, "restore-dir", "latest", str(tmp_path / "out"))
    assert (tmp_path / "out" / "readable.txt").read_text() == "fine\n"
