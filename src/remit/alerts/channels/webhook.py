"""Webhook: POST the alert as JSON, signed with HMAC-SHA256 so the receiver can trust it.

Headers: ``X-Remit-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the channel's
secret>``, ``X-Remit-Timestamp`` (Unix seconds, equal to the signed body's ``timestamp``) and
``X-Remit-Delivery`` (the delivery id, the same on every retry). Retried on 5xx, 408, 429,
timeouts and connection errors; any other 4xx fails at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import ClassVar

import httpx
from pydantic import field_validator

from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    Outgoing,
    SecretSpec,
    Sent,
    check_url,
    expect,
    post,
)
from remit.alerts.payload import document
from remit.errors import InvalidInput

SIGNATURE_HEADER = "X-Remit-Signature"
TIMESTAMP_HEADER = "X-Remit-Timestamp"
DELIVERY_HEADER = "X-Remit-Delivery"
MIN_SECRET_LENGTH = 16


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the raw body it got and compares."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookConfig(ChannelConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("HMAC signing key")

    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    def check_secret(self, secret: str | None) -> None:
        super().check_secret(secret)
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise InvalidInput(
                f"the HMAC signing key is too short: use at least {MIN_SECRET_LENGTH} random "
                "characters (e.g. `openssl rand -hex 32`)"
            )

    def target(self) -> str:
        url = httpx.URL(self.url)
        return str(url.copy_with(query=None, fragment=None))


class WebhookChannel:
    def __init__(self, config: WebhookConfig, secret: str, client: httpx.AsyncClient) -> None:
        self._config = config
        self._secret = secret
        self._client = client

    async def send(self, message: Outgoing) -> Sent:
        timestamp = int(time.time())
        body = json.dumps(
            document(message, timestamp=timestamp), separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, body),
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: message.delivery_id,
        }
        response = await post(
            self._client, "the webhook receiver", self._config.url, content=body, headers=headers
        )
        return Sent(detail=f"HTTP {response.status_code}")


def make(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    checked, key = expect(config, WebhookConfig, secret)
    return WebhookChannel(checked, key, client)
