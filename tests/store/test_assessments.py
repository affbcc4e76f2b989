"""Assessment runs and findings: round trip, history order, tenant isolation, cascade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import Finding, Resource, Severity, Status
from remit.errors import NotFound
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.assessments import AssessmentRepository
from remit.store.models import FindingRow

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def finding(check_id: str, status: Status, *resources: Resource) -> Finding:
    return Finding(
        check_id=check_id,
        control_id="privileged.global-admin-count",
        title=f"title of {check_id}",
        status=status,
        severity=Severity.HIGH,
        references=("MS.AAD.7.1v1", "CIS 1.1.3"),
        details=f"details of {check_id}",
        remediation="do the thing",
        resources=resources,
    )


def save(session: Session, tenant: TenantInfo, at: datetime, *findings: Finding) -> int:
    run = AssessmentRepository(session, tenant).save(
        findings,
        snapshot_id=7,
        evaluated_at=at,
        catalogue_hash="c" * 64,
        score=50.0,
        coverage=0.5,
        counts={"PASS": 1, "FAIL": 1},
    )
    return run.id


def test_a_run_and_its_findings_round_trip(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    admin = Resource("user", "u1", "ceo@contoso.com")
    stored = [finding("MS.AAD.7.1", Status.FAIL, admin), finding("MS.AAD.1.1", Status.PASS)]
    with sessions.begin() as session:
        run_id = save(session, contoso, NOW, *stored)
    with sessions.begin() as session:
        repo = AssessmentRepository(session, contoso)
        info = repo.get(run_id)
        loaded = repo.findings(run_id)
    assert (info.snapshot_id, info.score, info.coverage) == (7, 50.0, 0.5)
    assert info.counts == {"PASS": 1, "FAIL": 1}
    assert info.evaluated_at == NOW
    assert sorted(loaded, key=lambda f: f.check_id) == sorted(stored, key=lambda f: f.check_id)


def test_history_is_newest_first_and_previous_walks_back(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        ids = [save(session, contoso, NOW + timedelta(days=d)) for d in range(3)]
    with sessions.begin() as session:
        repo = AssessmentRepository(session, contoso)
        assert [r.id for r in repo.list()] == ids[::-1]
        latest = repo.latest()
        assert latest is not None
        assert latest.id == ids[-1]
        previous = repo.previous(ids[-1])
        assert previous is not None
        assert previous.id == ids[1]
        assert repo.previous(ids[0]) is None


def test_one_tenant_cannot_read_anothers_runs(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        run_id = save(session, contoso, NOW, finding("MS.AAD.7.1", Status.FAIL))
    with sessions.begin() as session:
        other = AssessmentRepository(session, fabrikam)
        assert other.list() == []
        assert other.latest() is None
        with pytest.raises(NotFound, match="fabrikam has no assessment run"):
            other.get(run_id)
        with pytest.raises(NotFound):
            other.findings(run_id)


def test_removing_a_tenant_removes_its_history(
    sessions: sessionmaker[Session],
    two_tenants: tuple[TenantInfo, TenantInfo],
    box: SecretBox,
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        save(session, contoso, NOW, finding("MS.AAD.7.1", Status.FAIL))
        save(session, fabrikam, NOW, finding("MS.AAD.7.1", Status.PASS))
    with sessions.begin() as session:
        TenantRepository(session, box).remove(contoso.tenant_id)
    with sessions.begin() as session:
        remaining = session.scalar(select(func.count()).select_from(FindingRow))
        assert remaining == 1
        assert len(AssessmentRepository(session, fabrikam).list()) == 1
