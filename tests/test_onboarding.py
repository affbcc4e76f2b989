"""Onboarding use cases (remit.onboarding) against the emulator's Entra ID and Graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from remit.config import GraphSettings
from remit.domain import AuthKind, TenantCredentials
from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.server import EmulatorServer
from remit.errors import ExitCode, InvalidClientSecret, InvalidInput
from remit.onboarding import check_ids, probe_tenant, verify_credentials
from remit.workspace import Workspace
from tests.inventory.helpers import control, init_workspace, store_tenant, well_run_tenant

GUID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


@pytest.mark.parametrize("tenant_id", [GUID, GUID.upper(), "contoso.onmicrosoft.com"])
def test_check_ids_accepts_guids_and_domains(tenant_id: str) -> None:
    check_ids(tenant_id, GUID, "contoso-hq")


@pytest.mark.parametrize(
    ("tenant_id", "client_id", "name", "named"),
    [
        ("contoso", GUID, None, "--tenant-id"),
        ("6f1c2a3b-4d5e-4f60-8a7b", GUID, None, "--tenant-id"),
        (GUID, "contoso.onmicrosoft.com", None, "--client-id"),
        (GUID, GUID, "contoso.com", "contoso.com"),  # a dot would make it look like a domain
        (GUID, GUID, "x" * 41, "x" * 41),
        (GUID, GUID, GUID, GUID),  # a name that looks like a tenant id
    ],
)
def test_check_ids_rejects_malformed_input_with_exit_9(
    tenant_id: str, client_id: str, name: str | None, named: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_ids(tenant_id, client_id, name)

    assert caught.value.exit_code is ExitCode.INVALID_INPUT
    assert named in str(caught.value)


def _settings(server: EmulatorServer) -> GraphSettings:
    return GraphSettings(
        base_url=server.graph_base_url,
        authority_host=server.authority_host,
        ca_bundle=str(server.ca_bundle),
    )


async def test_verify_credentials_reads_who_the_tenant_is(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    spec = well_run_tenant()
    server = emulator_factory([spec])
    by_domain = TenantCredentials(
        spec.primary_domain, spec.client_id, AuthKind.CLIENT_SECRET, spec.client_secret
    )

    identity = await verify_credentials(by_domain, _settings(server))

    assert identity.tenant_id == spec.tenant_id  # the GUID, though a domain was given
    assert identity.display_name == spec.display_name
    assert identity.primary_domain == spec.primary_domain


async def test_verify_credentials_refuses_a_wrong_secret(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    spec = well_run_tenant()
    server = emulator_factory([spec])
    wrong = TenantCredentials(spec.tenant_id, spec.client_id, AuthKind.CLIENT_SECRET, "Emu8Q~no")

    with pytest.raises(InvalidClientSecret) as caught:
        await verify_credentials(wrong, _settings(server))

    assert caught.value.exit_code is ExitCode.AUTHENTICATION
    assert "Emu8Q~no" not in str(caught.value)


async def test_probe_tenant_records_what_is_missing_on_the_tenant(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    spec = well_run_tenant()
    server = emulator_factory([spec])
    missing = {"AuditLog.Read.All", "SecurityEvents.Read.All"}
    granted = sorted(ALL_PERMISSIONS - missing)
    control(server, "POST", f"tenants/{spec.tenant_id}/permissions", {"granted": granted})
    with Workspace.open(init_workspace(tmp_path / "ws", server)) as workspace:
        tenant = store_tenant(workspace, spec, name="beacon")

        report = await probe_tenant(workspace, "beacon")

        assert report.token_ok
        assert report.tenant_id == tenant.tenant_id
        assert set(report.missing) == missing
        with workspace.session(write=False) as session:
            row = workspace.tenants(session).get("beacon")
        assert row.last_test_at == report.tested_at
        assert row.last_test_result is not None
        assert set(row.last_test_result["missing"]) == missing
        assert "User.Read.All" in row.last_test_result["granted"]
