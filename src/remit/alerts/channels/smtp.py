"""E-mail over SMTP (the standard library's smtplib, in a thread): STARTTLS or implicit TLS,
optional login. 4xx SMTP replies, timeouts and connection errors are retried; 5xx replies, a
refused login and a server without STARTTLS fail at once."""

from __future__ import annotations

import asyncio
import email.utils
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

import httpx
from pydantic import Field, field_validator, model_validator

from remit.alerts.channels.base import (
    Channel,
    ChannelConfig,
    DeliveryError,
    Outgoing,
    SecretSpec,
    Sent,
)
from remit.alerts.payload import plain_text, subject
from remit.domain import Severity
from remit.errors import InvalidInput


def _address(value: str) -> str:
    _, address = email.utils.parseaddr(value)
    if "@" not in address or " " in address:
        raise ValueError(f"'{value}' is not an e-mail address")
    return value.strip()


class EmailConfig(ChannelConfig):
    SECRET: ClassVar[SecretSpec] = SecretSpec("SMTP password", required=False)

    smtp_host: str
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    starttls: bool = True  # upgrade with STARTTLS (ignored with smtp_ssl)
    smtp_ssl: bool = False  # TLS from the first byte (port 465)
    username: str = ""
    sender: str
    to: list[str] = Field(min_length=1)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @model_validator(mode="after")
    def _host(self) -> EmailConfig:
        if not self.smtp_host.strip():
            raise ValueError("smtp_host: give the SMTP server's name")
        return self

    @property
    def port(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return 465 if self.smtp_ssl else 587 if self.starttls else 25

    @property
    def security(self) -> str:
        return "tls" if self.smtp_ssl else "starttls" if self.starttls else "none"

    def check_secret(self, secret: str | None) -> None:
        if self.username and secret is None:
            raise InvalidInput("the SMTP password is required with --username")
        if secret is not None and not self.username:
            raise InvalidInput("an SMTP password needs --username as well")

    def target(self) -> str:
        return f"smtp://{self.smtp_host}:{self.port} ({self.security}) to {', '.join(self.to)}"


def build_message(config: EmailConfig, message: Outgoing) -> EmailMessage:
    alert = message.alert
    mail = EmailMessage()
    mail["Subject"] = " ".join(subject(alert, test=message.test).split())
    mail["From"] = config.sender
    mail["To"] = ", ".join(config.to)
    mail["Date"] = email.utils.formatdate(usegmt=True)
    domain = email.utils.parseaddr(config.sender)[1].rsplit("@", 1)[-1] or "remit.invalid"
    # The same on every attempt, so a mail system that saw the first copy can drop a repeat.
    mail["Message-ID"] = f"<{message.delivery_id}@{domain}>"
    mail["X-Remit-Delivery"] = message.delivery_id
    mail["X-Remit-Kind"] = alert.kind
    mail["X-Remit-Severity"] = Severity(alert.severity).value
    if Severity(alert.severity) in (Severity.CRITICAL, Severity.HIGH):
        mail["Importance"] = "high"
    mail.set_content(plain_text(message))
    return mail


class EmailChannel:
    def __init__(self, config: EmailConfig, password: str | None) -> None:
        self._config = config
        self._password = password

    async def send(self, message: Outgoing) -> Sent:
        mail = build_message(self._config, message)
        return await asyncio.to_thread(self._send, mail)

    def _context(self) -> ssl.SSLContext:
        bundle = self._config.ca_bundle
        return ssl.create_default_context(cafile=str(Path(bundle).expanduser()) if bundle else None)

    def _send(self, mail: EmailMessage) -> Sent:
        config = self._config
        where = f"{config.smtp_host}:{config.port}"
        try:
            client = (
                smtplib.SMTP_SSL(
                    config.smtp_host, config.port, timeout=config.timeout, context=self._context()
                )
                if config.smtp_ssl
                else smtplib.SMTP(config.smtp_host, config.port, timeout=config.timeout)
            )
            with client:
                client.ehlo()
                if config.starttls and not config.smtp_ssl:
                    client.starttls(context=self._context())
                    client.ehlo()
                if config.username:
                    client.login(config.username, self._password or "")
                refused = client.send_message(mail)
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"the SMTP server {where} does not support what the channel needs ({exc}); "
                "check --starttls and --username",
                retryable=False,
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the SMTP server {where} refused the login of {config.username} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}); check the username and password",
                retryable=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
            )
            raise DeliveryError(
                f"the SMTP server {where} refused every recipient ({detail})",
                retryable=all(400 <= code < 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server {where} answered {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"the SMTP server {where} presented a certificate that is not trusted "
                f"({exc.verify_message}); give its CA with --ca-bundle",
                retryable=False,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused ports
            raise DeliveryError(
                f"cannot deliver through the SMTP server {where}: {exc or type(exc).__name__}",
                retryable=True,
            ) from None
        if refused:
            return Sent(detail=f"refused by the server: {', '.join(sorted(refused))}")
        return Sent(detail=f"accepted by {where}")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def make(config: ChannelConfig, secret: str | None, client: httpx.AsyncClient) -> Channel:
    if not isinstance(config, EmailConfig):
        raise TypeError(f"expected an EmailConfig, got {type(config).__name__}")
    return EmailChannel(config, secret)
