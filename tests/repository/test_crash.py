"""A writer killed with SIGKILL at any point leaves a repository that checks clean and restores.

Each run backs up a slightly changed tree in a child process that kills itself at a random
store write (before it, halfway through the LocalStore's temporary file, or right after it);
see ``crash_writer``. After every kill: ``check --read-data`` finds no error (it reads and
verifies every blob, and that every item of every snapshot is indexed), earlier snapshots
restore byte for byte (a sample after each kill, all of them at the end), the killed run's
snapshot is visible exactly when its write had completed, and the next backup (in this
process) completes and restores. At the end, prune reclaims the packs the killed runs left.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from remit.repository.checker import check
from remit.repository.format import DATA_PREFIX, SESSIONS_PREFIX, pack_id_of
from remit.repository.pruner import prune, used_blobs
from remit.repository.repository import Repository
from remit.repository.stores import LocalStore
from tests.repository.crash_writer import MODES
from tests.repository.helpers import Manifest, TreeMaker, backup, init_repo, manifest, open_repo
from tests.repository.helpers import restore as restore_to

ROOT = Path(__file__).resolve().parents[2]
RUNS = 25
SEED = 20240611
MAX_WRITES = 7  # a backup of the changed tree makes 6 writes: session, 2 packs, index,
# snapshot, session delete; a kill point past the last write lets the run complete


@dataclass
class Kill:
    run: int
    kill_at: int
    mode: str
    ops: list[tuple[str, str]]  # (put|delete, key) of every write attempted, in order
    returncode: int

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def completed(self) -> list[tuple[str, str]]:
        """The writes that completed before the process died (pack uploads run two at a time,
        so one logged before the fatal write may still have been in flight: only snapshot and
        session writes, which run alone, are judged from this)."""
        if not self.killed:
            return self.ops
        return self.ops[: self.kill_at if self.mode == "after" else self.kill_at - 1]

    def wrote(self, op: str, prefix: str) -> bool:
        return any(o == op and key.startswith(prefix) for o, key in self.completed)

    @property
    def snapshot_written(self) -> bool:
        return self.wrote("put", "snapshots/")

    @property
    def session_left(self) -> bool:
        return self.wrote("put", "sessions/") and not self.wrote("delete", "sessions/")

    @property
    def where(self) -> str:
        if not self.killed:
            return "completed"
        op, key = self.ops[self.kill_at - 1]
        return f"{self.mode} {op} {key.split('/')[0]}"


def run_child(repo_path: Path, source: Path, log: Path, kill_at: int, mode: str, run: int) -> Kill:
    log.unlink(missing_ok=True)
    args = [str(repo_path), str(source), str(log), str(kill_at), mode]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.repository.crash_writer", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr
    ops = []
    for line in log.read_text().splitlines():
        _, op, key = line.split(" ")
        ops.append((op, key))
    kill = Kill(run, kill_at, mode, ops, proc.returncode)
    assert kill.killed == (kill_at <= len(ops)), (kill, proc.stderr)
    return kill


def assert_restores(repo: Repository, expected: dict[str, Manifest], target: Path) -> None:
    snaps = {s.id: s for s in repo.snapshots()}
    for snapshot_id, tree in expected.items():
        got, report = restore_to(repo, snaps[snapshot_id], target)
        assert report.failed == []
        assert got == tree, f"snapshot {snapshot_id[:8]} does not restore to what was backed up"


def assert_checks_clean(repo: Repository) -> list[str]:
    report = check(repo, read_data=True)
    assert report.errors == []
    assert report.damaged_items == []
    assert all("is in no index" in w for w in report.warnings), report.warnings
    return report.warnings


def test_sigkill_at_random_writes_never_damages_the_repository(tmp_path: Path) -> None:
    schedule, sampler = random.Random(SEED), random.Random(SEED + 1)
    repo_path, source, log = tmp_path / "repo", tmp_path / "source", tmp_path / "ops.log"
    init_repo(repo_path)
    tree = TreeMaker(source, SEED)
    tree.build()
    expected: dict[str, Manifest] = {}  # snapshot id -> the tree it was taken of
    kills: list[Kill] = []
    for run in range(RUNS):
        if run:
            tree.mutate()
        now = manifest(source)
        kill = run_child(
            repo_path, source, log, schedule.randint(1, MAX_WRITES), schedule.choice(MODES), run
        )
        kills.append(kill)

        repo = open_repo(repo_path)
        visible = {s.id for s in repo.snapshots()}
        assert expected.keys() <= visible
        new = visible - expected.keys()
        assert len(new) == (1 if kill.snapshot_written else 0), kill
        assert_checks_clean(repo)
        # check --read-data has just verified every blob of every pack and that every item of
        # every snapshot is indexed; restoring them all after each kill would cost O(runs²),
        # so restore the previous run's and two random earlier ones now, and all at the end.
        sample = list(expected)[-1:] + sampler.sample(sorted(expected), min(2, len(expected)))
        assert_restores(repo, {i: expected[i] for i in sample}, tmp_path / "restored")
        expected.update(dict.fromkeys(new, now))
        assert_restores(repo, dict.fromkeys(new, now), tmp_path / "restored")

        snapshot = backup(repo, source)  # the next backup completes after the crash
        expected[snapshot.id] = now
        got, report = restore_to(repo, snapshot, tmp_path / "restored")
        assert (got, report.failed) == (now, [])

    # The kill points covered every stage of a backup, and every way to die.
    stages = {k.where.split(" ", 1)[1] for k in kills if k.killed}
    assert {"put sessions", "put data", "put index", "put snapshots", "delete sessions"} <= stages
    assert {k.mode for k in kills if k.killed} == set(MODES)
    assert any(not k.killed for k in kills)

    # Prune: a SIGKILL never removes the session object, but the process it names is gone on
    # this host, so the first prune drops those sessions and marks the leftovers, and the
    # second (grace 0) deletes them.
    repo = open_repo(repo_path)
    leftovers = {w.split()[1] for w in assert_checks_clean(repo)}
    assert leftovers, "some kill should have left a pack that no index lists"
    crashed_sessions = len(list(repo.store.list(SESSIONS_PREFIX)))
    assert crashed_sessions == sum(k.session_left for k in kills) > 0
    first = prune(repo, grace=timedelta(0))
    assert (first.stale_sessions, first.marked_packs, first.deleted_packs) == (
        crashed_sessions,
        len(leftovers),
        0,
    )
    assert list(repo.store.list(SESSIONS_PREFIX)) == []
    second = prune(repo, grace=timedelta(0))
    assert second.deleted_packs == len(leftovers)
    repo = open_repo(repo_path)
    assert assert_checks_clean(repo) == []
    assert not leftovers & stored_packs(repo)
    used = used_blobs(repo, repo.snapshots())
    for pack_id in stored_packs(repo):  # every pack left holds something a snapshot needs
        assert any(e.blob_id in used for e in repo.index().packs[pack_id].entries)
    assert_restores(repo, expected, tmp_path / "restored")

    # Partial writes left .tmp- files, which listings never showed; the cleaner removes them.
    partial = sum(k.where.startswith("partial put") for k in kills)
    assert LocalStore(repo_path).clean_temporary(older_than_s=0) >= partial


def stored_packs(repo: Repository) -> set[str]:
    return {pack_id_of(i.key) for i in repo.store.list(DATA_PREFIX)}
