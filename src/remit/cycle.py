"""One monitoring cycle over tenants: collect → assess → drift and changes → alerts.

This is what a schedule runs (``remit watch``, cron, the demo): each step is a use case of its
own and stores its results; this module only chains them and reports what happened. Drift
findings are raised as alerts on every cycle; the alert rules' de-duplication window keeps a
finding that persists from being sent again and again. Change events are alerted when they are
new, except on a tenant's first check, which only records the audit log's recent past.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from remit.alerts import DeliveryReport, DispatchReport, deliver, dispatch
from remit.assessment.service import AssessmentReport, assess_tenants
from remit.domain import Alert
from remit.inventory.service import Progress, TenantRef
from remit.monitoring.alerts import alerts_for
from remit.monitoring.drift import DriftReport, check_drift
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class CycleReport:
    started_at: datetime
    finished_at: datetime
    assessments: tuple[AssessmentReport, ...]
    drift: tuple[DriftReport, ...]
    alerts: tuple[Alert, ...]
    dispatched: DispatchReport
    delivered: DeliveryReport


async def run_cycle(
    workspace: Workspace,
    tenants: Sequence[TenantRef],
    *,
    max_age: timedelta = timedelta(0),
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CycleReport:
    """Collect (snapshots older than ``max_age``), assess, check drift, raise and send alerts."""
    started = now()
    assessments = await assess_tenants(workspace, tenants, max_age=max_age, progress=progress)
    drift = await asyncio.to_thread(check_drift, workspace, list(tenants), now=now)
    alerts: list[Alert] = []
    for report in drift:
        # A tenant's first check records the audit log's recent past as events: history, not
        # news, so it is stored but not alerted on.
        events = () if report.first_check else report.new_events
        alerts += alerts_for(report.findings, events, report.tenant, now=now())
    dispatched = await asyncio.to_thread(dispatch, workspace, alerts, now=now())
    delivered = await deliver(workspace, now=now())
    return CycleReport(
        started_at=started,
        finished_at=now(),
        assessments=tuple(assessments),
        drift=tuple(drift),
        alerts=tuple(alerts),
        dispatched=dispatched,
        delivered=delivered,
    )
