"""Fixtures: a workspace in tmp_path (SQLite), tenants in it, alerts to send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from remit.domain import Alert, AuthKind, Severity, TenantCredentials
from remit.emulator.tls import TlsFiles, make_tls_files
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

CONTOSO_ID = "11111111-1111-4111-8111-111111111111"
FABRIKAM_ID = "22222222-2222-4222-8222-222222222222"
APP_ID = "99999999-9999-4999-8999-999999999999"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HMAC_KEY = "k3y-for-signing-webhooks-0123456789"


def make_alert(
    *,
    kind: str = "drift.unapproved-privileged",
    severity: Severity = Severity.HIGH,
    tenant_id: str = CONTOSO_ID,
    tenant_name: str = "contoso",
    key: str = "drift:contoso:alice:global-admin",
    title: str = "Unapproved Global Administrator: alice@contoso.com",
    text: str = "alice@contoso.com holds Global Administrator and nobody approved it.",
    occurred_at: datetime = NOW,
    data: dict[str, object] | None = None,
) -> Alert:
    return Alert(
        kind=kind,
        severity=severity,
        tenant_id=tenant_id,
        tenant_name=tenant_name,
        title=title,
        text=text,
        dedupe_key=key,
        occurred_at=occurred_at,
        data=data if data is not None else {"principal": "alice@contoso.com", "role": "GA"},
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.create(tmp_path / "ws", environ={}) as ws:
        yield ws


@pytest.fixture
def tenants(workspace: Workspace) -> tuple[TenantInfo, TenantInfo]:
    with workspace.session() as session:
        repo = workspace.tenants(session)
        contoso = repo.add(
            TenantCredentials(CONTOSO_ID, APP_ID, AuthKind.CLIENT_SECRET, "s1"),
            name="contoso",
            primary_domain="contoso.onmicrosoft.com",
        )
        fabrikam = repo.add(
            TenantCredentials(FABRIKAM_ID, APP_ID, AuthKind.CLIENT_SECRET, "s2"),
            name="fabrikam",
            primary_domain="fabrikam.onmicrosoft.com",
        )
    return contoso, fabrikam


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA and a certificate for 127.0.0.1 / localhost (the emulator's maker)."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))
