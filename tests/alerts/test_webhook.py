"""The webhook channel over real HTTP: the documented body, headers and signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import pytest
from starlette.responses import PlainTextResponse, Response

from remit.alerts.channels import ChannelType, DeliveryError, Outgoing, open_channel, validate
from remit.alerts.channels.webhook import signature
from remit.errors import InvalidInput
from tests.alerts.conftest import HMAC_KEY, NOW, make_alert
from tests.alerts.servers import HttpReceiver, Recorded


def verify(request: Recorded, key: str) -> bool:
    """What docs/guide/alerts.md tells a receiver to do."""
    expected = "sha256=" + hmac.new(key.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-remit-signature", "")):
        return False
    body = json.loads(request.body)
    stamp = int(request.headers["x-remit-timestamp"])
    return body["timestamp"] == stamp and abs(time.time() - stamp) < 300


def send(url: str, key: str = HMAC_KEY) -> None:
    message = Outgoing(make_alert(), "0b7a4c1e-0000-4000-8000-000000000001", attempt=2)

    async def go() -> None:
        async with open_channel("webhook", {"url": url}, key) as channel:
            await channel.send(message)

    asyncio.run(go())


def test_the_receiver_gets_a_signed_document() -> None:
    def answer(request: Recorded) -> Response:
        return PlainTextResponse("ok" if verify(request, HMAC_KEY) else "bad signature", 200)

    with HttpReceiver(answer) as receiver:
        send(receiver.url + "/remit?token=abc")
    (request,) = receiver.requests
    assert verify(request, HMAC_KEY)
    assert not verify(request, "another-key-of-sufficient-length")
    assert request.method == "POST"
    assert request.query == {"token": "abc"}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("remit/")
    assert request.headers["x-remit-delivery"] == "0b7a4c1e-0000-4000-8000-000000000001"
    body = request.json()
    assert body == {
        "type": "remit.alert",
        "version": 1,
        "delivery_id": "0b7a4c1e-0000-4000-8000-000000000001",
        "attempt": 2,
        "test": False,
        "timestamp": body["timestamp"],
        "tenant": {"id": "11111111-1111-4111-8111-111111111111", "name": "contoso"},
        "alert": {
            "kind": "drift.unapproved-privileged",
            "severity": "high",
            "title": "Unapproved Global Administrator: alice@contoso.com",
            "text": "alice@contoso.com holds Global Administrator and nobody approved it.",
            "dedupe_key": "drift:contoso:alice:global-admin",
            "occurred_at": NOW.isoformat(),
            "data": {"principal": "alice@contoso.com", "role": "GA"},
        },
    }


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    # A known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    assert signature("key", b"The quick brown fox jumps over the lazy dog") == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (502, True), (401, False)])
def test_answers_are_classified(status: int, retryable: bool) -> None:
    with (
        HttpReceiver(lambda _: PlainTextResponse("nope", status)) as receiver,
        pytest.raises(DeliveryError) as raised,
    ):
        send(receiver.url)
    assert raised.value.retryable is retryable
    assert raised.value.status == status
    assert f"answered {status}: nope" in str(raised.value)


def test_a_redirect_is_not_followed_and_says_where_to() -> None:
    redirect = PlainTextResponse("", 301, headers={"Location": "https://elsewhere.example/"})
    with (
        HttpReceiver(lambda _: redirect) as receiver,
        pytest.raises(DeliveryError, match=r"redirects to https://elsewhere\.example/"),
    ):
        send(receiver.url)
    assert len(receiver.requests) == 1


def test_configuration_is_checked() -> None:
    with pytest.raises(InvalidInput, match="a webhook channel needs --url"):
        validate(ChannelType.WEBHOOK, {}, HMAC_KEY)
    with pytest.raises(InvalidInput, match="--url 'ftp://x': 'ftp://x' is not an http"):
        validate(ChannelType.WEBHOOK, {"url": "ftp://x"}, HMAC_KEY)
    with pytest.raises(InvalidInput, match="HMAC signing key is required"):
        validate(ChannelType.WEBHOOK, {"url": "https://x.example"}, None)
    with pytest.raises(InvalidInput, match="too short"):
        validate(ChannelType.WEBHOOK, {"url": "https://x.example"}, "short")
    with pytest.raises(InvalidInput, match="--board does not apply to webhook channels"):
        validate(ChannelType.WEBHOOK, {"url": "https://x.example", "board": "1"}, HMAC_KEY)
    config = validate(ChannelType.WEBHOOK, {"url": "https://x.example/h?token=s3"}, HMAC_KEY)
    assert config.target() == "https://x.example/h"  # no query string: it may hold a token
