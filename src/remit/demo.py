"""`remit demo`: the whole product on one machine, against a local Graph emulator.

The emulator runs as a separate process (`python -m remit.emulator serve --json`), exactly as a
technician would run it, and Remit talks to it over HTTPS like any Microsoft tenant: product code
never imports the emulator. The demo creates a workspace, onboards every emulated tenant with the
credentials the emulator printed, collects a snapshot of each, and summarises them.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from remit.alerts.channels import ChannelType
from remit.alerts.manage import add_channel, add_rule
from remit.assessment.service import AssessmentReport, assess_tenants
from remit.config import settings_from_mapping
from remit.controlmap.seed import seed_map
from remit.domain import AuthKind, Severity, TenantCredentials
from remit.errors import RemitError, WorkspaceError
from remit.inventory.service import CollectionReport, Progress, TenantRef, collect_tenants
from remit.inventory.summary import SnapshotSummary, summarize
from remit.onboarding import verify_credentials
from remit.workspace import Workspace

EMULATOR_START_TIMEOUT = 60.0


class DemoError(RemitError):
    """The demo could not start."""


@dataclass
class EmulatorProcess:
    """A running `remit.emulator serve --json` child and the credentials it printed."""

    process: subprocess.Popen[str]
    info: dict[str, Any]

    def stop(self) -> None:
        """Ask the emulator to stop (SIGTERM), kill it after 10 s, and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_emulator(
    state_dir: Path, tenants: int, seed: int, extra: Sequence[str] = ()
) -> EmulatorProcess:
    """Start the emulator on a free port and wait for the JSON line it prints once it listens.

    The child's stderr goes to ``state_dir/emulator.log`` (a pipe nobody reads would fill up and
    stall it). If anything goes wrong while waiting, Ctrl-C included, the child is killed.
    """
    command = [
        sys.executable, "-m", "remit.emulator", "serve",
        "--tenants", str(tenants), "--seed", str(seed), "--port", "0",
        "--state-dir", str(state_dir), "--json", *extra,
    ]  # fmt: skip
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "emulator.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        line = _first_line(process, log_path)
        info = json.loads(line)
    except BaseException:
        _kill(process)
        raise
    return EmulatorProcess(process, info)


def _first_line(process: subprocess.Popen[str], log_path: Path) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(timeout=remaining):
                raise DemoError(
                    "the Graph emulator did not start within a minute; run "
                    "`remit emulator serve` by hand to see why"
                )
            line = process.stdout.readline()
            if line.strip():
                return line
            if not line:  # end of its output: the child is exiting
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
                lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                last = lines[-1] if lines else f"exit code {process.returncode}"
                raise DemoError(f"the Graph emulator exited at start: {last}")


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def prepare_workspace(path: Path, emulator: dict[str, Any]) -> Workspace:
    """A fresh workspace whose Graph settings point at the emulator."""
    if (path / "remit.toml").exists():
        raise WorkspaceError(
            f"{path} already holds a workspace; give `remit demo --path` an empty or new folder"
        )
    graph = settings_from_mapping(
        {
            "graph": {
                "base_url": emulator["graph_base_url"],
                "authority_host": emulator["authority_host"],
                "ca_bundle": emulator["ca_bundle"],
            }
        },
        source="demo",
    ).graph
    return Workspace.create(path, graph=graph)


async def onboard_all(workspace: Workspace, emulator: dict[str, Any]) -> list[TenantRef]:
    refs: list[TenantRef] = []
    for tenant in emulator["tenants"]:
        credentials = TenantCredentials(
            tenant["tenant_id"],
            tenant["client_id"],
            AuthKind.CLIENT_SECRET,
            tenant["client_secret"],
        )
        identity = await verify_credentials(credentials, workspace.settings.graph)
        with workspace.session() as session:
            row = workspace.tenants(session).add(
                credentials,
                name=None,
                display_name=identity.display_name,
                primary_domain=identity.primary_domain,
            )
            refs.append(TenantRef(name=row.name, tenant_id=row.tenant_id))
    return refs


@dataclass(frozen=True, slots=True)
class DemoTenant:
    """What the demo shows for one tenant: its collection, a summary and its assessment."""

    collection: CollectionReport
    summary: SnapshotSummary | None
    assessment: AssessmentReport | None


async def collect(
    workspace: Workspace, refs: Sequence[TenantRef], progress: Progress | None
) -> list[DemoTenant]:
    """Collect every tenant, then assess the fresh snapshots (no second collection)."""
    reports = await collect_tenants(workspace, refs, progress=progress)
    assessments = {
        a.tenant.tenant_id: a
        for a in await assess_tenants(workspace, refs, max_age=timedelta(hours=1))
    }
    out: list[DemoTenant] = []
    with workspace.session(write=False) as session:
        for report in reports:
            summary = None
            if report.snapshot_id is not None and report.status.value != "failed":
                row = workspace.tenants(session).get(report.tenant.tenant_id)
                summary = summarize(workspace.snapshots(session, row).load(report.snapshot_id))
            out.append(DemoTenant(report, summary, assessments.get(report.tenant.tenant_id)))
    return out


DEMO_AUTHOR = "remit demo"
DEMO_CHANNEL = "demo-webhook"


def govern(workspace: Workspace, refs: Sequence[TenantRef], webhook_url: str, secret: str) -> int:
    """What an MSP does after onboarding: approve today's privileged access as the known-good
    state, and send drift and change alerts to a webhook. Returns how many approvals were made."""
    approved = 0
    for ref in refs:
        seeded = seed_map(
            workspace,
            ref.tenant_id,
            author=DEMO_AUTHOR,
            reason="Onboarding: the privileged access the tenant has today is the approved state",
        )
        approved += len(seeded.approved)
    add_channel(workspace, DEMO_CHANNEL, ChannelType.WEBHOOK, {"url": webhook_url}, secret)
    add_rule(
        workspace,
        "demo-drift-and-changes",
        channels=[DEMO_CHANNEL],
        kinds=["drift.*", "change.*"],
        min_severity=Severity.MEDIUM,
    )
    return approved
