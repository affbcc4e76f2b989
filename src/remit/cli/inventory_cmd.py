"""`remit inventory collect|list|show`: configuration snapshots of tenants."""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from remit.cli.context import state
from remit.cli.output import print_json, stderr, stdout, to_jsonable
from remit.domain import CollectionStatus, EndpointResult
from remit.errors import ExitCode, InvalidInput, NotFound
from remit.inventory.service import CollectionReport, TenantRef, collect_tenants, resolve_tenants

app = typer.Typer(help="Collect and inspect configuration snapshots.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class RichProgress:
    """Multi-tenant progress on stderr: one bar for the run, a line per finished tenant."""

    def __init__(self, progress: Progress, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("collecting", total=total)

    def started(self, tenant: TenantRef) -> None:
        self._progress.update(self._task, description=f"collecting {tenant.name}")

    def finished(self, report: CollectionReport) -> None:
        self._progress.advance(self._task)
        colour = {"complete": "green", "partial": "yellow", "failed": "red"}[report.status.value]
        self._progress.console.print(
            f"[{colour}]{report.status.value:>8}[/] {escape(report.tenant.name)} "
            f"({report.http_requests} requests, {report.seconds:.1f} s)"
            + (f": {escape(report.error)}" if report.error else "")
        )


@app.command("collect")
def collect(
    ctx: typer.Context,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Tenant name, id or domain (repeatable)."),
    ] = None,
    all_tenants: Annotated[bool, typer.Option("--all", help="Every tenant.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Read each tenant's identity and access configuration from Graph and store a snapshot.

    Exits 0 when every snapshot is complete, 11 when some are partial or failed (what was missing
    and why is stored with the snapshot and printed).
    """
    if bool(tenant) == all_tenants:
        raise InvalidInput("name tenants with --tenant, or use --all (one or the other)")
    with state(ctx).open() as workspace:
        refs = resolve_tenants(workspace, None if all_tenants else tenant)
        if not refs:
            raise InvalidInput("this workspace has no tenants yet; add one with `remit tenant add`")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr(),
            transient=True,
            disable=json_output,
        ) as bar:
            reports = asyncio.run(
                collect_tenants(workspace, refs, progress=RichProgress(bar, len(refs)))
            )
    if json_output:
        print_json(to_jsonable(reports))
    else:
        _print_reports(reports)
    if any(r.status is not CollectionStatus.COMPLETE for r in reports):
        raise typer.Exit(int(ExitCode.PARTIAL))


def describe_missing(results: Sequence[EndpointResult]) -> list[str]:
    """What a snapshot lacks, grouped by cause: one short line per cause."""
    by_cause: dict[str, list[str]] = defaultdict(list)
    for result in results:
        if result.permission:
            cause = f"permission {result.permission} not granted"
        elif result.license:
            cause = f"no {result.license} licence"
        else:
            cause = result.outcome.value.replace("_", " ")
        by_cause[cause].append(result.key.removeprefix("roleManagement/directory/"))
    return [f"{cause}: {', '.join(keys)}" for cause, keys in by_cause.items()]


def print_missing(reports: Sequence[CollectionReport]) -> None:
    """Below a table: per tenant, what was not collected and why (or why nothing was)."""
    console = stdout()
    for report in reports:
        lines = [report.error] if report.error else describe_missing(report.missing)
        if lines:
            console.print(f"[bold]{escape(report.tenant.name)}[/] not collected:")
            for line in lines:
                console.print(f"  - {escape(line)}")


def _print_reports(reports: list[CollectionReport]) -> None:
    table = Table("Tenant", "Status", "Snapshot", "Requests", "429s", "Seconds")
    for r in reports:
        table.add_row(
            r.tenant.name,
            r.status.value,
            str(r.snapshot_id or "-"),
            str(r.http_requests),
            str(r.throttled),
            f"{r.seconds:.1f}",
        )
    stdout().print(table)
    print_missing(reports)


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")],
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """List a tenant's snapshots, newest first."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        row = workspace.tenants(session).get(tenant)
        snapshots = workspace.snapshots(session, row).list(limit=limit)
    if json_output:
        print_json(to_jsonable(snapshots))
        return
    table = Table("Id", "Status", "Finished", "Requests", "Size", "Stored", "Missing")
    for s in snapshots:
        missing = [e for e in s.endpoints if e.outcome.value != "ok"]
        table.add_row(
            str(s.id),
            s.status.value,
            s.finished_at.isoformat(timespec="seconds"),
            str(s.http_requests),
            f"{s.size_bytes / 1024:.0f} KiB",
            f"{s.stored_bytes / 1024:.0f} KiB",
            str(len(missing)),
        )
    stdout().print(table)


_ID_SEGMENT = re.compile(
    r"/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/"
)


def _keys_hint(keys: Iterable[str]) -> str:
    """The keys a snapshot has, with per-object keys (``groups/<id>/members``) only counted."""
    every = sorted(keys)
    plain = [k for k in every if not _ID_SEGMENT.search(k)]
    per_object = [k for k in every if _ID_SEGMENT.search(k)]
    hint = f"it has: {', '.join(plain)}"
    if per_object:
        hint += f", and {len(per_object)} per-object keys such as {per_object[0]}"
    return hint


@app.command("show")
def show(
    ctx: typer.Context,
    snapshot: Annotated[str, typer.Argument(help="Snapshot id, or 'latest'.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")],
    key: Annotated[
        str | None, typer.Option(help="One Graph path from the snapshot, e.g. users.")
    ] = None,
) -> None:
    """Print a snapshot's Graph JSON (all of it, or one key) — the emulator's fixture format."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        row = workspace.tenants(session).get(tenant)
        repo = workspace.snapshots(session, row)
        if snapshot == "latest":
            info = repo.latest_usable()
            if info is None:
                raise NotFound(
                    f"tenant {row.name} has no usable snapshot yet; "
                    f"run `remit inventory collect -t {row.name}`"
                )
            snapshot_id = info.id
        elif snapshot.isdigit():
            snapshot_id = int(snapshot)
        else:
            raise InvalidInput(f"snapshot {snapshot!r}: give a snapshot id or 'latest'")
        payloads = repo.load(snapshot_id)
    if key is not None:
        if key not in payloads:
            raise NotFound(f"snapshot {snapshot_id} has no key {key!r}; {_keys_hint(payloads)}")
        payloads = {key: payloads[key]}
    typer.echo(json.dumps(payloads, indent=2, ensure_ascii=False))
