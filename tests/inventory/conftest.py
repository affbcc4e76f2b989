"""Fixtures for the collection use case: an emulator, a workspace pointing at it, and a loader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inventory.helpers import init_workspace
from remit.domain import EndpointStats, SnapshotInfo
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.inventory.service import TenantRef
from remit.workspace import Workspace


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


@pytest.fixture
def setup(emulator_factory: Callable[..., EmulatorServer], tmp_path: Path) -> Iterator[Setup]:
    """``setup(specs, graph={...}, **emulator_options)`` → (emulator, open workspace)."""
    opened: list[Workspace] = []

    def make(
        specs: list[TenantSpec], graph: dict[str, Any] | None = None, **options: Any
    ) -> tuple[EmulatorServer, Workspace]:
        server = emulator_factory(specs, **options)
        path = init_workspace(tmp_path / f"ws-{len(opened)}", server, **(graph or {}))
        workspace = Workspace.open(path)
        opened.append(workspace)
        return server, workspace

    yield make
    for workspace in opened:
        workspace.close()
