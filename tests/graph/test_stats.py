"""Request accounting per endpoint template."""

from __future__ import annotations

import asyncio

import pytest

from remit.domain import EndpointStats
from remit.graph import RequestStats, endpoint_template


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("users", "users"),
        ("/users/", "users"),
        ("users?$top=5&$select=id", "users"),
        ("users/6e2b2a4c-1a2b-4c3d-9e8f-0123456789ab", "users/{id}"),
        ("users/alice@contoso.com/messages", "users/{id}/messages"),
        (
            "users/alice%40contoso.com/mailFolders/inbox/messages",
            "users/{id}/mailFolders/inbox/messages",
        ),
        ("users/u1/messages/AAMkAGI2TG93AAA=/attachments", "users/{id}/messages/{id}/attachments"),
        ("groups/0c1d/members/microsoft.graph.user", "groups/{id}/members/microsoft.graph.user"),
        ("$batch", "$batch"),
        ("users/delta()", "users/delta()"),
        ("users/delta", "users/delta"),
        ("sites/contoso.sharepoint.com,1b2c,3d4e/drive", "sites/{id}/drive"),
        ("drives/b!x_Yz12/items/01ABCDEF/content", "drives/{id}/items/{id}/content"),
        ("users/u1/messages/m1/$value", "users/{id}/messages/{id}/$value"),
    ],
)
def test_endpoint_template(path: str, template: str) -> None:
    assert endpoint_template(path) == template


def test_record_snapshot_total() -> None:
    stats = RequestStats()
    stats.record("users", status=200, bytes_sent=0, bytes_received=100)
    stats.record("users", status=429, retry=True, bytes_received=10)
    stats.record("users", status=503, retry=True)
    stats.record("users", retry=True, error=True)  # transport error: no status
    stats.record_error("users")  # a bad body found after a 200
    stats.record("$batch", status=200, bytes_sent=300, bytes_received=500)
    stats.record("groups/{id}/members", status=200, batched=True)
    stats.record("groups/{id}/members", status=429, batched=True, retry=True)
    snapshot = stats.snapshot()
    assert snapshot["users"] == EndpointStats(
        requests=4, retries=3, throttled=1, errors=3, bytes_received=110, bytes_sent=0
    )
    assert snapshot["groups/{id}/members"] == EndpointStats(requests=2, retries=1, throttled=1)
    assert list(snapshot) == sorted(snapshot)
    assert stats.total() == EndpointStats(
        requests=5, retries=3, throttled=1, errors=3, bytes_received=610, bytes_sent=300
    )


def test_merge_adds_counts() -> None:
    a, b = RequestStats(), RequestStats()
    a.record("users", status=200, bytes_received=5)
    b.record("users", status=429)
    b.record("groups", status=200, batched=True)
    b.record_resync("users/delta")
    a.merge(b)
    assert a.snapshot()["users"] == EndpointStats(requests=2, throttled=1, bytes_received=5)
    assert a.snapshot()["groups"].requests == 1
    assert a.total().requests == 2
    assert a.resyncs() == {"users/delta": 1}
    assert b.snapshot()["users"].requests == 1  # the source is unchanged


async def test_no_counts_lost_under_concurrency() -> None:
    stats = RequestStats()

    async def worker(n: int) -> None:
        for _ in range(100):
            stats.record(f"e{n % 3}", status=200, bytes_received=1)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker(n) for n in range(30)))
    assert stats.total().requests == 3000
    assert stats.total().bytes_received == 3000
    assert sum(s.requests for s in stats.snapshot().values()) == 3000
