"""Chat incoming webhooks: Microsoft Teams (an Adaptive Card) and Slack (text and blocks).

Their webhook URLs carry the credential, so the URL is the channel's secret: encrypted at rest,
never printed. Teams answers 200 (``1``) or 202 (Workflows); a connector that is throttled still
answers 200 with "HTTP error 429" in the body, which is retried. Slack answers 200 ``ok``, 4xx with
a reason (``invalid_payload``, ``channel_not_found``, ``channel_is_archived``), 429 with
Retry-After.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    DeliveryError,
    Outgoing,
    SecretSpec,
    Sent,
    check_url,
    expect,
    post,
)
from remit.alerts.payload import facts, subject, tenant_label, truncate
from remit.domain import Severity
from remit.errors import InvalidInput

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_TEAMS_THROTTLED = "HTTP error 429"
_SLACK_TEXT_LIMIT = 3000  # characters of a section block's text
_SLACK_HEADER_LIMIT = 150
_COLOURS = {  # Adaptive Card text colours by severity
    Severity.CRITICAL: "Attention",
    Severity.HIGH: "Attention",
    Severity.MEDIUM: "Warning",
    Severity.LOW: "Default",
    Severity.INFO: "Default",
}


class _ChatConfig(ChannelConfig):
    def check_secret(self, secret: str | None) -> None:
        super().check_secret(secret)
        try:
            check_url(secret or "", what="webhook URL")
        except ValueError as exc:
            raise InvalidInput(f"the {self.SECRET.label}: {exc}") from None


class TeamsConfig(_ChatConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("Teams webhook URL")

    def target(self) -> str:
        return "Microsoft Teams incoming webhook (the URL is kept secret)"


class SlackConfig(_ChatConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("Slack webhook URL")

    def target(self) -> str:
        return "Slack incoming webhook (the URL is kept secret)"


def teams_card(message: Outgoing) -> dict[str, Any]:
    """A message with one Adaptive Card, as Teams incoming webhooks and Workflows take it."""
    alert = message.alert
    card = {
        "$schema": ADAPTIVE_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": [
            {
                "type": "TextBlock",
                "text": subject(alert, test=message.test),
                "weight": "Bolder",
                "size": "Medium",
                "color": _COLOURS[Severity(alert.severity)],
                "wrap": True,
            },
            {"type": "TextBlock", "text": alert.text, "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": name, "value": value} for name, value in facts(message)],
            },
        ],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _mrkdwn(text: str) -> str:
    """Slack's escaping: &, < and > only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(message: Outgoing) -> dict[str, Any]:
    """``text`` (notifications and fallback) and ``blocks`` (what the channel shows)."""
    alert = message.alert
    severity = Severity(alert.severity).value.upper()
    header = truncate(f"{severity} {tenant_label(alert)}: {alert.title}", _SLACK_HEADER_LIMIT)
    return {
        "text": subject(alert, test=message.test),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(_mrkdwn(alert.text), _SLACK_TEXT_LIMIT),
                },
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _mrkdwn(f"*{name}:* {value}")}
                    for name, value in facts(message)
                ],
            },
        ],
    }


class TeamsChannel:
    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._client = client

    async def send(self, message: Outgoing) -> Sent:
        response = await post(self._client, "Microsoft Teams", self._url, json=teams_card(message))
        if _TEAMS_THROTTLED in response.text:
            raise DeliveryError(
                "Microsoft Teams throttled the webhook (HTTP error 429)", retryable=True
            )
        return Sent(detail=f"HTTP {response.status_code}")


class SlackChannel:
    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._client = client

    async def send(self, message: Outgoing) -> Sent:
        response = await post(self._client, "Slack", self._url, json=slack_message(message))
        return Sent(detail=f"HTTP {response.status_code}")


def make_teams(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    _, url = expect(config, TeamsConfig, secret)
    return TeamsChannel(url, client)


def make_slack(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    _, url = expect(config, SlackConfig, secret)
    return SlackChannel(url, client)
