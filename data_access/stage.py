"""SQLite bulk loads through stage files: big tables written in C on the side, then copied into the load.

Python's sqlite3 binds every value of every row in Python: about 10 s per million work orders. A stage file
is instead filled by the ADBC SQLite driver straight from Arrow columns, in C and without the GIL, in a
helper thread while the load goes on. Inside the load's own transaction one `INSERT INTO t SELECT * FROM
stage.t` then copies each table: into an empty table with the same columns and no other index than its
key, SQLite copies the stored records as they are (its transfer optimisation); the loader then builds the
secondary indexes (`index_sorting` makes those sorts fast). Copying index entries from a stage instead took
longer at 5 M work orders than building them: 13.2 s + 18.9 s against 6.7 s + 15.9 s.
The stage files live in a temporary directory beside the database and go when the load ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateTable

from data_access.arrow import record_batches, sqlite_type, table_schema

log = logging.getLogger(__name__)

# Rows per Arrow batch handed to the driver (and per progress message).
STAGE_BATCH_ROWS = 250_000
# Pages of a stage file: a quarter as many writes as SQLite's default 4 KiB, the fastest size measured
# (docs/benchmarks.md); records are copied out whatever the size.
STAGE_PAGE_BYTES = 16_384
# While indexes are built: SQLite's default cache, which sizes the sorter's runs, and its helper threads.
SORT_CACHE_KIB = 2_000
SORT_THREADS = min(4, os.cpu_count() or 1)

Progress = Callable[[str], None]


def _batches(table: Table, frame: pd.DataFrame, progress: Progress) -> pa.RecordBatchReader:
    """The frame's columns in the table's order as Arrow batches, converted one batch at a time."""
    schema = table_schema(table, frame, sqlite_type)

    def batches() -> Iterator[pa.RecordBatch]:
        for done, batch in record_batches(schema, frame, STAGE_BATCH_ROWS):
            yield batch
            progress(f"{table.name}: {done:,} / {len(frame):,} rows staged")

    return pa.RecordBatchReader.from_batches(schema, batches())


def _ddl(element) -> str:
    """SQLite DDL for a table, as the load's own create_all writes it."""
    return str(element.compile(dialect=sqlite_dialect.dialect()))


def fill_stage(path: Path, tables: list[tuple[Table, pd.DataFrame]], progress: Progress) -> None:
    """Write each frame into its table (keyed, without secondary indexes) in a new SQLite file at `path`."""
    setup = sqlite3.connect(path, isolation_level=None)
    try:
        setup.execute(f"PRAGMA page_size = {STAGE_PAGE_BYTES}")
        for table, _frame in tables:
            setup.execute(_ddl(CreateTable(table)))
    finally:
        setup.close()
    with adbc.connect(str(path), autocommit=True) as connection, connection.cursor() as cursor:
        # A throwaway file: no journal, no syncs.
        for pragma in ("journal_mode = OFF", "synchronous = OFF"):
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
        for table, frame in tables:
            cursor.adbc_ingest(table.name, _batches(table, frame, progress), mode="append")


@contextlib.contextmanager
def index_sorting(connection: Connection) -> Iterator[None]:
    """Settings under which SQLite builds indexes fastest, for the statements inside; as before afterwards.

    Its sorter runs fastest in small sorted runs that helper threads merge, spilled to temporary files
    (which Stages sets up for the load's connection: it cannot change inside a transaction); a big cache and
    temporary files in memory were slower (docs/benchmarks.md). PostgreSQL: nothing to change.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    settings = ("cache_size", "threads")
    before = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one() for name in settings}
    for name, value in (("cache_size", -SORT_CACHE_KIB), ("threads", SORT_THREADS)):
        connection.exec_driver_sql(f"PRAGMA {name} = {value}").close()
    try:
        yield
    finally:
        for name, value in before.items():
            connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}").close()


class Stages:
    """Stage files for one load on one SQLite connection: fill them in helper threads, copy them in the load.

    Use as a context manager around the load's transaction (entered outside any transaction): the stages
    can only be detached (and deleted) once that transaction has ended, committed or not.

    With `rollback_journal` (a first load into empty tables) the database leaves WAL mode for the load when
    no other connection is reading it: WAL writes every page twice, once into the log and again when the
    commit checkpoints it (a large part of a first load's commit, docs/benchmarks.md), a rollback journal
    once. Other connections then wait for the load (up to their busy timeout) instead of reading the empty
    tables. WAL mode comes back when the load ends.
    """

    def __init__(self, connection: Connection, progress: Progress, rollback_journal: bool = False) -> None:
        self.connection = connection
        self.progress = progress
        self._rollback_journal = rollback_journal
        self._left_wal = False
        self._temp_store = connection.exec_driver_sql("PRAGMA temp_store").scalar_one()
        database = connection.engine.url.database
        beside = Path(database).resolve().parent if database and database != ":memory:" else None
        self._directory = tempfile.TemporaryDirectory(prefix=".cityscreen-stage-", dir=beside)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stage")
        self._jobs: dict[str, Future] = {}
        self._stage_of: dict[str, str] = {}
        self._attached: list[str] = []

    def __enter__(self) -> Stages:
        # The load's sorts (index builds, above all) spill to temporary files rather than memory: see index_sorting.
        self.connection.exec_driver_sql("PRAGMA temp_store = DEFAULT").close()
        self.connection.commit()
        if self._rollback_journal:
            self._left_wal = self._journal_mode("DELETE") == "delete"
            self.progress("a first load: writing with a rollback journal" if self._left_wal else
                          "a first load, but another connection is reading: writing through the WAL")
        return self

    def __exit__(self, *_exception) -> None:
        # A failed load may leave a fill running: let it end before its file goes.
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            for name in self._attached:
                self.connection.exec_driver_sql(f"DETACH DATABASE {name}")
            if self._left_wal:
                self._journal_mode("WAL")
            self.connection.exec_driver_sql(f"PRAGMA temp_store = {int(self._temp_store)}").close()
            self.connection.commit()
        except Exception:  # the connection may have gone with a failed load: the next one sets WAL again
            log.warning("could not detach the stages or return to WAL mode", exc_info=True)
        self._directory.cleanup()

    def _journal_mode(self, mode: str) -> str:
        """Switch the database's journal mode, outside any transaction; return the mode it is in after.

        Leaving WAL needs an exclusive lock: while another connection reads, SQLite keeps WAL mode (and
        the switch does not wait for it: the busy timeout is off meanwhile).
        """
        connection = self.connection
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        # Each of these PRAGMAs returns a row: closed at once, or its open statement would block a checkpoint.
        connection.exec_driver_sql("PRAGMA busy_timeout = 0").close()
        try:
            mode = str(connection.exec_driver_sql(f"PRAGMA journal_mode = {mode}").scalar_one()).lower()
        except OperationalError:  # database is locked
            mode = str(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()).lower()
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout)}").close()
            connection.commit()
        return mode

    def _path(self, name: str) -> Path:
        """The file of stage `name`."""
        return Path(self._directory.name) / f"{name}.sqlite"

    def fill(self, name: str, tables: list[tuple[Table, pd.DataFrame]]) -> None:
        """Start filling stage `name` with the tables' rows (keyed, no secondary indexes) in a helper thread."""
        self._jobs[name] = self._pool.submit(fill_stage, self._path(name), tables, self.progress)
        for table, _frame in tables:
            self._stage_of[table.name] = name

    def copy_in(self, table: Table) -> None:
        """Wait for the table's stage, then copy its rows into the (empty) table inside the current transaction."""
        name = self._stage_of[table.name]
        self._jobs[name].result()
        if name not in self._attached:
            self.connection.exec_driver_sql(f"ATTACH DATABASE ? AS {name}", (str(self._path(name)),))
            self._attached.append(name)
        self.progress(f"{table.name}: copying in from its stage")
        staged = self._columns(name, table.name)
        if self._columns("main", table.name) == staged:
            # No column lists: SQLite copies records as stored only for a plain SELECT * between alike tables.
            self.connection.exec_driver_sql(f"INSERT INTO main.{table.name} SELECT * FROM {name}.{table.name}")
        else:
            # A table upgraded in place (ALTER TABLE adds columns at the end): row by row, by name.
            listed = ", ".join(staged)
            self.connection.exec_driver_sql(
                f"INSERT INTO main.{table.name} ({listed}) SELECT {listed} FROM {name}.{table.name}")

    def _columns(self, database: str, table: str) -> list[str]:
        """The table's column names in their stored order."""
        return [row[1] for row in self.connection.exec_driver_sql(f"PRAGMA {database}.table_info({table})")]
