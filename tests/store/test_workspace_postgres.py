"""A workspace whose database is PostgreSQL: the folder holds settings and key, no remit.db."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from remit.domain import CollectionStatus
from remit.workspace import Workspace

from .conftest import CONTOSO_ID, creds


def test_workspace_on_postgresql(tmp_path: Path, make_pg_url: Callable[[], str]) -> None:
    url = make_pg_url()
    path = tmp_path / "ws"
    with Workspace.create(path, database_url=url, environ={}) as ws:
        assert ws.engine.dialect.name == "postgresql"
        with ws.session() as session:
            tenant = ws.tenants(session).add(
                creds(CONTOSO_ID, "s3cret"), primary_domain="contoso.onmicrosoft.com"
            )
            now = datetime.now(UTC)
            ws.snapshots(session, tenant).save(
                {"users": {"value": []}},
                status=CollectionStatus.COMPLETE,
                started_at=now,
                finished_at=now,
            )
    assert sorted(p.name for p in path.iterdir()) == ["remit.key", "remit.toml"]
    with Workspace.open(path, environ={}) as ws, ws.session() as session:
        assert ws.settings.database.url == url
        tenant = ws.tenants(session).get("contoso")
        assert ws.tenants(session).credentials(tenant).secret == "s3cret"
        latest = ws.snapshots(session, tenant).latest()
        assert latest is not None
        assert ws.snapshots(session, tenant).load(latest.id) == {"users": {"value": []}}
