"""Row counts per table, for the `stats` command and health checks."""

from __future__ import annotations

from sqlalchemy import Engine, func, inspect, select

from data_access import schema


def read_row_counts(engine: Engine) -> dict[str, int]:
    """Return {table: rows} for every table of the schema (0 for a table not created yet)."""
    existing = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as connection:
        for table in schema.TABLES_IN_LOAD_ORDER:
            counts[table.name] = (connection.execute(select(func.count()).select_from(table)).scalar_one()
                                  if table.name in existing else 0)
    return counts
