"""Writing checked tables: every table in one transaction, through the fastest path each backend has.

SQLite's big first writes go through stage files (data_access.stage), PostgreSQL's through binary COPY
(data_access.arrow); big writes drop the secondary indexes and rebuild them after, and PostgreSQL builds a
first load's primary key after the COPY. The per-day rollups are kept exact in the same transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, inspect

from data_access import migrate, schema
from data_access.arrow import postgresql_copy_chunks
from data_access.db import lift_statement_timeout, vacuum_tables
from data_access.member_history import (
    activity_days_of,
    count_activity_days,
    members_of,
    previous_dates,
    update_previous_dates,
)
from data_access.rollup_build import RollupChange, finish_rollups, rebuild_rollups, rollup_rows
from data_access.rollups import ALL_ROLLUPS, rollups_built
from data_access.stage import Stages, index_sorting

WRITE_CHUNK_ROWS = 50_000
# Writes at least this big (and at least as big as the table) rebuild the secondary indexes afterwards.
BULK_REBUILD_ROWS = 100_000
# PostgreSQL's memory for each index rebuild's sort during a load (the server default, 64 MB, spills to disk).
LOAD_MAINTENANCE_MEMORY = "1GB"

Progress = Callable[[str], None]
T = TypeVar("T")

def _column_values(series: pd.Series) -> list:
    """One column as plain Python values (None for missing): what sqlite3 and psycopg bind."""
    if series.dtype == object:
        values = series.to_numpy(dtype=object).copy()
        values[pd.isna(series).to_numpy()] = None
        return values.tolist()
    if series.dtype == bool:
        return series.to_numpy().tolist()
    if pd.api.types.is_float_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        raw = series.to_numpy()
        values = raw.astype(object)
        values[np.isnan(raw)] = None
        return values.tolist()
    if pd.api.types.is_integer_dtype(series.dtype):
        # Nullable ints: boxed by numpy in C, not one pandas scalar at a time.
        values = series.to_numpy(dtype="int64", na_value=0).astype(object)
        values[series.isna().to_numpy()] = None
        return values.tolist()
    # Nullable booleans, Arrow strings: pandas hands out Python scalars with None for missing.
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _row_chunks(frame: pd.DataFrame) -> Iterable[Iterable[tuple]]:
    """Yield chunks of rows as plain-Python tuples, converted column by column (fast) rather than cell by cell.

    Each chunk is a lazy zip: the driver takes one tuple at a time, so millions of them never live at once.
    """
    for start in range(0, len(frame), WRITE_CHUNK_ROWS):
        chunk = frame.iloc[start:start + WRITE_CHUNK_ROWS]
        yield zip(*(_column_values(chunk[column]) for column in chunk.columns), strict=True)


def _prefetched(chunks: Iterable[T]) -> Iterable[T]:
    """Convert the next chunk in a helper thread while the driver writes this one (the drivers release the GIL)."""
    iterator = iter(chunks)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, iterator, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield chunk


def _upsert_sql(table: Table, columns: list[str], values_clause: str) -> str:
    """INSERT … ON CONFLICT DO UPDATE: the same text works on SQLite and PostgreSQL."""
    key = [column.name for column in table.primary_key.columns]
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) {values_clause} "
            f"ON CONFLICT ({', '.join(key)}) {action}")


def _existing_rows(connection: Connection, table: Table) -> int:
    """Row count of the table as it is in this transaction."""
    return connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table.name}").scalar_one()


def _is_empty(connection: Connection, table: Table) -> bool:
    return connection.exec_driver_sql(f"SELECT 1 FROM {table.name} LIMIT 1").first() is None


def _insert_sqlite(connection: Connection, table: Table, frame: pd.DataFrame, upsert: bool,
                   progress: Progress) -> None:
    """SQLite: executemany over plain tuples (a helper thread would only contend for the GIL with the driver)."""
    columns = list(frame.columns)
    values = f"VALUES ({', '.join('?' * len(columns))})"
    sql = _upsert_sql(table, columns, values) if upsert else f"INSERT INTO {table.name} ({', '.join(columns)}) {values}"
    cursor = connection.connection.driver_connection.cursor()
    done = 0
    for rows in _row_chunks(frame):
        cursor.executemany(sql, rows)
        done = min(done + WRITE_CHUNK_ROWS, len(frame))
        progress(f"{table.name}: {done:,} / {len(frame):,} rows")
    cursor.close()


def _copy_postgresql(connection: Connection, table: Table, frame: pd.DataFrame, upsert: bool,
                     progress: Progress) -> None:
    """PostgreSQL: binary COPY, straight into an empty table, else into a temporary stage and one upsert from it."""
    # The table's order, in which postgresql_copy_chunks encodes each row's fields.
    columns = [column.name for column in table.columns if column.name in frame.columns]
    raw = connection.connection.driver_connection
    target = f"stage_{table.name}" if upsert else table.name
    reported = -1
    with raw.cursor() as cursor:
        if upsert:
            cursor.execute(f"CREATE TEMP TABLE {target} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cursor.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)") as copy:
            for done, data in _prefetched(postgresql_copy_chunks(table, frame, WRITE_CHUNK_ROWS)):
                copy.write(data)
                if done > reported:
                    progress(f"{table.name}: {done:,} / {len(frame):,} rows copied")
                    reported = done
        if upsert:
            cursor.execute(_upsert_sql(table, columns, f"SELECT {', '.join(columns)} FROM {target}"))
            cursor.execute(f"DROP TABLE {target}")


def _staged(stages: Stages | None, frame: pd.DataFrame, existing: int) -> bool:
    """Whether a write goes through a stage file: a big one into an empty SQLite table."""
    return stages is not None and existing == 0 and len(frame) >= BULK_REBUILD_ROWS


def write_table(connection: Connection, table: Table, frame: pd.DataFrame, progress: Progress,
                alongside: Callable[[], T] | None = None, stages: Stages | None = None) -> T | None:
    """Insert or replace the frame's rows in the table, inside the caller's transaction; return alongside's result.

    A big write into an empty SQLite table goes through a stage file (data_access.stage) when `stages` is
    given, with `alongside` run meanwhile. Otherwise a big write drops the secondary indexes first and
    rebuilds them after: one sort beats millions of index updates. DDL is transactional on both backends,
    so a failed load still rolls all of it back. An empty table takes plain inserts: there is nothing to
    replace. `alongside` runs in a helper thread while the database works and Python would otherwise wait.
    """
    columns = [column.name for column in table.columns if column.name in frame.columns]
    frame = frame[columns]
    existing = _existing_rows(connection, table)
    if _staged(stages, frame, existing):
        stages.fill(table.name, [(table, frame)])
        result = None if alongside is None else alongside()
        _copy_staged(connection, stages, table, progress)
        return result
    rebuild = len(frame) >= BULK_REBUILD_ROWS and len(frame) >= existing
    sqlite = connection.dialect.name == "sqlite"
    # PostgreSQL keeps a primary key row by row during a COPY: into an empty table it is built after, in one
    # sort (docs/benchmarks.md). SQLite's big first writes are staged instead.
    key = _drop_primary_key(connection, table) if rebuild and existing == 0 and not sqlite else None
    if rebuild:
        _drop_indexes(connection, table)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # PostgreSQL parses the COPY in its own process while Python mostly waits: start alongside now.
        # SQLite's driver binds rows in Python, but builds indexes in C: start it with the indexes.
        pending = None if alongside is None or sqlite else pool.submit(alongside)
        if sqlite:
            _insert_sqlite(connection, table, frame, existing > 0, progress)
        else:
            _copy_postgresql(connection, table, frame, existing > 0, progress)
        if alongside is not None and pending is None:
            pending = pool.submit(alongside)
        if key is not None:
            progress(f"{table.name}: building its primary key")
            _add_primary_key(connection, table, key)
        if rebuild:
            _rebuild_indexes(connection, table, progress)
        return None if pending is None else pending.result()


def _drop_primary_key(connection: Connection, table: Table) -> str | None:
    """Drop the table's primary key constraint (transactional, like _drop_indexes); return its name."""
    name = inspect(connection).get_pk_constraint(table.name).get("name")
    if name:
        connection.exec_driver_sql(f"ALTER TABLE {table.name} DROP CONSTRAINT {name}")
    return name


def _add_primary_key(connection: Connection, table: Table, name: str) -> None:
    """Build the primary key _drop_primary_key dropped, under its old name (a duplicate fails the load)."""
    columns = ", ".join(column.name for column in table.primary_key.columns)
    connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD CONSTRAINT {name} PRIMARY KEY ({columns})")


def _drop_indexes(connection: Connection, table: Table) -> None:
    """Drop the table's secondary indexes (DDL is transactional on both backends: a rollback restores them)."""
    for index in table.indexes:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")


def _rebuild_indexes(connection: Connection, table: Table, progress: Progress) -> None:
    """Build the table's secondary indexes, one sort each."""
    if table.indexes:
        progress(f"{table.name}: rebuilding {len(table.indexes)} indexes")
    with index_sorting(connection):
        for index in table.indexes:
            index.create(connection)


def _copy_staged(connection: Connection, stages: Stages, table: Table, progress: Progress) -> None:
    """Copy a staged table into its empty table with only its key, then build its other indexes."""
    _drop_indexes(connection, table)
    stages.copy_in(table)
    _rebuild_indexes(connection, table, progress)


def write_work_orders(connection: Connection, frame: pd.DataFrame, progress: Progress,
                      stages: Stages | None = None) -> bool:
    """Write work orders and keep the per-day rollups exact in the same transaction; True when rebuilt from SQL.

    Into an empty table the rollups are counted from the frame itself; a load as big as a quarter of the
    table rebuilds them from work_orders; a smaller one (the live feed's batches) takes away the changed
    orders' old contribution and adds their new one.
    """
    existing = _existing_rows(connection, schema.work_orders)
    if _staged(stages, frame, existing):
        # Not write_table's staged path: the work orders' stage fills in one helper thread while Python counts
        # the rollups, whose stage fills in the other, and the rollups go in (indexed, analysed) first, while
        # the work orders' stage still fills.
        progress("work_orders: staging, counting the per-day rollups meanwhile")
        stages.fill(schema.work_orders.name, [(schema.work_orders, frame)])
        counted = {schema.metadata.tables[name]: rows for name, rows in rollup_rows(frame).items()}
        stages.fill("rollups", list(counted.items()))
        for table in counted:
            connection.execute(table.delete())
            _copy_staged(connection, stages, table, progress)
        finish_rollups(connection)
        _copy_staged(connection, stages, schema.work_orders, progress)
        return False
    if existing == 0:
        progress("work_orders: writing, counting the per-day rollups meanwhile")
        counted = write_table(connection, schema.work_orders, frame, progress, alongside=lambda: rollup_rows(frame))
        for name, rows in counted.items():
            table = schema.metadata.tables[name]
            connection.execute(table.delete())
            write_table(connection, table, rows, progress)
        finish_rollups(connection)
        return False
    incremental = len(frame) * 4 < existing and rollups_built(connection)
    change = RollupChange(connection, frame["order_no"]) if incremental else None
    if change is not None:
        change.before()
    write_table(connection, schema.work_orders, frame, progress)
    if change is not None:
        change.after()
        return False
    progress("work_orders: rebuilding the per-day rollups")
    rebuild_rollups(connection)
    return True


def write_member_activities(connection: Connection, frame: pd.DataFrame, progress: Progress,
                            stages: Stages | None = None) -> None:
    """Write member activities with each one's previous date of the same kind per area (member_history), and
    recount member_activity_days and member_active_days.

    Into an empty table the dates come from the frame itself; otherwise the changed members' are recomputed in SQL,
    and only the days their activities are on (before and after) are recounted.
    """
    if _existing_rows(connection, schema.member_activities) == 0:
        write_table(connection, schema.member_activities, frame.assign(**previous_dates(frame)), progress,
                    stages=stages)
        progress("member_activities: counting the days")
        count_activity_days(connection)
        return
    # The members written, and those an activity moves away from: each one's history changes.
    members = set(frame["member_id"].dropna()) | members_of(connection, frame["activity_id"])
    days = activity_days_of(connection, members)
    write_table(connection, schema.member_activities, frame, progress)
    progress("member_activities: updating previous dates")
    update_previous_dates(connection, members)
    count_activity_days(connection, days | activity_days_of(connection, members))


def _stages_for(connection: Connection, tables: dict[str, pd.DataFrame], progress: Progress
                ) -> contextlib.AbstractContextManager[Stages | None]:
    """Stage files for an SQLite load (big tables are written beside it, in C); nothing for PostgreSQL's COPY.

    A first load (every big table new or empty) writes with a rollback journal rather than the WAL.
    """
    if connection.dialect.name != "sqlite":
        return contextlib.nullcontext()
    existing = set(inspect(connection).get_table_names())
    big = [name for name, frame in tables.items() if len(frame) >= BULK_REBUILD_ROWS]
    first = bool(big) and all(name not in existing or _existing_rows(connection, schema.metadata.tables[name]) == 0
                              for name in big)
    connection.commit()
    return Stages(connection, progress, rollback_journal=first)


def write_all(engine: Engine, tables: dict[str, pd.DataFrame], progress: Progress) -> None:
    """Write every prepared table in one transaction: all of it lands, or none; then, on PostgreSQL, vacuum what
    was bulk-written."""
    bulk: list[str] = []
    with engine.connect() as connection, _stages_for(connection, tables, progress) as stages, \
            connection.begin():
        # The dashboard's statement timeout guards queries, not a load of millions of rows.
        lift_statement_timeout(connection)
        if connection.dialect.name == "postgresql":
            # Index rebuilds sort in memory rather than in spilled runs (for this transaction only).
            connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{LOAD_MAINTENANCE_MEMORY}'")
        migrate.ensure_current(connection)
        for table in schema.TABLES_IN_LOAD_ORDER:
            frame = tables.get(table.name)
            if frame is None:
                continue
            if len(frame) >= BULK_REBUILD_ROWS or _is_empty(connection, table):
                bulk.append(table.name)
                if table is schema.work_orders:
                    # Rewritten whole, or changed in many rows.
                    bulk.extend(rollup.table.name for rollup in ALL_ROLLUPS)
                if table is schema.member_activities:
                    bulk.extend((schema.member_activity_days.name, schema.member_active_days.name))
            if table is schema.water:
                # Water has no natural key: a new layer replaces the old one.
                connection.execute(schema.water.delete())
            progress(f"{table.name}: writing {len(frame):,} rows")
            if table is schema.work_orders:
                if write_work_orders(connection, frame, progress, stages):
                    bulk.extend(rollup.table.name for rollup in ALL_ROLLUPS)
            elif table is schema.member_activities:
                write_member_activities(connection, frame, progress, stages)
            else:
                write_table(connection, table, frame, progress, stages=stages)
        if connection.dialect.name == "postgresql":
            for table in tables:
                connection.exec_driver_sql(f"ANALYZE {table}")
        progress("committing")
    if bulk and engine.dialect.name == "postgresql":
        # Autovacuum would get there in time (and is off on some servers): a fresh load is fast at once, its
        # index-only scans reading no table rows. A live-feed batch into big tables leaves that to autovacuum.
        progress(f"vacuuming {len(set(bulk))} bulk-written tables")
        vacuum_tables(engine, bulk)
