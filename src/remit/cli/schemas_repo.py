"""The shapes of `remit repo … --json` output (see `docs/reference/cli-repo.md`).

`remit.cli.schemas` merges `REPO_OUTPUTS` into its own table, so these get published schemas
and are checked against real command output like every other `--json` document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before Python 3.12


class RepoInitJson(TypedDict):
    """The repository just created."""

    id: str
    location: str
    version: int


class ChunkerJson(TypedDict):
    """Content-defined chunk sizes in bytes."""

    min: int
    avg: int
    max: int


class RepoInfoJson(TypedDict):
    location: str
    id: str
    version: int
    created: datetime
    chunker: ChunkerJson
    pack_size: int
    keys: int
    key_generations: list[int]
    snapshots: int


class SnapshotSummaryJson(TypedDict):
    """What the backup that wrote the snapshot did (byte counts are of file contents)."""

    files: int
    dirs: int
    bytes: int
    reused_files: int
    new_blobs: int
    new_bytes: int
    stored_bytes: int
    errors: int
    seconds: float


class RepoSnapshotJson(TypedDict):
    """One snapshot; `hold` is the legal hold's reason, or null."""

    id: str
    short_id: str
    time: datetime
    resource: str
    tree: str
    hostname: str
    username: str
    tags: list[str]
    parent: str | None
    tenant: str | None
    summary: SnapshotSummaryJson
    program: str
    hold: str | None


class RepoStatsJson(TypedDict):
    """Sizes in bytes; the ratios are null for an empty repository."""

    snapshots: int
    packs: int
    blobs: int
    stored_bytes: int
    unique_raw_bytes: int
    unique_sealed_bytes: int
    logical_bytes: int
    dedup_ratio: float | None
    compression_ratio: float | None


class PathErrorJson(TypedDict):
    path: str
    error: str


class RepoBackupDirJson(TypedDict):
    """The new snapshot, and the files or folders that could not be read (exit 11 if any)."""

    snapshot: RepoSnapshotJson
    errors: list[PathErrorJson]


class RepoRestoreDirJson(TypedDict):
    """`snapshot` is the restored snapshot's full id; `failed` items were not restored."""

    snapshot: str
    target: str
    files: int
    bytes: int
    failed: list[PathErrorJson]


class DamageJson(TypedDict):
    """An item of a snapshot that cannot be restored, and why (`snapshot` is its full id)."""

    snapshot: str
    resource: str
    item: str
    reason: str


class RepoCheckJson(TypedDict):
    ok: bool
    errors: list[str]
    warnings: list[str]
    damaged: list[DamageJson]
    snapshots: int
    packs: int
    packs_read: int
    blobs_read: int


class RepoRepairJson(TypedDict):
    """`new_index` is null when nothing was (or, with `--dry-run`, would be) written."""

    dry_run: bool
    indexed_packs: int
    indexed_blobs: int
    removed_indexes: list[str]
    damaged_packs: list[str]
    new_index: str | None


class KeptSnapshotJson(TypedDict):
    id: str
    reasons: list[str]


class RepoPruneJson(TypedDict):
    """`forgotten` and `kept` list snapshot ids (both empty without a `--keep-*` policy);
    `waiting` says why a mark was not swept yet; `temporary_files` counts the temporary files
    of crashed writers (older than the grace period) removed from a local repository."""

    dry_run: bool
    forgotten: list[str]
    kept: list[KeptSnapshotJson]
    marked_packs: int
    marked_bytes: int
    deleted_packs: int
    deleted_bytes: int
    waiting: list[str]
    temporary_files: int


class RepoKeyJson(TypedDict):
    """A key that opens the repository; `current` marks the one the command opened it with."""

    id: str
    kind: Literal["passphrase", "raw"]
    created: datetime
    host: str
    user: str
    current: bool


REPO_OUTPUTS: dict[str, Any] = {
    "repo-init": RepoInitJson,
    "repo-info": RepoInfoJson,
    "repo-snapshots": list[RepoSnapshotJson],
    "repo-stats": RepoStatsJson,
    "repo-backup-dir": RepoBackupDirJson,
    "repo-restore-dir": RepoRestoreDirJson,
    "repo-check": RepoCheckJson,
    "repo-repair": RepoRepairJson,
    "repo-prune": RepoPruneJson,
    "repo-key-list": list[RepoKeyJson],
}

# Schema name -> the command, where the command itself has a hyphen in it.
REPO_COMMANDS: dict[str, str] = {
    "repo-backup-dir": "repo backup-dir",
    "repo-restore-dir": "repo restore-dir",
}
