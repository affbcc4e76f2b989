"""The retry policy: 429, 5xx, transport errors, bad bodies, 401 refresh, and giving up."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from remit.errors import (
    AuthenticationError,
    GraphRequestError,
    GraphUnavailable,
    ThrottledTooLong,
)
from remit.graph import backoff_delay

from ._fakes import FakeTime, FakeTokens, graph_error, json_response, make_client

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: httpx.Response | Exception) -> tuple[list[httpx.Request], Handler]:
    """A handler that plays ``answers`` in order (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(seen), len(answers) - 1)]
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return seen, handler


OK = json_response(200, {"id": "ok"})


def throttled(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return json_response(429, graph_error("TooManyRequests", "Too many requests"), headers)


async def test_429_with_fractional_retry_after_waits_exactly_that_and_counts() -> None:
    seen, handler = scripted(throttled("0.25"), throttled("1.5"), OK)
    time = FakeTime()
    async with make_client(handler, time=time) as client:
        assert await client.get("users") == {"id": "ok"}
        stats = client.stats.snapshot()["users"]
    assert len(seen) == 3
    assert time.sleeps == [0.25, 1.5]
    assert (stats.requests, stats.retries, stats.throttled, stats.errors) == (3, 2, 2, 0)


async def test_429_without_retry_after_backs_off_with_seeded_equal_jitter() -> None:
    seen, handler = scripted(throttled(), throttled(), OK)
    time = FakeTime()
    async with make_client(handler, time=time) as client:
        await client.get("users")
    rng = random.Random(7)
    expected = [round(backoff_delay(n, 1.0, 8.0, rng), 6) for n in (1, 2)]
    assert time.sleeps == expected
    assert 0.5 <= expected[0] <= 1.0
    assert 1.0 <= expected[1] <= 2.0
    assert len(seen) == 3


async def test_retry_after_as_http_date_is_honoured() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    _seen, handler = scripted(throttled(format_datetime(when, usegmt=True)), OK)
    time = FakeTime()
    async with make_client(handler, time=time) as client:
        await client.get("users")
    assert len(time.sleeps) == 1
    assert 25 <= time.sleeps[0] <= 30


async def test_garbage_retry_after_falls_back_to_back_off() -> None:
    seen, handler = scripted(throttled("soon-ish"), OK)
    time = FakeTime()
    async with make_client(handler, time=time) as client:
        await client.get("users")
    assert time.sleeps == [round(backoff_delay(1, 1.0, 8.0, random.Random(7)), 6)]
    assert len(seen) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_with_retry_after_when_given(status: int) -> None:
    failing = json_response(status, graph_error("ServiceUnavailable"), {"Retry-After": "2"})
    seen, handler = scripted(failing, OK)
    time = FakeTime()
    async with make_client(handler, time=time) as client:
        assert await client.get("groups") == {"id": "ok"}
        stats = client.stats.snapshot()["groups"]
    assert len(seen) == 2
    assert time.sleeps == [2.0]
    assert (stats.requests, stats.retries, stats.errors, stats.throttled) == (2, 1, 1, 0)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadError("connection reset"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete body"),
        httpx.ReadTimeout("slow"),
    ],
)
async def test_transport_errors_are_retried_and_counted(exc: Exception) -> None:
    seen, handler = scripted(exc, OK)
    async with make_client(handler) as client:
        assert await client.get("users") == {"id": "ok"}
        stats = client.stats.snapshot()["users"]
    assert len(seen) == 2
    assert (stats.requests, stats.retries, stats.errors) == (2, 1, 1)


async def test_truncated_json_body_is_retried_and_counted_as_an_error() -> None:
    truncated = httpx.Response(200, content=b'{"value": [{"id": "1"}, {"id"')
    seen, handler = scripted(truncated, json_response(200, {"value": [{"id": "1"}]}))
    async with make_client(handler) as client:
        assert await client.get_all("users") == [{"id": "1"}]
        stats = client.stats.snapshot()["users"]
    assert len(seen) == 2
    assert (stats.requests, stats.retries, stats.errors) == (2, 1, 1)


async def test_post_is_not_retried_after_a_read_error() -> None:
    seen, handler = scripted(httpx.ReadError("reset"), OK)
    async with make_client(handler) as client:
        with pytest.raises(GraphUnavailable, match="not safe to repeat"):
            await client._request_json("POST", "users", json_body={"displayName": "x"})
    assert len(seen) == 1


async def test_post_is_retried_after_connect_error_and_503_but_not_500() -> None:
    unavailable = json_response(503, graph_error("ServiceUnavailable"))
    seen, handler = scripted(httpx.ConnectError("refused"), unavailable, OK)
    async with make_client(handler) as client:
        assert await client._request_json("POST", "groups", json_body={}) == {"id": "ok"}
    assert len(seen) == 3

    seen, handler = scripted(json_response(500, graph_error("InternalServerError")), OK)
    async with make_client(handler) as client:
        with pytest.raises(GraphUnavailable):
            await client._request_json("POST", "groups", json_body={})
    assert len(seen) == 1


async def test_gives_up_with_throttled_too_long_after_max_retries() -> None:
    seen, handler = scripted(throttled("1"))
    async with make_client(handler, max_retries=3) as client:
        with pytest.raises(ThrottledTooLong) as caught:
            await client.get("users", params={"$top": "999"})
    assert len(seen) == 4  # one try + three retries
    error = caught.value
    assert error.tenant_id == "tenant-a"
    assert error.endpoint == "users"
    assert error.status == 429
    assert error.request_id == "req-1"
    message = str(error)
    assert "GET users for tenant tenant-a" in message
    assert "4 answers were 429" in message
    assert "3.0 s of waiting" in message
    assert "collect.tenant_concurrency" in message


async def test_gives_up_when_the_throttle_wait_budget_would_be_exceeded() -> None:
    seen, handler = scripted(throttled("40"), throttled("40"), OK)
    time = FakeTime()
    async with make_client(handler, time=time, max_throttle_wait_seconds=60) as client:
        with pytest.raises(ThrottledTooLong, match=r"Graph asked for 40\.0 s more"):
            await client.get("users")
    assert len(seen) == 2
    assert time.sleeps == [40.0]


async def test_gives_up_with_graph_unavailable_naming_the_failure() -> None:
    failing = json_response(503, graph_error("ServiceUnavailable", request_id="rid-9"))
    seen, handler = scripted(throttled("0"), failing)
    async with make_client(handler, max_retries=2) as client:
        with pytest.raises(GraphUnavailable) as caught:
            await client.get("subscribedSkus")
    assert len(seen) == 3
    message = str(caught.value)
    assert "GET subscribedSkus for tenant tenant-a" in message
    assert "HTTP 503 ServiceUnavailable" in message
    assert "request-id rid-9" in message
    assert "after 3 attempts" in message
    assert caught.value.status == 503


async def test_transport_give_up_names_the_exception() -> None:
    seen, handler = scripted(httpx.ReadError("connection reset by peer"))
    async with make_client(handler, max_retries=1) as client:
        with pytest.raises(GraphUnavailable, match="ReadError: connection reset by peer"):
            await client.get("users")
    assert len(seen) == 2


async def test_tls_verification_failure_is_not_retried_and_names_ca_bundle() -> None:
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    seen, handler = scripted(error)
    async with make_client(handler, ca_bundle="/etc/proxy-ca.pem") as client:
        with pytest.raises(GraphUnavailable, match=r"graph\.ca_bundle.*/etc/proxy-ca\.pem"):
            await client.get("users")
    assert len(seen) == 1


async def test_401_refreshes_the_token_once_and_retries() -> None:
    expired = json_response(
        401, graph_error("InvalidAuthenticationToken", "Lifetime validation failed")
    )
    seen, handler = scripted(expired, OK)
    tokens = FakeTokens()
    async with make_client(handler, tokens=tokens) as client:
        assert await client.get("users") == {"id": "ok"}
    assert len(seen) == 2
    assert tokens.refreshes == 1
    assert [r.headers["Authorization"] for r in seen] == ["Bearer token-1", "Bearer token-2"]


async def test_a_second_401_is_an_authentication_error() -> None:
    expired = json_response(
        401, graph_error("InvalidAuthenticationToken", "Access token validation failure")
    )
    seen, handler = scripted(expired)
    tokens = FakeTokens()
    async with make_client(handler, tokens=tokens) as client:
        with pytest.raises(AuthenticationError, match="even after fetching a new one"):
            await client.get("users")
    assert len(seen) == 2
    assert tokens.refreshes == 1


async def test_4xx_is_not_retried() -> None:
    seen, handler = scripted(json_response(400, graph_error("BadRequest", "Invalid filter clause")))
    async with make_client(handler) as client:
        with pytest.raises(GraphRequestError, match="Invalid filter clause"):
            await client.get("users", params={"$filter": "bogus"})
    assert len(seen) == 1
