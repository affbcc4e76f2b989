"""`remit init`: a workspace that works, never a half-made one."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.workspace import Workspace
from tests.cli.runner import Cli, json_of
from tests.inventory.helpers import init_args, store_tenant


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_settings_database_and_a_private_key(
    cli: Cli, server: EmulatorServer, tmp_path: Path
) -> None:
    target = tmp_path / "new" / "ws"

    result = cli(*init_args(target, server), workspace=False)

    assert result.code == 0, result.err
    assert f"Workspace ready in {target}" in result.out
    assert {p.name for p in target.iterdir()} >= {"remit.toml", "remit.db", "remit.key"}
    assert _mode(target / "remit.key") == 0o600
    assert _mode(target) == 0o700
    settings = tomllib.loads((target / "remit.toml").read_text())
    assert settings["graph"]["base_url"] == server.graph_base_url
    assert settings["graph"]["authority_host"] == server.authority_host
    assert settings["graph"]["ca_bundle"] == str(server.ca_bundle.resolve())
    with Workspace.open(target) as workspace, workspace.session() as session:
        assert workspace.tenants(session).list() == []


def test_init_with_json_prints_the_workspace(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", str(tmp_path / "ws"), "--json", workspace=False)

    assert result.code == 0, result.err
    assert json_of(result) == {"workspace": str(tmp_path / "ws")}


def test_a_second_init_is_refused_and_force_keeps_tenants_and_key(
    cli: Cli, server: EmulatorServer, tenants: list[TenantSpec], tmp_path: Path
) -> None:
    target = tmp_path / "ws"
    assert cli(*init_args(target, server), workspace=False).code == 0
    with Workspace.open(target) as workspace:
        store_tenant(workspace, tenants[0], name="contoso")
    key = (target / "remit.key").read_bytes()

    again = cli(*init_args(target, server), workspace=False)
    assert again.code == 3
    assert "--force" in again.one_error_line()

    forced = cli("init", str(target), "--force", workspace=False)
    assert forced.code == 0, forced.err
    assert (target / "remit.key").read_bytes() == key
    with Workspace.open(target) as workspace, workspace.session() as session:
        [tenant] = workspace.tenants(session).list()
        assert tenant.name == "contoso"
        assert workspace.tenants(session).credentials(tenant).secret == tenants[0].client_secret
        assert workspace.settings.graph.ca_bundle == ""  # --force rewrote the settings


@pytest.mark.parametrize(
    ("option", "value"),
    [("--graph-url", "http://127.0.0.1:8443/v1.0"), ("--authority-host", "http://127.0.0.1")],
)
def test_init_refuses_plain_http_and_creates_nothing(
    cli: Cli, tmp_path: Path, option: str, value: str
) -> None:
    target = tmp_path / "ws"

    result = cli("init", str(target), option, value, workspace=False)

    assert result.code == 3
    assert "https://" in result.one_error_line()
    assert not target.exists()


def test_init_refuses_a_missing_ca_bundle_and_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    missing = tmp_path / "nowhere" / "ca.pem"

    result = cli("init", str(target), "--ca-bundle", str(missing), workspace=False)

    assert result.code == 3
    line = result.one_error_line()
    assert str(missing) in line
    assert "no such file" in line
    assert not target.exists()
