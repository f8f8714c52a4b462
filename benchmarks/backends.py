"""Engines for the benchmarks: an SQLite file, or a schema of its own in a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from data_access.db import create_db_engine


def open_engine(backend: str, sqlite_path: str, postgres_url: str, schema: str, reuse: bool = False) -> Engine:
    """Engine for a backend; without `reuse` the SQLite file or the PostgreSQL schema starts empty."""
    if backend == "sqlite":
        path = Path(sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return create_db_engine(f"sqlite:///{path}")
    admin = create_db_engine(postgres_url)
    with admin.begin() as connection:
        if not reuse:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()
    separator = "&" if "?" in postgres_url else "?"
    return create_db_engine(f"{postgres_url}{separator}options=-csearch_path%3D{schema}")
