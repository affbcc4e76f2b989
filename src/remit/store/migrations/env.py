"""Alembic environment: runs on the connection :func:`remit.store.db.migrate` hands in.

There is no alembic.ini and no URL here: the caller builds the configuration in code and passes
an open connection, already inside the transaction that makes the whole upgrade atomic, in
``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from remit.store.models import Base


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "Remit's migrations run through remit.store.db.migrate(), which passes a connection"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters tables by copying them; PostgreSQL does it in place.
        render_as_batch=connection.dialect.name == "sqlite",
        # SQLite's DDL is transactional too once BEGIN is explicit (see remit.store.db).
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
