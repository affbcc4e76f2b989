"""Fixtures: a workspace in tmp_path with two tenants, and a way to store a snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from remit.domain import AuthKind, CollectionStatus, TenantCredentials
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
APP = "99999999-9999-4999-8999-999999999999"
SNAPSHOT_TIME = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.create(tmp_path / "ws", environ={}) as opened:
        yield opened


@pytest.fixture
def tenants(workspace: Workspace) -> tuple[TenantInfo, TenantInfo]:
    with workspace.session() as session:
        repo = workspace.tenants(session)
        contoso = repo.add(
            TenantCredentials(CONTOSO, APP, AuthKind.CLIENT_SECRET, "s"), name="contoso"
        )
        fabrikam = repo.add(
            TenantCredentials(FABRIKAM, APP, AuthKind.CLIENT_SECRET, "s"), name="fabrikam"
        )
    return contoso, fabrikam


def store_snapshot(workspace: Workspace, tenant: str, payloads: dict[str, Any]) -> int:
    with workspace.session() as session:
        info = workspace.tenants(session).get(tenant)
        stored = workspace.snapshots(session, info).save(
            payloads,
            status=CollectionStatus.COMPLETE,
            started_at=SNAPSHOT_TIME,
            finished_at=SNAPSHOT_TIME,
        )
    return stored.id
