"""Autotask PSA: ``POST {zone}/ATServicesRest/V1.0/Tickets``.

Authentication: the headers ``ApiIntegrationCode``, ``UserName`` (the API user) and ``Secret``.
The body carries companyID, title, description, status, priority and queueID; Autotask answers
``{"itemId": <ticket id>}``, stored with the alert, and reports problems as ``{"errors": [...]}``.
"""

from __future__ import annotations

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

API_PATH = "/atservicesrest/v1.0"
TITLE_LIMIT = 255
DESCRIPTION_LIMIT = 8000
VENDOR = "Autotask"
# Autotask's standard ticket priorities: 1 High, 2 Medium, 3 Low, 4 Critical.
DEFAULT_PRIORITIES = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
    Severity.INFO: 3,
}


class AutotaskConfig(PsaConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("Autotask API user's secret")

    username: str  # the API user
    integration_code: str  # the API tracking identifier
    queue: int  # queueID
    status: int = 1  # "New"
    company: int | None = None  # default companyID
    tenant_company: dict[str, int] = Field(default_factory=dict)  # tenant id -> companyID
    priority: dict[Severity, int] = Field(default_factory=dict)  # overrides of DEFAULT_PRIORITIES

    def tickets_url(self) -> str:
        base = (
            self.url if self.url.lower().endswith(API_PATH) else self.url + "/ATServicesRest/V1.0"
        )
        return base + "/Tickets"


def ticket(config: AutotaskConfig, message: Outgoing) -> dict[str, Any]:
    alert = message.alert
    priorities = DEFAULT_PRIORITIES | config.priority
    return {
        "companyID": company_for(alert, config.tenant_company, config.company, VENDOR),
        "title": summary(message, TITLE_LIMIT),
        "description": description(message, DESCRIPTION_LIMIT),
        "status": config.status,
        "priority": priority_for(alert, priorities),
        "queueID": config.queue,
    }


class AutotaskChannel:
    def __init__(self, config: AutotaskConfig, secret: str, client: httpx.AsyncClient) -> None:
        self._config = config
        self._secret = secret
        self._client = client

    async def send(self, message: Outgoing) -> Sent:
        response = await post(
            self._client,
            VENDOR,
            self._config.tickets_url(),
            json=ticket(self._config, message),
            headers={
                "ApiIntegrationCode": self._config.integration_code,
                "UserName": self._config.username,
                "Secret": self._secret,
                "Accept": "application/json",
            },
        )
        created = json_body(VENDOR, response)
        item = created.get("itemId") if isinstance(created, dict) else None
        return Sent(ticket_id=None if item is None else str(item), detail=f"ticket {item}")


def make(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    checked, key = expect(config, AutotaskConfig, secret)
    return AutotaskChannel(checked, key, client)
