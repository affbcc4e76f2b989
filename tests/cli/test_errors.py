"""Bad input, each: one line on stderr, the documented exit code, nothing half-written.

docs/reference/exit-codes.md is the contract: 3 workspace, 4 database, 5 not found,
9 malformed input, 10 port in use. (Wrong secrets and expired certificates, exit 6, are in
test_tenant.py with the onboarding they interrupt.)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from remit.emulator.model import TenantSpec
from remit.workspace import Workspace
from tests.cli.runner import Cli
from tests.inventory.helpers import store_tenant


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [
        ["tenant", "show", "nowhere"],
        ["tenant", "test", "nowhere"],
        ["tenant", "update", "nowhere", "--name", "elsewhere"],
        ["tenant", "remove", "nowhere", "--yes"],
        ["inventory", "collect", "-t", "nowhere"],
        ["inventory", "list", "-t", "nowhere"],
        ["inventory", "show", "latest", "-t", "nowhere"],
    ],
)
def test_an_unknown_tenant_exits_5(ready: Cli, command: list[str]) -> None:
    result = ready(*command)

    assert result.code == 5
    line = result.one_error_line()
    assert "no tenant 'nowhere'" in line
    assert "remit tenant list" in line


def test_a_missing_workspace_exits_3(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"

    result = cli("-w", str(missing), "tenant", "list", workspace=False)

    assert result.code == 3
    line = result.one_error_line()
    assert str(missing) in line
    assert "remit init" in line
    assert not missing.exists()  # reading never creates a workspace


def test_a_folder_without_settings_is_not_a_workspace(cli: Cli, tmp_path: Path) -> None:
    result = cli("-w", str(tmp_path), "tenant", "list", workspace=False)

    assert result.code == 3
    assert "is not a Remit workspace" in result.one_error_line()
    assert list(tmp_path.iterdir()) == []


def test_a_workspace_the_user_may_not_enter_exits_3(
    ready: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the kernel answers a non-owner, simulated so that it also runs as root."""
    assert ready.workspace is not None
    denied = ready.workspace.resolve()
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)).resolve() == denied:
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)

    result = ready("tenant", "list")

    assert result.code == 3
    line = result.one_error_line()
    assert str(denied) in line
    assert "permission denied" in line


def test_unreadable_settings_exit_3(ready: Cli) -> None:
    assert ready.workspace is not None
    config = ready.workspace / "remit.toml"
    config.write_bytes(b"[graph]\nbase_url = 'https://x\n")  # an unterminated string

    result = ready("tenant", "list")

    assert result.code == 3
    line = result.one_error_line()
    assert str(config) in line
    assert "not valid TOML" in line


def _collected(ready: Cli, spec: TenantSpec) -> Path:
    """A workspace whose database holds a tenant and a complete snapshot."""
    assert ready.workspace is not None
    with Workspace.open(ready.workspace) as workspace:
        store_tenant(workspace, spec, name="contoso")
    assert ready("inventory", "collect", "-t", "contoso").code == 0
    return ready.workspace / "remit.db"


def test_a_database_with_garbage_in_the_middle_exits_4(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    database = _collected(ready, tenants[0])
    wal = database.with_name("remit.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # every page is in remit.db itself
    size = database.stat().st_size
    with database.open("r+b") as file:  # keep SQLite's header; wreck the pages after it
        file.seek(size // 4)
        file.write(b"\xde\xad\xbe\xef" * (size // 8))

    result = ready("inventory", "show", "latest", "-t", "contoso")

    assert result.code == 4
    line = result.one_error_line()
    assert "remit.db" in line
    assert "damaged" in line or "restore" in line
    assert result.out == ""  # not a byte of the damaged snapshot


def test_a_file_that_is_not_sqlite_exits_4(ready: Cli) -> None:
    assert ready.workspace is not None
    database = ready.workspace / "remit.db"
    database.write_text("this is not a database\n" * 100)

    result = ready("tenant", "list")

    assert result.code == 4
    line = result.one_error_line()
    assert str(database) in line
    assert "damaged" in line
    assert database.read_text().startswith("this is not a database")  # left for the technician


def test_a_malformed_fixture_exits_9_naming_file_line_and_column(cli: Cli, tmp_path: Path) -> None:
    fixture = tmp_path / "contoso.json"
    fixture.write_text('{"users": {"value": [\n  {"id": "a",}\n]}}\n')

    result = cli(
        "emulator", "serve", "--tenants", "0", "--fixture", str(fixture), "--port", "0",
        workspace=False,
    )  # fmt: skip

    assert result.code == 9
    line = result.one_error_line()
    # The emulator names the file by its name only (reported: it should print the path given).
    assert fixture.name in line
    assert "line 2" in line
    assert "column 14" in line


def test_remit_serve_on_a_taken_port_exits_10(ready: Cli, taken_port: int) -> None:
    result = ready("serve", "--port", str(taken_port))

    assert result.code == 10
    line = result.one_error_line()
    assert str(taken_port) in line
    assert "already in use" in line


def test_the_emulator_on_a_taken_port_exits_10(cli: Cli, taken_port: int, tmp_path: Path) -> None:
    result = cli(
        "emulator", "serve", "--tenants", "1", "--port", str(taken_port),
        "--state-dir", str(tmp_path / "emulator"), workspace=False,
    )  # fmt: skip

    assert result.code == 10
    line = result.one_error_line()
    assert str(taken_port) in line
    assert "already in use" in line


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["tenant", "list", "--bogus"], "No such option: --bogus"),
        (["tenant", "show"], "Missing argument"),
        (["inventory", "collect"], "--tenant"),  # neither --tenant nor --all
    ],
)
def test_usage_errors_are_one_line_too(ready: Cli, command: list[str], message: str) -> None:
    result = ready(*command)

    assert result.code in (2, 9)
    assert message in result.one_error_line()
