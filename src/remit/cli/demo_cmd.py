"""`remit demo`: emulator + workspace + onboarding + collection + web page, one command."""

from __future__ import annotations

import asyncio
import secrets
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from remit.cli.inventory_cmd import RichProgress, print_missing
from remit.cli.output import stderr, stdout
from remit.cli.watch_cmd import describe
from remit.cli.web_cmd import bind_socket
from remit.cycle import run_cycle
from remit.demo import collect, govern, onboard_all, prepare_workspace, start_emulator
from remit.demo_receiver import Inbox, receiver_app
from remit.errors import AddressInUse
from remit.inventory.service import TenantRef
from remit.inventory.summary import SnapshotSummary
from remit.web.app import create_app
from remit.web.background import BackgroundServer
from remit.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _fmt(value: object, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value}{suffix}"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the demo as Ctrl-C does, so the emulator child is stopped with it."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _security_defaults(summary: SnapshotSummary | None) -> str:
    """On, off, or n/a; "off" is a finding only when no conditional access replaces it."""
    if summary is None or summary.security_defaults is None:
        return "n/a"
    if summary.security_defaults:
        return "on"
    return "off" if summary.ca_policies_enabled else "[red]off[/]"


def _executable() -> str:
    """How the user ran Remit (`.venv/bin/remit` under `make demo`), for copy-and-paste hints."""
    argv0 = Path(sys.argv[0])
    return shlex.quote(str(argv0)) if argv0.name == "remit" and argv0.parent.name else "remit"


def demo(
    path: Annotated[
        Path | None,
        typer.Option(help="Folder for the demo workspace (default: a new temporary folder)."),
    ] = None,
    tenants: Annotated[
        int, typer.Option(min=1, max=200, help="Emulated client tenants (8 show every profile).")
    ] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic tenants.")] = 1,
    port: Annotated[int, typer.Option(help="Web app port (taken: a free one is used).")] = 8000,
    serve: Annotated[
        bool, typer.Option(help="Keep serving the web app after the summary (Ctrl-C stops).")
    ] = True,
    cycle_seconds: Annotated[
        int,
        typer.Option(min=5, help="While serving: seconds between monitoring cycles."),
    ] = 20,
) -> None:
    """Run Remit end to end against emulated client tenants of different sizes and postures."""
    err = stderr()
    folder = path or Path(tempfile.mkdtemp(prefix="remit-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    err.print(f"Starting the Graph emulator with {tenants} client tenants…")
    with _sigterm_as_interrupt():
        _run(folder, tenants, seed, port, serve, cycle_seconds)


@dataclass
class _Receiver:
    server: BackgroundServer
    url: str
    secret: str
    inbox: Inbox


def _start_receiver(out: Console) -> _Receiver:
    """The local webhook receiver alerts go to; it prints each one as it arrives."""
    secret = secrets.token_hex(32)
    inbox = Inbox()

    def arrived(document: dict[str, Any]) -> None:
        alert = document.get("alert") or {}
        out.print(
            "[bold magenta]webhook receiver got an alert[/] (signature verified): "
            + escape(f"[{alert.get('severity', '')}] {alert.get('title', '')}")
        )

    sock = bind_socket("127.0.0.1", 0)
    server = BackgroundServer(receiver_app(secret, inbox, arrived), sock).start()
    return _Receiver(server, f"http://127.0.0.1:{server.port}/webhook", secret, inbox)


def _govern_and_watch(
    workspace: Workspace,
    refs: list[TenantRef],
    emulator: dict[str, Any],
    receiver: _Receiver,
    remit: str,
    port: int,
    cycle_seconds: int,
    serve: bool,
) -> None:
    out = stdout()
    approved = govern(workspace, refs, receiver.url, receiver.secret)
    first = asyncio.run(run_cycle(workspace, refs, max_age=timedelta(hours=1)))
    findings = sum(len(d.findings) for d in first.drift)
    out.print(
        f"Control maps seeded: {approved} privileged assignments approved as today's state; "
        f"drift now: {findings} findings. Alerts go to the local webhook receiver "
        f"{receiver.url}."
    )
    target = refs[0]
    out.print(
        "Make drift happen — in another terminal:\n"
        f"     {_executable()} emulator scenario apply new-global-admin --tenant "
        f"{target.tenant_id} --url {emulator['url']} --ca-bundle "
        f"{shlex.quote(str(emulator['ca_bundle']))}\n"
        f"     then watch this console: the next cycle finds the unapproved Global Administrator "
        f"and the receiver gets the alert.\n"
        f"     {remit} drift check -t {target.name}   ·   {remit} drift events -t {target.name}"
    )
    if not serve:
        return
    try:
        sock = bind_socket("127.0.0.1", port)
    except AddressInUse:
        sock = bind_socket("127.0.0.1", 0)
    web = BackgroundServer(create_app(workspace), sock).start()
    try:
        out.print(
            f"Web app on http://127.0.0.1:{web.port}/  (a cycle every {cycle_seconds} s; "
            "Ctrl-C stops the demo)"
        )
        while True:
            time.sleep(cycle_seconds)  # the demo's schedule: one cycle every cycle_seconds
            report = asyncio.run(run_cycle(workspace, refs, max_age=timedelta(0)))
            for line in describe(report):
                out.print(escape(line))
    finally:
        web.stop(graceful=False)


def _run(folder: Path, tenants: int, seed: int, port: int, serve: bool, cycle_seconds: int) -> None:
    out, err = stdout(), stderr()
    emulator = start_emulator(folder / "emulator", tenants, seed)
    try:
        workspace = prepare_workspace(folder / "workspace", emulator.info)
        with workspace:
            err.print(f"Workspace in {workspace.path}; onboarding tenants…")
            refs = asyncio.run(onboard_all(workspace, emulator.info))
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                console=err, transient=True,
            ) as bar:  # fmt: skip
                results = asyncio.run(collect(workspace, refs, RichProgress(bar, len(refs))))
            table = Table(
                "Tenant", "Users", "Guests", "Global admins", "CA on", "Sec. defaults",
                "MFA reg.", "Snapshot", "Requests", "Score", "FAIL", title="Client tenants",
            )  # fmt: skip
            for tenant in results:
                summary, assessment = tenant.summary, tenant.assessment
                table.add_row(
                    tenant.collection.tenant.name,
                    _fmt(summary.users if summary else None),
                    _fmt(summary.guests if summary else None),
                    _fmt(summary.global_admins if summary else None),
                    _fmt(summary.ca_policies_enabled if summary else None),
                    _security_defaults(summary),
                    _fmt(summary.mfa_registered_percent if summary else None, "%"),
                    tenant.collection.status.value,
                    str(tenant.collection.http_requests),
                    _fmt(assessment.score.value if assessment else None),
                    _fmt(assessment.score.counts.get("FAIL") if assessment else None),
                )
            out.print(table)
            print_missing([tenant.collection for tenant in results])
            remit = f"{_executable()} -w {shlex.quote(str(workspace.path))}"
            out.print(
                f"Emulator: {emulator.info['url']}  ·  workspace: {workspace.path}\n"
                f"Try: {remit} tenant list\n"
                f"     {remit} assess -t {refs[0].name}\n"
                f"     {remit} inventory show latest -t {refs[0].name} --key users"
            )
            receiver = _start_receiver(out)
            try:
                _govern_and_watch(
                    workspace, refs, emulator.info, receiver, remit, port, cycle_seconds, serve
                )
            finally:
                receiver.server.stop(graceful=False)
    finally:
        emulator.stop()
        err.print(f"Demo stopped. Its files stay in {folder} (`rm -r {folder}` removes them).")
