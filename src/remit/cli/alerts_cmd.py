"""`remit alerts`: Alert rules, channels and deliveries."""

from __future__ import annotations

import typer

app = typer.Typer(help="Alert rules, channels and deliveries.", no_args_is_help=True)
