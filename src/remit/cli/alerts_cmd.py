"""`remit alerts`: alert channels and rules, the delivery outbox, and sending what is due."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from remit.alerts import DeliveryReport, deliver
from remit.alerts.channels import ChannelType
from remit.alerts.manage import (
    ChannelView,
    add_channel,
    add_rule,
    list_channels,
    list_deliveries,
    list_rules,
    remove_channel,
    remove_rule,
    requeue,
    send_test_alert,
    tenant_names,
)
from remit.alerts.rules import DEFAULT_DEDUPE_HOURS, parse_severity
from remit.cli.context import state
from remit.cli.output import print_json, stdout
from remit.errors import ExitCode, InvalidInput
from remit.store.alerts import DeliveryInfo, DeliveryStatus, RuleInfo

SECRET_ENV_VAR = "REMIT_CHANNEL_SECRET"  # noqa: S105 - the name of a variable, not a secret

app = typer.Typer(help="Alert rules, channels and deliveries.", no_args_is_help=True)
channels_app = typer.Typer(
    help="Where alerts go: webhooks, e-mail, chat, PSA tickets.", no_args_is_help=True
)
rules_app = typer.Typer(help="Which alerts go to which channels.", no_args_is_help=True)
app.add_typer(channels_app, name="channels")
app.add_typer(rules_app, name="rules")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


# --- channels ------------------------------------------------------------------------------


def _read_secret(secret_file: Path | None, secret_stdin: bool) -> str | None:
    """The channel's secret: a file, stdin, or $REMIT_CHANNEL_SECRET; never a command argument."""
    if secret_file is not None and secret_stdin:
        raise InvalidInput("give the secret with --secret-file or --secret-stdin, not both")
    if secret_file is not None:
        try:
            return secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise InvalidInput(f"--secret-file {secret_file}: {reason}") from None
    if secret_stdin:
        return sys.stdin.readline().strip()
    from_env = os.environ.get(SECRET_ENV_VAR)
    return from_env.strip() if from_env is not None else None


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise InvalidInput(f"{option} '{value}': give KEY=VALUE")
        pairs[key.strip().lower()] = item.strip()
    return pairs


@channels_app.command("add")
def channels_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Short name for the channel.")],
    channel_type: Annotated[
        ChannelType, typer.Option("--type", help="Channel type.", show_default=False)
    ],
    url: Annotated[
        str | None,
        typer.Option(help="Webhook URL; ConnectWise site; Autotask zone; HaloPSA host."),
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option(help="File holding the channel's secret.")
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the secret from stdin.")
    ] = False,
    smtp_host: Annotated[str | None, typer.Option(help="E-mail: SMTP server.")] = None,
    smtp_port: Annotated[int | None, typer.Option(help="E-mail: SMTP port.")] = None,
    starttls: Annotated[
        bool | None, typer.Option("--starttls/--no-starttls", help="E-mail: use STARTTLS.")
    ] = None,
    smtp_ssl: Annotated[
        bool, typer.Option("--smtp-ssl", help="E-mail: TLS from the start (port 465).")
    ] = False,
    username: Annotated[str | None, typer.Option(help="SMTP login; Autotask API user.")] = None,
    sender: Annotated[str | None, typer.Option(help="E-mail: From address.")] = None,
    to: Annotated[list[str] | None, typer.Option(help="E-mail: recipient (repeatable).")] = None,
    company_id: Annotated[str | None, typer.Option(help="ConnectWise: login company.")] = None,
    public_key: Annotated[str | None, typer.Option(help="ConnectWise: public key.")] = None,
    client_id: Annotated[
        str | None, typer.Option(help="ConnectWise clientId; HaloPSA client id.")
    ] = None,
    board: Annotated[str | None, typer.Option(help="ConnectWise: board id or name.")] = None,
    integration_code: Annotated[
        str | None, typer.Option(help="Autotask: API integration code.")
    ] = None,
    queue: Annotated[int | None, typer.Option(help="Autotask: queue id.")] = None,
    status: Annotated[int | None, typer.Option(help="Autotask: ticket status id.")] = None,
    halo_tenant: Annotated[str | None, typer.Option(help="HaloPSA: hosted tenant name.")] = None,
    ticket_type: Annotated[int | None, typer.Option(help="HaloPSA: ticket type id.")] = None,
    company: Annotated[str | None, typer.Option(help="PSA: default company.")] = None,
    tenant_company: Annotated[
        list[str] | None, typer.Option(help="PSA: TENANT=COMPANY (repeatable).")
    ] = None,
    priority: Annotated[
        list[str] | None, typer.Option(help="PSA: SEVERITY=PRIORITY-ID (repeatable).")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for an answer.")] = None,
    ca_bundle: Annotated[
        Path | None, typer.Option(help="PEM file of extra CAs to trust (HTTPS, SMTP TLS).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Add a channel; its secret from --secret-file, --secret-stdin or $REMIT_CHANNEL_SECRET."""
    given: dict[str, Any] = {
        "url": url,
        "smtp_host": smtp_host,
        "smtp_port": smtp_port,
        "starttls": starttls,
        "smtp_ssl": smtp_ssl or None,
        "username": username,
        "sender": sender,
        "to": to or None,
        "company_id": company_id,
        "public_key": public_key,
        "client_id": client_id,
        "board": board,
        "integration_code": integration_code,
        "queue": queue,
        "status": status,
        "halo_tenant": halo_tenant,
        "ticket_type": ticket_type,
        "company": company,
        "tenant_company": _pairs(tenant_company, "--tenant-company") or None,
        "priority": _pairs(priority, "--priority") or None,
        "timeout": timeout,
        "ca_bundle": None if ca_bundle is None else str(ca_bundle.expanduser().absolute()),
    }
    options = {key: value for key, value in given.items() if value is not None}
    if "priority" in options:
        options["priority"] = {
            parse_severity(key, option="--priority").value: value
            for key, value in options["priority"].items()
        }
    secret = _read_secret(secret_file, secret_stdin)
    with state(ctx).open() as workspace:
        view = add_channel(workspace, name, channel_type, options, secret)
    if json_output:
        print_json(_channel_json(view))
        return
    stdout().print(
        f"Added {view.info.type} channel [bold]{escape(view.info.name)}[/]: "
        f"{escape(view.target)}. Next: `remit alerts channels test {view.info.name}`."
    )


@channels_app.command("list")
def channels_list(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Channels with their type and where they send (never their secrets)."""
    with state(ctx).open() as workspace:
        views = list_channels(workspace)
    if json_output:
        print_json([_channel_json(v) for v in views])
        return
    if not views:
        stdout().print("No channels yet; add one with `remit alerts channels add`.")
        return
    table = Table("Name", "Type", "Sends to", "Secret", "Added")
    for view in views:
        table.add_row(
            escape(view.info.name),
            view.info.type,
            escape(view.target),
            view.info.secret_fingerprint or "-",
            _when(view.info.created_at),
        )
    stdout().print(table)


@channels_app.command("remove")
def channels_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Channel name.")]
) -> None:
    """Remove a channel no rule uses; its undelivered alerts are marked failed (and kept)."""
    with state(ctx).open() as workspace:
        info, orphaned = remove_channel(workspace, name)
    note = f"; {orphaned} undelivered alert(s) to it marked failed" if orphaned else ""
    stdout().print(f"Removed channel [bold]{escape(info.name)}[/]{note}.")


@channels_app.command("test")
def channels_test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Channel name.")],
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", "-t", help="Send it as this tenant's alert (PSA company)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Send a test alert now (PSA channels create a ticket). Exits 8 when it is not taken."""
    with state(ctx).open() as workspace:
        info, sent = asyncio.run(send_test_alert(workspace, name, tenant=tenant))
    if json_output:
        print_json({"channel": info.name, "ticket_id": sent.ticket_id, "detail": sent.detail})
        return
    ticket = f", ticket {escape(sent.ticket_id)}" if sent.ticket_id else ""
    stdout().print(
        f"Channel [bold]{escape(info.name)}[/] took the test alert ({escape(sent.detail)}{ticket})."
    )


def _channel_json(view: ChannelView) -> dict[str, Any]:
    info = view.info
    return {
        "name": info.name,
        "type": info.type,
        "target": view.target,
        "config": dict(info.config),
        "secret_fingerprint": info.secret_fingerprint,
        "created_at": info.created_at,
    }


# --- rules ---------------------------------------------------------------------------------


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Short name for the rule.")],
    channel: Annotated[
        list[str], typer.Option("--channel", "-c", help="Channel to send to (repeatable).")
    ],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help="Alert kind pattern, e.g. 'drift.*' (repeatable)."),
    ] = None,
    min_severity: Annotated[
        str, typer.Option(help="Lowest severity sent: info, low, medium, high, critical.")
    ] = "info",
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Only this tenant's alerts (repeatable)."),
    ] = None,
    dedupe_hours: Annotated[
        float, typer.Option(help="Send the same alert once per this many hours (0: always).")
    ] = DEFAULT_DEDUPE_HOURS,
    quiet_hours: Annotated[
        str | None,
        typer.Option(help="Hold non-critical alerts in this window, e.g. 22:00-07:00."),
    ] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of the quiet hours.")] = "UTC",
    json_output: JsonOption = False,
) -> None:
    """Add a rule: alerts matching kind, severity and tenants go to its channels."""
    severity = parse_severity(min_severity)
    with state(ctx).open() as workspace:
        rule = add_rule(
            workspace,
            name,
            channels=channel,
            kinds=kind or ["*"],
            min_severity=severity,
            tenants=tenant,
            dedupe_hours=dedupe_hours,
            quiet_hours=quiet_hours,
            timezone=timezone,
        )
        names = tenant_names(workspace)
    if json_output:
        print_json(_rule_json(rule, names))
        return
    stdout().print(f"Added rule [bold]{escape(rule.name)}[/]: {escape(_describe(rule, names))}.")


@rules_app.command("list")
def rules_list(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Rules with what they match and where they send."""
    with state(ctx).open() as workspace:
        rules = list_rules(workspace)
        names = tenant_names(workspace)
    if json_output:
        print_json([_rule_json(r, names) for r in rules])
        return
    if not rules:
        stdout().print("No rules yet; add one with `remit alerts rules add`.")
        return
    table = Table("Name", "Kinds", "Min severity", "Tenants", "Channels", "De-dup", "Quiet hours")
    for rule in rules:
        table.add_row(
            escape(rule.name),
            escape(", ".join(rule.kinds)),
            rule.min_severity.value,
            escape(_scope(rule, names)),
            escape(", ".join(rule.channels)),
            f"{rule.dedupe_hours:g} h" if rule.dedupe_hours else "off",
            f"{rule.quiet_hours} {rule.timezone}" if rule.quiet_hours else "-",
        )
    stdout().print(table)


@rules_app.command("remove")
def rules_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Rule name.")]
) -> None:
    """Remove a rule (alerts already queued by it are still delivered)."""
    with state(ctx).open() as workspace:
        rule = remove_rule(workspace, name)
    stdout().print(f"Removed rule [bold]{escape(rule.name)}[/].")


def _scope(rule: RuleInfo, names: dict[str, str]) -> str:
    if rule.tenants is None:
        return "all"
    return ", ".join(names.get(t, t) for t in rule.tenants)


def _describe(rule: RuleInfo, names: dict[str, str]) -> str:
    quiet = f", quiet {rule.quiet_hours} {rule.timezone}" if rule.quiet_hours else ""
    return (
        f"{', '.join(rule.kinds)} at {rule.min_severity.value} or worse from "
        f"{_scope(rule, names)} tenants to {', '.join(rule.channels)}, "
        f"de-duplicated over {rule.dedupe_hours:g} h{quiet}"
    )


def _rule_json(rule: RuleInfo, names: dict[str, str]) -> dict[str, Any]:
    return {
        "name": rule.name,
        "kinds": list(rule.kinds),
        "min_severity": rule.min_severity.value,
        "tenants": None
        if rule.tenants is None
        else [{"tenant_id": t, "name": names.get(t)} for t in rule.tenants],
        "channels": list(rule.channels),
        "dedupe_hours": rule.dedupe_hours,
        "quiet_hours": rule.quiet_hours,
        "timezone": rule.timezone,
        "created_at": rule.created_at,
    }


# --- the outbox ----------------------------------------------------------------------------


@app.command("list")
def alerts_list(
    ctx: typer.Context,
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="Only deliveries in this state.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="Only this tenant's alerts.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    json_output: JsonOption = False,
) -> None:
    """Alert deliveries, newest first: pending (due, held or retrying), sent or failed."""
    with state(ctx).open() as workspace:
        deliveries = list_deliveries(workspace, status=status, tenant=tenant, limit=limit)
    if json_output:
        print_json([_delivery_json(d) for d in deliveries])
        return
    if not deliveries:
        stdout().print("No alert deliveries.")
        return
    table = Table("Id", "Dispatched", "Tenant", "Severity", "Alert", "Channel", "Status", "Tries")
    table.add_column("Next / sent")
    table.add_column("Ticket")
    table.add_column("Last error", overflow="fold")
    for d in deliveries:
        table.add_row(
            str(d.id),
            _when(d.alert.created_at),
            escape(d.alert.tenant_name or "-"),
            d.alert.severity.value,
            escape(d.alert.title),
            escape(d.channel),
            _status(d),
            str(d.attempts),
            _when(d.sent_at if d.status is DeliveryStatus.SENT else d.next_attempt_at)
            if d.status is not DeliveryStatus.FAILED
            else "-",
            escape(d.ticket_id or "-"),
            escape(d.last_error or ""),
        )
    stdout().print(table)


@app.command("deliver")
def alerts_deliver(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="Only this channel's deliveries.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Send the deliveries that are due (run it from cron). Exits 11 when some were not sent."""
    with state(ctx).open() as workspace:
        report = asyncio.run(deliver(workspace, channel=channel))
    if json_output:
        print_json(_report_json(report))
    else:
        _print_report(report)
    if report.failed or report.retrying:
        raise typer.Exit(int(ExitCode.PARTIAL))


@app.command("retry")
def alerts_retry(
    ctx: typer.Context,
    delivery_id: Annotated[
        list[int] | None, typer.Argument(help="Failed delivery ids (see `remit alerts list`).")
    ] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Every failed delivery.")
    ] = False,
) -> None:
    """Make failed deliveries pending again; the next `remit alerts deliver` sends them."""
    if bool(delivery_id) == all_failed:
        raise InvalidInput("name failed deliveries by id, or use --all-failed (one of the two)")
    with state(ctx).open() as workspace:
        count = requeue(workspace, None if all_failed else delivery_id)
    stdout().print(f"{count} delivery(ies) pending again; `remit alerts deliver` sends them.")


def _status(d: DeliveryInfo) -> str:
    if d.status is DeliveryStatus.PENDING and d.held_until is not None and d.attempts == 0:
        return "held"
    if d.status is DeliveryStatus.PENDING and d.attempts:
        return "retrying"
    return d.status.value


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _delivery_json(d: DeliveryInfo) -> dict[str, Any]:
    alert = d.alert
    return {
        "id": d.id,
        "delivery_id": d.uid,
        "channel": d.channel,
        "status": d.status.value,
        "rules": list(d.rules),
        "attempts": d.attempts,
        "created_at": d.created_at,
        "held_until": d.held_until,
        "next_attempt_at": d.next_attempt_at if d.status is DeliveryStatus.PENDING else None,
        "last_attempt_at": d.last_attempt_at,
        "sent_at": d.sent_at,
        "last_error": d.last_error,
        "ticket_id": d.ticket_id,
        "alert": {
            "id": alert.id,
            "kind": alert.kind,
            "severity": alert.severity.value,
            "tenant": {"id": alert.tenant_id, "name": alert.tenant_name},
            "title": alert.title,
            "text": alert.text,
            "dedupe_key": alert.dedupe_key,
            "occurred_at": alert.occurred_at,
            "ticket_id": alert.ticket_id,
            "data": dict(alert.data),
        },
    }


def _report_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "deferred": report.deferred,
        "outcomes": [
            {
                "id": o.delivery_id,
                "channel": o.channel,
                "tenant": o.tenant_name,
                "alert": o.alert_title,
                "status": o.status.value,
                "attempts": o.attempts,
                "ticket_id": o.ticket_id,
                "error": o.error,
                "next_attempt_at": o.next_attempt_at,
            }
            for o in report.outcomes
        ],
    }


def _print_report(report: DeliveryReport) -> None:
    out = stdout()
    if not report.outcomes and not report.deferred:
        out.print("Nothing is due.")
        return
    for o in report.outcomes:
        where = f"{escape(o.channel)}: {escape(o.alert_title)}"
        if o.status is DeliveryStatus.SENT:
            ticket = f" (ticket {escape(o.ticket_id)})" if o.ticket_id else ""
            out.print(f"[green]sent[/] {where}{ticket}")
        elif o.status is DeliveryStatus.PENDING:
            out.print(
                f"[yellow]retry[/] {where}: {escape(o.error or '')}; attempt {o.attempts}, next at "
                f"{_when(o.next_attempt_at)}"
            )
        else:
            out.print(f"[red]failed[/] {where}: {escape(o.error or '')}")
    deferred = f", {report.deferred} waiting for a failing channel" if report.deferred else ""
    out.print(f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed{deferred}.")
