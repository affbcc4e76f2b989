"""`remit watch --once`: one monitoring cycle from the command line."""

from __future__ import annotations

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from tests.cli.runner import Cli, add_args, json_of
from tests.inventory.helpers import control


def test_one_cycle_collects_assesses_and_reports_new_drift(
    ready: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    well_run = tenants[2]
    ready.ok(*add_args(well_run, "--name", "wellrun"))
    ready.ok("inventory", "collect", "-t", "wellrun")
    ready.ok("map", "seed", "-t", "wellrun", "--reason", "onboarding")
    first = ready.ok("watch", "--once")
    assert "cycle: 1 tenants, 0 drift findings" in first.out

    control(server, "POST", f"tenants/{well_run.tenant_id}/scenarios/new-global-admin", {})
    second = ready.ok("watch", "--once")

    assert "cycle: 1 tenants, 1 drift findings, 1 new changes" in second.out
    assert "added to Global Administrator" in second.out
    runs = json_of(ready.ok("assess", "history", "-t", "wellrun", "--json"))
    assert len(runs) == 2  # each cycle assessed the tenant


def test_bad_intervals_are_refused(ready: Cli) -> None:
    result = ready("watch", "--interval", "0")
    assert result.code == 9
    assert "--interval" in result.one_error_line()
    result = ready("watch", "--interval", "soon")
    assert result.code == 9
    assert "--interval 'soon'" in result.one_error_line()
