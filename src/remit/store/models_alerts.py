"""Tables: alert channels, rules, the alerts dispatched and their delivery outbox (remit.alerts).

``alert_deliveries`` is the outbox: one row per (alert, channel), written in the same transaction
as the alert, and changed only by delivery attempts (sent, retry scheduled, failed). A row is never
deleted by delivery, so an alert whose channel is down waits in the database, across restarts,
until it is delivered or has failed for good (and then it is kept and listed).

Channels and rules belong to the workspace; alerts belong to a tenant when the tenant is known
(``tenant_pk``, deleted with the tenant like everything a tenant owns).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from remit.store.models import GUID_LENGTH, Base, JSONDocument

NAME_LENGTH = 64
KIND_LENGTH = 128
DEDUPE_KEY_LENGTH = 512
TICKET_ID_LENGTH = 128

__all__ = ["AlertChannel", "AlertDelivery", "AlertRecord", "AlertRule", "AlertRuleChannel", "Base"]


class AlertChannel(Base):
    """Where alerts go: a webhook, a mailbox, a chat channel or a PSA board (one secret each)."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    # Everything but the secret, as the channel type's validated options.
    config: Mapped[dict[str, Any]]
    # The one secret of the channel (HMAC key, SMTP password, chat webhook URL, PSA key),
    # encrypted with the workspace key; None when the channel has none (SMTP without auth).
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_fingerprint: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlertRule(Base):
    """Which alerts go to which channels: kinds, minimum severity, tenants, de-dup, quiet hours."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    kinds: Mapped[list[str]] = mapped_column(JSONDocument)  # fnmatch patterns
    min_severity: Mapped[str] = mapped_column(String(16))
    tenants: Mapped[list[str] | None] = mapped_column(JSONDocument)  # tenant ids; None: all
    dedupe_hours: Mapped[float] = mapped_column(Float)
    quiet_hours: Mapped[str | None] = mapped_column(String(16))  # "22:00-07:00"
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AlertRuleChannel(Base):
    """The channels of a rule."""

    __tablename__ = "alert_rule_channels"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("alert_channels.id", ondelete="CASCADE"), primary_key=True
    )


class AlertRecord(Base):
    """One alert that at least one rule routed to a channel, as it was dispatched."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_tenant_created", "tenant_pk", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(GUID_LENGTH))
    tenant_name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(DEDUPE_KEY_LENGTH))
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime]  # when it was dispatched
    data: Mapped[dict[str, Any]]
    # The first PSA ticket created for the alert (each delivery keeps its own as well).
    ticket_id: Mapped[str | None] = mapped_column(String(TICKET_ID_LENGTH))


class AlertDelivery(Base):
    """The outbox: one alert to one channel, pending until sent or failed for good."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
        Index("ix_alert_deliveries_dedupe", "dedupe_key", "channel_name", "created_at"),
        Index("ix_alert_deliveries_alert", "alert_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The delivery id receivers see (webhook body, e-mail header): stable across retries.
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    # Kept by name as well: a removed channel leaves its (failed) deliveries listed.
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_channels.id", ondelete="SET NULL")
    )
    channel_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    rules: Mapped[list[str]] = mapped_column(JSONDocument)  # the rules that routed it here
    dedupe_key: Mapped[str] = mapped_column(String(DEDUPE_KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    created_at: Mapped[datetime]
    held_until: Mapped[datetime | None]  # the end of the quiet hours it was held for
    # When it is due: first the dispatch time (or the end of quiet hours), then the next retry.
    # Claiming rows for an attempt pushes it forward by a lease, so a crashed sender's rows
    # become due again by themselves.
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    ticket_id: Mapped[str | None] = mapped_column(String(TICKET_ID_LENGTH))
