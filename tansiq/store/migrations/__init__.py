"""Alembic migrations of the tansiq schema (applied by `tansiq init`)."""
