"""Figures with their previous period, against pandas on the input files (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from data_access import figures, kpis
from data_access.city_time import DAY_SECONDS, days_window
from data_access.filters import WorkOrderFilter
from data_access.scope import CITY, AreaScope
from tests import expected
from tests.conftest import TEST_AS_OF

START, END = days_window(TEST_AS_OF, 30)
NOW = END - 1


@pytest.fixture(scope="module")
def orders(city_dir) -> pd.DataFrame:
    return expected.work_orders(city_dir)


def busiest_district(orders: pd.DataFrame) -> str:
    return orders["district_code"].value_counts().index[0]


def check_order_figures(engine, orders, work_filter: WorkOrderFilter, now: int, area: str | None) -> dict:
    """Every figure of read_order_figures against the oracle, now and in the previous period."""
    shown = figures.read_order_figures(engine, work_filter, now)
    subset = orders[expected.inside(orders["grid_code"], area)]
    if work_filter.categories:
        subset = subset[subset["category_l1"].isin(work_filter.categories)]
    previous_start, previous_end = expected.previous_period(work_filter.start, work_filter.end, now)
    for period, (start, end, moment) in {"current": (work_filter.start, work_filter.end, now),
                                          "previous": (previous_start, previous_end, previous_end)}.items():
        pairs = expected.kpis(subset, start, end, moment)
        received = int(expected.in_window(subset["received_at"], start, end).sum())
        for key, (numerator, denominator) in pairs.items():
            figure = shown[key]
            got = ((figure.numerator, figure.denominator) if period == "current"
                   else (figure.previous_numerator, figure.previous_denominator))
            assert got == (numerator, denominator), (period, key)
            rate = numerator / denominator if denominator else None
            assert (figure.value if period == "current" else figure.previous) == pytest.approx(rate), (period, key)
        assert (shown["received"].value if period == "current" else shown["received"].previous) == received
        assert (shown[key].previous_start, shown[key].previous_end) == (previous_start, previous_end)
    backlog_now = expected.backlog_at(subset, now)
    backlog_before = expected.backlog_at(subset, now - (work_filter.end - work_filter.start))
    for key in ("open", "overdue"):
        assert shown[key].value == backlog_now[key] > 0, key
        assert shown[key].previous == backlog_before[key], key
        assert shown[key].change == pytest.approx(backlog_now[key] / backlog_before[key] - 1), key
    satisfaction = shown["satisfaction_rate"]
    assert satisfaction.change == pytest.approx(satisfaction.value - satisfaction.previous)  # points, not %
    return shown


def test_a_month_against_the_month_before(loaded_engine, orders):
    shown = check_order_figures(loaded_engine, orders, WorkOrderFilter(START, END), NOW, None)
    received = shown["received"]
    assert received.previous > 0 and received.change == pytest.approx(received.value / received.previous - 1)
    assert received.missing is None


def test_a_district_and_category_against_its_previous_week(loaded_engine, orders):
    start, end = days_window(TEST_AS_OF, 7)
    district = busiest_district(orders)
    work_filter = WorkOrderFilter(start, end, AreaScope.of(district), categories=("city_management",))
    check_order_figures(loaded_engine, orders, work_filter, end - 1, district)


def test_a_running_day_is_compared_with_yesterday_up_to_the_same_hour(loaded_engine, orders):
    start, end = days_window(TEST_AS_OF, 1)
    afternoon = start + 15 * 3600
    shown = check_order_figures(loaded_engine, orders, WorkOrderFilter(start, end), afternoon, None)
    assert (shown["received"].previous_start, shown["received"].previous_end) == (start - DAY_SECONDS,
                                                                                  afternoon - DAY_SECONDS)


def test_no_previous_data_before_the_first_record(loaded_engine, orders):
    start, end = days_window(TEST_AS_OF, 300)  # the previous 300 days reach back before the city's year of data
    assert orders["received_at"].min() > start - (end - start)
    shown = figures.read_order_figures(loaded_engine, WorkOrderFilter(start, end), end - 1)
    for key in ("received", "open", "satisfaction_rate"):
        assert shown[key].previous is None and shown[key].change is None and shown[key].verdict is None
        assert shown[key].missing == figures.BEFORE_DATA
    assert figures.read_received_figure(loaded_engine, WorkOrderFilter(None, end), end - 1).missing == \
        figures.BEFORE_DATA  # no window, nothing to compare


def test_a_count_rising_from_zero_has_no_percentage_never_a_division_by_zero(loaded_engine, orders):
    start, end = days_window(TEST_AS_OF, 7)
    previous_start, previous_end = expected.previous_period(start, end, end - 1)
    now_counts = orders[expected.in_window(orders["received_at"], start, end)]["grid_code"].value_counts()
    before_counts = orders[expected.in_window(orders["received_at"], previous_start, previous_end)]["grid_code"]
    grid = next(code for code in now_counts.index if code not in set(before_counts))
    figure = figures.read_received_figure(loaded_engine, WorkOrderFilter(start, end, AreaScope.of(grid)), end - 1)
    assert figure.value == now_counts[grid] > 0 and figure.previous == 0
    assert figure.change is None and figure.from_zero and figure.verdict == "worse"  # more requests
    assert figures.Figure("received", 0, 0).verdict == "same"


def test_a_rate_with_nothing_to_count_before_is_no_previous_data(loaded_engine, orders):
    start, end = days_window(TEST_AS_OF, 1)
    previous_start, previous_end = expected.previous_period(start, end, end - 1)
    called = orders[expected.in_window(orders["called_back_at"], start, end)]["grid_code"].value_counts()
    before = set(orders[expected.in_window(orders["called_back_at"], previous_start, previous_end)]["grid_code"])
    grid = next(code for code in called.index if code not in before)
    satisfaction = figures.read_order_figures(loaded_engine, WorkOrderFilter(start, end, AreaScope.of(grid)),
                                              end - 1)["satisfaction_rate"]
    assert satisfaction.denominator == called[grid] and satisfaction.previous_denominator == 0
    assert satisfaction.previous is None and satisfaction.change is None and satisfaction.missing == figures.EMPTY


def test_received_figure_equals_the_order_figures(loaded_engine):
    start, end = days_window(TEST_AS_OF, 1)
    alone = figures.read_received_figure(loaded_engine, WorkOrderFilter(start, end), NOW)
    together = figures.read_order_figures(loaded_engine, WorkOrderFilter(start, end), NOW)["received"]
    assert alone == together


@pytest.mark.parametrize("area", [None, "district"])
def test_member_figures_against_the_week_before(loaded_engine, city_dir, area):
    rows = expected.member_activities(city_dir)
    if area == "district":
        area = rows["community_code"].str[:6].value_counts().index[0]
    shown = figures.read_member_figures(loaded_engine, AreaScope.of(area), TEST_AS_OF)
    week = expected.member_activity(city_dir, area, TEST_AS_OF - timedelta(days=6), TEST_AS_OF)
    before = expected.member_activity(city_dir, area, TEST_AS_OF - timedelta(days=13), TEST_AS_OF - timedelta(days=7))
    today = expected.member_activity(city_dir, area, TEST_AS_OF, TEST_AS_OF)
    yesterday = expected.member_activity(city_dir, area, TEST_AS_OF - timedelta(days=1), TEST_AS_OF - timedelta(days=1))
    pairs = {"members_active_week": (week["active"], before["active"]),
             "service_hours_week": (week["hours"], before["hours"]),
             "whistle_responses_week": (week["whistle_responses"], before["whistle_responses"]),
             "members_active_today": (today["active"], yesterday["active"])}
    for key, (value, previous) in pairs.items():
        assert shown[key].value == pytest.approx(value), key
        assert shown[key].previous == pytest.approx(previous), key
        if key == "members_active_today":  # a day under way against a whole one: no change claimed
            assert shown[key].missing == figures.IN_PROGRESS and shown[key].change is None
            assert shown[key].verdict is None
            continue
        assert previous > 0 and shown[key].change == pytest.approx(value / previous - 1), key
    week_start, week_end = days_window(TEST_AS_OF - timedelta(days=7), 7)
    assert (shown["members_active_week"].previous_start, shown["members_active_week"].previous_end) == (
        week_start, week_end)
    deployed = shown["members_deployed"]
    assert deployed.previous is None and deployed.missing == figures.NOT_RECORDED


def test_which_way_is_better_is_defined_once_for_every_figure():
    assert set(kpis.KPI_DEFINITIONS) <= set(kpis.BETTER)
    more_requests = figures.Figure("received", 110, 100)
    assert more_requests.change == pytest.approx(0.10) and more_requests.verdict == "worse"
    better_satisfaction = figures.Figure("satisfaction_rate", 0.93, 0.91, is_rate=True)
    assert better_satisfaction.change == pytest.approx(0.02) and better_satisfaction.verdict == "better"
    fewer_returns = figures.Figure("return_rate", 0.03, 0.04, is_rate=True)
    assert fewer_returns.verdict == "better"
    assert figures.Figure("members_active_week", 100, 100).verdict == "same"
    assert figures.Figure("open", 5, 0).change is None and figures.Figure("open", 5, 0).verdict == "worse"


def test_previous_period_of_a_filter():
    work_filter = WorkOrderFilter(1000, 2000, CITY)
    assert work_filter.previous_period(5000) == WorkOrderFilter(0, 1000, CITY)
    assert work_filter.previous_period(1600) == WorkOrderFilter(0, 600, CITY)
    assert WorkOrderFilter(None, 2000).previous_period(1600) is None
