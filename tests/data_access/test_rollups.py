"""The per-day rollups: they serve only what they can, agree with counting work orders, and stay exact."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update

from data_access import rollup_build, rollup_upgrade, rollups, schema
from data_access.city_time import days_window, local_day_start
from data_access.filters import WorkOrderFilter
from data_access.ingest import load_directory, writer
from data_access.measures import MEASURE_NAMES
from data_access.scope import AreaScope
from sample_data.simulate import simulate
from tests import expected
from tests.conftest import TEST_AS_OF

START, END = days_window(TEST_AS_OF, 30)
YEAR_START, YEAR_END = days_window(TEST_AS_OF, 365)
MONTH_BEFORE = (TEST_AS_OF.replace(day=1) - timedelta(days=1)).replace(day=1)
GROUPS = (None, "day", "district", "street", "community", "grid", "category_l1", ("day", "hour"), "hour",
          "channel", ("status", "appeal_type"),
          "h3_r7", "h3_r8", "h3_r9", ("district", "h3_r8"), ("grid", "category_l1", "day"))


@pytest.fixture(scope="module")
def orders(city_dir) -> pd.DataFrame:
    return expected.work_orders(city_dir)


def filters(orders: pd.DataFrame) -> list[WorkOrderFilter]:
    """Whole-day and ragged windows, every area level, category, channel and open-ended filters."""
    grid = orders["grid_code"].value_counts().index[0]
    category = orders["category_l1"].value_counts().index[0]
    return [
        WorkOrderFilter(START, END),
        WorkOrderFilter(YEAR_START, YEAR_END),
        WorkOrderFilter(START + 5 * 3600 + 17, END - 3 * 3600),  # partial days at both ends
        WorkOrderFilter(END - 86_400 + 3600, END - 3600),  # inside one day: no whole day at all
        WorkOrderFilter(None, END - 1),
        WorkOrderFilter(START, None),
        *(WorkOrderFilter(START, END, AreaScope.of(grid[:digits])) for digits in (6, 9, 12, 15)),
        WorkOrderFilter(YEAR_START, YEAR_END, AreaScope.of(grid[:9]), categories=(category,)),
        WorkOrderFilter(START, END, AreaScope.of(grid[:12]), categories=(category,)),
        WorkOrderFilter(START, END, channels=("hotline_12345",)),
        WorkOrderFilter(YEAR_START, YEAR_END, AreaScope.of(grid[:6]), channels=("hotline_12345", "message_board"),
                        statuses=("closed", "in_progress"), appeal_types=("complaint",)),
        # Most of a month, read as the month less the days outside it: inside one month, and across a boundary.
        WorkOrderFilter(*_days(MONTH_BEFORE.replace(day=3), MONTH_BEFORE.replace(day=26))),
        WorkOrderFilter(*_days(MONTH_BEFORE.replace(day=4), MONTH_BEFORE.replace(day=4) + timedelta(days=33)),
                        AreaScope.of(grid[:9])),
    ]


def _days(first: date, end: date) -> tuple[int, int]:
    """[first, end) as epoch seconds (local midnights)."""
    return local_day_start(first), local_day_start(end)


def nonzero(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop keys where every measure is 0 (a rollup keeps none; a count on work orders can return them)."""
    measures = [column for column in frame.columns if column in MEASURE_NAMES]
    return frame[frame[measures].sum(axis=1) > 0].reset_index(drop=True)


def test_each_read_takes_the_smallest_rollup_that_answers_it(loaded_engine):
    by_hour, by_channel, by_day, by_category, by_cell, by_grid, by_grid_category = rollups.ROLLUPS
    kpi_measures = ["received", "handled", "due", "satisfied"]
    assert rollups.rollups_ready(loaded_engine)
    month = WorkOrderFilter(START, END)
    street = WorkOrderFilter(START, END, AreaScope.of("429904001"))
    for work_filter, group, names, chosen in (
            (month, None, kpi_measures, by_day),
            (month, "district", kpi_measures, by_day),
            (street, "community", kpi_measures, by_day),
            (month, "category_l1", kpi_measures, by_category),
            (WorkOrderFilter(START, END, categories=("transport",)), None, kpi_measures, by_category),
            (month, ("day", "hour"), ["received"], by_hour),
            (month, "channel", ["received"], by_channel),
            (WorkOrderFilter(START, END, AreaScope.of("429904"), channels=("hotline_12345",), statuses=("closed",)),
             "status", ["received"], by_channel),
            (month, "district", ["received"], by_hour),
            (month, "h3_r8", ["received", "open"], by_cell),
            (WorkOrderFilter(START, END, AreaScope.of("429904")), "h3_r7", ["received"], by_cell),
            (month, "grid", ["received", "open", "received_satisfied"], by_grid),
            (WorkOrderFilter(START, END, AreaScope.of("429904001001001")), "day", ["received"], by_grid),
            (month, ("grid", "category_l1", "day"), ["received"], by_grid_category),
            (WorkOrderFilter(START, END, AreaScope.of("429904001001"), categories=("transport",)), "day",
             ["received"], by_grid_category)):
        assert rollups.choose_rollup(loaded_engine, work_filter, group, names) is chosen, (work_filter, group)
    for work_filter, group in ((WorkOrderFilter(START, END, AreaScope.of("429904001001001")), None),
                               (month, "h3_r9"),
                               (street, "h3_r8"),
                               (WorkOrderFilter(START, END, AreaScope.of("429904001001"), categories=("transport",)),
                                None),
                               (WorkOrderFilter(START, END, channels=("hotline_12345",)), None),
                               (WorkOrderFilter(START, END, AreaScope.of("429904001"), channels=("hotline_12345",)),
                                "day"),
                               (WorkOrderFilter(START, END, statuses=("closed",)), "day")):
        assert rollups.choose_rollup(loaded_engine, work_filter, group, kpi_measures) is None, (work_filter, group)
    assert rollups.choose_rollup(loaded_engine, month, "hour", ["due"]) is None
    assert rollups.choose_rollup(loaded_engine, street, "h3_r8", ["received"]) is None
    assert rollups.choose_rollup(loaded_engine, month, "h3_r9", ["received"]) is None


def test_split_window_keeps_every_second():
    days, edges = rollups.split_window(WorkOrderFilter(START + 100, END - 200))
    first_day, end_day = days
    assert [(edge.start, edge.end) for edge in edges] == [
        (START + 100, START + 86_400), (END - 86_400, END - 200)]
    assert (end_day - first_day) * 86_400 == (END - 86_400) - (START + 86_400)
    assert rollups.split_window(WorkOrderFilter(START + 1, START + 2)) == (
        None, [WorkOrderFilter(START + 1, START + 2)])


def test_rollups_agree_with_counting_work_orders(loaded_engine, orders):
    for work_filter in filters(orders):
        for group in GROUPS:
            for names in (MEASURE_NAMES, ["received"], ["received", "open"]):
                from_rollups = rollups.read_measures(loaded_engine, work_filter, names, group)
                counted = rollups.read_measures(loaded_engine, work_filter, names, group, use_rollups=False)
                if group is not None:
                    from_rollups, counted = nonzero(from_rollups), nonzero(counted)
                pd.testing.assert_frame_equal(from_rollups, counted, check_dtype=False,
                                              obj=f"{work_filter} / {group} / {names}")


def test_measures_against_pandas(loaded_engine, orders):
    """Per-day received and satisfied counts, and per-category open counts, from the input files."""
    moments = {column: pd.to_datetime(orders[column], unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
               for column in ("received_at", "called_back_at")}
    received = orders[expected.in_window(orders["received_at"], START, END)]
    got = nonzero(rollups.read_measures(loaded_engine, WorkOrderFilter(START, END), ["received"], "day"))
    want = received.groupby(moments["received_at"][received.index].dt.date).size()
    assert got["received"].tolist() == want.tolist()
    called_back = orders[expected.in_window(orders["called_back_at"], START, END)]
    satisfied = called_back["satisfaction"].isin(["satisfied", "basically_satisfied"])
    got = rollups.read_measures(loaded_engine, WorkOrderFilter(START, END), ["called_back", "satisfied"])
    assert got.iloc[0].tolist() == [len(called_back), int(satisfied.sum())]
    got = rollups.read_measures(loaded_engine, WorkOrderFilter(YEAR_START, YEAR_END), ["open"], "category_l1")
    year = orders[expected.in_window(orders["received_at"], YEAR_START, YEAR_END)]
    want = year.groupby("category_l1")["is_open"].sum()
    assert got.set_index("category_l1")["open"].to_dict() == {key: int(value) for key, value in want.items()}


def rollup_rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {rollup.table.name: [tuple(row) for row in connection.execute(
            select(rollup.table).order_by(*rollup.table.primary_key.columns))] for rollup in rollups.ROLLUPS}


def test_live_feed_keeps_rollups_exact_without_a_rebuild(empty_engine, city_dir, monkeypatch):
    load_directory(city_dir, empty_engine)

    def no_rebuild(_connection):
        raise AssertionError("a small batch must update the rollups, not rebuild them")

    monkeypatch.setattr(writer, "rebuild_rollups", no_rebuild)
    written = simulate(empty_engine, rate_per_minute=120, tick_seconds=0, ticks=3, seed=1)
    assert written["advanced"] > 0 and written["called_back"] > 0
    kept = rollup_rows(empty_engine)
    with empty_engine.begin() as connection:
        rollup_build.rebuild_rollups(connection)
    assert rollup_rows(empty_engine) == kept


def test_database_without_current_rollups_counts_work_orders(empty_engine, city_dir):
    load_directory(city_dir, empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(update(schema.meta).where(schema.meta.c.key == rollups.ROLLUP_META_KEY)
                           .values(value="an older version"))
        connection.execute(schema.work_order_days.delete())
    rollups._READY.clear()
    assert not rollups.rollups_ready(empty_engine)
    assert rollups.choose_rollup(empty_engine, WorkOrderFilter(START, END), None) is None
    counted = rollups.read_measures(empty_engine, WorkOrderFilter(START, END), MEASURE_NAMES)
    rollup_upgrade.upgrade_rollups(empty_engine)
    assert rollups.rollups_ready(empty_engine)
    assert rollups.choose_rollup(empty_engine, WorkOrderFilter(START, END), None) is not None
    pd.testing.assert_frame_equal(rollups.read_measures(empty_engine, WorkOrderFilter(START, END), MEASURE_NAMES),
                                  counted)


def test_a_load_into_an_empty_table_counts_the_rollups_from_its_own_rows(empty_engine, city_dir, monkeypatch):
    def no_rebuild(_connection):
        raise AssertionError("a load into an empty table counts the rollups from the rows it loads")

    monkeypatch.setattr(writer, "rebuild_rollups", no_rebuild)
    load_directory(city_dir, empty_engine)
    counted = rollup_rows(empty_engine)
    assert all(counted.values())
    monkeypatch.undo()
    with empty_engine.begin() as connection:
        rollup_build.rebuild_rollups(connection)
    assert rollup_rows(empty_engine) == counted


def test_a_long_window_reads_its_whole_months_from_the_monthly_twin():
    from datetime import date

    def day(text: str) -> int:
        return (date.fromisoformat(text) - date(1970, 1, 1)).days

    by_grid = next(rollup for rollup in rollups.ROLLUPS if rollup.table is schema.work_order_day_grids)
    monthly = rollups.MONTHLY[by_grid.table.name]
    assert monthly.period == "month" and monthly.measures == by_grid.measures
    parts = rollups.split_months(by_grid, ("grid",), day("2026-01-20"), day("2026-04-10"))
    assert sorted(parts, key=lambda part: part[1]) == [
        (by_grid, day("2026-01-20"), day("2026-02-01"), 1), (monthly, day("2026-02-01"), day("2026-04-01"), 1),
        (by_grid, day("2026-04-01"), day("2026-04-10"), 1)]
    # Month-aligned: months only; grouped by day: days only; open-ended: months to the edge.
    assert rollups.split_months(by_grid, (), day("2026-02-01"), day("2026-04-01")) == [
        (monthly, day("2026-02-01"), day("2026-04-01"), 1)]
    assert rollups.split_months(by_grid, ("day",), day("2026-01-15"), day("2026-04-10")) == [
        (by_grid, day("2026-01-15"), day("2026-04-10"), 1)]
    assert rollups.split_months(by_grid, (), None, day("2026-04-10")) == [
        (monthly, None, day("2026-04-01"), 1), (by_grid, day("2026-04-01"), day("2026-04-10"), 1)]
    # Most of a month: the month less the days outside the window (30 days ending on the 30th of a 31-day month
    # read the month and one day, not 30 days).
    assert sorted(rollups.split_months(by_grid, ("grid",), day("2026-05-01"), day("2026-05-31")),
                  key=lambda part: part[3]) == [(by_grid, day("2026-05-31"), day("2026-06-01"), -1),
                                                (monthly, day("2026-05-01"), day("2026-06-01"), 1)]
    # Not for the city's one row a day: a second query costs more than the 29 rows it saves.
    assert rollups.split_months(by_grid, (), day("2026-05-01"), day("2026-05-31")) == [
        (by_grid, day("2026-05-01"), day("2026-05-31"), 1)]


def test_split_months_covers_each_day_of_any_window_once():
    by_grid = next(rollup for rollup in rollups.ROLLUPS if rollup.table is schema.work_order_day_grids)
    origin = (date(2025, 11, 1) - date(1970, 1, 1)).days
    for first in range(origin, origin + 75, 3):
        for length in (1, 2, 7, 14, 15, 16, 17, 28, 29, 30, 31, 45, 60, 61, 90, 200):
            covered: dict[int, int] = {}
            parts = rollups.split_months(by_grid, ("grid",), first, first + length)
            for rollup, start, end, sign in parts:
                assert rollup.period == ("month" if rollup is not by_grid else "day")
                for day in range(start, end):
                    covered[day] = covered.get(day, 0) + sign
            assert {day for day, times in covered.items() if times} == set(range(first, first + length))
            assert set(covered.values()) <= {0, 1}, (first, length, parts)
            read = sum(end - start for rollup, start, end, _ in parts if rollup is by_grid)
            assert read <= min(length, 32), (first, length, parts)  # at most half of each of two months
