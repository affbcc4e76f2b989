"""Change events: what changed in a tenant, from the directory audit log and from snapshot diffs.

Two sources see changes:

- ``auditLogs/directoryAudits`` (:mod:`.events_audit`) knows who did it and exactly when, but
  needs ``AuditLog.Read.All``, keeps only a few days in a snapshot, and some collections miss it;
- comparing two snapshots (:mod:`.events_diff`) sees every change to what a snapshot holds,
  but not who made it, and only that it happened between the two snapshots.

:func:`detect_changes` runs both and de-duplicates: a diff change is dropped when an audit-log
change with the same ``match`` happened inside the diff's window (the audit-log one knows who).
Every :class:`Change` has a stable ``event.key`` (the audit record id, or the match and the time
of the later snapshot), so detecting again over the same snapshots yields the same keys and the
store keeps each change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from remit.domain import ChangeKind
from remit.governance.changes import (
    AUDIT_LOG,
    CLOCK_SKEW,
    SNAPSHOT_DIFF,
    Change,
    change_severity,
)
from remit.governance.events_audit import audit_changes
from remit.governance.events_diff import snapshot_changes
from remit.posture.data import TenantData

__all__ = [
    "AUDIT_LOG",
    "SNAPSHOT_DIFF",
    "Change",
    "audit_changes",
    "change_severity",
    "detect_changes",
    "in_window",
    "merge",
    "snapshot_changes",
]


def in_window(moment: datetime, start: datetime | None, end: datetime) -> bool:
    """Whether ``moment`` lies in the diff window (start, end], give or take the clock skew."""
    if moment > end + CLOCK_SKEW:
        return False
    return start is None or moment >= start - CLOCK_SKEW


def merge(audit: Sequence[Change], diff: Sequence[Change]) -> list[Change]:
    """Audit-log changes, plus the diff changes no audit-log change explains; oldest first.

    When a diff shows a conditional-access policy disabled and the audit record only says it
    was updated, the audit-log change takes the more specific kind.
    """
    kept = list(audit)
    extra: list[Change] = []
    for change in diff:
        index = _explained_by(kept, change)
        if index is None:
            extra.append(change)
            continue
        found = kept[index]
        if (
            found.event.kind is ChangeKind.CA_CHANGED
            and change.event.kind is ChangeKind.CA_DISABLED
        ):
            kept[index] = replace(
                found,
                event=replace(
                    found.event,
                    kind=ChangeKind.CA_DISABLED,
                    details=f"{found.event.details}; {change.event.details}",
                ),
                severity=change.severity,
            )
    return sorted([*kept, *extra], key=lambda c: (c.event.occurred_at, c.event.key))


def _explained_by(audit: Sequence[Change], diff: Change) -> int | None:
    for index, candidate in enumerate(audit):
        if candidate.match == diff.match and in_window(
            candidate.event.occurred_at, diff.window_start, diff.event.occurred_at
        ):
            return index
    return None


def detect_changes(after: TenantData, before: TenantData | None, *, tenant_id: str) -> list[Change]:
    """Changes seen in ``after``'s audit log and, when ``before`` is given, between the two.

    The snapshots' ``now`` must be the times they were taken: a diff change is dated at
    ``after.now`` and its window starts at ``before.now``.
    """
    audit = audit_changes(after, tenant_id=tenant_id)
    diff = snapshot_changes(before, after, tenant_id=tenant_id) if before is not None else []
    return merge(audit, diff)
