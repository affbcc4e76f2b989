"""Fixtures for the collection use case: an emulator, a workspace pointing at it, and a loader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.workspace import Workspace
from tests.inventory.helpers import Setup, init_workspace


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
