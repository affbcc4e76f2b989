"""Entry point: `remit ...`. Turns every RemitError into one line on stderr and its exit code."""

from __future__ import annotations

import contextlib
import faulthandler
import io
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from remit import __version__
from remit.cli import (
    alerts_cmd,
    assess_cmd,
    baseline_cmd,
    demo_cmd,
    drift_cmd,
    init_cmd,
    inventory_cmd,
    map_cmd,
    repo_cmd,
    review_cmd,
    tenant_cmd,
    watch_cmd,
    web_cmd,
)
from remit.cli.context import state
from remit.cli.output import stderr
from remit.errors import ExitCode, RemitError

app = typer.Typer(
    name="remit",
    help="Run the customer's side of the Microsoft 365 shared-responsibility model for every "
    "tenant you manage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"remit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="REMIT_WORKSPACE",
            help="Workspace folder (default: $REMIT_WORKSPACE or ~/.local/share/remit).",
            show_default=False,
            # Remit checks the folder itself (exit 3 with what to do), not Click (exit 2).
            readable=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    state(ctx).workspace_path = workspace


init_cmd.register(app)
app.add_typer(tenant_cmd.app, name="tenant")
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(assess_cmd.app, name="assess")
app.add_typer(map_cmd.app, name="map")
app.add_typer(baseline_cmd.app, name="baseline")
app.add_typer(drift_cmd.app, name="drift")
app.add_typer(review_cmd.app, name="review")
app.add_typer(alerts_cmd.app, name="alerts")
app.add_typer(repo_cmd.app, name="repo")
watch_cmd.register(app)
demo_cmd.register(app)
web_cmd.register(app)


def _mount_emulator() -> None:
    # The emulator is a development and demo tool that stands apart from the product: only the
    # CLI mounts it, and product code never imports it.
    from remit.emulator.cli import app as emulator_app

    app.add_typer(emulator_app, name="emulator", help="Run the local Microsoft Graph emulator.")


_mount_emulator()


def _usage_error(exc: typer.TyperException) -> None:
    """Click's own errors (typer vendors click): bad options on one line, help text as it is."""
    message = exc.format_message().strip()
    if "\n" in message:  # the help page of a command group run without a subcommand
        stderr().print(message, markup=False, highlight=False)
        return
    ctx = getattr(exc, "ctx", None)
    hint = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    if message:
        stderr().print(f"[bold red]error:[/] {escape(message.rstrip('.'))}{escape(hint)}")


def _dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints what every thread of a running remit is doing (to diagnose a
    hang); written to the process's real stderr, which a test harness may have replaced."""
    stream = sys.__stderr__
    if not hasattr(signal, "SIGUSR1") or stream is None:
        return
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit with the documented exit code (docs/reference/exit-codes.md)."""
    _dump_stacks_on_sigusr1()
    try:
        code = app(args=argv, prog_name="remit", standalone_mode=False)
    except RemitError as exc:
        stderr().print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(int(exc.exit_code))
    except (typer.Abort, KeyboardInterrupt):
        # Abort: Ctrl-C (or end of input) at a prompt; typer turns other Ctrl-Cs into exit 130.
        stderr().print("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.TyperException as exc:  # click's usage errors, vendored by typer
        _usage_error(exc)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
