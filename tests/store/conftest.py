"""Fixtures: an engine per test on SQLite and on PostgreSQL, a secret box, sample tenants.

PostgreSQL: throwaway databases (``remit_test_<random>``) are created through the ``postgres``
maintenance database and dropped afterwards: one per test process, emptied before each test, and
a fresh one for each test that changes the schema itself. The server is part of the test setup
(this machine's and CI's): when it is unreachable the tests fail with a clear message instead of
being skipped. ``REMIT_TEST_POSTGRES_URL`` points at another server.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import AuthKind, TenantCredentials
from remit.store import SecretBox, TenantInfo, TenantRepository, open_database

PG_ADMIN_URL = os.environ.get(
    "REMIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    admin = create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        pytest.fail(
            f"PostgreSQL at {where} is unreachable ({first}); the store tests need it: start "
            "the server, or set REMIT_TEST_POSTGRES_URL to one where this user may create "
            "databases",
            pytrace=False,
        )
    yield admin
    admin.dispose()


def _create_database(admin: Engine) -> str:
    name = f"remit_test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def _drop_databases(admin: Engine, names: list[str]) -> None:
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _url_of(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def make_pg_url(pg_admin: Engine) -> Iterator[Callable[[], str]]:
    """A factory of empty throwaway PostgreSQL databases, dropped when the test ends."""
    created: list[str] = []

    def make() -> str:
        created.append(_create_database(pg_admin))
        return _url_of(created[-1])

    yield make
    _drop_databases(pg_admin, created)


@pytest.fixture(scope="session")
def pg_shared_engine(
    pg_admin: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per test process (CREATE DATABASE is slow); see ``engine``."""
    name = _create_database(pg_admin)
    try:
        engine = open_database(_url_of(name), tmp_path_factory.mktemp("pg"), create=True)
        yield engine
        engine.dispose()
    finally:
        _drop_databases(pg_admin, [name])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied by each test (faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    open_database("sqlite:///remit.db", folder, create=True).dispose()
    return folder / "remit.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend, for tests that change the schema itself."""
    if request.param == "sqlite":
        return "sqlite:///remit.db"  # relative: inside the test's tmp_path
    make: Callable[[], str] = request.getfixturevalue("make_pg_url")
    return make()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "postgresql":
        shared: Engine = request.getfixturevalue("pg_shared_engine")
        with shared.begin() as conn:
            conn.execute(text("DELETE FROM tenants"))  # cascades to everything else
        yield shared
        return
    template: Path = request.getfixturevalue("sqlite_template")
    shutil.copyfile(template, tmp_path / "remit.db")
    engine = open_database("sqlite:///remit.db", tmp_path, create=False)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(os.urandom(32))


CONTOSO_ID = "11111111-1111-4111-8111-111111111111"
FABRIKAM_ID = "22222222-2222-4222-8222-222222222222"
APP_ID = "99999999-9999-4999-8999-999999999999"


def creds(tenant_id: str, secret: str | None = None, client_id: str = APP_ID) -> TenantCredentials:
    return TenantCredentials(tenant_id, client_id, AuthKind.CLIENT_SECRET, secret or "s")


@pytest.fixture
def two_tenants(sessions: sessionmaker[Session], box: SecretBox) -> tuple[TenantInfo, TenantInfo]:
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        contoso = repo.add(
            creds(CONTOSO_ID, "contoso-secret"),
            display_name="Contoso Ltd",
            primary_domain="contoso.onmicrosoft.com",
        )
        fabrikam = repo.add(
            creds(FABRIKAM_ID, "fabrikam-secret"),
            display_name="Fabrikam",
            primary_domain="fabrikam.onmicrosoft.com",
        )
    return contoso, fabrikam
