"""Change events and drift checks of one tenant.

:meth:`EventRepository.record` keeps each change once: a change whose ``key`` is stored
already is skipped, and so is a snapshot-diff change when a stored event with the same
``match`` falls in its window (the same change, seen before). An audit-log change that
explains a stored snapshot-diff event (same ``match``, inside its window) takes that event's
place, keeping its id and ticket: the event now says who made the change and exactly when.

Like the other repositories, both classes are bound to one tenant and every statement they
issue filters by that tenant.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from remit.domain import ChangeEvent, ChangeKind, DriftFinding, DriftRule, Resource, Severity
from remit.errors import InvalidInput, NotFound
from remit.governance.changes import AUDIT_LOG, CLOCK_SKEW, SNAPSHOT_DIFF, Change
from remit.store.models import Tenant
from remit.store.models_drift import TICKET_LENGTH, ChangeEventRow, DriftCheckRow
from remit.store.tenants import TenantInfo

_CHUNK = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A change event as stored: its number (``id``), the event, and who explained it."""

    id: int
    event: ChangeEvent
    severity: Severity
    role: str
    recorded_at: datetime
    explained_by: str | None = None
    explained_at: datetime | None = None
    note: str = ""

    @property
    def explained(self) -> bool:
        return self.event.ticket is not None

    def change(self) -> Change:
        """The event as :mod:`remit.governance.events` makes them (for alerts)."""
        return Change(self.event, "", self.severity, role=self.role)


def locate_event(session: Session, event_id: int) -> str:
    """The tenant id (GUID) of the tenant that owns event ``event_id``."""
    tenant_id = session.scalars(
        select(Tenant.tenant_id)
        .join(ChangeEventRow, ChangeEventRow.tenant_pk == Tenant.id)
        .where(ChangeEventRow.id == event_id)
    ).first()
    if tenant_id is None:
        raise NotFound(
            f"there is no change event {event_id}; `remit drift events -t TENANT` lists them"
        )
    return tenant_id


class EventRepository:
    """The change events of one tenant, in one session. The caller commits."""

    def __init__(
        self, session: Session, tenant: TenantInfo, *, now: Callable[[], datetime] = _utcnow
    ) -> None:
        self._session = session
        self._tenant_pk = tenant.pk
        self._tenant_id = tenant.tenant_id
        self._tenant_name = tenant.name
        self._now = now

    def _events(self) -> Select[ChangeEventRow]:
        return select(ChangeEventRow).where(ChangeEventRow.tenant_pk == self._tenant_pk)

    # --- writing ---------------------------------------------------------------------------

    def record(self, changes: Sequence[Change]) -> list[StoredEvent]:
        """Store the changes not stored yet (see the module); return them, oldest first.

        An audit-log change that upgrades a stored snapshot-diff event is not returned: that
        change was new when the diff saw it. One savepoint: every change is stored, or none is.
        """
        recorded = self._now()
        known = self._existing_keys(c.event.key for c in changes)
        by_match = self._rows_by_match({c.match for c in changes if c.event.key not in known})
        new_rows: list[ChangeEventRow] = []
        with self._session.begin_nested():
            for change in sorted(changes, key=lambda c: (c.event.occurred_at, c.event.key)):
                if change.event.key in known:
                    continue
                known.add(change.event.key)
                same = by_match.get(change.match, [])
                if change.event.source == SNAPSHOT_DIFF:
                    if any(_explains(row.occurred_at, change) for row in same):
                        continue
                elif self._upgrade(same, change) is not None:
                    continue  # known already (and reported when it was stored): not new
                row = self._new_row(change, recorded)
                by_match.setdefault(change.match, []).append(row)
                new_rows.append(row)
            self._session.flush()
        return [self._stored(row) for row in new_rows]

    def _existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.update(
                self._session.scalars(
                    select(ChangeEventRow.key).where(
                        ChangeEventRow.tenant_pk == self._tenant_pk, ChangeEventRow.key.in_(chunk)
                    )
                )
            )
        return found

    def _rows_by_match(self, matches: set[str]) -> dict[str, builtins.list[ChangeEventRow]]:
        wanted = sorted(matches)
        out: dict[str, builtins.list[ChangeEventRow]] = {}
        for start in range(0, len(wanted), _CHUNK):
            rows = self._session.scalars(
                self._events().where(ChangeEventRow.match.in_(wanted[start : start + _CHUNK]))
            )
            for row in rows:
                out.setdefault(row.match, []).append(row)
        return out

    def _upgrade(self, same: Sequence[ChangeEventRow], change: Change) -> ChangeEventRow | None:
        """The stored diff event ``change`` explains, rewritten as the audit-log event."""
        for row in same:
            if row.source != SNAPSHOT_DIFF:
                continue
            if not _in_window(change.event.occurred_at, row.window_start, row.occurred_at):
                continue
            event = change.event
            row.key = event.key
            row.source = AUDIT_LOG
            row.kind = event.kind.value
            row.occurred_at = event.occurred_at
            row.window_start = None
            row.actor = event.actor
            row.details = event.details
            row.severity = change.severity.value
            row.role = change.role or row.role
            return row
        return None

    def _new_row(self, change: Change, recorded: datetime) -> ChangeEventRow:
        event = change.event
        row = ChangeEventRow(
            tenant_pk=self._tenant_pk,
            key=event.key,
            match=change.match,
            kind=event.kind.value,
            source=event.source,
            severity=change.severity.value,
            occurred_at=event.occurred_at,
            window_start=change.window_start,
            recorded_at=recorded,
            actor=event.actor,
            target_type=event.target.type,
            target_id=event.target.id,
            target_name=event.target.name,
            role=change.role,
            details=event.details,
            ticket=event.ticket,
            note="",
        )
        self._session.add(row)
        return row

    def explain(self, event_id: int, ticket: str, *, by: str, note: str = "") -> StoredEvent:
        """Link event ``event_id`` to a change ticket: it is explained from now on."""
        ticket = ticket.strip()
        if not ticket or len(ticket) > TICKET_LENGTH:
            raise InvalidInput(
                f"ticket {ticket!r}: give the ticket id (1 to {TICKET_LENGTH} characters)"
            )
        row = self._row(event_id)
        row.ticket = ticket
        row.explained_by = by
        row.explained_at = self._now()
        row.note = note
        self._session.flush()
        return self._stored(row)

    # --- reading ---------------------------------------------------------------------------

    def get(self, event_id: int) -> StoredEvent:
        return self._stored(self._row(event_id))

    def by_key(self, key: str) -> StoredEvent:
        row = self._session.scalars(self._events().where(ChangeEventRow.key == key)).first()
        if row is None:
            raise NotFound(
                f"tenant {self._tenant_name} has no change event with key {key!r}; "
                f"`remit drift events -t {self._tenant_name}` lists them"
            )
        return self._stored(row)

    def list(
        self,
        *,
        unexplained: bool = False,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[StoredEvent]:
        """Events, newest first; only those without a ticket when ``unexplained``."""
        query = self._events()
        if unexplained:
            query = query.where(ChangeEventRow.ticket.is_(None))
        if since is not None:
            query = query.where(ChangeEventRow.occurred_at >= since)
        query = query.order_by(ChangeEventRow.occurred_at.desc(), ChangeEventRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [self._stored(row) for row in self._session.scalars(query)]

    def _row(self, event_id: int) -> ChangeEventRow:
        row = self._session.scalars(self._events().where(ChangeEventRow.id == event_id)).first()
        if row is None:
            raise NotFound(
                f"tenant {self._tenant_name} has no change event {event_id}; "
                f"`remit drift events -t {self._tenant_name}` lists them"
            )
        return row

    def _stored(self, row: ChangeEventRow) -> StoredEvent:
        event = ChangeEvent(
            key=row.key,
            tenant_id=self._tenant_id,
            kind=ChangeKind(row.kind),
            occurred_at=row.occurred_at,
            actor=row.actor,
            target=Resource(row.target_type, row.target_id, row.target_name),
            details=row.details,
            source=row.source,
            ticket=row.ticket,
        )
        return StoredEvent(
            id=row.id,
            event=event,
            severity=Severity(row.severity),
            role=row.role,
            recorded_at=row.recorded_at,
            explained_by=row.explained_by,
            explained_at=row.explained_at,
            note=row.note,
        )


def _in_window(moment: datetime, start: datetime | None, end: datetime) -> bool:
    if moment > end + CLOCK_SKEW:
        return False
    return start is None or moment >= start - CLOCK_SKEW


def _explains(stored_at: datetime, change: Change) -> bool:
    """Whether a stored event at ``stored_at`` is the diff ``change`` (inside its window)."""
    return _in_window(stored_at, change.window_start, change.event.occurred_at)


# --- drift checks --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DriftCheckInfo:
    id: int
    tenant_id: str
    snapshot_id: int
    base_snapshot_id: int | None
    checked_at: datetime
    findings: tuple[DriftFinding, ...]
    new_events: int


class DriftCheckRepository:
    """The drift checks of one tenant, in one session. The caller commits."""

    def __init__(self, session: Session, tenant: TenantInfo) -> None:
        self._session = session
        self._tenant_pk = tenant.pk
        self._tenant_id = tenant.tenant_id

    def save(
        self,
        findings: Sequence[DriftFinding],
        *,
        snapshot_id: int,
        base_snapshot_id: int | None,
        checked_at: datetime,
        new_events: int,
    ) -> DriftCheckInfo:
        row = DriftCheckRow(
            tenant_pk=self._tenant_pk,
            snapshot_id=snapshot_id,
            base_snapshot_id=base_snapshot_id,
            checked_at=checked_at,
            findings=[finding_json(f) for f in findings],
            new_events=new_events,
        )
        self._session.add(row)
        self._session.flush()
        return self._info(row)

    def latest(self) -> DriftCheckInfo | None:
        row = self._session.scalars(
            select(DriftCheckRow)
            .where(DriftCheckRow.tenant_pk == self._tenant_pk)
            .order_by(DriftCheckRow.checked_at.desc(), DriftCheckRow.id.desc())
            .limit(1)
        ).first()
        return None if row is None else self._info(row)

    def _info(self, row: DriftCheckRow) -> DriftCheckInfo:
        return DriftCheckInfo(
            id=row.id,
            tenant_id=self._tenant_id,
            snapshot_id=row.snapshot_id,
            base_snapshot_id=row.base_snapshot_id,
            checked_at=row.checked_at,
            findings=tuple(finding_from_json(self._tenant_id, f) for f in row.findings),
            new_events=row.new_events,
        )


def finding_json(finding: DriftFinding) -> dict[str, Any]:
    """A drift finding as plain JSON (the stored form, and ``--json`` output)."""
    return {
        "rule": finding.rule.value,
        "severity": finding.severity.value,
        "principal": {
            "type": finding.principal.type,
            "id": finding.principal.id,
            "name": finding.principal.name,
        },
        "role": finding.role,
        "since": finding.since.isoformat() if finding.since else None,
        "details": finding.details,
    }


def finding_from_json(tenant_id: str, data: dict[str, Any]) -> DriftFinding:
    principal = data.get("principal") or {}
    since = data.get("since")
    return DriftFinding(
        rule=DriftRule(data["rule"]),
        tenant_id=tenant_id,
        principal=Resource(
            str(principal.get("type", "")),
            str(principal.get("id", "")),
            str(principal.get("name", "")),
        ),
        role=str(data.get("role", "")),
        since=datetime.fromisoformat(since) if isinstance(since, str) else None,
        details=str(data.get("details", "")),
        severity=Severity(data["severity"]),
    )
