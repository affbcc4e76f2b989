"""The database layer: SQLAlchemy models, Alembic migrations, repositories, secrets at rest.

Nothing here opens a database on import; :func:`open_database` (or ``remit.workspace``) does.
"""

from remit.store.db import create_engine_for, migrate, open_database
from remit.store.secrets import SecretBox, generate_key_file, load_key
from remit.store.snapshots import PruneResult, SnapshotRepository
from remit.store.tenants import TenantInfo, TenantRepository

__all__ = [
    "PruneResult",
    "SecretBox",
    "SnapshotRepository",
    "TenantInfo",
    "TenantRepository",
    "create_engine_for",
    "generate_key_file",
    "load_key",
    "migrate",
    "open_database",
]
