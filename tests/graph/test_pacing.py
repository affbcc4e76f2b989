"""Pacing under Graph's documented low per-tenant limits (conditional access, reports)."""

from __future__ import annotations

import httpx
import pytest

from remit.graph import BatchRequest
from remit.graph.pacing import SAFETY_FACTOR, Pacer, limit_for

from ._fakes import BatchServer, FakeTime, json_response, make_client, path_of

CA_INTERVAL = 1.0 * SAFETY_FACTOR


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("identity/conditionalAccess/policies", "conditional access"),
        ("/identity/conditionalAccess/namedLocations?$top=5", "conditional access"),
        ("auditLogs/directoryAudits", "identity and access reports"),
        ("reports/authenticationMethods/userRegistrationDetails", "identity and access reports"),
        ("users", None),
        ("reports/getOffice365ActiveUserDetail", None),
    ],
)
def test_known_limits_by_path(path: str, limit: str | None) -> None:
    found = limit_for(path)
    assert (found.name if found else None) == limit


def test_conditional_access_gets_one_slot_per_interval() -> None:
    pacer = Pacer()
    assert pacer.reserve("identity/conditionalAccess/policies", 0.0) == 0
    assert pacer.reserve("identity/conditionalAccess/namedLocations", 0.0) == pytest.approx(
        CA_INTERVAL
    )
    assert pacer.reserve("identity/conditionalAccess/namedLocations", 0.5) == pytest.approx(
        CA_INTERVAL - 0.5
    )
    assert pacer.reserve("identity/conditionalAccess/namedLocations", CA_INTERVAL) == 0
    assert pacer.reserve("users", CA_INTERVAL) == 0  # other paths are never held


def test_reports_allow_a_burst_of_five_then_pace() -> None:
    pacer = Pacer()
    assert [pacer.reserve("auditLogs/directoryAudits", 0.0) for _ in range(5)] == [0] * 5
    assert pacer.reserve("auditLogs/directoryAudits", 0.0) == pytest.approx(2.0 * SAFETY_FACTOR)


def test_a_429_empties_the_bucket_even_when_the_client_thought_it_had_room() -> None:
    pacer = Pacer()
    pacer.spent("identity/conditionalAccess/policies", 10.0)
    assert pacer.reserve("identity/conditionalAccess/policies", 10.0) == pytest.approx(CA_INTERVAL)


async def test_back_to_back_conditional_access_reads_are_spaced_without_a_429() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(path_of(request))
        return json_response(200, {"value": []})

    time = FakeTime()
    async with make_client(handler, time=time) as client:
        await client.get("identity/conditionalAccess/policies")
        await client.get("identity/conditionalAccess/namedLocations")
        await client.get("users")
    assert len(seen) == 3
    assert time.sleeps == [round(CA_INTERVAL, 6)]  # only the second CA read waited


async def test_a_batch_holds_back_the_second_conditional_access_read_to_a_later_round() -> None:
    server = BatchServer(
        lambda sub: (200, {"Content-Type": "application/json"}, {"value": [sub["url"]]})
    )
    time = FakeTime()
    requests = [
        BatchRequest(url="identity/conditionalAccess/policies"),
        BatchRequest(url="users"),
        BatchRequest(url="identity/conditionalAccess/namedLocations"),
    ]
    async with make_client(server, time=time) as client:
        responses = await client.batch(requests)
    assert [sorted(sub["url"] for sub in call) for call in server.calls] == [
        ["/identity/conditionalAccess/policies", "/users"],
        ["/identity/conditionalAccess/namedLocations"],
    ]
    assert time.sleeps == [round(CA_INTERVAL, 6)]
    assert [r.body["value"][0] for r in responses] == [
        "/identity/conditionalAccess/policies",
        "/users",
        "/identity/conditionalAccess/namedLocations",
    ]


def test_the_interval_counts_from_the_answer_not_from_the_send() -> None:
    pacer = Pacer()
    assert pacer.reserve("identity/conditionalAccess/policies", 0.0) == 0
    pacer.answered("identity/conditionalAccess/policies", 0.9)  # Graph saw it late
    assert pacer.reserve("identity/conditionalAccess/namedLocations", 1.3) == pytest.approx(
        CA_INTERVAL - 0.4
    )
    pacer.answered("users", 5.0)  # paths without a known limit change nothing
    assert pacer.reserve("identity/conditionalAccess/namedLocations", 0.9 + CA_INTERVAL) == 0


async def test_a_batch_sends_at_most_four_requests_per_mailbox_per_round() -> None:
    server = BatchServer(lambda sub: (200, {"Content-Type": "application/json"}, {"value": []}))
    requests = [BatchRequest(url=f"users/alice/mailFolders/f{i}/messages") for i in range(6)] + [
        BatchRequest(url=f"users/bob/messages/m{i}") for i in range(3)
    ]
    async with make_client(server) as client:
        responses = await client.batch(requests)
    assert all(r.ok for r in responses)
    rounds = [sorted(sub["url"].split("/")[2] for sub in call) for call in server.calls]
    assert rounds == [["alice"] * 4 + ["bob"] * 3, ["alice"] * 2]
