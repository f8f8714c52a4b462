"""Alembic migrations of the Cityscreen schema (data_access.migrate runs them; versions/ holds one file each)."""
