"""The /_emulator control API: tenants, stats, scenarios, data edits, clock, loopback only."""

from __future__ import annotations

from collections.abc import Callable

from remit.emulator.app import build_app
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorState

from .factories import make_tenant
from .helpers import Session

Start = Callable[..., tuple[EmulatorServer, Session]]


def test_tenants_lists_credentials(contoso: Session) -> None:
    tenants = contoso.control("GET", "tenants").json()["tenants"]
    mine = next(t for t in tenants if t["tenant_id"] == contoso.spec.tenant_id)
    assert mine["client_id"] == contoso.spec.client_id
    assert mine["client_secret"] == contoso.spec.client_secret
    assert mine["primary_domain"] == "contoso.onmicrosoft.com"
    assert mine["users"] == 16
    assert mine["profile"] == "test"


def test_stats_count_requests_per_path_template(start: Start) -> None:
    _server, session = start()
    user_id = session.spec.data["users"]["value"][0]["id"]
    session.get("users")
    session.get(f"users/{user_id}")
    session.get(f"users/{session.spec.data['users']['value'][1]['id']}")
    session.get("users/missing-one")
    session.http.get("/v1.0/users")  # no token
    stats = session.control("GET", "stats").json()
    mine = stats["tenants"][session.spec.tenant_id]
    assert mine["users"]["requests"] == 1
    assert mine["users/{id}"]["requests"] == 3
    assert mine["users/{id}"]["client_errors"] == 1
    assert stats["tenants"]["-"]["users"]["client_errors"] == 1
    assert stats["total"]["requests"] == 5
    assert session.control("DELETE", "stats").status_code == 200
    assert session.control("GET", "stats").json()["total"]["requests"] == 0


def test_data_edits_are_validated(start: Start) -> None:
    _server, session = start()
    base = f"tenants/{session.spec.tenant_id}/data"
    assert session.control("PUT", f"{base}/groups", {"value": [{"name": "x"}]}).status_code == 400
    assert session.control("PUT", f"{base}/groups", {"value": []}).status_code == 200
    assert session.get("groups").json()["value"] == []
    assert session.control("GET", f"{base}/groups").json() == {"value": []}
    assert session.control("DELETE", f"{base}/groups").status_code == 200
    assert session.control("DELETE", f"{base}/groups").status_code == 404
    assert session.control("PUT", "tenants/nobody/data/users", {"value": []}).status_code == 404


def test_clock_moves_forward_only(start: Start) -> None:
    _server, session = start()
    before = session.control("GET", "clock").json()["now"]
    after = session.control("POST", "clock", {"advance_seconds": 86400}).json()["now"]
    assert after > before
    assert session.control("POST", "clock", {"advance_seconds": -1}).status_code == 400


def test_certificates_need_a_pem(start: Start) -> None:
    _server, session = start()
    path = f"tenants/{session.spec.tenant_id}/certificates"
    assert session.control("POST", path, {"pem": "nonsense"}).status_code == 400
    assert session.control("POST", path, {}).status_code == 400


async def test_control_api_answers_loopback_clients_only() -> None:
    app = build_app(EmulatorState([make_tenant()]))
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "https", "path": "/_emulator/tenants", "raw_path": b"/_emulator/tenants",
        "query_string": b"", "headers": [(b"host", b"emulator")], "client": ("10.1.2.3", 5000),
        "server": ("10.1.2.4", 443), "root_path": "",
    }  # fmt: skip
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 403
    assert b"loopback" in sent[1]["body"]  # type: ignore[operator]


def test_scenarios_are_listed_and_applied(start: Start) -> None:
    _server, session = start()
    names = {s["name"] for s in session.control("GET", "scenarios").json()["scenarios"]}
    assert "new-global-admin" in names
    _, delta_link = _first_delta(session)
    path = f"tenants/{session.spec.tenant_id}/scenarios/new-global-admin"
    applied = session.control("POST", path, {"upn": "mallory@contoso.onmicrosoft.com"})
    assert applied.status_code == 200, applied.text
    assert applied.json()["changes"]["changed"]["users"] == 1
    changed = session.get(delta_link).json()["value"]
    assert [u["userPrincipalName"] for u in changed] == ["mallory@contoso.onmicrosoft.com"]
    missing = session.control("POST", f"tenants/{session.spec.tenant_id}/scenarios/nope")
    assert missing.status_code == 404


def _first_delta(session: Session) -> tuple[list[object], str]:
    body = session.get("users/delta", {"$select": "userPrincipalName"}).json()
    assert "@odata.deltaLink" in body
    return body["value"], body["@odata.deltaLink"]
