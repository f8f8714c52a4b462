"""A small city whose alerts are known: the test city's areas with crafted work orders where a surge, a repeat
cluster and a backlog jump must fire on DAY and an area at its usual level, a grid going from 0 to 1 and requests
too far or too long apart must not (tests/data_access/test_alerts.py checks the rules on it; the alerts page and
the wall show it)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from tests import expected
from tests.conftest import TEST_AS_OF

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
        # A busy spot: sixty requests of its category 300-450 m away over the baseline weeks, with the city's rate
        # of it kept up in the week before (eight more, each in another community, and two of the three), make
        # three reports within 60 m in a week ordinary there: the others expected within 50 m of the third are
        # 60 × (50/500)² × 10/60 = 0.1, and chance gives two of them more often than the rule allows (so at 100
        # and 200 m).
        busy_polygon = grids.loc[grids["community"] == first_of[streets[9]], "geometry"].iloc[0]
        self.busy_spot = _points(rng, busy_polygon, 1)[0]
        for index in range(60):
            self.order(_moved(self.busy_spot, 300 + 2.5 * index), "utilities", "供暖",
                       DAY - timedelta(days=8 + index % 56), 7 + index % 14)
        used = {self.surging, self.steady, self.quiet, *quiet_ones, first_of[streets[9]]}
        others = [community for community in dict.fromkeys(grids["community"]) if community not in used]
        for index, community in enumerate(others[::max(len(others) // 8, 1)][:8]):
            polygon = grids.loc[grids["community"] == community, "geometry"].iloc[0]
            self.order(_points(rng, polygon, 1)[0], "utilities", "供暖", DAY - timedelta(days=1 + index % 6), 16)
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


def write_crafted_city(city_dir: Path, directory: Path) -> Crafted:
    """The test city's areas and the crafted orders, as input files in `directory`."""
    for name in AREA_FILES:
        shutil.copy(city_dir / name, directory / name)
    crafted = Crafted(city_dir)
    crafted.write(directory)
    return crafted
