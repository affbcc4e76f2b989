"""Fixtures: a SQLite workspace in tmp_path with two tenants, and a way to store snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from remit.domain import AuthKind, CollectionStatus, EndpointResult, TenantCredentials
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace
from tests.monitoring.builders import TENANT_ID, GraphTenant

OTHER_ID = "44444444-4444-4444-8444-444444444444"
CLIENT_ID = "99999999-9999-4999-8999-999999999999"

Store = Callable[..., int]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("REMIT_SECRET_KEY", raising=False)
    with Workspace.create(tmp_path / "ws") as opened:
        with opened.session() as session:
            tenants = opened.tenants(session)
            for tenant_id, name in ((TENANT_ID, "contoso"), (OTHER_ID, "fabrikam")):
                tenants.add(
                    TenantCredentials(tenant_id, CLIENT_ID, AuthKind.CLIENT_SECRET, "s"),
                    name=name,
                    primary_domain=f"{name}.example",
                )
        yield opened


@pytest.fixture
def contoso(workspace: Workspace) -> TenantInfo:
    with workspace.session(write=False) as session:
        return workspace.tenants(session).get("contoso")


@pytest.fixture
def store(workspace: Workspace) -> Store:
    """``store(graph_tenant, at, tenant="contoso", status=COMPLETE, results=())`` → snapshot id."""

    def save(
        graph: GraphTenant,
        at: datetime,
        tenant: str = "contoso",
        status: CollectionStatus = CollectionStatus.COMPLETE,
        results: tuple[EndpointResult, ...] = (),
    ) -> int:
        with workspace.session() as session:
            info = workspace.tenants(session).get(tenant)
            snapshot = workspace.snapshots(session, info).save(
                graph.payloads,
                status=status,
                started_at=at,
                finished_at=at,
                endpoint_results=results,
            )
        return snapshot.id

    return save
