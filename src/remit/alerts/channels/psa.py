"""What the PSA adapters share: which company a tenant's ticket is filed under, priorities,
the ticket's summary and description."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import field_validator

from remit.alerts.channels.base import ChannelConfig, DeliveryError, Outgoing, check_url
from remit.alerts.payload import plain_text, truncate
from remit.domain import Alert, Severity

CompanyT = TypeVar("CompanyT", str, int)


class PsaConfig(ChannelConfig):
    """Base of the PSA channel configurations: every one has a base URL."""

    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    def target(self) -> str:
        return self.url


def company_for(
    alert: Alert, mapping: Mapping[str, CompanyT], default: CompanyT | None, vendor: str
) -> CompanyT:
    """The PSA company of the alert's tenant: the tenant's own (--tenant-company), else the
    channel's default (--company); neither is a permanent error (retrying will not help)."""
    for key in (alert.tenant_id.lower(), alert.tenant_name.lower()):
        if key and key in mapping:
            return mapping[key]
    if default is not None:
        return default
    raise DeliveryError(
        f"no {vendor} company for tenant '{alert.tenant_name or alert.tenant_id}': add one to the "
        "channel with --tenant-company TENANT=ID, or a default with --company",
        retryable=False,
    )


def priority_for(alert: Alert, mapping: Mapping[Severity, int]) -> int | None:
    return mapping.get(Severity(alert.severity))


def summary(message: Outgoing, limit: int) -> str:
    prefix = "[Remit test] " if message.test else "[Remit] "
    return truncate(" ".join((prefix + message.alert.title).split()), limit)


def description(message: Outgoing, limit: int) -> str:
    return truncate(plain_text(message), limit)
