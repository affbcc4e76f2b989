"""Channel types: each a validated configuration (pydantic) and a small adapter.

:func:`validate` checks what a technician gives for a new channel (options and the one secret);
:func:`open_channel` turns a stored channel back into an adapter with its own HTTP client.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from remit.alerts.channels import autotask, chat, connectwise, halopsa, smtp, webhook
from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    ChannelTestFailed,
    DeliveryError,
    Outgoing,
    Sent,
    http_client,
)
from remit.errors import InvalidInput

__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelTestFailed",
    "ChannelType",
    "DeliveryError",
    "Outgoing",
    "Sent",
    "config_class",
    "load_config",
    "open_channel",
    "validate",
]


class ChannelType(enum.StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    TEAMS = "teams"
    SLACK = "slack"
    CONNECTWISE = "connectwise"
    AUTOTASK = "autotask"
    HALOPSA = "halopsa"


Factory = Callable[[ChannelConfig, str | None, httpx.AsyncClient], Channel]


@dataclass(frozen=True, slots=True)
class _Kind:
    config: type[ChannelConfig]
    make: Factory


_KINDS: dict[ChannelType, _Kind] = {
    ChannelType.WEBHOOK: _Kind(webhook.WebhookConfig, webhook.make),
    ChannelType.EMAIL: _Kind(smtp.EmailConfig, smtp.make),
    ChannelType.TEAMS: _Kind(chat.TeamsConfig, chat.make_teams),
    ChannelType.SLACK: _Kind(chat.SlackConfig, chat.make_slack),
    ChannelType.CONNECTWISE: _Kind(connectwise.ConnectWiseConfig, connectwise.make),
    ChannelType.AUTOTASK: _Kind(autotask.AutotaskConfig, autotask.make),
    ChannelType.HALOPSA: _Kind(halopsa.HaloPsaConfig, halopsa.make),
}


def channel_type(value: str) -> ChannelType:
    try:
        return ChannelType(value.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in ChannelType)
        raise InvalidInput(f"unknown channel type '{value}'; use one of {choices}") from None


def config_class(kind: ChannelType) -> type[ChannelConfig]:
    return _KINDS[kind].config


def option_name(field: str) -> str:
    """The CLI option that sets a configuration field (``smtp_host`` → ``--smtp-host``)."""
    return "--" + field.replace("_", "-")


def validate(kind: ChannelType, options: Mapping[str, Any], secret: str | None) -> ChannelConfig:
    """The configuration of a new channel, checked, with its secret; one line on any problem."""
    try:
        config = _KINDS[kind].config.model_validate(dict(options))
    except ValidationError as exc:
        raise InvalidInput(_explain(kind, exc)) from None
    try:
        config.check_new(secret)
    except InvalidInput as exc:
        raise InvalidInput(f"{kind.value} channel: {exc}") from None
    return config


def load_config(kind: str, stored: Mapping[str, Any]) -> ChannelConfig:
    """A stored configuration (validated when it was added) as its type's model."""
    try:
        return _KINDS[channel_type(kind)].config.model_validate(dict(stored))
    except ValidationError as exc:
        raise InvalidInput(
            f"the stored configuration of {_article(channel_type(kind))} {kind} channel is no "
            "longer valid "
            f"({_explain(channel_type(kind), exc)}); remove the channel and add it again"
        ) from None


@asynccontextmanager
async def open_channel(
    kind: str,
    stored: Mapping[str, Any],
    secret: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Channel]:
    """An adapter for a stored channel, with an HTTP client closed when the block ends."""
    config = load_config(kind, stored)
    async with http_client(config, transport) as client:
        yield _KINDS[channel_type(kind)].make(config, secret, client)


def _explain(kind: ChannelType, exc: ValidationError) -> str:
    errors = exc.errors()
    # An option that does not belong to the type says more than one that is missing.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    field = str(error["loc"][0]) if error["loc"] else ""
    option = option_name(field) if field else "the options"
    if error["type"] == "missing":
        return f"{_article(kind)} {kind.value} channel needs {option}"
    if error["type"] == "extra_forbidden":
        return f"{option} does not apply to {kind.value} channels"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    shown = f" '{value}'" if isinstance(value, str | int | float) and field else ""
    return f"{kind.value} channel: {option}{shown}: {message}"


def _article(kind: ChannelType) -> str:
    return "an" if kind.value[0] in "aeiou" else "a"
