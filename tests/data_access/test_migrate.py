"""Schema migrations on both backends: the migrations build exactly the schema the code declares, a database
built before migrations upgrades in place keeping its rows, and a newer one is refused."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from data_access import migrate, schema
from data_access.__main__ import main
from data_access.db import create_db_engine
from data_access.stats import read_row_counts
from tests.data_access.test_members import assert_activity_days_count_the_activities


def differences(engine) -> list:
    """What autogenerate would change to make the database match schema.metadata (nothing, when equal)."""
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    # schema.py's SQLite-only index (ddl_if) is not on PostgreSQL, by design.
    return [change for change in found if not (engine.dialect.name == "postgresql" and change[0] == "add_index"
                                               and change[1].name == "ix_member_activities_kind_date")]


def assert_months_are_the_sums_of_days(engine) -> None:
    """Every monthly rollup holds its per-day rollup's rows summed by calendar month (numpy's calendar)."""
    import numpy as np
    import pandas as pd

    from data_access.measures import MEASURES

    for daily, monthly in zip(schema.DAILY_ROLLUP_TABLES, schema.MONTHLY_ROLLUP_TABLES, strict=True):
        days = pd.read_sql_table(daily.name, engine)
        assert len(days) > 0, daily.name
        days["month"] = days.pop("day").to_numpy().astype("datetime64[D]").astype("datetime64[M]").astype(
            "datetime64[D]").astype(np.int64)
        keys = [column.name for column in monthly.columns if column.name not in MEASURES]
        want = days.groupby(keys, as_index=False).sum()[list(monthly.columns.keys())]
        got = pd.read_sql_table(monthly.name, engine)[list(monthly.columns.keys())]
        pd.testing.assert_frame_equal(got.sort_values(keys).reset_index(drop=True),
                                      want.sort_values(keys).reset_index(drop=True), check_dtype=False)


def assert_grid_category_days_count_the_orders(engine) -> None:
    """The grid × category rollup a migration filled holds each grid, category and local day's orders."""
    import pandas as pd

    orders = pd.read_sql_query("SELECT grid_code, category_l1, received_at FROM work_orders", engine)
    days = pd.to_datetime(orders["received_at"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
    orders["day"] = (days.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    want = orders.groupby(["day", "grid_code", "category_l1"]).size().rename("received").reset_index()
    got = pd.read_sql_table("work_order_day_grid_categories", engine)[["day", "grid_code", "category_l1", "received"]]
    keys = ["day", "grid_code", "category_l1"]
    pd.testing.assert_frame_equal(got.sort_values(keys).reset_index(drop=True),
                                  want.sort_values(keys).reset_index(drop=True), check_dtype=False)


def test_running_every_migration_builds_the_declared_schema(empty_engine, tmp_path):
    with empty_engine.begin() as connection:  # not the empty-database shortcut: every revision, in order
        command.upgrade(migrate._config(connection), "head")
    assert differences(empty_engine) == []
    with empty_engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()


def test_an_empty_database_gets_the_schema_at_head_like_the_migrations_build_it(empty_engine):
    assert migrate.upgrade(empty_engine) == (None, migrate.head_revision())
    assert differences(empty_engine) == []


def test_a_database_built_before_migrations_upgrades_in_place_and_keeps_its_rows(empty_engine, city_dir):
    from tests.conftest import load_directory

    load_directory(city_dir, empty_engine)
    # Make it what the code on main built before migrations: no access, alert or task tables, no monthly rollups,
    # no alembic_version.
    with empty_engine.begin() as connection:
        for table in ("task_events", "supervision_tasks", "alert_days", "alerts", "audit_log", "wall_keys",
                      "app_users", "alembic_version", "work_order_day_grid_categories", "member_activity_days",
                      "member_active_days",
                      *(table.name for table in schema.MONTHLY_ROLLUP_TABLES)):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        connection.execute(text("DROP INDEX IF EXISTS ix_work_orders_open_area"))
        for level in ("district", "street", "grid"):
            connection.execute(text(f"DROP INDEX ix_member_activities_{level}_date"))
        for level in schema.MEMBER_HISTORY_LEVELS:
            connection.execute(text(f"ALTER TABLE member_activities DROP COLUMN previous_any_in_{level}"))
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP FUNCTION IF EXISTS audit_log_guard()"))
    counts = read_row_counts(empty_engine)
    with empty_engine.begin() as connection, pytest.raises(migrate.SchemaMismatch, match="before schema migrations"):
        migrate.ensure_current(connection)
    assert migrate.upgrade(empty_engine) == (None, migrate.head_revision())
    assert read_row_counts(empty_engine) == counts and counts["work_orders"] > 0
    assert differences(empty_engine) == []
    assert_months_are_the_sums_of_days(empty_engine)
    assert_grid_category_days_count_the_orders(empty_engine)
    assert_activity_days_count_the_activities(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(schema.audit_log.insert().values(at=1, action="export"))
    with empty_engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("UPDATE audit_log SET reason = 'x'"))


def test_a_database_at_an_unknown_newer_revision_is_refused(empty_engine, capsys):
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with empty_engine.begin() as connection, pytest.raises(migrate.SchemaMismatch, match="newer than this"):
        migrate.ensure_current(connection)
    with pytest.raises(migrate.SchemaMismatch, match="9999_from_the_future"):
        migrate.upgrade(empty_engine)


def test_the_migrate_command(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    create_db_engine(url).dispose()
    assert main(["migrate", "--db", url]) == 0
    assert migrate.head_revision() in capsys.readouterr().out
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'zzz'"))
    engine.dispose()
    assert main(["migrate", "--db", url]) == 2
    assert "newer than this Cityscreen" in capsys.readouterr().err


def test_the_loader_refuses_a_database_it_does_not_know_and_changes_nothing(tmp_path, city_dir, capsys):
    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    assert main(["migrate", "--db", url]) == 0
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    before = read_row_counts(engine)
    engine.dispose()
    assert main(["load", str(city_dir), "--db", url, "--quiet"]) == 2
    assert "newer than this Cityscreen" in capsys.readouterr().err
    engine = create_db_engine(url)
    assert read_row_counts(engine) == before
    engine.dispose()
