"""Dispatch: decide where each alert goes and write it to the outbox, in one transaction.

:func:`dispatch` evaluates the workspace's rules for every alert: kind pattern, minimum severity
and tenant scope pick the channels; the de-duplication window drops an alert whose key already
went to that channel recently; quiet hours hold non-critical alerts until the window ends. What
is left becomes one outbox row per (alert, channel), written together with the alerts, so either
all of a dispatch is stored or none of it. Nothing is sent here: :func:`remit.alerts.delivery.
deliver` sends what is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from remit.alerts.payload import json_ready
from remit.alerts.rules import route
from remit.domain import Alert, Severity
from remit.errors import InvalidInput
from remit.store.alerts import AlertStore
from remit.store.models import GUID_LENGTH
from remit.store.models_alerts import DEDUPE_KEY_LENGTH, KIND_LENGTH
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Queued:
    delivery_id: int
    alert_title: str
    tenant_name: str
    channel: str
    due: datetime
    held_until: datetime | None  # set when quiet hours hold it


@dataclass(frozen=True, slots=True)
class DispatchReport:
    alerts: int  # how many were given
    queued: tuple[Queued, ...] = ()  # outbox rows written (held ones included)
    duplicates: int = 0  # (alert, channel) pairs dropped by a de-duplication window
    unrouted: int = 0  # alerts that no rule matched
    stored_alerts: int = 0  # alerts written (those with at least one delivery)

    @property
    def held(self) -> int:
        return sum(1 for q in self.queued if q.held_until is not None)


@dataclass
class _Tally:
    queued: list[Queued] = field(default_factory=list)
    duplicates: int = 0
    unrouted: int = 0
    stored: int = 0


def check_alert(alert: Alert) -> None:
    """Refuse an alert the outbox cannot store faithfully (the whole dispatch is refused)."""
    problems = []
    if not isinstance(alert.severity, Severity):
        try:
            Severity(alert.severity)
        except ValueError:
            problems.append(f"severity {alert.severity!r} is not one of the known severities")
    if alert.occurred_at.tzinfo is None or alert.occurred_at.utcoffset() is None:
        problems.append("occurred_at has no time zone")
    if not alert.kind or len(alert.kind) > KIND_LENGTH:
        problems.append(f"kind must be 1 to {KIND_LENGTH} characters")
    if not alert.dedupe_key or len(alert.dedupe_key) > DEDUPE_KEY_LENGTH:
        problems.append(f"dedupe_key must be 1 to {DEDUPE_KEY_LENGTH} characters")
    if len(alert.tenant_id) > GUID_LENGTH:
        problems.append(f"tenant_id is longer than {GUID_LENGTH} characters")
    if problems:
        raise InvalidInput(f"alert '{alert.title}' cannot be dispatched: {'; '.join(problems)}")


def dispatch(
    workspace: Workspace, alerts: Sequence[Alert], *, now: datetime | None = None
) -> DispatchReport:
    """Route ``alerts`` by the rules and write their outbox rows, all in one transaction."""
    moment = now or datetime.now(UTC)
    for alert in alerts:
        check_alert(alert)
    tally = _Tally()
    with workspace.session() as session:
        store = AlertStore(session, workspace.secrets)
        rules = store.rules()
        channels = {c.name: c for c in store.channels()}
        for alert in alerts:
            routes = route(rules, alert, moment)
            if not routes:
                tally.unrouted += 1
                continue
            fresh = [
                r
                for r in routes.values()
                if r.dedupe_hours <= 0
                or not store.routed_since(
                    alert.dedupe_key, r.channel, moment - timedelta(hours=r.dedupe_hours)
                )
            ]
            tally.duplicates += len(routes) - len(fresh)
            if not fresh:
                continue
            alert_id = store.add_alert(alert, data=json_ready(alert.data), now=moment)
            tally.stored += 1
            for r in fresh:
                delivery_id = store.add_delivery(
                    alert_id,
                    channels[r.channel],
                    rules=r.rules,
                    dedupe_key=alert.dedupe_key,
                    due=r.due,
                    held_until=r.held_until,
                    now=moment,
                )
                tally.queued.append(
                    Queued(
                        delivery_id, alert.title, alert.tenant_name, r.channel, r.due, r.held_until
                    )
                )
    return DispatchReport(
        alerts=len(alerts),
        queued=tuple(tally.queued),
        duplicates=tally.duplicates,
        unrouted=tally.unrouted,
        stored_alerts=tally.stored,
    )
