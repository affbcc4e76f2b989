"""How `remit assess` shows results: tables for people, JSON/CSV/OCSF for machines."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from rich.markup import escape
from rich.table import Table

from remit.assessment.diff import Change, RunDiff
from remit.assessment.export import CSV_COLUMNS, csv_rows, finding_json, ocsf_findings
from remit.assessment.service import AssessmentReport
from remit.cli.output import print_json, stdout
from remit.cli.schemas import AssessDiffJson, AssessJson, ChangeJson, FindingJson
from remit.domain import Finding, Severity, Status
from remit.posture.score import Score
from remit.store.assessments import RunInfo

_STATUS_ORDER = {s: i for i, s in enumerate((Status.FAIL, Status.WARN, Status.ERROR, Status.MANUAL,
                                              Status.NOT_APPLICABLE, Status.PASS))}  # fmt: skip
_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
_COLOUR = {
    Status.FAIL: "red",
    Status.WARN: "yellow",
    Status.ERROR: "magenta",
    Status.MANUAL: "cyan",
    Status.NOT_APPLICABLE: "dim",
    Status.PASS: "green",
}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Worst first: FAIL, WARN, ERROR, MANUAL, N/A, PASS; then by severity, then by id."""
    return sorted(
        findings,
        key=lambda f: (_STATUS_ORDER[f.status], _SEVERITY_ORDER[f.severity], f.check_id),
    )


def score_line(score: Score) -> str:
    value = "n/a" if score.value is None else f"{score.value:.1f}"
    counts = " · ".join(
        f"{n} {status.replace('NOT_APPLICABLE', 'N/A')}" for status, n in score.counts.items() if n
    )
    return f"score {value} (coverage {score.coverage:.0%}): {counts or 'no findings'}"


def report_json(report: AssessmentReport) -> AssessJson:
    return {
        "tenant": {"name": report.tenant.name, "tenant_id": report.tenant.tenant_id},
        "run_id": report.run_id,
        "snapshot_id": report.snapshot_id,
        "snapshot_taken_at": report.snapshot_taken_at,
        "evaluated_at": report.evaluated_at,
        "score": report.score.value,
        "coverage": report.score.coverage,
        "counts": report.score.counts,
        "error": report.error,
        "findings": [cast(FindingJson, finding_json(f)) for f in ordered(report.findings)],
    }


def print_reports(reports: Sequence[AssessmentReport], fmt: str, show_all: bool) -> None:
    if fmt == "json":
        print_json([report_json(r) for r in reports])
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in reports:
            writer.writerows(
                csv_rows(r.tenant.name, r.tenant.tenant_id, r.run_id, ordered(r.findings))
            )
    elif fmt == "ocsf":
        print_json(
            [
                event
                for r in reports
                for event in ocsf_findings(
                    r.tenant.name, r.tenant.tenant_id, r.evaluated_at, ordered(r.findings)
                )
            ]
        )
    elif len(reports) == 1:
        print_tenant(reports[0], show_all)
    else:
        print_summary(reports)


def print_summary(reports: Sequence[AssessmentReport]) -> None:
    table = Table("Tenant", "Score", "Coverage", "FAIL", "WARN", "ERROR", "MANUAL", "Snapshot")
    for r in reports:
        c = r.score.counts
        table.add_row(
            r.tenant.name,
            "n/a" if r.score.value is None else f"{r.score.value:.1f}",
            f"{r.score.coverage:.0%}",
            f"[red]{c.get('FAIL', 0)}[/]" if c.get("FAIL") else "0",
            str(c.get("WARN", 0)),
            str(c.get("ERROR", 0)),
            str(c.get("MANUAL", 0)),
            escape(r.error) if r.error else _when(r.snapshot_taken_at),
        )
    stdout().print(table)
    stdout().print("Details of one tenant: `remit assess -t TENANT` (or --format json for all).")


def findings_table(findings: Sequence[Finding], show_all: bool) -> Table:
    table = Table("Status", "Severity", "Check", "Title", "Details", show_lines=False)
    for f in ordered(findings):
        if not show_all and f.status in (Status.PASS, Status.MANUAL, Status.NOT_APPLICABLE):
            continue
        table.add_row(
            f"[{_COLOUR[f.status]}]{f.status.value}[/]",
            f.severity.value,
            f.check_id,
            escape(f.title),
            escape(f.details),
        )
    return table


def print_tenant(report: AssessmentReport, show_all: bool) -> None:
    console = stdout()
    if report.error:
        console.print(
            f"[bold]{escape(report.tenant.name)}[/]: not assessed: {escape(report.error)}"
        )
        return
    console.print(
        f"[bold]{escape(report.tenant.name)}[/] — {score_line(report.score)} "
        f"(run {report.run_id}, snapshot {report.snapshot_id} of {_when(report.snapshot_taken_at)})"
    )
    console.print(findings_table(report.findings, show_all))
    if not show_all:
        console.print("PASS, MANUAL and N/A findings are hidden; --show-all lists them.")


def print_history(tenant: str, runs: Sequence[RunInfo], as_json: bool) -> None:
    if as_json:
        print_json(runs)
        return
    table = Table("Run", "Evaluated", "Snapshot", "Score", "Coverage", "FAIL", "WARN", "ERROR")
    for run in runs:
        c = run.counts
        table.add_row(
            str(run.id),
            _when(run.evaluated_at),
            str(run.snapshot_id or "-"),
            "n/a" if run.score is None else f"{run.score:.1f}",
            f"{run.coverage:.0%}",
            str(c.get("FAIL", 0)),
            str(c.get("WARN", 0)),
            str(c.get("ERROR", 0)),
        )
    stdout().print(f"Assessment history of {escape(tenant)}")
    stdout().print(table)


def diff_json(before: RunInfo, after: RunInfo, diff: RunDiff) -> AssessDiffJson:
    def change(c: Change) -> ChangeJson:
        return {
            "check_id": c.check_id,
            "title": c.title,
            "before": c.before.value if c.before else None,
            "after": c.after.value if c.after else None,
            "added": [{"type": r.type, "id": r.id, "name": r.name} for r in c.added],
            "removed": [{"type": r.type, "id": r.id, "name": r.name} for r in c.removed],
        }

    return {
        "from_run": before.id,
        "to_run": after.id,
        "score_before": before.score,
        "score_after": after.score,
        "worse": [change(c) for c in diff.worse],
        "better": [change(c) for c in diff.better],
        "other": [change(c) for c in diff.other],
    }


def print_diff(tenant: str, before: RunInfo, after: RunInfo, diff: RunDiff) -> None:
    console = stdout()
    score_before = "n/a" if before.score is None else f"{before.score:.1f}"
    score_after = "n/a" if after.score is None else f"{after.score:.1f}"
    console.print(
        f"[bold]{escape(tenant)}[/]: run {before.id} ({_when(before.evaluated_at)}) → run "
        f"{after.id} ({_when(after.evaluated_at)}), score {score_before} → {score_after}"
    )
    if not diff.changed:
        console.print("Nothing changed.")
        return
    for label, changes, colour in (
        ("Worse", diff.worse, "red"),
        ("Better", diff.better, "green"),
        ("Other changes", diff.other, "cyan"),
    ):
        if not changes:
            continue
        table = Table("Check", "Title", "Before", "After", "Added", "Removed", title=label)
        for c in changes:
            table.add_row(
                c.check_id,
                escape(c.title),
                c.before.value if c.before else "-",
                f"[{colour}]{c.after.value if c.after else '-'}[/]",
                escape(", ".join(r.name or r.id for r in c.added)),
                escape(", ".join(r.name or r.id for r in c.removed)),
            )
        console.print(table)
