"""Repeat clusters: a request that is at least the third of its second-level category within 200 m and 7 days,
and more than that spot usually gets (docs/alerts.md); the day's such requests and the earlier ones they
repeat, joined into one cluster each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data_access.alerts.model import AlertParameters, upper_limit
from data_access.alerts.surges import FINDING_COLUMNS, day_start
from data_access.city_time import DAY_SECONDS
from data_access.geo import haversine_m, metric_cells
from data_access.schema import work_orders
from data_access.sql import read_frame

ORDER_COLUMNS = ["order_no", "category_l1", "category_l2", "lon", "lat", "received_at", "grid_code"]
BASELINE_COLUMNS = ["category_l2", "lon", "lat"]
# Buckets a little wider than the radius, so a neighbour within it is always in the same or an adjacent one.
BUCKET_MARGIN = 1.1
# A spot's usual count is learnt from a wider circle than the cluster's (a count within 200 m over 8 weeks is a
# handful of requests, too few to tell a busy spot from a quiet one) and scaled to the cluster's circle; a spot
# with none there is taken to have had half of one (a count of 0 over 8 weeks says "rare", not "never").
MIN_BASELINE_REQUESTS = 0.5
# A category the city has had few of lately is still expected at this share of its baseline rate at a spot.
MIN_TREND_SHARE = 0.5


def read_orders(engine: Engine, start: int, end: int, columns: list[str] = ORDER_COLUMNS) -> pd.DataFrame:
    """Orders received in [start, end) (epoch seconds), with the given columns."""
    table = work_orders
    statement = select(*(table.c[name] for name in columns)).where(
        table.c.received_at >= start, table.c.received_at < end)
    frame = read_frame(engine, statement)
    if frame.empty:
        frame = pd.DataFrame({name: pd.Series(dtype=float if name in ("lon", "lat") else
                                              "int64" if name == "received_at" else object) for name in columns})
    return frame


def window_start(day: int, parameters: AlertParameters) -> int:
    """The earliest moment an order can count in a cluster completed on `day`."""
    return day_start(day) - parameters.cluster_days * DAY_SECONDS


def baseline_span(day: int, parameters: AlertParameters) -> tuple[int, int]:
    """[start, end) of the weeks a spot's usual count is learnt from: those before the cluster window."""
    end = window_start(day, parameters)
    return end - parameters.baseline_weeks * 7 * DAY_SECONDS, end


def _cell_keys(codes: np.ndarray, lon: np.ndarray, lat: np.ndarray, size: float, reference_lat: float,
               dx: int = 0, dy: int = 0) -> np.ndarray:
    """One int64 per point: its category code and its bucket (shifted by dx, dy buckets)."""
    x, y = metric_cells(lon, lat, size, reference_lat)
    return (codes.astype(np.int64) << 42) | ((x + dx + (1 << 20)) << 21) | (y + dy + (1 << 20))


def neighbour_pairs(points: pd.DataFrame, pool: pd.DataFrame, radius_m: float, reference_lat: float,
                    within_seconds: int | None = None) -> pd.DataFrame:
    """Pairs (point row, pool row) of the same second-level category within radius_m, by buckets of about that
    size: only the 3 × 3 buckets around each point are compared (sorted bucket keys, no join). With
    within_seconds, only pool orders received up to that long before the point, never after it, and never the
    point itself (by order_no).

    Returns columns point (position in `points`), neighbour (position in `pool`), distance_m.
    """
    empty = pd.DataFrame({"point": pd.Series(dtype="int64"), "neighbour": pd.Series(dtype="int64"),
                          "distance_m": pd.Series(dtype=float)})
    if points.empty or pool.empty:
        return empty
    size = radius_m * BUCKET_MARGIN
    codes, _ = pd.factorize(np.concatenate([points["category_l2"].to_numpy(dtype=object),
                                            pool["category_l2"].to_numpy(dtype=object)]))
    point_codes, pool_codes = codes[:len(points)], codes[len(points):]
    point_lon, point_lat = points["lon"].to_numpy(dtype=float), points["lat"].to_numpy(dtype=float)
    pool_lon, pool_lat = pool["lon"].to_numpy(dtype=float), pool["lat"].to_numpy(dtype=float)
    pool_keys = _cell_keys(pool_codes, pool_lon, pool_lat, size, reference_lat)
    order = np.argsort(pool_keys, kind="stable")
    sorted_keys = pool_keys[order]
    point_parts, neighbour_parts = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            keys = _cell_keys(point_codes, point_lon, point_lat, size, reference_lat, dx, dy)
            low = np.searchsorted(sorted_keys, keys, side="left")
            high = np.searchsorted(sorted_keys, keys, side="right")
            counts = high - low
            if not counts.any():
                continue
            point = np.repeat(np.arange(len(points)), counts)
            # Each point's run of matching pool rows: its low bound plus 0, 1, … within the run.
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            point_parts.append(point)
            neighbour_parts.append(order[np.repeat(low, counts) + offsets])
    if not point_parts:
        return empty
    point, neighbour = np.concatenate(point_parts), np.concatenate(neighbour_parts)
    distance = haversine_m(point_lon[point], point_lat[point], pool_lon[neighbour], pool_lat[neighbour])
    keep = distance <= radius_m
    if within_seconds is not None:
        moment = points["received_at"].to_numpy(dtype="int64")[point]
        other = pool["received_at"].to_numpy(dtype="int64")[neighbour]
        keep &= (other <= moment) & (other > moment - within_seconds)
        keep &= points["order_no"].to_numpy()[point] != pool["order_no"].to_numpy()[neighbour]
    return pd.DataFrame({"point": point[keep], "neighbour": neighbour[keep], "distance_m": distance[keep]})


def usual_others(baseline_counts: np.ndarray, parameters: AlertParameters, radius_m: float | None = None,
                 trend: np.ndarray | float | None = None) -> np.ndarray:
    """How many other requests of the category a spot usually gets within `radius_m` (default: the cluster
    radius) in a cluster window: its baseline count within cluster_baseline_radius_m (at least
    MIN_BASELINE_REQUESTS) scaled by the two circles' areas and from the baseline weeks to the window — by
    `trend`, the city's requests of the category in the window's days before today over those in the baseline
    weeks (rain categories in the rainy season, say), or by the days' ratio when not given."""
    radius = parameters.cluster_radius_m if radius_m is None else radius_m
    area = (radius / parameters.cluster_baseline_radius_m) ** 2
    time = parameters.cluster_days / (parameters.baseline_weeks * 7) if trend is None else trend
    return np.maximum(baseline_counts, MIN_BASELINE_REQUESTS) * area * time


def category_trend(categories: np.ndarray, earlier: pd.DataFrame, baseline: pd.DataFrame,
                   parameters: AlertParameters) -> np.ndarray:
    """Per category in `categories`: the city's requests of it in the cluster window's days before today
    (`earlier`) over those in the baseline weeks, never below the days' ratio times MIN_TREND_SHARE (a category
    gone quiet city-wide) and the days' ratio where the baseline has none."""
    days = parameters.cluster_days / (parameters.baseline_weeks * 7)
    recent = earlier["category_l2"].value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    before = baseline["category_l2"].value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    trend = np.divide(recent, before, out=np.full(len(categories), days), where=before > 0)
    return np.maximum(trend, days * MIN_TREND_SHARE)


def scan_radii(parameters: AlertParameters) -> tuple[float, ...]:
    """The circles a request's others are counted in, smallest first, the cluster radius last."""
    return tuple(sorted({*(r for r in parameters.cluster_scan_radii_m if r < parameters.cluster_radius_m),
                         parameters.cluster_radius_m}))


def request_alpha(parameters: AlertParameters, requests_per_week: float, communities: int) -> float:
    """How rarely chance may make a cluster of a request: cluster_alpha when set, else the budget of chance
    clusters per community a week spread over the requests a community gets in a week (at most the cap)."""
    if parameters.cluster_alpha is not None:
        return parameters.cluster_alpha
    per_community = requests_per_week / max(communities, 1)
    return min(parameters.cluster_alpha_cap, parameters.cluster_budget / max(per_community, 1e-9))


def required_requests(expected: np.ndarray, parameters: AlertParameters, alpha: float,
                      circles: int = 1) -> np.ndarray:
    """How many requests in the window (a request and the others before it) make a cluster at a spot that
    usually gets `expected` others in one circle: at least cluster_requests, and more others than the spot would
    see by chance as often as `alpha` shared among the `circles` looked at (a request arriving, how many others
    came before it: Poisson)."""
    limit = upper_limit(expected, 0.0, alpha / circles)
    return np.maximum(parameters.cluster_requests, limit + 2).astype(np.int64)


def circle_measure(radius_m: float) -> str:
    """A cluster finding's measure: the circle its requests were counted in ("within_50m")."""
    return f"within_{radius_m:.0f}m"


def measure_radius(measure: str | None, parameters: AlertParameters) -> float:
    """The circle a cluster's measure names (the cluster radius for one stored before the circles)."""
    if isinstance(measure, str) and measure.startswith("within_") and measure.endswith("m"):
        try:
            return float(measure[len("within_"):-1])
        except ValueError:
            pass
    return parameters.cluster_radius_m


@dataclass
class ClusterMemo:
    """What find_clusters learnt about a day's requests, for the live feed's next batch: a request's others
    come before it, so its count, its spot's usual count and the others it repeats stay as they were while
    later requests arrive (a request arriving before one already seen starts the memo afresh)."""

    # order_no -> (count in its circle and window, others expected there, requests required, the others' order
    # numbers, the circle's radius); the requirement and the others only for a request with at least
    # cluster_requests.
    entries: dict[str, tuple[int, float, int, tuple[str, ...], float]] = field(default_factory=dict)
    latest: int = -1
    parameters: AlertParameters | None = None

    def learn(self, today: pd.DataFrame, window: pd.DataFrame, baseline: pd.DataFrame, reference_lat: float,
              parameters: AlertParameters, day_begin: int, communities: int) -> None:
        """Add today's requests not seen yet (all of them again after a request older than the last seen)."""
        if parameters != self.parameters:
            self.entries.clear()
            self.latest, self.parameters = -1, parameters
        moments = today["received_at"].to_numpy(dtype="int64")
        new = ~today["order_no"].isin(self.entries.keys()).to_numpy()
        if new.any() and self.entries and moments[new].min() <= self.latest:
            self.entries.clear()
            new[:] = True
        if not new.any():
            return
        fresh = today[new].reset_index(drop=True)
        self.latest = max(self.latest, int(moments[new].max()))
        seconds = parameters.cluster_days * DAY_SECONDS
        pairs = neighbour_pairs(fresh, window, parameters.cluster_radius_m, reference_lat, seconds)
        point, distance = pairs["point"].to_numpy(), pairs["distance_m"].to_numpy()
        counts = 1 + np.bincount(point, minlength=len(fresh))
        candidates = np.flatnonzero(counts >= parameters.cluster_requests)
        # Each request is judged in the circle that tells most (the smallest whose count makes a cluster), else in
        # the cluster radius: counts, expectations, requirements and that circle's radius per request.
        radius = np.full(len(fresh), parameters.cluster_radius_m)
        expected = np.zeros(len(fresh))
        required = np.full(len(fresh), np.iinfo(np.int64).max)
        if candidates.size:
            usual = neighbour_pairs(fresh.iloc[candidates].reset_index(drop=True), baseline,
                                    parameters.cluster_baseline_radius_m, reference_lat)
            baseline_counts = np.bincount(usual["point"].to_numpy(), minlength=candidates.size)
            earlier = window[window["received_at"].to_numpy() < day_begin]
            trend = category_trend(fresh["category_l2"].to_numpy()[candidates], earlier, baseline, parameters)
            radii = scan_radii(parameters)
            alpha = request_alpha(parameters, len(baseline) / parameters.baseline_weeks, communities)
            decided = np.zeros(candidates.size, dtype=bool)
            for circle in radii:
                inside = 1 + np.bincount(point[distance <= circle], minlength=len(fresh))[candidates]
                circle_expected = usual_others(baseline_counts, parameters, circle, trend)
                circle_required = required_requests(circle_expected, parameters, alpha, len(radii))
                take = ~decided & ((inside >= circle_required) | (circle == radii[-1]))
                chosen_rows = candidates[take]
                counts[chosen_rows] = inside[take]
                radius[chosen_rows] = circle
                expected[chosen_rows] = circle_expected[take]
                required[chosen_rows] = circle_required[take]
                decided |= take
            pairs = pairs[distance <= radius[point]]
        others: dict[int, tuple[str, ...]] = {}
        chosen = pairs[np.isin(pairs["point"].to_numpy(), candidates)]
        window_numbers = window["order_no"].to_numpy()
        for point, group in chosen.groupby("point")["neighbour"]:
            others[int(point)] = tuple(window_numbers[group.to_numpy()])
        for index, number in enumerate(fresh["order_no"].to_numpy()):
            self.entries[number] = (int(counts[index]), float(expected[index]), int(required[index]),
                                    others.get(index, ()), float(radius[index]))


def find_clusters(day: int, window: pd.DataFrame, baseline: pd.DataFrame, parameters: AlertParameters,
                  communities: int, memo: ClusterMemo | None = None) -> pd.DataFrame:
    """The day's repeat clusters (FINDING_COLUMNS rows).

    `window`: orders received from window_start(day) to the end of the day (or now); `baseline`: the
    category_l2, lon and lat of orders in baseline_span(day); `communities`: how many the city has (the chance
    clusters' budget is per community); `memo`: what an earlier call learnt about the same day's requests (the
    live feed), else each request is examined.
    """
    window = window.reset_index(drop=True)
    today = window[window["received_at"].to_numpy() >= day_start(day)].reset_index(drop=True)
    if len(today) == 0:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    memo = memo if memo is not None else ClusterMemo()
    memo.learn(today, window, baseline, float(np.median(window["lat"].to_numpy())), parameters, day_start(day),
               communities)
    known = [memo.entries[number] for number in today["order_no"].to_numpy()]
    counts = np.array([entry[0] for entry in known], dtype=np.int64)
    required = np.array([entry[2] for entry in known], dtype=np.int64)
    triggers = np.flatnonzero(counts >= required)
    if triggers.size == 0:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    trigger_expected = {trigger: known[trigger][1] for trigger in triggers}
    trigger_upper = {trigger: known[trigger][2] - 1 for trigger in triggers}
    window_position = pd.Series(np.arange(len(window)), index=window["order_no"].to_numpy())
    edges = pd.DataFrame([(trigger, number) for trigger in triggers for number in known[trigger][3]],
                         columns=["point", "number"])
    pairs = pd.DataFrame({"point": edges["point"].to_numpy(dtype=np.int64),
                          "neighbour": window_position.reindex(edges["number"].to_numpy()).to_numpy()})
    # Union-find over the window's orders: each trigger with the earlier requests it repeats.
    today_in_window = window_position.reindex(today["order_no"].to_numpy()).to_numpy()
    parent = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    edges = pairs[pairs["point"].isin(triggers)]
    for trigger in triggers:
        root(int(today_in_window[trigger]))
    for point, neighbour in zip(edges["point"].to_numpy(), edges["neighbour"].to_numpy(), strict=True):
        a, b = root(int(today_in_window[point])), root(int(neighbour))
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for node in list(parent):
        members.setdefault(root(node), []).append(node)
    trigger_of_node = {int(today_in_window[trigger]): trigger for trigger in triggers}
    # Plain arrays: taking a few rows from a window of 100,000 orders, cluster after cluster, is slow in pandas.
    column = {name: window[name].to_numpy(dtype=object if name not in ("lon", "lat", "received_at") else None)
              for name in ("order_no", "grid_code", "category_l1", "category_l2", "lon", "lat", "received_at")}
    rows = []
    for nodes in members.values():
        chosen = np.array(sorted(nodes))
        latest = max((node for node in nodes if node in trigger_of_node),
                     key=lambda node: (column["received_at"][node], column["order_no"][node]))
        trigger = trigger_of_node[latest]
        grids = pd.Series(column["grid_code"][chosen]).value_counts()
        top = grids[grids == grids.max()].index
        grid = column["grid_code"][latest] if column["grid_code"][latest] in top else sorted(top)[0]
        rows.append({
            "kind": "repeat_cluster", "area_code": grid, "area_level": "grid",
            "category_l1": pd.Series(column["category_l1"][chosen]).mode().sort_values().iat[0],
            "category_l2": column["category_l2"][chosen[0]], "measure": circle_measure(known[trigger][4]),
            "observed": len(chosen),
            "expected": float(trigger_expected[trigger]), "upper": float(trigger_upper[trigger]),
            "centre_lon": float(column["lon"][chosen].mean()), "centre_lat": float(column["lat"][chosen].mean()),
            "order_nos": json.dumps(sorted(column["order_no"][chosen].tolist()), ensure_ascii=False)})
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)
