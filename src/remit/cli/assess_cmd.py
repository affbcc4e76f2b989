"""`remit assess`: identity and access posture of tenants, its history, and what changed."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from remit.assessment.diff import diff_runs
from remit.assessment.export import finding_json
from remit.assessment.fixture import load_fixture_payloads
from remit.assessment.service import (
    AssessmentReport,
    assess_payloads,
    assess_tenants,
)
from remit.cli.assess_output import (
    diff_json,
    findings_table,
    ordered,
    print_diff,
    print_history,
    print_reports,
    score_line,
)
from remit.cli.context import state
from remit.cli.inventory_cmd import RichProgress
from remit.cli.output import print_json, stderr, stdout
from remit.cli.schemas import AssessFixtureJson, FindingJson
from remit.errors import ExitCode, InvalidInput, NotFound
from remit.inventory.service import TenantRef, resolve_tenants

app = typer.Typer(
    help="Assess identity and access posture against CISA SCuBA, CIS and MSP hygiene.",
    invoke_without_command=True,
)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    OCSF = "ocsf"


_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str, *, option: str = "--max-age") -> timedelta:
    """``30m``, ``1h``, ``2d``, ``0``; ``option`` names the option in the error."""
    if text.strip() == "0":
        return timedelta(0)
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InvalidInput(f"{option} {text!r}: give a duration such as 30m, 1h or 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@app.callback()
def assess(
    ctx: typer.Context,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Tenant name, id or domain (repeatable)."),
    ] = None,
    all_tenants: Annotated[bool, typer.Option("--all", help="Every tenant.")] = False,
    fixture: Annotated[
        Path | None,
        typer.Option(
            help="Assess a Graph fixture file (the emulator's format); nothing is stored."
        ),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="Output format.")
    ] = Format.TABLE,
    max_age: Annotated[
        str,
        typer.Option(help="Reuse a snapshot younger than this (30m, 1h, 2d; 0 always collects)."),
    ] = "1h",
    show_all: Annotated[
        bool, typer.Option("--show-all", help="Tables: list PASS, MANUAL and N/A findings too.")
    ] = False,
) -> None:
    """Collect (reusing a fresh snapshot), evaluate every check, store the run, show findings.

    Exits 0 when every tenant was assessed, 11 when some could not be (no usable snapshot).
    Findings never change the exit code.
    """
    if ctx.invoked_subcommand is not None:
        return
    chosen = sum((bool(tenant), all_tenants, fixture is not None))
    if chosen != 1:
        raise InvalidInput("name tenants with --tenant, use --all, or give --fixture FILE (one)")
    if fixture is not None:
        _assess_fixture(fixture, output_format, show_all)
        return
    age = parse_duration(max_age)
    with state(ctx).open() as workspace:
        refs = resolve_tenants(workspace, None if all_tenants else tenant)
        if not refs:
            raise InvalidInput("this workspace has no tenants yet; add one with `remit tenant add`")
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=stderr(), transient=True, disable=output_format is not Format.TABLE,
        ) as bar:  # fmt: skip
            reports = asyncio.run(
                assess_tenants(workspace, refs, max_age=age, progress=RichProgress(bar, len(refs)))
            )
    print_reports(reports, output_format.value, show_all)
    if any(r.run_id is None for r in reports):
        raise typer.Exit(int(ExitCode.PARTIAL))


def _assess_fixture(path: Path, fmt: Format, show_all: bool) -> None:
    findings, score = assess_payloads(load_fixture_payloads(path))
    if fmt is Format.JSON:
        print_json(
            AssessFixtureJson(
                fixture=str(path),
                score=score.value,
                coverage=score.coverage,
                counts=score.counts,
                findings=[cast(FindingJson, finding_json(f)) for f in ordered(findings)],
            )
        )
    elif fmt is Format.TABLE:
        stdout().print(f"[bold]{escape(str(path))}[/] — {score_line(score)}")
        stdout().print(findings_table(findings, show_all))
    else:  # csv and ocsf name the fixture where they would name the tenant
        report = AssessmentReport(
            tenant=TenantRef(name=path.stem, tenant_id=path.stem),
            run_id=None,
            snapshot_id=None,
            snapshot_taken_at=None,
            evaluated_at=datetime.now(UTC),
            score=score,
            findings=tuple(findings),
        )
        print_reports([report], fmt.value, show_all)


TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")]


@app.command("history")
def history(
    ctx: typer.Context,
    tenant: TenantOption,
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A tenant's assessment runs with score and counts, newest first."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant)
        runs = workspace.assessments(session, info).list(limit=limit)
    print_history(info.name, runs, json_output)


@app.command("diff")
def diff(
    ctx: typer.Context,
    tenant: TenantOption,
    from_run: Annotated[
        int | None, typer.Option("--from", help="Older run (default: the one before --to).")
    ] = None,
    to_run: Annotated[
        int | None, typer.Option("--to", help="Newer run (default: the latest).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What got worse or better between two runs of a tenant (default: the last two)."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant)
        runs = workspace.assessments(session, info)
        after = runs.get(to_run) if to_run is not None else runs.latest()
        if after is None:
            raise NotFound(
                f"tenant {info.name} has no assessment yet; run `remit assess -t {info.name}`"
            )
        before = runs.get(from_run) if from_run is not None else runs.previous(after.id)
        if before is None:
            raise NotFound(
                f"tenant {info.name} has only one assessment run ({after.id}); assess it again "
                "to have something to compare"
            )
        changes = diff_runs(runs.findings(before.id), runs.findings(after.id))
    if json_output:
        print_json(diff_json(before, after, changes))
    else:
        print_diff(info.name, before, after, changes)
