"""The demo's webhook receiver: what an MSP's PSA or chat bridge would be, on loopback.

It verifies each delivery's HMAC signature exactly as a real receiver should (the documented
``X-Remit-Signature`` over the raw body), keeps what it received, and tells the demo's console.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from remit.alerts.channels.webhook import SIGNATURE_HEADER, signature


@dataclass
class Inbox:
    """Deliveries received so far (thread-safe: the receiver runs in its own thread)."""

    received: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(item)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)


def receiver_app(
    secret: str, inbox: Inbox, on_alert: Callable[[dict[str, Any]], None]
) -> Starlette:
    async def webhook(request: Request) -> Response:
        body = await request.body()
        expected = signature(secret, body)
        if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), expected):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        document = json.loads(body)
        item = {"received_at": datetime.now(UTC).isoformat(), "document": document}
        inbox.add(item)
        on_alert(document)
        return JSONResponse({"ok": True})

    async def listing(_: Request) -> Response:
        return JSONResponse(inbox.snapshot())

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"]), Route("/", listing)])
