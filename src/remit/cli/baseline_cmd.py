"""`remit baseline`: Layered baselines (MSP default, tiers) and what changing them would do."""

from __future__ import annotations

import typer

app = typer.Typer(help="Layered baselines (MSP default, tiers) and what changing them would do.", no_args_is_help=True)
