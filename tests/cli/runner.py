"""Run `remit …` in-process, as the console script does, capturing exit code and output.

The runner checks on every command that no secret it knows of (client secrets, private keys)
ever appears in what Remit printed.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from remit.cli.main import main
from remit.emulator.model import TenantSpec


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


def add_args(spec: TenantSpec, *extra: str, secret: str | None = None) -> list[str]:
    return [
        "tenant", "add", "--tenant-id", spec.tenant_id, "--client-id", spec.client_id,
        "--client-secret", secret if secret is not None else spec.client_secret, *extra,
    ]  # fmt: skip


def json_of(result: Result) -> Any:
    return json.loads(result.out)
