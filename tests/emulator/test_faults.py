"""Injected faults over the wire: throttling, errors, dropped and truncated responses, latency."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from remit.emulator.faults import FaultSet, rule_from_json
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorOptions

from .factories import make_tenant
from .helpers import Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]


def _add(session: Session, **rule: object) -> str:
    response = session.control("POST", "faults", {"rules": [rule]})
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()["ids"]
    return ids[0]


def test_throttle_rule_counts_down_and_sends_retry_after(start: Start) -> None:
    _server, session = start()
    _add(session, kind="throttle", path="users*", count=2, retry_after=0.5)
    statuses = []
    for _ in range(3):
        response = session.get("users")
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "0.5"
            assert error_of(response)[0] == "TooManyRequests"
    assert statuses == [429, 429, 200]
    assert session.get("groups").status_code == 200
    stats = session.control("GET", "stats").json()["tenants"][session.spec.tenant_id]
    assert stats["users"]["throttled"] == 2
    assert stats["users"]["requests"] == 3


def test_throttle_without_retry_after_and_on_conditional_access(start: Start) -> None:
    _server, session = start()
    _add(session, kind="throttle", path="users", count=1)
    assert "Retry-After" not in session.get("users").headers
    _add(session, kind="throttle", path="identity/*", count=1, retry_after=3)
    ca = session.get("identity/conditionalAccess/policies")
    assert ca.status_code == 429
    assert "Retry-After" not in ca.headers


@pytest.mark.parametrize(
    ("status", "code"), [(500, "generalException"), (503, "serviceNotAvailable")]
)
def test_error_rule(start: Start, status: int, code: str) -> None:
    _server, session = start()
    _add(session, kind="error", path="*", count=1, status=status, retry_after=2)
    response = session.get("organization")
    assert response.status_code == status
    assert error_of(response)[0] == code
    assert response.headers["Retry-After"] == "2"
    assert session.get("organization").status_code == 200


def test_drop_closes_the_connection_without_a_response(start: Start) -> None:
    _server, session = start()
    session.token()
    _add(session, kind="drop", path="users", count=1)
    with pytest.raises(httpx.TransportError):
        session.get("users")
    assert session.get("users").status_code == 200
    stats = session.control("GET", "stats").json()["tenants"][session.spec.tenant_id]
    assert stats["users"]["errors"] == 1


def test_truncate_sends_part_of_the_body(start: Start) -> None:
    _server, session = start()
    session.token()
    _add(session, kind="truncate", path="users", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        session.get("users")
    assert session.get("users").status_code == 200


def test_latency_rule_fires_and_rules_can_be_listed_and_cleared(start: Start) -> None:
    _server, session = start()
    rule_id = _add(session, kind="latency", path="*", latency_ms=5)
    assert session.get("users").status_code == 200
    assert session.get("groups").status_code == 200
    rules = session.control("GET", "faults").json()["rules"]
    assert [(r["id"], r["fired"]) for r in rules] == [(rule_id, 2)]
    assert session.control("DELETE", f"faults/{rule_id}").status_code == 200
    assert session.control("GET", "faults").json()["rules"] == []
    _add(session, kind="throttle")
    assert session.control("DELETE", "faults").status_code == 200
    assert session.get("users").status_code == 200


def test_rules_can_target_one_tenant(emulator_factory: Callable[..., EmulatorServer]) -> None:
    one, two = make_tenant("one"), make_tenant("two")
    server = emulator_factory([one, two])
    with Session(server, one) as first, Session(server, two) as second:
        _add(first, kind="error", tenant=one.tenant_id, status=503)
        assert first.get("users").status_code == 503
        assert second.get("users").status_code == 200


def test_bad_rules_are_refused(start: Start) -> None:
    _server, session = start()
    for rule, message in [
        ({"kind": "explode"}, "rule kind must be one of"),
        ({"kind": "error", "status": 404}, "status must be one of"),
        ({"kind": "throttle", "rate": 2}, "rate must be"),
        ({"kind": "latency"}, "latency_ms > 0"),
        ({"kind": "drop", "colour": "red"}, "unknown rule field"),
    ]:
        response = session.control("POST", "faults", {"rules": [rule]})
        assert response.status_code == 400
        assert message in response.json()["error"]


def test_rates_are_deterministic_for_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultSet(seed=seed)
        faults.add([rule_from_json({"kind": "throttle", "rate": 0.5})])
        return [faults.decide("t", "users", top_level=True).action is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 5 < sum(pattern(7)) < 35


def test_cli_knobs_map_onto_rules() -> None:
    rules = EmulatorOptions(latency_ms=50, fault_429_rate=0.1, fault_5xx_rate=0.2).fault_rules()
    assert [(r.kind, r.rate, r.latency_ms) for r in rules] == [
        ("latency", 1.0, 50),
        ("throttle", 0.1, 0),
        ("error", 0.2, 0),
    ]
    assert rules[2].status == 503


@pytest.mark.parametrize("kind", ["drop", "truncate"])
async def test_transport_faults_fall_back_to_503_on_other_servers(kind: str) -> None:
    from remit.emulator.faults import SCOPE_KEY, TransportFaultMiddleware

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        scope[SCOPE_KEY].kind = kind  # type: ignore[attr-defined]
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})  # type: ignore[operator]

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:  # a plain function: no transport to cut
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    await TransportFaultMiddleware(app)({"type": "http"}, receive, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 503
