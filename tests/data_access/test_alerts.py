"""Early warning on both backends, on crafted orders in the test city's areas where it is known what must fire
(a surge, a repeat cluster, a backlog jump) and what must not (an area at its usual level, a grid going from 0
to 1, requests too far apart or too long apart), checked against tests/expected_alerts.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from data_access import schema
from data_access.__main__ import main
from data_access.alerts import (
    ALERT_COLUMNS,
    AREA_ALERT_KINDS,
    DEFAULT_PARAMETERS,
    AlertDayError,
    compute_alerts,
    forget_inputs,
    read_alert,
    read_alert_areas,
    read_alert_list,
    read_alert_series,
    read_alerts,
    read_open_alert_count,
    read_open_alerts,
)
from data_access.alerts import clusters as clusters_module
from data_access.alerts import compute as compute_module
from data_access.alerts.compute import day_number
from data_access.alerts.model import upper_limit
from data_access.alerts.surges import exceeds
from data_access.city_time import day_number_to_date
from data_access.db import create_db_engine
from data_access.ingest import load_directory, load_frames
from data_access.scope import CITIZEN_TEXT, AreaScope, OutsideArea
from tests import expected, expected_alerts
from tests.alert_city import DAY, write_crafted_city
from tests.conftest import BACKENDS, drop_engine, make_empty_engine
from tests.expected_alerts import day_start


@pytest.fixture(scope="module")
def crafted_dir(city_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("crafted")
    return directory, write_crafted_city(city_dir, directory)


@pytest.fixture(scope="module", params=BACKENDS)
def crafted_engine(request, crafted_dir, tmp_path_factory):
    engine = make_empty_engine(request.param, tmp_path_factory.mktemp("alerts-db"))
    load_directory(crafted_dir[0], engine)
    yield engine
    drop_engine(engine)


def communities(crafted_dir) -> int:
    """How many communities the crafted city has, from its input file."""
    return len(expected.areas(crafted_dir[0], "community"))


@pytest.fixture(scope="module")
def raw_orders(crafted_dir) -> pd.DataFrame:
    return expected.work_orders(crafted_dir[0])


@pytest.fixture(scope="module")
def day_alerts(crafted_engine) -> pd.DataFrame:
    return compute_alerts(crafted_engine, DAY)


def test_the_negative_binomial_limit_matches_its_probability_function():
    means = np.array([0.3, 1.0, 4.0, 25.0, 400.0])
    for inverse in (0.0, 0.05, 0.8):
        for alpha in (1e-2, 1e-4):
            assert upper_limit(means, inverse, alpha).tolist() == [
                expected_alerts.nb_quantile(mean, inverse, alpha) for mean in means]


def test_a_count_exceeds_its_limit_exactly_when_it_is_above_the_quantile():
    # What the surge baseline's rounds ask of every past day, answered without summing up to the limit.
    rng = np.random.default_rng(3)
    means = np.concatenate([rng.uniform(0.05, 3, 400), rng.uniform(3, 300, 400)])
    inverse = rng.choice([0.0, 0.01, 0.3, 2.0], len(means))
    counts = np.maximum(0, np.round(means * rng.uniform(0, 3, len(means)))).astype(int)
    for alpha in (0.005, 1e-4):
        limits = np.array([expected_alerts.nb_quantile(mean, size, alpha)
                           for mean, size in zip(means, inverse, strict=True)])
        assert (exceeds(counts, means, inverse, alpha) == (counts > limits)).all()
        assert not exceeds(limits, means, inverse, alpha).any()
        assert (exceeds(counts, means, inverse, alpha) == (counts > upper_limit(means, inverse, alpha))).all()
        assert exceeds(limits + 1, means, inverse, alpha).all()


def test_the_surge_is_flagged_and_an_area_at_its_usual_level_or_a_grid_from_0_to_1_is_not(day_alerts, crafted_dir):
    crafted = crafted_dir[1]
    surges = day_alerts[day_alerts["kind"] == "surge"]
    environment = surges[surges["category_l1"] == "environment"]
    assert len(environment) >= 1
    assert all(code.startswith(crafted.surging) or crafted.surging.startswith(code)
               for code in environment["area_code"])
    assert set(surges["category_l1"]) == {"environment", "social_security"}
    assert not (day_alerts["area_code"].str.startswith(crafted.steady)).any()
    assert not ((day_alerts["kind"] == "surge") & day_alerts["area_code"].str.startswith(crafted.quiet)).any()


def test_a_past_surge_elsewhere_does_not_hide_a_surge_of_the_same_category(day_alerts, crafted_dir):
    crafted = crafted_dir[1]
    surges = day_alerts[(day_alerts["kind"] == "surge") & (day_alerts["category_l1"] == "social_security")]
    assert surges["area_code"].tolist() == [crafted.masked]
    assert surges["observed"].tolist() == [8] and float(surges["upper"].iloc[0]) < 8
    # The past surge is in the baseline, left out of the spread: the line is the one of pure chance.
    assert float(surges["upper"].iloc[0]) == upper_limit(np.array([DEFAULT_PARAMETERS.min_expected]),
                                                         1 / (56 * DEFAULT_PARAMETERS.min_expected),
                                                         DEFAULT_PARAMETERS.alpha)[0]


def test_surges_match_the_independent_computation(day_alerts, raw_orders):
    want = expected_alerts.surges(raw_orders, day_number(DAY), DEFAULT_PARAMETERS)
    got = day_alerts[day_alerts["kind"] == "surge"]
    key = ["area_level", "area_code", "category_l1"]
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    assert got[[*key, "observed"]].values.tolist() == want[[*key, "observed"]].values.tolist()
    assert np.allclose(got["expected"].astype(float), want["expected"].astype(float))
    assert got["upper"].astype(float).tolist() == want["upper"].tolist()


def test_only_the_three_reports_within_200_m_and_7_days_make_a_cluster(day_alerts, raw_orders, crafted_dir):
    got = day_alerts[day_alerts["kind"] == "repeat_cluster"]
    assert [frozenset(json.loads(orders)) for orders in got["order_nos"]] == [frozenset(crafted_dir[1].cluster)]
    assert expected_alerts.clusters(raw_orders, day_number(DAY), DEFAULT_PARAMETERS, communities(crafted_dir)) == [
        frozenset(crafted_dir[1].cluster)]
    row = got.iloc[0]
    assert (row["category_l2"], row["observed"], row["area_level"]) == ("停水", 3, "grid")
    assert row["area_code"] == raw_orders.set_index("order_no").loc[crafted_dir[1].cluster[-1], "grid_code"]


def test_three_reports_in_a_busy_spot_are_no_cluster(day_alerts, raw_orders, crafted_dir):
    busy = set(crafted_dir[1].busy)
    clusters = day_alerts[day_alerts["kind"] == "repeat_cluster"]
    assert not any(busy & set(json.loads(orders)) for orders in clusters["order_nos"])
    # The quiet spot's three are one: 0 or 1 request within 500 m before is quiet, 60 (with the category's rate
    # kept up: ten in the week before) is busy at every circle: within 50 m, two others are ordinary at its rate.
    alpha = clusters_module.request_alpha(DEFAULT_PARAMETERS, 1.0, 100)
    assert alpha == DEFAULT_PARAMETERS.cluster_alpha_cap
    usual = clusters_module.usual_others(np.array([0, 1, 60]), DEFAULT_PARAMETERS, 50.0, 10 / 60)
    assert clusters_module.required_requests(usual, DEFAULT_PARAMETERS, alpha, 3).tolist() == [3, 3, 4]
    assert expected_alerts.clusters(raw_orders, day_number(DAY), DEFAULT_PARAMETERS, communities(crafted_dir)) == [
        frozenset(crafted_dir[1].cluster)]


def test_the_chance_rate_tightens_with_the_hotline_volume_per_community():
    parameters = DEFAULT_PARAMETERS
    # The demo city: about 2.7 requests a community a week; the 5 M city: about 65.
    quiet, busy = (clusters_module.request_alpha(parameters, per * 1500, 1500) for per in (2.7, 65.0))
    assert quiet == pytest.approx(parameters.cluster_budget / 2.7) and busy == pytest.approx(
        parameters.cluster_budget / 65)
    # Chance clusters a week per community stay at the budget: requests × alpha.
    assert 65 * busy == pytest.approx(2.7 * quiet) == pytest.approx(parameters.cluster_budget)
    assert clusters_module.request_alpha(replace(parameters, cluster_alpha=1e-3), 65 * 1500, 1500) == 1e-3


def test_the_backlog_jump_matches_the_independent_computation(day_alerts, raw_orders, crafted_dir):
    got = day_alerts[day_alerts["kind"] == "backlog"].sort_values(["area_code", "measure"])
    want = expected_alerts.backlog(raw_orders, day_number(DAY), DEFAULT_PARAMETERS).sort_values(
        ["area_code", "measure"])
    assert got[["area_level", "area_code", "measure", "observed"]].values.tolist() == \
        want[["area_level", "area_code", "measure", "observed"]].values.tolist()
    assert got["upper"].astype(float).tolist() == want["upper"].tolist()
    assert ("community", crafted_dir[1].surging, "open", 14) in [
        tuple(row) for row in got[["area_level", "area_code", "measure", "observed"]].values.tolist()]


def _tables(engine) -> tuple[list, list]:
    with engine.connect() as connection:
        return (connection.execute(select(schema.alerts).order_by(schema.alerts.c.alert_id)).all(),
                connection.execute(select(schema.alert_days).order_by(schema.alert_days.c.alert_id,
                                                                      schema.alert_days.c.day)).all())


def test_computing_a_day_again_changes_nothing_and_days_join_one_alert(crafted_engine, day_alerts):
    before = _tables(crafted_engine)
    compute_alerts(crafted_engine, DAY)
    assert _tables(crafted_engine) == before
    # The day before has no surge: computing it keeps the surge's alert to its one day, and it stays open.
    compute_alerts(crafted_engine, DAY - timedelta(days=1))
    compute_alerts(crafted_engine, DAY)
    alerts, days = _tables(crafted_engine)
    surge = [row for row in alerts if row.kind == "surge"]
    assert all(row.first_day == DAY and row.last_day == DAY and row.status == "open" for row in surge)
    # Two cluster days of the same requests are one alert.
    clusters = [row for row in alerts if row.kind == "repeat_cluster"]
    assert len(clusters) == 1
    assert {row.day for row in days if row.alert_id == clusters[0].alert_id} <= {DAY, DAY - timedelta(days=1)}


def test_reads_keep_to_the_viewers_area(crafted_engine, day_alerts, crafted_dir):
    crafted = crafted_dir[1]
    every = read_open_alerts(crafted_engine)
    assert len(every) == read_open_alert_count(crafted_engine) >= 3
    street = AreaScope.of(crafted.surging[:9], granted=crafted.surging[:9])
    inside = read_open_alerts(crafted_engine, street)
    assert len(inside) >= 2 and inside["area_code"].str.startswith(crafted.surging[:9]).all()
    assert read_open_alert_count(crafted_engine, street) == len(inside)
    outside = every[~every["area_code"].str.startswith(crafted.surging[:9])]
    assert len(outside) >= 1
    assert read_alert(crafted_engine, int(outside["alert_id"].iloc[0]), street) is None
    assert read_alert_series(crafted_engine, int(outside["alert_id"].iloc[0]), street).empty
    with pytest.raises(OutsideArea):
        AreaScope.of(crafted.quiet, granted=crafted.surging[:9])
    assert list(read_open_alerts(crafted_engine, kinds=("backlog",))["kind"].unique()) == ["backlog"]


def test_the_series_behind_a_surge_shows_the_usual_days_and_the_flagged_one(crafted_engine, day_alerts, raw_orders):
    surge = day_alerts[day_alerts["kind"] == "surge"].iloc[0]
    series = read_alert_series(crafted_engine, int(surge["alert_id"]))
    assert series["day"].iloc[-1] == DAY and bool(series["flagged"].iloc[-1])
    assert not series["flagged"].iloc[:-1].any()
    orders = raw_orders[raw_orders["grid_code"].str.startswith(surge["area_code"])
                        & (raw_orders["category_l1"] == surge["category_l1"])]
    counted = expected_alerts.local_day(orders["received_at"]).value_counts()
    assert series["observed"].tolist() == [int(counted.get(day_number(day), 0)) for day in series["day"]]
    assert series["observed"].iloc[-1] == surge["observed"]
    assert series["upper"].iloc[-1] == surge["upper"] and np.isclose(series["expected"].iloc[-1], surge["expected"])
    assert (series["observed"].iloc[:-1] <= series["upper"].iloc[:-1]).all()
    backlog = day_alerts[day_alerts["kind"] == "backlog"].iloc[0]
    stock = read_alert_series(crafted_engine, int(backlog["alert_id"]))
    assert stock["observed"].iloc[-1] == backlog["observed"] and stock["observed"].iloc[-2] == 0


def test_a_day_that_cannot_be_computed_is_refused(crafted_engine):
    with pytest.raises(AlertDayError, match="after the data's last day"):
        compute_alerts(crafted_engine, DAY + timedelta(days=1))
    with pytest.raises(AlertDayError, match="too little history"):
        compute_alerts(crafted_engine, DAY - timedelta(days=40))


def test_the_alerts_command(crafted_dir, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    engine = create_db_engine(url)
    load_directory(crafted_dir[0], engine)
    engine.dispose()
    assert main(["alerts", "--db", url, "--as-of", DAY.isoformat(), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {"kind", "area_code", "area_level", "category_l1", "first_day", "last_day", "observed", "expected",
            "upper"} <= set(records[0])
    assert {record["kind"] for record in records} == {"surge", "repeat_cluster", "backlog"}
    cluster = next(record for record in records if record["kind"] == "repeat_cluster")
    assert sorted(cluster["order_nos"]) == sorted(crafted_dir[1].cluster) and cluster["first_day"] == DAY.isoformat()
    assert all(record["category_l1"] is None for record in records if record["kind"] == "backlog")
    assert main(["alerts", "--db", url]) == 0
    assert "surge" in capsys.readouterr().out
    for bad in ("2026-02-30", "yesterday"):
        with pytest.raises(SystemExit) as exit_:
            main(["alerts", "--db", url, "--as-of", bad])
        assert exit_.value.code == 2 and "not a date" in capsys.readouterr().err
    assert main(["alerts", "--db", url, "--as-of", "2030-01-01"]) == 2
    assert capsys.readouterr().err.startswith("error: 2030-01-01 is after the data's last day")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert main(["migrate", "--db", empty]) == 0
    capsys.readouterr()
    assert main(["alerts", "--db", empty]) == 2
    assert "no work orders" in capsys.readouterr().err


def test_read_alerts_of_a_day_gives_that_days_figures(crafted_engine, day_alerts):
    again = read_alerts(crafted_engine, day=DAY)
    assert sorted(again["alert_id"]) == sorted(day_alerts["alert_id"])


def test_the_list_names_each_alerts_area_and_its_parent_from_the_area_files(crafted_engine, day_alerts, crafted_dir):
    listed = read_alert_list(crafted_engine)
    opened = read_open_alerts(crafted_engine)
    assert list(listed["alert_id"]) == list(opened["alert_id"]) and len(listed) >= 3
    assert listed[ALERT_COLUMNS].drop(columns="order_nos").equals(opened[ALERT_COLUMNS].drop(columns="order_nos"))
    files = pd.concat([expected.areas(crafted_dir[0], level) for level in ("district", "street", "community", "grid")])
    names = files.set_index("code")
    for alert in listed.itertuples():
        parent = names.loc[alert.area_code, "parent_code"]
        assert (alert.area_name_zh, alert.area_name_en) == tuple(names.loc[alert.area_code, ["name_zh", "name_en"]])
        assert (alert.parent_name_zh, alert.parent_name_en) == tuple(names.loc[parent, ["name_zh", "name_en"]])
        inner = names.loc[alert.area_code, "geometry"]
        assert inner.buffer(1e-9).contains(shapely.Point(alert.area_lon, alert.area_lat))
    street = AreaScope.of(crafted_dir[1].surging[:9])
    assert set(read_alert_list(crafted_engine, street)["alert_id"]) == set(read_open_alerts(crafted_engine, street)[
        "alert_id"])
    assert list(read_alert_list(crafted_engine, kinds=("surge",))["kind"].unique()) == ["surge"]
    assert len(read_alert_list(crafted_engine, limit=1)) == 1
    chosen = tuple(int(alert_id) for alert_id in listed["alert_id"].iloc[:2])
    assert sorted(read_alert_list(crafted_engine, status=None, alert_ids=chosen)["alert_id"]) == sorted(chosen)
    assert read_alert_list(crafted_engine, AreaScope.of(crafted_dir[1].steady)).empty
    # A cluster's order numbers are a list of requests: not for a scope that may read aggregates only.
    assert listed["order_nos"].isna().all()
    clusters = read_alert_list(crafted_engine, AreaScope.of(None, personal=CITIZEN_TEXT), kinds=("repeat_cluster",))
    assert [sorted(json.loads(orders)) for orders in clusters["order_nos"]] == [sorted(crafted_dir[1].cluster)]


def test_the_flagged_areas_are_the_areas_of_surges_and_backlog_jumps_with_their_shapes(crafted_engine, day_alerts,
                                                                                    crafted_dir):
    shapes = read_alert_areas(crafted_engine, kinds=AREA_ALERT_KINDS)
    opened = read_open_alerts(crafted_engine, kinds=AREA_ALERT_KINDS)
    assert list(shapes["code"]) == sorted(set(opened["area_code"])) and len(shapes) >= 1
    files = pd.concat([expected.areas(crafted_dir[0], level) for level in ("street", "community", "grid")])
    for area in shapes.itertuples():
        raw = files.set_index("code").loc[area.code, "geometry"]
        assert area.geometry.symmetric_difference(raw).area < raw.area * 1e-6
    cluster_grid = read_open_alerts(crafted_engine, kinds=("repeat_cluster",))["area_code"].iloc[0]
    assert cluster_grid not in set(shapes["code"])
    assert read_alert_areas(crafted_engine, AreaScope.of(crafted_dir[1].steady)).empty


def test_the_walls_alerts_view_and_count(crafted_engine, day_alerts, crafted_dir):
    from data_access.wall import AlertsView, read_wall_snapshot, read_wall_view

    now = day_start(day_number(DAY) + 1) - 1
    # As a wall sees them: requests' words masked, no names (its ticker).
    for area in (None, crafted_dir[1].surging[:9], crafted_dir[1].steady):
        scope = AreaScope.of(area, personal=CITIZEN_TEXT)
        view = read_wall_view(crafted_engine, "alerts", scope, now, DAY)
        assert isinstance(view, AlertsView)
        assert list(view.alerts["alert_id"]) == list(read_alert_list(crafted_engine, scope)["alert_id"])
        assert list(view.areas["code"]) == list(read_alert_areas(crafted_engine, scope, AREA_ALERT_KINDS)["code"])
        snapshot = read_wall_snapshot(crafted_engine, scope, now, DAY, 7)
        assert snapshot.open_alerts == read_open_alert_count(crafted_engine, scope) == len(view.alerts)


def test_the_live_feeds_memo_finds_the_same_clusters_examining_only_new_requests(raw_orders, crafted_dir,
                                                                                  monkeypatch):
    parameters = DEFAULT_PARAMETERS
    day = day_number(DAY)
    raw_orders = raw_orders.astype({"lon": float, "lat": float, "received_at": "int64"})
    moments = raw_orders["received_at"]
    window = raw_orders[(moments >= clusters_module.window_start(day, parameters))
                        & (moments < expected_alerts.day_start(day + 1))][clusters_module.ORDER_COLUMNS]
    start, end = clusters_module.baseline_span(day, parameters)
    baseline = raw_orders[(moments >= start) & (moments < end)][clusters_module.BASELINE_COLUMNS]
    size = communities(crafted_dir)
    cold = clusters_module.find_clusters(day, window, baseline, parameters, size)
    examined = []
    real = clusters_module.neighbour_pairs

    def counting(points, pool, radius_m, *rest):
        if radius_m == parameters.cluster_radius_m:
            examined.append(len(points))
        return real(points, pool, radius_m, *rest)

    monkeypatch.setattr(clusters_module, "neighbour_pairs", counting)
    today = window[window["received_at"] >= expected_alerts.day_start(day)].sort_values("received_at")
    # A first batch with the day's earlier half, then the rest: only the rest is examined again.
    later = today["order_no"].iloc[len(today) // 2:]
    memo = clusters_module.ClusterMemo()
    clusters_module.find_clusters(day, window[~window["order_no"].isin(later)], baseline, parameters, size, memo)
    warm = clusters_module.find_clusters(day, window, baseline, parameters, size, memo)
    assert examined == [len(today) - len(later), len(later)]
    pd.testing.assert_frame_equal(warm, cold)
    # A request older than the newest one seen (a late report): every request is examined again.
    last = today["order_no"].iloc[-1]
    memo = clusters_module.ClusterMemo()
    clusters_module.find_clusters(day, window[window["order_no"] != today["order_no"].iloc[-2]], baseline,
                                  parameters, size, memo)
    examined.clear()
    pd.testing.assert_frame_equal(clusters_module.find_clusters(day, window, baseline, parameters, size, memo), cold)
    assert examined == [len(today)] and last in memo.entries


def test_three_reports_at_one_place_on_a_busy_street_are_a_cluster_though_its_200_m_circle_is_busy():
    """The circles: thirty requests of the category 150-190 m around a spot over the baseline weeks (and four a
    week lately) make three within 200 m ordinary there, but three within 40 m of each other are not."""
    parameters = DEFAULT_PARAMETERS
    day = day_number(DAY)
    start = expected_alerts.day_start(day)
    lon, lat = 114.3, 30.6
    metre = 1 / (111_320 * np.cos(np.radians(lat)))
    rows = []

    def add(number, east_m, north_m, moment):
        rows.append({"order_no": number, "category_l1": "utilities", "category_l2": "停水",
                     "lon": lon + east_m * metre, "lat": lat + north_m / 111_320, "received_at": int(moment),
                     "grid_code": "g1"})

    angles = np.linspace(0, 2 * np.pi, 30, endpoint=False)
    for index, angle in enumerate(angles):
        radius = 150 + 40 * (index % 2)
        add(f"B{index:02d}", radius * np.cos(angle), radius * np.sin(angle), start - (8 + index) * 86_400)
    for index in range(4):
        add(f"R{index}", 1500 + 400 * index, 0, start - (1 + index) * 86_400)
    add("C1", 0, 0, start - 3 * 86_400)
    add("C2", 20, 10, start - 86_400 + 3600)
    add("C3", -15, 20, start + 3600)
    orders = pd.DataFrame(rows)
    moments = orders["received_at"]
    window = orders[moments >= clusters_module.window_start(day, parameters)].reset_index(drop=True)
    first, end = clusters_module.baseline_span(day, parameters)
    baseline = orders[(moments >= first) & (moments < end)][clusters_module.BASELINE_COLUMNS]
    found = clusters_module.find_clusters(day, window, baseline, parameters, 1500)
    assert [sorted(json.loads(numbers)) for numbers in found["order_nos"]] == [["C1", "C2", "C3"]]
    assert expected_alerts.clusters(orders, day, parameters, 1500) == [frozenset({"C1", "C2", "C3"})]
    # Found in the 50 m circle (the three lie within 40 m of each other), and its evidence says so.
    assert found["measure"].tolist() == ["within_50m"]
    assert clusters_module.measure_radius("within_50m", parameters) == 50.0
    assert clusters_module.measure_radius("requests", parameters) == parameters.cluster_radius_m
    from components.alerts import evidence_text

    assert "within 50 m" in evidence_text(found.iloc[0], "en") and "50 米" in evidence_text(found.iloc[0], "zh")
    # In the 200 m circle alone the three are what the spot usually sees.
    wide = replace(parameters, cluster_scan_radii_m=())
    assert clusters_module.find_clusters(day, window, baseline, wide, 1500).empty
    assert expected_alerts.clusters(orders, day, wide, 1500) == []


def _assert_same_inputs(rolled, fresh):
    assert rolled.day == fresh.day
    for level in rolled.surge_baseline.levels:
        pd.testing.assert_frame_equal(rolled.surge_baseline.levels[level], fresh.surge_baseline.levels[level])
        pd.testing.assert_frame_equal(rolled.baseline_sums.series[level], fresh.baseline_sums.series[level])
        pd.testing.assert_frame_equal(rolled.baseline_sums.peaks[level], fresh.baseline_sums.peaks[level])
    assert rolled.surge_baseline.inverse_size == fresh.surge_baseline.inverse_size
    assert np.array_equal(rolled.surge_baseline.weights, fresh.surge_baseline.weights)
    assert np.array_equal(rolled.baseline_sums.totals, fresh.baseline_sums.totals)
    pd.testing.assert_frame_equal(rolled.earlier_orders, fresh.earlier_orders)
    # The spots' baseline is only counted: the same rows, in any order among orders received at one moment.
    every = list(rolled.cluster_baseline.columns)
    pd.testing.assert_frame_equal(rolled.cluster_baseline.sort_values(every, ignore_index=True),
                                  fresh.cluster_baseline.sort_values(every, ignore_index=True))
    assert rolled.stock_history.keys() == fresh.stock_history.keys()
    for measure, frame in rolled.stock_history.items():
        pd.testing.assert_frame_equal(frame, fresh.stock_history[measure])


def test_the_live_feed_rolls_its_inputs_on_to_the_next_day_as_they_would_be_read(crafted_engine, crafted_dir,
                                                                                   monkeypatch):
    # Runs last: it stores the alerts of the days before DAY again.
    engine, parameters = crafted_engine, DEFAULT_PARAMETERS
    forget_inputs(engine)
    first = day_number(DAY) - 4
    compute_alerts(engine, day_number_to_date(first), parameters, cached=True)
    real = compute_module.read_day_inputs
    read = []
    monkeypatch.setattr(compute_module, "read_day_inputs",
                        lambda engine, day, parameters: read.append(day) or real(engine, day, parameters))
    for day in range(first + 1, day_number(DAY) + 1):
        compute_alerts(engine, day_number_to_date(day), parameters, cached=True)
        rolled = compute_module._INPUTS[engine][1]
        fresh = real(engine, day, parameters)
        _assert_same_inputs(rolled, fresh)
        end = expected_alerts.day_start(day + 1)
        pd.testing.assert_frame_equal(compute_module.find_day(engine, rolled, end, parameters),
                                      compute_module.find_day(engine, fresh, end, parameters))
    assert read == []
    # DAY's surge, cluster and backlog jump are found from the rolled inputs.
    assert {"surge", "repeat_cluster", "backlog"} <= set(read_alerts(engine, day=DAY)["kind"])
    # A live batch that adds a late report (an order of an earlier day) drops them; one with the day's own
    # orders and steps on orders already stored does not.
    stored = expected.csv(crafted_dir[0], "work_orders.csv").head(1)

    def batch(number, moment):
        row = stored.assign(order_no=number, received_at=f"{moment:%Y-%m-%d %H:%M:%S}",
                            resolved_at=f"{moment + pd.Timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
                            due_at=f"{moment + pd.Timedelta(days=3):%Y-%m-%d %H:%M:%S}")
        return {"work_orders.csv": pd.concat([stored, row], ignore_index=True)}

    load_frames(batch("LIVE1", pd.Timestamp(DAY) + pd.Timedelta(hours=23)), engine, update_alerts=False)
    assert compute_module.cached_inputs_start(engine) == expected_alerts.day_start(day_number(DAY))
    load_frames(batch("LATE1", pd.Timestamp(DAY) - pd.Timedelta(hours=1)), engine, update_alerts=False)
    assert compute_module.cached_inputs_start(engine) is None
    # A process that did not compute the day before reads the inputs afresh, and so after a load.
    compute_module.forget_inputs(engine)
    compute_alerts(engine, DAY, parameters, cached=True)
    assert read == [day_number(DAY)]
    load_directory(crafted_dir[0], engine)
    compute_alerts(engine, DAY, parameters, cached=True)
    assert read == [day_number(DAY)] * 2
