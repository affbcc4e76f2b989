"""Per-tenant state: the data (built lazily), indexes by id, change versions for delta, app keys.

Handlers run on the server's event loop; the lock guards lazy loading (which may run in a worker
thread) and changes made through the control API. Every change to a tenant's data goes through
:meth:`TenantState.mutate`, which diffs collections by id before and after and bumps a
monotonically increasing version per changed object, so delta queries see it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography import x509

from remit.emulator.fixture import check_body
from remit.emulator.model import TenantSpec

T = TypeVar("T")

# Collections keyed by a second property besides id (Graph accepts users/{userPrincipalName}).
_ALTERNATE_KEYS = {"users": "userPrincipalName"}


@dataclass(frozen=True)
class LazyTenant:
    """A tenant whose data is built on first use: ``header`` has empty data, ``load`` the rest."""

    header: TenantSpec
    load: Callable[[], TenantSpec]


class Collection:
    """A collection's items indexed by id (and by an alternate key where Graph has one)."""

    def __init__(self, key: str, items: list[dict[str, Any]]) -> None:
        self.key = key
        self.items = items
        self.by_id = {str(item["id"]).lower(): item for item in items}
        alt = _ALTERNATE_KEYS.get(key)
        self.by_alt: dict[str, dict[str, Any]] = {}
        if alt:
            for item in items:
                value = item.get(alt)
                if isinstance(value, str):
                    self.by_alt[value.lower()] = item

    def find(self, ident: str) -> dict[str, Any] | None:
        lowered = ident.lower()
        return self.by_id.get(lowered) or self.by_alt.get(lowered)


@dataclass
class ChangeSummary:
    version: int
    changed: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "changed": self.changed, "removed": self.removed}


def _fingerprint(item: Mapping[str, Any]) -> bytes:
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _removal_reason(key: str, item: Mapping[str, Any]) -> str:
    """Users (and Microsoft 365 groups) are soft-deleted: delta says "changed"; others "deleted"."""
    if key == "users":
        return "changed"
    if key == "groups" and "Unified" in (item.get("groupTypes") or []):
        return "changed"
    return "deleted"


class TenantState:
    def __init__(self, source: TenantSpec | LazyTenant) -> None:
        self._loader: Callable[[], TenantSpec] | None = None
        self._spec: TenantSpec | None = None
        if isinstance(source, LazyTenant):
            self.header, self._loader = source.header, source.load
        else:
            self.header, self._spec = source, source
        self.lock = threading.RLock()
        # Certificates registered for the tenant's app, by lower-case hex SHA-1 and SHA-256.
        self.certificates: dict[str, x509.Certificate] = {}
        self.version = 0
        self.versions: dict[str, dict[str, int]] = {}
        self.removed: dict[str, dict[str, tuple[int, str]]] = {}
        self.generation = 0
        self._collections: dict[str, Collection | None] = {}
        self.cache: dict[Any, Any] = {}

    # ---- identity ----------------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        return self.header.tenant_id

    @property
    def loaded(self) -> bool:
        return self._spec is not None

    def ensure_loaded(self) -> TenantSpec:
        spec = self._spec
        if spec is not None:
            return spec
        with self.lock:
            if self._spec is None:
                assert self._loader is not None
                built = self._loader()
                # Changes made through the control API before the data existed win.
                built.granted_permissions = self.header.granted_permissions
                built.licenses = self.header.licenses
                self._spec = built
            return self._spec

    @property
    def spec(self) -> TenantSpec:
        return self.ensure_loaded()

    @property
    def granted_permissions(self) -> frozenset[str]:
        return (self._spec or self.header).granted_permissions

    @property
    def licenses(self) -> frozenset[str]:
        return (self._spec or self.header).licenses

    def set_permissions(self, granted: Iterable[str]) -> None:
        with self.lock:
            value = frozenset(granted)
            self.header.granted_permissions = value
            if self._spec is not None:
                self._spec.granted_permissions = value

    def set_licenses(self, licenses: Iterable[str]) -> None:
        with self.lock:
            value = frozenset(licenses)
            self.header.licenses = value
            if self._spec is not None:
                self._spec.licenses = value

    def user_count(self) -> int | None:
        return self._spec.user_count if self._spec is not None else None

    def domain_names(self) -> set[str]:
        names = {self.header.primary_domain.lower()}
        if self._spec is not None:
            for domain in self._spec.data.get("domains", {}).get("value", []):
                if isinstance(domain, dict) and isinstance(domain.get("id"), str):
                    names.add(domain["id"].lower())
        return names

    # ---- reading -----------------------------------------------------------------------------

    def body(self, key: str) -> Any:
        return self.spec.data.get(key)

    def collection(self, key: str) -> Collection | None:
        if key in self._collections:
            return self._collections[key]
        body = self.spec.data.get(key)
        coll = None
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            coll = Collection(key, body["value"])
        self._collections[key] = coll
        return coll

    def find_reference(self, keys: Iterable[str], ident: str) -> tuple[str, dict[str, Any]] | None:
        for key in keys:
            coll = self.collection(key)
            item = coll.find(ident) if coll is not None else None
            if item is not None:
                return key, item
        return None

    def object_version(self, key: str, ident: str) -> int:
        return self.versions.get(key, {}).get(ident, 0)

    # ---- changing ----------------------------------------------------------------------------

    def _fingerprints(self) -> dict[str, dict[str, tuple[bytes, dict[str, Any]]]]:
        out: dict[str, dict[str, tuple[bytes, dict[str, Any]]]] = {}
        for key, body in self.spec.data.items():
            if isinstance(body, dict) and isinstance(body.get("value"), list):
                out[key] = {
                    str(item["id"]): (_fingerprint(item), item)
                    for item in body["value"]
                    if isinstance(item, dict) and "id" in item
                }
        return out

    def mutate(self, change: Callable[[TenantSpec], T]) -> tuple[T, ChangeSummary]:
        """Run ``change`` on the data under the lock and record what changed for delta."""
        with self.lock:
            spec = self.ensure_loaded()
            before = self._fingerprints()
            try:
                result = change(spec)
            finally:
                # Even a change that failed half-way is recorded, so delta never misses it.
                summary = self._record_changes(before)
            return result, summary

    def _record_changes(
        self, before: dict[str, dict[str, tuple[bytes, dict[str, Any]]]]
    ) -> ChangeSummary:
        self._collections.clear()
        self.cache.clear()
        self.generation += 1
        after = self._fingerprints()
        self.version += 1
        summary = ChangeSummary(version=self.version)
        for key in before.keys() | after.keys():
            old, new = before.get(key, {}), after.get(key, {})
            versions = self.versions.setdefault(key, {})
            removed = self.removed.setdefault(key, {})
            for ident, (print_, _item) in new.items():
                if ident not in old or old[ident][0] != print_:
                    versions[ident] = self.version
                    removed.pop(ident, None)
                    summary.changed[key] = summary.changed.get(key, 0) + 1
            for ident, (_print, item) in old.items():
                if ident not in new:
                    removed[ident] = (self.version, _removal_reason(key, item))
                    versions.pop(ident, None)
                    summary.removed[key] = summary.removed.get(key, 0) + 1
        return summary

    def put(self, key: str, body: Any) -> ChangeSummary:
        problem = check_body(key, body)
        if problem is not None:
            raise ValueError(problem)

        def replace_key(spec: TenantSpec) -> None:
            spec.data[key] = body

        return self.mutate(replace_key)[1]

    def delete(self, key: str) -> ChangeSummary:
        def drop_key(spec: TenantSpec) -> None:
            if key not in spec.data:
                raise KeyError(key)
            del spec.data[key]

        return self.mutate(drop_key)[1]


class TenantRegistry:
    """All tenants the emulator serves, found by tenant id or by any of their domain names."""

    def __init__(self, sources: Iterable[TenantSpec | LazyTenant]) -> None:
        self.tenants: dict[str, TenantState] = {}
        for source in sources:
            state = TenantState(source)
            key = state.tenant_id.lower()
            if key in self.tenants:
                raise ValueError(f"two tenants have the same tenant id {state.tenant_id}")
            self.tenants[key] = state
        self._by_domain = {t.header.primary_domain.lower(): t for t in self.tenants.values()}

    def __iter__(self) -> Iterator[TenantState]:
        return iter(self.tenants.values())

    def __len__(self) -> int:
        return len(self.tenants)

    def get(self, tenant_id: str) -> TenantState | None:
        return self.tenants.get(tenant_id.lower())

    def lookup(self, name: str) -> TenantState | None:
        """By tenant id, primary domain, or a verified domain of a tenant whose data is loaded."""
        lowered = name.lower()
        found = self.tenants.get(lowered) or self._by_domain.get(lowered)
        if found is not None:
            return found
        for tenant in self.tenants.values():
            if tenant.loaded and lowered in tenant.domain_names():
                return tenant
        return None
