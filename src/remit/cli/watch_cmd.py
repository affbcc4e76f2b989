"""`remit watch`: run the monitoring cycle on a schedule (collect, assess, drift, alerts)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.markup import escape

from remit.cli.assess_cmd import parse_duration
from remit.cli.context import state
from remit.cli.output import stdout
from remit.cycle import CycleReport, run_cycle
from remit.errors import InvalidInput
from remit.inventory.service import resolve_tenants
from remit.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


def describe(report: CycleReport) -> list[str]:
    """The lines a technician watching the console wants: a summary, then what is new."""
    findings = sum(len(d.findings) for d in report.drift)
    changes = sum(len(d.new_events) for d in report.drift)
    lines = [
        f"{report.finished_at:%H:%M:%S} cycle: {len(report.assessments)} tenants, "
        f"{findings} drift findings, {changes} new changes, "
        f"{len(report.dispatched.queued)} alerts queued "
        f"({report.dispatched.duplicates} already sent), {report.delivered.sent} delivered, "
        f"{report.delivered.failed} failed"
    ]
    for drift in report.drift:
        for stored in drift.new_events:
            event = stored.event
            who = f" by {event.actor}" if event.actor else ""
            lines.append(f"  change  {drift.tenant.name}: {event.details}{who} (event {stored.id})")
        if drift.error:
            lines.append(f"  error   {drift.tenant.name}: {drift.error}")
    for queued in report.dispatched.queued:
        lines.append(f"  alert → {queued.channel}: {queued.alert_title}")
    return lines


def run_once(workspace: Workspace, tenants: list[str] | None, max_age: str) -> CycleReport:
    refs = resolve_tenants(workspace, tenants)
    if not refs:
        raise InvalidInput("this workspace has no tenants yet; add one with `remit tenant add`")
    return asyncio.run(run_cycle(workspace, refs, max_age=parse_duration(max_age)))


def watch(
    ctx: typer.Context,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Tenant name, id or domain (repeatable; default all)."),
    ] = None,
    interval: Annotated[
        str, typer.Option(help="Time between cycles: 15m, 1h, ... (default 15m).")
    ] = "15m",
    max_age: Annotated[
        str, typer.Option(help="Reuse snapshots younger than this (default 0: always collect).")
    ] = "0",
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle and exit (for cron).")
    ] = False,
) -> None:
    """Collect, assess, check drift and send alerts for every tenant, again and again.

    Each cycle stores everything it finds; Ctrl-C stops between or during cycles without leaving
    anything half-written (each step is its own transaction).
    """
    pause = parse_duration(interval, option="--interval").total_seconds()
    if not once and pause <= 0:
        raise InvalidInput("--interval must be longer than 0 (or use --once)")
    console = stdout()
    with state(ctx).open() as workspace:
        while True:
            for line in describe(run_once(workspace, tenant, max_age)):
                console.print(escape(line))
            if once:
                return
            time.sleep(pause)  # the schedule itself: the next cycle starts after the interval
