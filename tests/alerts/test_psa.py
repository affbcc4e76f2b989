"""PSA tickets: ConnectWise PSA and HaloPSA over real HTTP, Autotask through a mock transport.

Each fake checks the documented request shape and authentication and answers as the vendor
does, including its errors; the ticket id ends up stored with the alert.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.responses import JSONResponse, Response

from remit.alerts import deliver, dispatch
from remit.alerts.channels import ChannelType, DeliveryError, Outgoing, Sent, open_channel, validate
from remit.alerts.manage import add_channel, add_rule, list_deliveries
from remit.domain import Severity
from remit.errors import InvalidInput, NotFound
from remit.store.alerts import DeliveryStatus
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace
from tests.alerts.conftest import CONTOSO_ID, FABRIKAM_ID, NOW, make_alert
from tests.alerts.servers import HttpReceiver, Recorded

CW_CLIENT_ID = "4d3c2b1a-0000-4000-8000-00000000c11e"
CW_PRIVATE = "cw-private-key"


def send(kind: str, config: dict[str, Any], secret: str, message: Outgoing, **kw: Any) -> Sent:
    async def go() -> Sent:
        async with open_channel(kind, config, secret, **kw) as channel:
            return await channel.send(message)

    return asyncio.run(go())


# --- ConnectWise PSA -----------------------------------------------------------------------


def connectwise(request: Recorded) -> Response:
    """POST /v4_6_release/apis/3.0/service/tickets as ConnectWise answers it."""
    if request.path != "/v4_6_release/apis/3.0/service/tickets" or request.method != "POST":
        return JSONResponse({"code": "NotFound", "message": "Not found"}, 404)
    user = base64.b64encode(f"msp+cw-public:{CW_PRIVATE}".encode()).decode()
    if request.headers.get("authorization") != f"Basic {user}":
        return JSONResponse({"code": "Unauthorized", "message": "Unauthorized"}, 401)
    if request.headers.get("clientid") != CW_CLIENT_ID:
        return JSONResponse(
            {"code": "Unauthorized", "message": "clientId header is missing or invalid"}, 401
        )
    body = request.json()
    errors = []
    summary = body.get("summary")
    if not isinstance(summary, str) or not 0 < len(summary) <= 100:
        errors.append({"code": "InvalidField", "field": "summary", "resource": "ticket"})
    board = body.get("board") or {}
    if not isinstance(board.get("id"), int) and not isinstance(board.get("name"), str):
        errors.append({"code": "Required", "field": "board", "resource": "ticket"})
    if not isinstance((body.get("company") or {}).get("identifier"), str):
        errors.append({"code": "Required", "field": "company", "resource": "ticket"})
    if "priority" in body and not isinstance(body["priority"].get("id"), int):
        errors.append({"code": "InvalidField", "field": "priority", "resource": "ticket"})
    if errors:
        return JSONResponse(
            {"code": "InvalidObject", "message": "ticket object is invalid", "errors": errors}, 400
        )
    return JSONResponse({"id": 4711, "summary": summary, "board": board}, 201)


@pytest.fixture
def cw() -> Iterator[HttpReceiver]:
    with HttpReceiver(connectwise) as server:
        yield server


def cw_config(server: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "url": server.url,
        "company_id": "msp",
        "public_key": "cw-public",
        "client_id": CW_CLIENT_ID,
        "board": "Security",
        "company": "CONTOSO",
        **extra,
    }


def test_connectwise_ticket(cw: HttpReceiver) -> None:
    config = cw_config(cw, priority={"high": 2})
    sent = send("connectwise", config, CW_PRIVATE, Outgoing(make_alert(), "d-1", 1))
    assert sent.ticket_id == "4711"
    body = cw.requests[0].json()
    assert body["summary"] == "[Remit] Unapproved Global Administrator: alice@contoso.com"
    assert body["board"] == {"name": "Security"}
    assert body["company"] == {"identifier": "CONTOSO"}
    assert body["priority"] == {"id": 2}
    assert "nobody approved it" in body["initialDescription"]


def test_connectwise_board_id_tenant_company_and_long_summary(cw: HttpReceiver) -> None:
    config = cw_config(cw, board="12", company=None, tenant_company={FABRIKAM_ID: "FAB"})
    alert = make_alert(tenant_id=FABRIKAM_ID, tenant_name="fabrikam", title="x" * 300)
    assert send("connectwise", config, CW_PRIVATE, Outgoing(alert, "d", 1)).ticket_id == "4711"
    body = cw.requests[0].json()
    assert body["board"] == {"id": 12}
    assert body["company"] == {"identifier": "FAB"}
    assert len(body["summary"]) == 100
    assert "priority" not in body
    # A tenant with no company, and no default: permanent, and nothing is sent.
    with pytest.raises(DeliveryError, match="no ConnectWise PSA company for tenant 'contoso'") as e:
        send("connectwise", config, CW_PRIVATE, Outgoing(make_alert(), "d", 1))
    assert not e.value.retryable
    assert len(cw.requests) == 1


def test_connectwise_wrong_key_or_client_id_is_permanent(cw: HttpReceiver) -> None:
    with pytest.raises(DeliveryError, match=r"answered 401.*check the channel's credentials") as e:
        send("connectwise", cw_config(cw), "wrong-key", Outgoing(make_alert(), "d", 1))
    assert not e.value.retryable
    config = cw_config(cw, client_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(DeliveryError, match="clientId header is missing or invalid"):
        send("connectwise", config, CW_PRIVATE, Outgoing(make_alert(), "d", 1))


def test_connectwise_site_may_include_the_api_path(cw: HttpReceiver) -> None:
    config = cw_config(cw, url=cw.url + "/v4_6_release/apis/3.0/")
    assert send("connectwise", config, CW_PRIVATE, Outgoing(make_alert(), "d", 1)).ticket_id


def test_the_ticket_id_is_stored_with_the_alert(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo], cw: HttpReceiver
) -> None:
    options = cw_config(cw, company=None, tenant_company={"contoso": "CONTOSO"})
    view = add_channel(workspace, "cw", ChannelType.CONNECTWISE, options, CW_PRIVATE)
    assert view.info.config["tenant_company"] == {CONTOSO_ID: "CONTOSO"}  # stored by tenant id
    add_rule(workspace, "drift", kinds=["drift.*"], channels=["cw"])
    dispatch(workspace, [make_alert()], now=NOW)
    report = asyncio.run(deliver(workspace, now=NOW))
    assert [(o.status, o.ticket_id) for o in report.outcomes] == [(DeliveryStatus.SENT, "4711")]
    (delivery,) = list_deliveries(workspace)
    assert (delivery.ticket_id, delivery.alert.ticket_id) == ("4711", "4711")


def test_a_tenant_company_naming_an_unknown_tenant_is_refused(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo], cw: HttpReceiver
) -> None:
    options = cw_config(cw, tenant_company={"northwind": "NW"})
    with pytest.raises(NotFound, match="no tenant 'northwind'"):
        add_channel(workspace, "cw", ChannelType.CONNECTWISE, options, CW_PRIVATE)


# --- Autotask ------------------------------------------------------------------------------


AT_HEADERS = {"apiintegrationcode": "AT-CODE", "username": "api@msp.example", "secret": "at-s3cret"}


def autotask(request: httpx.Request) -> httpx.Response:
    """POST /ATServicesRest/V1.0/Tickets as Autotask answers it."""
    assert request.url.path == "/ATServicesRest/V1.0/Tickets"
    if any(request.headers.get(k) != v for k, v in AT_HEADERS.items()):
        return httpx.Response(401, json={"errors": ["Unauthorized"]})
    body = json.loads(request.content)
    required = {"companyID": int, "title": str, "status": int, "priority": int, "queueID": int}
    missing = [k for k, t in required.items() if not isinstance(body.get(k), t)]
    if missing or len(body["title"]) > 255 or not isinstance(body.get("description"), str):
        # Autotask reports invalid entities with a 500 and an errors list.
        return httpx.Response(500, json={"errors": [f"Missing or invalid: {missing}"]})
    return httpx.Response(200, json={"itemId": 9001})


def at_config(**extra: Any) -> dict[str, Any]:
    return {
        "url": "https://webservices5.autotask.net",
        "username": "api@msp.example",
        "integration_code": "AT-CODE",
        "queue": 29682833,
        "company": 0,
        **extra,
    }


def test_autotask_ticket() -> None:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return autotask(request)

    transport = httpx.MockTransport(handler)
    message = Outgoing(make_alert(severity=Severity.CRITICAL), "d", 1)
    sent = send("autotask", at_config(), "at-s3cret", message, transport=transport)
    assert sent.ticket_id == "9001"
    (body,) = seen
    assert body == {
        "companyID": 0,
        "title": "[Remit] Unapproved Global Administrator: alice@contoso.com",
        "description": body["description"],
        "status": 1,
        "priority": 4,  # Autotask's "Critical"
        "queueID": 29682833,
    }
    overridden = send(
        "autotask",
        at_config(priority={"critical": 1}, tenant_company={CONTOSO_ID: 77}),
        "at-s3cret",
        message,
        transport=transport,
    )
    assert overridden.ticket_id == "9001"
    assert (seen[1]["priority"], seen[1]["companyID"]) == (1, 77)


def test_autotask_errors() -> None:
    transport = httpx.MockTransport(autotask)
    message = Outgoing(make_alert(), "d", 1)
    with pytest.raises(DeliveryError, match="answered 401") as raised:
        send("autotask", at_config(), "wrong", message, transport=transport)
    assert not raised.value.retryable
    invalid = httpx.MockTransport(
        lambda _: httpx.Response(500, json={"errors": ["Value for queueID is invalid"]})
    )
    with pytest.raises(DeliveryError, match="Value for queueID is invalid") as raised:
        send("autotask", at_config(), "at-s3cret", message, transport=invalid)
    assert raised.value.retryable  # a 500: Autotask's errors and outages look alike


def test_autotask_configuration() -> None:
    with pytest.raises(InvalidInput, match="an autotask channel needs --queue"):
        validate(ChannelType.AUTOTASK, {k: v for k, v in at_config().items() if k != "queue"}, "s")
    with pytest.raises(InvalidInput, match="--priority"):
        validate(ChannelType.AUTOTASK, at_config(priority={"urgent": 1}), "s")
    with pytest.raises(InvalidInput, match="Autotask API user's secret is required"):
        validate(ChannelType.AUTOTASK, at_config(), None)


# --- HaloPSA -------------------------------------------------------------------------------


class FakeHalo:
    """/auth/token (client credentials) and /api/Tickets as HaloPSA answers them."""

    def __init__(self) -> None:
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()

    def __call__(self, request: Recorded) -> Response:
        if request.path == "/auth/token":
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
            expected = {
                "grant_type": "client_credentials",
                "client_id": "halo-client",
                "client_secret": "halo-secret",
                "scope": "all",
            }
            if request.headers["content-type"] != "application/x-www-form-urlencoded":
                return JSONResponse({"error": "invalid_request"}, 400)
            if form != expected or request.query != {"tenant": "msp"}:
                return JSONResponse({"error": "invalid_client"}, 401)
            self.tokens_issued += 1
            token = f"tok-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        if request.path == "/api/Tickets":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.valid_tokens:
                return Response(status_code=401)
            tickets = request.json()
            if not isinstance(tickets, list) or len(tickets) != 1:
                return JSONResponse({"message": "expected an array of tickets"}, 400)
            (ticket,) = tickets
            for field, kind in (
                ("summary", str),
                ("details", str),
                ("tickettype_id", int),
                ("client_id", int),
            ):
                if not isinstance(ticket.get(field), kind):
                    return JSONResponse({"message": f"{field} is required"}, 400)
            return JSONResponse({"id": 321, "summary": ticket["summary"]}, 201)
        return JSONResponse({"message": "not found"}, 404)


@pytest.fixture
def halo() -> Iterator[tuple[FakeHalo, HttpReceiver]]:
    fake = FakeHalo()
    with HttpReceiver(fake) as server:
        yield fake, server


def halo_config(server: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "url": server.url,
        "client_id": "halo-client",
        "halo_tenant": "msp",
        "company": 12,
        "priority": {"high": 2},
        **extra,
    }


def test_halopsa_token_then_tickets(halo: tuple[FakeHalo, HttpReceiver]) -> None:
    fake, server = halo
    config = halo_config(server)

    async def two() -> list[Sent]:
        async with open_channel("halopsa", config, "halo-secret") as channel:
            return [await channel.send(Outgoing(make_alert(key=k), k, 1)) for k in ("one", "two")]

    assert [s.ticket_id for s in asyncio.run(two())] == ["321", "321"]
    assert fake.tokens_issued == 1  # the token is kept for the run
    tickets = [r.json() for r in server.requests if r.path == "/api/Tickets"]
    assert tickets[0] == [
        {
            "summary": "[Remit] Unapproved Global Administrator: alice@contoso.com",
            "details": tickets[0][0]["details"],
            "tickettype_id": 1,
            "client_id": 12,
            "priority_id": 2,
        }
    ]


def test_halopsa_gets_a_new_token_once_when_one_is_refused(
    halo: tuple[FakeHalo, HttpReceiver],
) -> None:
    fake, server = halo

    async def revoked() -> Sent:
        async with open_channel("halopsa", halo_config(server), "halo-secret") as channel:
            await channel.send(Outgoing(make_alert(), "a", 1))
            fake.valid_tokens.clear()  # revoked behind our back
            return await channel.send(Outgoing(make_alert(), "b", 1))

    assert asyncio.run(revoked()).ticket_id == "321"
    assert fake.tokens_issued == 2


def test_halopsa_wrong_client_secret_is_permanent(halo: tuple[FakeHalo, HttpReceiver]) -> None:
    _, server = halo
    with pytest.raises(DeliveryError, match=r"invalid_client.*--client-id and client secret") as e:
        send("halopsa", halo_config(server), "wrong", Outgoing(make_alert(), "d", 1))
    assert not e.value.retryable
