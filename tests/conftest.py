"""Project-wide test fixtures.

``emulator_factory`` starts a real HTTPS Graph emulator on a free loopback port (stopped at
teardown), for any test package that needs Graph on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorOptions


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    """``start(tenants, **options)`` → a started ``EmulatorServer`` (options: EmulatorOptions)."""
    started: list[EmulatorServer] = []

    def start(tenants: Sequence[TenantSpec], **options: Any) -> EmulatorServer:
        state_dir = tmp_path / f"emulator-{len(started)}"
        server = EmulatorServer(
            list(tenants), port=0, options=EmulatorOptions(**options), state_dir=state_dir
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
