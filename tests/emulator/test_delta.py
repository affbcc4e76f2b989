"""Delta queries: full sync, incremental changes, removals, and expired tokens (410)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from remit.emulator.server import EmulatorServer

from .helpers import Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]


def _sync(
    session: Session, url: str, headers: dict[str, str] | None = None
) -> tuple[list[Any], str]:
    """Follow nextLinks to the deltaLink; (items, deltaLink)."""
    items: list[Any] = []
    response = session.get(url, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        assert "@odata.nextLink" in body
        response = session.get(body["@odata.nextLink"], headers=headers)


def _edit_users(session: Session, change: Callable[[list[dict[str, Any]]], None]) -> None:
    users = copy.deepcopy(session.spec.data["users"])
    change(users["value"])
    response = session.control("PUT", f"tenants/{session.spec.tenant_id}/data/users", users)
    assert response.status_code == 200, response.text


def test_full_then_incremental_sync(start: Start) -> None:
    _server, session = start()
    small_pages = {"Prefer": "odata.maxpagesize=5"}
    items, delta_link = _sync(
        session, "users/delta?$select=displayName,accountEnabled", small_pages
    )
    assert len(items) == 14
    assert all(set(i) == {"id", "displayName", "accountEnabled"} for i in items)
    assert "$deltatoken=" in delta_link

    unchanged, delta_link = _sync(session, delta_link)
    assert unchanged == []

    users = session.spec.data["users"]["value"]
    renamed, removed = users[1]["id"], users[2]["id"]

    def change(value: list[dict[str, Any]]) -> None:
        value[1]["displayName"] = "Renamed User"
        del value[2]
        value.append({**value[3], "id": "new-user-id", "userPrincipalName": "new@contoso.example"})

    _edit_users(session, change)
    changes, delta_link = _sync(session, delta_link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[renamed] == {"id": renamed, "displayName": "Renamed User", "accountEnabled": True}
    assert set(by_id["new-user-id"]) == {"id", "displayName", "accountEnabled"}
    assert by_id[removed] == {"id": removed, "@removed": {"reason": "changed"}}
    assert len(changes) == 3
    assert _sync(session, delta_link)[0] == []


def test_deleted_security_group_is_reported_deleted(start: Start) -> None:
    _server, session = start()
    _, delta_link = _sync(session, "groups/delta")
    groups = copy.deepcopy(session.spec.data["groups"])
    security = groups["value"].pop(1)  # not a Microsoft 365 group: hard-deleted
    unified = groups["value"].pop(0)  # a Microsoft 365 group: soft-deleted
    session.control("PUT", f"tenants/{session.spec.tenant_id}/data/groups", groups)
    changes = {c["id"]: c["@removed"]["reason"] for c in _sync(session, delta_link)[0]}
    assert changes == {security["id"]: "deleted", unified["id"]: "changed"}


def test_delta_tokens_expire_after_seven_days(start: Start) -> None:
    _server, session = start()
    _, delta_link = _sync(session, "users/delta")
    session.control("POST", "clock", {"advance_seconds": 6 * 24 * 3600})
    session.token(refresh=True)
    _, delta_link = _sync(session, delta_link)
    session.control("POST", "clock", {"advance_seconds": 8 * 24 * 3600})
    session.token(refresh=True)
    expired = session.get(delta_link)
    assert expired.status_code == 410
    code, message = error_of(expired)
    assert code == "syncStateNotFound"
    assert "synchronized again" in message


def test_delta_expired_fault_hits_the_next_call_with_a_token(start: Start) -> None:
    _server, session = start()
    rule = {"kind": "delta_expired", "path": "users/delta", "count": 1}
    assert session.control("POST", "faults", {"rules": [rule]}).status_code == 200
    # A full sync carries no token: the fault waits for the next call that does.
    _, delta_link = _sync(session, "users/delta")
    assert session.get(delta_link).status_code == 410
    assert session.get(delta_link).status_code == 200


def test_delta_only_where_graph_has_it(start: Start) -> None:
    _server, session = start()
    response = session.get("domains/delta")
    assert response.status_code == 400
    assert error_of(response)[1] == "Resource not found for the segment 'delta'."
    forged = session.get("users/delta", {"$deltatoken": "not-a-token"})
    assert forged.status_code == 410
