"""Alerts for drift findings and change events (delivered by :mod:`remit.alerts`).

Kinds are ``drift.<rule>`` (``drift.unapproved-privileged``) and ``change.<kind>``
(``change.role-added``). De-duplication keys are stable: per tenant, rule, principal and role
for a finding, so the same standing drift is one alert within a rule's window; per event key
for a change, so a change is alerted once however often it is seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from remit.domain import Alert, ChangeEvent, DriftFinding, Severity
from remit.governance.changes import Change, change_severity
from remit.monitoring.tenants import NamedTenant
from remit.store.events import StoredEvent

_RULE_TITLES = {
    "unapproved-privileged": "Unapproved {role}",
    "approval-expired": "Expired approval for {role}",
    "active-where-eligible": "Permanent {role} where only eligible was approved",
    "emergency-accounts": "Emergency accounts",
    "contractor-ended": "Contractor past end date holds {role}",
}
_KIND_TITLES = {
    "role-added": "Role added",
    "role-removed": "Role removed",
    "mfa-removed": "MFA removed from an admin",
    "ca-created": "Conditional access policy created",
    "ca-changed": "Conditional access policy changed",
    "ca-disabled": "Conditional access policy disabled",
    "ca-deleted": "Conditional access policy deleted",
    "security-defaults-toggled": "Security defaults toggled",
    "app-credential-added": "New application credential",
}


def alerts_for(
    findings: Sequence[DriftFinding],
    events: Sequence[Change | StoredEvent | ChangeEvent],
    tenant: NamedTenant,
    *,
    now: datetime | None = None,
) -> list[Alert]:
    """One alert per finding and per change event, findings first.

    ``events`` are what :func:`remit.monitoring.drift.check_drift` returns as new
    (:class:`~remit.store.events.StoredEvent`), or changes straight from
    :mod:`remit.governance.events`; a bare :class:`ChangeEvent` gets its kind's severity.
    """
    moment = now or datetime.now(UTC)
    alerts = [_finding_alert(f, tenant, moment) for f in findings]
    alerts += [_event_alert(_as_change(e), tenant) for e in events]
    return alerts


def finding_dedupe_key(finding: DriftFinding, tenant_id: str) -> str:
    return f"{tenant_id}:drift.{finding.rule.value}:{finding.principal.id}:{finding.role}"


def _finding_alert(finding: DriftFinding, tenant: NamedTenant, now: datetime) -> Alert:
    who = finding.principal.name or finding.principal.id
    title = _RULE_TITLES[finding.rule.value].format(role=finding.role or "role")
    if finding.principal.type != "tenant":
        title += f": {who}"
    else:  # about the tenant as a whole: the first clause of the details says what
        title += f": {finding.details.split(';')[0]}"
    since = f"\nSince: {finding.since:%Y-%m-%d %H:%M} UTC" if finding.since else ""
    return Alert(
        kind=f"drift.{finding.rule.value}",
        severity=finding.severity,
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.name,
        title=title,
        text=f"{finding.details}.{since}\nTenant: {tenant.name}",
        dedupe_key=finding_dedupe_key(finding, tenant.tenant_id),
        occurred_at=now,
        data={
            "rule": finding.rule.value,
            "principal": {
                "type": finding.principal.type,
                "id": finding.principal.id,
                "name": finding.principal.name,
            },
            "role": finding.role,
            "since": finding.since.isoformat() if finding.since else None,
        },
    )


def _as_change(event: Change | StoredEvent | ChangeEvent) -> Change:
    if isinstance(event, Change):
        return event
    if isinstance(event, StoredEvent):
        return event.change()
    return Change(event, "", change_severity(event.kind))


def _event_alert(change: Change, tenant: NamedTenant) -> Alert:
    event = change.event
    who = event.actor or "someone (seen by comparing snapshots; the audit log did not say who)"
    when = f"{event.occurred_at:%Y-%m-%d %H:%M} UTC"
    ticket = f"\nTicket: {event.ticket}" if event.ticket else "\nNo change ticket explains it yet."
    return Alert(
        kind=f"change.{event.kind.value}",
        severity=Severity(change.severity),
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.name,
        title=f"{_KIND_TITLES[event.kind.value]}: {event.target.name or event.target.id}",
        text=f"{event.details}.\nBy: {who}\nWhen: {when}{ticket}\nTenant: {tenant.name}",
        dedupe_key=f"{tenant.tenant_id}:change:{event.key}",
        occurred_at=event.occurred_at,
        data={
            "key": event.key,
            "kind": event.kind.value,
            "actor": event.actor,
            "target": {
                "type": event.target.type,
                "id": event.target.id,
                "name": event.target.name,
            },
            "role": change.role,
            "source": event.source,
            "ticket": event.ticket,
        },
    )
