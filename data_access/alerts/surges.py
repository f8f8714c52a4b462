"""Surges: an area (street, community, grid) × first-level category whose day's count breaks above its own
weekday-adjusted level of the previous weeks, under a negative binomial upper limit (docs/alerts.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.alerts.model import AlertParameters, capped_limit, upper_limit
from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS
from data_access.codes import AREA_LEVELS
from data_access.filters import WorkOrderFilter
from data_access.rollups import choose_rollup, split_window
from data_access.schema import work_orders
from data_access.sql import local_day, read_columns

SURGE_LEVELS = ("street", "community", "grid")
COUNT_COLUMNS = ["grid_code", "category_l1", "day", "received"]


def day_start(day: int) -> int:
    """UTC epoch seconds of the local midnight starting local day number `day`."""
    return day * DAY_SECONDS - CITY_UTC_OFFSET_SECONDS


def weekday(days: np.ndarray | int) -> np.ndarray | int:
    """Monday 0 … Sunday 6 of local day numbers (day 0, 1970-01-01, was a Thursday)."""
    return (np.asarray(days) + 3) % 7


COUNT_TYPES = {"grid_code": object, "category_l1": object, "day": "int64", "received": "int64"}


def read_grid_counts(engine: Engine, first_day: int, end: int) -> pd.DataFrame:
    """Requests received per grid × first-level category × local day, from the start of `first_day` until the
    epoch second `end` (exclusive): columns grid_code, category_l1 (categorical), day, received. Whole days
    come from the grid × category rollup, a partial last day (and everything, while the rollups are not built)
    from work_orders."""
    window = WorkOrderFilter(day_start(first_day), end)
    rollup = choose_rollup(engine, window, ("grid", "category_l1", "day"))
    parts = []
    if rollup is None:
        parts.append(_count_orders(engine, window.start, end))
    else:
        days, edges = split_window(window)
        if days is not None:
            table = rollup.table
            parts.append(read_columns(engine, select(table.c.grid_code, table.c.category_l1, table.c.day,
                                                     table.c.received)
                                      .where(table.c.day >= days[0], table.c.day < days[1]), COUNT_TYPES))
        parts += [_count_orders(engine, edge.start, edge.end) for edge in edges]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return frame.astype({"grid_code": "category", "category_l1": "category"})


def _count_orders(engine: Engine, start: int, end: int) -> pd.DataFrame:
    """read_grid_counts' columns counted on work_orders for [start, end)."""
    day = local_day(work_orders.c.received_at).label("day")
    statement = (select(work_orders.c.grid_code, work_orders.c.category_l1, day, func.count().label("received"))
                 .where(work_orders.c.received_at >= start, work_orders.c.received_at < end)
                 .group_by(work_orders.c.grid_code, work_orders.c.category_l1, day))
    return read_columns(engine, statement, COUNT_TYPES)


def area_codes(grid_codes: pd.Series, level: str) -> pd.Categorical:
    """The area codes of a level for grid codes (categorical: the prefix is taken once per distinct grid)."""
    grids = grid_codes.astype("category")
    prefixes, inverse = np.unique(grids.cat.categories.astype(str).str[:AREA_LEVELS[level]], return_inverse=True)
    codes = grids.cat.codes.to_numpy()
    return pd.Categorical.from_codes(np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1), categories=prefixes)


def by_level(grid_counts: pd.DataFrame, level: str) -> pd.DataFrame:
    """Grid counts summed to an area level: columns area_code, category_l1 (categorical), day, received."""
    frame = pd.DataFrame({"area_code": area_codes(grid_counts["grid_code"], level),
                          "category_l1": grid_counts["category_l1"].astype("category"),
                          "day": grid_counts["day"].to_numpy(), "received": grid_counts["received"].to_numpy()})
    return frame.groupby(["area_code", "category_l1", "day"], as_index=False, sort=False, observed=True)[
        "received"].sum()


def plain_index(index: pd.MultiIndex) -> pd.MultiIndex:
    """A (area_code, category_l1) index with text levels, for lookups by plain strings."""
    return pd.MultiIndex.from_arrays([index.get_level_values(name).astype(object) for name in index.names],
                                     names=index.names)


@dataclass(frozen=True)
class Baseline:
    """What the previous weeks say about day `day`: each series' level and each category's overdispersion.

    `levels`: one frame per area level, indexed by (area_code, category_l1), column `level` (requests on an
    average-weight day); `inverse_size`: {(level, category_l1): 1/k}; `weights`: weekday weight of each
    weekday (mean 1 over the baseline's days); `days`: how many baseline days.
    """

    day: int
    levels: dict[str, pd.DataFrame]
    inverse_size: dict[tuple[str, str], float]
    weights: np.ndarray
    days: int

    def weight(self, day: int) -> float:
        return float(self.weights[weekday(day)])


def weekday_weights(counts: pd.DataFrame, baseline_days: np.ndarray) -> np.ndarray:
    """Each weekday's city-wide volume over the baseline against the average day's (all categories pooled)."""
    totals = counts.groupby("day")["received"].sum().reindex(baseline_days, fill_value=0).to_numpy(dtype=float)
    return _weights(totals, baseline_days)


def _weights(totals: np.ndarray, baseline_days: np.ndarray) -> np.ndarray:
    """weekday_weights from the city's requests on each baseline day."""
    overall = totals.mean()
    if overall <= 0:
        return np.ones(7)
    weights = np.ones(7)
    for index in range(7):
        chosen = totals[weekday(baseline_days) == index]
        if chosen.size:
            weights[index] = chosen.mean() / overall
    # A weekday with no volume at all still gets some weight, so no expectation is exactly 0 for lack of days.
    return np.maximum(weights, 0.05)


@dataclass(frozen=True)
class BaselineSums:
    """The baseline days' counts summed the way build_baseline uses them, kept so that the next day's are the
    same sums with one day added and the oldest dropped (the live feed at midnight), exactly: whole numbers.

    `days`: each baseline day's grid counts (read_grid_counts' rows), oldest first; `totals`: the city's
    requests on each; per area level, `series`: each area × category's requests on each weekday (columns
    0 … 6, Monday first) and the sum of its days' squared counts (`yy`), indexed by text (area_code,
    category_l1) in order, only those with requests; `peaks`: its days with at least min_observed requests
    (area_code, category_l1, day, received, in that order) — the days ordinary_spread may leave out.
    """

    first_day: int
    days: dict[int, pd.DataFrame]
    totals: np.ndarray
    series: dict[str, pd.DataFrame]
    peaks: dict[str, pd.DataFrame]
    min_observed: int


SERIES_KEY = ["area_code", "category_l1"]
PEAK_COLUMNS = [*SERIES_KEY, "day", "received"]


def _level_sums(grid_counts: pd.DataFrame, level: str, min_observed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(series, peaks) of BaselineSums for some days' grid counts at one area level."""
    daily = by_level(grid_counts, level)
    daily = daily.assign(area_code=daily["area_code"].astype(str), category_l1=daily["category_l1"].astype(str))
    received = daily["received"].to_numpy(dtype="int64")
    terms = pd.DataFrame({**{name: daily[name] for name in SERIES_KEY}, "weekday": weekday(daily["day"].to_numpy()),
                          "y": received, "yy": received * received})
    by_weekday = terms.pivot_table(index=SERIES_KEY, columns="weekday", values="y", aggfunc="sum", fill_value=0)
    series = by_weekday.reindex(columns=range(7), fill_value=0)
    series.columns = list(range(7))
    series["yy"] = terms.groupby(SERIES_KEY)["yy"].sum()
    peaks = daily.loc[received >= min_observed, PEAK_COLUMNS]
    return series.astype("int64"), peaks


def _day_sums(day_counts: pd.DataFrame, level: str, min_observed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """_level_sums of one day's grid counts (each series has that day's weekday only)."""
    # One day's few thousand rows: text keys group faster than by_level's categories.
    daily = pd.DataFrame({"area_code": day_counts["grid_code"].astype(str).str[:AREA_LEVELS[level]],
                          "category_l1": day_counts["category_l1"].astype(str),
                          "day": day_counts["day"].to_numpy(), "received": day_counts["received"].to_numpy()})
    daily = daily.groupby([*SERIES_KEY, "day"], as_index=False, sort=False)["received"].sum()
    received = daily["received"].to_numpy(dtype="int64")
    data = np.zeros((len(daily), 8), dtype="int64")
    if len(daily):
        data[:, weekday(int(daily["day"].iat[0]))] = received
    data[:, 7] = received * received
    series = pd.DataFrame(data, columns=[*range(7), "yy"],
                          index=pd.MultiIndex.from_frame(daily[SERIES_KEY]))
    return series, daily.loc[received >= min_observed, PEAK_COLUMNS]


def _ordered(series: pd.DataFrame, peaks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One order for the same sums however they were made (their float results then agree to the bit)."""
    series = series[series[list(range(7))].to_numpy().any(axis=1)].sort_index()
    series.index = series.index.remove_unused_levels()
    peaks = peaks.sort_values(PEAK_COLUMNS[:3]).reset_index(drop=True).astype({"day": "int64", "received": "int64"})
    return series, peaks


def sum_counts(grid_counts: pd.DataFrame, day: int, parameters: AlertParameters) -> BaselineSums:
    """The BaselineSums of the baseline_weeks weeks before `day` from their grid counts."""
    first = day - parameters.baseline_weeks * 7
    counts = grid_counts[(grid_counts["day"] >= first) & (grid_counts["day"] < day)]
    days = {number: frame.reset_index(drop=True) for number, frame in counts.groupby("day", sort=True)}
    totals = np.array([int(days[number]["received"].sum()) if number in days else 0 for number in range(first, day)])
    series, peaks = {}, {}
    for level in SURGE_LEVELS:
        series[level], peaks[level] = _ordered(*_level_sums(counts, level, parameters.min_observed))
    return BaselineSums(first, days, totals, series, peaks, parameters.min_observed)


def roll_sums(sums: BaselineSums, day_counts: pd.DataFrame) -> BaselineSums:
    """The sums one day later: the oldest day dropped, the day after the last added (`day_counts`: its grid
    counts, the whole day)."""
    leaving, entering = sums.first_day, sums.first_day + len(sums.totals)
    gone = sums.days.get(leaving, pd.DataFrame(columns=COUNT_COLUMNS))
    days = {number: frame for number, frame in sums.days.items() if number != leaving}
    if len(day_counts):
        days[entering] = day_counts.reset_index(drop=True)
    totals = np.append(sums.totals[1:], int(day_counts["received"].sum()))
    series, peaks = {}, {}
    for level in SURGE_LEVELS:
        old_series = _day_sums(gone, level, sums.min_observed)[0] if len(gone) else None
        new_series, new_peaks = _day_sums(day_counts, level, sums.min_observed) if len(day_counts) \
            else (None, None)
        combined = sums.series[level]
        if old_series is not None:
            combined = combined.sub(old_series, fill_value=0)
        if new_series is not None:
            combined = combined.add(new_series, fill_value=0)
        kept = sums.peaks[level]
        kept = kept[kept["day"].to_numpy() != leaving]
        if new_peaks is not None:
            kept = pd.concat([kept, new_peaks], ignore_index=True)
        series[level], peaks[level] = _ordered(combined.astype("int64"), kept)
    return BaselineSums(leaving + 1, days, totals, series, peaks, sums.min_observed)


def build_baseline(grid_counts: pd.DataFrame, day: int, parameters: AlertParameters) -> Baseline:
    """Each series' level (weekday-adjusted mean) and each level × category's overdispersion, from the
    `baseline_weeks` weeks before `day` (grid counts of those days)."""
    return baseline_from_sums(sum_counts(grid_counts, day, parameters), parameters)


def baseline_from_sums(sums: BaselineSums, parameters: AlertParameters) -> Baseline:
    """build_baseline from the baseline days' sums (for the day after them).

    The level counts every baseline day (a change that lasts becomes the new usual); the overdispersion is
    measured on ordinary days only (ordinary_spread), so one past surge does not widen the line of every area
    for that category."""
    days = len(sums.totals)
    baseline_days = np.arange(sums.first_day, sums.first_day + days)
    weights = _weights(sums.totals.astype(float), baseline_days)
    day_weight = weights[weekday(baseline_days)]
    totals = (float(day_weight.sum()), float(np.square(day_weight).sum()))
    levels, inverse_size = {}, {}
    for level in SURGE_LEVELS:
        series = sums.series[level]
        received = series[list(range(7))].to_numpy(dtype=float).sum(axis=1)
        levels[level] = pd.DataFrame({"level": received / totals[0]}, index=series.index)
        inverse_size.update({(level, category): value for category, value in
                             ordinary_spread(series, sums.peaks[level], weights, totals, days, parameters).items()})
    return Baseline(sums.first_day + days, levels, inverse_size, weights, days)


def _spread(y: np.ndarray, yy: np.ndarray, yw: np.ndarray, w: np.ndarray | float, ww: np.ndarray | float,
            category: np.ndarray, categories: int) -> tuple[np.ndarray, np.ndarray]:
    """Each series' level and, per category (`category`: each series' category number), the method-of-moments
    overdispersion 1/k (Var = m + m²/k): Σ((y − m)² − y) / Σ m² over the series' days, zero days included,
    m = level × weekday weight. Per series: y, yy, yw over the days counted, and w, ww over the same days."""
    level = y / w
    deviation = yy - 2 * level * yw + level ** 2 * ww - y
    squared = level ** 2 * ww
    deviation = np.bincount(category, deviation, categories)
    squared = np.bincount(category, squared, categories)
    inverse = np.divide(deviation, squared, out=np.zeros(categories), where=squared > 0)
    return level, np.maximum(inverse, 0.0)


def exceeds(counts: np.ndarray, mean: np.ndarray, inverse_size: np.ndarray, alpha: float) -> np.ndarray:
    """counts > model.upper_limit(mean, inverse_size, alpha), element by element, each limit summed only up to
    its count (an ordinary day needs far fewer terms than its limit)."""
    counts = np.asarray(counts, dtype=float)
    mean = np.asarray(mean, dtype=float)
    if mean.size and np.any(mean <= 0):
        raise ValueError("exceeds needs positive means")
    return counts > capped_limit(mean, inverse_size, alpha, counts)


def ordinary_spread(series: pd.DataFrame, peaks: pd.DataFrame, weights: np.ndarray, totals: tuple[float, float],
                    baseline_days: int, parameters: AlertParameters) -> dict[str, float]:
    """Each category's overdispersion over the ordinary days of its series (BaselineSums' `series` and
    `peaks` of one level; `weights`: each weekday's; `totals`: Σ w and Σ w² over all baseline days).

    A day with at least min_observed requests is left out, with the series' other days giving its level, when
    its count would happen by chance less often than ordinary_alpha under the overdispersion of the days kept
    (Farrington's reweighting of past outbreaks, as a cut). Starting from pure chance (1/k = 0), each round
    measures the spread on the days kept and tests every such day again, until the days left out stop
    changing (at most ten rounds). ordinary_alpha 0 leaves no day out."""
    by_weekday = series[list(range(7))].to_numpy(dtype=float)
    y, yy = by_weekday.sum(axis=1), series["yy"].to_numpy(dtype=float)
    # Weekday by weekday, not a matrix product: BLAS may sum in an order that depends on memory alignment, and
    # the same sums must give the same baseline to the bit.
    yw = np.zeros(len(series))
    for index in range(7):
        yw += by_weekday[:, index] * weights[index]
    # _ordered left only the categories in use among the index's levels.
    names, category = series.index.levels[1], series.index.codes[1]
    count = len(series)
    # ordinary_alpha 0: every day counts (no day is left out).
    peaks = peaks.iloc[:0] if parameters.ordinary_alpha <= 0 else peaks
    position = series.index.get_indexer(pd.MultiIndex.from_frame(peaks[SERIES_KEY]))
    peak_y = peaks["received"].to_numpy(dtype=float)
    peak_w = weights[weekday(peaks["day"].to_numpy())]
    peak_terms = (peak_y, peak_y * peak_y, peak_y * peak_w, peak_w, np.square(peak_w))
    left_out = np.zeros(len(peaks), dtype=bool)
    level, inverse = y / totals[0], np.zeros(len(names))
    peak_level, peak_inverse = np.full(len(peaks), np.nan), np.full(len(peaks), np.nan)
    for round_number in range(10):
        # A day is tested again only when its series' level or its category's spread moved (else: as before).
        level_now, inverse_now = level[position], inverse[category[position]]
        moved = (level_now != peak_level) | (inverse_now != peak_inverse)
        peak_level, peak_inverse = level_now, inverse_now
        above = left_out.copy()
        above[moved] = exceeds(peak_y[moved], np.maximum(level_now[moved] * peak_w[moved], 1 / baseline_days),
                               inverse_now[moved], parameters.ordinary_alpha)
        if round_number and np.array_equal(above, left_out):
            break
        left_out = above
        kept = [y, yy, yw, totals[0], totals[1]]
        if left_out.any():
            removed = [np.bincount(position[left_out], term[left_out], count) for term in peak_terms]
            kept = [whole - part for whole, part in zip(kept, removed, strict=True)]
        level, inverse = _spread(*kept, category, len(names))
    return {str(name): float(value) for name, value in zip(names, inverse, strict=True)}


def surge_limits(expected: np.ndarray, inverse_size: np.ndarray, baseline_days: int,
                 parameters: AlertParameters) -> np.ndarray:
    """Upper limits for expected counts: the expectation floored at min_expected, its variance widened for
    the level being estimated from `baseline_days` days."""
    floored = np.maximum(expected, parameters.min_expected)
    # Var = m(1 + r m)(1 + 1/n) written as a negative binomial's m + r' m².
    widened = inverse_size * (1 + 1 / baseline_days) + 1 / (baseline_days * floored)
    return upper_limit(floored, widened, parameters.alpha)


FINDING_COLUMNS = ["kind", "area_code", "area_level", "category_l1", "category_l2", "measure", "observed",
                   "expected", "upper", "centre_lon", "centre_lat", "order_nos"]


def find_surges(baseline: Baseline, today: pd.DataFrame, parameters: AlertParameters) -> pd.DataFrame:
    """The day's surges from its grid counts so far (columns grid_code, category_l1, received): one row per
    flagged area × category, finest level first, an area left out when flagged descendants explain its excess."""
    rows = []
    for level in SURGE_LEVELS:
        counts = pd.DataFrame({"area_code": area_codes(today["grid_code"], level),
                               "category_l1": today["category_l1"].astype("category"),
                               "received": today["received"].to_numpy()}).groupby(
            ["area_code", "category_l1"], observed=True)["received"].sum()
        counts = counts[counts >= parameters.min_observed]
        counts.index = plain_index(counts.index)
        if counts.empty:
            continue
        level_of = baseline.levels[level]["level"].reindex(counts.index, fill_value=0.0).to_numpy()
        expected = level_of * baseline.weight(baseline.day)
        inverse = np.array([baseline.inverse_size.get((level, category), 0.0)
                            for category in counts.index.get_level_values("category_l1")])
        upper = surge_limits(expected, inverse, baseline.days, parameters)
        observed = counts.to_numpy()
        flagged = observed > upper
        rows.append(pd.DataFrame({
            "area_code": counts.index.get_level_values("area_code")[flagged],
            "category_l1": counts.index.get_level_values("category_l1")[flagged],
            "area_level": level, "observed": observed[flagged], "expected": expected[flagged],
            "upper": upper[flagged]}))
    if not rows:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    flagged = pd.concat(rows, ignore_index=True)
    flagged = flagged[~explained_by_descendants(flagged)]
    return flagged.assign(kind="surge", category_l2=None, measure="received", centre_lon=None, centre_lat=None,
                          order_nos=None)[FINDING_COLUMNS].reset_index(drop=True)


def explained_by_descendants(flagged: pd.DataFrame, key: str = "category_l1",
                             levels: tuple[str, ...] = SURGE_LEVELS) -> np.ndarray:
    """True for a flagged area whose count, less the excess of its flagged sub-areas, stays within its limit
    (a street's surge that is one community's surge is shown once, at the community). Rows: area_code,
    area_level, `key` (what else must match: the category, or the backlog's measure), observed, expected,
    upper."""
    result = np.zeros(len(flagged), dtype=bool)
    # (area code, category) -> excess of flagged sub-areas, filled grids first and passed up level by level.
    explained: dict[tuple[str, str], float] = {}
    area_levels = flagged["area_level"].to_numpy()
    for index in range(len(levels) - 1, -1, -1):
        level = levels[index]
        digits = AREA_LEVELS[level]
        passed = {key: value for key, value in explained.items() if len(key[0]) == digits}
        for position in np.flatnonzero(area_levels == level):
            row = flagged.iloc[position]
            area = (row["area_code"], row[key])
            below = explained.get(area, 0.0)
            result[position] = row["observed"] - below <= row["upper"]
            passed[area] = max(row["observed"] - row["expected"], below)
        if index == 0:
            break
        parent_digits = AREA_LEVELS[levels[index - 1]]
        for (code, category), value in passed.items():
            parent = (code[:parent_digits], category)
            explained[parent] = explained.get(parent, 0.0) + value
    return result
