"""`remit drift`: Drift from approved privileged access, and change events."""

from __future__ import annotations

import typer

app = typer.Typer(help="Drift from approved privileged access, and change events.", no_args_is_help=True)
