"""Early warning on both backends, on crafted orders in the test city's areas where it is known what must fire
(a surge, a repeat cluster, a backlog jump) and what must not (an area at its usual level, a grid going from 0
to 1, requests too far apart or too long apart), checked against tests/expected_alerts.py."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from data_access import schema
from data_access.__main__ import main
from data_access.alerts import (
    DEFAULT_PARAMETERS,
    AlertDayError,
    compute_alerts,
    read_alert,
    read_alert_series,
    read_alerts,
    read_open_alert_count,
    read_open_alerts,
)
from data_access.alerts import clusters as clusters_module
from data_access.alerts.compute import day_number
from data_access.alerts.model import upper_limit
from data_access.db import create_db_engine
from data_access.ingest import load_directory
from data_access.scope import AreaScope, OutsideArea
from tests import expected, expected_alerts
from tests.conftest import BACKENDS, TEST_AS_OF, drop_engine, make_empty_engine

DAY = TEST_AS_OF
AREA_FILES = ("city.json", "districts.geojson", "streets.geojson", "communities.geojson", "grids.geojson")


def _points(rng: np.random.Generator, polygon, count: int) -> list[tuple[float, float]]:
    """Random points inside a polygon."""
    min_x, min_y, max_x, max_y = polygon.bounds
    points = []
    while len(points) < count:
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if shapely.contains_xy(polygon, x, y):
            points.append((round(x, 6), round(y, 6)))
    return points


def _moved(point: tuple[float, float], east_m: float) -> tuple[float, float]:
    return round(point[0] + east_m / (111_320 * np.cos(np.radians(point[1]))), 6), point[1]


class Crafted:
    """The crafted orders and the areas they were put in."""

    def __init__(self, city_dir):
        grids = expected.areas(city_dir, "grid").sort_values("code").reset_index(drop=True)
        grids["community"] = grids["code"].str[:12]
        grids["street"] = grids["code"].str[:9]
        streets = list(dict.fromkeys(grids["street"]))
        first_of = {street: grids.loc[grids["street"] == street, "community"].iloc[0] for street in streets}
        self.surging, self.steady, self.quiet = (first_of[streets[0]], first_of[streets[1]], first_of[streets[2]])
        self.quiet_grid = grids.loc[grids["community"] == self.quiet, "code"].iloc[0]
        self.grids = grids
        self.rows: list[dict] = []
        rng = np.random.default_rng(11)
        for back in range(63, 0, -1):
            day = DAY - timedelta(days=back)
            self.add(rng, self.surging, "environment", ["油烟污染", "扬尘污染", "异味扰民", "露天焚烧"], day, 2)
            self.add(rng, self.steady, "transport", ["公交线路", "停车管理", "交通设施", "出租车网约车"], day, 5)
        # A past surge in one community must not hide a smaller one in another, of the same category: the
        # category's spread is measured on ordinary days. Six communities get a social-security request every
        # third day; one of them had 12 a day for three days three weeks ago; another gets 8 on the day.
        quiet_ones = [first_of[street] for street in streets[3:9]]
        self.past, self.masked = quiet_ones[0], quiet_ones[1]
        for back in range(63, 0, -1):
            for index, community in enumerate(quiet_ones):
                if (back + index) % 3 == 0:
                    self.add(rng, community, "social_security", ["养老保险"], DAY - timedelta(days=back), 1)
            if back in (20, 19, 18):
                self.add(rng, self.past, "social_security", ["养老保险", "医保报销", "劳动纠纷", "社会救助"],
                         DAY - timedelta(days=back), 12)
        self.add(rng, self.masked, "social_security", ["医保报销", "劳动纠纷", "社会救助", "养老服务"], DAY, 8)
        self.add(rng, self.surging, "environment", ["油烟污染", "扬尘污染", "异味扰民", "露天焚烧"], DAY, 14,
                 open_=True)
        self.add(rng, self.steady, "transport", ["公交线路", "停车管理", "交通设施", "出租车网约车"], DAY, 6)
        quiet_polygon = grids.loc[grids["code"] == self.quiet_grid, "geometry"].iloc[0]
        self.order(_points(rng, quiet_polygon, 1)[0], "education", "入学咨询", DAY, 10, open_=True)
        spot, near, far = _points(rng, quiet_polygon.buffer(-0.004) if quiet_polygon.buffer(-0.004).area else
                                  quiet_polygon, 3)
        # Three reports of one problem within 7 days: a cluster on the day of the third.
        self.cluster = [self.order(_moved(spot, offset), "utilities", "停水", DAY - timedelta(days=back), 9)
                        for offset, back in ((0, 4), (30, 2), (-40, 0))]
        # One of three too far away, and one of three too long before: no cluster.
        for offset, back in ((0, 3), (40, 1), (350, 0)):
            self.order(_moved(near, offset), "utilities", "停电", DAY - timedelta(days=back), 11)
        for offset, back in ((0, 8), (20, 3), (-20, 0)):
            self.order(_moved(far, offset), "utilities", "燃气", DAY - timedelta(days=back), 12)
        # A busy spot: eight requests of its category 300-450 m away in the weeks before the window make three
        # within 200 m in a week ordinary there (the others expected before a request: 8 × (200/500)² × 7/56).
        busy_polygon = grids.loc[grids["community"] == first_of[streets[9]], "geometry"].iloc[0]
        self.busy_spot = _points(rng, busy_polygon, 1)[0]
        for index in range(8):
            self.order(_moved(self.busy_spot, 300 + 20 * index), "utilities", "供暖",
                       DAY - timedelta(days=20 + 3 * index), 10)
        self.busy = [self.order(_moved(self.busy_spot, offset), "utilities", "供暖", DAY - timedelta(days=back), 15)
                     for offset, back in ((0, 3), (25, 1), (-30, 0))]

    def add(self, rng, community: str, l1: str, l2s: list[str], day, count: int, open_: bool = False) -> None:
        polygons = self.grids.loc[self.grids["community"] == community, "geometry"].tolist()
        for index in range(count):
            polygon = polygons[rng.integers(len(polygons))]
            self.order(_points(rng, polygon, 1)[0], l1, l2s[index % len(l2s)], day, 8 + index % 12, open_)

    def order(self, point, l1: str, l2: str, day, hour: int, open_: bool = False) -> str:
        number = f"T{len(self.rows):06d}"
        received = pd.Timestamp(day) + pd.Timedelta(hours=hour, minutes=len(self.rows) % 60)
        self.rows.append({
            "order_no": number, "channel": "hotline_12345", "appeal_type": "complaint", "category_l1": l1,
            "category_l2": l2, "title": "测试", "lon": point[0], "lat": point[1],
            "status": "received" if open_ else "resolved", "received_at": f"{received:%Y-%m-%d %H:%M:%S}",
            "resolved_at": "" if open_ else f"{received + pd.Timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
            "due_at": f"{received + pd.Timedelta(days=3):%Y-%m-%d %H:%M:%S}", "whistle": "false"})
        return number

    def write(self, directory) -> None:
        pd.DataFrame(self.rows).to_csv(directory / "work_orders.csv", index=False)


@pytest.fixture(scope="module")
def crafted_dir(city_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("crafted")
    for name in AREA_FILES:
        shutil.copy(city_dir / name, directory / name)
    crafted = Crafted(city_dir)
    crafted.write(directory)
    return directory, crafted


@pytest.fixture(scope="module", params=BACKENDS)
def crafted_engine(request, crafted_dir, tmp_path_factory):
    engine = make_empty_engine(request.param, tmp_path_factory.mktemp("alerts-db"))
    load_directory(crafted_dir[0], engine)
    yield engine
    drop_engine(engine)


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
    assert expected_alerts.clusters(raw_orders, day_number(DAY), DEFAULT_PARAMETERS) == [
        frozenset(crafted_dir[1].cluster)]
    row = got.iloc[0]
    assert (row["category_l2"], row["observed"], row["area_level"]) == ("停水", 3, "grid")
    assert row["area_code"] == raw_orders.set_index("order_no").loc[crafted_dir[1].cluster[-1], "grid_code"]


def test_three_reports_in_a_busy_spot_are_no_cluster(day_alerts, raw_orders, crafted_dir):
    busy = set(crafted_dir[1].busy)
    clusters = day_alerts[day_alerts["kind"] == "repeat_cluster"]
    assert not any(busy & set(json.loads(orders)) for orders in clusters["order_nos"])
    # The quiet spot's three are one: 0 or 1 request within 500 m before is quiet, 8 is busy.
    usual = clusters_module.usual_others(np.array([0, 1, 8]), DEFAULT_PARAMETERS)
    assert clusters_module.required_requests(usual, DEFAULT_PARAMETERS).tolist() == [3, 3, 4]


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


def test_the_live_feeds_memo_finds_the_same_clusters_examining_only_new_requests(raw_orders, monkeypatch):
    parameters = DEFAULT_PARAMETERS
    day = day_number(DAY)
    raw_orders = raw_orders.astype({"lon": float, "lat": float, "received_at": "int64"})
    moments = raw_orders["received_at"]
    window = raw_orders[(moments >= clusters_module.window_start(day, parameters))
                        & (moments < expected_alerts.day_start(day + 1))][clusters_module.ORDER_COLUMNS]
    start, end = clusters_module.baseline_span(day, parameters)
    baseline = raw_orders[(moments >= start) & (moments < end)][clusters_module.BASELINE_COLUMNS]
    cold = clusters_module.find_clusters(day, window, baseline, parameters)
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
    clusters_module.find_clusters(day, window[~window["order_no"].isin(later)], baseline, parameters, memo)
    warm = clusters_module.find_clusters(day, window, baseline, parameters, memo)
    assert examined == [len(today) - len(later), len(later)]
    pd.testing.assert_frame_equal(warm, cold)
    # A request older than the newest one seen (a late report): every request is examined again.
    last = today["order_no"].iloc[-1]
    memo = clusters_module.ClusterMemo()
    clusters_module.find_clusters(day, window[window["order_no"] != today["order_no"].iloc[-2]], baseline,
                                  parameters, memo)
    examined.clear()
    pd.testing.assert_frame_equal(clusters_module.find_clusters(day, window, baseline, parameters, memo), cold)
    assert examined == [len(today)] and last in memo.entries
