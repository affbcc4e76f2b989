"""Serve an ASGI app from a background thread on a socket bound beforehand.

The demo uses it for its webhook receiver beside the web app; the socket is bound (and
listening) before the thread starts, so the port is known and connections queue until uvicorn
accepts them, and readiness is an event, not a sleep.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

_STOP_TIMEOUT = 5.0


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    def install_signal_handlers(self) -> None:  # the main thread keeps its own handlers
        return None


class BackgroundServer:
    """``start()`` serves ``app`` on ``sock`` in a daemon thread; ``stop()`` shuts it down."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self._sock = sock
        ready = threading.Event()
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self._server = _Server(config, ready)
        self._ready = ready
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> BackgroundServer:
        self._thread.start()
        self._ready.wait(_STOP_TIMEOUT * 2)
        return self

    def stop(self, *, graceful: bool = True) -> None:
        """Stop serving; ``graceful=False`` drops open connections at once (on Ctrl-C)."""
        self._server.should_exit = True
        self._server.force_exit = not graceful
        self._thread.join(_STOP_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(_STOP_TIMEOUT)
        self._sock.close()
