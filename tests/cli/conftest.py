"""Run `remit …` in-process against a workspace that talks to an in-process emulator.

Every command goes through :func:`remit.cli.main.main`, exactly as the console script does, and
its exit code, stdout and stderr are captured. The runner checks on every command that no secret
it knows of (client secrets, private keys) ever appears in what Remit printed.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inventory.helpers import init_workspace, small_tenant, well_run_tenant
from remit.cli.main import main
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's shell may choose the workspace, key or secret."""
    for name in ("REMIT_WORKSPACE", "REMIT_CLIENT_SECRET", "REMIT_SECRET_KEY", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def one_error_line(self) -> str:
        """The single line on stderr (and no traceback): what an error must look like."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert "Traceback" not in self.err, self.err
        assert len(lines) == 1, f"expected one line on stderr, got:\n{self.err}"
        return lines[0]


@dataclass
class Cli:
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    workspace: Path | None = None
    secrets: set[str] = field(default_factory=set)
    history: list[Result] = field(default_factory=list)

    def __call__(self, *args: str, stdin: str | None = None, workspace: bool = True) -> Result:
        argv = [*(["-w", str(self.workspace)] if workspace and self.workspace else []), *args]
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        self.capsys.readouterr()
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            raise AssertionError("remit.cli.main.main returned instead of exiting")
        captured = self.capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        self.history.append(result)
        for secret in self.secrets:
            assert secret not in result.out, f"a secret leaked to stdout of remit {argv}"
            assert secret not in result.err, f"a secret leaked to stderr of remit {argv}"
        return result

    def ok(self, *args: str, stdin: str | None = None) -> Result:
        result = self(*args, stdin=stdin)
        assert result.code == 0, f"remit {' '.join(args)} exited {result.code}: {result.err}"
        return result

    def keep_secret(self, *values: str) -> None:
        self.secrets.update(v for v in values if v)


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


def add_args(spec: TenantSpec, *extra: str, secret: str | None = None) -> list[str]:
    return [
        "tenant", "add", "--tenant-id", spec.tenant_id, "--client-id", spec.client_id,
        "--client-secret", secret if secret is not None else spec.client_secret, *extra,
    ]  # fmt: skip


def json_of(result: Result) -> Any:
    return json.loads(result.out)


@pytest.fixture
def added(ready: Cli, tenants: list[TenantSpec]) -> Cli:
    """``ready`` with contoso onboarded (name ``contoso``)."""
    ready.ok(*add_args(tenants[0], "--name", "contoso"))
    return ready
