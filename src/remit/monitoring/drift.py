"""Check tenants for drift: approved access against the latest snapshot, and what changed.

For each tenant, :func:`check_drift` takes the newest usable snapshot, judges it against the
tenant's effective control map (:func:`remit.governance.drift.approval_drift`), and detects the
changes since the snapshot the previous check judged (or, the first time, since the snapshot
before; :func:`remit.governance.events.detect_changes`). The new change events and a record of
the check are stored in one transaction. Nothing is collected here: collect first (``remit
inventory collect``, or the cycle that runs collect → assess → drift).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from remit.domain import CollectionStatus, DriftFinding, SnapshotInfo
from remit.errors import NotFound, RemitError
from remit.governance.drift import approval_drift
from remit.governance.events import detect_changes
from remit.governance.model import ControlMapDoc
from remit.governance.principals import AUDITS
from remit.monitoring.maps import MapSource, effective_map
from remit.monitoring.tenants import NamedTenant, TenantName, resolve
from remit.posture.data import MissingData, TenantData
from remit.store.events import DriftCheckRepository, EventRepository, StoredEvent
from remit.store.snapshots import SnapshotRepository
from remit.workspace import Workspace

_USABLE = (CollectionStatus.COMPLETE, CollectionStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class DriftReport:
    """One tenant's drift check: the findings now, and the change events not seen before."""

    tenant: TenantName
    checked_at: datetime
    snapshot_id: int | None = None
    snapshot_taken_at: datetime | None = None
    base_snapshot_id: int | None = None  # the snapshot changes were detected against
    findings: tuple[DriftFinding, ...] = ()
    new_events: tuple[StoredEvent, ...] = ()
    warnings: tuple[str, ...] = field(default=())  # what the check could not see, and why
    error: str = ""  # why the tenant could not be checked
    # The tenant's first check: its new events are the audit log's last days, not news.
    first_check: bool = False


def check_drift(
    workspace: Workspace,
    tenants: Sequence[str | NamedTenant] | None,
    *,
    maps: MapSource = effective_map,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[DriftReport]:
    """Check every tenant of ``tenants`` (all when None), in order; store new events."""
    return [_check_one(workspace, tenant, maps, now()) for tenant in resolve(workspace, tenants)]


@dataclass(frozen=True, slots=True)
class _Inputs:
    latest: SnapshotInfo
    payloads: dict[str, Any]
    base: SnapshotInfo | None
    base_payloads: dict[str, Any] | None


def _check_one(
    workspace: Workspace, tenant: TenantName, maps: MapSource, now: datetime
) -> DriftReport:
    inputs = _load(workspace, tenant)
    if inputs is None:
        return DriftReport(
            tenant,
            now,
            error="no usable snapshot; collect one with `remit inventory collect`",
        )
    latest = inputs.latest
    try:
        approved: ControlMapDoc = maps(workspace, tenant.tenant_id)
    except RemitError as exc:  # this tenant's map cannot be read: say so, check the others
        return DriftReport(tenant, now, latest.id, latest.finished_at, error=str(exc))
    data = TenantData(inputs.payloads, latest.endpoints, now=latest.finished_at)
    before = (
        TenantData(inputs.base_payloads, inputs.base.endpoints, now=inputs.base.finished_at)
        if inputs.base is not None and inputs.base_payloads is not None
        else None
    )
    try:
        findings = approval_drift(data, approved, now, tenant_id=tenant.tenant_id)
    except MissingData as exc:
        return DriftReport(
            tenant,
            now,
            latest.id,
            latest.finished_at,
            error=f"cannot check approved access: {exc.cause}",
        )
    changes = detect_changes(data, before, tenant_id=tenant.tenant_id)
    warnings: list[str] = []
    if not data.has(AUDITS):
        warnings.append(
            f"who made changes is unknown ({data.cause(AUDITS)}); changes come from comparing "
            "snapshots only"
        )
    if before is None:
        warnings.append(
            "first check: there is no earlier snapshot to compare with, so only the audit log "
            "shows changes"
        )
    with workspace.session() as session:
        info = workspace.tenants(session).get(tenant.tenant_id)
        checks = DriftCheckRepository(session, info)
        first = checks.latest() is None
        new = EventRepository(session, info, now=lambda: now).record(changes)
        checks.save(
            findings,
            snapshot_id=latest.id,
            base_snapshot_id=inputs.base.id if inputs.base else None,
            checked_at=now,
            new_events=len(new),
        )
    return DriftReport(
        tenant=tenant,
        checked_at=now,
        snapshot_id=latest.id,
        snapshot_taken_at=latest.finished_at,
        base_snapshot_id=inputs.base.id if inputs.base else None,
        findings=tuple(findings),
        new_events=tuple(new),
        warnings=tuple(warnings),
        first_check=first,
    )


def _load(workspace: Workspace, tenant: TenantName) -> _Inputs | None:
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant.tenant_id)
        snapshots = workspace.snapshots(session, info)
        latest = snapshots.latest_usable()
        if latest is None:
            return None
        base = _base(snapshots, DriftCheckRepository(session, info), latest)
        return _Inputs(
            latest=latest,
            payloads=snapshots.load(latest.id),
            base=base,
            base_payloads=snapshots.load(base.id) if base is not None else None,
        )


def _base(
    snapshots: SnapshotRepository, checks: DriftCheckRepository, latest: SnapshotInfo
) -> SnapshotInfo | None:
    """What ``latest`` is compared with: the snapshot the last check judged (so no change is
    missed between checks); when that is ``latest`` itself, what it was compared with then (so
    checking again finds the same changes); else the usable snapshot just before ``latest``."""
    last = checks.latest()
    wanted: int | None = None
    if last is not None:
        wanted = last.snapshot_id if last.snapshot_id != latest.id else last.base_snapshot_id
    if wanted is not None:
        try:
            found = snapshots.get(wanted)
        except NotFound:  # pruned since: fall back to the one before
            found = None
        if found is not None and found.finished_at < latest.finished_at:
            return found
    for candidate in snapshots.list(limit=50, statuses=_USABLE):
        if candidate.id != latest.id and candidate.finished_at < latest.finished_at:
            return candidate
    return None
