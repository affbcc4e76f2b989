"""The database schema as typed SQLAlchemy models.

Portable between SQLite and PostgreSQL: bytes are ``LargeBinary``, documents are ``JSON``
(``JSONB`` on PostgreSQL), and every timestamp is timezone-aware and stored as UTC.

Everything a tenant owns carries the tenant's primary key (``tenant_pk``) and is deleted with the
tenant (``ON DELETE CASCADE``). Queries on tenant-owned rows go through the repositories in
:mod:`remit.store.tenants` and :mod:`remit.store.snapshots`, which are bound to one tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from remit.domain import AuthKind, CollectionStatus

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GUID_LENGTH = 36
HASH_LENGTH = 64  # BLAKE3, hex
KEY_LENGTH = 1024  # a Graph path relative to /v1.0/


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: Remit stores timezone-aware times only")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store the UTC wall time, read it back as UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def _enum(cls: type[AuthKind] | type[CollectionStatus], name: str) -> Enum:
    # Stored as the enum's value ("client_secret", "complete"), as a string, not a native enum:
    # adding a member later needs no ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
    }


class Tenant(Base):
    """One customer tenant the MSP manages, and the app credentials to reach it."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(GUID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(256), default="")
    primary_domain: Mapped[str | None] = mapped_column(String(256), unique=True)
    client_id: Mapped[str] = mapped_column(String(GUID_LENGTH))
    auth_kind: Mapped[AuthKind] = mapped_column(_enum(AuthKind, "auth_kind"))
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    secret_fingerprint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_test_at: Mapped[datetime | None]
    last_test_result: Mapped[dict[str, Any] | None]
    settings: Mapped[dict[str, Any]]


class Snapshot(Base):
    """One inventory collection of a tenant: metadata; the content is in entries and blobs."""

    __tablename__ = "snapshots"
    __table_args__ = (
        Index("ix_snapshots_tenant_finished", "tenant_pk", "finished_at"),
        # Lets entries name (snapshot, tenant) together, so an entry cannot cross tenants.
        UniqueConstraint("id", "tenant_pk", name="uq_snapshots_id_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status: Mapped[CollectionStatus] = mapped_column(_enum(CollectionStatus, "collection_status"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    manifest_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    stored_bytes: Mapped[int] = mapped_column(BigInteger)
    http_requests: Mapped[int] = mapped_column(Integer)
    endpoint_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    request_stats: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)


class Blob(Base):
    """One endpoint body: zstd-compressed canonical JSON, addressed by its BLAKE3 hash.

    Per tenant: two tenants with the same body hold two rows, so no row is ever shared.
    """

    __tablename__ = "blobs"

    tenant_pk: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(BigInteger)


class SnapshotEntry(Base):
    """One key (a Graph path) of a snapshot and the blob that holds its body."""

    __tablename__ = "snapshot_entries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["snapshot_id", "tenant_pk"],
            ["snapshots.id", "snapshots.tenant_pk"],
            name="fk_snapshot_entries_snapshot",
            ondelete="CASCADE",
        ),
        # The blob must belong to the snapshot's tenant: isolation in the schema itself.
        ForeignKeyConstraint(
            ["tenant_pk", "blob_hash"],
            ["blobs.tenant_pk", "blobs.hash"],
            name="fk_snapshot_entries_blob",
            # Checked at commit: deleting a tenant cascades to blobs and (via snapshots) to
            # entries in an order the database chooses.
            deferrable=True,
            initially="DEFERRED",
        ),
        Index("ix_snapshot_entries_blob", "tenant_pk", "blob_hash"),
    )

    snapshot_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(Integer)
    blob_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AssessmentRun(Base):
    """One evaluation of a tenant's snapshot (or of a fixture) against the catalogue."""

    __tablename__ = "assessment_runs"
    __table_args__ = (
        Index("ix_assessment_runs_tenant_evaluated", "tenant_pk", "evaluated_at"),
        UniqueConstraint("id", "tenant_pk", name="uq_assessment_runs_id_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The snapshot evaluated; kept as a plain number so pruning snapshots never loses history.
    snapshot_id: Mapped[int | None] = mapped_column(Integer)
    evaluated_at: Mapped[datetime]
    catalogue_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    score: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, Any]]


class FindingRow(Base):
    """One finding of a run (a check's verdict), with the resources it concerns."""

    __tablename__ = "findings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "tenant_pk"],
            ["assessment_runs.id", "assessment_runs.tenant_pk"],
            name="fk_findings_run",
            ondelete="CASCADE",
        ),
        Index("ix_findings_tenant_check", "tenant_pk", "check_id"),
    )

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_pk: Mapped[int] = mapped_column(Integer)
    control_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    references: Mapped[list[str]] = mapped_column(JSONDocument)
    details: Mapped[str] = mapped_column(Text)
    remediation: Mapped[str] = mapped_column(Text)
    resources: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)


# The tables of later features live in modules of their own; importing them here registers them
# on Base.metadata, which the migrations and the schema test compare against.
from remit.store import models_alerts, models_drift, models_maps  # noqa: E402, F401
