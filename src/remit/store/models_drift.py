"""Tables: change events, drift checks and access reviews (remit.governance, remit.monitoring).

- ``change_events``: every change seen in a tenant (audit log or snapshot diff), once per
  ``(tenant, key)``, with the ticket that explains it once a technician links one.
- ``drift_checks``: one row per drift check of a tenant: which snapshot was compared with which,
  and the findings at the time (evidence of what was known when).
- ``access_reviews`` and ``review_items``: scheduled reviews, their items and the decisions.

Everything belongs to a tenant (``tenant_pk``) and is deleted with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from remit.store.models import Base, JSONDocument

EVENT_KEY_LENGTH = 255
MATCH_LENGTH = 512
NAME_LENGTH = 512  # UPNs, display names, reviewers
TICKET_LENGTH = 128

__all__ = ["AccessReviewRow", "Base", "ChangeEventRow", "DriftCheckRow", "ReviewItemRow"]


class ChangeEventRow(Base):
    """One change to a tenant: who did what to what, when; explained once linked to a ticket."""

    __tablename__ = "change_events"
    __table_args__ = (
        UniqueConstraint("tenant_pk", "key", name="uq_change_events_tenant_key"),
        Index("ix_change_events_tenant_occurred", "tenant_pk", "occurred_at"),
        Index("ix_change_events_tenant_match", "tenant_pk", "match"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(EVENT_KEY_LENGTH))
    # What the same change looks like from the other source (audit log or snapshot diff).
    match: Mapped[str] = mapped_column(String(MATCH_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    # Snapshot diffs: the change happened after this (and before occurred_at).
    window_start: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(EVENT_KEY_LENGTH))
    target_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    role: Mapped[str] = mapped_column(String(NAME_LENGTH))
    details: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(TICKET_LENGTH))
    explained_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    explained_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text)


class DriftCheckRow(Base):
    """One drift check: the snapshot judged, the one it was compared with, what was found."""

    __tablename__ = "drift_checks"
    __table_args__ = (Index("ix_drift_checks_tenant_checked", "tenant_pk", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Plain numbers, like assessment runs: pruning snapshots never loses the history.
    snapshot_id: Mapped[int] = mapped_column(Integer)
    base_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    new_events: Mapped[int] = mapped_column(Integer)


class AccessReviewRow(Base):
    """A scheduled access review of a tenant: privileged role assignments, or the RACI."""

    __tablename__ = "access_reviews"
    __table_args__ = (
        Index("ix_access_reviews_tenant_kind", "tenant_pk", "kind", "closed_at"),
        UniqueConstraint("id", "tenant_pk", name="uq_access_reviews_id_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(NAME_LENGTH))
    started_at: Mapped[datetime]
    snapshot_id: Mapped[int | None] = mapped_column(Integer)  # privileged reviews
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    outcome: Mapped[dict[str, Any] | None]


class ReviewItemRow(Base):
    """One item of a review and its decision (keep or revoke), who made it and when."""

    __tablename__ = "review_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["review_id", "tenant_pk"],
            ["access_reviews.id", "access_reviews.tenant_pk"],
            name="fk_review_items_review",
            ondelete="CASCADE",
        ),
    )

    review_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(MATCH_LENGTH))
    title: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    decision: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    decided_at: Mapped[datetime | None]
