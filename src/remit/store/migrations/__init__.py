"""Alembic migrations of the Remit schema, run in code by :func:`remit.store.db.migrate`."""
