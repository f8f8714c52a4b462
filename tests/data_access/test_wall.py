"""The wall's snapshot and carousel views against counts taken from the generated files (tests/expected.py)."""

from __future__ import annotations

import pytest

from data_access.areas import read_city_facts
from data_access.city_time import local_date, reference_now
from data_access.roles import Viewer
from data_access.wall import (
    MembersView,
    OverviewView,
    RequestsView,
    StationsView,
    read_wall_base,
    read_wall_snapshot,
    read_wall_view,
)
from tests import expected

# The wall reads as a wall key does: requests and titles, no caller.
WALL = Viewer("wall:test", "wall")

LEVELS = ("city", "district", "street", "community", "grid")
DIGITS = {"city": 0, "district": 6, "street": 9, "community": 12, "grid": 15}


def busiest_grid(city_dir) -> str:
    start, end = expected.local_days_window(city_dir, 30)
    return expected.orders_in(city_dir, None, start, end)["grid_code"].value_counts().index[0]


def area_at(city_dir, level: str) -> str | None:
    return busiest_grid(city_dir)[:DIGITS[level]] or None


def clock(engine):
    now = reference_now(read_city_facts(engine), 0)
    return now, local_date(now)


@pytest.mark.parametrize("level", LEVELS)
def test_snapshot_figures_equal_the_raw_files(loaded_engine, city_dir, level):
    area = area_at(city_dir, level)
    scope = WALL.scope(area)
    now, today = clock(loaded_engine)
    snapshot = read_wall_snapshot(loaded_engine, scope, now, today, 7)
    start, end = expected.local_days_window(city_dir, 30)
    month = expected.orders_in(city_dir, area, start, end)
    assert snapshot.received_30d == len(month) > 0
    assert snapshot.received_today == len(expected.orders_in(city_dir, area, *expected.local_days_window(city_dir, 1)))
    assert int(snapshot.daily["received"].sum()) == len(month)
    everything = expected.orders_in(city_dir, area)
    assert snapshot.backlog["open"] == int(everything["is_open"].sum())
    assert snapshot.stations_open == len(expected.open_stations_in(city_dir, area))
    newest = everything[everything["received_at"] <= now].sort_values(["received_at", "order_no"], ascending=False)
    assert list(snapshot.latest["order_no"]) == list(newest["order_no"].head(15))
    # The ranking lists the areas the map draws: one level down, or at a grid its community's grids.
    ranked_level = "grid" if level in ("community", "grid") else {"city": "district", "district": "street",
                                                                   "street": "community"}[level]
    parent = area[:12] if level == "grid" else area
    want = expected.counts_per_area(city_dir, ranked_level, parent, start, end)
    assert dict(zip(snapshot.ranking["code"], snapshot.ranking["received"], strict=True)) == want
    assert list(snapshot.ranking["received"]) == sorted(want.values(), reverse=True)
    if level == "grid":
        assert want[area] == snapshot.received_30d


def test_a_quiet_grid_ranks_its_siblings_with_their_own_counts(loaded_engine, city_dir):
    grid = expected.quiet_grid(city_dir)
    now, today = clock(loaded_engine)
    snapshot = read_wall_snapshot(loaded_engine, WALL.scope(grid), now, today, 9)
    start, end = expected.local_days_window(city_dir, 30)
    community = len(expected.orders_in(city_dir, grid[:12], start, end))
    assert snapshot.received_30d == 0
    assert snapshot.daily.empty
    assert int(snapshot.ranking["received"].sum()) == community > 0
    assert set(snapshot.ranking["code"]) == set(expected.counts_per_area(city_dir, "grid", grid[:12], start, end))
    base = read_wall_base(loaded_engine, WALL.scope(grid))
    assert set(base.shapes["code"]) == set(snapshot.ranking["code"])


@pytest.mark.parametrize("level", LEVELS)
def test_requests_view_hotspots_equal_the_raw_files(loaded_engine, city_dir, level):
    area = area_at(city_dir, level)
    now, today = clock(loaded_engine)
    view = read_wall_view(loaded_engine, "requests", WALL.scope(area), now, today)
    assert isinstance(view, RequestsView)
    start, end = expected.local_days_window(city_dir, 30)
    counts = expected.counts_per_area(city_dir, "community" if level == "city" else "grid", area, start, end)
    top = sorted(((-count, code) for code, count in counts.items() if count), key=lambda pair: pair)[:12]
    # Areas busy only in the previous 30 days follow, at 0: compare the busy ones.
    shown = [(code, count) for code, count in zip(view.hotspots["code"], view.hotspots["received"], strict=True)
             if count]
    assert shown == [(code, -count) for count, code in top]


def test_requests_view_of_a_quiet_grid_is_empty(loaded_engine, city_dir):
    now, today = clock(loaded_engine)
    view = read_wall_view(loaded_engine, "requests", WALL.scope(expected.quiet_grid(city_dir)), now, today)
    assert view.hotspots.empty


@pytest.mark.parametrize("level", LEVELS)
def test_members_view_equals_the_raw_files(loaded_engine, city_dir, level):
    area = area_at(city_dir, level)
    now, today = clock(loaded_engine)
    view = read_wall_view(loaded_engine, "members", WALL.scope(area), now, today)
    assert isinstance(view, MembersView)
    coverage = expected.member_coverage(city_dir)
    community_area = area[:12] if area else None
    inside = coverage[expected.inside(coverage["code"], community_area)]
    under = inside[inside["coverage"] < 1].sort_values(["coverage", "code"]).head(12)
    assert list(view.under["code"]) == list(under["code"])
    assert list(view.under["shortfall"]) == list(under["target"] - under["members"])
    digits = {"city": 6, "district": 9}.get(level, 12)
    assert view.coverage_level == {6: "district", 9: "street", 12: "community"}[digits]
    members_per_area = inside.assign(code=inside["code"].str[:digits]).groupby("code")["members"].sum()
    assert dict(zip(view.coverage["code"], view.coverage["members"], strict=True)) == members_per_area.to_dict()


def test_members_view_of_a_community_meeting_its_target_has_no_shortfall(loaded_engine, city_dir):
    community = expected.community_meeting_target(city_dir)
    now, today = clock(loaded_engine)
    view = read_wall_view(loaded_engine, "members", WALL.scope(community), now, today)
    assert view.under.empty
    assert view.coverage["coverage"].iloc[0] >= 1


@pytest.mark.parametrize("level", LEVELS)
def test_stations_view_equals_the_raw_files(loaded_engine, city_dir, level):
    area = area_at(city_dir, level)
    now, today = clock(loaded_engine)
    view = read_wall_view(loaded_engine, "stations", WALL.scope(area), now, today)
    assert isinstance(view, StationsView)
    open_here = expected.open_stations_in(city_dir, area)
    assert sorted(view.stations["station_id"]) == sorted(open_here["station_id"])
    per_type = {kind: count for kind, count in zip(view.counts["station_type"], view.counts["open"], strict=True)
                if count}
    assert per_type == open_here.groupby("station_type").size().to_dict()


def test_overview_view_has_nothing_extra(loaded_engine):
    now, today = clock(loaded_engine)
    assert isinstance(read_wall_view(loaded_engine, "overview", WALL.scope(None), now, today), OverviewView)


@pytest.mark.parametrize("level", ["city", "street"])
def test_snapshot_figures_carry_their_previous_period(loaded_engine, city_dir, level):
    from datetime import timedelta

    area = area_at(city_dir, level)
    now, today = clock(loaded_engine)
    figures = read_wall_snapshot(loaded_engine, WALL.scope(area), now, today, 7).figures

    start, end = expected.local_days_window(city_dir, 30)
    previous_start, previous_end = expected.previous_period(start, end, now)
    assert figures["received"].previous == (len(expected.orders_in(city_dir, area, previous_start,
                                                                                previous_end)))
    day_start, day_end = expected.local_days_window(city_dir, 1)
    assert figures["received_today"].previous == (len(expected.orders_in(
        city_dir, area, *expected.previous_period(day_start, day_end, now))))
    everything = expected.orders_in(city_dir, area)
    earlier = expected.backlog_at(everything, now - (end - start))
    assert (figures["open"].previous, figures["overdue"].previous) == (earlier["open"], earlier["overdue"])
    satisfied, called_back = expected.kpis(everything, previous_start, previous_end, previous_end)["satisfaction_rate"]
    satisfaction = figures["satisfaction_rate"]
    assert (satisfaction.previous_numerator, satisfaction.previous_denominator) == (satisfied, called_back)
    week = expected.member_activity(city_dir, area, today - timedelta(days=13), today - timedelta(days=7))
    assert figures["members_active_week"].previous == (week["active"])
