"""The web app over a workspace: health, the tenant API, the overview page, problem documents.

The app reads the database only (never Graph), so these tests store snapshots directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from remit.domain import AuthKind, CollectionStatus, TenantCredentials
from remit.web.app import create_app
from remit.workspace import Workspace

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

GA = "62e90394-69f5-4237-9190-012177145e10"
EVIL = '<script>alert("pwned")</script>'
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _guid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


PAYLOADS: dict[str, Any] = {
    "organization": {"value": [{"id": _guid(1), "displayName": "Contoso Ltd"}]},
    "users": {
        "value": [
            {"id": _guid(10), "userType": "Member"},
            {"id": _guid(11), "userType": "Member"},
            {"id": _guid(12), "userType": "Member"},
            {"id": _guid(13), "userType": "Guest"},
        ]
    },
    "roleManagement/directory/roleDefinitions": {"value": [{"id": GA, "templateId": GA}]},
    "roleManagement/directory/roleAssignments": {
        "value": [
            {"id": "a1", "principalId": _guid(10), "roleDefinitionId": GA},
            {"id": "a2", "principalId": _guid(11), "roleDefinitionId": GA},
        ]
    },
    "identity/conditionalAccess/policies": {
        "value": [
            {"id": "p1", "state": "enabled"},
            {"id": "p2", "state": "enabled"},
            {"id": "p3", "state": "disabled"},
        ]
    },
    "policies/identitySecurityDefaultsEnforcementPolicy": {"id": "sd", "isEnabled": False},
    "reports/authenticationMethods/userRegistrationDetails": {
        "value": [
            {"id": _guid(10), "userType": "member", "isMfaRegistered": True},
            {"id": _guid(11), "userType": "member", "isMfaRegistered": True},
            {"id": _guid(12), "userType": "member", "isMfaRegistered": False},
            {"id": _guid(13), "userType": "guest", "isMfaRegistered": False},
        ]
    },
    "deviceManagement/managedDevices": {"value": [{"id": "d1"}, {"id": "d2"}]},
}


def _add(workspace: Workspace, n: int, name: str, display_name: str) -> None:
    credentials = TenantCredentials(_guid(n), _guid(99), AuthKind.CLIENT_SECRET, "s3cret-value")
    with workspace.session() as session:
        workspace.tenants(session).add(
            credentials, name=name, display_name=display_name, primary_domain=f"{name}.example"
        )


def _snapshot(
    workspace: Workspace, name: str, status: CollectionStatus, payloads: dict[str, Any], age: int
) -> int:
    with workspace.session() as session:
        tenant = workspace.tenants(session).get(name)
        info = workspace.snapshots(session, tenant).save(
            payloads,
            status=status,
            started_at=T0 - timedelta(hours=age, seconds=5),
            finished_at=T0 - timedelta(hours=age),
            http_requests=5,
            error="Entra ID rejected the client secret"
            if status is CollectionStatus.FAILED
            else None,
        )
        return info.id


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.create(tmp_path / "ws") as workspace:
        _add(workspace, 1, "contoso", "Contoso Ltd")
        _add(workspace, 2, "evil", EVIL)
        _add(workspace, 3, "fabrikam", "Fabrikam")
        yield workspace


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    with warnings.catch_warnings():
        # Starlette asks for httpx2 instead of httpx; the test client works the same with both.
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    with TestClient(create_app(workspace)) as client:
        yield client


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_api_lists_tenants_with_a_summary_of_their_last_usable_snapshot(
    workspace: Workspace, client: TestClient
) -> None:
    complete = _snapshot(workspace, "contoso", CollectionStatus.COMPLETE, PAYLOADS, age=2)
    _snapshot(workspace, "contoso", CollectionStatus.FAILED, {}, age=1)  # newer, but failed
    _snapshot(workspace, "fabrikam", CollectionStatus.FAILED, {}, age=1)

    response = client.get("/api/tenants")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert list(rows) == ["contoso", "evil", "fabrikam"]
    snapshot = rows["contoso"]["snapshot"]
    assert snapshot["id"] == complete
    assert snapshot["status"] == "complete"
    assert snapshot["summary"] == {
        "display_name": "Contoso Ltd",
        "users": 3,
        "guests": 1,
        "global_admins": 2,
        "ca_policies_enabled": 2,
        "security_defaults": False,
        "mfa_registered_percent": 66.7,
        "devices": 2,
    }
    assert rows["evil"]["snapshot"] is None
    assert rows["fabrikam"]["snapshot"] is None  # a failed collection is not a snapshot to show
    assert "s3cret-value" not in response.text


def test_api_returns_one_tenant_by_name_id_or_domain(
    workspace: Workspace, client: TestClient
) -> None:
    _snapshot(workspace, "contoso", CollectionStatus.PARTIAL, PAYLOADS, age=1)

    by_name = client.get("/api/tenants/contoso")
    by_id = client.get(f"/api/tenants/{_guid(1)}")
    by_domain = client.get("/api/tenants/contoso.example")

    assert by_name.status_code == by_id.status_code == by_domain.status_code == 200
    assert by_name.json() == by_id.json() == by_domain.json()
    assert by_name.json()["snapshot"]["status"] == "partial"


def test_an_unknown_tenant_is_a_json_problem_document(client: TestClient) -> None:
    response = client.get("/api/tenants/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404
    assert problem["title"] == "NotFound"
    assert "nowhere" in problem["detail"]
    assert problem["exit_code"] == 5


def test_overview_page_lists_tenants_and_escapes_what_they_are_called(
    workspace: Workspace, client: TestClient
) -> None:
    _snapshot(workspace, "contoso", CollectionStatus.COMPLETE, PAYLOADS, age=1)

    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for text in ("contoso", "Contoso Ltd", "fabrikam", "contoso.example", "complete", "66.7"):
        assert text in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "<script>" not in page
