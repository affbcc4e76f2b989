"""Tests of remit.store: SQLite always, PostgreSQL on the local server (never skipped)."""
