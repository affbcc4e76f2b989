"""`remit inventory collect|list|show` through the CLI, and the JSON shapes scripts rely on.

These collections run on real time against the emulator's throttling model, as a technician's
would (about 1.3 s each: the client paces conditional-access reads to one a second).
"""

from __future__ import annotations

import json

from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.workspace import Workspace
from tests.cli.runner import Cli, add_args, json_of
from tests.inventory.helpers import control

REPORT_FIELDS = {
    "tenant", "status", "snapshot_id", "http_requests", "throttled", "retries",
    "bytes_received", "seconds", "error", "missing",
}  # fmt: skip
SNAPSHOT_FIELDS = {
    "id", "tenant_id", "status", "started_at", "finished_at", "content_hash", "size_bytes",
    "stored_bytes", "http_requests", "error", "endpoints",
}  # fmt: skip
ENDPOINT_FIELDS = {"key", "outcome", "items", "detail", "permission", "license"}


def test_collect_list_and_show_a_snapshot(added: Cli, tenants: list[TenantSpec]) -> None:
    collected = added("inventory", "collect", "-t", "contoso", "--json")

    assert collected.code == 0, collected.err
    [report] = json_of(collected)
    assert set(report) == REPORT_FIELDS
    assert report["tenant"] == {"name": "contoso", "tenant_id": tenants[0].tenant_id}
    assert report["status"] == "complete"
    assert report["missing"] == []
    assert report["error"] == ""
    assert isinstance(report["snapshot_id"], int)
    assert report["http_requests"] >= 2

    [snapshot] = json_of(added.ok("inventory", "list", "-t", "contoso", "--json"))
    assert set(snapshot) == SNAPSHOT_FIELDS
    assert snapshot["id"] == report["snapshot_id"]
    assert snapshot["status"] == "complete"
    assert snapshot["http_requests"] == report["http_requests"]
    assert all(set(e) == ENDPOINT_FIELDS for e in snapshot["endpoints"])
    assert {e["outcome"] for e in snapshot["endpoints"]} == {"ok"}
    table = added.ok("inventory", "list", "-t", "contoso")
    assert "complete" in table.out
    assert str(report["snapshot_id"]) in table.out

    everything = json.loads(added.ok("inventory", "show", "latest", "-t", "contoso").out)
    assert {"users", "groups", "organization", "identity/conditionalAccess/policies"} <= set(
        everything
    )
    assert len(everything["users"]["value"]) == tenants[0].user_count
    by_id = json.loads(
        added.ok("inventory", "show", str(report["snapshot_id"]), "-t", "contoso").out
    )
    assert by_id == everything
    users = json.loads(
        added.ok("inventory", "show", "latest", "-t", "contoso", "--key", "users").out
    )
    assert users == {"users": everything["users"]}

    [row] = json_of(added.ok("tenant", "list", "--json"))
    assert row["last_snapshot"]["id"] == report["snapshot_id"]
    assert set(row["last_snapshot"]) == SNAPSHOT_FIELDS
    shown = json_of(added.ok("tenant", "show", "contoso", "--json"))
    assert [s["id"] for s in shown["snapshots"]] == [report["snapshot_id"]]

    unknown_key = added("inventory", "show", "latest", "-t", "contoso", "--key", "nothing/here")
    assert unknown_key.code == 5
    line = unknown_key.one_error_line()
    assert "'nothing/here'" in line
    assert "users" in line
    unknown_id = added("inventory", "show", "999", "-t", "contoso")
    assert unknown_id.code == 5
    assert "no snapshot 999" in unknown_id.one_error_line()
    not_an_id = added("inventory", "show", "newest", "-t", "contoso")
    assert not_an_id.code == 9
    assert "'latest'" in not_an_id.one_error_line()


def test_show_latest_of_a_tenant_never_collected_says_what_to_do(added: Cli) -> None:
    result = added("inventory", "show", "latest", "-t", "contoso")

    assert result.code == 5
    assert "remit inventory collect -t contoso" in result.one_error_line()
    assert result.out == ""


def test_a_partial_collection_exits_11_and_says_what_is_missing_and_why(
    added: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    granted = sorted(ALL_PERMISSIONS - {"AuditLog.Read.All"})
    control(server, "POST", f"tenants/{tenants[0].tenant_id}/permissions", {"granted": granted})

    result = added("inventory", "collect", "-t", "contoso")

    assert result.code == 11
    assert "partial" in result.out
    assert "contoso not collected:" in result.out
    assert "permission AuditLog.Read.All not granted: " in result.out
    assert "directoryAudits" in result.out
    [row] = json_of(added.ok("tenant", "list", "--json"))
    assert row["last_snapshot"]["status"] == "partial"  # stored, and the best there is


def test_collect_all_runs_every_tenant(ready: Cli, tenants: list[TenantSpec]) -> None:
    ready.ok(*add_args(tenants[0], "--name", "contoso"))
    ready.ok(*add_args(tenants[1], "--name", "fabrikam"))
    ready.ok(*add_args(tenants[2], "--name", "beacon"))

    result = ready("inventory", "collect", "--all", "--json")

    assert result.code == 0, result.err
    reports = json_of(result)
    assert sorted(r["tenant"]["name"] for r in reports) == ["beacon", "contoso", "fabrikam"]
    assert {r["status"] for r in reports} == {"complete"}
    assert len({r["snapshot_id"] for r in reports}) == 3
    # Progress goes to stderr, one line per tenant as it finishes; stdout stays pure JSON.
    assert sum("complete" in line for line in result.err.splitlines()) == 3
    rows = json_of(ready.ok("tenant", "list", "--json"))
    assert [r["last_snapshot"]["status"] for r in rows] == ["complete"] * 3


def test_collect_through_a_throttling_storm_is_complete_and_counts_every_429(
    added: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    assert added.workspace is not None
    spec = tenants[0]
    # Half of all $batch calls answered 429 (Retry-After 0.01 s); 30 retries make a give-up
    # (31 refusals in a row) a one-in-two-billion event.
    with Workspace.open(added.workspace) as workspace:
        workspace.update_settings(
            graph=workspace.settings.graph.model_copy(update={"max_retries": 30})
        )
    rule = {"kind": "throttle", "tenant": spec.tenant_id, "path": "$batch", "rate": 0.5}
    [rule_id] = control(server, "POST", "faults", {"rules": [rule | {"retry_after": 0.01}]})["ids"]

    result = added("inventory", "collect", "-t", "contoso", "--json")

    assert result.code == 0, result.err
    [report] = json_of(result)
    [fired] = [r["fired"] for r in control(server, "GET", "faults")["rules"] if r["id"] == rule_id]
    assert report["status"] == "complete"
    assert fired > 0
    assert report["throttled"] == fired
    assert report["retries"] == fired
    table = added.ok("inventory", "list", "-t", "contoso", "--json")
    assert json_of(table)[0]["status"] == "complete"


def test_collect_needs_tenants(ready: Cli) -> None:
    result = ready("inventory", "collect", "--all")

    assert result.code == 9
    assert "remit tenant add" in result.one_error_line()
