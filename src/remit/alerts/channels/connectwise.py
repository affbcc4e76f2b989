"""ConnectWise PSA (Manage): ``POST {site}/v4_6_release/apis/3.0/service/tickets``.

Authentication: HTTP Basic with ``{company}+{publicKey}`` as the user and the private key as the
password, plus the ``clientId`` header (the integration's id from the ConnectWise developer
portal). The body names the service board (id or name), the customer company (its identifier),
the summary (at most 100 characters), the initial description and optionally a priority.
ConnectWise answers 201 with the ticket, whose ``id`` is stored with the alert.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx
from pydantic import Field

from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    Outgoing,
    SecretSpec,
    Sent,
    expect,
    json_body,
    post,
)
from remit.alerts.channels.psa import PsaConfig, company_for, description, priority_for, summary
from remit.domain import Severity

API_PATH = "/v4_6_release/apis/3.0"
SUMMARY_LIMIT = 100
DESCRIPTION_LIMIT = 8000
VENDOR = "ConnectWise PSA"


class ConnectWiseConfig(PsaConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("ConnectWise private key")

    company_id: str  # the company id used to log in (the PSA site's company)
    public_key: str
    client_id: str
    board: str  # a service board id (digits) or name
    company: str | None = None  # default customer company identifier
    tenant_company: dict[str, str] = Field(
        default_factory=dict
    )  # tenant id -> customer company identifier
    priority: dict[Severity, int] = Field(
        default_factory=dict
    )  # severity -> ConnectWise priority id

    def tickets_url(self) -> str:
        base = self.url if self.url.lower().endswith(API_PATH) else self.url + API_PATH
        return base + "/service/tickets"


def authorization(config: ConnectWiseConfig, private_key: str) -> str:
    user = f"{config.company_id}+{config.public_key}:{private_key}"
    return "Basic " + base64.b64encode(user.encode("utf-8")).decode("ascii")


def ticket(config: ConnectWiseConfig, message: Outgoing) -> dict[str, Any]:
    alert = message.alert
    board: dict[str, Any] = (
        {"id": int(config.board)} if config.board.isdigit() else {"name": config.board}
    )
    body: dict[str, Any] = {
        "summary": summary(message, SUMMARY_LIMIT),
        "board": board,
        "company": {
            "identifier": company_for(alert, config.tenant_company, config.company, VENDOR)
        },
        "initialDescription": description(message, DESCRIPTION_LIMIT),
    }
    priority = priority_for(alert, config.priority)
    if priority is not None:
        body["priority"] = {"id": priority}
    return body


class ConnectWiseChannel:
    def __init__(
        self, config: ConnectWiseConfig, private_key: str, client: httpx.AsyncClient
    ) -> None:
        self._config = config
        self._private_key = private_key
        self._client = client

    async def send(self, message: Outgoing) -> Sent:
        response = await post(
            self._client,
            VENDOR,
            self._config.tickets_url(),
            json=ticket(self._config, message),
            headers={
                "Authorization": authorization(self._config, self._private_key),
                "clientId": self._config.client_id,
                "Accept": "application/json",
            },
        )
        created = json_body(VENDOR, response)
        ticket_id = created.get("id") if isinstance(created, dict) else None
        return Sent(
            ticket_id=None if ticket_id is None else str(ticket_id),
            detail=f"ticket {ticket_id}",
        )


def make(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    checked, key = expect(config, ConnectWiseConfig, secret)
    return ConnectWiseChannel(checked, key, client)
