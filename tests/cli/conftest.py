"""Fixtures: a CLI runner, and a workspace that talks to an in-process emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from remit.cli import repo_access
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from tests.cli.runner import Cli, add_args
from tests.inventory.helpers import init_workspace, small_tenant, well_run_tenant
from tests.repository.builders import cheap_kdf


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's shell may choose the workspace, key or secret."""
    for name in ("REMIT_WORKSPACE", "REMIT_CLIENT_SECRET", "REMIT_SECRET_KEY", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _cheap_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its real cost (64 MiB, 3 passes) would dominate the repository CLI tests."""
    monkeypatch.setattr(repo_access, "kdf_params", cheap_kdf)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


@pytest.fixture
def tenants() -> list[TenantSpec]:
    """contoso (small, every permission), fabrikam (small) and the well-run synthetic tenant."""
    return [small_tenant("contoso"), small_tenant("fabrikam"), well_run_tenant()]


@pytest.fixture
def server(
    emulator_factory: Callable[..., EmulatorServer], tenants: list[TenantSpec]
) -> EmulatorServer:
    return emulator_factory(tenants)


@pytest.fixture
def ready(cli: Cli, server: EmulatorServer, tenants: list[TenantSpec], tmp_path: Path) -> Cli:
    """``cli`` bound to a fresh workspace that points at ``server`` (fast back-off)."""
    cli.workspace = init_workspace(tmp_path / "ws", server)
    cli.keep_secret(*(t.client_secret for t in tenants))
    return cli


@pytest.fixture
def added(ready: Cli, tenants: list[TenantSpec]) -> Cli:
    """``ready`` with contoso onboarded (name ``contoso``)."""
    ready.ok(*add_args(tenants[0], "--name", "contoso"))
    return ready
