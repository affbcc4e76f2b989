"""Alert channels, rules, dispatched alerts and the delivery outbox of one workspace.

:class:`AlertStore` works in the caller's session (``Workspace.session``); the caller commits, so a
dispatch that writes an alert and its deliveries is one transaction. Channel secrets are encrypted
with the workspace :class:`~remit.store.secrets.SecretBox`, bound to the channel's name.
"""

from __future__ import annotations

import builtins
import enum
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from remit.domain import Alert, Severity
from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.store.models import Tenant
from remit.store.models_alerts import (
    NAME_LENGTH,
    AlertChannel,
    AlertDelivery,
    AlertRecord,
    AlertRule,
    AlertRuleChannel,
)
from remit.store.secrets import SecretBox

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ERROR_LENGTH = 2000  # last_error is kept short: the first lines of what went wrong


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting: due now, held for quiet hours, or a retry is scheduled
    SENT = "sent"
    FAILED = "failed"  # gave up (a permanent error, or every attempt failed); kept and listed


def channel_secret_context(name: str) -> str:
    """The associated data that binds a channel's stored secret to that channel."""
    return f"alert-channel:{name}:secret"


def normalize_name(value: str, *, what: str) -> str:
    name = value.strip().lower()
    if not _NAME.match(name) or len(name) > NAME_LENGTH:
        raise InvalidInput(
            f"{what} name '{value}' is not usable: use up to {NAME_LENGTH} lowercase letters, "
            "digits, '-' and '_', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as stored, without its secret (which only :meth:`AlertStore.secret` reveals)."""

    id: int
    name: str
    type: str
    config: Mapping[str, Any]
    secret_fingerprint: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: int
    name: str
    kinds: tuple[str, ...]
    min_severity: Severity
    tenants: tuple[str, ...] | None  # tenant ids; None: every tenant
    channels: tuple[str, ...]
    dedupe_hours: float
    quiet_hours: str | None
    timezone: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    tenant_id: str
    tenant_name: str
    kind: str
    severity: Severity
    title: str
    text: str
    dedupe_key: str
    occurred_at: datetime
    created_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    ticket_id: str | None = None

    def to_alert(self) -> Alert:
        return Alert(
            kind=self.kind,
            severity=self.severity,
            tenant_id=self.tenant_id,
            tenant_name=self.tenant_name,
            title=self.title,
            text=self.text,
            dedupe_key=self.dedupe_key,
            occurred_at=self.occurred_at,
            data=dict(self.data),
        )


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """One outbox row with its alert."""

    id: int
    uid: str
    channel: str
    status: DeliveryStatus
    rules: tuple[str, ...]
    created_at: datetime
    next_attempt_at: datetime
    held_until: datetime | None
    attempts: int
    last_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    ticket_id: str | None
    alert: StoredAlert


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertStore:
    """Alert channels, rules and deliveries, in one session. The caller commits."""

    def __init__(
        self, session: Session, secrets: SecretBox, *, now: Callable[[], datetime] = _utcnow
    ) -> None:
        self._session = session
        self._secrets = secrets
        self._now = now

    # --- channels --------------------------------------------------------------------------

    def add_channel(
        self, name: str, type: str, config: Mapping[str, Any], secret: str | None
    ) -> ChannelInfo:
        name = normalize_name(name, what="channel")
        if self._channel_row(name) is not None:
            raise AlreadyExists(
                f"a channel named '{name}' already exists; remove it first or choose another name"
            )
        now = self._now()
        row = AlertChannel(
            name=name,
            type=type,
            config=dict(config),
            secret_ciphertext=(
                None
                if secret is None
                else self._secrets.encrypt(secret, context=channel_secret_context(name))
            ),
            secret_fingerprint=None if secret is None else self._secrets.fingerprint(secret),
            created_at=now,
            updated_at=now,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            raise AlreadyExists(f"a channel named '{name}' was added concurrently") from None
        return _channel_info(row)

    def channel(self, name: str) -> ChannelInfo:
        return _channel_info(self._require_channel(name))

    def channels(self) -> builtins.list[ChannelInfo]:
        rows = self._session.scalars(select(AlertChannel).order_by(AlertChannel.name))
        return [_channel_info(row) for row in rows]

    def secret(self, channel: ChannelInfo) -> str | None:
        """The channel's secret, decrypted (kept in memory only)."""
        row = self._require_channel(channel.name)
        if row.secret_ciphertext is None:
            return None
        return self._secrets.decrypt(
            row.secret_ciphertext,
            context=channel_secret_context(row.name),
            label=f"the stored secret of alert channel '{row.name}'",
        )

    def remove_channel(self, name: str) -> tuple[ChannelInfo, int]:
        """Delete a channel no rule uses; its pending deliveries are marked failed (and kept)."""
        row = self._require_channel(name)
        users = self._session.scalars(
            select(AlertRule.name)
            .join(AlertRuleChannel, AlertRuleChannel.rule_id == AlertRule.id)
            .where(AlertRuleChannel.channel_id == row.id)
            .order_by(AlertRule.name)
        ).all()
        if users:
            raise InvalidInput(
                f"channel '{row.name}' is used by the rule(s) {', '.join(users)}; remove them "
                "first (`remit alerts rules remove NAME`)"
            )
        info = _channel_info(row)
        with self._session.begin_nested():
            orphaned = self._session.execute(
                update(AlertDelivery)
                .where(
                    AlertDelivery.channel_id == row.id,
                    AlertDelivery.status == DeliveryStatus.PENDING.value,
                )
                .values(
                    status=DeliveryStatus.FAILED.value,
                    last_error="the channel was removed before this alert could be delivered",
                )
            )
            self._session.delete(row)
        return info, int(getattr(orphaned, "rowcount", 0) or 0)

    # --- rules -----------------------------------------------------------------------------

    def add_rule(
        self,
        name: str,
        *,
        kinds: Sequence[str],
        min_severity: Severity,
        tenants: Sequence[str] | None,
        channels: Sequence[str],
        dedupe_hours: float,
        quiet_hours: str | None,
        timezone: str,
    ) -> RuleInfo:
        name = normalize_name(name, what="rule")
        if self._session.scalars(select(AlertRule).where(AlertRule.name == name)).first():
            raise AlreadyExists(
                f"a rule named '{name}' already exists; remove it first or choose another name"
            )
        if not channels:
            raise InvalidInput(f"rule '{name}' needs at least one channel (--channel NAME)")
        channel_rows = [self._require_channel(c) for c in dict.fromkeys(channels)]
        row = AlertRule(
            name=name,
            kinds=list(dict.fromkeys(kinds)),
            min_severity=Severity(min_severity).value,
            tenants=None if tenants is None else list(dict.fromkeys(tenants)),
            dedupe_hours=float(dedupe_hours),
            quiet_hours=quiet_hours,
            timezone=timezone,
            created_at=self._now(),
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
                for channel in channel_rows:
                    self._session.add(AlertRuleChannel(rule_id=row.id, channel_id=channel.id))
        except IntegrityError:
            raise AlreadyExists(f"a rule named '{name}' was added concurrently") from None
        return self._rule_info(row)

    def rules(self) -> builtins.list[RuleInfo]:
        rows = self._session.scalars(select(AlertRule).order_by(AlertRule.name)).all()
        return [self._rule_info(row) for row in rows]

    def remove_rule(self, name: str) -> RuleInfo:
        key = name.strip().lower()
        row = self._session.scalars(select(AlertRule).where(AlertRule.name == key)).first()
        if row is None:
            raise NotFound(f"no alert rule '{name}'; `remit alerts rules list` shows the rules")
        info = self._rule_info(row)
        with self._session.begin_nested():
            self._session.execute(
                delete(AlertRuleChannel).where(AlertRuleChannel.rule_id == row.id)
            )
            self._session.delete(row)
        return info

    # --- alerts and the outbox -------------------------------------------------------------

    def add_alert(self, alert: Alert, *, data: Mapping[str, Any], now: datetime) -> int:
        """Store an alert as dispatched (``data``: its JSON-ready detail); returns its id."""
        tenant_pk = self._session.scalars(
            select(Tenant.id).where(Tenant.tenant_id == alert.tenant_id.lower())
        ).first()
        row = AlertRecord(
            tenant_pk=tenant_pk,
            tenant_id=alert.tenant_id,
            tenant_name=alert.tenant_name,
            kind=alert.kind,
            severity=Severity(alert.severity).value,
            title=alert.title,
            text=alert.text,
            dedupe_key=alert.dedupe_key,
            occurred_at=alert.occurred_at,
            created_at=now,
            data=dict(data),
            ticket_id=None,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def add_delivery(
        self,
        alert_id: int,
        channel: ChannelInfo,
        *,
        rules: Sequence[str],
        dedupe_key: str,
        due: datetime,
        held_until: datetime | None,
        now: datetime,
    ) -> int:
        row = AlertDelivery(
            uid=str(uuid.uuid4()),
            alert_id=alert_id,
            channel_id=channel.id,
            channel_name=channel.name,
            rules=list(rules),
            dedupe_key=dedupe_key,
            status=DeliveryStatus.PENDING.value,
            created_at=now,
            held_until=held_until,
            next_attempt_at=due,
            attempts=0,
            last_attempt_at=None,
            last_error=None,
            sent_at=None,
            ticket_id=None,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def routed_since(self, dedupe_key: str, channel: str, since: datetime) -> bool:
        """Whether an alert with this key went (or is going) to ``channel`` since ``since``.

        Failed deliveries do not count: the next alert with the key gets another chance.
        """
        found = self._session.scalars(
            select(AlertDelivery.id)
            .where(
                AlertDelivery.dedupe_key == dedupe_key,
                AlertDelivery.channel_name == channel,
                AlertDelivery.created_at >= since,
                AlertDelivery.status != DeliveryStatus.FAILED.value,
            )
            .limit(1)
        ).first()
        return found is not None

    def claim_due(
        self,
        now: datetime,
        *,
        lease: timedelta,
        limit: int,
        channel: str | None = None,
    ) -> builtins.list[DeliveryInfo]:
        """Take the deliveries due at ``now`` for an attempt: each becomes due again after
        ``lease`` unless the attempt's outcome is recorded first (a crashed sender loses nothing).

        On PostgreSQL concurrent senders skip each other's rows; SQLite serialises writers.
        """
        query = (
            self._deliveries()
            .where(
                AlertDelivery.status == DeliveryStatus.PENDING.value,
                AlertDelivery.next_attempt_at <= now,
            )
            .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=AlertDelivery)
        )
        if channel is not None:
            query = query.where(AlertDelivery.channel_name == channel)
        rows = self._session.execute(query).all()
        for delivery, _ in rows:
            delivery.next_attempt_at = now + lease
        self._session.flush()
        return [_delivery_info(delivery, alert) for delivery, alert in rows]

    def mark_sent(self, delivery_id: int, *, at: datetime, ticket_id: str | None) -> None:
        row = self._delivery_row(delivery_id)
        row.status = DeliveryStatus.SENT.value
        row.attempts += 1
        row.last_attempt_at = at
        row.sent_at = at
        row.last_error = None
        row.ticket_id = ticket_id
        if ticket_id is not None:
            alert = self._session.get(AlertRecord, row.alert_id)
            if alert is not None and alert.ticket_id is None:
                alert.ticket_id = ticket_id
        self._session.flush()

    def mark_retry(
        self, delivery_id: int, *, at: datetime, next_attempt_at: datetime, error: str
    ) -> None:
        row = self._delivery_row(delivery_id)
        row.attempts += 1
        row.last_attempt_at = at
        row.last_error = error[:ERROR_LENGTH]
        row.next_attempt_at = next_attempt_at
        self._session.flush()

    def mark_failed(self, delivery_id: int, *, at: datetime, error: str, attempted: bool) -> None:
        row = self._delivery_row(delivery_id)
        row.status = DeliveryStatus.FAILED.value
        if attempted:
            row.attempts += 1
            row.last_attempt_at = at
        row.last_error = error[:ERROR_LENGTH]
        self._session.flush()

    def release(self, delivery_id: int, *, next_attempt_at: datetime) -> None:
        """Give a claimed delivery back without an attempt (its channel was failing)."""
        row = self._delivery_row(delivery_id)
        row.next_attempt_at = next_attempt_at
        self._session.flush()

    def deliveries(
        self,
        *,
        status: DeliveryStatus | None = None,
        tenant_id: str | None = None,
        limit: int = 100,
    ) -> builtins.list[DeliveryInfo]:
        """Deliveries, newest first."""
        query = self._deliveries().order_by(AlertDelivery.id.desc()).limit(limit)
        if status is not None:
            query = query.where(AlertDelivery.status == status.value)
        if tenant_id is not None:
            query = query.where(AlertRecord.tenant_id == tenant_id)
        return [_delivery_info(d, a) for d, a in self._session.execute(query).all()]

    def delivery(self, delivery_id: int) -> DeliveryInfo:
        found = self._session.execute(
            self._deliveries().where(AlertDelivery.id == delivery_id)
        ).first()
        if found is None:
            raise NotFound(f"no alert delivery {delivery_id}; `remit alerts list` shows them")
        return _delivery_info(*found)

    def requeue(self, delivery_ids: Sequence[int] | None, *, now: datetime) -> int:
        """Make failed deliveries pending again, due now, with their attempts reset.

        ``None`` requeues every failed delivery whose channel still exists.
        """
        query = update(AlertDelivery).where(
            AlertDelivery.status == DeliveryStatus.FAILED.value,
            AlertDelivery.channel_id.is_not(None),
        )
        if delivery_ids is not None:
            for delivery_id in delivery_ids:
                info = self.delivery(delivery_id)
                if info.status is not DeliveryStatus.FAILED:
                    raise InvalidInput(
                        f"delivery {delivery_id} is {info.status.value}, not failed; only failed "
                        "deliveries are retried by hand"
                    )
                if self._delivery_row(delivery_id).channel_id is None:
                    raise InvalidInput(
                        f"delivery {delivery_id} went to channel '{info.channel}', which was "
                        "removed; it cannot be retried"
                    )
            query = query.where(AlertDelivery.id.in_(list(delivery_ids)))
        result = self._session.execute(
            query.values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- helpers ---------------------------------------------------------------------------

    def _deliveries(self) -> Select[AlertDelivery, AlertRecord]:
        return select(AlertDelivery, AlertRecord).join(
            AlertRecord, AlertRecord.id == AlertDelivery.alert_id
        )

    def _channel_row(self, name: str) -> AlertChannel | None:
        return self._session.scalars(
            select(AlertChannel).where(AlertChannel.name == name.strip().lower())
        ).first()

    def _require_channel(self, name: str) -> AlertChannel:
        row = self._channel_row(name)
        if row is None:
            raise NotFound(
                f"no alert channel '{name}'; `remit alerts channels list` shows the channels"
            )
        return row

    def _delivery_row(self, delivery_id: int) -> AlertDelivery:
        row = self._session.get(AlertDelivery, delivery_id)
        if row is None:
            raise NotFound(f"alert delivery {delivery_id} is no longer in this workspace")
        return row

    def _rule_info(self, row: AlertRule) -> RuleInfo:
        channels = self._session.scalars(
            select(AlertChannel.name)
            .join(AlertRuleChannel, AlertRuleChannel.channel_id == AlertChannel.id)
            .where(AlertRuleChannel.rule_id == row.id)
            .order_by(AlertChannel.name)
        ).all()
        return RuleInfo(
            id=row.id,
            name=row.name,
            kinds=tuple(row.kinds),
            min_severity=Severity(row.min_severity),
            tenants=None if row.tenants is None else tuple(row.tenants),
            channels=tuple(channels),
            dedupe_hours=row.dedupe_hours,
            quiet_hours=row.quiet_hours,
            timezone=row.timezone,
            created_at=row.created_at,
        )


def _channel_info(row: AlertChannel) -> ChannelInfo:
    return ChannelInfo(
        id=row.id,
        name=row.name,
        type=row.type,
        config=dict(row.config),
        secret_fingerprint=row.secret_fingerprint,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _alert_info(row: AlertRecord) -> StoredAlert:
    return StoredAlert(
        id=row.id,
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        kind=row.kind,
        severity=Severity(row.severity),
        title=row.title,
        text=row.text,
        dedupe_key=row.dedupe_key,
        occurred_at=row.occurred_at,
        created_at=row.created_at,
        data=dict(row.data),
        ticket_id=row.ticket_id,
    )


def _delivery_info(row: AlertDelivery, alert: AlertRecord) -> DeliveryInfo:
    return DeliveryInfo(
        id=row.id,
        uid=row.uid,
        channel=row.channel_name,
        status=DeliveryStatus(row.status),
        rules=tuple(row.rules),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        held_until=row.held_until,
        attempts=row.attempts,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        ticket_id=row.ticket_id,
        alert=_alert_info(alert),
    )
