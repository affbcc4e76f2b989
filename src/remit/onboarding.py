"""Onboarding use cases: check credentials against Entra ID and Graph, then keep them.

A tenant is stored only after a token was issued and Graph answered, so a wrong secret or an
unconsented app never leaves a half-onboarded tenant behind (``verify=False`` skips the check,
for offline set-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from remit.config import GraphSettings
from remit.domain import TenantCredentials
from remit.errors import InvalidInput
from remit.graph import GraphClient, open_graph_client
from remit.graph.permissions import ProbeResult, probe_permissions
from remit.store.tenants import normalize_domain, normalize_guid, normalize_name
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class TenantIdentity:
    tenant_id: str
    display_name: str
    primary_domain: str


@dataclass(frozen=True, slots=True)
class TenantTestReport:
    tenant_id: str
    name: str
    token_ok: bool
    probes: tuple[ProbeResult, ...]
    tested_at: datetime

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p.permission for p in self.probes if not p.ok)

    @property
    def licences_missing(self) -> tuple[str, ...]:
        return tuple(sorted({p.license for p in self.probes if p.license}))


def check_ids(tenant_id: str, client_id: str, name: str | None = None) -> None:
    """Reject malformed ids before anything talks to Entra ID (the store's own rules)."""
    try:
        normalize_guid(tenant_id, what="--tenant-id")
    except InvalidInput:
        try:
            is_domain = normalize_domain(tenant_id) is not None
        except InvalidInput:
            is_domain = False
        if not is_domain:
            raise InvalidInput(
                f"--tenant-id {tenant_id!r} is neither a GUID nor a domain; copy the Directory "
                "(tenant) ID from Entra admin center > Overview"
            ) from None
    normalize_guid(client_id, what="--client-id")
    if name is not None:
        normalize_name(name)  # the store's rule, checked before anything talks to Entra ID


async def verify_credentials(
    credentials: TenantCredentials, settings: GraphSettings, *, client: GraphClient | None = None
) -> TenantIdentity:
    """Get a token and read the organization: proves the credentials and the consent work."""
    async with client or open_graph_client(credentials, settings) as graph:
        body = await graph.get("organization", params={"$select": "id,displayName,verifiedDomains"})
    orgs = body.get("value") or []
    org: dict[str, Any] = orgs[0] if orgs else {}
    domains = org.get("verifiedDomains") or []
    primary = next((d.get("name", "") for d in domains if d.get("isDefault")), "")
    return TenantIdentity(
        tenant_id=str(org.get("id") or credentials.tenant_id),
        display_name=str(org.get("displayName") or ""),
        primary_domain=str(primary or (domains[0].get("name", "") if domains else "")),
    )


async def probe_tenant(
    workspace: Workspace, ref: str, *, client: GraphClient | None = None
) -> TenantTestReport:
    """Get a token, probe every permission Remit uses, and record the result on the tenant."""
    with workspace.session(write=False) as session:
        repo = workspace.tenants(session)
        tenant = repo.get(ref)
        credentials = repo.credentials(tenant)
        name = tenant.name
    async with client or open_graph_client(credentials, workspace.settings.graph) as graph:
        probes = tuple(await probe_permissions(graph))
    report = TenantTestReport(
        tenant_id=credentials.tenant_id,
        name=name,
        token_ok=True,
        probes=probes,
        tested_at=datetime.now(UTC),
    )
    with workspace.session() as session:
        repo = workspace.tenants(session)
        repo.record_test(
            repo.get(credentials.tenant_id),
            tested_at=report.tested_at,
            result={
                "granted": [p.permission for p in probes if p.ok],
                "missing": list(report.missing),
                "licences_missing": list(report.licences_missing),
            },
        )
    return report
