"""E-mail over SMTP against a local aiosmtpd server: plain, STARTTLS with login, and failures."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from remit.alerts.channels import ChannelType, DeliveryError, Outgoing, Sent, open_channel, validate
from remit.emulator.tls import TlsFiles
from remit.errors import InvalidInput
from tests.alerts.conftest import make_alert
from tests.alerts.servers import SmtpServer, closed_port

MESSAGE = Outgoing(make_alert(), "5f0c-delivery", 1)


def send(options: dict[str, Any], password: str | None = None) -> Sent:
    async def go() -> Sent:
        async with open_channel("email", options, password) as channel:
            return await channel.send(MESSAGE)

    return asyncio.run(go())


def options(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "starttls": False,
        "sender": "Remit <remit@msp.example>",
        "to": ["soc@msp.example", "tech@msp.example"],
        "timeout": 5,
        **extra,
    }


def parsed(server: SmtpServer) -> Message:
    (envelope,) = server.messages
    content = envelope.content
    assert isinstance(content, bytes)
    return email.message_from_bytes(content, policy=email.policy.default)


@pytest.fixture
def plain() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def test_plain_smtp_delivers_the_alert(plain: SmtpServer) -> None:
    sent = send(options(plain))
    assert sent.detail == f"accepted by 127.0.0.1:{plain.port}"
    (envelope,) = plain.messages
    assert envelope.mail_from == "remit@msp.example"
    assert envelope.rcpt_tos == ["soc@msp.example", "tech@msp.example"]
    mail = parsed(plain)
    assert mail["Subject"].strip() == (
        "[Remit] HIGH contoso: Unapproved Global Administrator: alice@contoso.com"
    )
    assert mail["Message-ID"] == "<5f0c-delivery@msp.example>"
    assert mail["X-Remit-Delivery"] == "5f0c-delivery"
    assert mail["Importance"] == "high"
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode()
    assert "nobody approved it" in text
    assert "Tenant: contoso (11111111-1111-4111-8111-111111111111)" in text
    assert '"principal": "alice@contoso.com"' in text


def test_starttls_and_login(tls: TlsFiles) -> None:
    with SmtpServer(tls=tls, users={"remit@msp.example": "pa55word"}) as server:
        send(
            options(server, starttls=True, username="remit@msp.example", ca_bundle=str(tls.ca)),
            "pa55word",
        )
        assert server.logins == ["remit@msp.example"]
        assert len(server.messages) == 1


def test_a_wrong_password_is_permanent(tls: TlsFiles) -> None:
    refused = pytest.raises(DeliveryError, match=r"refused the login of remit@msp\.example")
    with SmtpServer(tls=tls, users={"remit@msp.example": "pa55word"}) as server, refused as raised:
        send(
            options(server, starttls=True, username="remit@msp.example", ca_bundle=str(tls.ca)),
            "wrong",
        )
    assert not raised.value.retryable
    assert "wrong" not in str(raised.value)


def test_an_untrusted_certificate_is_refused(tls: TlsFiles) -> None:
    untrusted = pytest.raises(DeliveryError, match=r"not trusted.*--ca-bundle")
    with SmtpServer(tls=tls) as server, untrusted as raised:
        send(options(server, starttls=True))
    assert not raised.value.retryable
    assert server.messages == []


def test_starttls_required_but_not_offered_is_permanent(plain: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="does not support") as raised:
        send(options(plain, starttls=True))
    assert not raised.value.retryable


@pytest.mark.parametrize(("reply", "retryable"), [("451 4.3.0 try later", True), ("554 no", False)])
def test_server_replies_decide_retrying(reply: str, retryable: bool) -> None:
    with (
        SmtpServer(reply=reply) as server,
        pytest.raises(DeliveryError, match=reply.split()[0]) as raised,
    ):
        send(options(server))
    assert raised.value.retryable is retryable


def test_server_down_is_retryable() -> None:
    sock = closed_port()
    with pytest.raises(DeliveryError, match="cannot deliver through the SMTP server") as raised:
        send({**options(SmtpServer()), "smtp_port": sock.getsockname()[1]})
    sock.close()
    assert raised.value.retryable


def test_email_configuration_rules() -> None:
    base = {"smtp_host": "smtp.example", "sender": "remit@msp.example", "to": ["a@b.example"]}
    config = validate(ChannelType.EMAIL, base, None)
    assert config.target() == "smtp://smtp.example:587 (starttls) to a@b.example"
    assert "465 (tls)" in validate(ChannelType.EMAIL, {**base, "smtp_ssl": True}, None).target()
    with pytest.raises(InvalidInput, match="SMTP password is required with --username"):
        validate(ChannelType.EMAIL, {**base, "username": "u"}, None)
    with pytest.raises(InvalidInput, match="needs --username"):
        validate(ChannelType.EMAIL, base, "pw")
    with pytest.raises(InvalidInput, match="--to: 'nobody' is not an e-mail address"):
        validate(ChannelType.EMAIL, {**base, "to": ["nobody"]}, None)
    with pytest.raises(InvalidInput, match="an email channel needs --sender"):
        validate(ChannelType.EMAIL, {"smtp_host": "h", "to": ["a@b.example"]}, None)
    with pytest.raises(InvalidInput, match="--ca-bundle"):
        validate(ChannelType.EMAIL, {**base, "ca_bundle": "/nonexistent.pem"}, None)
