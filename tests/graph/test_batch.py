"""JSON $batch: splitting, ordering, per-item retries, whole-batch retries, dependsOn."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from remit.errors import GraphRequestError, GraphUnavailable, MissingPermission, ThrottledTooLong
from remit.graph import BatchRequest

from ._fakes import (
    BASE,
    BatchServer,
    FakeTime,
    FakeTokens,
    graph_error,
    json_response,
    make_client,
)


def echo(sub: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    return 200, {"Content-Type": "application/json"}, {"id": sub["url"].rsplit("/", 1)[-1]}


async def test_45_requests_are_split_into_three_calls_and_answered_in_input_order() -> None:
    server = BatchServer(echo)
    requests = [BatchRequest(url=f"users/user{i}") for i in range(45)]
    async with make_client(server) as client:
        responses = await client.batch(requests)
        stats = client.stats.snapshot()
        total = client.stats.total()
    assert [len(call) for call in server.calls] == [20, 20, 5]
    assert [r.body["id"] for r in responses] == [f"user{i}" for i in range(45)]
    assert all(r.ok and r.status == 200 for r in responses)
    ids = [sub["id"] for call in server.calls for sub in call]
    assert len(set(ids)) == 45
    assert server.calls[0][0] == {"id": "1", "method": "GET", "url": "/users/user0"}
    assert stats["$batch"].requests == 3
    assert stats["users/{id}"].requests == 45  # sub-requests counted under their own template
    assert total.requests == 3  # but the wire total counts HTTP calls only


async def test_given_ids_are_kept_and_duplicates_refused() -> None:
    server = BatchServer(echo)
    async with make_client(server) as client:
        responses = await client.batch(
            [
                BatchRequest(url="users/a", id="1"),
                BatchRequest(url="users/b"),
                BatchRequest(url="users/c", id="x"),
            ]
        )
        assert [r.id for r in responses] == ["1", "2", "x"]
        with pytest.raises(ValueError, match="unique"):
            await client.batch(
                [BatchRequest(url="users/a", id="k"), BatchRequest(url="users/b", id="k")]
            )
    assert len(server.calls) == 1


async def test_throttled_sub_requests_are_retried_alone_after_their_retry_after() -> None:
    attempts: dict[str, int] = {}

    def sub(request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        url = request["url"]
        attempts[url] = attempts.get(url, 0) + 1
        if url in ("/users/u2", "/users/u4") and attempts[url] == 1:
            delay = "1.5" if url == "/users/u2" else "0.5"
            return 429, {"Retry-After": delay}, graph_error("TooManyRequests")
        return echo(request)

    server = BatchServer(sub)
    time = FakeTime()
    async with make_client(server, time=time) as client:
        responses = await client.batch([BatchRequest(url=f"users/u{i}") for i in range(5)])
        paused_until = client.gate.paused_until
        stats = client.stats.snapshot()["users/{id}"]
    assert [r.body["id"] for r in responses] == [f"u{i}" for i in range(5)]
    assert [len(call) for call in server.calls] == [5, 2]
    assert [s["url"] for s in server.calls[1]] == ["/users/u2", "/users/u4"]
    assert time.sleeps == [1.5]  # the longest Retry-After, waited once through the tenant pause
    assert paused_until == 1000.0 + 1.5
    assert (stats.requests, stats.retries, stats.throttled) == (7, 2, 2)


async def test_5xx_sub_requests_are_retried_after_a_back_off() -> None:
    attempts: dict[str, int] = {}

    def sub(request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        url = request["url"]
        attempts[url] = attempts.get(url, 0) + 1
        if url == "/groups/g1" and attempts[url] <= 2:
            return 503, {}, graph_error("ServiceUnavailable")
        return echo(request)

    server = BatchServer(sub)
    time = FakeTime()
    async with make_client(server, time=time) as client:
        responses = await client.batch(
            [BatchRequest(url="groups/g0"), BatchRequest(url="groups/g1")]
        )
        stats = client.stats.snapshot()["groups/{id}"]
    assert [r.body["id"] for r in responses] == ["g0", "g1"]
    assert [len(call) for call in server.calls] == [2, 1, 1]
    assert len(time.sleeps) == 2
    assert client.gate.paused_until == 0.0  # 5xx does not pause the tenant
    assert (stats.requests, stats.errors) == (4, 2)


async def test_a_sub_request_that_keeps_failing_gets_the_typed_error() -> None:
    def sub(request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if request["url"] == "/users/bad-1":
            return 429, {"Retry-After": "0.1"}, graph_error("TooManyRequests")
        if request["url"] == "/auditLogs/directoryAudits":
            return 403, {}, graph_error("Authorization_RequestDenied", "Insufficient privileges")
        return echo(request)

    server = BatchServer(sub)
    async with make_client(server, max_retries=2) as client:
        responses = await client.batch(
            [
                BatchRequest(url="users/good-1"),
                BatchRequest(url="users/bad-1"),
                BatchRequest(url="auditLogs/directoryAudits"),
            ]
        )
    good, bad, denied = responses
    assert good.ok
    assert not bad.ok
    assert isinstance(bad.error, ThrottledTooLong)
    with pytest.raises(ThrottledTooLong, match=r"GET users/\{id\} for tenant tenant-a"):
        bad.raise_for_error()
    assert isinstance(denied.error, MissingPermission)
    assert denied.error.permission == "AuditLog.Read.All"
    assert [len(call) for call in server.calls] == [3, 1, 1]


@pytest.mark.parametrize(
    "failure",
    [
        json_response(503, graph_error("ServiceUnavailable")),
        json_response(429, graph_error("TooManyRequests"), {"Retry-After": "0.5"}),
        httpx.Response(200, content=b'{"responses": [{"id": "1", "sta'),
        json_response(200, {"unexpected": True}),
        httpx.ReadError("reset"),
    ],
)
async def test_a_failed_batch_call_is_retried_as_a_whole(
    failure: httpx.Response | Exception,
) -> None:
    server = BatchServer(echo)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(len(json.loads(request.content)["requests"]))
        if len(calls) == 1:
            if isinstance(failure, Exception):
                raise failure
            return failure
        return server(request)

    async with make_client(handler) as client:
        responses = await client.batch([BatchRequest(url="users/a"), BatchRequest(url="users/b")])
        batch_stats = client.stats.snapshot()["$batch"]
    assert [r.body["id"] for r in responses] == ["a", "b"]
    assert calls == [2, 2]
    assert (batch_stats.requests, batch_stats.retries) == (2, 1)


async def test_a_batch_with_a_write_is_not_retried_after_a_dropped_connection() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadError("reset")

    async with make_client(handler) as client:
        with pytest.raises(GraphUnavailable, match="not safe to repeat"):
            await client.batch(
                [BatchRequest(url="groups", method="POST", body={"displayName": "x"})]
            )
    assert calls == [1]


async def test_401_sub_response_is_retried_with_a_fresh_token() -> None:
    tokens = FakeTokens()
    seen_tokens: list[str] = []
    server = BatchServer(echo)

    def handler(request: httpx.Request) -> httpx.Response:
        seen_tokens.append(request.headers["Authorization"])
        if len(seen_tokens) == 1:
            body = {
                "responses": [
                    {"id": "1", "status": 200, "body": {"id": "a"}},
                    {"id": "2", "status": 401, "body": graph_error("InvalidAuthenticationToken")},
                ]
            }
            return json_response(200, body)
        return server(request)

    async with make_client(handler, tokens=tokens) as client:
        responses = await client.batch([BatchRequest(url="users/a"), BatchRequest(url="users/b")])
    assert [r.body["id"] for r in responses] == ["a", "b"]
    assert seen_tokens == ["Bearer token-1", "Bearer token-2"]
    assert [s["url"] for s in server.calls[0]] == ["/users/b"]


async def test_depends_on_is_sent_kept_together_and_424_is_retried_with_its_dependency() -> None:
    attempts: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        subs = json.loads(request.content)["requests"]
        responses = []
        for sub in subs:
            attempts[sub["id"]] = attempts.get(sub["id"], 0) + 1
            if sub["id"] == "a" and attempts["a"] == 1:
                responses.append(
                    {"id": "a", "status": 503, "body": graph_error("ServiceUnavailable")}
                )
            elif sub.get("dependsOn") == ["a"] and attempts["a"] == 1:
                responses.append(
                    {"id": sub["id"], "status": 424, "body": graph_error("FailedDependency")}
                )
            else:
                responses.append(
                    {
                        "id": sub["id"],
                        "status": 200,
                        "body": {"id": sub["id"], "deps": sub.get("dependsOn")},
                    }
                )
        return json_response(200, {"responses": responses})

    requests = [BatchRequest(url=f"users/x{i}") for i in range(19)]
    requests += [
        BatchRequest(url="users/a", id="a"),
        BatchRequest(url="users/b", id="b", depends_on=["a"]),
    ]
    async with make_client(handler) as client:
        responses = await client.batch(requests)
    assert all(r.ok for r in responses)
    assert responses[-1].body == {"id": "b", "deps": ["a"]}
    assert attempts["a"] == 2
    assert attempts["b"] == 2
    with pytest.raises(ValueError, match="unknown id"):
        async with make_client(handler) as client:
            await client.batch([BatchRequest(url="users/b", id="b", depends_on=["nope"])])


async def test_a_424_whose_dependency_failed_for_good_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(
            200,
            {
                "responses": [
                    {"id": "a", "status": 404, "body": graph_error("Request_ResourceNotFound")},
                    {"id": "b", "status": 424, "body": graph_error("FailedDependency")},
                ]
            },
        )

    async with make_client(handler) as client:
        a, b = await client.batch(
            [
                BatchRequest(url="users/a", id="a"),
                BatchRequest(url="users/b", id="b", depends_on=["a"]),
            ]
        )
    assert a.status == 404
    assert not a.ok
    assert isinstance(b.error, GraphRequestError)
    assert "depends on (a) failed" in str(b.error)


async def test_an_answer_missing_an_id_is_retried() -> None:
    calls: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = [s["id"] for s in json.loads(request.content)["requests"]]
        calls.append(ids)
        answered = ids if len(calls) > 1 else ids[:1]
        return json_response(
            200, {"responses": [{"id": i, "status": 200, "body": {"id": i}} for i in answered]}
        )

    async with make_client(handler) as client:
        responses = await client.batch([BatchRequest(url="users/a"), BatchRequest(url="users/b")])
    assert [r.body for r in responses] == [{"id": "1"}, {"id": "2"}]
    assert calls == [["1", "2"], ["2"]]


async def test_batch_all_pages_follows_next_links_in_further_batches() -> None:
    def sub(request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        url = request["url"]
        if url == "/groups/g1/members":
            return (
                200,
                {},
                {
                    "value": [{"id": "m1"}],
                    "@odata.nextLink": f"{BASE}/groups/g1/members?$skiptoken=2",
                },
            )
        if url == "/groups/g1/members?$skiptoken=2":
            return 200, {}, {"value": [{"id": "m2"}]}
        if url == "/groups/g2/members":
            return 200, {}, {"value": []}
        return 404, {}, graph_error("Request_ResourceNotFound")

    server = BatchServer(sub)
    async with make_client(server) as client:
        g1, g2, g3 = await client.batch_all_pages(
            [BatchRequest(url=f"groups/{g}/members") for g in ("g1", "g2", "g3")]
        )
    assert g1.items == [{"id": "m1"}, {"id": "m2"}]
    assert g1.next_link is None
    assert g2.items == []
    assert g3.status == 404
    assert g3.error is not None
    assert [len(call) for call in server.calls] == [3, 1]
    assert server.calls[1][0]["url"] == "/groups/g1/members?$skiptoken=2"


async def test_empty_batch_sends_nothing() -> None:
    server = BatchServer(echo)
    async with make_client(server) as client:
        assert await client.batch([]) == []
    assert server.calls == []
