"""The Graph client against the real emulator over HTTPS on loopback (msal included).

Request counts are asserted on both sides: the client's RequestStats and the emulator's own
``/_emulator/stats``. Waiting is recorded by a fake clock instead of slept.
"""

from __future__ import annotations

import random
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from remit.config import GraphSettings
from remit.domain import AuthKind, EndpointOutcome, TenantCredentials
from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, TenantSpec
from remit.emulator.server import EmulatorServer
from remit.errors import CertificateError, InvalidClientSecret, TenantNotFound, ThrottledTooLong
from remit.graph import (
    BatchRequest,
    GraphClient,
    TenantGate,
    open_graph_client,
    probe_permissions,
)

from ._fakes import FakeTime

Start = Callable[..., EmulatorServer]

SECRET = "Emu8Q~graph-client-test-secret-0123"
USERS = 250  # three pages at Graph's default page size of 100


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"remit-graph-tests/{name}"))


def tenant_spec(
    *, permissions: frozenset[str] = ALL_PERMISSIONS, licenses: frozenset[str] | None = None
) -> TenantSpec:
    tenant_id = _id("tenant")
    domain = "fabrikam.onmicrosoft.com"
    users = [
        {
            "id": _id(f"user{i}"),
            "displayName": f"User {i:03d}",
            "userPrincipalName": f"user{i:03d}@{domain}",
            "accountEnabled": True,
        }
        for i in range(USERS)
    ]
    groups = [{"id": _id(f"group{i}"), "displayName": f"Group {i}"} for i in range(5)]
    data: dict[str, Any] = {
        "organization": {"value": [{"id": tenant_id, "displayName": "Fabrikam"}]},
        "domains": {"value": [{"id": domain, "isDefault": True, "isVerified": True}]},
        "users": {"value": users},
        "groups": {"value": groups},
        "auditLogs/directoryAudits": {"value": [{"id": "audit1"}]},
        "roleManagement/directory/roleDefinitions": {
            "value": [{"id": _id("role"), "displayName": "Global Administrator"}]
        },
        "policies/roleManagementPolicyAssignments": {
            "value": [
                {
                    "id": "Directory_x_role",
                    "scopeId": "/",
                    "scopeType": "Directory",
                    "roleDefinitionId": _id("role"),
                    "policyId": "Directory_x",
                }
            ]
        },
        "policies/authorizationPolicy": {"id": "authorizationPolicy"},
        "security/secureScores": {"value": [{"id": "score1"}]},
        "deviceManagement/managedDevices": {"value": [{"id": _id("device")}]},
        "servicePrincipals": {"value": [{"id": _id("sp")}]},
        f"users/{users[0]['id']}/authentication/methods": {
            "value": [{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "pw"}]
        },
    }
    for group in groups:
        data[f"groups/{group['id']}/members"] = {
            "value": [{"@odata.type": "#microsoft.graph.user", "id": u["id"]} for u in users[:3]]
        }
    return TenantSpec(
        tenant_id=tenant_id,
        display_name="Fabrikam",
        primary_domain=domain,
        client_id=_id("client"),
        client_secret=SECRET,
        granted_permissions=permissions,
        licenses=licenses if licenses is not None else frozenset(),
        profile="graph-client-test",
        data=data,
    )


def graph_settings(server: EmulatorServer, **overrides: Any) -> GraphSettings:
    return GraphSettings(
        authority_host=server.authority_host,
        base_url=server.graph_base_url,
        ca_bundle=str(server.ca_bundle),
        max_retries=overrides.pop("max_retries", 3),
        **overrides,
    )


def client_for(
    server: EmulatorServer,
    spec: TenantSpec,
    time: FakeTime,
    *,
    secret: str = SECRET,
    kind: AuthKind = AuthKind.CLIENT_SECRET,
    tenant_id: str | None = None,
    **overrides: Any,
) -> GraphClient:
    conf = graph_settings(server, **overrides)
    creds = TenantCredentials(tenant_id or spec.tenant_id, spec.client_id, kind, secret)
    return open_graph_client(
        creds,
        conf,
        sleep=time.sleep,
        gate=TenantGate(conf, clock=time.clock, sleep=time.sleep),
        rng=random.Random(3),
    )


def control(server: EmulatorServer, method: str, path: str, body: Any = None) -> Any:
    verify = ssl.create_default_context(cafile=str(server.ca_bundle))
    response = httpx.request(method, f"{server.url}/_emulator/{path}", json=body, verify=verify)
    response.raise_for_status()
    return response.json()


def server_counts(server: EmulatorServer, spec: TenantSpec) -> dict[str, dict[str, int]]:
    stats = control(server, "GET", "stats")
    result: dict[str, dict[str, int]] = stats["tenants"].get(spec.tenant_id, {})
    return result


def add_faults(server: EmulatorServer, *rules: dict[str, Any]) -> None:
    control(server, "POST", "faults", {"rules": list(rules)})


async def test_paging_and_delta_with_a_410_reset(emulator_factory: Start) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    time = FakeTime()
    async with client_for(server, spec, time) as client:
        users = await client.get_all("users")
        first = await client.delta("users/delta", params={"$select": "id,displayName"})
        again = await client.delta("users/delta", first.delta_link)
        add_faults(server, {"kind": "delta_expired", "tenant": spec.tenant_id, "count": 1})
        reset = await client.delta("users/delta", again.delta_link)
        stats = client.stats.snapshot()
    assert len(users) == USERS
    assert len({u["id"] for u in users}) == USERS
    assert len(first.items) == USERS
    assert first.full_resync is False
    assert again.items == []
    assert again.full_resync is False
    assert reset.full_resync is True
    assert len(reset.items) == USERS
    assert reset.delta_link.startswith(server.graph_base_url)
    assert stats["users"].requests == 3
    # 3 full-sync pages + 1 incremental + the expired round (1) + 3 full-sync pages again.
    assert stats["users/delta"].requests == 8
    counts = server_counts(server, spec)
    assert counts["users"]["requests"] == 3
    assert counts["users/delta"]["requests"] == 8
    assert counts["users/delta"]["bytes"] == stats["users/delta"].bytes_received
    assert client.stats.resyncs() == {"users/delta": 1}


async def test_a_429_storm_is_waited_out_with_the_servers_retry_after(
    emulator_factory: Start,
) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    add_faults(server, {"kind": "throttle", "path": "users", "count": 3, "retry_after": 0.25})
    time = FakeTime()
    async with client_for(server, spec, time) as client:
        users = await client.get_all("users", params={"$top": "999"})
        stats = client.stats.snapshot()["users"]
    assert len(users) == USERS
    assert time.sleeps == [0.25, 0.25, 0.25]
    assert (stats.requests, stats.retries, stats.throttled) == (4, 3, 3)
    counts = server_counts(server, spec)["users"]
    assert (counts["requests"], counts["throttled"]) == (4, 3)


async def test_5xx_dropped_and_truncated_responses_are_retried(emulator_factory: Start) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    add_faults(
        server,
        {"kind": "error", "path": "groups", "count": 2, "status": 503},
        {"kind": "drop", "path": "organization", "count": 1},
        {"kind": "truncate", "path": "domains", "count": 1},
    )
    time = FakeTime()
    async with client_for(server, spec, time) as client:
        groups = await client.get_all("groups")
        organization = await client.get_all("organization")
        domains = await client.get_all("domains")
        stats = client.stats.snapshot()
    assert len(groups) == 5
    assert organization[0]["displayName"] == "Fabrikam"
    assert domains[0]["isDefault"] is True
    assert len(time.sleeps) == 4  # one back-off per failure
    for endpoint, requests in (("groups", 3), ("organization", 2), ("domains", 2)):
        assert stats[endpoint].requests == requests, endpoint
        assert stats[endpoint].errors == requests - 1, endpoint
    counts = server_counts(server, spec)
    assert counts["groups"]["requests"] == 3
    assert counts["groups"]["errors"] == 2
    assert counts["organization"]["requests"] == 2
    assert counts["domains"]["requests"] == 2


async def test_throttled_batch_items_are_retried_alone(emulator_factory: Start) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    add_faults(
        server,
        {"kind": "throttle", "path": "groups/*/members", "count": 2, "retry_after": 0.5},
    )
    groups = [g["id"] for g in spec.data["groups"]["value"]]
    time = FakeTime()
    async with client_for(server, spec, time) as client:
        responses = await client.batch([BatchRequest(url=f"groups/{g}/members") for g in groups])
        stats = client.stats.snapshot()
    assert all(r.ok for r in responses)
    assert [len(r.items) for r in responses] == [3] * 5
    assert time.sleeps == [0.5]
    assert stats["$batch"].requests == 2
    assert stats["groups/{id}/members"].requests == 7
    assert stats["groups/{id}/members"].throttled == 2
    counts = server_counts(server, spec)
    assert counts["$batch"]["requests"] == 2


async def test_persistent_throttling_gives_up_with_an_exact_request_count(
    emulator_factory: Start,
) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    add_faults(server, {"kind": "throttle", "path": "domains", "retry_after": 0.01})
    time = FakeTime()
    async with client_for(server, spec, time, max_retries=2) as client:
        with pytest.raises(ThrottledTooLong, match=f"GET domains for tenant {spec.tenant_id}"):
            await client.get_all("domains")
    assert server_counts(server, spec)["domains"]["throttled"] == 3


async def test_probe_permissions_in_two_batch_calls(emulator_factory: Start) -> None:
    spec = tenant_spec(
        permissions=ALL_PERMISSIONS - {"AuditLog.Read.All", "Directory.Read.All"},
        licenses=frozenset({LICENSE_ENTRA_P1, LICENSE_ENTRA_P2}),
    )
    server = emulator_factory([spec], throttling=False)
    async with client_for(server, spec, FakeTime()) as client:
        results = {r.permission: r for r in await probe_permissions(client)}
    assert results["AuditLog.Read.All"].outcome is EndpointOutcome.MISSING_PERMISSION
    assert "AuditLog.Read.All" in results["AuditLog.Read.All"].message
    intune = results["DeviceManagementManagedDevices.Read.All"]
    assert intune.outcome is EndpointOutcome.LICENSE_REQUIRED
    assert intune.license == "Microsoft Intune"
    others = [r for name, r in results.items() if name not in ("AuditLog.Read.All",)]
    assert all(r.ok for r in others), [r for r in others if not r.ok]
    assert server_counts(server, spec)["$batch"]["requests"] == 2


def certificate_pem(expired: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "remit-client")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2))
        .not_valid_after(now + (timedelta(days=-1) if expired else timedelta(days=30)))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem + cert.public_bytes(serialization.Encoding.PEM).decode()


async def test_token_errors_and_certificates_against_the_emulator(
    emulator_factory: Start,
) -> None:
    spec = tenant_spec()
    server = emulator_factory([spec], throttling=False)
    time = FakeTime()
    async with client_for(server, spec, time, secret="wrong-secret") as client:
        with pytest.raises(InvalidClientSecret, match="rejected the client secret"):
            await client.get("organization")
    unknown = _id("no-such-tenant")
    async with client_for(server, spec, time, tenant_id=unknown) as client:
        with pytest.raises(TenantNotFound, match=unknown):
            await client.get("organization")
    registered = certificate_pem()
    server.register_certificate(spec.tenant_id, registered)
    async with client_for(server, spec, time, secret=registered, kind=AuthKind.CERTIFICATE) as c:
        assert (await c.get_all("organization"))[0]["displayName"] == "Fabrikam"
    stranger = certificate_pem()
    async with client_for(server, spec, time, secret=stranger, kind=AuthKind.CERTIFICATE) as c:
        with pytest.raises(CertificateError, match="rejected the certificate"):
            await c.get("organization")
    assert server_counts(server, spec)["organization"]["requests"] == 1
