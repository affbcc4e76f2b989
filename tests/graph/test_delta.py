"""Delta: full sync, incremental rounds, and falling back to a full sync on expired links."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from remit.errors import GraphRequestError

from ._fakes import BASE, graph_error, json_response, make_client

Pages = dict[str, httpx.Response | dict[str, object]]

FULL: Pages = {
    "users/delta?$select=id,displayName": {
        "value": [{"id": "1", "displayName": "Ann"}],
        "@odata.nextLink": f"{BASE}/users/delta?$skiptoken=s1",
    },
    "users/delta?$skiptoken=s1": {
        "value": [{"id": "2", "displayName": "Bob"}],
        "@odata.deltaLink": f"{BASE}/users/delta?$deltatoken=d1",
    },
}


def router(pages: Pages, seen: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        key = str(request.url).removeprefix(f"{BASE}/")
        seen.append(key)
        page = pages[key]
        return page if isinstance(page, httpx.Response) else json_response(200, page)

    return handler


async def test_full_sync_follows_next_links_to_the_delta_link() -> None:
    seen: list[str] = []
    async with make_client(router(dict(FULL), seen)) as client:
        result = await client.delta("users/delta", params={"$select": "id,displayName"})
    assert [u["id"] for u in result.items] == ["1", "2"]
    assert result.delta_link == f"{BASE}/users/delta?$deltatoken=d1"
    assert result.full_resync is False
    assert seen == ["users/delta?$select=id,displayName", "users/delta?$skiptoken=s1"]


async def test_incremental_round_starts_at_the_link_and_keeps_removed_entries() -> None:
    seen: list[str] = []
    pages: dict[str, httpx.Response | dict[str, object]] = {
        "users/delta?$deltatoken=d1": {
            "value": [
                {"id": "2", "displayName": "Bobby"},
                {"id": "1", "@removed": {"reason": "deleted"}},
            ],
            "@odata.deltaLink": f"{BASE}/users/delta?$deltatoken=d2",
        }
    }
    async with make_client(router(pages, seen)) as client:
        result = await client.delta("users/delta", f"{BASE}/users/delta?$deltatoken=d1")
    assert result.items[1] == {"id": "1", "@removed": {"reason": "deleted"}}
    assert result.delta_link.endswith("$deltatoken=d2")
    assert result.full_resync is False
    assert seen == ["users/delta?$deltatoken=d1"]


@pytest.mark.parametrize(
    "expired",
    [
        json_response(410, graph_error("Request_ResourceNotFound", "token expired")),
        json_response(400, graph_error("syncStateNotFound", "sync state not found")),
        json_response(400, graph_error("SyncStateNotFound")),
        json_response(400, graph_error("resyncRequired")),
    ],
)
async def test_expired_link_falls_back_to_a_full_sync(expired: httpx.Response) -> None:
    seen: list[str] = []
    pages: dict[str, httpx.Response | dict[str, object]] = {
        "users/delta?$deltatoken=old": expired,
        **FULL,
    }
    async with make_client(router(pages, seen)) as client:
        result = await client.delta(
            "users/delta",
            f"{BASE}/users/delta?$deltatoken=old",
            params={"$select": "id,displayName"},
        )
        resyncs = client.stats.resyncs()
    assert result.full_resync is True
    assert [u["id"] for u in result.items] == ["1", "2"]
    assert result.delta_link.endswith("$deltatoken=d1")
    assert seen == [
        "users/delta?$deltatoken=old",
        "users/delta?$select=id,displayName",
        "users/delta?$skiptoken=s1",
    ]
    assert resyncs == {"users/delta": 1}


async def test_a_round_that_never_yields_a_delta_link_is_an_error() -> None:
    seen: list[str] = []
    pages: dict[str, httpx.Response | dict[str, object]] = {"users": {"value": [{"id": "1"}]}}
    async with make_client(router(pages, seen)) as client:
        with pytest.raises(GraphRequestError, match=r"without @odata\.deltaLink"):
            await client.delta("users")
    assert seen == ["users"]
