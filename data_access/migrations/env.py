"""Alembic's environment: migrations run on the connection data_access.migrate hands over, in its transaction."""

from __future__ import annotations

from alembic import context

from data_access.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  # SQLite alters a table by copying it (batch mode); PostgreSQL alters in place.
                  render_as_batch=connection.dialect.name == "sqlite", transaction_per_migration=False)
context.run_migrations()
