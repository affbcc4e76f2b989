"""A real S3 server (moto) on a free loopback port, for tests that need S3 on the wire.

``running_moto_server()`` starts ``moto_server`` as a subprocess, waits until its port accepts
connections (bounded deadline, no fixed sleeps), yields the endpoint URL and terminates the
server afterwards. Each caller (e.g. each pytest-xdist worker) gets its own server. The server
needs no credentials; clients talking to it need dummy ones (see ``DUMMY_AWS_ENV``).
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
"""Credentials and region for clients of the moto server (it accepts any)."""

AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "REMIT_S3_ENDPOINT",
    "REMIT_S3_OBJECT_LOCK",
)
"""Variables that would point boto3 or Remit somewhere else; tests unset them."""

START_DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        base = [str(script)]
    elif found := shutil.which("moto_server"):
        base = [found]
    else:
        base = [sys.executable, "-m", "moto.server"]
    return [*base, "-H", "127.0.0.1", "-p", str(port)]


def _is_moto(port: int) -> bool:
    """True once a moto server answers on ``port`` (not merely something listening there)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
    try:
        conn.request("GET", "/moto-api/config")
        response = conn.getresponse()
        body = response.read()
    except OSError:
        return False
    finally:
        conn.close()
    return response.status < 300 and b"batch" in body


@contextlib.contextmanager
def running_moto_server(attempts: int = 3) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` of a fresh moto S3 server; stop it on exit.

    The port is picked free and may be taken by someone else before moto binds it; then moto
    exits and another port is tried (``attempts`` times).
    """
    failures: list[str] = []
    for _ in range(attempts):
        port = free_port()
        # moto logs every request: a file, not a pipe, so a full pipe cannot block it.
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(
                _command(port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                if _wait_until_ready(proc, port):
                    yield f"http://127.0.0.1:{port}"
                    return
                log.seek(0)
                failures.append(f"port {port}: {log.read()[-2000:].decode(errors='replace')}")
            finally:
                _stop(proc)
    raise RuntimeError("moto_server did not start: " + " | ".join(failures))


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int) -> bool:
    """Poll the port until moto answers; False if moto exits or the deadline passes."""
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if _is_moto(port):
            return True
        try:
            proc.wait(timeout=0.05)  # doubles as the pause between polls
        except subprocess.TimeoutExpired:
            continue
        return False  # moto exited (port taken?)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
