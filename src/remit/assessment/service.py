"""Assess tenants: make sure each has a fresh snapshot, evaluate it, store the run.

A tenant whose newest usable snapshot is older than ``max_age`` (or that has none) is collected
first; then every tenant's newest usable snapshot is evaluated against the catalogue, as of the
time that snapshot was taken, and the run is stored with its findings and score.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from remit.domain import Finding, SnapshotInfo
from remit.inventory.service import (
    ClientFactory,
    CollectionReport,
    Progress,
    TenantRef,
    collect_tenants,
)
from remit.posture.catalog import Catalog, default_catalog
from remit.posture.data import TenantData
from remit.posture.engine import evaluate
from remit.posture.score import Score, score
from remit.workspace import Workspace

DEFAULT_MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AssessmentReport:
    """One tenant's assessment, as stored."""

    tenant: TenantRef
    run_id: int | None  # None when the tenant had no usable snapshot to assess
    snapshot_id: int | None
    snapshot_taken_at: datetime | None
    evaluated_at: datetime
    score: Score
    findings: tuple[Finding, ...] = ()
    collection: CollectionReport | None = None  # when this assessment collected first
    error: str = ""  # why there is nothing to assess

    @property
    def snapshot_partial(self) -> bool:
        return self.collection is not None and self.collection.status.value != "complete"


def _needs_collection(
    workspace: Workspace, tenants: Sequence[TenantRef], max_age: timedelta, now: datetime
) -> list[TenantRef]:
    stale: list[TenantRef] = []
    with workspace.session(write=False) as session:
        for ref in tenants:
            info = workspace.tenants(session).get(ref.tenant_id)
            last = workspace.snapshots(session, info).latest_usable()
            if last is None or now - last.finished_at > max_age:
                stale.append(ref)
    return stale


async def assess_tenants(
    workspace: Workspace,
    tenants: Sequence[TenantRef],
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    progress: Progress | None = None,
    client_factory: ClientFactory | None = None,
    catalog: Catalog | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[AssessmentReport]:
    """Collect what is stale, then evaluate and store a run for every tenant, in input order."""
    stale = _needs_collection(workspace, tenants, max_age, now())
    collected: dict[str, CollectionReport] = {}
    if stale:
        reports = await collect_tenants(
            workspace, stale, progress=progress, client_factory=client_factory, now=now
        )
        collected = {r.tenant.tenant_id: r for r in reports}
    judged_by = catalog or default_catalog()
    return [
        await asyncio.to_thread(
            _assess_one, workspace, ref, judged_by, collected.get(ref.tenant_id), now()
        )
        for ref in tenants
    ]


def _assess_one(
    workspace: Workspace,
    ref: TenantRef,
    catalog: Catalog,
    collection: CollectionReport | None,
    now: datetime,
) -> AssessmentReport:
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get(ref.tenant_id)
        snapshots = workspace.snapshots(session, info)
        last: SnapshotInfo | None = snapshots.latest_usable()
        payloads = snapshots.load(last.id) if last else {}
    if last is None:
        reason = (
            collection.error
            if collection and collection.error
            else "no usable snapshot; collect one with `remit inventory collect`"
        )
        return AssessmentReport(
            tenant=ref,
            run_id=None,
            snapshot_id=None,
            snapshot_taken_at=None,
            evaluated_at=now,
            score=score(()),
            collection=collection,
            error=reason,
        )
    data = TenantData(payloads, last.endpoints, now=last.finished_at)
    findings = evaluate(data, catalog=catalog)
    result = score(findings)
    with workspace.session() as session:
        info = workspace.tenants(session).get(ref.tenant_id)
        run = workspace.assessments(session, info).save(
            findings,
            snapshot_id=last.id,
            evaluated_at=now,
            catalogue_hash=catalog.fingerprint(),
            score=result.value,
            coverage=result.coverage,
            counts=result.counts,
        )
    return AssessmentReport(
        tenant=ref,
        run_id=run.id,
        snapshot_id=last.id,
        snapshot_taken_at=last.finished_at,
        evaluated_at=now,
        score=result,
        findings=tuple(findings),
        collection=collection,
    )


def assess_payloads(
    payloads: dict[str, object], *, catalog: Catalog | None = None, now: datetime | None = None
) -> tuple[list[Finding], Score]:
    """Evaluate Graph data that is not in a workspace (a fixture file): nothing is stored."""
    data = TenantData(payloads, (), now=now or datetime.now(UTC))
    findings = evaluate(data, catalog=catalog or default_catalog())
    return findings, score(findings)
