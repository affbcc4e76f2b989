"""HaloPSA: OAuth2 client credentials at ``{host}/auth/token``, then ``POST {host}/api/Tickets``
with a JSON array of tickets (summary, details, tickettype_id, client_id, priority_id).

The token (scope ``all``) is kept for the adapter's life, until shortly before it expires; a 401
from the API with a kept token fetches a new one once. Halo answers with the created ticket
(or a list of them), whose ``id`` is stored with the alert.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import httpx
from pydantic import Field

from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    DeliveryError,
    Outgoing,
    SecretSpec,
    Sent,
    expect,
    json_body,
    post,
)
from remit.alerts.channels.psa import PsaConfig, company_for, description, priority_for, summary
from remit.domain import Severity

VENDOR = "HaloPSA"
SUMMARY_LIMIT = 250
DETAILS_LIMIT = 8000
SCOPE = "all"
_EXPIRY_MARGIN = 60.0  # seconds before expiry a kept token is no longer used


class HaloPsaConfig(PsaConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("HaloPSA client secret")

    client_id: str
    halo_tenant: str = ""  # hosted Halo: the tenant name (?tenant= on the token request)
    ticket_type: int = 1  # tickettype_id
    company: int | None = None  # default client_id (the Halo customer)
    tenant_company: dict[str, int] = Field(default_factory=dict)  # tenant id -> Halo client_id
    priority: dict[Severity, int] = Field(default_factory=dict)  # severity -> priority_id


def ticket(config: HaloPsaConfig, message: Outgoing) -> dict[str, Any]:
    alert = message.alert
    body: dict[str, Any] = {
        "summary": summary(message, SUMMARY_LIMIT),
        "details": description(message, DETAILS_LIMIT),
        "tickettype_id": config.ticket_type,
        "client_id": company_for(alert, config.tenant_company, config.company, VENDOR),
    }
    priority = priority_for(alert, config.priority)
    if priority is not None:
        body["priority_id"] = priority
    return body


class HaloPsaChannel:
    def __init__(self, config: HaloPsaConfig, secret: str, client: httpx.AsyncClient) -> None:
        self._config = config
        self._secret = secret
        self._client = client
        self._token: str | None = None
        self._token_expires = 0.0

    async def _access_token(self) -> str:
        if self._token is not None and time.monotonic() < self._token_expires:
            return self._token
        params = {"tenant": self._config.halo_tenant} if self._config.halo_tenant else None
        try:
            response = await post(
                self._client,
                f"{VENDOR} (token)",
                self._config.url + "/auth/token",
                params=params,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._config.client_id,
                    "client_secret": self._secret,
                    "scope": SCOPE,
                },
            )
        except DeliveryError as exc:
            if exc.retryable:
                raise
            raise DeliveryError(
                f"{exc}; check the channel's --client-id and client secret", retryable=False
            ) from None
        token = json_body(VENDOR, response)
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise DeliveryError(
                f"{VENDOR} answered the token request without a token", retryable=True
            )
        lifetime = float(token.get("expires_in") or 3600)
        self._token = token["access_token"]
        self._token_expires = time.monotonic() + max(lifetime - _EXPIRY_MARGIN, 0.0)
        return self._token

    async def send(self, message: Outgoing) -> Sent:
        body = [ticket(self._config, message)]
        for fresh_token_try in (False, True):
            token = await self._access_token()
            try:
                response = await post(
                    self._client,
                    VENDOR,
                    self._config.url + "/api/Tickets",
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                )
            except DeliveryError as exc:
                if fresh_token_try or exc.status != 401:
                    raise
                self._token = None  # revoked or expired early: get a new one, once
                continue
            created = json_body(VENDOR, response)
            first = created[0] if isinstance(created, list) and created else created
            ticket_id = first.get("id") if isinstance(first, dict) else None
            return Sent(
                ticket_id=None if ticket_id is None else str(ticket_id),
                detail=f"ticket {ticket_id}",
            )
        raise AssertionError("unreachable")  # pragma: no cover


def make(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    checked, key = expect(config, HaloPsaConfig, secret)
    return HaloPsaChannel(checked, key, client)
