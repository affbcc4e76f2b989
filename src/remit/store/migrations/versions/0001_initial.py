"""Initial schema: tenants, snapshots, snapshot entries and content-addressed blobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Migrations spell out their types instead of importing the models, which will move on.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("primary_domain", sa.String(length=256), nullable=True),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("auth_kind", _enum("auth_kind", "client_secret", "certificate"), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("secret_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_test_at", TIMESTAMP, nullable=True),
        sa.Column("last_test_result", JSON, nullable=True),
        sa.Column("settings", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("name", name="uq_tenants_name"),
        sa.UniqueConstraint("primary_domain", name="uq_tenants_primary_domain"),
        sa.UniqueConstraint("tenant_id", name="uq_tenants_tenant_id"),
    )
    op.create_table(
        "blobs",
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("raw_size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_pk"], ["tenants.id"], name="fk_blobs_tenant_pk_tenants", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_pk", "hash", name="pk_blobs"),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column(
            "status", _enum("collection_status", "complete", "partial", "failed"), nullable=False
        ),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("http_requests", sa.Integer(), nullable=False),
        sa.Column("endpoint_results", JSON, nullable=False),
        sa.Column("request_stats", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_pk"],
            ["tenants.id"],
            name="fk_snapshots_tenant_pk_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.UniqueConstraint("id", "tenant_pk", name="uq_snapshots_id_tenant"),
    )
    op.create_index("ix_snapshots_tenant_finished", "snapshots", ["tenant_pk", "finished_at"])
    op.create_table(
        "snapshot_entries",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("blob_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id", "tenant_pk"],
            ["snapshots.id", "snapshots.tenant_pk"],
            name="fk_snapshot_entries_snapshot",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_pk", "blob_hash"],
            ["blobs.tenant_pk", "blobs.hash"],
            name="fk_snapshot_entries_blob",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "key", name="pk_snapshot_entries"),
    )
    op.create_index("ix_snapshot_entries_blob", "snapshot_entries", ["tenant_pk", "blob_hash"])


def downgrade() -> None:
    op.drop_table("snapshot_entries")
    op.drop_table("snapshots")
    op.drop_table("blobs")
    op.drop_table("tenants")
