"""SQLite stage files: a big load into empty tables, written by ADBC and copied in, stores what row-by-row
inserts store, rolls back whole, and leaves no stage file and no journal mode change behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from data_access import schema, stage
from data_access.db import create_db_engine
from data_access.ingest import load_directory, writer
from tests.conftest import make_empty_engine

TABLES = (*schema.TABLES_IN_LOAD_ORDER, *schema.ROLLUP_TABLES)


def stored_values(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's rows as SQLite quotes each value: 1, 1.0, '1' and X'01' all differ."""
    with engine.connect() as connection:
        return {table.name: connection.exec_driver_sql(
            f"SELECT {', '.join(f'quote({column.name})' for column in table.columns)} FROM {table.name} "
            f"ORDER BY {', '.join(column.name for column in table.primary_key.columns)}").all()
            for table in TABLES}


def journal_mode(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()


def stage_leftovers(engine: Engine) -> list[Path]:
    return list(Path(engine.url.database).parent.glob(".cityscreen-stage-*"))


@pytest.fixture
def staged_everywhere(monkeypatch):
    """Stage every table of a load (the test city is far below the real threshold); record what was copied in."""
    monkeypatch.setattr(writer, "BULK_REBUILD_ROWS", 1)
    copied: list[str] = []
    original = stage.Stages.copy_in

    def copy_in(self, table):
        copied.append(table.name)
        original(self, table)

    monkeypatch.setattr(stage.Stages, "copy_in", copy_in)
    return copied


def test_a_staged_load_stores_exactly_what_row_by_row_inserts_store(city_dir, tmp_path, monkeypatch,
                                                                     staged_everywhere):
    staged = make_empty_engine("sqlite", tmp_path / "staged")
    messages: list[str] = []
    load_directory(city_dir, staged, messages.append)
    assert {"work_orders", "member_activities", "stations", "areas", "work_order_day_grids"} <= set(
        staged_everywhere)
    assert "a first load: writing with a rollback journal" in messages
    monkeypatch.undo()
    row_by_row = make_empty_engine("sqlite", tmp_path / "rows")
    load_directory(city_dir, row_by_row)
    staged_values = stored_values(staged)
    assert staged_values == stored_values(row_by_row)
    assert all(staged_values[name] for name in ("work_orders", "areas", "member_activities", "work_order_days"))
    assert journal_mode(staged) == "wal"
    assert stage_leftovers(staged) == []


def test_a_failed_staged_load_rolls_back_whole(city_dir, tmp_path, monkeypatch, staged_everywhere):
    engine = make_empty_engine("sqlite", tmp_path)
    original = stage.Stages.copy_in

    def fail_at_work_orders(self, table):
        if table is schema.work_orders:
            raise OSError("disk full")
        original(self, table)

    monkeypatch.setattr(stage.Stages, "copy_in", fail_at_work_orders)
    with pytest.raises(OSError, match="disk full"):
        load_directory(city_dir, engine)
    # The areas, stations and rollups that were already copied in are gone again.
    assert "work_order_days" in staged_everywhere and "areas" in staged_everywhere
    assert not any(stored_values(engine).values())
    assert journal_mode(engine) == "wal"
    assert stage_leftovers(engine) == []


def test_while_another_connection_reads_a_first_load_keeps_the_wal(city_dir, tmp_path, staged_everywhere):
    engine = make_empty_engine("sqlite", tmp_path)
    other = create_db_engine(str(engine.url))
    messages: list[str] = []
    with other.connect() as connection:
        # Another process's dashboard in the middle of a read.
        reading = connection.connection.driver_connection
        reading.execute("BEGIN")
        reading.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
        load_directory(city_dir, engine, messages.append)
        reading.execute("COMMIT")
    other.dispose()
    assert "a first load, but another connection is reading: writing through the WAL" in messages
    assert "work_orders" in staged_everywhere
    assert journal_mode(engine) == "wal"
    assert all(stored_values(engine)[name] for name in ("work_orders", "work_order_days"))
