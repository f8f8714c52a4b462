"""Labelled departures from the baseline: injected surges and repeat clusters, and the labels of the ones the
generator always made (weeks-long hotspots, storm and heat-wave days), written to events.truth.csv."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sample_data.geography import CityGeography
from sample_data.points import LandSampler
from sample_data.work_order_catalog import CATEGORY_TABLE, HOTSPOT_KINDS

DAY = 86_400
HOUR = 3_600
TRUTH_FILE = "events.truth.csv"
TRUTH_COLUMNS = ["event_id", "kind", "area_code", "category_l1", "category_l2", "first_day", "last_day",
                 "extra_orders", "lon", "lat"]
# Storm days multiply the rain categories' share, heat-wave days the heat categories' (work_orders).
STORM_FACTOR = 6.0
HEAT_FACTOR = 2.5
# Injected cluster requests lie this close to their spot (one place reported again and again).
CLUSTER_SPREAD_M = 30.0
# The repeat-cluster rule's window: an order and its repeats make a labelled cluster when three of them fall
# within it (docs/alerts.md).
REPEAT_WINDOW_SECONDS = 7 * DAY


@dataclass(frozen=True)
class EventSpec:
    """Which labelled events to inject: how many, where, how big and when (within the last `weeks` weeks).

    A surge adds a number of orders a day drawn from `surge_per_day`, raised where the area × category usually
    gets so many that the drawn number would be lost in its day-to-day noise: each day's extra is at least the
    usual daily count plus `surge_noise_sd` standard deviations of it (√usual, Poisson; the usual count being
    the area × category's ordinary orders a day over the `surge_usual_weeks` weeks before the surge). With
    about 20,000 area × category series a day, a day's count up to about 4 standard deviations above its
    usual level happens by chance somewhere every day, so a smaller excess is no surge anyone could be told
    about (docs/alerts.md)."""

    surges: int = 0
    surge_level: str = "community"
    surge_per_day: tuple[int, int] = (6, 15)
    surge_days: tuple[int, int] = (2, 7)
    surge_noise_sd: float = 4.0
    surge_usual_weeks: int = 8
    clusters: int = 0
    cluster_requests: tuple[int, int] = (3, 5)
    cluster_span_days: int = 6
    weeks: int = 12
    categories_l1: tuple[str, ...] = ()


def empty_truth() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TRUTH_COLUMNS})


def day_text(start: int, index: int) -> str:
    """The local date of day `index` of a city whose first day starts at local seconds `start`."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=start // DAY + int(index))).isoformat()


def _orders(received, category, grid, lon, lat, rng: np.random.Generator) -> dict:
    count = len(received)
    return {"received": np.asarray(received, dtype=np.int64), "category": np.asarray(category, dtype=np.int64),
            "channel": rng.choice([0, 1, 2], count, p=[0.7, 0.15, 0.15]), "grid": np.asarray(grid, dtype=np.int64),
            "hotspot": np.full(count, -1), "problem": np.full(count, -1), "lon": np.asarray(lon, dtype=float),
            "lat": np.asarray(lat, dtype=float)}


def _daytime(rng: np.random.Generator, count: int) -> np.ndarray:
    """Seconds after midnight between 07:00 and 22:00."""
    return rng.integers(7 * HOUR, 22 * HOUR, count)


def _category_choices(l1: str) -> tuple[np.ndarray, np.ndarray]:
    indices = np.array([index for index, category in enumerate(CATEGORY_TABLE) if category.l1 == l1])
    weights = np.array([CATEGORY_TABLE[index].weight for index in indices], dtype=float)
    return indices, weights / weights.sum()


def usual_per_day(ordinary: dict, start: int, grids: np.ndarray, l1: str, first: int, weeks: int) -> float:
    """The ordinary orders a day of a category in some grids over the `weeks` weeks before day `first`."""
    if not ordinary:
        return 0.0
    span = min(weeks * 7, first)
    if span <= 0:
        return 0.0
    indices, _ = _category_choices(l1)
    day = (ordinary["received"] - start) // DAY
    chosen = (day >= first - span) & (day < first) & np.isin(ordinary["grid"], grids) \
        & np.isin(ordinary["category"], indices)
    return float(np.count_nonzero(chosen)) / span


def surge_size(drawn: int, usual: float, spec: EventSpec) -> int:
    """Extra orders a day: the drawn number, raised to the usual count plus surge_noise_sd standard deviations
    of it where that is more (docs/alerts.md: a smaller excess is lost in the noise of all the series)."""
    return max(drawn, int(np.ceil(usual + spec.surge_noise_sd * np.sqrt(usual))))


def surge_orders(rng: np.random.Generator, city: CityGeography, sampler: LandSampler, start: int, days: int,
                 spec: EventSpec, ordinary: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Extra orders of surges: in an area of spec.surge_level × a first-level category, a number a day for a
    few days, sized against the area's usual count from the `ordinary` orders (columns received, grid,
    category); (orders, truth rows)."""
    grids = city.grids
    codes = grids["code"].to_numpy()
    digits = {"street": 9, "community": 12, "grid": 15}[spec.surge_level]
    areas = np.unique(codes.astype(str).astype(f"<U{digits}"))
    population = grids["population"].to_numpy(dtype=float)
    l1_values = spec.categories_l1 or tuple(dict.fromkeys(category.l1 for category in CATEGORY_TABLE))
    parts, rows = [], []
    for number in range(spec.surges):
        area = areas[rng.integers(len(areas))]
        l1 = l1_values[rng.integers(len(l1_values))]
        length = int(rng.integers(spec.surge_days[0], spec.surge_days[1] + 1))
        drawn = int(rng.integers(spec.surge_per_day[0], spec.surge_per_day[1] + 1))
        first = int(rng.integers(max(days - spec.weeks * 7, 0), days - length + 1))
        inside = np.flatnonzero(np.char.startswith(codes.astype(str), area))
        per_day = surge_size(drawn, usual_per_day(ordinary or {}, start, inside, l1, first, spec.surge_usual_weeks),
                             spec)
        # By population; evenly in an area nobody lives in (a park, a port: seed 7's demo city has one).
        weights = population[inside] if population[inside].sum() > 0 else np.ones(len(inside))
        grid = rng.choice(inside, per_day * length, p=weights / weights.sum())
        indices, weights = _category_choices(l1)
        day = np.repeat(np.arange(first, first + length), per_day)
        lon, lat = sampler.uniform(rng, grid)
        parts.append(_orders(start + day * DAY + _daytime(rng, len(day)), rng.choice(indices, len(day), p=weights),
                             grid, lon, lat, rng))
        rows.append({"event_id": f"S{number + 1:03d}", "kind": "surge", "area_code": str(area), "category_l1": l1,
                     "category_l2": "", "first_day": day_text(start, first),
                     "last_day": day_text(start, first + length - 1), "extra_orders": per_day * length,
                     "lon": "", "lat": ""})
    return _joined(parts), pd.DataFrame(rows, columns=TRUTH_COLUMNS) if rows else empty_truth()


def cluster_orders(rng: np.random.Generator, city: CityGeography, sampler: LandSampler, start: int, days: int,
                   spec: EventSpec) -> tuple[dict, pd.DataFrame]:
    """Repeat clusters: a few requests of one second-level category at one spot within a few days."""
    population = city.grids["population"].to_numpy(dtype=float)
    weights = np.array([category.weight for category in CATEGORY_TABLE], dtype=float)
    parts, rows = [], []
    for number in range(spec.clusters):
        grid = int(rng.choice(len(population), p=population / population.sum()))
        centre_lon, centre_lat = sampler.uniform(rng, np.array([grid]))
        category = int(rng.choice(len(CATEGORY_TABLE), p=weights / weights.sum()))
        requests = int(rng.integers(spec.cluster_requests[0], spec.cluster_requests[1] + 1))
        span = int(rng.integers(0, spec.cluster_span_days + 1))
        first = int(rng.integers(max(days - spec.weeks * 7, 0), days - span))
        # The first request on the first day, the others within the span: a request a day apart at least at
        # the end, so the span holds (all within cluster_days of each other).
        offsets = np.sort(np.concatenate([[0], rng.integers(0, span + 1, requests - 1)]))
        moments = start + (first + offsets) * DAY + np.sort(_daytime(rng, requests))
        moments = np.maximum.accumulate(moments + np.arange(requests))
        cells = np.full(requests, grid)
        lon, lat = sampler.around(rng, cells, np.repeat(centre_lon, requests), np.repeat(centre_lat, requests),
                                  CLUSTER_SPREAD_M)
        parts.append(_orders(moments, np.full(requests, category), cells, lon, lat, rng))
        day_index = (moments - start) // DAY
        rows.append({"event_id": f"C{number + 1:03d}", "kind": "repeat_cluster",
                     "area_code": str(city.grids["code"].iat[grid]), "category_l1": CATEGORY_TABLE[category].l1,
                     "category_l2": CATEGORY_TABLE[category].l2, "first_day": day_text(start, day_index[0]),
                     "last_day": day_text(start, day_index[-1]), "extra_orders": requests,
                     "lon": f"{centre_lon[0]:.6f}", "lat": f"{centre_lat[0]:.6f}"})
    return _joined(parts), pd.DataFrame(rows, columns=TRUTH_COLUMNS) if rows else empty_truth()


def _joined(parts: list[dict]) -> dict:
    if not parts:
        return {}
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def hotspot_truth(city: CityGeography, start: int, days: int, grids: np.ndarray, kinds: np.ndarray,
                  first: np.ndarray, duration: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Labels of the weeks-long hotspots (night markets, night building work …): each a surge in its grid."""
    l2_l1 = {category.l2: category.l1 for category in CATEGORY_TABLE}
    rows = []
    for number, (grid, kind, begin, length, count) in enumerate(zip(grids, kinds, first, duration, counts,
                                                                    strict=True)):
        if count == 0:
            continue
        l2 = HOTSPOT_KINDS[kind].l2
        rows.append({"event_id": f"H{number + 1:03d}", "kind": "surge", "area_code": str(city.grids["code"].iat[grid]),
                     "category_l1": l2_l1[l2], "category_l2": l2, "first_day": day_text(start, begin),
                     "last_day": day_text(start, min(begin + length - 1, days - 1)), "extra_orders": int(count),
                     "lon": "", "lat": ""})
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS) if rows else empty_truth()


def weather_truth(city_code: str, start: int, base: dict, storm_days, heat_days) -> pd.DataFrame:
    """Labels of storm and heat-wave days: city-wide surges of the rain (heat) categories' first levels, with
    the orders above an ordinary day's share as extra_orders."""
    rows = []
    day = (base["received"] - start) // DAY
    for prefix, chosen, season, factor in (("W", storm_days, "rain", STORM_FACTOR), ("T", heat_days, "heat",
                                                                                      HEAT_FACTOR)):
        seasonal = {index for index, category in enumerate(CATEGORY_TABLE) if category.season == season}
        l1_values = sorted({CATEGORY_TABLE[index].l1 for index in seasonal})
        for number, index in enumerate(sorted(int(value) for value in chosen)):
            for l1 in l1_values:
                members = [i for i in seasonal if CATEGORY_TABLE[i].l1 == l1]
                count = int(np.sum((day == index) & np.isin(base["category"], members)))
                rows.append({"event_id": f"{prefix}{number + 1:03d}-{l1}", "kind": "surge", "area_code": city_code,
                             "category_l1": l1, "category_l2": "", "first_day": day_text(start, index),
                             "last_day": day_text(start, index), "extra_orders": round(count * (1 - 1 / factor)),
                             "lon": "", "lat": ""})
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS) if rows else empty_truth()


def repeat_truth(city: CityGeography, start: int, columns: dict) -> pd.DataFrame:
    """Labels of the repeat clusters the generator's repeats make: an order repeated (same grid, category, place
    and caller; work_orders.make_repeats) so often that three of its reports fall within seven days — the same
    problem reported again and again, as a repeat cluster is. `columns`: the orders, sorted, with `repeat_of`
    (row of the repeated order, -1 for none). One row per repeated order: its reports' first and last day."""
    repeat_of = columns["repeat_of"]
    rows_with = np.flatnonzero(repeat_of >= 0)
    if rows_with.size == 0:
        return empty_truth()
    source = np.concatenate([repeat_of[rows_with], np.unique(repeat_of[rows_with])])
    member = np.concatenate([rows_with, np.unique(repeat_of[rows_with])])
    groups = pd.DataFrame({"source": source, "row": member, "received": columns["received"][member]})
    groups = groups.sort_values(["source", "received"])
    # Three reports within the window: the one two places later in time is at most the window after.
    later = groups.groupby("source")["received"].shift(-2)
    labelled = np.unique(groups.loc[(later - groups["received"]) < REPEAT_WINDOW_SECONDS, "source"])
    chosen = groups[groups["source"].isin(labelled)]
    spans = chosen.groupby("source").agg(first=("received", "min"), last=("received", "max"),
                                         count=("row", "size"))
    rows = []
    for number, (row, span) in enumerate(spans.iterrows()):
        category = CATEGORY_TABLE[int(columns["category"][row])]
        rows.append({"event_id": f"R{number + 1:05d}", "kind": "repeat_cluster",
                     "area_code": str(city.grids["code"].iat[int(columns["grid"][row])]), "category_l1": category.l1,
                     "category_l2": category.l2, "first_day": day_text(start, (span["first"] - start) // DAY),
                     "last_day": day_text(start, (span["last"] - start) // DAY), "extra_orders": int(span["count"]),
                     "lon": f"{columns['lon'][row]:.6f}", "lat": f"{columns['lat'][row]:.6f}"})
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS) if rows else empty_truth()
