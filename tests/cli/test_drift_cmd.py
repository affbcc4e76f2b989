"""`remit drift` end to end against the emulator: a new global admin appears as drift and as an
unexplained change event, until a ticket explains it; changes seen without the audit log; errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from tests.cli.runner import Cli, add_args, json_of
from tests.emulator.factories import make_tenant
from tests.inventory.helpers import control, init_workspace

ACTOR = "tech@partner-msp.example"


@pytest.fixture
def server(
    emulator_factory: Callable[..., EmulatorServer], tenants: list[TenantSpec]
) -> EmulatorServer:
    """The CLI tests' emulator without its throttling model: collections here run back to back,
    and how Remit copes with throttling is tested elsewhere."""
    return emulator_factory(tenants, throttling=False)


def unapproved(report: dict[str, object]) -> list[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f["principal"]["name"] for f in findings if f["rule"] == "unapproved-privileged"]


def test_a_new_global_admin_is_drift_and_unexplained_until_a_ticket_explains_it(
    added: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    contoso = tenants[0]
    intruder = f"intruder@{contoso.primary_domain}"
    added.ok("inventory", "collect", "-t", "contoso")
    added.ok("map", "seed", "-t", "contoso", "--reason", "onboarding, ticket T100")
    [before] = json_of(added.ok("drift", "check", "-t", "contoso", "--json"))
    assert unapproved(before) == []  # everything seen was approved

    control(
        server,
        "POST",
        f"tenants/{contoso.tenant_id}/scenarios/new-global-admin",
        {"upn": intruder, "actor": ACTOR},
    )
    added.ok("inventory", "collect", "-t", "contoso")
    [after] = json_of(added.ok("drift", "check", "-t", "contoso", "--json"))
    assert unapproved(after) == [intruder]
    finding = next(f for f in after["findings"] if f["rule"] == "unapproved-privileged")
    assert (finding["severity"], finding["role"]) == ("critical", "Global Administrator")
    assert after["base_snapshot_id"] == before["snapshot_id"]
    [event] = [e for e in after["new_events"] if e["kind"] == "role-added"]
    assert (event["actor"], event["target"]["name"], event["source"]) == (
        ACTOR,
        intruder,
        "audit-log",  # the diff saw it too: one event, the one that knows who
    )
    assert event["explained"] is False

    table = added.ok("drift", "check", "-t", "contoso").out  # again: no new events
    assert "unapproved-privileged" in table
    assert intruder in table
    assert "0 new change event(s)" in table

    unexplained = json_of(added.ok("drift", "events", "-t", "contoso", "--unexplained", "--json"))
    assert event["id"] in [e["id"] for e in unexplained]
    explained = added.ok("drift", "explain", str(event["id"]), "--ticket", "T123", "--note", "test")
    assert "explained by ticket T123" in explained.out
    left = json_of(added.ok("drift", "events", "-t", "contoso", "--unexplained", "--json"))
    assert event["id"] not in [e["id"] for e in left]
    listed = json_of(added.ok("drift", "events", "-t", "contoso", "--since", "1d", "--json"))
    linked = next(e for e in listed if e["id"] == event["id"])
    assert (linked["ticket"], linked["note"], linked["explained"]) == ("T123", "test", True)
    assert "T123" in added.ok("drift", "events", "-t", "contoso").out
    # The event's key works too, with its tenant.
    relinked = json_of(
        added.ok("drift", "explain", event["key"], "-t", "contoso", "--ticket", "T124", "--json")
    )
    assert relinked["ticket"] == "T124"


def test_without_audit_log_permission_the_diff_still_sees_changes(
    cli: Cli, emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    spec = make_tenant("northwind", users=6, permissions=ALL_PERMISSIONS - {"AuditLog.Read.All"})
    server = emulator_factory([spec], throttling=False)
    cli.workspace = init_workspace(tmp_path / "ws", server)
    cli.ok(*add_args(spec, "--name", "northwind", "--no-verify"))
    cli("inventory", "collect", "-t", "northwind")  # partial: the audit log is refused
    [first] = json_of(cli.ok("drift", "check", "-t", "northwind", "--json"))
    assert any("AuditLog.Read.All" in w for w in first["warnings"])
    control(server, "POST", f"tenants/{spec.tenant_id}/scenarios/ca-policy-disabled", {})
    cli("inventory", "collect", "-t", "northwind")
    [second] = json_of(cli.ok("drift", "check", "-t", "northwind", "--json"))
    assert [(e["kind"], e["source"], e["actor"]) for e in second["new_events"]] == [
        ("ca-disabled", "snapshot-diff", "")
    ]
    assert "unknown (snapshot diff)" in cli.ok("drift", "events", "-t", "northwind").out


def test_tenants_without_a_snapshot_exit_11_and_every_tenant_is_listed(added: Cli) -> None:
    result = added("drift", "check", "--all")
    assert result.code == 11
    assert "contoso — not checked" in result.out
    assert "inventory collect" in result.out
    added.ok("inventory", "collect", "-t", "contoso")
    [report] = json_of(added.ok("drift", "check", "--all", "--json"))
    assert report["tenant"]["name"] == "contoso"
    assert report["error"] == ""


def test_bad_input_is_one_line_with_its_exit_code(added: Cli) -> None:
    for args, code, words in (
        (("drift", "check"), 9, "--tenant"),
        (("drift", "check", "-t", "contoso", "--all"), 9, "--tenant"),
        (("drift", "check", "-t", "nobody"), 5, "nobody"),
        (("drift", "events", "-t", "contoso", "--since", "soon"), 9, "7d, 24h or 2w"),
        (("drift", "events", "-t", "contoso", "--limit", "0"), 9, "--limit"),
        (("drift", "explain", "999", "--ticket", "T1"), 5, "no change event 999"),
        (("drift", "explain", "audit:x", "--ticket", "T1"), 9, "--tenant"),
        (("drift", "explain", "audit:x", "-t", "contoso", "--ticket", "T1"), 5, "audit:x"),
    ):
        result = added(*args)
        assert result.code == code, (args, result.err)
        assert words in result.one_error_line(), args
    assert "no change events" in added.ok("drift", "events", "-t", "contoso").out
