"""GET, paging, collections: nextLinks are opaque, headers are resent, foreign hosts refused."""

from __future__ import annotations

import httpx
import pytest

from remit.errors import GraphRequestError

from ._fakes import BASE, FakeTokens, json_response, make_client, path_of


async def test_get_returns_one_object_and_sends_token_and_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"id": "org-1", "displayName": "Contoso"})

    async with make_client(handler) as client:
        body = await client.get("organization/org-1", params={"$select": "id,displayName"})

    assert body == {"id": "org-1", "displayName": "Contoso"}
    assert len(seen) == 1
    request = seen[0]
    assert str(request.url) == f"{BASE}/organization/org-1?$select=id,displayName"
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["client-request-id"]
    assert request.headers["User-Agent"].startswith("ISV|Remit|Remit/")


async def test_query_values_are_percent_encoded_but_odata_punctuation_is_kept() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return json_response(200, {"value": []})

    async with make_client(handler) as client:
        await client.get_all("users", params={"$filter": "startswith(displayName,'a b&c')"})

    assert seen == [f"{BASE}/users?$filter=startswith(displayName,'a%20b%26c')"]


async def test_iter_pages_follows_next_links_resends_headers_and_allows_empty_pages() -> None:
    seen: list[httpx.Request] = []
    pages = {
        "": {"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": f"{BASE}/users?$skiptoken=p2"},
        "$skiptoken=p2": {"value": [], "@odata.nextLink": f"{BASE}/users?$skiptoken=p3%2B"},
        "$skiptoken=p3%2B": {"value": [{"id": "3"}]},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = request.url.query.decode()
        key = "" if query.startswith("$select") else query
        return json_response(200, pages[key])

    headers = {"ConsistencyLevel": "eventual"}
    async with make_client(handler) as client:
        got = [
            page
            async for page in client.iter_pages("users", params={"$select": "id"}, headers=headers)
        ]

    assert got == [[{"id": "1"}, {"id": "2"}], [], [{"id": "3"}]]
    assert len(seen) == 3
    assert [r.headers.get("ConsistencyLevel") for r in seen] == ["eventual"] * 3
    # The nextLink is used as-is: no params re-added, its encoding untouched.
    assert str(seen[1].url) == f"{BASE}/users?$skiptoken=p2"
    assert str(seen[2].url) == f"{BASE}/users?$skiptoken=p3%2B"


async def test_next_link_to_another_host_is_refused_without_sending_the_token() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return json_response(
            200, {"value": [{"id": "1"}], "@odata.nextLink": "https://evil.test/v1.0/users?x=1"}
        )

    async with make_client(handler) as client:
        with pytest.raises(GraphRequestError, match=r"another host \(https://evil\.test\)"):
            await client.get_all("users")

    assert hosts == ["graph.test"]


async def test_absolute_url_on_the_same_base_is_accepted() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(path_of(request))
        return json_response(200, {"id": "x"})

    async with make_client(handler) as client:
        assert await client.get(f"{BASE}/users/x") == {"id": "x"}
    assert seen == ["users/x"]


async def test_get_collection_returns_count_from_page_one_and_asks_for_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "skiptoken" in str(request.url):
            return json_response(200, {"value": [{"id": "b"}], "@odata.count": 99})
        return json_response(
            200,
            {
                "@odata.count": 2,
                "value": [{"id": "a"}],
                "@odata.nextLink": f"{BASE}/groups?$skiptoken=2",
            },
        )

    async with make_client(handler) as client:
        collection = await client.get_collection("groups", count=True)

    assert collection.items == [{"id": "a"}, {"id": "b"}]
    assert collection.count == 2
    assert "$count=true" in str(seen[0].url)
    assert all(r.headers["ConsistencyLevel"] == "eventual" for r in seen)
    assert len(seen) == 2


async def test_collection_without_count_has_none() -> None:
    async with make_client(lambda r: json_response(200, {"value": [{"id": "a"}]})) as client:
        collection = await client.get_collection("domains")
    assert collection.count is None
    assert collection.items == [{"id": "a"}]


async def test_an_object_where_a_collection_was_expected_is_a_clear_error() -> None:
    async with make_client(lambda r: json_response(200, {"id": "single"})) as client:
        with pytest.raises(GraphRequestError, match="not a collection"):
            await client.get_all("policies/authorizationPolicy")


async def test_empty_204_body_is_an_empty_object() -> None:
    async with make_client(lambda r: httpx.Response(204)) as client:
        assert await client.get("users/x/photo") == {}


async def test_client_closes_and_token_fetched_per_request() -> None:
    tokens = FakeTokens()
    client = make_client(lambda r: json_response(200, {"id": "1"}), tokens=tokens)
    await client.get("organization")
    await client.get("organization")
    await client.aclose()
    assert tokens.calls == 2
    assert tokens.refreshes == 0
