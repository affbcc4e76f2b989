"""The slim `remit` app that `remit repo …` runs from (see ``remit.cli.entry``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remit.cli import repo_cmd
from remit.cli.run import VersionOption

app = typer.Typer(
    name="remit", no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False
)


@app.callback()
def root(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="REMIT_WORKSPACE",
            show_default=False,
            help="Workspace folder (not used by `remit repo`).",
        ),
    ] = None,
    version: VersionOption = False,
) -> None:
    """Run the customer's side of the Microsoft 365 shared-responsibility model."""


app.add_typer(repo_cmd.app, name="repo")
