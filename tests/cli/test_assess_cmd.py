"""`remit assess` end to end: formats, history, a real change showing up in the diff, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from remit.assessment.export import CSV_COLUMNS
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from tests.cli.runner import Cli, add_args, json_of
from tests.inventory.helpers import control


def test_one_tenant_in_a_table_then_from_the_stored_snapshot(added: Cli) -> None:
    first = added.ok("assess", "-t", "contoso")
    assert "contoso — score" in first.out
    assert "collecting" not in first.out  # progress goes to stderr, never into the table
    history = json_of(added.ok("assess", "history", "-t", "contoso", "--json"))
    assert len(history) == 1
    # Within --max-age the stored snapshot is judged again: a new run, the same snapshot.
    added.ok("assess", "-t", "contoso")
    runs = json_of(added.ok("assess", "history", "-t", "contoso", "--json"))
    assert [r["snapshot_id"] for r in runs] == [history[0]["snapshot_id"]] * 2


def test_json_csv_and_ocsf_carry_the_same_findings(added: Cli) -> None:
    [report] = json_of(added.ok("assess", "-t", "contoso", "--format", "json"))
    findings = report["findings"]
    assert report["tenant"]["name"] == "contoso"
    assert {f["status"] for f in findings} >= {"PASS", "MANUAL"}
    assert all(f["check_id"] and f["control_id"] and f["severity"] for f in findings)
    ga = next(f for f in findings if f["check_id"] == "MS.AAD.7.1")
    assert "MS.AAD.7.1v1" in ga["references"]

    rows = list(
        csv.DictReader(io.StringIO(added.ok("assess", "-t", "contoso", "--format", "csv").out))
    )
    assert tuple(rows[0]) == CSV_COLUMNS
    assert sorted(r["check_id"] for r in rows) == sorted(f["check_id"] for f in findings)

    events = json.loads(added.ok("assess", "-t", "contoso", "--format", "ocsf").out)
    assert len(events) == len(findings)
    assert {e["class_uid"] for e in events} == {2003}
    assert {e["compliance"]["control"] for e in events} == {f["check_id"] for f in findings}


def test_a_new_global_admin_shows_up_as_worse_in_the_diff(
    ready: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    well_run = tenants[2]
    ready.ok(*add_args(well_run, "--name", "wellrun"))
    ready.ok("assess", "-t", "wellrun")
    applied = control(
        server,
        "POST",
        f"tenants/{well_run.tenant_id}/scenarios/new-global-admin",
        {"upn": "intruder@" + well_run.primary_domain},
    )
    assert applied
    ready.ok("assess", "-t", "wellrun", "--max-age", "0")  # collect again: the change is new
    diff = json_of(ready.ok("assess", "diff", "-t", "wellrun", "--json"))
    worse = {c["check_id"]: c for c in diff["worse"]}
    assert worse, diff
    named = {r["name"] for c in worse.values() for r in c["added"]}
    assert f"intruder@{well_run.primary_domain}" in named
    text = ready.ok("assess", "diff", "-t", "wellrun").out
    assert "Worse" in text
    assert "intruder@" in text


def test_the_summary_of_several_tenants(ready: Cli, tenants: list[TenantSpec]) -> None:
    ready.ok(*add_args(tenants[0], "--name", "contoso"))
    ready.ok(*add_args(tenants[1], "--name", "fabrikam"))
    out = ready.ok("assess", "--all").out
    assert "Score" in out
    assert "contoso" in out
    assert "fabrikam" in out


def test_a_tenant_that_cannot_be_collected_is_reported_and_exits_11(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    ready.ok(*add_args(tenants[0], "--name", "contoso"))
    ready.ok("tenant", "update", "contoso", "--client-secret", "wrong~secret", "--no-verify")
    result = ready("assess", "-t", "contoso")
    assert result.code == 11
    assert "not assessed" in result.out
    assert "client secret" in result.out


def test_a_fixture_is_assessed_without_a_workspace(added: Cli, tmp_path: Path) -> None:
    added.ok("inventory", "collect", "-t", "contoso")
    fixture = tmp_path / "contoso.json"
    fixture.write_text(added.ok("inventory", "show", "latest", "-t", "contoso").out)
    stored = {
        f["check_id"]: f["status"]
        for f in json_of(added.ok("assess", "-t", "contoso", "--format", "json"))[0]["findings"]
    }
    from_file = json_of(added.ok("assess", "--fixture", str(fixture), "--format", "json"))
    assert from_file["fixture"] == str(fixture)
    by_file = {f["check_id"]: f["status"] for f in from_file["findings"]}
    # Same Graph data, same verdicts — except where the stored snapshot knew why a read was
    # missing (a licence, a permission) and the bare fixture can only say "not collected".
    same = [c for c in stored if stored[c] == by_file.get(c)]
    assert len(same) >= len(stored) * 0.8


def test_bad_input_is_one_line_with_its_exit_code(added: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"users": [1,,2]}')
    result = added("assess", "--fixture", str(broken))
    assert result.code == 9
    assert "line 1, column 14" in result.one_error_line()

    result = added("assess")
    assert result.code == 9
    assert "--tenant" in result.one_error_line()

    result = added("assess", "-t", "contoso", "--max-age", "soon")
    assert result.code == 9
    assert "30m, 1h or 2d" in result.one_error_line()

    result = added("assess", "-t", "nobody")
    assert result.code == 5
    assert "nobody" in result.one_error_line()

    result = added("assess", "diff", "-t", "contoso")
    assert result.code == 5
    assert "no assessment yet" in result.one_error_line()
