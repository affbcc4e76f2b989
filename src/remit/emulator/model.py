"""The emulator's view of one tenant: who may sign in, what is licensed, and its Graph data.

``data`` uses the fixture format: a mapping from a Graph v1.0 path relative to ``/v1.0/``
(``users``, ``identity/conditionalAccess/policies``, ``groups/<id>/members``) to the exact body
Graph returns for a GET of that path. Collections are ``{"value": [...]}``; single objects
(``policies/authorizationPolicy``) are the object itself. Objects inside a collection are also
reachable by id (``users/<id>``) without a separate key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Service plan / licence features the emulator understands (what real tenants show in
# subscribedSkus as servicePlans): they decide which endpoints answer and which refuse.
LICENSE_ENTRA_P1 = "AAD_PREMIUM"
LICENSE_ENTRA_P2 = "AAD_PREMIUM_P2"
LICENSE_INTUNE = "INTUNE_A"


@dataclass
class TenantSpec:
    tenant_id: str
    display_name: str
    primary_domain: str
    client_id: str
    client_secret: str
    # Application permissions (app roles) consented in this tenant, e.g. "User.Read.All".
    granted_permissions: frozenset[str]
    # Licence features present in the tenant (LICENSE_* above).
    licenses: frozenset[str]
    # A short label for the kind of tenant ("small-office-no-ca", "well-run-pim", ...).
    profile: str = "fixture"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def user_count(self) -> int:
        users = self.data.get("users", {}).get("value", [])
        return len(users)
