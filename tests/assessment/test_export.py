"""JSON, CSV and OCSF shapes of findings."""

from __future__ import annotations

from datetime import UTC, datetime

from remit.assessment.export import CSV_COLUMNS, csv_rows, finding_json, ocsf_findings
from remit.domain import Finding, Resource, Severity, Status

GA = Finding(
    check_id="MS.AAD.7.1",
    control_id="privileged.global-admin-count",
    title="Between two and eight Global Administrators",
    status=Status.FAIL,
    severity=Severity.HIGH,
    references=("MS.AAD.7.1v1", "CIS 1.1.3"),
    details="9 Global Administrators.",
    remediation="Remove the role from the accounts that do not need it.",
    resources=(
        Resource("user", "u1", "ada@contoso.com"),
        Resource("user", "u2", "bob@contoso.com"),
    ),
)
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_finding_json_has_the_documented_fields() -> None:
    assert finding_json(GA) == {
        "check_id": "MS.AAD.7.1",
        "control_id": "privileged.global-admin-count",
        "title": "Between two and eight Global Administrators",
        "status": "FAIL",
        "severity": "high",
        "references": ["MS.AAD.7.1v1", "CIS 1.1.3"],
        "resources": [
            {"type": "user", "id": "u1", "name": "ada@contoso.com"},
            {"type": "user", "id": "u2", "name": "bob@contoso.com"},
        ],
        "details": "9 Global Administrators.",
        "remediation": "Remove the role from the accounts that do not need it.",
    }


def test_csv_rows_join_lists_in_one_cell() -> None:
    [row] = list(csv_rows("contoso", "tid", 4, [GA]))
    assert tuple(row) == CSV_COLUMNS
    assert row["references"] == "MS.AAD.7.1v1; CIS 1.1.3"
    assert row["resources"] == "ada@contoso.com; bob@contoso.com"
    assert row["run_id"] == "4"


def test_ocsf_compliance_finding() -> None:
    [event] = list(ocsf_findings("contoso", "tid", WHEN, [GA]))
    assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
    assert event["severity_id"] == 4  # High
    assert event["time"] == int(WHEN.timestamp() * 1000)
    assert event["compliance"]["status_id"] == 3  # Fail
    assert event["compliance"]["requirements"] == ["MS.AAD.7.1v1", "CIS 1.1.3"]
    assert len(event["compliance"]["standards"]) == 2
    assert event["cloud"]["account"]["uid"] == "tid"
    assert [r["name"] for r in event["resources"]] == ["ada@contoso.com", "bob@contoso.com"]
    assert event["remediation"]["desc"].startswith("Remove")


def test_ocsf_statuses_without_a_compliance_verdict_are_other() -> None:
    manual = Finding("x", "c", "t", Status.MANUAL, Severity.MEDIUM, (), "why", "attest")
    [event] = list(ocsf_findings("contoso", "tid", WHEN, [manual]))
    assert event["compliance"]["status_id"] == 99
    assert event["compliance"]["status_detail"] == "MANUAL"
    assert event["resources"] == [{"uid": "tid", "name": "contoso", "type": "tenant"}]
