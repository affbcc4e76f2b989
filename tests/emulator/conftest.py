"""Fixtures for the emulator's own tests: small hand-made tenants served over real HTTPS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorOptions

from .factories import make_tenant
from .helpers import Session


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """A read-only server for the module: two tenants, no throttling model (tests never mutate)."""
    tenants = [make_tenant("contoso", users=14, guests=2), make_tenant("fabrikam", users=3)]
    server = EmulatorServer(
        tenants,
        options=EmulatorOptions(throttling=False),
        state_dir=tmp_path_factory.mktemp("emulator"),
    )
    with server:
        yield server


@pytest.fixture(scope="module")
def contoso(shared_server: EmulatorServer) -> Iterator[Session]:
    tenant = shared_server.state.registry.lookup("contoso.onmicrosoft.com")
    assert tenant is not None
    with Session(shared_server, tenant.spec) as session:
        yield session


@pytest.fixture(scope="module")
def fabrikam(shared_server: EmulatorServer) -> Iterator[Session]:
    tenant = shared_server.state.registry.lookup("fabrikam.onmicrosoft.com")
    assert tenant is not None
    with Session(shared_server, tenant.spec) as session:
        yield session


@pytest.fixture
def start(
    emulator_factory: Callable[..., EmulatorServer],
) -> Iterator[Callable[..., tuple[EmulatorServer, Session]]]:
    """A fresh server with one tenant, for tests that change state; returns (server, session)."""
    sessions: list[Session] = []

    def make(spec: TenantSpec | None = None, **options: object) -> tuple[EmulatorServer, Session]:
        spec = spec or make_tenant("contoso")
        server = emulator_factory([spec], **options)
        session = Session(server, spec)
        sessions.append(session)
        return server, session

    yield make
    for session in sessions:
        session.close()
