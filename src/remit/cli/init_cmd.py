"""`remit init`: create a workspace (configuration, database, encryption key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remit.cli.context import state
from remit.cli.output import print_json, stdout
from remit.config import DEFAULT_AUTHORITY_HOST, DEFAULT_GRAPH_BASE_URL, settings_from_mapping
from remit.errors import ConfigError
from remit.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="Folder for the workspace (default: the --workspace folder)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL; default: SQLite file remit.db in the workspace."),
    ] = None,
    graph_url: Annotated[
        str, typer.Option(help="Microsoft Graph base URL.")
    ] = DEFAULT_GRAPH_BASE_URL,
    authority_host: Annotated[
        str, typer.Option(help="Entra ID login host that issues tokens.")
    ] = DEFAULT_AUTHORITY_HOST,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            help="PEM file of extra certificate authorities to trust (proxies, emulator)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Rewrite the configuration of an existing workspace (data is kept)."),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a workspace: remit.toml, the database, and the key that encrypts secrets."""
    target = path or state(ctx).path()
    if ca_bundle is not None and not ca_bundle.is_file():
        raise ConfigError(f"--ca-bundle {ca_bundle}: no such file; give the path of a PEM file")
    graph = settings_from_mapping(
        {
            "graph": {
                "base_url": graph_url,
                "authority_host": authority_host,
                "ca_bundle": str(ca_bundle.resolve()) if ca_bundle else "",
            }
        },
        source="command line",
    ).graph
    workspace = Workspace.create(target, database_url=database_url, graph=graph, force=force)
    workspace.close()
    if json_output:
        print_json({"workspace": str(workspace.path)})
    else:
        stdout().print(f"Workspace ready in {workspace.path}")
        stdout().print(
            "Next: `remit tenant add --tenant-id … --client-id … --client-secret …`"
            " (see docs/guide/onboarding.md for the app registration and its permissions)."
        )
