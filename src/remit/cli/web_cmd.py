"""`remit serve`: the web app (API and dashboard) on the workspace."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer
import uvicorn

from remit.cli.context import state
from remit.cli.output import stdout
from remit.errors import AddressInUse
from remit.web.app import create_app
from remit.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving, so a taken port is one clear error and port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(
                f"port {port} on {host} is already in use; choose another with --port "
                "(0 picks a free one)"
            ) from None
        raise AddressInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def run_web(workspace: Workspace, sock: socket.socket) -> None:
    """Serve until Ctrl-C; uvicorn handles the signal and shuts down cleanly."""
    config = uvicorn.Config(create_app(workspace), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default from config).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config; 0 = any).")] = None,
) -> None:
    """Serve the web app and API for this workspace."""
    with state(ctx).open() as workspace:
        web = workspace.settings.web
        sock = bind_socket(host or web.host, web.port if port is None else port)
        address = sock.getsockname()
        stdout().print(f"Remit web app on http://{address[0]}:{address[1]}/ (Ctrl-C to stop)")
        run_web(workspace, sock)
