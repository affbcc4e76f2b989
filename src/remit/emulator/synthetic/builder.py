"""Build a whole synthetic tenant: header first (cheap), then its Graph data."""

from __future__ import annotations

from datetime import UTC, datetime

from remit.emulator.model import TenantSpec
from remit.emulator.synthetic.accounts import (
    ensure_domain_sid,
    methods_json,
    registration_json,
    user_json,
)
from remit.emulator.synthetic.common import REFERENCE_NOW
from remit.emulator.synthetic.directory import build_groups, build_roles, groups_data
from remit.emulator.synthetic.estate import (
    build_apps,
    build_devices,
    build_organization,
    build_skus,
)
from remit.emulator.synthetic.people import build_people
from remit.emulator.synthetic.policies import build_policies
from remit.emulator.synthetic.profiles import PROFILES, start_tenant
from remit.emulator.synthetic.secure_score import build_secure_score
from remit.emulator.synthetic.security import build_audit_history


def _now(now: datetime | None) -> datetime:
    if now is None:
        return REFERENCE_NOW
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return moment.replace(microsecond=0)


def tenant_header(index: int, seed: int, now: datetime | None = None) -> TenantSpec:
    """Tenant ``index`` of book ``seed`` without data: ids, names, credentials, licences."""
    _, spec = start_tenant(index, seed, _now(now))
    return spec


def generate_tenant(index: int, seed: int, now: datetime | None = None) -> TenantSpec:
    """Tenant ``index`` of book ``seed`` with all its Graph data (deterministic for the inputs)."""
    tenant, spec = start_tenant(index, seed, _now(now))
    build_people(tenant, PROFILES[tenant.profile])
    if any(p.synced for p in tenant.people):
        ensure_domain_sid(tenant)
    data = tenant.data
    build_organization(tenant)
    build_skus(tenant)
    data["users"] = {"value": [user_json(tenant, p) for p in tenant.people]}
    for p in tenant.people:
        if p.is_admin:
            data[f"users/{p.id}/authentication/methods"] = {"value": methods_json(tenant, p)}
    data["reports/authenticationMethods/userRegistrationDetails"] = {
        "value": [registration_json(tenant, p) for p in tenant.people]
    }
    build_groups(tenant)
    groups_data(tenant)
    build_roles(tenant)
    build_policies(tenant)
    build_devices(tenant)
    build_apps(tenant)
    build_secure_score(tenant)
    build_audit_history(tenant)
    spec.data = data
    return spec


def generate_tenants(count: int, seed: int, now: datetime | None = None) -> list[TenantSpec]:
    """The first ``count`` tenants of book ``seed``."""
    if count < 0:
        raise ValueError(f"tenant count must be >= 0, got {count}")
    return [generate_tenant(index, seed, now) for index in range(count)]
