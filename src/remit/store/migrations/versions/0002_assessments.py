"""Assessment runs and their findings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assessment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", TIMESTAMP, nullable=False),
        sa.Column("catalogue_hash", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_pk"],
            ["tenants.id"],
            name="fk_assessment_runs_tenant_pk_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_runs"),
        sa.UniqueConstraint("id", "tenant_pk", name="uq_assessment_runs_id_tenant"),
    )
    op.create_index(
        "ix_assessment_runs_tenant_evaluated", "assessment_runs", ["tenant_pk", "evaluated_at"]
    )
    op.create_table(
        "findings",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=128), nullable=False),
        sa.Column("tenant_pk", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("references", JSON, nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("remediation", sa.Text(), nullable=False),
        sa.Column("resources", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "tenant_pk"],
            ["assessment_runs.id", "assessment_runs.tenant_pk"],
            name="fk_findings_run",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "check_id", name="pk_findings"),
    )
    op.create_index("ix_findings_tenant_check", "findings", ["tenant_pk", "check_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_tenant_check", table_name="findings")
    op.drop_table("findings")
    op.drop_index("ix_assessment_runs_tenant_evaluated", table_name="assessment_runs")
    op.drop_table("assessment_runs")
