"""Change events, drift checks and access reviews.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_pk"], ["tenants.id"], name=f"fk_{table}_tenant_pk_tenants", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("match", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("window_start", TIMESTAMP, nullable=True),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(length=512), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("target_name", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=512), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("ticket", sa.String(length=128), nullable=True),
        sa.Column("explained_by", sa.String(length=512), nullable=True),
        sa.Column("explained_at", TIMESTAMP, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _tenant_fk("change_events"),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.UniqueConstraint("tenant_pk", "key", name="uq_change_events_tenant_key"),
    )
    op.create_index(
        "ix_change_events_tenant_occurred", "change_events", ["tenant_pk", "occurred_at"]
    )
    op.create_index("ix_change_events_tenant_match", "change_events", ["tenant_pk", "match"])
    op.create_table(
        "drift_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("base_snapshot_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", TIMESTAMP, nullable=False),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("new_events", sa.Integer(), nullable=False),
        _tenant_fk("drift_checks"),
        sa.PrimaryKeyConstraint("id", name="pk_drift_checks"),
    )
    op.create_index("ix_drift_checks_tenant_checked", "drift_checks", ["tenant_pk", "checked_at"])
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=512), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("closed_by", sa.String(length=512), nullable=True),
        sa.Column("outcome", JSON, nullable=True),
        _tenant_fk("access_reviews"),
        sa.PrimaryKeyConstraint("id", name="pk_access_reviews"),
        sa.UniqueConstraint("id", "tenant_pk", name="uq_access_reviews_id_tenant"),
    )
    op.create_index(
        "ix_access_reviews_tenant_kind", "access_reviews", ["tenant_pk", "kind", "closed_at"]
    )
    op.create_table(
        "review_items",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=512), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id", "tenant_pk"],
            ["access_reviews.id", "access_reviews.tenant_pk"],
            name="fk_review_items_review",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "number", name="pk_review_items"),
    )


def downgrade() -> None:
    op.drop_table("review_items")
    op.drop_index("ix_access_reviews_tenant_kind", table_name="access_reviews")
    op.drop_table("access_reviews")
    op.drop_index("ix_drift_checks_tenant_checked", table_name="drift_checks")
    op.drop_table("drift_checks")
    op.drop_index("ix_change_events_tenant_match", table_name="change_events")
    op.drop_index("ix_change_events_tenant_occurred", table_name="change_events")
    op.drop_table("change_events")
