"""Work-order queries against an independent pandas computation on the same input files (both backends)."""

from __future__ import annotations

from datetime import timedelta

import h3
import pandas as pd
import pytest
from sqlalchemy import event

from data_access import kpis, work_orders
from data_access.city_time import days_window
from data_access.filters import WorkOrderFilter
from data_access.roles import Viewer
from data_access.scope import AreaScope
from tests import expected
from tests.conftest import TEST_AS_OF

START, END = days_window(TEST_AS_OF, 30)
NOW = END - 1
YEAR_START, YEAR_END = days_window(TEST_AS_OF, 365)
# Lists of requests are read for a viewer whose role allows them (tests/data_access/test_personal_access.py).
LEADER = Viewer("leader-1", "leader").scope()


@pytest.fixture(scope="module")
def orders(city_dir) -> pd.DataFrame:
    return expected.work_orders(city_dir)


def window(frame: pd.DataFrame, start: int = START, end: int = END, column: str = "received_at") -> pd.DataFrame:
    return frame[expected.in_window(frame[column], start, end)]


def text_or_none(values) -> list:
    return [value if isinstance(value, str) else None for value in values]


def some_district(orders: pd.DataFrame) -> str:
    return orders["district_code"].value_counts().index[0]


def test_totals_and_backlog(loaded_engine, orders):
    totals = work_orders.read_order_totals(loaded_engine, WorkOrderFilter(START, END), NOW)
    in_range = window(orders)
    assert totals == {"received": len(in_range), "open": int(in_range["is_open"].sum()),
                      "overdue": int((in_range["is_open"] & (in_range["due_at"] < NOW)).sum())}
    backlog = work_orders.read_backlog(loaded_engine, WorkOrderFilter(START, END), NOW)
    open_orders = orders[orders["is_open"]]
    assert backlog["open"] == len(open_orders) > 0
    assert backlog["overdue"] == int((open_orders["due_at"] < NOW).sum())
    assert backlog["due_24h"] == int(((open_orders["due_at"] >= NOW) & (open_orders["due_at"] < NOW + 86400)).sum())


def test_a_past_backlog_reads_the_orders_resolved_since_from_their_index_alone(loaded_engine, orders):
    """A month ago's backlog: the open orders, less those received since, plus those resolved since, counted from
    the resolved-at index alone (at city scale SQLite looked up each order resolved since: docs/benchmarks.md)."""
    then = NOW - 30 * 86400
    statements = []

    def remember(_connection, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(loaded_engine, "before_cursor_execute", remember)
    try:
        backlog = work_orders.read_backlog(loaded_engine, WorkOrderFilter(), then)
    finally:
        event.remove(loaded_engine, "before_cursor_execute", remember)
    received = orders[orders["received_at"] <= then]
    open_then = received[received["is_open"] | (received["resolved_at"] > then)]
    assert backlog["open"] == len(open_then) > 0
    assert backlog["overdue"] == int((open_then["due_at"] < then).sum())
    if loaded_engine.dialect.name == "sqlite":
        statement, parameters = statements[-1]
        with loaded_engine.connect() as connection:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        assert not any("ix_work_orders_received" in step for step in plan), plan
        assert any("COVERING INDEX ix_work_orders_resolved" in step for step in plan), plan


@pytest.mark.parametrize("level", ["district", "street", "community", "grid"])
def test_counts_by_area_at_every_level(loaded_engine, orders, city_dir, level):
    frame = work_orders.read_counts_by_area(loaded_engine, WorkOrderFilter(START, END), level, NOW)
    all_areas = expected.areas(city_dir, level)
    assert sorted(frame["code"]) == sorted(all_areas["code"])
    in_range = window(orders)
    want = in_range.groupby(f"{level}_code").agg(received=("order_no", "size"), open=("is_open", "sum"))
    got = frame.set_index("code")
    assert got["received"].sum() == len(in_range)
    for code, row in want.iterrows():
        assert (got.loc[code, "received"], got.loc[code, "open"]) == (row["received"], row["open"])
    population = all_areas.set_index("code")["population"].astype(float)
    busiest = want["received"].idxmax()
    assert got.loc[busiest, "per_10k"] == pytest.approx(want.loc[busiest, "received"] * 10_000 / population[busiest])


def test_counts_by_area_inside_a_parent_with_filters(loaded_engine, orders):
    district = some_district(orders)
    categories = ("city_management", "housing_property")
    work_filter = WorkOrderFilter(YEAR_START, YEAR_END, AreaScope.of(district), categories=categories,
                                  channels=("hotline_12345",))
    frame = work_orders.read_counts_by_area(loaded_engine, work_filter, "street", NOW)
    assert frame["code"].str.startswith(district).all()
    subset = window(orders, YEAR_START, YEAR_END)
    subset = subset[(subset["district_code"] == district) & subset["category_l1"].isin(categories)
                    & (subset["channel"] == "hotline_12345")]
    assert frame["received"].sum() == len(subset) > 0
    assert dict(frame[frame["received"] > 0].set_index("code")["received"]) == dict(
        subset.groupby("street_code").size())


def test_daily_counts_use_local_days(loaded_engine, orders):
    frame = work_orders.read_daily_counts(loaded_engine, WorkOrderFilter(START, END))
    in_range = window(orders)
    want = in_range.groupby(expected.local_days(in_range["received_at"])).size()
    assert dict(zip(frame["day"], frame["received"], strict=True)) == dict(want)
    assert frame["day"].max() == TEST_AS_OF
    assert frame["day"].min() == TEST_AS_OF - timedelta(days=29)


def test_hourly_profile(loaded_engine, orders):
    frame = work_orders.read_hourly_profile(loaded_engine, WorkOrderFilter(YEAR_START, YEAR_END))
    in_range = window(orders, YEAR_START, YEAR_END)
    moments = pd.to_datetime(in_range["received_at"].astype("int64"), unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
    want = in_range.groupby([moments.dt.day_of_week, moments.dt.hour]).size()
    got = frame.set_index(["weekday", "hour"])["received"]
    assert dict(got) == {key: value for key, value in want.items()}


def test_category_and_channel_counts(loaded_engine, orders):
    in_range = window(orders, YEAR_START, YEAR_END)
    work_filter = WorkOrderFilter(YEAR_START, YEAR_END)
    categories = work_orders.read_category_counts(loaded_engine, work_filter, NOW)
    assert dict(zip(categories["category_l1"], categories["received"], strict=True)) == dict(
        in_range.groupby("category_l1").size())
    assert categories["received"].is_monotonic_decreasing
    channels = work_orders.read_channel_counts(loaded_engine, work_filter)
    assert dict(zip(channels["channel"], channels["received"], strict=True)) == dict(in_range.groupby("channel").size())
    statuses = work_orders.read_status_counts(loaded_engine, work_filter)
    assert dict(zip(statuses["status"], statuses["received"], strict=True)) == dict(in_range.groupby("status").size())


@pytest.mark.parametrize("resolution", [7, 8, 9])
def test_h3_heat_matches_h3_of_each_point(loaded_engine, orders, resolution):
    frame = work_orders.read_h3_heat(loaded_engine, WorkOrderFilter(START, END), resolution, NOW)
    in_range = window(orders)
    cells = [h3.cell_to_parent(h3.latlng_to_cell(float(lat), float(lon), 9), resolution)
             for lon, lat in zip(in_range["lon"], in_range["lat"], strict=True)]
    want = pd.Series(cells).value_counts()
    assert dict(zip(frame["h3"], frame["received"], strict=True)) == dict(want)
    with pytest.raises(ValueError):
        work_orders.read_h3_heat(loaded_engine, WorkOrderFilter(START, END), 5, NOW)


def test_hotspots_and_growth(loaded_engine, orders):
    work_filter = WorkOrderFilter(START, END)
    hot = work_orders.read_hotspots(loaded_engine, work_filter, "community", limit=5)
    current = window(orders).groupby("community_code").size()
    previous = window(orders, START - (END - START), START).groupby("community_code").size()
    top = current.sort_values(ascending=False).head(5)
    assert list(hot["received"]) == list(top.to_numpy())
    for _, row in hot.iterrows():
        assert row["received"] == current.get(row["code"], 0)
        assert row["previous"] == previous.get(row["code"], 0)
    growth = work_orders.read_growth_hotspots(loaded_engine, work_filter, "community", limit=3, minimum=1)
    diff = (current - previous.reindex(current.index, fill_value=0))
    assert list(growth["growth"]) == list(diff.sort_values(ascending=False).head(3).to_numpy())
    with pytest.raises(ValueError):
        work_orders.read_hotspots(loaded_engine, WorkOrderFilter(), "grid")


def test_latest_orders_are_masked_and_newest_first(loaded_engine, orders):
    frame = work_orders.read_latest_orders(loaded_engine, WorkOrderFilter(START, END, LEADER), limit=25)
    want = window(orders).sort_values(["received_at", "order_no"], ascending=False).head(25)
    assert list(frame["order_no"]) == list(want["order_no"])
    assert "caller_name" not in frame.columns and "caller_phone" not in frame.columns
    assert text_or_none(frame["caller_name_masked"]) == [expected.mask_name(name) for name in want["caller_name"]]
    assert text_or_none(frame["caller_phone_masked"]) == [expected.mask_phone(phone) for phone in want["caller_phone"]]
    named = frame["caller_phone_masked"].dropna()
    assert named.str.fullmatch(r"1\d{2}\*{4}\d{4}").all() and len(named) > 0
    assert frame["community_name_zh"].notna().all()


def test_whistle_cases(loaded_engine, orders):
    work_filter = WorkOrderFilter(YEAR_START, YEAR_END, LEADER)
    frame = work_orders.read_whistle_cases(loaded_engine, work_filter, limit=500)
    want = window(orders, YEAR_START, YEAR_END)
    want = want[want["whistle"]]
    assert sorted(frame["order_no"]) == sorted(want["order_no"]) and len(want) > 0
    summary = work_orders.read_whistle_summary(loaded_engine, work_filter)
    assert summary == {"whistles": len(want), "resolved": int(want["resolved_at"].notna().sum()),
                       "open": int(want["is_open"].sum())}


def test_order_timeline_follows_the_lifecycle(loaded_engine, orders):
    closed = orders[orders["status"] == "closed"].iloc[0]
    timeline = work_orders.read_order_timeline(loaded_engine, LEADER, closed["order_no"])
    assert timeline["step"].iloc[0] == "received" and timeline["step"].iloc[-1] == "closed"
    assert timeline["at"].is_monotonic_increasing
    assert timeline.set_index("step")["at"]["resolved"] == closed["resolved_at"]
    assert work_orders.read_order_timeline(loaded_engine, LEADER, "NO-SUCH-ORDER").empty


@pytest.mark.parametrize("days", [30, 365])
def test_kpis_match_the_definitions(loaded_engine, orders, days):
    start, end = days_window(TEST_AS_OF, days)
    frame = kpis.read_kpis(loaded_engine, WorkOrderFilter(start, end), NOW).set_index("kpi")
    want = expected.kpis(orders, start, end, NOW)
    assert set(frame.index) == set(kpis.KPI_DEFINITIONS)
    for key, (numerator, denominator) in want.items():
        assert (frame.loc[key, "numerator"], frame.loc[key, "denominator"]) == (numerator, denominator), key
        assert frame.loc[key, "rate"] == pytest.approx(numerator / denominator)


def test_kpis_for_an_area_and_an_empty_filter(loaded_engine, orders):
    district = some_district(orders)
    district_filter = WorkOrderFilter(YEAR_START, YEAR_END, AreaScope.of(district))
    frame = kpis.read_kpis(loaded_engine, district_filter, NOW).set_index("kpi")
    want = expected.kpis(orders[orders["district_code"] == district], YEAR_START, YEAR_END, NOW)
    assert frame.loc["satisfaction_rate", "numerator"] == want["satisfaction_rate"][0]
    empty = kpis.read_kpis(loaded_engine, WorkOrderFilter(START, END, categories=("no_such_category",)), NOW)
    assert (empty["denominator"] == 0).all() and empty["rate"].isna().all()


def test_sample_kpis_are_in_the_domain_ranges(loaded_engine):
    frame = kpis.read_kpis(loaded_engine, WorkOrderFilter(YEAR_START, YEAR_END), NOW).set_index("kpi")
    assert 0.88 <= frame.loc["satisfaction_rate", "rate"] <= 0.97
    assert 0.83 <= frame.loc["on_time_closure_rate", "rate"] <= 0.96


def test_order_lists_do_not_read_the_long_description(loaded_engine):
    window = WorkOrderFilter(START, END, LEADER)
    assert "description" not in work_orders.read_latest_orders(loaded_engine, window, limit=5).columns
    assert "description" not in work_orders.read_whistle_cases(loaded_engine, window, limit=5).columns
