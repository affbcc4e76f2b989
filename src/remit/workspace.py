"""The workspace: one folder holding an MSP's Remit state.

``remit.toml`` (settings, :mod:`remit.config`), ``remit.db`` (the SQLite database, unless the
settings point at PostgreSQL) and ``remit.key`` (the key that encrypts tenant secrets at rest).
:meth:`Workspace.create` makes one, :meth:`Workspace.open` opens one; both leave nothing
half-written behind when they fail.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from remit.config import (
    CONFIG_FILE_NAME,
    CollectSettings,
    DatabaseSettings,
    GraphSettings,
    Settings,
    WebSettings,
    dump_settings,
    load_settings,
)
from remit.errors import ConfigError, WorkspaceError
from remit.store.assessments import AssessmentRepository
from remit.store.db import SQLITE_BEGIN_OPTION, create_engine_for, open_database, sqlite_file
from remit.store.secrets import (
    KEY_ENV_VAR,
    KEY_FILE_NAME,
    SecretBox,
    generate_key_file,
    load_key,
)
from remit.store.snapshots import SnapshotRepository
from remit.store.tenants import TenantInfo, TenantRepository

WORKSPACE_ENV_VAR = "REMIT_WORKSPACE"
DEFAULT_DATABASE_FILE = "remit.db"  # what DatabaseSettings' default URL names


def default_workspace_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$REMIT_WORKSPACE``, else ``$XDG_DATA_HOME/remit``, else ``~/.local/share/remit``."""
    env = os.environ if environ is None else environ
    explicit = env.get(WORKSPACE_ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    data_home = env.get("XDG_DATA_HOME", "").strip()
    # The XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored.
    if data_home and Path(data_home).is_absolute():
        return Path(data_home) / "remit"
    return Path.home() / ".local" / "share" / "remit"


class Workspace(AbstractContextManager["Workspace"]):
    """An open workspace: settings, database engine and the secret box."""

    def __init__(self, path: Path, settings: Settings, engine: Engine, secrets: SecretBox) -> None:
        self.path = path
        self.settings = settings
        self.engine = engine
        self.secrets = secrets
        # SQLite: a session that writes must hold the write lock from its first statement. A
        # transaction that reads and then writes cannot wait for another writer (SQLite answers
        # "database is locked" at once), and concurrent collections do exactly that.
        writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._sessions = sessionmaker(writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)

    # --- opening and creating --------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, environ: Mapping[str, str] | None = None) -> Workspace:
        """Open the workspace in ``path``; ``environ`` may carry ``REMIT_SECRET_KEY``."""
        path = path.expanduser().absolute()
        _require_folder(path)
        config = path / CONFIG_FILE_NAME
        try:
            config.stat()
        except FileNotFoundError:
            raise WorkspaceError(
                f"{path} is not a Remit workspace (there is no {CONFIG_FILE_NAME}); run "
                f"`remit init {path}` to create one there"
            ) from None
        except PermissionError:
            raise _unreadable(path) from None
        settings = load_settings(config)
        secrets = SecretBox(load_key(path / KEY_FILE_NAME, environ=environ))
        engine = open_database(settings.database.url, path, create=False)
        return cls(path, settings, engine, secrets)

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        database_url: str | None = None,
        graph: GraphSettings | None = None,
        force: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> Workspace:
        """Make a workspace in ``path``: folder (0700), key (0600), database, then settings.

        An existing workspace is refused unless ``force``, which rewrites the settings and keeps
        the database and the key: it never destroys tenants or snapshots. The rewritten settings
        are the defaults plus the arguments, except that the database stays the one the old
        settings named (when they are readable) unless ``database_url`` is given. If anything fails,
        whatever this call created is removed again. When ``$REMIT_SECRET_KEY`` is set (in
        ``environ``, default ``os.environ``) that key is used and no key file is written.
        """
        path = path.expanduser().absolute()
        config = path / CONFIG_FILE_NAME
        key_file = path / KEY_FILE_NAME
        env = os.environ if environ is None else environ
        try:
            existing = any(p.exists() for p in (config, key_file, path / DEFAULT_DATABASE_FILE))
        except PermissionError:
            raise _unreadable(path) from None
        if existing and not force:
            raise WorkspaceError(
                f"{path} already holds a workspace; use --force to overwrite its configuration "
                "(tenants and snapshots are kept)"
            )
        if database_url is None:
            database = _previous_database(config) if existing else DatabaseSettings()
        else:
            database = DatabaseSettings(url=database_url)
        settings = Settings(database=database, graph=graph or GraphSettings())
        with ExitStack() as undo:
            _make_folder(path, undo)
            if not env.get(KEY_ENV_VAR, "").strip() and not key_file.exists():
                generate_key_file(key_file)
                undo.callback(key_file.unlink, missing_ok=True)
            secrets = SecretBox(load_key(key_file, environ=env))
            engine = _create_database(settings.database.url, path, undo)
            undo.callback(_temp_settings_file(config).unlink, missing_ok=True)
            _write_settings(settings, config)
            undo.pop_all()
        return cls(path, settings, engine, secrets)

    # --- using -----------------------------------------------------------------------------

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        On SQLite the transaction takes the write lock when it begins (waiting up to 10 s for
        another writer), so it can write safely next to concurrent writers. ``write=False`` is
        for sessions that only read (the dashboard, reports): they never wait for writers.
        """
        with (self._sessions if write else self._read_sessions).begin() as session:
            yield session

    def tenants(self, session: Session) -> TenantRepository:
        return TenantRepository(session, self.secrets)

    def snapshots(self, session: Session, tenant: TenantInfo) -> SnapshotRepository:
        return SnapshotRepository(session, tenant)

    def assessments(self, session: Session, tenant: TenantInfo) -> AssessmentRepository:
        return AssessmentRepository(session, tenant)

    def update_settings(
        self,
        *,
        graph: GraphSettings | None = None,
        collect: CollectSettings | None = None,
        web: WebSettings | None = None,
    ) -> Settings:
        """Change sections of ``remit.toml`` (written atomically) and of :attr:`settings`.

        The database is chosen when the workspace is created (``remit init --force`` changes it).
        """
        changes = {
            name: section
            for name, section in (("graph", graph), ("collect", collect), ("web", web))
            if section is not None
        }
        settings = self.settings.model_copy(update=changes)
        _write_settings(settings, self.path / CONFIG_FILE_NAME)
        self.settings = settings
        return settings

    def close(self) -> None:
        self.engine.dispose()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"


def _previous_database(config: Path) -> DatabaseSettings:
    """The database an existing configuration names, or the default when it is unreadable."""
    try:
        return load_settings(config).database
    except ConfigError:
        return DatabaseSettings()


def _require_folder(path: Path) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise WorkspaceError(
            f"there is no workspace at {path}; run `remit init` to create one, or point "
            f"${WORKSPACE_ENV_VAR} (or --workspace) at an existing one"
        ) from None
    except PermissionError:
        raise _unreadable(path) from None
    if not stat.S_ISDIR(info.st_mode):
        raise WorkspaceError(
            f"{path} is a file, not a workspace folder; point ${WORKSPACE_ENV_VAR} (or "
            "--workspace) at the workspace folder"
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise _unreadable(path)


def _unreadable(path: Path) -> WorkspaceError:
    return WorkspaceError(
        f"cannot read the workspace {path}: permission denied; run Remit as the user who owns "
        "it, or fix its permissions"
    )


def _make_folder(path: Path, undo: ExitStack) -> None:
    """Create ``path`` and any missing parents (0700); register their removal on failure."""
    missing: list[Path] = []
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the workspace folder {path}: {exc.strerror}; choose another place "
            "or fix the permissions"
        ) from None
    for folder in reversed(missing):  # deepest removed first, when the stack unwinds
        undo.callback(_rmdir_if_empty, folder)
    if not missing and not os.access(path, os.W_OK | os.X_OK):
        raise WorkspaceError(f"cannot write in {path}: permission denied; fix its permissions")


def _rmdir_if_empty(folder: Path) -> None:
    with suppress(OSError):  # someone else put something there: leave it
        folder.rmdir()


def _create_database(url: str, path: Path, undo: ExitStack) -> Engine:
    # Note what SQLite files exist already, so that a failure removes only what we created.
    probe_engine_files = _sqlite_files_for(url, path)
    existed = {p for p in probe_engine_files if p.exists()}
    undo.callback(_remove_new_files, probe_engine_files, existed)
    engine = open_database(url, path, create=True)
    undo.callback(engine.dispose)  # runs before the files are removed (LIFO)
    return engine


def _sqlite_files_for(url: str, path: Path) -> list[Path]:
    engine = create_engine_for(url, path)  # no connection is made
    try:
        db = sqlite_file(engine)
    finally:
        engine.dispose()
    if db is None:
        return []
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def _remove_new_files(files: list[Path], existed: set[Path]) -> None:
    for file in files:
        if file not in existed:
            file.unlink(missing_ok=True)


def _temp_settings_file(config: Path) -> Path:
    # The temporary name remit.config.dump_settings writes before renaming it into place.
    return config.with_name(f".{config.name}.tmp-{os.getpid()}")


def _write_settings(settings: Settings, config: Path) -> None:
    try:
        dump_settings(settings, config)
    except OSError as exc:
        raise WorkspaceError(f"cannot write {config}: {exc.strerror}") from None
