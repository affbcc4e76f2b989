"""Which tenants a monitoring use case works on, named the way technicians name them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from remit.workspace import Workspace


class NamedTenant(Protocol):
    """Anything that names a tenant: ``remit.inventory.service.TenantRef``, ``TenantInfo``."""

    @property
    def name(self) -> str: ...

    @property
    def tenant_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TenantName:
    name: str  # the handle (contoso)
    tenant_id: str  # the GUID


def resolve(workspace: Workspace, refs: Sequence[str | NamedTenant] | None) -> list[TenantName]:
    """The tenants named by ``refs`` (handles, ids, domains or tenant objects); all when None."""
    with workspace.session(write=False) as session:
        repo = workspace.tenants(session)
        if refs is None:
            rows = repo.list()
        else:
            rows = [repo.get(ref if isinstance(ref, str) else ref.tenant_id) for ref in refs]
        return [TenantName(name=t.name, tenant_id=t.tenant_id) for t in rows]
