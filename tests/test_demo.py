"""`remit demo` as a real process: emulator child, workspace, collection, web app, Ctrl-C.

Output is read line by line with a deadline (a reader thread feeds a queue), never by sleeping.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from remit.emulator.synthetic import tenant_header
from remit.workspace import Workspace

REMIT = str(Path(sys.executable).with_name("remit"))
DEADLINE = 90.0  # seconds for the demo to get going on a slow, busy machine
EMULATOR_LINE = re.compile(r"Emulator: https://127\.0\.0\.1:(\d+)")
WEB_LINE = re.compile(r"Web app on (http://127\.0\.0\.1:\d+/)")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
    env["COLUMNS"] = "200"
    return env


def _names(count: int) -> list[str]:
    """The short names the demo gives the first ``count`` synthetic tenants of book 1."""
    return [tenant_header(i, 1).primary_domain.split(".")[0] for i in range(count)]


def _port_is_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Lines:
    """The lines of a child's output stream, pumped by a thread; each waited for with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def until(self, pattern: re.Pattern[str], timeout: float = DEADLINE) -> re.Match[str]:
        end = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern.pattern!r} within {timeout} s; got:\n"
                    + "".join(self.seen)
                ) from None
            if line is None:
                raise AssertionError(
                    f"output ended before {pattern.pattern!r}:\n{''.join(self.seen)}"
                )
            self.seen.append(line)
            match = pattern.search(line)
            if match:
                return match

    def rest(self, timeout: float = 15) -> str:
        """All of the stream, once the child has closed it."""
        self._thread.join(timeout)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return "".join(self.seen)


class Demo:
    """A `remit demo` child in its own process group, with both output streams pumped."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [REMIT, "demo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_env(),
            start_new_session=True,  # so that teardown can stop it with its emulator child
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.out = Lines(self.process.stdout)
        self.err = Lines(self.process.stderr)

    def stop_with(self, signum: int, timeout: float = 20) -> tuple[int, str]:
        """Send ``signum`` to the demo (not its group) and wait; (exit code, stderr)."""
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Show where it is stuck: remit dumps every thread's stack on SIGUSR1.
            self.process.send_signal(signal.SIGUSR1)
            pytest.fail(f"the demo did not stop within {timeout} s:\n{self.err.rest(timeout=5)}")
        return code, self.err.rest()

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Demo]:
    """`remit demo --port 0 --tenants 2` serving; its process group is killed at teardown."""
    demo = Demo("--port", "0", "--tenants", "2", "--path", str(tmp_path / "demo"))
    try:
        yield demo
    finally:
        demo.kill_group()


def test_demo_without_serving_collects_every_tenant_and_stops_the_emulator(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    demo = Demo("--no-serve", "--tenants", "3", "--path", str(folder))
    try:
        code = demo.process.wait(DEADLINE)
        out, err = demo.out.rest(), demo.err.rest()
    finally:
        demo.kill_group()

    assert code == 0, err
    assert "Traceback" not in err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    assert sorted(rows) == sorted(_names(3))
    for row in rows.values():
        # ... │ snapshot status │ HTTP requests │ posture score │ failed checks │
        assert re.search(r"│ (complete|partial) +│ \d+ +│ \d+\.\d +│ \d+ +│$", row), row
    with Workspace.open(folder / "workspace") as workspace, workspace.session() as session:
        tenants = workspace.tenants(session).list()
        assert sorted(t.name for t in tenants) == sorted(_names(3))
        for tenant in tenants:
            assert workspace.snapshots(session, tenant).latest_usable() is not None
    port = EMULATOR_LINE.search(out)
    assert port is not None, out
    assert _port_is_closed(int(port.group(1)))


def test_demo_serves_the_web_app_until_ctrl_c_and_leaves_no_emulator_behind(
    serving: Demo,
) -> None:
    emulator_port = int(serving.out.until(EMULATOR_LINE).group(1))
    url = serving.out.until(WEB_LINE).group(1)

    page = httpx.get(url, timeout=10, trust_env=False)

    assert page.status_code == 200
    for name in _names(2):
        assert name in page.text
    assert not _port_is_closed(emulator_port)  # still serving the web app's tenants

    code, err = serving.stop_with(signal.SIGINT)

    assert code in (0, 130)
    assert "Traceback" not in err
    assert "Demo stopped." in err
    assert _port_is_closed(emulator_port)
    assert _port_is_closed(int(url.rsplit(":", 1)[1].strip("/")))


def test_demo_stops_its_emulator_on_sigterm_too(serving: Demo) -> None:
    emulator_port = int(serving.out.until(EMULATOR_LINE).group(1))
    serving.out.until(WEB_LINE)

    code, err = serving.stop_with(signal.SIGTERM)

    assert code in (0, 130)
    assert "Traceback" not in err
    assert _port_is_closed(emulator_port)


SCENARIO_LINE = re.compile(r"(\S+ emulator scenario apply new-global-admin .+)$")
ALERT_LINE = re.compile(
    r"webhook receiver got an alert \(signature verified\): \[critical\] "
    r"Unapproved Global Administrator: (\S+)"
)
CHANGE_LINE = re.compile(r"change +(\S+): (\S+) added to Global Administrator .*by (\S+)")


def test_an_unapproved_global_admin_becomes_drift_and_an_alert_within_one_cycle(
    tmp_path: Path,
) -> None:
    """The issue's demo: seed, apply the scenario, see drift and the delivered alert."""
    demo = Demo(
        "--port", "0", "--tenants", "2", "--cycle-seconds", "5",
        "--path", str(tmp_path / "demo"),
    )  # fmt: skip
    try:
        command = demo.out.until(SCENARIO_LINE).group(1)
        demo.out.until(WEB_LINE)
        applied = subprocess.run(
            shlex.split(command), capture_output=True, text=True, env=_env(), timeout=60
        )
        assert applied.returncode == 0, applied.stderr
        created = re.search(r"created member user (\S+)", applied.stdout)
        assert created is not None, applied.stdout
        intruder = created.group(1)

        alert = demo.out.until(ALERT_LINE, timeout=60)  # within the next cycle
        change = demo.out.until(CHANGE_LINE, timeout=30)

        assert alert.group(1) == intruder
        assert change.group(2) == intruder
        assert change.group(3) != ""  # who did it, from the audit log
        code, err = demo.stop_with(signal.SIGINT)
        assert code in (0, 130)
        assert "Traceback" not in err
    finally:
        demo.kill_group()
