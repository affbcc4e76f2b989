"""Assessment runs of one tenant and their findings: the tenant's posture history.

Like the other repositories, :class:`AssessmentRepository` is bound to one tenant and every
statement it issues filters by that tenant.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from remit.domain import Finding, Resource, Severity, Status
from remit.errors import NotFound
from remit.store.models import AssessmentRun, FindingRow
from remit.store.tenants import TenantInfo


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One stored assessment run (without its findings)."""

    id: int
    tenant_id: str
    snapshot_id: int | None
    evaluated_at: datetime
    catalogue_hash: str
    score: float | None
    coverage: float
    counts: dict[str, int]


class AssessmentRepository:
    """The assessment runs of one tenant, in one session. The caller commits."""

    def __init__(self, session: Session, tenant: TenantInfo) -> None:
        self._session = session
        self._tenant_pk = tenant.pk
        self._tenant_id = tenant.tenant_id
        self._tenant_name = tenant.name

    def _runs(self) -> Select[AssessmentRun]:
        return select(AssessmentRun).where(AssessmentRun.tenant_pk == self._tenant_pk)

    def save(
        self,
        findings: Sequence[Finding],
        *,
        snapshot_id: int | None,
        evaluated_at: datetime,
        catalogue_hash: str,
        score: float | None,
        coverage: float,
        counts: dict[str, int],
    ) -> RunInfo:
        """Store a run and all its findings in one transaction (a savepoint in the caller's)."""
        with self._session.begin_nested():
            run = AssessmentRun(
                tenant_pk=self._tenant_pk,
                snapshot_id=snapshot_id,
                evaluated_at=evaluated_at,
                catalogue_hash=catalogue_hash,
                score=score,
                coverage=coverage,
                counts=dict(counts),
            )
            self._session.add(run)
            self._session.flush()
            self._session.add_all(_row(run.id, self._tenant_pk, f) for f in findings)
            self._session.flush()
        return self._info(run)

    def get(self, run_id: int) -> RunInfo:
        return self._info(self._row(run_id))

    def latest(self) -> RunInfo | None:
        row = self._session.scalars(
            self._runs().order_by(AssessmentRun.evaluated_at.desc(), AssessmentRun.id.desc())
        ).first()
        return self._info(row) if row else None

    def list(self, *, limit: int = 50) -> builtins.list[RunInfo]:
        rows = self._session.scalars(
            self._runs()
            .order_by(AssessmentRun.evaluated_at.desc(), AssessmentRun.id.desc())
            .limit(limit)
        )
        return [self._info(row) for row in rows]

    def previous(self, run_id: int) -> RunInfo | None:
        """The run just before ``run_id`` (None for the first one)."""
        current = self._row(run_id)
        row = self._session.scalars(
            self._runs()
            .where(AssessmentRun.id < current.id)
            .order_by(AssessmentRun.evaluated_at.desc(), AssessmentRun.id.desc())
        ).first()
        return self._info(row) if row else None

    def findings(self, run_id: int) -> builtins.list[Finding]:
        self._row(run_id)  # NotFound for another tenant's run
        rows = self._session.scalars(
            select(FindingRow)
            .where(FindingRow.tenant_pk == self._tenant_pk, FindingRow.run_id == run_id)
            .order_by(FindingRow.check_id)
        )
        return [_finding(row) for row in rows]

    def _row(self, run_id: int) -> AssessmentRun:
        row = self._session.scalars(self._runs().where(AssessmentRun.id == run_id)).first()
        if row is None:
            raise NotFound(
                f"tenant {self._tenant_name} has no assessment run {run_id}; "
                f"`remit assess history -t {self._tenant_name}` lists its runs"
            )
        return row

    def _info(self, row: AssessmentRun) -> RunInfo:
        return RunInfo(
            id=row.id,
            tenant_id=self._tenant_id,
            snapshot_id=row.snapshot_id,
            evaluated_at=row.evaluated_at,
            catalogue_hash=row.catalogue_hash,
            score=row.score,
            coverage=row.coverage,
            counts={str(k): int(v) for k, v in row.counts.items()},
        )


def _row(run_id: int, tenant_pk: int, finding: Finding) -> FindingRow:
    return FindingRow(
        run_id=run_id,
        check_id=finding.check_id,
        tenant_pk=tenant_pk,
        control_id=finding.control_id,
        title=finding.title,
        status=finding.status.value,
        severity=finding.severity.value,
        references=list(finding.references),
        details=finding.details,
        remediation=finding.remediation,
        resources=[{"type": r.type, "id": r.id, "name": r.name} for r in finding.resources],
    )


def _finding(row: FindingRow) -> Finding:
    resources: list[dict[str, Any]] = row.resources or []
    return Finding(
        check_id=row.check_id,
        control_id=row.control_id,
        title=row.title,
        status=Status(row.status),
        severity=Severity(row.severity),
        references=tuple(row.references or ()),
        details=row.details,
        remediation=row.remediation,
        resources=tuple(
            Resource(str(r.get("type", "")), str(r.get("id", "")), str(r.get("name", "")))
            for r in resources
        ),
    )
