"""A tenant's stack of layers as stored: the default baseline, its tier (if any), its own layer.

The default baseline always exists: until a workspace stores its first revision (the first time
anything is changed), the one shipped with Remit stands in for it.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from remit.errors import AlreadyExists
from remit.governance.defaults import shipped_default
from remit.governance.layers import DEFAULT_BASELINE, Layer, LayerKind, Resolved, explain
from remit.governance.model import ControlMapDoc
from remit.governance.paths import doc_from_json, layer_json
from remit.governance.revisions import Revision, content_hash
from remit.governance.validate import KnownIds
from remit.store.maps import (
    BaselineRepository,
    LayerRecord,
    RevisionRecord,
    TenantMapRepository,
    TierRecord,
)
from remit.store.tenants import TenantInfo

SHIPPED_AUTHOR = "remit"
SHIPPED_REASON = "the default baseline shipped with Remit"


class HasTenantId(Protocol):
    @property
    def tenant_id(self) -> str: ...


TenantSelector = str | HasTenantId  # a tenant's name, id or domain, or an object carrying its id


def selector(tenant: TenantSelector) -> str:
    return tenant if isinstance(tenant, str) else tenant.tenant_id


def revision_of(record: RevisionRecord) -> Revision:
    return Revision(
        number=record.number,
        author=record.author,
        created_at=record.created_at,
        reason=record.reason,
        content_hash=record.content_hash,
        doc=doc_from_json(record.content),
        restored_from=record.restored_from,
    )


def ensure_default(session: Session, *, now: datetime) -> LayerRecord:
    """The stored default baseline, storing the shipped one as revision 1 when there is none."""
    baselines = BaselineRepository(session)
    found = baselines.find(DEFAULT_BASELINE)
    if found is not None and found.head:
        return found
    if found is None:
        # Another process may have made it first; then it is ours to fill if it is empty.
        with suppress(AlreadyExists):
            baselines.create(DEFAULT_BASELINE, LayerKind.DEFAULT.value, now=now)
    layer = baselines.lock(DEFAULT_BASELINE)
    if not layer.head:
        doc = shipped_default()
        baselines.add_revision(
            layer,
            layer_json(doc),
            content_hash=content_hash(doc),
            author=SHIPPED_AUTHOR,
            reason=SHIPPED_REASON,
            now=now,
        )
    return baselines.get(DEFAULT_BASELINE)


def _baseline_layer(baselines: BaselineRepository, record: LayerRecord, kind: LayerKind) -> Layer:
    head = baselines.head(record)
    doc = doc_from_json(head.content) if head else ControlMapDoc()
    return Layer(kind, record.name, doc, head.number if head else None)


def default_layer(session: Session) -> Layer:
    baselines = BaselineRepository(session)
    stored = baselines.find(DEFAULT_BASELINE)
    if stored is None or not stored.head:
        return Layer(LayerKind.DEFAULT, DEFAULT_BASELINE, shipped_default())
    return _baseline_layer(baselines, stored, LayerKind.DEFAULT)


def baseline_layer(session: Session, name: str) -> Layer:
    """A stored baseline as a layer (the default one as shipped, until it is stored)."""
    if name == DEFAULT_BASELINE:
        return default_layer(session)
    baselines = BaselineRepository(session)
    return _baseline_layer(baselines, baselines.get(name), LayerKind.TIER)


@dataclass(frozen=True, slots=True)
class Stack:
    """A tenant's layers, bottom first, as they are now."""

    tenant: TenantInfo
    layers: tuple[Layer, ...]
    tier: TierRecord | None

    @property
    def own(self) -> Layer:
        return self.layers[-1]

    def resolved(self, known: KnownIds | None = None) -> Resolved:
        """The effective map with the source of every value; every catalogue control present."""
        ids = known or KnownIds.of()
        return explain(self.layers, fill=sorted(ids.controls))


def load_stack(
    session: Session, tenant: TenantInfo, *, cache: dict[str, Layer] | None = None
) -> Stack:
    """``tenant``'s stack; ``cache`` keeps baseline layers between calls for many tenants."""
    known = cache if cache is not None else {}
    maps = TenantMapRepository(session, tenant)
    if DEFAULT_BASELINE not in known:
        known[DEFAULT_BASELINE] = default_layer(session)
    layers = [known[DEFAULT_BASELINE]]
    tier = maps.tier()
    if tier is not None:
        if tier.tier.name not in known:
            known[tier.tier.name] = _baseline_layer(
                BaselineRepository(session), tier.tier, LayerKind.TIER
            )
        layers.append(known[tier.tier.name])
    head = maps.head()
    own = doc_from_json(head.content) if head else ControlMapDoc()
    layers.append(Layer(LayerKind.TENANT, tenant.name, own, head.number if head else None))
    return Stack(tenant, tuple(layers), tier)


def stack_index(stack: Stack, baseline: str) -> int | None:
    """Where ``baseline`` stands in ``stack`` (None: the tenant does not use it)."""
    for i, layer in enumerate(stack.layers):
        if layer.kind is not LayerKind.TENANT and layer.name == baseline:
            return i
    return None
