"""JSON batching: limits, dependsOn, per-sub-request throttling, faults and counting."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from remit.emulator.server import EmulatorServer

from .helpers import Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]


def _get(ident: str, url: str, **extra: object) -> dict[str, object]:
    return {"id": ident, "method": "GET", "url": url, **extra}


def test_batch_answers_every_request_by_id(contoso: Session) -> None:
    response = contoso.batch(
        [
            _get("1", "/users?$top=5&$select=id"),
            _get("2", "organization", dependsOn=["1"]),
            _get("3", "users/$count", headers={"ConsistencyLevel": "eventual"}),
            _get("4", "nothing-here"),
        ]
    )
    assert response.status_code == 200
    responses = {r["id"]: r for r in response.json()["responses"]}
    assert set(responses) == {"1", "2", "3", "4"}
    assert responses["1"]["status"] == 200
    assert len(responses["1"]["body"]["value"]) == 5
    assert responses["1"]["body"]["@odata.nextLink"].startswith(contoso.server.url)
    assert responses["2"]["body"]["value"][0]["id"] == contoso.spec.tenant_id
    assert base64.b64decode(responses["3"]["body"]) == b"16"
    assert responses["4"]["status"] == 400
    assert responses["4"]["body"]["error"]["code"] == "BadRequest"
    assert responses["1"]["headers"]["Content-Type"].startswith("application/json")


def test_failed_dependency_is_424(contoso: Session) -> None:
    response = contoso.batch([_get("a", "users/missing-user"), _get("b", "users", dependsOn=["a"])])
    responses = {r["id"]: r for r in response.json()["responses"]}
    assert responses["a"]["status"] == 404
    assert responses["b"]["status"] == 424


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([_get(str(i), "users") for i in range(21)], "Number of requests in the batch exceeds 20"),
        ([_get("1", "users"), _get("1", "groups")], "duplicate request id '1'"),
        ([_get("1", "users", dependsOn=["9"])], "depends on '9'"),
        (
            [_get("1", "users", dependsOn=["2"]), _get("2", "users", dependsOn=["1"])],
            "has a cycle",
        ),
        ([_get("1", "https://graph.microsoft.com/v1.0/users")], "relative"),
    ],
)
def test_invalid_batches_are_refused(
    contoso: Session, requests: list[dict[str, object]], message: str
) -> None:
    response = contoso.batch(requests)
    assert response.status_code == 400
    code, text = error_of(response)
    assert code == "BadRequest"
    assert message in text


def test_throttled_sub_requests_carry_their_own_retry_after(start: Start) -> None:
    _server, session = start()
    rule = {"kind": "throttle", "path": "users*", "count": 2, "retry_after": 0.25}
    session.control("POST", "faults", {"rules": [rule]})
    response = session.batch([_get("1", "users"), _get("2", "groups"), _get("3", "users")])
    assert response.status_code == 200
    responses = {r["id"]: r for r in response.json()["responses"]}
    assert responses["1"]["status"] == 429
    assert responses["3"]["status"] == 429
    assert responses["1"]["headers"]["Retry-After"] == "0.25"
    assert responses["1"]["body"]["error"]["code"] == "TooManyRequests"
    assert responses["2"]["status"] == 200
    stats = session.control("GET", "stats").json()["tenants"][session.spec.tenant_id]
    assert stats["$batch"]["requests"] == 1
    assert stats["users"] == {
        "requests": 2, "throttled": 2, "errors": 0, "client_errors": 0,
        "bytes": stats["users"]["bytes"],
    }  # fmt: skip
    assert stats["groups"]["requests"] == 1


def test_whole_batch_faults(start: Start) -> None:
    _server, session = start()
    session.control(
        "POST",
        "faults",
        {"rules": [{"kind": "error", "path": "$batch", "count": 1, "status": 502}]},
    )
    assert session.batch([_get("1", "users")]).status_code == 502
    assert session.batch([_get("1", "users")]).status_code == 200


def test_sub_requests_use_the_batch_token_and_permissions(start: Start) -> None:
    _server, session = start()
    session.control(
        "POST", f"tenants/{session.spec.tenant_id}/permissions", {"granted": ["Group.Read.All"]}
    )
    responses = {
        r["id"]: r
        for r in session.batch([_get("1", "users"), _get("2", "groups")]).json()["responses"]
    }
    assert responses["1"]["status"] == 403
    assert responses["2"]["status"] == 200
    unauthenticated = session.http.post("/v1.0/$batch", json={"requests": [_get("1", "users")]})
    assert unauthenticated.status_code == 401
