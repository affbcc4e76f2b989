"""Settings: what a workspace's ``remit.toml`` may say, validated, with defaults.

Nothing here reads a file at import time. :func:`load_settings` reads and validates one file and
reports problems with the file name and the offending key; :func:`dump_settings` writes one back.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from remit.errors import ConfigError

CONFIG_FILE_NAME = "remit.toml"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    # A SQLAlchemy URL. A relative SQLite path is relative to the workspace folder.
    url: str = "sqlite:///remit.db"


class GraphSettings(_Section):
    """How to reach Microsoft Graph and Entra ID, and how hard to push them."""

    # Where tokens come from; the tenant id is appended (https://host/<tenant>/oauth2/v2.0/token).
    authority_host: str = DEFAULT_AUTHORITY_HOST
    # Graph's versioned root; every request path is relative to it.
    base_url: str = DEFAULT_GRAPH_BASE_URL
    # PEM file of certificate authorities to trust (a TLS-inspecting proxy, a local emulator).
    # Empty: the system's default trust store.
    ca_bundle: str = ""
    timeout_seconds: float = Field(default=60.0, gt=0)
    # Requests in flight at once per tenant, and per mailbox (Outlook allows 4).
    max_concurrency_per_tenant: int = Field(default=8, ge=1, le=64)
    max_concurrency_per_mailbox: int = Field(default=4, ge=1, le=4)
    # Retries of one request (429, 5xx, dropped connection) before giving up.
    max_retries: int = Field(default=8, ge=0, le=50)
    # Longest total time one request may spend waiting on throttling before ThrottledTooLong.
    max_throttle_wait_seconds: float = Field(default=300.0, gt=0)
    # First back-off step when Graph gives no Retry-After; doubles each time. Each wait is
    # between half and all of its step (equal jitter).
    backoff_base_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=60.0, gt=0)

    @field_validator("authority_host", "base_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an https:// URL")
        return value.rstrip("/")


class CollectSettings(_Section):
    # Tenants collected at the same time by `remit inventory collect --all`.
    tenant_concurrency: int = Field(default=16, ge=1, le=512)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    graph: GraphSettings = GraphSettings()
    collect: CollectSettings = CollectSettings()
    web: WebSettings = WebSettings()


def load_settings(path: Path) -> Settings:
    """Read and validate ``path``; raise :class:`ConfigError` with file and key on any problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found; run `remit init` to create a workspace"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the file and try again") from None
    return settings_from_mapping(data, source=str(path))


def settings_from_mapping(data: dict[str, Any], *, source: str = "settings") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{source}: setting `{where}`: {first['msg']}; fix it and try again"
        ) from None


def dump_settings(settings: Settings, path: Path) -> None:
    """Write ``settings`` to ``path`` atomically (temp file + rename)."""
    text = tomli_w.dumps(settings.model_dump(mode="json"))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
