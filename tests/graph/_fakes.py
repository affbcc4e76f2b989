"""Test doubles for the Graph client: tokens, time, and a scripted Graph behind MockTransport."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from remit.config import GraphSettings
from remit.graph import GraphClient, RequestStats, TenantGate

BASE = "https://graph.test/v1.0"

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def settings(**overrides: Any) -> GraphSettings:
    values: dict[str, Any] = {
        "base_url": BASE,
        "authority_host": "https://login.test",
        "max_retries": 3,
        "max_throttle_wait_seconds": 60.0,
        "backoff_base_seconds": 1.0,
        "backoff_max_seconds": 8.0,
    }
    values.update(overrides)
    return GraphSettings(**values)


class FakeTokens:
    """Hands out token-1, then token-2 after a forced refresh, ...; counts calls."""

    def __init__(self) -> None:
        self.generation = 1
        self.calls = 0
        self.refreshes = 0

    async def token(self, *, force_refresh: bool = False) -> str:
        self.calls += 1
        if force_refresh:
            self.refreshes += 1
            self.generation += 1
        return f"token-{self.generation}"


class FakeTime:
    """A monotonic clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(round(delay, 6))
        self.now += delay
        await asyncio.sleep(0)


def json_response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def graph_error(code: str, message: str = "boom", request_id: str = "req-1") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": request_id}}}


def make_client(
    handler: Handler,
    *,
    time: FakeTime | None = None,
    tokens: FakeTokens | None = None,
    tenant_id: str = "tenant-a",
    stats: RequestStats | None = None,
    gate: TenantGate | None = None,
    **overrides: Any,
) -> GraphClient:
    time = time or FakeTime()
    conf = settings(**overrides)
    return GraphClient(
        tenant_id,
        tokens or FakeTokens(),
        conf,
        transport=httpx.MockTransport(handler),
        stats=stats,
        gate=gate or TenantGate(conf, clock=time.clock, sleep=time.sleep),
        sleep=time.sleep,
        rng=random.Random(7),
        client_id="client-123",
    )


def path_of(request: httpx.Request) -> str:
    """The request path relative to the root, without the query."""
    return request.url.path.removeprefix("/v1.0/")


SubHandler = Callable[[dict[str, Any]], tuple[int, dict[str, str], Any]]


class BatchServer:
    """Answers POST $batch by calling ``sub`` per sub-request; answers come back reversed.

    ``calls`` holds the list of sub-request dicts of every $batch call.
    """

    def __init__(self, sub: SubHandler) -> None:
        self.sub = sub
        self.calls: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert path_of(request) == "$batch"
        payload = json.loads(request.content)
        subs = payload["requests"]
        assert len(subs) <= 20
        self.calls.append(subs)
        responses = []
        for sub in subs:
            status, headers, body = self.sub(sub)
            responses.append({"id": sub["id"], "status": status, "headers": headers, "body": body})
        return json_response(200, {"responses": list(reversed(responses))})
