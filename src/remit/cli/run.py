"""Running a Typer app as `remit`: every RemitError becomes one line on stderr and its exit code."""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import io
import signal
import sys
from typing import Annotated

import typer
import typer.main
from rich.markup import escape
from typer import _click as click

from remit import __version__
from remit.cli.output import stderr
from remit.errors import ExitCode, RemitError


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"remit {__version__}")
        raise typer.Exit()


VersionOption = Annotated[
    bool,
    typer.Option("--version", callback=show_version, is_eager=True, help="Print the version."),
]


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


@functools.cache
def _command(app: typer.Typer) -> click.Command:
    """Typer turns the app into a Click command by evaluating every annotation (~0.25 s for
    the full app); build it once per process."""
    return typer.main.get_command(app)


def run(app: typer.Typer, argv: list[str] | None) -> None:
    """Run ``app``; exit with the documented exit code (docs/reference/exit-codes.md)."""
    _dump_stacks_on_sigusr1()
    try:
        code = _command(app)(args=argv, prog_name="remit", standalone_mode=False)
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
