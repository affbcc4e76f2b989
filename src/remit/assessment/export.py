"""Findings as JSON, CSV rows and OCSF Compliance Findings, for scripts, spreadsheets and SIEMs.

Pure transforms of stored results; the CLI and the API print what these return.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from remit import __version__
from remit.domain import Finding, Severity, Status

OCSF_VERSION = "1.3.0"
_OCSF_SEVERITY = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
# OCSF compliance.status_id: 0 Unknown, 1 Pass, 2 Warning, 3 Fail, 99 Other.
_OCSF_COMPLIANCE = {Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3}


def finding_json(finding: Finding) -> dict[str, Any]:
    """The documented JSON shape of one finding (docs/reference/schemas/assess.schema.json)."""
    return {
        "check_id": finding.check_id,
        "control_id": finding.control_id,
        "title": finding.title,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "references": list(finding.references),
        "resources": [{"type": r.type, "id": r.id, "name": r.name} for r in finding.resources],
        "details": finding.details,
        "remediation": finding.remediation,
    }


CSV_COLUMNS = (
    "tenant", "tenant_id", "run_id", "check_id", "control_id", "title", "status", "severity",
    "references", "resources", "details", "remediation",
)  # fmt: skip


def csv_rows(
    tenant: str, tenant_id: str, run_id: int | None, findings: Sequence[Finding]
) -> Iterator[dict[str, str]]:
    """One row per finding; lists joined with "; " so a spreadsheet shows them in one cell."""
    for f in findings:
        yield {
            "tenant": tenant,
            "tenant_id": tenant_id,
            "run_id": "" if run_id is None else str(run_id),
            "check_id": f.check_id,
            "control_id": f.control_id,
            "title": f.title,
            "status": f.status.value,
            "severity": f.severity.value,
            "references": "; ".join(f.references),
            "resources": "; ".join(r.name or r.id for r in f.resources),
            "details": f.details,
            "remediation": f.remediation,
        }


def _standards(references: Sequence[str]) -> list[str]:
    standards = []
    if any(r.startswith("MS.") for r in references):
        standards.append("CISA SCuBA Microsoft 365 Secure Configuration Baseline")
    if any(r.startswith("CIS ") for r in references):
        standards.append("CIS Microsoft 365 Foundations Benchmark")
    return standards or ["Remit MSP baseline"]


def ocsf_findings(
    tenant: str, tenant_id: str, evaluated_at: datetime, findings: Sequence[Finding]
) -> Iterator[dict[str, Any]]:
    """OCSF Compliance Finding events (class 2003), one per finding."""
    millis = int(evaluated_at.timestamp() * 1000)
    for f in findings:
        event: dict[str, Any] = {
            "activity_id": 1,
            "activity_name": "Create",
            "category_uid": 2,
            "category_name": "Findings",
            "class_uid": 2003,
            "class_name": "Compliance Finding",
            "type_uid": 200301,
            "type_name": "Compliance Finding: Create",
            "time": millis,
            "severity_id": _OCSF_SEVERITY[f.severity],
            "severity": f.severity.value.capitalize(),
            "status_id": 1,
            "status": "New",
            "message": f"{f.title}: {f.details}",
            "metadata": {
                "version": OCSF_VERSION,
                "product": {"name": "Remit", "vendor_name": "Remit", "version": __version__},
            },
            "finding_info": {
                "uid": f"{tenant_id}/{f.check_id}",
                "title": f.title,
                "desc": f.details,
                "created_time": millis,
            },
            "compliance": {
                "control": f.check_id,
                "requirements": list(f.references),
                "standards": _standards(f.references),
                "status_id": _OCSF_COMPLIANCE.get(f.status, 99),
                "status": f.status.value.capitalize() if f.status in _OCSF_COMPLIANCE else "Other",
                "status_detail": f.status.value,
            },
            "cloud": {"provider": "Microsoft", "account": {"uid": tenant_id, "name": tenant}},
            "resources": [{"uid": r.id, "name": r.name, "type": r.type} for r in f.resources]
            or [{"uid": tenant_id, "name": tenant, "type": "tenant"}],
            "unmapped": {"control_id": f.control_id},
        }
        if f.remediation:
            event["remediation"] = {"desc": f.remediation}
        yield event
