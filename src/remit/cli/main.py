"""Entry point: `remit ...`. Turns every RemitError into one line on stderr and its exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
from remit.cli.run import VersionOption, run

app = typer.Typer(
    name="remit",
    help="Run the customer's side of the Microsoft 365 shared-responsibility model for every "
    "tenant you manage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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
    version: VersionOption = False,
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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit with the documented exit code (docs/reference/exit-codes.md)."""
    run(app, argv)
