"""Control maps, baselines and revisions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "map_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("tenant_pk", sa.Integer(), nullable=True),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_pk"],
            ["tenants.id"],
            name="fk_map_layers_tenant_pk_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_map_layers"),
        sa.UniqueConstraint("name", name="uq_map_layers_name"),
        sa.UniqueConstraint("tenant_pk", name="uq_map_layers_tenant_pk"),
    )
    op.create_table(
        "map_revisions",
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=256), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["map_layers.id"],
            name="fk_map_revisions_layer_id_map_layers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_pk"],
            ["tenants.id"],
            name="fk_map_revisions_tenant_pk_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("layer_id", "number", name="pk_map_revisions"),
    )
    op.create_index("ix_map_revisions_tenant", "map_revisions", ["tenant_pk"])
    op.create_table(
        "map_tier_assignments",
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=256), nullable=False),
        sa.Column("assigned_at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_pk"],
            ["tenants.id"],
            name="fk_map_tier_assignments_tenant_pk_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["map_layers.id"], name="fk_map_tier_assignments_tier_id_map_layers"
        ),
        sa.PrimaryKeyConstraint("tenant_pk", name="pk_map_tier_assignments"),
    )
    op.create_index("ix_map_tier_assignments_tier", "map_tier_assignments", ["tier_id"])


def downgrade() -> None:
    op.drop_index("ix_map_tier_assignments_tier", table_name="map_tier_assignments")
    op.drop_table("map_tier_assignments")
    op.drop_index("ix_map_revisions_tenant", table_name="map_revisions")
    op.drop_table("map_revisions")
    op.drop_table("map_layers")
