"""What every channel adapter shares: the message, the outcome, the errors, HTTP helpers.

An adapter turns an :class:`Outgoing` message into one request (or one e-mail) and returns a
:class:`Sent` (with the PSA ticket id when it made one), or raises :class:`DeliveryError` saying
whether trying again later may help (``retryable``). All HTTP goes through the
:class:`httpx.AsyncClient` the adapter is given, so tests hand in a mock transport.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from remit import __version__
from remit.domain import Alert
from remit.errors import ExitCode, InvalidInput, RemitError

USER_AGENT = f"remit/{__version__}"
_SNIPPET = 300  # characters of a response body quoted in an error


class DeliveryError(Exception):
    """A channel did not take the message. ``retryable``: a later attempt may succeed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status  # the HTTP status, when an HTTP answer was the problem

    def __str__(self) -> str:
        return self.message


class ChannelTestFailed(RemitError):
    """`remit alerts channels test`: the channel did not take the test alert."""

    exit_code = ExitCode.UNAVAILABLE


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One alert on its way to one channel."""

    alert: Alert
    delivery_id: str  # the same on every attempt: receivers can drop repeats
    attempt: int  # 1 for the first attempt
    test: bool = False  # `channels test`: nothing happened in a tenant


@dataclass(frozen=True, slots=True)
class Sent:
    ticket_id: str | None = None  # PSA adapters: the ticket they created
    detail: str = ""


class Channel(Protocol):
    async def send(self, message: Outgoing) -> Sent: ...


@dataclass(frozen=True, slots=True)
class SecretSpec:
    """The one secret a channel type has: what it is called, whether it must be given."""

    label: str
    required: bool = True


class ChannelConfig(BaseModel):
    """Options every channel type has. Field names are the CLI's option names (``_`` → ``-``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    SECRET: ClassVar[SecretSpec] = SecretSpec("secret")

    timeout: float = Field(default=10.0, gt=0, le=300)
    # PEM file of extra certificate authorities to trust (a receiver with an internal CA).
    ca_bundle: str = ""

    def check_new(self, secret: str | None) -> None:
        """Checks made when a channel is added (not when a stored one is loaded): the secret,
        and that the CA bundle is there."""
        self.check_secret(secret)
        if self.ca_bundle and not Path(self.ca_bundle).expanduser().is_file():
            raise InvalidInput(f"--ca-bundle {self.ca_bundle}: not a readable file")

    def check_secret(self, secret: str | None) -> None:
        """Refuse a missing (or superfluous) secret; subclasses check its shape."""
        if secret is None and self.SECRET.required:
            raise InvalidInput(f"the {self.SECRET.label} is required")

    def target(self) -> str:
        """Where the channel sends, as a technician may see it (never a secret)."""
        return ""

    def ssl_context(self) -> ssl.SSLContext | bool:
        if not self.ca_bundle:
            return True
        try:
            return ssl.create_default_context(cafile=str(Path(self.ca_bundle).expanduser()))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(
                f"--ca-bundle {self.ca_bundle} cannot be used ({exc.strerror or exc})"
            ) from None


ConfigT = TypeVar("ConfigT", bound=ChannelConfig)


def expect(config: ChannelConfig, cls: type[ConfigT], secret: str | None) -> tuple[ConfigT, str]:
    """The configuration as its type's model, and the secret it cannot do without."""
    if not isinstance(config, cls):
        raise TypeError(f"expected a {cls.__name__}, got {type(config).__name__}")
    if secret is None:
        raise InvalidInput(f"the channel has no {cls.SECRET.label}; remove it and add it again")
    return config, secret


def check_url(value: str, *, what: str = "URL") -> str:
    url = value.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValueError(f"'{value}' is not a {what}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"'{value}' is not an http:// or https:// {what}")
    return url.rstrip("/")


def http_client(
    config: ChannelConfig, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client an adapter sends with: the channel's timeout and trust (proxies come from the
    environment, as for every HTTP client); redirects are not followed."""
    return httpx.AsyncClient(
        timeout=config.timeout,
        verify=config.ssl_context(),
        transport=transport,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


async def post(client: httpx.AsyncClient, vendor: str, url: str, **kwargs: Any) -> httpx.Response:
    """POST and classify the outcome: 2xx returns; 408, 429, 5xx, timeouts and connection errors
    are retryable; any other answer (including redirects) is not."""
    try:
        response = await client.post(url, **kwargs)
    except httpx.TimeoutException:
        raise DeliveryError(
            f"{vendor} did not answer within {client.timeout.read}s ({_host(url)})",
            retryable=True,
        ) from None
    except httpx.TransportError as exc:
        raise DeliveryError(
            f"cannot reach {vendor} at {_host(url)}: {exc or type(exc).__name__}", retryable=True
        ) from None
    check_status(vendor, response)
    return response


def check_status(vendor: str, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    retryable = status in (408, 429) or status >= 500
    snippet = " ".join(response.text.split())[:_SNIPPET]
    where = _host(str(response.request.url))
    hint = ""
    if status in (401, 403):
        hint = "; check the channel's credentials"
    elif 300 <= status < 400:
        location = response.headers.get("location", "")
        hint = f"; it redirects to {location}: use that URL" if location else ""
    raise DeliveryError(
        f"{vendor} ({where}) answered {status}{': ' + snippet if snippet else ''}{hint}",
        retryable=retryable,
        retry_after=retry_after(response.headers) if retryable else None,
        status=status,
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), when given and sensible."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0)


def json_body(vendor: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DeliveryError(
            f"{vendor} answered {response.status_code} without JSON: "
            f"{' '.join(response.text.split())[:_SNIPPET]}",
            retryable=False,
        ) from None


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "?"
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
