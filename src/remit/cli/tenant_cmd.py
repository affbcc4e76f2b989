"""`remit tenant add|list|show|remove|test`: the client tenants this workspace manages."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from remit.cli.context import state
from remit.cli.output import print_json, stderr, stdout, to_jsonable
from remit.domain import AuthKind, TenantCredentials
from remit.errors import ExitCode, InvalidInput
from remit.graph.auth import load_certificate
from remit.onboarding import TenantIdentity, check_ids, test_tenant, verify_credentials

app = typer.Typer(help="Add, list, inspect, test and remove client tenants.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _read_secret(secret: str | None, secret_file: Path | None) -> str | None:
    if secret == "-":
        return sys.stdin.readline().strip() or None
    if secret_file is not None:
        try:
            return secret_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise InvalidInput(f"--client-secret-file {secret_file}: {exc.strerror}") from None
    return secret


@app.command("add")
def add(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Option(help="Directory (tenant) ID or a verified domain.")],
    client_id: Annotated[str, typer.Option(help="Application (client) ID of the Remit app.")],
    client_secret: Annotated[
        str | None,
        typer.Option(
            envvar="REMIT_CLIENT_SECRET",
            help="Client secret value ('-' reads it from stdin; or set REMIT_CLIENT_SECRET).",
            show_default=False,
        ),
    ] = None,
    client_secret_file: Annotated[
        Path | None, typer.Option(help="File holding the client secret.")
    ] = None,
    certificate: Annotated[
        Path | None,
        typer.Option(help="PEM file with the certificate and its private key (instead of a secret)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Short name to refer to the tenant (default: from its domain).")
    ] = None,
    verify: Annotated[
        bool, typer.Option(help="Get a token and read the organization before saving.")
    ] = True,
    json_output: JsonOption = False,
) -> None:
    """Onboard a tenant: check its credentials against Entra ID and Graph, then store them encrypted."""
    check_ids(tenant_id, client_id, name)
    secret = _read_secret(client_secret, client_secret_file)
    if (secret is None) == (certificate is None):
        raise InvalidInput(
            "give exactly one of --client-secret (or --client-secret-file) and --certificate"
        )
    if certificate is not None:
        pem = load_certificate(certificate)
        credentials = TenantCredentials(tenant_id, client_id, AuthKind.CERTIFICATE, pem)
    else:
        assert secret is not None
        credentials = TenantCredentials(tenant_id, client_id, AuthKind.CLIENT_SECRET, secret)
    workspace = state(ctx).open()
    with workspace:
        identity = (
            asyncio.run(verify_credentials(credentials, workspace.settings.graph))
            if verify
            else TenantIdentity(tenant_id, "", "")
        )
        if identity.tenant_id != credentials.tenant_id:
            credentials = TenantCredentials(
                identity.tenant_id, client_id, credentials.auth_kind, credentials.secret
            )
        with workspace.session() as session:
            tenant = workspace.tenants(session).add(
                credentials,
                name=name,
                display_name=identity.display_name,
                primary_domain=identity.primary_domain,
            )
            summary = _tenant_row(tenant)
    if json_output:
        print_json(summary)
    else:
        stdout().print(
            f"Added tenant [bold]{summary['name']}[/] ({summary['display_name'] or '-'}, "
            f"{summary['tenant_id']}). Next: `remit tenant test {summary['name']}`."
        )


def _tenant_row(tenant: object) -> dict[str, object]:
    return {
        "name": getattr(tenant, "name", ""),
        "tenant_id": getattr(tenant, "tenant_id", ""),
        "display_name": getattr(tenant, "display_name", ""),
        "primary_domain": getattr(tenant, "primary_domain", ""),
        "client_id": getattr(tenant, "client_id", ""),
        "auth_kind": str(getattr(tenant, "auth_kind", "")),
        "secret_fingerprint": getattr(tenant, "secret_fingerprint", ""),
    }


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the tenants with their last snapshot."""
    with state(ctx).open() as workspace, workspace.session() as session:
        rows = []
        for tenant in workspace.tenants(session).list():
            last = workspace.snapshots(session, tenant).latest_usable()
            row = _tenant_row(tenant)
            row["last_snapshot"] = to_jsonable(last) if last else None
            rows.append(row)
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print("No tenants yet. Add one with `remit tenant add`.")
        return
    table = Table("Name", "Display name", "Tenant ID", "Domain", "Auth", "Last snapshot")
    for row in rows:
        last = row["last_snapshot"]
        when = f"{last['status']} {last['finished_at'][:16]}" if isinstance(last, dict) else "never"
        table.add_row(
            str(row["name"]),
            str(row["display_name"]),
            str(row["tenant_id"]),
            str(row["primary_domain"]),
            str(row["auth_kind"]),
            when,
        )
    stdout().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    json_output: JsonOption = False,
) -> None:
    """Show one tenant: credentials (never the secret), last test, recent snapshots."""
    with state(ctx).open() as workspace, workspace.session() as session:
        row_obj = workspace.tenants(session).get(tenant)
        row = _tenant_row(row_obj)
        row["last_test_at"] = getattr(row_obj, "last_test_at", None)
        row["last_test_result"] = getattr(row_obj, "last_test_result", None)
        row["snapshots"] = to_jsonable(workspace.snapshots(session, row_obj).list(limit=10))
    if json_output:
        print_json(to_jsonable(row))
        return
    console = stdout()
    for key in ("name", "display_name", "tenant_id", "primary_domain", "client_id", "auth_kind"):
        console.print(f"{key.replace('_', ' '):>16}: {row[key]}")
    console.print(f"{'secret':>16}: stored encrypted (fingerprint {row['secret_fingerprint']})")
    test = row["last_test_result"]
    if isinstance(test, dict):
        missing = test.get("missing") or []
        console.print(
            f"{'last test':>16}: {row['last_test_at']} — "
            + (f"missing {', '.join(missing)}" if missing else "all permissions granted")
        )
    snapshots = row["snapshots"]
    table = Table("Snapshot", "Status", "Finished", "Requests", "Size")
    for snap in snapshots if isinstance(snapshots, list) else []:
        table.add_row(
            str(snap["id"]),
            snap["status"],
            snap["finished_at"][:19],
            str(snap["http_requests"]),
            f"{snap['size_bytes'] / 1024:.0f} KiB",
        )
    console.print(table)


@app.command("remove")
def remove(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a tenant with its credentials and snapshots."""
    with state(ctx).open() as workspace:
        with workspace.session() as session:
            row = workspace.tenants(session).get(tenant)
            label = f"{row.name} ({row.tenant_id})"
        if not yes and not typer.confirm(f"Remove {label} and all its snapshots?"):
            raise typer.Exit(int(ExitCode.USAGE))
        with workspace.session() as session:
            workspace.tenants(session).remove(tenant)
    stdout().print(f"Removed {label}.")


@app.command("test")
def test(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    json_output: JsonOption = False,
) -> None:
    """Get a token and probe every Graph permission Remit needs; list what is missing."""
    with state(ctx).open() as workspace:
        report = asyncio.run(test_tenant(workspace, tenant))
    if json_output:
        print_json(to_jsonable(report) | {"missing": list(report.missing)})
    else:
        table = Table("Permission", "Status", "Why Remit needs it")
        for probe in report.probes:
            status = (
                "[green]granted[/]"
                if probe.granted and not probe.license_missing
                else "[yellow]granted, licence missing[/]"
                if probe.granted
                else "[red]missing[/]"
            )
            table.add_row(probe.permission, status, probe.purpose)
        stdout().print(f"Token for {report.name} ({report.tenant_id}): [green]ok[/]")
        stdout().print(table)
        if report.missing:
            stderr().print(
                f"Missing {len(report.missing)} permission(s): {', '.join(report.missing)}. "
                "Add them as Application permissions on the app registration and grant admin "
                "consent (docs/guide/onboarding.md)."
            )
    if report.missing:
        raise typer.Exit(int(ExitCode.PERMISSION))
