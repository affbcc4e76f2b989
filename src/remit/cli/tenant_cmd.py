"""`remit tenant add|list|show|remove|test`: the client tenants this workspace manages."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from remit.cli.context import state
from remit.cli.output import print_json, stderr, stdout
from remit.cli.schemas import TenantJson, TenantListEntry, TenantShowJson, TenantTestJson
from remit.domain import AuthKind, TenantCredentials
from remit.errors import ExitCode, InvalidInput
from remit.graph.auth import check_certificate_validity, load_certificate_credential
from remit.onboarding import TenantIdentity, check_ids, probe_tenant, verify_credentials
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

app = typer.Typer(help="Add, list, inspect, test and remove client tenants.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


SecretOption = Annotated[
    str | None,
    typer.Option(
        envvar="REMIT_CLIENT_SECRET",
        help="Client secret value ('-' reads it from stdin; or set REMIT_CLIENT_SECRET).",
        show_default=False,
    ),
]
SecretFileOption = Annotated[Path | None, typer.Option(help="File holding the client secret.")]
CertificateOption = Annotated[
    Path | None,
    typer.Option(help="PEM file with the certificate and its private key (instead of a secret)."),
]


def _read_secret(secret: str | None, secret_file: Path | None) -> str | None:
    if secret == "-":  # noqa: S105 - the documented "read it from stdin" marker
        return sys.stdin.readline().strip() or None
    if secret_file is not None:
        try:
            return secret_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise InvalidInput(f"--client-secret-file {secret_file}: {exc.strerror}") from None
    return secret


def _credential(
    tenant_id: str, secret: str | None, secret_file: Path | None, certificate: Path | None
) -> tuple[AuthKind, str] | None:
    """The secret or certificate the options name, checked; None when none was given."""
    value = _read_secret(secret, secret_file)
    if value is not None and certificate is not None:
        raise InvalidInput("give a client secret or a certificate, not both")
    if certificate is None:
        return None if value is None else (AuthKind.CLIENT_SECRET, value)
    try:
        pem = certificate.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a PEM text file"
        raise InvalidInput(f"--certificate {certificate}: {reason}") from None
    parsed = load_certificate_credential(pem, tenant_id=tenant_id)
    check_certificate_validity(parsed, tenant_id=tenant_id, now=datetime.now(UTC))
    return AuthKind.CERTIFICATE, pem


def _verify(workspace: Workspace, credentials: TenantCredentials) -> TenantIdentity:
    return asyncio.run(verify_credentials(credentials, workspace.settings.graph))


@app.command("add")
def add(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Option(help="Directory (tenant) ID or a verified domain.")],
    client_id: Annotated[str, typer.Option(help="Application (client) ID of the Remit app.")],
    client_secret: SecretOption = None,
    client_secret_file: SecretFileOption = None,
    certificate: CertificateOption = None,
    name: Annotated[
        str | None,
        typer.Option(help="Short name to refer to the tenant (default: from its domain)."),
    ] = None,
    verify: Annotated[
        bool, typer.Option(help="Get a token and read the organization before saving.")
    ] = True,
    json_output: JsonOption = False,
) -> None:
    """Onboard a tenant: verify its credentials with Entra ID, then store them encrypted."""
    check_ids(tenant_id, client_id, name)
    credential = _credential(tenant_id, client_secret, client_secret_file, certificate)
    if credential is None:
        raise InvalidInput(
            "give the app's credential: --client-secret (or --client-secret-file) or --certificate"
        )
    credentials = TenantCredentials(tenant_id, client_id, *credential)
    with state(ctx).open() as workspace:
        identity = _verify(workspace, credentials) if verify else TenantIdentity(tenant_id, "", "")
        if identity.tenant_id != credentials.tenant_id:  # a domain was given: keep the GUID
            credentials = TenantCredentials(identity.tenant_id, client_id, *credential)
        with workspace.session() as session:
            tenant = workspace.tenants(session).add(
                credentials,
                name=name,
                display_name=identity.display_name,
                primary_domain=identity.primary_domain or None,
            )
    if json_output:
        print_json(_tenant_json(tenant))
    else:
        stdout().print(
            f"Added tenant [bold]{escape(tenant.name)}[/] ({escape(tenant.display_name or '-')}, "
            f"{tenant.tenant_id}). Next: `remit tenant test {tenant.name}`."
        )


@app.command("update")
def update(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    client_id: Annotated[str | None, typer.Option(help="New application (client) ID.")] = None,
    client_secret: SecretOption = None,
    client_secret_file: SecretFileOption = None,
    certificate: CertificateOption = None,
    name: Annotated[str | None, typer.Option(help="New short name.")] = None,
    verify: Annotated[
        bool, typer.Option(help="Check new credentials against Entra ID before saving.")
    ] = True,
) -> None:
    """Rotate a tenant's secret or certificate, change its app or its short name."""
    with state(ctx).open() as workspace:
        with workspace.session(write=False) as session:
            repo = workspace.tenants(session)
            current = repo.get(tenant)
            old = repo.credentials(current)
        check_ids(current.tenant_id, client_id or old.client_id, name)
        credential = _credential(current.tenant_id, client_secret, client_secret_file, certificate)
        if credential is None and client_id is None and name is None:
            raise InvalidInput(
                "nothing to change: give --client-secret, --certificate, --client-id or --name"
            )
        new = TenantCredentials(
            current.tenant_id,
            client_id or old.client_id,
            *(credential or (old.auth_kind, old.secret)),
        )
        if verify and (credential is not None or client_id is not None):
            _verify(workspace, new)
        with workspace.session() as session:
            repo = workspace.tenants(session)
            if credential is not None or client_id is not None:
                repo.update_credentials(
                    current.tenant_id,
                    client_id=new.client_id,
                    secret=new.secret,
                    auth_kind=new.auth_kind,
                )
            if name is not None:
                repo.update(current.tenant_id, name=name)
            updated = repo.get(current.tenant_id)
    stdout().print(f"Updated tenant [bold]{escape(updated.name)}[/] ({updated.tenant_id}).")


def _tenant_json(tenant: TenantInfo) -> TenantJson:
    """A tenant for --json output: everything but the secret (and its database key)."""
    return TenantJson(
        name=tenant.name,
        tenant_id=tenant.tenant_id,
        display_name=tenant.display_name,
        primary_domain=tenant.primary_domain,
        client_id=tenant.client_id,
        auth_kind=tenant.auth_kind.value,
        secret_fingerprint=tenant.secret_fingerprint,
        created_at=tenant.created_at,
        last_test_at=tenant.last_test_at,
        last_test_result=dict(tenant.last_test_result) if tenant.last_test_result else None,
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the tenants with their last snapshot."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        rows = [
            (tenant, workspace.snapshots(session, tenant).latest_usable())
            for tenant in workspace.tenants(session).list()
        ]
    if json_output:
        print_json([TenantListEntry(**_tenant_json(t), last_snapshot=last) for t, last in rows])
        return
    if not rows:
        stdout().print("No tenants yet. Add one with `remit tenant add`.")
        return
    table = Table("Name", "Display name", "Tenant ID", "Last snapshot")
    for tenant, last in rows:
        when = f"{last.status.value} {_when(last.finished_at)}" if last else "never"
        table.add_row(tenant.name, tenant.display_name, tenant.tenant_id, when)
    stdout().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    json_output: JsonOption = False,
) -> None:
    """Show one tenant: credentials (never the secret), last test, recent snapshots."""
    with state(ctx).open() as workspace, workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant)
        snapshots = workspace.snapshots(session, info).list(limit=10)
    if json_output:
        print_json(TenantShowJson(**_tenant_json(info), snapshots=snapshots))
        return
    console = stdout()
    fields = {
        "name": info.name,
        "display name": info.display_name,
        "tenant id": info.tenant_id,
        "primary domain": info.primary_domain or "-",
        "client id": info.client_id,
        "auth kind": info.auth_kind.value,
        "secret": f"stored encrypted (fingerprint {info.secret_fingerprint})",
    }
    for label, value in fields.items():
        console.print(f"{label:>16}: {escape(value)}")
    test = info.last_test_result
    if test is not None and info.last_test_at is not None:
        missing = list(test.get("missing") or [])
        console.print(
            f"{'last test':>16}: {_when(info.last_test_at)} — "
            + (f"missing {', '.join(missing)}" if missing else "all permissions granted")
        )
    table = Table("Snapshot", "Status", "Finished", "Requests", "Size")
    for snap in snapshots:
        table.add_row(
            str(snap.id),
            snap.status.value,
            _when(snap.finished_at),
            str(snap.http_requests),
            f"{snap.size_bytes / 1024:.0f} KiB",
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
        with workspace.session(write=False) as session:
            row = workspace.tenants(session).get(tenant)
            label = f"{row.name} ({row.tenant_id})"
        if not yes and not typer.confirm(f"Remove {label} and all its snapshots?"):
            stderr().print(f"Kept {label}: nothing was removed.")
            raise typer.Exit(int(ExitCode.USAGE))
        with workspace.session() as session:
            workspace.tenants(session).remove(tenant)
    stdout().print(f"Removed {label}.")


@app.command("test")
def check_permissions(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant name, id or domain.")],
    json_output: JsonOption = False,
) -> None:
    """Get a token and probe every Graph permission Remit needs; list what is missing."""
    with state(ctx).open() as workspace:
        report = asyncio.run(probe_tenant(workspace, tenant))
    if json_output:
        print_json(
            TenantTestJson(
                tenant_id=report.tenant_id,
                name=report.name,
                token_ok=report.token_ok,
                probes=list(report.probes),
                tested_at=report.tested_at,
                missing=list(report.missing),
            )
        )
    else:
        table = Table("Permission", "Status", "Why Remit needs it")
        for probe in report.probes:
            if not probe.ok:
                status = "[red]missing[/]"
            elif probe.license:
                status = f"[yellow]granted; tenant lacks {escape(probe.license)}[/]"
            else:
                status = "[green]granted[/]"
            table.add_row(probe.permission, status, probe.why)
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
