"""`remit review`: Scheduled access reviews and their decisions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Scheduled access reviews and their decisions.", no_args_is_help=True)
