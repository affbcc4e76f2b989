"""Engines, migrations and the checks made when a database is opened.

SQLite is the default (a file in the workspace); the URL may point at PostgreSQL instead
(``postgresql+psycopg://...``). Opening is cheap: the SQLite header is checked for damage and
truncation, the schema is read once, and the schema version is compared with this code's. Any
"database disk image is malformed" met later, on any query, becomes the same one-line
:class:`~remit.errors.DatabaseError` (see :func:`_translate_error`).
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    column,
    create_engine,
    event,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from remit.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# The newest migration in migrations/versions (a test keeps the two in step). Opening a current
# database compares against this and never imports Alembic, which costs a CLI ~0.2 s to load.
SCHEMA_HEAD = "0005"
SQLITE_PRAGMAS = (
    ("journal_mode", "WAL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "10000"),  # wait up to 10 s for another writer
    ("synchronous", "NORMAL"),
)
# Connection execution option: how a SQLite transaction begins ("" = deferred, "IMMEDIATE").
SQLITE_BEGIN_OPTION = "remit_sqlite_begin"
# pg_advisory_xact_lock key serialising migrations of one PostgreSQL database ("remit" in ASCII).
_PG_MIGRATION_LOCK = 0x72656D6974

_SQLITE_MAGIC = b"SQLite format 3\x00"
_CORRUPTION_MARKERS = ("malformed", "file is not a database", "file is encrypted")


# --- engines -------------------------------------------------------------------------------


def create_engine_for(url: str, workspace_dir: Path) -> Engine:
    """An engine for ``url``; a relative SQLite path is taken relative to ``workspace_dir``."""
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            parsed = _resolve_sqlite_path(parsed, workspace_dir)
            engine = create_engine(parsed)
            _install_sqlite_hooks(engine)
        else:
            if parsed.drivername == "postgresql":
                # psycopg 3 is the driver Remit ships with (the `postgres` extra), not psycopg2.
                parsed = parsed.set(drivername="postgresql+psycopg")
            engine = create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise DatabaseError(
            f"database URL {_redact(url)}: unsupported database; use sqlite:///remit.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            f"database URL {_redact(url)}: its driver is not installed ({exc.name}); "
            "install it, e.g. pip install 'remit[postgres]'"
        ) from None
    event.listen(engine, "handle_error", _translate_error)
    return engine


def sqlite_file(engine: Engine) -> Path | None:
    """The database file behind a SQLite engine, or None (in-memory, or not SQLite)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def describe(engine: Engine) -> str:
    """The database as a technician would name it: a file path, or the URL without password."""
    path = sqlite_file(engine)
    return str(path) if path is not None else engine.url.render_as_string(hide_password=True)


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"{_redact(url)} is not a valid database URL; set database.url in remit.toml to "
            "e.g. sqlite:///remit.db or postgresql+psycopg://user@host/dbname"
        ) from None


def _redact(url: str) -> str:
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def _resolve_sqlite_path(url: URL, workspace_dir: Path) -> URL:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = workspace_dir / path
    return url.set(database=str(path.absolute()))


def _install_sqlite_hooks(engine: Engine) -> None:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (the module
        # would otherwise run DDL outside of them), and set the pragmas for this connection.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for name, value in SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {name}={value}")
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def _translate_error(context: ExceptionContext) -> None:
    """Turn SQLite's corruption and lock errors, whenever they occur, into one actionable line."""
    original = context.original_exception
    if not isinstance(original, sqlite3.DatabaseError):
        return
    reason = str(original)
    engine = context.engine
    path = sqlite_file(engine) if engine is not None else None
    if any(marker in reason for marker in _CORRUPTION_MARKERS):
        raise DatabaseError(_damaged(path, reason)) from original
    if reason.startswith("database is locked"):
        raise DatabaseError(
            f"{path or 'the database'} is locked: another Remit process is writing to it; "
            "try again when it has finished"
        ) from original


def _damaged(path: Path | None, reason: str) -> str:
    where = str(path) if path is not None else "the database"
    name = path.name if path is not None else "the database file"
    return (
        f"{where} is damaged ({reason}); restore {name} from a backup, or move it aside and run "
        "`remit init --force` to start with an empty database"
    )


# --- migrations ----------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code: no alembic.ini is needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision among the shipped migration scripts (reads them)."""
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise DatabaseError(f"{MIGRATIONS_DIR}: no migrations found; reinstall Remit")
    return head


def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _script().walk_revisions())


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision, in one transaction.

    Concurrent callers are serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    lock), and the second one finds the schema current and does nothing.
    """
    from alembic import command

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(conn), "head")


def current_revision(conn: Connection) -> str | None:
    """The schema revision the database is at (None: no version recorded)."""
    return _version_num(conn) if inspect(conn).has_table(VERSION_TABLE) else None


def _version_num(conn: Connection) -> str | None:
    version = table(VERSION_TABLE, column("version_num"))
    return conn.execute(select(version.c.version_num)).scalars().first()


# --- opening -------------------------------------------------------------------------------


def open_database(url: str, workspace_dir: Path, *, create: bool) -> Engine:
    """Open (and with ``create``, make) the workspace database, schema current.

    Raises :class:`DatabaseError` with one actionable line when the database is missing,
    damaged, not Remit's, or made by a newer Remit. An older schema is upgraded in place.
    """
    engine = create_engine_for(url, workspace_dir)
    try:
        _prepare(engine, create=create)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _prepare(engine: Engine, *, create: bool) -> None:
    path = sqlite_file(engine)
    if path is not None:
        if not path.exists():
            if not create:
                raise DatabaseError(
                    f"{path} does not exist; run `remit init` to create the workspace's "
                    "database, or fix database.url in remit.toml"
                )
            _create_private_file(path)
        check_sqlite_file(path)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revision = _version_num(conn) if VERSION_TABLE in tables else None
    except DBAPIError as exc:
        raise DatabaseError(
            f"cannot open the database {describe(engine)}: {_first_line(exc.orig)}; check "
            "database.url in remit.toml (and that the database server is running)"
        ) from None
    if VERSION_TABLE not in tables:
        if tables:
            raise DatabaseError(
                f"{describe(engine)} is not a Remit database (it holds other tables and no Remit "
                "schema version); point database.url in remit.toml at the Remit database"
            )
        if not create:
            raise DatabaseError(
                f"{describe(engine)} is empty (no Remit tables); restore it from a backup, or "
                "run `remit init --force` to create the tables"
            )
    if revision == SCHEMA_HEAD:
        return
    if revision is not None and revision not in known_revisions():
        raise DatabaseError(
            f"{describe(engine)} was created by a newer version of Remit (schema revision "
            f"{revision}); upgrade Remit to use this workspace"
        )
    migrate(engine)


def _create_private_file(path: Path) -> None:
    # SQLite treats an empty file as a new database; creating it first makes it (and the -wal
    # and -shm files SQLite derives from its mode) readable by the owner only.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot create the database {path}: {exc.strerror}") from None
    os.close(fd)


def check_sqlite_file(path: Path) -> None:
    """Cheap checks of a SQLite file's header: is it a database, and is it all there?

    Reads 100 bytes, whatever the size of the file; a full ``PRAGMA quick_check`` reads every
    page and would make opening a large workspace slow.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc.strerror}") from None
    if size == 0:
        return  # a new, empty database
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise DatabaseError(_damaged(path, "file is not a database"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DatabaseError(_damaged(path, "the header is corrupted"))
    pages = int.from_bytes(header[28:32], "big")
    pages_valid = pages > 0 and header[24:28] == header[92:96]
    wal = path.with_name(path.name + "-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0
    if pages_valid and size < pages * page_size and not wal_pending:
        raise DatabaseError(
            _damaged(path, f"the file is truncated: {size} bytes of {pages * page_size}")
        )


def verify_integrity(engine: Engine) -> None:
    """A full check of a SQLite database (reads every page); for a `doctor` command, not open."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        rows = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(5)")]
    if rows != ["ok"]:
        raise DatabaseError(_damaged(sqlite_file(engine), "; ".join(str(r) for r in rows)))


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
