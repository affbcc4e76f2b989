"""`remit drift`: Drift from approved privileged access, and change events."""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from remit.cli.context import state
from remit.cli.output import print_json, stdout
from remit.domain import DriftFinding, Severity
from remit.errors import ExitCode, InvalidInput
from remit.monitoring.drift import DriftReport, check_drift
from remit.monitoring.events import explain_event, list_events
from remit.store.events import StoredEvent, finding_json

app = typer.Typer(
    help="Drift from approved privileged access, and change events.", no_args_is_help=True
)

_COLOUR = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def whoami() -> str:
    """The person running the command, for "explained by" and "decided by"."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers): fall back to $USER
        return os.environ.get("USER", "") or "unknown"


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``24h``, ``30m``, ``2w`` ago, or an ISO date/time (UTC unless it says)."""
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"--since {text!r}: give a date (2026-11-01), a date and time, or an age such as "
            "7d, 24h or 2w"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _severity(severity: Severity) -> str:
    return f"[{_COLOUR[severity]}]{severity.value}[/]"


def event_json(stored: StoredEvent) -> dict[str, Any]:
    event = stored.event
    return {
        "id": stored.id,
        "key": event.key,
        "kind": event.kind.value,
        "severity": stored.severity.value,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "target": {"type": event.target.type, "id": event.target.id, "name": event.target.name},
        "role": stored.role,
        "details": event.details,
        "source": event.source,
        "ticket": event.ticket,
        "explained": stored.explained,
        "explained_by": stored.explained_by,
        "explained_at": stored.explained_at.isoformat() if stored.explained_at else None,
        "note": stored.note,
    }


def report_json(report: DriftReport) -> dict[str, Any]:
    return {
        "tenant": {"name": report.tenant.name, "tenant_id": report.tenant.tenant_id},
        "checked_at": report.checked_at.isoformat(),
        "snapshot_id": report.snapshot_id,
        "snapshot_taken_at": (
            report.snapshot_taken_at.isoformat() if report.snapshot_taken_at else None
        ),
        "base_snapshot_id": report.base_snapshot_id,
        "findings": [finding_json(f) for f in report.findings],
        "new_events": [event_json(e) for e in report.new_events],
        "warnings": list(report.warnings),
        "first_check": report.first_check,
        "error": report.error,
    }


def findings_table(findings: Sequence[DriftFinding]) -> Table:
    table = Table(show_lines=False)
    for column in ("Severity", "Rule", "Who", "Role", "Since", "Details"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        table.add_row(
            _severity(finding.severity),
            finding.rule.value,
            escape(finding.principal.name or finding.principal.id),
            escape(finding.role or "-"),
            _when(finding.since),
            escape(finding.details),
        )
    return table


def events_table(events: Sequence[StoredEvent]) -> Table:
    table = Table(show_lines=False)
    for column in ("ID", "When", "Severity", "Kind", "Who", "What", "Ticket"):
        table.add_column(column, overflow="fold")
    for stored in events:
        event = stored.event
        table.add_row(
            str(stored.id),
            _when(event.occurred_at),
            _severity(stored.severity),
            event.kind.value,
            escape(event.actor or "unknown (snapshot diff)"),
            escape(event.details),
            escape(event.ticket) if event.ticket else "[yellow]unexplained[/]",
        )
    return table


def _print_report(report: DriftReport) -> None:
    out = stdout()
    name = escape(report.tenant.name)
    if report.error:
        out.print(f"[bold]{name}[/] — [red]not checked[/]: {escape(report.error)}")
        return
    out.print(
        f"[bold]{name}[/] — snapshot {report.snapshot_id} ({_when(report.snapshot_taken_at)}): "
        f"{len(report.findings)} drift finding(s), {len(report.new_events)} new change event(s)"
    )
    for warning in report.warnings:
        out.print(f"[yellow]note:[/] {escape(warning)}")
    if report.findings:
        out.print(findings_table(report.findings))
    else:
        out.print("[green]No drift: privileged access matches the control map.[/]")
    if report.new_events:
        out.print(events_table(report.new_events))


TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")]


@app.command("check")
def check(
    ctx: typer.Context,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Tenant name, id or domain (repeatable)."),
    ] = None,
    all_tenants: Annotated[bool, typer.Option("--all", help="Every tenant.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Judge each tenant's latest snapshot against its control map; record new change events.

    Exits 0 when every tenant was checked, 11 when some could not be (no usable snapshot).
    Findings never change the exit code.
    """
    if bool(tenant) == all_tenants:
        raise InvalidInput("name tenants with --tenant, or use --all (one of the two)")
    with state(ctx).open() as workspace:
        reports = check_drift(workspace, None if all_tenants else tenant)
    if not reports:
        raise InvalidInput("this workspace has no tenants yet; add one with `remit tenant add`")
    if json_output:
        print_json([report_json(r) for r in reports])
    else:
        for report in reports:
            _print_report(report)
    if any(r.error for r in reports):
        raise typer.Exit(int(ExitCode.PARTIAL))


@app.command("events")
def events(
    ctx: typer.Context,
    tenant: TenantOption,
    unexplained: Annotated[
        bool, typer.Option("--unexplained", help="Only events no ticket explains.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only events since a date (2026-11-01) or an age (7d, 24h, 2w)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A tenant's change events: who changed what and when, and whether a ticket explains it."""
    if limit < 1:
        raise InvalidInput(f"--limit must be at least 1, not {limit}")
    start = parse_since(since, datetime.now(UTC)) if since is not None else None
    with state(ctx).open() as workspace:
        found = list_events(workspace, tenant, unexplained=unexplained, since=start, limit=limit)
    if json_output:
        print_json([event_json(e) for e in found.events])
        return
    if not found.events:
        what = "unexplained change events" if unexplained else "change events"
        stdout().print(
            f"{escape(found.tenant_name)}: no {what}" + (" in that time" if since else "")
        )
        return
    stdout().print(events_table(found.events))


@app.command("explain")
def explain(
    ctx: typer.Context,
    event: Annotated[str, typer.Argument(help="Event number (or its key, with --tenant).")],
    ticket: Annotated[str, typer.Option(help="The change ticket that explains it.")],
    note: Annotated[str, typer.Option(help="A few words on why.")] = "",
    by: Annotated[
        str | None, typer.Option(help="Who explains it (default: your login name).")
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", "-t", help="The event's tenant (needed to name it by key)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Link a change event to the ticket that explains it (then it is no longer drift)."""
    with state(ctx).open() as workspace:
        name, stored, before = explain_event(
            workspace, event, ticket, by=by or whoami(), note=note, tenant=tenant
        )
    if json_output:
        print_json(event_json(stored))
        return
    was = f" (was {escape(before)})" if before and before != stored.event.ticket else ""
    stdout().print(
        f"{escape(name)}: event {stored.id} ({stored.event.kind.value}: "
        f"{escape(stored.event.details)}) is explained by ticket "
        f"{escape(stored.event.ticket or '')}{was}"
    )
