"""Opening databases: migrations, SQLite pragmas, and every way a database can be unusable."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import CollectionStatus
from remit.errors import DatabaseError
from remit.store import SecretBox, SnapshotRepository, TenantInfo, migrate, open_database
from remit.store.db import (
    SCHEMA_HEAD,
    SQLITE_BEGIN_OPTION,
    alembic_config,
    create_engine_for,
    current_revision,
    head_revision,
    sqlite_file,
    verify_integrity,
)
from remit.store.models import Base

from .conftest import creds

TABLES = {*Base.metadata.tables, "alembic_version"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_migrations_create_the_schema_at_head(engine: Engine) -> None:
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == TABLES
        assert current_revision(conn) == head_revision()
        # The migrations and the models describe the same schema.
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_schema_head_constant_matches_the_migration_scripts() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_migrate_again_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()


def test_sqlite_connections_get_the_pragmas(tmp_path: Path) -> None:
    engine = open_database("sqlite:///remit.db", tmp_path, create=True)
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        engine.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "synchronous": 1,
    }


def test_relative_sqlite_path_is_relative_to_the_workspace(tmp_path: Path) -> None:
    engine = create_engine_for("sqlite:///data/remit.db", tmp_path)
    assert sqlite_file(engine) == tmp_path / "data" / "remit.db"
    absolute = tmp_path / "elsewhere.db"
    assert sqlite_file(create_engine_for(f"sqlite:///{absolute}", Path("/nowhere"))) == absolute


def test_a_new_sqlite_database_is_private(tmp_path: Path) -> None:
    open_database("sqlite:///remit.db", tmp_path, create=True).dispose()
    assert (tmp_path / "remit.db").stat().st_mode & 0o777 == 0o600


def test_missing_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError) as caught:
        open_database("sqlite:///remit.db", tmp_path, create=False)
    assert str(caught.value).startswith(f"{tmp_path / 'remit.db'} does not exist")
    assert "run `remit init`" in str(caught.value)
    assert not (tmp_path / "remit.db").exists()  # opening did not create it


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "remit.db").write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(DatabaseError) as caught:
        open_database("sqlite:///remit.db", tmp_path, create=False)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'remit.db'} is damaged (file is not a database)")
    assert "restore remit.db from a backup" in message
    assert "`remit init --force`" in message
    assert "\n" not in message


def _filled_database(tmp_path: Path, box: SecretBox) -> Path:
    """A SQLite database with a tenant and a snapshot big enough to span many pages."""
    from remit.store import TenantRepository

    engine = open_database("sqlite:///remit.db", tmp_path, create=True)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        tenant = TenantRepository(session, box).add(
            creds("33333333-3333-4333-8333-333333333333"), primary_domain="northwind.example"
        )
        payloads = {f"users/{i}": {"value": os.urandom(3000).hex()} for i in range(40)}
        SnapshotRepository(session, tenant).save(
            payloads, status=CollectionStatus.COMPLETE, started_at=NOW, finished_at=NOW
        )
    engine.dispose()  # closes the last connection: WAL checkpointed and removed
    assert not (tmp_path / "remit.db-wal").exists()
    return tmp_path / "remit.db"


def test_truncated_database(tmp_path: Path, box: SecretBox) -> None:
    path = _filled_database(tmp_path, box)
    size = path.stat().st_size
    os.truncate(path, size // 2)
    with pytest.raises(DatabaseError) as caught:
        open_database("sqlite:///remit.db", tmp_path, create=False)
    assert str(caught.value).startswith(
        f"{path} is damaged (the file is truncated: {size // 2} bytes of {size})"
    )
    assert "`remit init --force`" in str(caught.value)


def test_corrupted_pages_found_when_opening(tmp_path: Path, box: SecretBox) -> None:
    path = _filled_database(tmp_path, box)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xa5" * (len(data) - page)  # every page but the first (the schema)
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=r"is damaged \(database disk image is malformed\)"):
        open_database("sqlite:///remit.db", tmp_path, create=False)


def test_corruption_met_later_is_the_same_clear_error(tmp_path: Path, box: SecretBox) -> None:
    path = _filled_database(tmp_path, box)
    engine = open_database("sqlite:///remit.db", tmp_path, create=False)
    try:
        with engine.connect() as conn:
            root = conn.execute(text("SELECT rootpage FROM sqlite_master WHERE name = 'blobs'"))
            blobs_root = int(root.scalar_one())
        engine.dispose()
        with path.open("r+b") as handle:
            page = int.from_bytes(path.read_bytes()[16:18], "big")
            handle.seek((blobs_root - 1) * page)
            handle.write(b"\xff" * page)
        with (
            pytest.raises(DatabaseError, match=f"^{path} is damaged .*malformed"),
            engine.connect() as conn,
        ):
            conn.execute(text("SELECT count(*), sum(length(data)) FROM blobs")).all()
        with pytest.raises(DatabaseError, match="is damaged"):
            verify_integrity(engine)
    finally:
        engine.dispose()


def test_integrity_check_passes_on_a_healthy_database(tmp_path: Path, box: SecretBox) -> None:
    _filled_database(tmp_path, box)
    engine = open_database("sqlite:///remit.db", tmp_path, create=False)
    try:
        verify_integrity(engine)  # raises when damaged (see above)
    finally:
        engine.dispose()


def test_empty_file_is_not_silently_initialised(tmp_path: Path) -> None:
    (tmp_path / "remit.db").touch()
    with pytest.raises(DatabaseError, match=r"is empty \(no Remit tables\).*remit init --force"):
        open_database("sqlite:///remit.db", tmp_path, create=False)
    open_database("sqlite:///remit.db", tmp_path, create=True).dispose()  # init --force may


def test_someone_elses_database(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(DatabaseError, match="is not a Remit database"):
        open_database("sqlite:///other.db", tmp_path, create=True)


def test_schema_from_a_newer_remit(database_url: str, tmp_path: Path) -> None:
    open_database(database_url, tmp_path, create=True).dispose()
    engine = create_engine_for(database_url, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(DatabaseError) as caught:
        open_database(database_url, tmp_path, create=False)
    assert "was created by a newer version of Remit (schema revision 0099_future)" in str(
        caught.value
    )
    assert str(caught.value).endswith("upgrade Remit to use this workspace")


def test_older_schema_is_upgraded_on_open(database_url: str, tmp_path: Path) -> None:
    engine = open_database(database_url, tmp_path, create=True)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    engine.dispose()

    engine = open_database(database_url, tmp_path, create=False)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert set(inspect(conn).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_migration_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration failing halfway leaves the database as it was."""
    engine = create_engine_for("sqlite:///remit.db", tmp_path)
    try:
        original = command.upgrade

        def upgrade_then_fail(config: object, revision: str) -> None:
            original(config, revision)  # type: ignore[arg-type]
            raise RuntimeError("power cut")

        monkeypatch.setattr(command, "upgrade", upgrade_then_fail)
        with pytest.raises(RuntimeError, match="power cut"):
            migrate(engine)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_invalid_and_unsupported_urls(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is not a valid database URL"):
        open_database("not a url", tmp_path, create=True)
    with pytest.raises(DatabaseError, match="unsupported database"):
        open_database("nosuchdb://x/y", tmp_path, create=True)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_hides_the_password(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://remit:hunter2@127.0.0.1:{port}/remit?connect_timeout=5"
    with pytest.raises(DatabaseError) as caught:
        open_database(url, tmp_path, create=True)
    message = str(caught.value)
    assert message.startswith("cannot open the database postgresql+psycopg://remit:***@127.0.0.1")
    assert "hunter2" not in message
    assert "\n" not in message


def test_plain_postgresql_url_uses_psycopg3(tmp_path: Path) -> None:
    engine = create_engine_for("postgresql://u@127.0.0.1/db", tmp_path)
    assert engine.dialect.driver == "psycopg"


def test_timestamps_come_back_as_utc(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    from datetime import timedelta, timezone

    contoso, _ = two_tenants
    started = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with sessions.begin() as session:
        saved = SnapshotRepository(session, contoso).save(
            {}, status=CollectionStatus.FAILED, started_at=started, finished_at=started
        )
    with sessions.begin() as session:
        loaded = SnapshotRepository(session, contoso).get(saved.id)
    assert loaded.started_at == started
    assert loaded.started_at.tzinfo == UTC
    assert loaded.started_at.hour == 10


def test_lock_held_too_long_is_a_clear_error(tmp_path: Path) -> None:
    engine = open_database("sqlite:///remit.db", tmp_path, create=True)
    try:
        with engine.connect() as holder, engine.connect() as waiter:
            for conn in (holder, waiter):
                conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            raw = waiter.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=20")  # not 10 s, in a test
            with holder.begin(), pytest.raises(DatabaseError) as caught:  # another writer
                waiter.begin()
    finally:
        engine.dispose()
    assert str(caught.value).startswith(
        f"{tmp_path / 'remit.db'} is locked: another Remit process is writing"
    )
