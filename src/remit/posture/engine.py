"""Run every check of the catalogue on one tenant's data and turn outcomes into findings."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from remit.posture.catalog import Assessment, Catalog, CheckMeta, Control, default_catalog
from remit.posture.data import MissingData, TenantData
from remit.posture.model import Finding, Outcome, Severity, Status

CheckFn = Callable[[TenantData], Outcome]


def run_check(meta: CheckMeta, check: CheckFn, data: TenantData) -> Outcome:
    """One check, with missing data turned into an ERROR that names its cause (never a FAIL)."""
    missing = [key for key in meta.requires if not data.has(key)]
    if missing:
        return Outcome(Status.ERROR, "; ".join(data.cause(key) for key in missing))
    try:
        return check(data)
    except MissingData as exc:
        return Outcome(Status.ERROR, exc.cause)


def _finding(meta: CheckMeta, outcome: Outcome) -> Finding:
    return Finding(
        check_id=meta.id,
        control_id=meta.control,
        title=meta.title,
        status=outcome.status,
        severity=meta.severity,
        references=tuple(meta.references),
        details=outcome.details,
        remediation=meta.remediation if outcome.status is not Status.PASS else "",
        resources=outcome.resources,
    )


def _manual(control: Control) -> Finding:
    refs = control.references
    references = (*refs.scuba, *(f"CIS {r}" for r in refs.cis))
    how = (
        "Evidence comes from Remit's backups and restore tests."
        if control.assessment is Assessment.BACKUP_EVIDENCE
        else "Attest it with evidence (a screenshot, an export, a ticket)."
    )
    return Finding(
        check_id=control.id,
        control_id=control.id,
        title=control.title,
        status=Status.MANUAL,
        severity=Severity.MEDIUM,
        references=references,
        details=control.why_not_automated,
        remediation=how,
    )


def evaluate(
    data: TenantData,
    *,
    catalog: Catalog | None = None,
    checks: Mapping[str, CheckFn] | None = None,
) -> list[Finding]:
    """Every check of the catalogue, then a MANUAL finding for each control Graph cannot read."""
    if checks is None:
        from remit.posture.checks import all_checks

        checks = all_checks()
    catalog = catalog or default_catalog()
    findings: list[Finding] = []
    checked_controls: set[str] = set()
    for meta in catalog.checks:
        check = checks.get(meta.id)
        if check is None:
            raise LookupError(f"check {meta.id} is in the catalogue but has no implementation")
        findings.append(_finding(meta, run_check(meta, check, data)))
        checked_controls.add(meta.control)
    for control in catalog.controls:
        if control.assessment is not Assessment.AUTOMATED and control.id not in checked_controls:
            findings.append(_manual(control))
    return findings
