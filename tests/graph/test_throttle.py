"""Retry-After parsing, back-off, the per-tenant pause, and concurrency limits."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import httpx
import pytest

from remit.graph import TenantGate, backoff_delay, mailbox_key, parse_retry_after

from ._fakes import FakeTime, graph_error, json_response, make_client, path_of, settings

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.25", 0.25),
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("Sun, 01 Mar 2026 12:00:10 GMT", 10.0),
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0),  # in the past: go now
        (None, None),
        ("", None),
        ("soon", None),
        ("-4", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == expected


def test_backoff_is_exponential_with_equal_jitter_and_capped() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)  # never less than half a step
        assert max(delays) - min(delays) > ceiling / 4  # and spread, so clients do not align
    assert backoff_delay(3, 1, 60, random.Random(5)) == backoff_delay(3, 1, 60, random.Random(5))


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("users/U1/messages", "u1"),
        ("users/alice@contoso.com/mailFolders/inbox/messages/delta", "alice@contoso.com"),
        ("users/u1/events?$top=5", "u1"),
        ("users/u1/calendar", "u1"),
        ("users/u1/contactFolders", "u1"),
        ("users/u1/mailboxSettings", "u1"),
        ("users/u1/inferenceClassification", "u1"),
        ("users/u1", None),
        ("users/u1/authentication/methods", None),
        ("users/u1/drive/root", None),
        ("users", None),
        ("groups/g1/events", None),
    ],
)
def test_mailbox_key(path: str, key: str | None) -> None:
    assert mailbox_key(path) == key


async def test_pause_takes_the_later_deadline_and_is_waited_out() -> None:
    time = FakeTime()
    gate = TenantGate(settings(), clock=time.clock, sleep=time.sleep)
    gate.pause(5)
    gate.pause(1)  # never shortens
    assert gate.paused_until == time.now + 5
    async with gate.admit("users"):
        pass
    assert time.sleeps == [5.0]
    gate.pause(2)
    assert await gate.wait_if_paused() == 2.0


class ManualTime:
    """Sleeps block until the test advances the clock; each sleep is announced on a queue."""

    def __init__(self) -> None:
        self.now = 0.0
        self.started: asyncio.Queue[float] = asyncio.Queue()
        self._wake = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.started.put_nowait(delay)
        await self._wake.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._wake.set()


async def test_a_429_pauses_other_requests_to_the_same_tenant_but_not_other_tenants() -> None:
    time = ManualTime()
    seen_a: list[str] = []
    seen_b: list[str] = []

    def tenant_a(request: httpx.Request) -> httpx.Response:
        seen_a.append(path_of(request))
        if seen_a == ["users"]:
            return json_response(429, graph_error("TooManyRequests"), {"Retry-After": "2"})
        return json_response(200, {"id": path_of(request)})

    def tenant_b(request: httpx.Request) -> httpx.Response:
        seen_b.append(path_of(request))
        return json_response(200, {"id": "b"})

    conf = settings()
    client_a = make_client(tenant_a, gate=TenantGate(conf, clock=time.clock, sleep=time.sleep))
    client_b = make_client(
        tenant_b, tenant_id="tenant-b", gate=TenantGate(conf, clock=time.clock, sleep=time.sleep)
    )
    async with client_a, client_b, asyncio.timeout(10):  # a safety net against a hang
        throttled = asyncio.create_task(client_a.get("users"))
        assert await time.started.get() == 2.0  # the throttled request waits out the pause
        other = asyncio.create_task(client_a.get("groups"))
        assert await time.started.get() == 2.0  # ... and so does a fresh request to tenant A
        assert seen_a == ["users"]  # groups was not sent during the pause
        assert await client_b.get("groups") == {"id": "b"}  # tenant B is not paused
        assert seen_b == ["groups"]
        time.advance(2.0)
        assert await throttled == {"id": "users"}
        assert await other == {"id": "groups"}
    assert sorted(seen_a) == ["groups", "users", "users"]
    assert client_a.stats.snapshot()["users"].throttled == 1


class InFlight:
    """A handler that records the peak number of concurrent requests per key.

    Requests are held until ``hold`` requests are in flight at once (or all have arrived), so
    an unenforced limit shows up as a peak above it.
    """

    def __init__(self, hold: int, key: object = None) -> None:
        self.hold = hold
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total_now = 0
        self.total_peak = 0
        self.released = asyncio.Event()
        self.key = key

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = path_of(request)
        key = path.split("/")[1] if path.startswith("users/") else path
        self.now[key] = self.now.get(key, 0) + 1
        self.peak[key] = max(self.peak.get(key, 0), self.now[key])
        self.total_now += 1
        self.total_peak = max(self.total_peak, self.total_now)
        if self.total_now >= self.hold:
            self.released.set()
        await self.released.wait()
        self.now[key] -= 1
        self.total_now -= 1
        return json_response(200, {"value": []})


async def test_at_most_four_requests_per_mailbox_and_the_tenant_limit_overall() -> None:
    handler = InFlight(hold=8)
    client = make_client(handler, max_concurrency_per_tenant=8, max_concurrency_per_mailbox=4)
    async with client, asyncio.timeout(10):
        jobs = [client.get_all(f"users/u1/messages/m{i}/attachments") for i in range(10)]
        jobs += [client.get_all(f"users/u2/mailFolders/f{i}/messages") for i in range(10)]
        await asyncio.gather(*jobs)
    assert handler.peak == {"u1": 4, "u2": 4}
    assert handler.total_peak == 8
    assert client.gate.mailboxes_in_use == 0  # idle mailboxes are forgotten


async def test_tenant_concurrency_limit_holds() -> None:
    handler = InFlight(hold=3)
    client = make_client(handler, max_concurrency_per_tenant=3)
    async with client, asyncio.timeout(10):
        await asyncio.gather(*(client.get_all(f"groups/g{i}/members") for i in range(12)))
    assert handler.total_peak == 3
    assert client.stats.snapshot()["groups/{id}/members"].requests == 12
