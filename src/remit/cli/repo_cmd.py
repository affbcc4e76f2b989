"""`remit repo`: the encrypted, deduplicating backup repository (local folder or S3)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from remit.cli.output import print_json, stderr, stdout
from remit.cli.repo_access import RepoOptions, repo_options
from remit.cli.repo_key_cmd import key_app
from remit.errors import IntegrityError, InvalidInput, PartialFailure
from remit.repository import archiver, restorer
from remit.repository.format import DATA_PREFIX
from remit.repository.snapshots import Snapshot

if TYPE_CHECKING:
    from rich.progress import Progress

# Modules only some commands need (checking, pruning, repairing, rich's tables and progress
# bars) are imported inside those commands: every `remit repo` run starts faster for it.

app = typer.Typer(
    help="The backup repository: encrypted, deduplicated snapshots on local disk or S3.",
    no_args_is_help=True,
)

app.add_typer(key_app, name="key")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.callback()
def group_options(
    ctx: typer.Context,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            "-r",
            envvar="REMIT_REPOSITORY",
            show_default=False,
            help="Repository: a folder or s3://bucket/prefix (or $REMIT_REPOSITORY).",
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            envvar="REMIT_PASSWORD_FILE",
            show_default=False,
            help="Read the passphrase from this file (else $REMIT_PASSWORD, else a prompt).",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            envvar="REMIT_KEY_FILE",
            show_default=False,
            help="Open with a key file instead of a passphrase (or $REMIT_REPOSITORY_KEY).",
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            envvar="REMIT_CACHE_DIR",
            show_default=False,
            help="Local index cache (default ~/.cache/remit/repositories).",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not use or fill the local index cache.")
    ] = False,
) -> None:
    ctx.obj = RepoOptions(repo, password_file, key_file, cache_dir, no_cache)


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[Progress | None]:
    console = stderr()
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"{what} [bold]{{task.fields[files]}}[/] files"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[size]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield bar


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def snapshot_json(s: Snapshot) -> dict[str, Any]:
    return {"id": s.id, "short_id": s.short_id, **s.to_json(), "hold": s.hold}


# --- init, info, snapshots, stats ---------------------------------------------------------------


@app.command()
def init(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create a repository (the passphrase wraps a new random key; keep it safe)."""
    repo = repo_options(ctx).init()
    if as_json:
        print_json(
            {
                "id": repo.config.repo_id,
                "location": repo.store.location,
                "version": repo.config.version,
            }
        )
        return
    stdout().print(f"created repository {repo.config.repo_id} at {escape(repo.store.location)}")
    stdout().print("Keep the passphrase safe: without it the data cannot be read by anyone.")


@app.command()
def info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Format, id, chunker parameters and keys of the repository."""
    repo = repo_options(ctx).open()
    c = repo.config
    doc = {
        "location": repo.store.location,
        "id": c.repo_id,
        "version": c.version,
        "created": c.created,
        "chunker": {"min": c.chunk_min, "avg": c.chunk_avg, "max": c.chunk_max},
        "pack_size": c.pack_size,
        "keys": len(repo.list_keys()),
        "key_generations": sorted(repo.keyring.data_keys),
        "snapshots": len(repo.snapshot_ids()),
    }
    if as_json:
        print_json(doc)
        return
    for k, v in doc.items():
        stdout().print(f"{k:16} {escape(str(v))}")


@app.command()
def snapshots(
    ctx: typer.Context,
    resource: Annotated[str | None, typer.Option(help="Only this resource.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List snapshots, oldest first."""
    found = repo_options(ctx).open().snapshots(resource=resource)
    if as_json:
        print_json([snapshot_json(s) for s in found])
        return
    from rich.table import Table

    table = Table(
        "id", "time", "resource", "host", "files", "size", "hold", "tags", box=None, pad_edge=False
    )
    for s in found:
        table.add_row(
            s.short_id,
            s.time.strftime("%Y-%m-%d %H:%M:%S"),
            escape(s.resource),
            escape(s.hostname),
            str(s.summary.get("files", "")),
            human(s.summary.get("bytes", 0)),
            escape(s.hold or ""),
            escape(",".join(s.tags)),
        )
    stdout().print(table)
    stdout().print(f"{len(found)} snapshots")


@app.command()
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Stored size, unique data, deduplication and compression."""
    repo = repo_options(ctx).open()
    index = repo.index()
    stored = sum(i.size for i in repo.store.list(DATA_PREFIX))
    raw = sum(loc.raw_length for _, loc in index.blobs())
    sealed = sum(loc.length for _, loc in index.blobs())
    snaps = repo.snapshots()
    logical = sum(int(s.summary.get("bytes", 0)) for s in snaps)
    doc = {
        "snapshots": len(snaps),
        "packs": len(index.packs),
        "blobs": len(index),
        "stored_bytes": stored,
        "unique_raw_bytes": raw,
        "unique_sealed_bytes": sealed,
        "logical_bytes": logical,
        "dedup_ratio": round(logical / raw, 3) if raw else None,
        "compression_ratio": round(raw / sealed, 3) if sealed else None,
    }
    if as_json:
        print_json(doc)
        return
    stdout().print(f"snapshots        {len(snaps)}")
    stdout().print(f"packs / blobs    {len(index.packs)} / {len(index)}")
    stdout().print(f"stored           {human(stored)}")
    stdout().print(f"unique data      {human(raw)} (compressed and sealed: {human(sealed)})")
    stdout().print(f"all snapshots    {human(logical)} of files")
    if raw and sealed:
        stdout().print(f"dedup x{logical / raw:.2f}, compression x{raw / sealed:.2f}")


# --- backup and restore ------------------------------------------------------------------------


@app.command("backup-dir")
def backup_dir(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder to protect.")],
    resource: Annotated[
        str | None,
        typer.Option(
            help="Resource name (default dir:ABSOLUTE-PATH); the parent is its latest snapshot."
        ),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag the snapshot (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Back up a local folder into a new snapshot."""
    repo = repo_options(ctx).open()
    with _progress(not as_json, "backing up") as bar:
        task = bar.add_task("", total=None, files=0, size="") if bar else None

        def report(p: archiver.BackupProgress) -> None:
            if bar is not None and task is not None:
                bar.update(task, files=p.files, size=human(p.bytes))

        snap, state = archiver.backup_dir(
            repo, path, resource=resource, tags=tuple(tag or ()), progress=report
        )
    s = snap.summary
    if as_json:
        print_json(
            {
                "snapshot": snapshot_json(snap),
                "errors": [{"path": p, "error": e} for p, e in state.errors],
            }
        )
    else:
        stdout().print(
            f"snapshot {snap.short_id} of {escape(snap.resource)}: {s['files']} files,"
            f" {human(s['bytes'])} ({s['reused_files']} unchanged), added {human(s['new_bytes'])}"
            f" ({human(s['stored_bytes'])} stored) in {s['seconds']:.1f} s"
        )
        for p, e in state.errors:
            stderr().print(f"[yellow]skipped[/] {escape(p)}: {escape(e)}")
    if state.errors:
        raise PartialFailure(
            f"{len(state.errors)} files or folders could not be read and are not in snapshot"
            f" {snap.short_id}; fix their permissions and back up again"
        )


@app.command("restore-dir")
def restore_dir(
    ctx: typer.Context,
    snapshot: Annotated[str, typer.Argument(help="Snapshot id (a unique prefix) or latest.")],
    target: Annotated[Path, typer.Argument(help="Folder to restore into (created if absent).")],
    resource: Annotated[
        str | None, typer.Option(help="With latest: the latest snapshot of this resource.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a snapshot's files into a folder; damaged items are named, the rest restored."""
    repo = repo_options(ctx).open()
    snap = repo.find_snapshot(snapshot, resource=resource)
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target} exists and is not a folder; give a folder to restore into")
    with _progress(not as_json, "restoring") as bar:
        task = bar.add_task("", total=None, files=0, size="") if bar else None

        def report(r: restorer.RestoreReport) -> None:
            if bar is not None and task is not None:
                bar.update(task, files=r.files, size=human(r.bytes))

        result = restorer.restore_dir(repo, snap, target, progress=report)
    if as_json:
        print_json(
            {
                "snapshot": snap.id,
                "target": str(target),
                "files": result.files,
                "bytes": result.bytes,
                "failed": [{"path": p, "error": e} for p, e in result.failed],
            }
        )
    else:
        stdout().print(
            f"restored {result.files} files ({human(result.bytes)}) of snapshot"
            f" {snap.short_id} into {escape(str(target))}"
        )
        for p, e in result.failed:
            stderr().print(f"[red]not restored[/] {escape(p)}: {escape(e)}")
    if result.failed:
        raise IntegrityError(
            f"{len(result.failed)} items could not be restored (damaged or missing data);"
            " everything else was; run `remit repo check --read-data`"
        )


# --- check and prune ---------------------------------------------------------------------------


@app.command()
def check(
    ctx: typer.Context,
    read_data: Annotated[
        bool, typer.Option("--read-data", help="Also read, decrypt and re-hash all data.")
    ] = False,
    subset: Annotated[
        str | None,
        typer.Option(
            "--read-data-subset", help="Read only part of the data: n/m (e.g. 1/5) or 10%."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the repository's structure (and with --read-data its data)."""
    from remit.repository import checker

    repo = repo_options(ctx).open()
    console = stderr()
    say = (lambda m: console.print(m, style="dim")) if console.is_terminal and not as_json else None
    result = checker.check(repo, read_data=read_data, subset=subset, progress=say)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "errors": result.errors,
                "warnings": result.warnings,
                "damaged": [
                    {
                        "snapshot": d.snapshot,
                        "resource": d.resource,
                        "item": d.item,
                        "reason": d.reason,
                    }
                    for d in result.damaged_items
                ],
                "snapshots": result.snapshots,
                "packs": result.packs,
                "packs_read": result.packs_read,
                "blobs_read": result.blobs_read,
            }
        )
    else:
        for w in result.warnings:
            console.print(f"[yellow]warning[/] {escape(w)}")
        for e in result.errors:
            console.print(f"[red]error[/] {escape(e)}")
        for d in result.damaged_items:
            console.print(
                f"[red]damaged[/] snapshot {d.snapshot[:8]} ({escape(d.resource)})"
                f" {escape(d.item)}: {escape(d.reason)}"
            )
        read = f", read {result.packs_read} packs" if result.packs_read else ""
        stdout().print(
            f"checked {result.snapshots} snapshots and {result.packs} packs{read}:"
            f" {'no errors' if result.ok else 'ERRORS FOUND'}"
        )
    if not result.ok:
        raise IntegrityError(
            f"check found {len(result.errors)} errors and {len(result.damaged_items)} damaged"
            " items; undamaged items still restore"
        )


@app.command("repair")
def repair_index(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild lost or damaged index entries from the packs' own headers."""
    from remit.repository import repair

    report = repair.repair(repo_options(ctx).open(), dry_run=dry_run)
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "indexed_packs": report.indexed_packs,
                "indexed_blobs": report.indexed_blobs,
                "removed_indexes": report.removed_indexes,
                "damaged_packs": report.damaged_packs,
                "new_index": report.new_index,
            }
        )
    else:
        would = "would " if dry_run else ""
        stdout().print(
            f"{would}index {report.indexed_packs} packs ({report.indexed_blobs} blobs)"
            f" and {would}replace {len(report.removed_indexes)} damaged indexes"
        )
        for pack_id in report.damaged_packs:
            stderr().print(f"[red]damaged pack[/] {pack_id}: its header cannot be read")
    if report.damaged_packs:
        raise IntegrityError(
            f"{len(report.damaged_packs)} packs have damaged headers and were left out;"
            " the data in them is lost unless another copy exists"
        )


@app.command()
def prune(
    ctx: typer.Context,
    keep_last: Annotated[int | None, typer.Option(help="Keep the N newest snapshots.")] = None,
    keep_hourly: Annotated[int | None, typer.Option(help="Keep one per hour for N hours.")] = None,
    keep_daily: Annotated[int | None, typer.Option(help="Keep one per day for N days.")] = None,
    keep_weekly: Annotated[int | None, typer.Option(help="Keep one per week for N weeks.")] = None,
    keep_monthly: Annotated[
        int | None, typer.Option(help="Keep one per month for N months.")
    ] = None,
    keep_yearly: Annotated[int | None, typer.Option(help="Keep one per year for N years.")] = None,
    keep_within: Annotated[
        str | None,
        typer.Option(
            help="Keep everything within this span of the newest snapshot, e.g. 30d, 1y6m."
        ),
    ] = None,
    keep_tag: Annotated[
        list[str] | None, typer.Option(help="Keep snapshots with this tag.")
    ] = None,
    grace: Annotated[
        str,
        typer.Option(
            help="Delete marked packs only after this long: s, h or d (lets backups finish)."
        ),
    ] = "24h",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Forget snapshots by policy (legal holds are kept), then reclaim space in two phases."""
    from remit.repository import pruner
    from remit.repository.retention import policy_from_options

    policy = policy_from_options(
        keep_last=keep_last,
        keep_hourly=keep_hourly,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        keep_monthly=keep_monthly,
        keep_yearly=keep_yearly,
        keep_within=keep_within,
        keep_tags=keep_tag or (),
    )
    grace_span = _grace(grace)
    repo = repo_options(ctx).open()
    report = pruner.prune(
        repo, policy=None if policy.is_empty() else policy, grace=grace_span, dry_run=dry_run
    )
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "forgotten": [s.id for s in report.forgotten],
                "kept": [
                    {"id": d.snapshot.id, "reasons": list(d.reasons)}
                    for d in report.decisions
                    if d.keep
                ],
                "marked_packs": report.marked_packs,
                "marked_bytes": report.marked_bytes,
                "deleted_packs": report.deleted_packs,
                "deleted_bytes": report.deleted_bytes,
                "waiting": report.waiting_marks,
                "temporary_files": report.temporary_files,
            }
        )
        return
    would = "would " if dry_run else ""
    for d in report.decisions:
        verdict = "keep  " if d.keep else "forget"
        stdout().print(
            f"{verdict} {d.snapshot.id[:8]} {d.snapshot.time:%Y-%m-%d %H:%M}"
            f" {escape(d.snapshot.resource)} {escape(', '.join(d.reasons))}"
        )
    stdout().print(
        f"{would}forget {len(report.forgotten)} snapshots; {would}mark"
        f" {report.marked_packs} unused packs ({human(report.marked_bytes)});"
        f" {would}delete {report.deleted_packs} packs marked earlier"
        f" ({human(report.deleted_bytes)})"
    )
    for w in report.waiting_marks:
        stdout().print(f"waiting: {escape(w)}")
    if report.temporary_files:
        stdout().print(f"removed {report.temporary_files} temporary files left by crashed writers")


def _grace(text: str) -> timedelta:
    m = re.fullmatch(r"(\d+)([shd])", text.strip())
    if not m:
        raise InvalidInput(f"--grace {text!r}: give a number and a unit s, h or d, e.g. 24h")
    unit = {"s": "seconds", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


@app.command()
def hold(
    ctx: typer.Context,
    snapshot: Annotated[str, typer.Argument(help="Snapshot id (a unique prefix).")],
    reason: Annotated[str, typer.Option(help="Why (case, ticket, request).")] = "legal hold",
    release: Annotated[bool, typer.Option("--release", help="Lift the hold.")] = False,
) -> None:
    """Put a snapshot under legal hold (retention never removes it), or release it."""
    repo = repo_options(ctx).open()
    snap = repo.find_snapshot(snapshot)
    if release:
        repo.release_hold(snap)
        stdout().print(f"released the hold on snapshot {snap.short_id}")
    else:
        repo.set_hold(snap, reason, by=socket.gethostname())
        stdout().print(f"snapshot {snap.short_id} is under legal hold: {escape(reason)}")
