"""The emulator's CLI: `serve --json` as a subprocess, and its one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

import remit
from remit.emulator.cli import app

from .helpers import GRAPH_SCOPE

FIXTURE = {
    "_emulator": {"tenantId": "cli-tenant", "clientId": "cli-client", "clientSecret": "cli~secret"},
    "organization": {"value": [{"id": "cli-tenant", "displayName": "CLI Corp"}]},
    "domains": {"value": [{"id": "cli.example", "isDefault": True}]},
    "users": {"value": [{"id": "u1", "displayName": "Ada"}]},
}


def _env() -> dict[str, str]:
    src = str(Path(remit.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


@contextmanager
def serving(*args: str) -> Iterator[tuple[dict[str, Any], subprocess.Popen[str]]]:
    command = [sys.executable, "-m", "remit.emulator", "serve", "--port", "0", "--json", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 60
            ready = selector.select(timeout=max(0.0, deadline - time.monotonic()))
        assert ready, "the emulator printed nothing within a minute"
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else "no output"
        yield json.loads(line), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def test_serve_json_prints_one_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(FIXTURE), encoding="utf-8")
    with serving("--tenants", "0", "--fixture", str(fixture), "--state-dir", str(tmp_path)) as (
        info,
        process,
    ):
        assert set(info) == {"url", "authority_host", "graph_base_url", "ca_bundle", "tenants"}
        assert info["graph_base_url"] == info["url"] + "/v1.0"
        assert info["ca_bundle"] == str(tmp_path / "ca.pem")
        assert info["tenants"] == [
            {
                "tenant_id": "cli-tenant",
                "display_name": "CLI Corp",
                "primary_domain": "cli.example",
                "client_id": "cli-client",
                "client_secret": "cli~secret",
                "profile": "fixture",
                "users": 1,
            }
        ]
        verify = ssl.create_default_context(cafile=info["ca_bundle"])
        with httpx.Client(verify=verify, trust_env=False) as client:
            token = client.post(
                f"{info['authority_host']}/cli-tenant/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "cli-client",
                    "client_secret": "cli~secret",
                    "scope": GRAPH_SCOPE,
                },
            )
        assert token.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_serve_synthetic_tenants(tmp_path: Path) -> None:
    with serving("--tenants", "2", "--seed", "3", "--state-dir", str(tmp_path)) as (info, _):
        assert len(info["tenants"]) == 2
        assert all(t["users"] and t["client_secret"] for t in info["tenants"])
        assert len({t["tenant_id"] for t in info["tenants"]}) == 2


def test_bad_fixture_exits_9_with_one_line(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.json"
    fixture.write_text('{\n  "users": {"value": []},,\n}', encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--tenants", "0", "--fixture", str(fixture)])
    assert result.exit_code == 9
    assert result.stderr.strip() == (
        f"error: {fixture}: line 2, column 26: Expecting property name enclosed in double quotes"
    )


def test_port_in_use_exits_10(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(FIXTURE), encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--tenants", "0", "--fixture", str(fixture), "--port", str(port)]
        )
    assert result.exit_code == 10
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_nothing_to_serve_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["serve", "--tenants", "0"])
    assert result.exit_code == 2
    assert "nothing to serve" in result.stderr


def test_scenario_apply_needs_a_ca_bundle_and_well_formed_params(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"REMIT_EMULATOR_CA_BUNDLE": ""}
    no_bundle = runner.invoke(app, ["scenario", "apply", "x", "--tenant", "t"], env=env)
    assert no_bundle.exit_code == 2
    assert "--ca-bundle" in no_bundle.stderr
    bad_param = runner.invoke(
        app, ["scenario", "apply", "x", "--tenant", "t", "--param", "novalue"], env=env
    )
    assert bad_param.exit_code == 2
    assert "key=value" in bad_param.stderr


def test_scenario_apply_against_a_running_emulator(tmp_path: Path) -> None:
    from remit.emulator.server import EmulatorServer

    from .factories import make_tenant

    with EmulatorServer([make_tenant()], state_dir=tmp_path) as server:
        args = ["--url", server.url, "--ca-bundle", str(server.ca_bundle)]
        runner = CliRunner()
        unknown = runner.invoke(
            app, ["scenario", "apply", "nope", "--tenant", "contoso.onmicrosoft.com", *args]
        )
        assert unknown.exit_code == 5
        tenant = ["--tenant", "contoso.onmicrosoft.com"]
        applied = runner.invoke(app, ["scenario", "apply", "security-defaults-off", *tenant, *args])
        assert applied.exit_code == 0, applied.stderr
        assert "security defaults" in applied.stdout.lower()
        again = runner.invoke(app, ["scenario", "apply", "security-defaults-off", *tenant, *args])
        assert again.exit_code == 2
        assert "already off" in again.stderr
