"""`remit map`: Control maps: RACI, objectives, approved privileged access, exceptions, revisions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Control maps: RACI, objectives, approved privileged access, exceptions, revisions.", no_args_is_help=True)
