"""Tables: control-map layers, their revisions, and which tier each tenant uses.

- ``map_layers``: one row per layer: the MSP's baselines (``default`` and the tiers, named,
  no tenant) and each tenant's own layer (``tenant_pk``, deleted with the tenant). ``head`` is
  the number of the newest revision.
- ``map_revisions``: every revision of every layer, whole (a JSON document) with its content
  hash, author, time and reason; never updated or deleted except with the tenant that owns it.
- ``map_tier_assignments``: the tier a tenant is on (no row: the default baseline alone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from remit.store.models import HASH_LENGTH, Base

LAYER_NAME_LENGTH = 64
AUTHOR_LENGTH = 256

__all__ = ["Base", "MapLayerRow", "MapRevisionRow", "TierAssignmentRow"]


class MapLayerRow(Base):
    """A baseline (``tenant_pk`` NULL, named) or a tenant's own layer (``name`` NULL)."""

    __tablename__ = "map_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # default | tier | tenant
    name: Mapped[str | None] = mapped_column(String(LAYER_NAME_LENGTH), unique=True)
    tenant_pk: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    head: Mapped[int] = mapped_column(Integer)  # newest revision number (0: none yet)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MapRevisionRow(Base):
    """One revision of a layer, stored whole."""

    __tablename__ = "map_revisions"
    __table_args__ = (Index("ix_map_revisions_tenant", "tenant_pk"),)

    layer_id: Mapped[int] = mapped_column(
        ForeignKey("map_layers.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The tenant whose layer this is (NULL for baselines): tenant data is deleted with it.
    tenant_pk: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(AUTHOR_LENGTH))
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    restored_from: Mapped[int | None] = mapped_column(Integer)  # a rollback's source revision


class TierAssignmentRow(Base):
    """The tier a tenant is on, who put it there, when and why."""

    __tablename__ = "map_tier_assignments"
    __table_args__ = (Index("ix_map_tier_assignments_tier", "tier_id"),)

    tenant_pk: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    tier_id: Mapped[int] = mapped_column(ForeignKey("map_layers.id"))
    assigned_by: Mapped[str] = mapped_column(String(AUTHOR_LENGTH))
    assigned_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
