"""Local stand-ins for what alerts are delivered to: an HTTP receiver and an SMTP server.

Both listen on a loopback port chosen by the kernel. ``HttpReceiver`` serves a Starlette app
with uvicorn in a thread and records every request; ``closed_port()`` gives a socket that is bound
but not listening (connections are refused) and that a receiver can start serving later, so a
test can take a receiver down and bring it back on the same address without races.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from remit.emulator.tls import TlsFiles


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Recorded], Response | Awaitable[Response]]


def ok(_: Recorded) -> Response:
    return JSONResponse({"ok": True})


def closed_port() -> socket.socket:
    """A loopback socket bound to a free port but not listening: connecting is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


class _Uvicorn(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


class HttpReceiver:
    """Records requests and answers them with ``responder`` (any path, any method)."""

    def __init__(self, responder: Responder = ok, *, sock: socket.socket | None = None) -> None:
        self.responder = responder
        self.requests: list[Recorded] = []
        self._sock = sock or closed_port()
        self.port: int = self._sock.getsockname()[1]
        self._server: _Uvicorn | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: Request) -> Response:
        recorded = Recorded(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        self.requests.append(recorded)
        answer = self.responder(recorded)
        return await answer if isinstance(answer, Awaitable) else answer

    def start(self) -> HttpReceiver:
        app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])]
        )
        config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off")
        ready = threading.Event()
        self._server = _Uvicorn(config, ready)
        self._sock.listen(64)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        ready.wait(10)
        assert self._server.started, "the receiver did not start"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()
        self._server = self._thread = None

    def __enter__(self) -> HttpReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def tls_context(tls: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls.cert), str(tls.key))
    return context


@dataclass
class _Handler:
    reply: str = "250 OK"
    messages: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reply.startswith("250"):
            self.messages.append(envelope)
        return self.reply


class SmtpServer:
    """aiosmtpd on a loopback port in a thread; optional STARTTLS and a login it checks."""

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        users: dict[str, str] | None = None,
        reply: str = "250 OK",
    ) -> None:
        self.tls = tls
        self.users = users or {}
        self.handler = _Handler(reply)
        self.logins: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def messages(self) -> list[Envelope]:
        return self.handler.messages

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self.logins.append(user)
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=self.users.get(user) == password, handled=False)

    def _protocol(self) -> SMTP:
        return SMTP(
            self.handler,
            hostname="localhost",
            tls_context=tls_context(self.tls) if self.tls else None,
            require_starttls=self.tls is not None,
            authenticator=self._authenticate if self.users else None,
            auth_required=bool(self.users),
            auth_require_tls=self.tls is not None,
            loop=self._loop,
        )

    def start(self) -> SmtpServer:
        self._server = self._loop.run_until_complete(
            self._loop.create_server(self._protocol, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
