"""Tests of the synthetic city: determinism, exact nesting, valid points and references, realistic KPIs."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from data_access.codes import (
    ACTIVITY_KINDS,
    APPEAL_TYPES,
    CATEGORIES_L1,
    CHANNELS,
    GRID_WORKER_ROLES,
    LIFECYCLE_TIMESTAMPS,
    MEMBER_POSTS,
    MEMBER_STATUSES,
    MEMBER_UNIT_TYPES,
    MOBILE_PHONE_PATTERN,
    OPEN_STATUSES,
    RESOLUTIONS,
    SATISFACTION,
    SATISFIED_ANSWERS,
    STATION_STATUSES,
    STATION_TYPES,
    WORK_ORDER_STATUSES,
)
from sample_data import work_order_text
from sample_data.generate import generate_city

LEVELS = ("districts", "streets", "communities", "grids")
PARENT_LEVEL = {"streets": "districts", "communities": "streets", "grids": "communities"}
OUTPUT_FILES = (
    "city.json",
    "districts.geojson",
    "streets.geojson",
    "communities.geojson",
    "grids.geojson",
    "water.geojson",
    "stations.csv",
    "work_orders.csv",
    "members.csv",
    "member_activities.csv",
    "grid_workers.csv",
    "events.truth.csv",
)
PERSON_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
TIMESTAMP_COLUMNS = [*LIFECYCLE_TIMESTAMPS, "returned_at", "extended_at", "whistled_at", "due_at"]


def read_areas(city_dir: Path, level: str) -> pd.DataFrame:
    """One area level as a DataFrame of properties plus a shapely `geometry` column."""
    features = json.loads((city_dir / f"{level}.geojson").read_text(encoding="utf-8"))["features"]
    table = pd.DataFrame([feature["properties"] for feature in features])
    table["geometry"] = [shapely.geometry.shape(feature["geometry"]) for feature in features]
    return table


def read_csv(city_dir: Path, name: str, **options) -> pd.DataFrame:
    """A generated CSV with every column read as text (empty cells as empty strings)."""
    return pd.read_csv(city_dir / name, dtype=str, keep_default_na=False, **options)


@pytest.fixture(scope="module")
def areas(city_dir) -> dict[str, pd.DataFrame]:
    """All four area levels of the shared test city."""
    return {level: read_areas(city_dir, level) for level in LEVELS}


@pytest.fixture(scope="module")
def orders(city_dir) -> pd.DataFrame:
    """work_orders.csv with timestamps parsed."""
    table = read_csv(city_dir, "work_orders.csv")
    for column in TIMESTAMP_COLUMNS:
        table[column] = pd.to_datetime(table[column].replace("", None), format="%Y-%m-%d %H:%M:%S")
    return table


@pytest.fixture(scope="module")
def as_of_end(city_dir) -> pd.Timestamp:
    """The as-of moment of the test city (local time, no zone)."""
    as_of = json.loads((city_dir / "city.json").read_text(encoding="utf-8"))["as_of"]
    return pd.Timestamp(as_of).tz_localize(None)


def grid_of_points(grids: pd.DataFrame, lon, lat) -> np.ndarray:
    """Index of the grid containing each point (-1 if none), by point-in-polygon."""
    tree = shapely.STRtree(grids["geometry"].to_numpy())
    point_index, grid_index = tree.query(
        shapely.points(np.asarray(lon, float), np.asarray(lat, float)), predicate="within"
    )
    found = np.full(len(lon), -1)
    found[point_index] = grid_index
    return found


def test_writes_every_file_and_returns_counts(tmp_path):
    counts = generate_city(tmp_path, scale="test", seed=3, as_of=date(2026, 1, 15))
    assert set(counts) == set(OUTPUT_FILES)
    assert {path.name for path in tmp_path.iterdir()} == set(OUTPUT_FILES)
    assert 2_500 <= counts["work_orders.csv"] <= 3_100
    assert counts["members.csv"] == 300
    assert 1_500 <= counts["member_activities.csv"] <= 2_500
    assert counts["districts.geojson"] == 3


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for directory, seed in ((first, 11), (second, 11), (other, 12)):
        generate_city(directory, scale="test", seed=seed, as_of=date(2026, 3, 1))
    for name in OUTPUT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "work_orders.csv").read_bytes() != (other / "work_orders.csv").read_bytes()


def test_city_json(city_dir):
    city = json.loads((city_dir / "city.json").read_text(encoding="utf-8"))
    assert city["synthetic"] is True
    assert city["as_of"] == "2026-06-30T23:59:59+08:00"
    assert city["code"] == "4299" and city["name_zh"] == "临江市"
    assert len(city["center"]) == 2


def test_areas_are_valid_polygons_with_unique_codes(areas):
    for level, table in areas.items():
        geometries = table["geometry"].to_numpy()
        assert shapely.is_valid(geometries).all(), level
        assert set(shapely.get_type_id(geometries)) <= {3, 6}, level
        assert table["code"].is_unique, level
        assert (table["population"] >= 0).all() and (table["households"] >= 0).all()
    assert areas["districts"]["code"].str.match(r"^4299\d{2}$").all()


def test_children_nest_exactly_inside_parents(areas):
    for level, parent_level in PARENT_LEVEL.items():
        children, parents = areas[level], areas[parent_level].set_index("code")
        assert (children["code"].str[:-3] == children["parent_code"]).all()
        assert children["parent_code"].isin(parents.index).all()
        for parent_code, siblings in children.groupby("parent_code"):
            parent = parents.at[parent_code, "geometry"]
            assert shapely.covered_by(siblings["geometry"].to_numpy(), parent.buffer(1e-7)).all()
            # Shared lattice vertices make nesting exact, not merely within a tolerance.
            assert shapely.covered_by(siblings["geometry"].to_numpy(), parent).all()
            assert shapely.coverage_is_valid(siblings["geometry"].to_numpy())
            assert shapely.area(siblings["geometry"].to_numpy()).sum() == pytest.approx(parent.area, rel=1e-6)
            assert siblings["population"].sum() == parents.at[parent_code, "population"]
            assert siblings["households"].sum() == parents.at[parent_code, "households"]


def test_siblings_do_not_overlap(areas):
    for level in LEVELS:
        geometries = areas[level]["geometry"].to_numpy()
        left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(geometries[left[pairs]], geometries[right[pairs]]))
        assert overlap.max(initial=0) < 1e-12, level


def test_area_codes_follow_the_kind_ranges(areas):
    streets, communities = areas["streets"], areas["communities"]
    street_number = streets["code"].str[-3:].astype(int)
    assert (street_number[streets["name_zh"].str.endswith("镇")] >= 100).all()
    assert (street_number[streets["name_zh"].str.endswith("街道")] < 100).all()
    community_number = communities["code"].str[-3:].astype(int)
    assert (community_number[communities["name_zh"].str.endswith("村")] >= 200).all()
    assert (community_number[communities["name_zh"].str.endswith("社区")] < 200).all()
    assert communities["member_target"].ge(0).all()
    assert areas["grids"]["name_zh"].str.match(r"^.+(社区|村)第\d+网格$").all()


@pytest.mark.parametrize("file_name", ["work_orders.csv", "stations.csv"])
def test_points_lie_in_a_grid_and_not_in_water(city_dir, areas, file_name):
    table = read_csv(city_dir, file_name)
    lon, lat = table["lon"].astype(float), table["lat"].astype(float)
    assert (grid_of_points(areas["grids"], lon, lat) >= 0).all()
    water = shapely.union_all(read_areas(city_dir, "water")["geometry"].to_numpy())
    assert not shapely.intersects_xy(water, lon.to_numpy(), lat.to_numpy()).any()


def test_work_order_values_stay_in_the_enums(orders):
    assert orders["order_no"].is_unique and orders["order_no"].str.match(r"^LJ\d{13}$").all()
    assert orders["channel"].isin(CHANNELS).all() and orders["appeal_type"].isin(APPEAL_TYPES).all()
    assert (
        orders["category_l1"].isin(CATEGORIES_L1).all() and orders["status"].isin(WORK_ORDER_STATUSES).all()
    )
    assert orders["resolution"].isin(["", *RESOLUTIONS]).all()
    assert orders["satisfaction"].isin(["", *SATISFACTION]).all()
    assert orders["title"].ne("").all() and orders["category_l2"].ne("").all()
    assert orders["whistle"].isin(["true", "false"]).all()


def test_work_order_timestamps_are_ordered_and_match_status(orders, as_of_end):
    previous = orders["received_at"]
    for column in LIFECYCLE_TIMESTAMPS[1:]:
        given = orders[column].notna()
        assert (orders.loc[given, column] >= previous[given]).all(), column
        previous = previous.where(~given, orders[column])
    stamps = orders[TIMESTAMP_COLUMNS].drop(columns="due_at")
    assert (stamps.max(axis=1) <= as_of_end).all()
    assert (orders["due_at"] >= orders["received_at"]).all()
    done = orders["status"].isin(["resolved", "called_back", "closed"])
    assert orders.loc[done, "resolved_at"].notna().all()
    assert orders.loc[orders["status"] == "closed", "closed_at"].notna().all()
    assert orders.loc[orders["status"] == "called_back", "called_back_at"].notna().all()
    assert (orders["resolution"].ne("") == orders["resolved_at"].notna()).all()
    whistle = orders["whistle"] == "true"
    assert orders.loc[whistle, "whistled_at"].notna().all()
    assert orders.loc[whistle, "whistle_departments"].str.count(";").between(1, 2).all()


def test_work_order_references_and_people(orders):
    by_number = orders.set_index("order_no")
    repeats = orders[orders["repeat_of"] != ""]
    assert 0.02 <= len(repeats) / len(orders) <= 0.08
    originals = by_number.loc[repeats["repeat_of"]]
    assert (originals["received_at"].to_numpy() < repeats["received_at"].to_numpy()).all()
    assert (originals["category_l2"].to_numpy() == repeats["category_l2"].to_numpy()).all()
    assert (originals["lon"].to_numpy() == repeats["lon"].to_numpy()).all()
    callers = orders[orders["caller_name"] != ""]
    assert callers["caller_name"].str.match(PERSON_NAME).all()
    phones = orders.loc[orders["caller_phone"] != "", "caller_phone"]
    assert phones.str.match(MOBILE_PHONE_PATTERN).all() and len(phones) > 0.7 * len(orders)


def test_work_order_kpis_are_realistic(orders, as_of_end):
    called_back = orders[orders["satisfaction"] != ""]
    satisfaction_rate = called_back["satisfaction"].isin(SATISFIED_ANSWERS).mean()
    assert 0.88 <= satisfaction_rate <= 0.97
    due = orders[(orders["due_at"] <= as_of_end) & (orders["status"] != "merged")]
    on_time = (due["resolved_at"].notna() & (due["resolved_at"] <= due["due_at"])).mean()
    assert 0.83 <= on_time <= 0.96
    resolved = orders[orders["resolution"] != ""]
    assert 0.85 <= (resolved["resolution"] == "solved").mean() <= 0.97
    accepted = orders[orders["accepted_at"].notna()]
    within_two_hours = (accepted["accepted_at"] - accepted["received_at"] <= pd.Timedelta(hours=2)).mean()
    assert within_two_hours >= 0.93
    channel_share = orders["channel"].value_counts(normalize=True)
    assert 0.45 <= channel_share["hotline_12345"] <= 0.65
    assert orders["appeal_type"].value_counts().index[:2].isin(["complaint", "help"]).all()


def test_work_orders_follow_daily_and_weekly_cycles(orders):
    hour = orders["received_at"].dt.hour
    assert hour.between(9, 10).sum() > 4 * hour.between(2, 3).sum()
    weekday = orders["received_at"].dt.day_of_week
    assert (weekday < 5).sum() / 5 > 1.2 * (weekday >= 5).sum() / 2


def test_recent_orders_are_still_open(orders, as_of_end):
    last_day = orders[orders["received_at"] > as_of_end - pd.Timedelta(days=1)]
    assert len(last_day) > 0
    assert last_day["status"].isin(OPEN_STATUSES).mean() > 0.3
    assert (last_day["status"] != "closed").mean() > 0.9
    stuck = orders[
        (orders["due_at"] < as_of_end - pd.Timedelta(days=60)) & orders["status"].isin(OPEN_STATUSES)
    ]
    assert len(stuck) > 0


def test_stations(city_dir, areas):
    stations = read_csv(city_dir, "stations.csv")
    assert stations["station_id"].is_unique
    assert (
        stations["station_type"].isin(STATION_TYPES).all() and stations["status"].isin(STATION_STATUSES).all()
    )
    assert set(stations["station_type"]) == set(STATION_TYPES)
    assert (stations["status"] == "open").mean() > 0.9
    outdoor = stations[stations["station_type"] == "outdoor_worker_station"]
    assert outdoor["services"].str.contains("饮水").all()
    assert (stations.loc[stations["status"] == "planned", "opened_date"] == "").all()


def test_some_grids_are_far_from_every_station(city_dir, areas):
    stations = read_csv(city_dir, "stations.csv")
    metres = 1 / 1e5  # about a metre per 1e-5 degree: enough to rank distances
    points = shapely.points(stations["lon"].astype(float), stations["lat"].astype(float))
    centres = shapely.centroid(areas["grids"]["geometry"].to_numpy())
    nearest = shapely.STRtree(points).query_nearest(centres, return_distance=True, all_matches=False)[1]
    assert (nearest > 500 * metres).sum() >= 1


def test_members_activities_and_grid_workers(city_dir, areas, orders):
    members = read_csv(city_dir, "members.csv")
    grids = areas["grids"].set_index("code")
    communities = areas["communities"].set_index("code")
    assert members["member_id"].is_unique
    assert (
        members["name"].str.match(PERSON_NAME).all()
        and members["phone"].str.match(MOBILE_PHONE_PATTERN).all()
    )
    assert (
        members["unit_type"].isin(MEMBER_UNIT_TYPES).all() and members["status"].isin(MEMBER_STATUSES).all()
    )
    assert members["community_code"].isin(communities.index).all()
    assigned = members[members["grid_code"] != ""]
    assert (grids.loc[assigned["grid_code"], "parent_code"].to_numpy() == assigned["community_code"]).all()
    posts = members["claimed_posts"].str.split(";").explode()
    assert posts.isin(MEMBER_POSTS).all()
    coverage = members.groupby("community_code").size().reindex(communities.index, fill_value=0)
    under = (coverage < communities["member_target"]).mean()
    assert 0.03 <= under <= 0.35

    activities = read_csv(city_dir, "member_activities.csv")
    assert activities["activity_id"].is_unique and activities["member_id"].isin(members["member_id"]).all()
    assert activities["kind"].isin(ACTIVITY_KINDS).all()
    assert activities["hours"].astype(float).between(0.5, 4).all()
    assert (activities["activity_date"] <= "2026-06-30").all()
    assert (activities["activity_date"] >= "2026-06-24").sum() > 0.02 * len(activities)
    linked = activities[activities["work_order_no"] != ""]
    assert len(linked) > 0 and linked["work_order_no"].isin(orders["order_no"]).all()

    workers = read_csv(city_dir, "grid_workers.csv")
    assert workers["worker_id"].is_unique and workers["grid_code"].isin(grids.index).all()
    assert workers["role"].isin(GRID_WORKER_ROLES).all() and workers["on_duty"].isin(["true", "false"]).all()
    heads = workers[workers["role"] == "grid_head"].groupby("grid_code").size()
    assert len(heads) == len(grids) and (heads == 1).all()
    assert workers["name"].str.match(PERSON_NAME).all()


def test_parallel_work_order_writing_gives_the_same_bytes(tmp_path, monkeypatch):
    sequential, parallel = tmp_path / "sequential", tmp_path / "parallel"
    generate_city(sequential, scale="test", seed=5, as_of=date(2026, 2, 1))
    monkeypatch.setattr(work_order_text, "PARALLEL_MIN_ROWS", 100)
    monkeypatch.setattr(work_order_text, "PARALLEL_SLICE_ROWS", 700)
    monkeypatch.setattr(work_order_text, "CHUNK_ROWS", 300)
    generate_city(parallel, scale="test", seed=5, as_of=date(2026, 2, 1))
    assert not list(parallel.glob("*.part*"))
    assert (sequential / "work_orders.csv").read_bytes() == (parallel / "work_orders.csv").read_bytes()


def test_a_city_ending_mid_afternoon_holds_what_had_happened_by_then(tmp_path):
    from datetime import datetime

    from data_access.city_time import CITY_ZONE

    whole, cut, again = tmp_path / "whole", tmp_path / "cut", tmp_path / "again"
    generate_city(whole, scale="test", seed=5, as_of=date(2026, 2, 3))
    end = datetime(2026, 2, 3, 15, 30, 41, tzinfo=CITY_ZONE)
    generate_city(cut, scale="test", seed=5, as_of=end)
    generate_city(again, scale="test", seed=5, as_of=end)
    for name in OUTPUT_FILES:  # the same end time gives the same files
        assert (cut / name).read_bytes() == (again / name).read_bytes(), name
    city = json.loads((cut / "city.json").read_text(encoding="utf-8"))
    assert city["as_of"] == "2026-02-03T15:30:00+08:00"  # to the minute
    last = pd.Timestamp("2026-02-03 15:30:00")
    orders = pd.read_csv(cut / "work_orders.csv", dtype=str, keep_default_na=False, na_values=[""])
    for column in LIFECYCLE_TIMESTAMPS:
        if column in orders:
            assert (pd.to_datetime(orders[column]).dropna() <= last).all(), column
    received = pd.to_datetime(orders["received_at"])
    assert received.max() > pd.Timestamp("2026-02-03 12:00:00")  # the day so far is there
    # The same orders up to the cut as in the whole day's city, and nothing after it.
    full = pd.read_csv(whole / "work_orders.csv", dtype=str, keep_default_na=False, na_values=[""])
    before = full[pd.to_datetime(full["received_at"]) <= last]
    assert list(orders["order_no"]) == list(before["order_no"])
    assert list(orders["received_at"]) == list(before["received_at"])
    assert len(orders) < len(full)
    repeats = orders[orders["repeat_of"].notna()]
    assert repeats["repeat_of"].isin(set(orders["order_no"])).all()
    # Check-ins of a running day are the share recorded so far; earlier days are untouched.
    cut_activities = pd.read_csv(cut / "member_activities.csv", dtype=str)
    full_activities = pd.read_csv(whole / "member_activities.csv", dtype=str)
    today = (cut_activities["activity_date"] == "2026-02-03").sum()
    whole_day = (full_activities["activity_date"] == "2026-02-03").sum()
    assert 0.4 * whole_day < today < 0.9 * whole_day
    earlier = full_activities[full_activities["activity_date"] < "2026-02-03"]
    assert len(cut_activities) - today == len(earlier)


def test_the_default_end_is_the_current_minute():
    from datetime import datetime, timedelta

    from data_access.city_time import CITY_ZONE
    from sample_data.generate import end_moment

    before = datetime.now(CITY_ZONE).replace(second=0, microsecond=0)
    end = end_moment()
    assert before <= end <= before + timedelta(minutes=1) and end.second == 0 and end.tzinfo is not None
    assert end_moment(date(2026, 6, 30)).isoformat() == "2026-06-30T23:59:59+08:00"
