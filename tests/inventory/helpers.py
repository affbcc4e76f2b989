"""Helpers shared by the inventory, CLI, web and onboarding tests (one place, no copies).

Workspaces here talk to an in-process emulator over real HTTPS on loopback, exactly as
`remit init --graph-url … --authority-host … --ca-bundle …` sets them up, with short back-off
steps so retries cost milliseconds.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from remit.cli.main import main
from remit.config import GraphSettings
from remit.domain import AuthKind, EndpointStats, SnapshotInfo, TenantCredentials
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.emulator.synthetic import generate_tenant
from remit.graph import GraphClient, TenantGate, open_graph_client
from remit.inventory.service import ClientFactory, TenantRef
from remit.workspace import Workspace
from tests.emulator.factories import make_tenant

# Back-off steps for tests: real waits, but milliseconds.
FAST_GRAPH = {"backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05}
# The synthetic "well-run-pim" profile (slot 3) of book 8: 132 users, E5 licences, PIM, CA.
WELL_RUN = (3, 8)


def well_run_tenant() -> TenantSpec:
    return generate_tenant(*WELL_RUN)


def small_tenant(name: str = "contoso", *, users: int = 8, guests: int = 2) -> TenantSpec:
    """A hand-made tenant (``users`` + ``guests`` accounts) with every key a snapshot reads."""
    spec = make_tenant(name, users=users, guests=guests)
    spec.data["policies/authenticationMethodsPolicy"] = {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "authenticationMethodConfigurations": [],
    }
    spec.data["policies/adminConsentRequestPolicy"] = {
        "id": "adminConsentRequestPolicy",
        "isEnabled": False,
        "notifyReviewers": False,
        "remindersEnabled": False,
        "requestDurationInDays": 0,
        "reviewers": [],
        "version": 0,
    }
    return spec


def control(server: EmulatorServer, method: str, path: str, body: Any = None) -> Any:
    """Call the emulator's control API (``/_emulator/<path>``); fail the test on an error."""
    verify = ssl.create_default_context(cafile=str(server.ca_bundle))
    response = httpx.request(
        method, f"{server.url}/_emulator/{path}", json=body, verify=verify, trust_env=False
    )
    assert response.status_code == 200, response.text
    return response.json()


def init_args(path: Path, server: EmulatorServer) -> list[str]:
    return [
        "init", str(path),
        "--graph-url", server.graph_base_url,
        "--authority-host", server.authority_host,
        "--ca-bundle", str(server.ca_bundle),
    ]  # fmt: skip


def init_workspace(path: Path, server: EmulatorServer, **graph: Any) -> Path:
    """`remit init` a workspace pointing at ``server``, then shorten its back-off in remit.toml."""
    with pytest.raises(SystemExit) as exited:
        main(init_args(path, server))
    assert exited.value.code == 0, f"remit init exited {exited.value.code}"
    with Workspace.open(path) as workspace:
        changes = FAST_GRAPH | graph
        workspace.update_settings(graph=workspace.settings.graph.model_copy(update=changes))
    return path


def store_tenant(
    workspace: Workspace, spec: TenantSpec, *, secret: str | None = None, name: str | None = None
) -> TenantRef:
    """Keep ``spec``'s credentials in the workspace without asking Entra ID (like --no-verify)."""
    credentials = TenantCredentials(
        spec.tenant_id, spec.client_id, AuthKind.CLIENT_SECRET, secret or spec.client_secret
    )
    with workspace.session() as session:
        row = workspace.tenants(session).add(
            credentials,
            name=name,
            display_name=spec.display_name,
            primary_domain=spec.primary_domain,
        )
    return TenantRef(name=row.name, tenant_id=row.tenant_id)


class VirtualTime:
    """A clock that moves only when the client sleeps: pacing and back-off cost no real time.

    Use it with an emulator whose throttling model is off (the emulator's own limits run on real
    time); injected faults still answer 429 and 5xx as asked.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        self.slept += delay
        await asyncio.sleep(0)


def virtual_time_clients(settings: GraphSettings, times: list[VirtualTime]) -> ClientFactory:
    """A client factory for ``collect_tenants`` whose clients wait on virtual time."""

    def factory(credentials: TenantCredentials) -> GraphClient:
        time = VirtualTime()
        times.append(time)
        return open_graph_client(
            credentials,
            settings,
            gate=TenantGate(settings, clock=time.clock, sleep=time.sleep),
            sleep=time.sleep,
            rng=random.Random(5),
        )

    return factory


@dataclass
class Stored:
    """A snapshot as the database holds it."""

    info: SnapshotInfo
    payloads: dict[str, Any]
    stats: dict[str, EndpointStats]


def load_snapshot(workspace: Workspace, tenant: TenantRef, snapshot_id: int) -> Stored:
    with workspace.session(write=False) as session:
        repo = workspace.snapshots(session, workspace.tenants(session).get(tenant.tenant_id))
        return Stored(
            repo.get(snapshot_id), repo.load(snapshot_id), repo.request_stats(snapshot_id)
        )


Setup = Callable[..., tuple[EmulatorServer, Workspace]]
