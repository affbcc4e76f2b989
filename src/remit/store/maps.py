"""Control-map layers and their revisions: the MSP's baselines and each tenant's own layer.

Documents are stored as plain JSON (the governance layer turns them into models). Revisions
are appended, never changed: adding one locks its layer's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite write transactions are serialised anyway), so two concurrent edits of one
layer are applied one after the other and both are kept.

:class:`BaselineRepository` holds the MSP-wide baselines; :class:`TenantMapRepository` is
bound to one tenant, and every statement it issues filters by that tenant.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.store.models import Tenant
from remit.store.models_maps import MapLayerRow, MapRevisionRow, TierAssignmentRow
from remit.store.tenants import TenantInfo

BASELINE_KINDS = ("default", "tier")
TENANT_KIND = "tenant"


@dataclass(frozen=True, slots=True)
class LayerRecord:
    id: int
    kind: str  # default | tier | tenant
    name: str  # the baseline's name, or the tenant's
    head: int  # newest revision number (0: none yet)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    number: int
    author: str
    created_at: datetime
    reason: str
    content: dict[str, Any]
    content_hash: str
    restored_from: int | None


@dataclass(frozen=True, slots=True)
class TierRecord:
    tier: LayerRecord
    assigned_by: str
    assigned_at: datetime
    reason: str


def _layer(row: MapLayerRow, name: str | None = None) -> LayerRecord:
    return LayerRecord(
        id=row.id,
        kind=row.kind,
        name=name or row.name or "",
        head=row.head,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _revision(row: MapRevisionRow) -> RevisionRecord:
    return RevisionRecord(
        number=row.number,
        author=row.author,
        created_at=row.created_at,
        reason=row.reason,
        content=dict(row.content),
        content_hash=row.content_hash,
        restored_from=row.restored_from,
    )


def _require_text(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"the {what} of a revision cannot be empty")
    return text


class _Layers:
    """Revisions of layers, shared by both repositories. The caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _locked(self, layer_id: int) -> MapLayerRow:
        # populate_existing: the head another transaction may just have moved.
        row = self._session.scalars(
            select(MapLayerRow)
            .where(MapLayerRow.id == layer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None:
            raise NotFound(f"control-map layer {layer_id} no longer exists")
        return row

    def _add(
        self,
        layer_id: int,
        tenant_pk: int | None,
        content: Mapping[str, Any],
        *,
        content_hash: str,
        author: str,
        reason: str,
        now: datetime,
        restored_from: int | None,
    ) -> RevisionRecord:
        author = _require_text(author, "author")
        reason = _require_text(reason, "reason")
        with self._session.begin_nested():
            row = self._locked(layer_id)
            revision = MapRevisionRow(
                layer_id=row.id,
                number=row.head + 1,
                tenant_pk=tenant_pk,
                author=author,
                created_at=now,
                reason=reason,
                content=dict(content),
                content_hash=content_hash,
                restored_from=restored_from,
            )
            row.head = revision.number
            row.updated_at = now
            self._session.add(revision)
            self._session.flush()
        return _revision(revision)

    def _get(self, layer: LayerRecord, number: int) -> RevisionRecord | None:
        row = self._session.get(MapRevisionRow, (layer.id, number))
        return _revision(row) if row is not None else None

    def _history(self, layer_id: int, limit: int | None) -> builtins.list[RevisionRecord]:
        query = (
            select(MapRevisionRow)
            .where(MapRevisionRow.layer_id == layer_id)
            .order_by(MapRevisionRow.number.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        return [_revision(row) for row in self._session.scalars(query)]


class BaselineRepository(_Layers):
    """The MSP's baselines: ``default`` and the tiers."""

    def list(self) -> builtins.list[LayerRecord]:
        rows = self._session.scalars(
            select(MapLayerRow)
            .where(MapLayerRow.tenant_pk.is_(None))
            .order_by(MapLayerRow.kind, MapLayerRow.name)
        )
        return [_layer(row) for row in rows]

    def find(self, name: str) -> LayerRecord | None:
        row = self._row(name)
        return _layer(row) if row is not None else None

    def get(self, name: str) -> LayerRecord:
        layer = self.find(name)
        if layer is None:
            raise NotFound(
                f"no baseline '{name}' in this workspace; `remit baseline list` shows the baselines"
            )
        return layer

    def create(self, name: str, kind: str, *, now: datetime) -> LayerRecord:
        """A new, empty baseline (no revision yet); refuses a name that is taken."""
        if kind not in BASELINE_KINDS:
            raise ValueError(f"unknown baseline kind {kind!r}")
        if self._row(name) is not None:
            raise AlreadyExists(f"a baseline named '{name}' already exists; choose another name")
        row = MapLayerRow(
            kind=kind, name=name, tenant_pk=None, head=0, created_at=now, updated_at=now
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            raise AlreadyExists(f"a baseline named '{name}' was created concurrently") from None
        return _layer(row)

    def lock(self, name: str) -> LayerRecord:
        """The baseline, its row locked until the transaction ends (edits apply in turn)."""
        return _layer(self._locked(self.get(name).id))

    def add_revision(
        self,
        layer: LayerRecord,
        content: Mapping[str, Any],
        *,
        content_hash: str,
        author: str,
        reason: str,
        now: datetime,
        restored_from: int | None = None,
    ) -> RevisionRecord:
        self._own(layer)
        return self._add(
            layer.id,
            None,
            content,
            content_hash=content_hash,
            author=author,
            reason=reason,
            now=now,
            restored_from=restored_from,
        )

    def revision(self, layer: LayerRecord, number: int) -> RevisionRecord:
        self._own(layer)
        found = self._get(layer, number)
        if found is None:
            raise NotFound(
                f"baseline {layer.name} has no revision {number}; "
                f"`remit baseline history {layer.name}` lists them"
            )
        return found

    def head(self, layer: LayerRecord) -> RevisionRecord | None:
        self._own(layer)
        current = self.get(layer.name)
        return self._get(current, current.head) if current.head else None

    def history(
        self, layer: LayerRecord, *, limit: int | None = None
    ) -> builtins.list[RevisionRecord]:
        self._own(layer)
        return self._history(layer.id, limit)

    def assigned_tenants(self, layer: LayerRecord) -> builtins.list[int]:
        """Primary keys of the tenants on tier ``layer``."""
        return builtins.list(
            self._session.scalars(
                select(TierAssignmentRow.tenant_pk)
                .where(TierAssignmentRow.tier_id == layer.id)
                .order_by(TierAssignmentRow.tenant_pk)
            )
        )

    def usage(self) -> dict[int, int]:
        """Tier layer id → how many tenants are on it."""
        rows = self._session.execute(
            select(TierAssignmentRow.tier_id, func.count()).group_by(TierAssignmentRow.tier_id)
        )
        return {int(tier): int(count) for tier, count in rows}

    def _row(self, name: str) -> MapLayerRow | None:
        return self._session.scalars(
            select(MapLayerRow).where(MapLayerRow.tenant_pk.is_(None), MapLayerRow.name == name)
        ).first()

    def _own(self, layer: LayerRecord) -> None:
        if layer.kind not in BASELINE_KINDS:
            raise ValueError(f"layer {layer.id} is a tenant's layer, not a baseline")


class TenantMapRepository(_Layers):
    """One tenant's own layer, its revisions and its tier. The caller commits."""

    def __init__(self, session: Session, tenant: TenantInfo) -> None:
        super().__init__(session)
        self._tenant_pk = tenant.pk
        self._tenant_name = tenant.name

    def layer(self) -> LayerRecord | None:
        """The tenant's layer, or None while nothing was ever set for the tenant."""
        row = self._row()
        return _layer(row, self._tenant_name) if row is not None else None

    def ensure_layer(self, *, now: datetime) -> LayerRecord:
        row = self._row()
        if row is None:
            row = MapLayerRow(
                kind=TENANT_KIND,
                name=None,
                tenant_pk=self._tenant_pk,
                head=0,
                created_at=now,
                updated_at=now,
            )
            try:
                with self._session.begin_nested():
                    self._session.add(row)
            except IntegrityError:  # created by a concurrent edit: use that one
                row = self._row()
                if row is None:
                    raise
        return _layer(row, self._tenant_name)

    def lock(self, *, now: datetime) -> LayerRecord:
        """The tenant's layer (made when missing), its row locked until the transaction ends."""
        layer = self.ensure_layer(now=now)
        return _layer(self._locked(layer.id), self._tenant_name)

    def add_revision(
        self,
        content: Mapping[str, Any],
        *,
        content_hash: str,
        author: str,
        reason: str,
        now: datetime,
        restored_from: int | None = None,
    ) -> RevisionRecord:
        layer = self.ensure_layer(now=now)
        return self._add(
            layer.id,
            self._tenant_pk,
            content,
            content_hash=content_hash,
            author=author,
            reason=reason,
            now=now,
            restored_from=restored_from,
        )

    def head(self) -> RevisionRecord | None:
        layer = self.layer()
        return self._get(layer, layer.head) if layer is not None and layer.head else None

    def revision(self, number: int) -> RevisionRecord:
        layer = self.layer()
        found = self._get(layer, number) if layer is not None else None
        if found is None:
            raise NotFound(
                f"tenant {self._tenant_name}'s map has no revision {number}; "
                f"`remit map history -t {self._tenant_name}` lists them"
            )
        return found

    def history(self, *, limit: int | None = None) -> builtins.list[RevisionRecord]:
        layer = self.layer()
        return self._history(layer.id, limit) if layer is not None else []

    def tier(self) -> TierRecord | None:
        found = self._session.execute(
            select(TierAssignmentRow, MapLayerRow)
            .join(MapLayerRow, MapLayerRow.id == TierAssignmentRow.tier_id)
            .where(TierAssignmentRow.tenant_pk == self._tenant_pk)
        ).first()
        if found is None:
            return None
        assignment, tier = found
        return TierRecord(
            _layer(tier), assignment.assigned_by, assignment.assigned_at, assignment.reason
        )

    def assign(self, tier: LayerRecord | None, *, author: str, reason: str, now: datetime) -> None:
        """Put the tenant on ``tier`` (None: the default baseline alone)."""
        if tier is not None and tier.kind != "tier":
            raise InvalidInput(f"'{tier.name}' is not a tier")
        author = _require_text(author, "author")
        reason = _require_text(reason, "reason")
        with self._session.begin_nested():
            # Lock the tenant's row: two assignments of one tenant are applied in turn.
            self._session.scalars(
                select(Tenant.id).where(Tenant.id == self._tenant_pk).with_for_update()
            ).first()
            row = self._session.get(TierAssignmentRow, self._tenant_pk)
            if tier is None:
                if row is not None:
                    self._session.delete(row)
            elif row is None:
                self._session.add(
                    TierAssignmentRow(
                        tenant_pk=self._tenant_pk,
                        tier_id=tier.id,
                        assigned_by=author,
                        assigned_at=now,
                        reason=reason,
                    )
                )
            else:
                row.tier_id, row.assigned_by, row.assigned_at, row.reason = (
                    tier.id,
                    author,
                    now,
                    reason,
                )
            self._session.flush()

    def _row(self) -> MapLayerRow | None:
        return self._session.scalars(
            select(MapLayerRow).where(MapLayerRow.tenant_pk == self._tenant_pk)
        ).first()
