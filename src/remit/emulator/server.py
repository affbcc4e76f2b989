"""Run the emulator: bind first (so ``port=0`` works), then serve HTTPS with uvicorn in a thread.

``EmulatorServer`` is a context manager for tests and the CLI::

    with EmulatorServer(tenants, options=EmulatorOptions(time_scale=0.01)) as server:
        httpx.get(server.graph_base_url + "/users", verify=str(server.ca_bundle), ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType

import uvicorn

from remit.emulator.app import build_app
from remit.emulator.auth import register_certificate
from remit.emulator.errors import PortInUse, StartupError
from remit.emulator.model import TenantSpec
from remit.emulator.state import EmulatorOptions, EmulatorState
from remit.emulator.tenants import LazyTenant
from remit.emulator.tls import TlsFiles, make_tls_files

logger = logging.getLogger("remit.emulator")
_STOP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """uvicorn's server, adapted to run in a thread of a test or CLI process.

    It tells a threading.Event when it is ready (or failed to start), wakes up at once when asked
    to stop (instead of at its next 0.1 s tick), and stops without waiting for idle keep-alive
    connections: a graceful TLS close waits for the client's close_notify, which an idle client
    never sends. Emulated requests still in flight are cancelled.
    """

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in getattr(self, "servers", []):
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        for task in list(self.server_state.tasks):
            task.cancel()
        await asyncio.sleep(0)  # let the aborted connections run connection_lost
        for server in getattr(self, "servers", []):
            await server.wait_closed()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when proto says TCP
    # (without it every response waits ~40 ms on Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(host, port) from None
        raise StartupError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


class EmulatorServer:
    def __init__(
        self,
        tenants: Sequence[TenantSpec | LazyTenant],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: EmulatorOptions | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.options = options or EmulatorOptions()
        self.state = EmulatorState(tenants, self.options)
        self._state_dir = state_dir
        self._own_state_dir: Path | None = None
        self._sock: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.port = 0
        self.tls: TlsFiles | None = None

    # ---- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def authority_host(self) -> str:
        return self.url

    @property
    def graph_base_url(self) -> str:
        return self.url + "/v1.0"

    @property
    def ca_bundle(self) -> Path:
        if self.tls is None:
            raise RuntimeError("the emulator has not been started")
        return self.tls.ca

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        self._sock = _bind(self.host, self.requested_port)
        self.port = self._sock.getsockname()[1]
        try:
            state_dir = self._state_dir
            if state_dir is None:
                state_dir = self._own_state_dir = Path(tempfile.mkdtemp(prefix="remit-emulator-"))
            self.tls = make_tls_files(state_dir)
            config = uvicorn.Config(
                build_app(self.state),
                http="h11",
                lifespan="off",
                log_config=None,
                log_level="warning",
                access_log=self.options.access_log,
                server_header=False,
                proxy_headers=False,
                ssl_certfile=str(self.tls.cert),
                ssl_keyfile=str(self.tls.key),
                timeout_keep_alive=30,
                timeout_graceful_shutdown=2,
                backlog=1024,
            )
            ready = threading.Event()
            self._server = _Server(config, ready)
            self._thread = threading.Thread(
                target=self._run, name=f"remit-emulator-{self.port}", daemon=True
            )
            self._thread.start()
            ready.wait()
            if self._error is not None or not self._server.started:
                raise StartupError(f"the emulator did not start: {self._error}")
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self) -> None:
        assert self._server is not None
        assert self._sock is not None
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:
            self._error = exc  # start() reports it; the thread's excepthook prints it
            raise
        finally:
            self._server.ready.set()

    def stop(self) -> None:
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(_STOP_TIMEOUT)
        if self._sock is not None:
            self._sock.close()
        self._thread = self._server = self._sock = None
        if self._own_state_dir is not None:
            shutil.rmtree(self._own_state_dir, ignore_errors=True)
            self._own_state_dir = None

    def serve_forever(self) -> None:
        """Block until Ctrl-C or SIGTERM (main thread only), then stop cleanly."""
        if self._thread is None:
            self.start()
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop.wait(1.0):
                if self._thread is None or not self._thread.is_alive():
                    break
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    # ---- conveniences for tests --------------------------------------------------------------

    def register_certificate(self, tenant_id: str, pem: str | bytes) -> None:
        tenant = self.state.registry.lookup(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        register_certificate(tenant, pem)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
