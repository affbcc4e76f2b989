"""Teams and Slack incoming webhooks, against fakes that check the documented payloads and
answer as the services do (httpx.MockTransport: a socket adds nothing here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from remit.alerts.channels import ChannelType, DeliveryError, Outgoing, Sent, open_channel, validate
from remit.domain import Severity
from remit.errors import InvalidInput
from tests.alerts.conftest import make_alert

TEAMS_URL = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
MESSAGE = Outgoing(make_alert(severity=Severity.CRITICAL), "d-1", 1)


def send(kind: str, url: str, handler: Callable[[httpx.Request], httpx.Response]) -> Sent:
    async def go() -> Sent:
        transport = httpx.MockTransport(handler)
        async with open_channel(kind, {}, url, transport=transport) as channel:
            return await channel.send(MESSAGE)

    return asyncio.run(go())


def fake_teams(answer: httpx.Response | None = None) -> tuple[list[Any], Any]:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == TEAMS_URL
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        # The documented envelope: a message with one Adaptive Card attachment.
        assert body["type"] == "message"
        (attachment,) = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard"
        assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
        assert card["version"] in ("1.2", "1.3", "1.4")
        seen.append(card)
        return answer or httpx.Response(200, text="1")

    return seen, handler


def test_teams_gets_an_adaptive_card() -> None:
    seen, handler = fake_teams()
    assert send("teams", TEAMS_URL, handler).detail == "HTTP 200"
    (card,) = seen
    title, text, facts = card["body"]
    assert title["type"] == "TextBlock"
    assert title["text"] == (
        "[Remit] CRITICAL contoso: Unapproved Global Administrator: alice@contoso.com"
    )
    assert title["color"] == "Attention"
    assert text["text"].startswith("alice@contoso.com holds Global Administrator")
    assert {f["title"]: f["value"] for f in facts["facts"]}["Delivery"] == "d-1"


def test_teams_throttling_inside_a_200_is_retried() -> None:
    throttled = httpx.Response(
        200, text="Microsoft Teams endpoint returned HTTP error 429 with ContextId ..."
    )
    _, handler = fake_teams(throttled)
    with pytest.raises(DeliveryError, match="throttled") as raised:
        send("teams", TEAMS_URL, handler)
    assert raised.value.retryable


def test_teams_workflows_answer_202() -> None:
    _, handler = fake_teams(httpx.Response(202))
    assert send("teams", TEAMS_URL, handler).detail == "HTTP 202"


def test_teams_rejecting_the_card_is_permanent() -> None:
    _, handler = fake_teams(httpx.Response(400, text="Summary or Text is required."))
    with pytest.raises(DeliveryError, match="Summary or Text is required") as raised:
        send("teams", TEAMS_URL, handler)
    assert not raised.value.retryable


def slack(status: int = 200, text: str = "ok", headers: dict[str, str] | None = None) -> Any:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == SLACK_URL
        body = json.loads(request.content)
        assert isinstance(body["text"], str)
        assert body["text"]  # the notification and fallback text
        for block in body["blocks"]:
            assert block["type"] in ("header", "section", "context")
        seen.append(body)
        return httpx.Response(status, text=text, headers=headers)

    return seen, handler


def test_slack_gets_text_and_blocks() -> None:
    seen, handler = slack()
    send("slack", SLACK_URL, handler)
    (body,) = seen
    assert body["text"].startswith("[Remit] CRITICAL contoso:")
    header, section, context = body["blocks"]
    assert header["text"] == {
        "type": "plain_text",
        "text": "CRITICAL contoso: Unapproved Global Administrator: alice@contoso.com",
    }
    assert section["text"]["type"] == "mrkdwn"
    assert any("*Severity:* critical" in e["text"] for e in context["elements"])


def test_slack_escapes_its_control_characters() -> None:
    seen, handler = slack()
    message = Outgoing(make_alert(text="a <b> & c"), "d", 1)

    async def go() -> None:
        transport = httpx.MockTransport(handler)
        async with open_channel("slack", {}, SLACK_URL, transport=transport) as channel:
            await channel.send(message)

    asyncio.run(go())
    assert seen[0]["blocks"][1]["text"]["text"] == "a &lt;b&gt; &amp; c"


@pytest.mark.parametrize(
    ("status", "text", "retryable"),
    [
        (404, "channel_not_found", False),
        (410, "channel_is_archived", False),
        (400, "invalid_payload", False),
        (403, "action_prohibited", False),
        (500, "rollup_error", True),
    ],
)
def test_slack_errors(status: int, text: str, retryable: bool) -> None:
    _, handler = slack(status, text)
    with pytest.raises(DeliveryError, match=text) as raised:
        send("slack", SLACK_URL, handler)
    assert raised.value.retryable is retryable


def test_slack_rate_limit_carries_retry_after() -> None:
    _, handler = slack(429, "rate_limited", {"Retry-After": "30"})
    with pytest.raises(DeliveryError) as raised:
        send("slack", SLACK_URL, handler)
    assert (raised.value.retryable, raised.value.retry_after) == (True, 30.0)


def test_chat_webhook_urls_are_the_secret() -> None:
    with pytest.raises(InvalidInput, match="Slack webhook URL is required"):
        validate(ChannelType.SLACK, {}, None)
    with pytest.raises(InvalidInput, match=r"Teams webhook URL.*not an http"):
        validate(ChannelType.TEAMS, {}, "not a url")
    with pytest.raises(InvalidInput, match="--url does not apply to teams channels"):
        validate(ChannelType.TEAMS, {"url": TEAMS_URL}, TEAMS_URL)
    config = validate(ChannelType.SLACK, {}, SLACK_URL)
    assert "hooks.slack.com" not in config.target()
