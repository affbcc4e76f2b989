"""The workspace folder: create, open, --force, failures that leave nothing behind, the key."""

from __future__ import annotations

import os
import select
import signal
import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from remit.config import GraphSettings, WebSettings, load_settings
from remit.domain import AuthKind, CollectionStatus, TenantCredentials
from remit.errors import ConfigError, DatabaseError, SecretsError, WorkspaceError
from remit.store.secrets import encode_key
from remit.workspace import Workspace, default_workspace_path

TENANT_ID = "11111111-1111-4111-8111-111111111111"
APP_ID = "99999999-9999-4999-8999-999999999999"
CREDENTIALS = TenantCredentials(TENANT_ID, APP_ID, AuthKind.CLIENT_SECRET, "s3cret")
NO_ENV: dict[str, str] = {}


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _add_tenant(ws: Workspace) -> None:
    with ws.session() as session:
        tenant = ws.tenants(session).add(CREDENTIALS, primary_domain="contoso.onmicrosoft.com")
        now = datetime.now(UTC)
        ws.snapshots(session, tenant).save(
            {"users": {"value": []}},
            status=CollectionStatus.COMPLETE,
            started_at=now,
            finished_at=now,
        )


def test_create_then_open(tmp_path: Path) -> None:
    path = tmp_path / "msp" / "ws"
    graph = GraphSettings(base_url="https://127.0.0.1:8443/v1.0")
    with Workspace.create(path, graph=graph, environ=NO_ENV) as ws:
        assert ws.path == path
        assert ws.settings.graph == graph
        _add_tenant(ws)
    assert sorted(p.name for p in path.iterdir()) == ["remit.db", "remit.key", "remit.toml"]
    assert _mode(path) == 0o700
    assert _mode(path / "remit.key") == 0o600
    assert _mode(path / "remit.db") == 0o600
    assert load_settings(path / "remit.toml").graph == graph
    with Workspace.open(path, environ=NO_ENV) as ws, ws.session() as session:
        tenant = ws.tenants(session).get("contoso")
        assert ws.tenants(session).credentials(tenant).secret == "s3cret"
        latest = ws.snapshots(session, tenant).latest()
        assert latest is not None
        assert ws.snapshots(session, tenant).load(latest.id) == {"users": {"value": []}}


def test_session_rolls_back_on_error(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "ws", environ=NO_ENV) as ws:

        def add_then_fail() -> None:
            with ws.session() as session:
                ws.tenants(session).add(CREDENTIALS)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            add_then_fail()
        with ws.session() as session:
            assert ws.tenants(session).list() == []


def test_writing_sessions_take_the_sqlite_write_lock_up_front(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "ws", environ=NO_ENV) as ws:
        other = sqlite3.connect(tmp_path / "ws" / "remit.db", timeout=0, isolation_level=None)
        try:
            with ws.session() as session:
                session.execute(text("SELECT 1"))  # a read first, as most sessions do
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    other.execute("BEGIN IMMEDIATE")
            with ws.session(write=False) as session:
                session.execute(text("SELECT 1"))
                other.execute("BEGIN IMMEDIATE")  # readers leave writers alone
                other.execute("ROLLBACK")
        finally:
            other.close()


def test_concurrent_read_then_write_sessions(tmp_path: Path) -> None:
    """What concurrent collections do: read the tenant, then save a snapshot, in threads."""
    with Workspace.create(tmp_path / "ws", environ=NO_ENV) as ws:
        _add_tenant(ws)

        def collect(n: int) -> int:
            with ws.session() as session:
                tenant = ws.tenants(session).get("contoso")
                now = datetime.now(UTC)
                return (
                    ws.snapshots(session, tenant)
                    .save(
                        {"users": {"value": [n]}},
                        status=CollectionStatus.COMPLETE,
                        started_at=now,
                        finished_at=now,
                    )
                    .id
                )

        with ThreadPoolExecutor(max_workers=6) as pool:
            ids = list(pool.map(collect, range(24)))
        with ws.session(write=False) as session:
            tenant = ws.tenants(session).get("contoso")
            assert len(ws.snapshots(session, tenant).list(limit=None)) == 25
    assert len(set(ids)) == 24


def test_existing_workspace_is_refused_without_force(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    with pytest.raises(WorkspaceError) as caught:
        Workspace.create(path, environ=NO_ENV)
    assert str(caught.value) == (
        f"{path} already holds a workspace; use --force to overwrite its configuration "
        "(tenants and snapshots are kept)"
    )
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before


def test_force_rewrites_the_configuration_and_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.create(path, environ=NO_ENV) as ws:
        _add_tenant(ws)
    key = (path / "remit.key").read_bytes()
    (path / "remit.toml").write_text("this is [not valid toml")
    graph = GraphSettings(authority_host="https://127.0.0.1:9443")
    with Workspace.create(path, graph=graph, force=True, environ=NO_ENV) as ws:
        assert ws.settings.graph == graph
    assert (path / "remit.key").read_bytes() == key
    with Workspace.open(path, environ=NO_ENV) as ws, ws.session() as session:
        assert ws.tenants(session).credentials("contoso").secret == "s3cret"


def test_force_keeps_pointing_at_the_same_database(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.create(path, database_url="sqlite:///clients.db", environ=NO_ENV) as ws:
        _add_tenant(ws)
    with Workspace.create(path, force=True, environ=NO_ENV) as ws:
        assert ws.settings.database.url == "sqlite:///clients.db"
        with ws.session() as session:
            assert [t.name for t in ws.tenants(session).list()] == ["contoso"]
    assert not (path / "remit.db").exists()


def test_open_missing_workspace(tmp_path: Path) -> None:
    path = tmp_path / "nowhere"
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(path)
    assert str(caught.value).startswith(f"there is no workspace at {path}; run `remit init`")
    assert not path.exists()


def test_open_a_file_or_a_folder_without_config(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="is a file, not a workspace folder"):
        Workspace.open(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(tmp_path / "empty")
    assert str(caught.value) == (
        f"{tmp_path / 'empty'} is not a Remit workspace (there is no remit.toml); "
        f"run `remit init {tmp_path / 'empty'}` to create one there"
    )


def test_open_with_a_broken_config(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    (path / "remit.toml").write_text("[graph]\nmax_retries = -1\n")
    with pytest.raises(ConfigError, match=r"setting `graph\.max_retries`"):
        Workspace.open(path, environ=NO_ENV)


def test_open_unreadable_workspace(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    expected = f"cannot read the workspace {path}: permission denied"
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            with pytest.raises(WorkspaceError) as caught:
                Workspace.open(path)
        finally:
            path.chmod(0o700)
        assert str(caught.value).startswith(expected)
        return
    # Root reads everything: try again as an unprivileged user (the folders are root's, 0700).
    assert _open_as_nobody(path).startswith(expected)


def _open_as_nobody(path: Path) -> str:
    """Workspace.open(path) in a forked child running as `nobody`; the error message it got."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no exec, so the interpreter and imports are already there
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                Workspace.open(path, environ=NO_ENV)
                message = "opened"
            except WorkspaceError as exc:
                message = str(exc)
            os.write(write_fd, message.encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        return os.read(read_fd, 65536).decode() if ready else "child timed out"
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)


def test_key_readable_by_others_is_refused_on_open(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    (path / "remit.key").chmod(0o644)
    with pytest.raises(SecretsError, match=r"run `chmod 600 .*remit.key`"):
        Workspace.open(path, environ=NO_ENV)


def test_missing_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    (path / "remit.key").unlink()
    with pytest.raises(SecretsError, match="the workspace key file is missing"):
        Workspace.open(path, environ=NO_ENV)


def test_missing_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.create(path, environ=NO_ENV).close()
    (path / "remit.db").unlink()
    with pytest.raises(DatabaseError, match=r"remit\.db does not exist; run `remit init`"):
        Workspace.open(path, environ=NO_ENV)


def test_key_from_the_environment(tmp_path: Path) -> None:
    env = {"REMIT_SECRET_KEY": encode_key(os.urandom(32))}
    path = tmp_path / "ws"
    with Workspace.create(path, environ=env) as ws:
        _add_tenant(ws)
    assert not (path / "remit.key").exists()
    with Workspace.open(path, environ=env) as ws, ws.session() as session:
        assert ws.tenants(session).credentials("contoso").secret == "s3cret"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "nosuchdb://x/y",
        "this is not a url",
        "postgresql+psycopg://remit@127.0.0.1:{closed_port}/remit?connect_timeout=5",
        "sqlite:///missing-folder/remit.db",
    ],
)
def test_failed_creation_leaves_nothing_behind(tmp_path: Path, url: str) -> None:
    url = url.replace("{closed_port}", str(_closed_port()))
    fresh = tmp_path / "new" / "ws"
    with pytest.raises(DatabaseError):
        Workspace.create(fresh, database_url=url, environ=NO_ENV)
    assert list(tmp_path.iterdir()) == []  # not even the folders it made

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    with pytest.raises(DatabaseError):
        Workspace.create(existing, database_url=url, environ=NO_ENV)
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]


def test_failure_after_the_database_removes_it_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import remit.workspace

    def fail(*args: object) -> None:
        raise WorkspaceError("disk full")

    monkeypatch.setattr(remit.workspace, "dump_settings", fail)
    with pytest.raises(WorkspaceError, match="disk full"):
        Workspace.create(tmp_path / "ws", environ=NO_ENV)
    assert list(tmp_path.iterdir()) == []


def test_update_settings(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.create(path, environ=NO_ENV) as ws:
        web = WebSettings(port=9000)
        settings = ws.update_settings(web=web)
        assert settings.web == web
        assert ws.settings == settings
    assert load_settings(path / "remit.toml") == settings
    assert [p.name for p in path.iterdir() if p.name.startswith(".")] == []


def test_default_workspace_path(tmp_path: Path) -> None:
    home = Path.home()
    assert default_workspace_path({"REMIT_WORKSPACE": str(tmp_path)}) == tmp_path
    assert default_workspace_path({"REMIT_WORKSPACE": "~/ws"}) == home / "ws"
    assert default_workspace_path({"XDG_DATA_HOME": "/data"}) == Path("/data/remit")
    assert default_workspace_path({"XDG_DATA_HOME": "relative"}) == home / ".local/share/remit"
    assert default_workspace_path({}) == home / ".local/share/remit"
