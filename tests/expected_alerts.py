"""Independent computations of the alert rules (docs/alerts.md) from raw work-order rows (tests.expected.work_orders:
epoch timestamps from the tz database, grids from a geopandas join): plain pandas, brute-force pairs, the
negative binomial from its probability function."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tests.expected import haversine_m

DIGITS = {"street": 9, "community": 12, "grid": 15}
LEVELS = ("street", "community", "grid")


def local_day(epochs: pd.Series) -> pd.Series:
    """Local day numbers via the tz database."""
    moments = pd.to_datetime(epochs.astype("int64"), unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
    return (moments.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days


def day_start(day: int) -> int:
    """Epoch seconds of local midnight starting day number `day`, via the tz database."""
    return int((pd.Timestamp("1970-01-01") + pd.Timedelta(days=day)).tz_localize("Asia/Shanghai").timestamp())


def nb_quantile(mean: float, inverse_size: float, alpha: float) -> int:
    """Smallest u with P(Y ≤ u) ≥ 1 − alpha for Y negative binomial (Poisson when inverse_size is 0), summing
    its probability function written with log-gamma."""
    total, count = 0.0, 0
    while True:
        if inverse_size <= 0:
            log_p = -mean + count * math.log(mean) - math.lgamma(count + 1)
        else:
            size = 1 / inverse_size
            log_p = (math.lgamma(count + size) - math.lgamma(size) - math.lgamma(count + 1)
                     + size * math.log(size / (size + mean)) + count * math.log(mean / (size + mean)))
        total += math.exp(log_p)
        if total >= 1 - alpha:
            return count
        count += 1


def surges(orders: pd.DataFrame, day: int, parameters) -> pd.DataFrame:
    """Surge findings of `day` (all its orders): area_level, area_code, category_l1, observed, expected, upper."""
    orders = orders.assign(day=local_day(orders["received_at"]))
    span = parameters.baseline_weeks * 7
    base = orders[(orders["day"] >= day - span) & (orders["day"] < day)]
    baseline_days = np.arange(day - span, day)
    weekday = (baseline_days + 3) % 7
    totals = base.groupby("day").size().reindex(baseline_days, fill_value=0).to_numpy(dtype=float)
    weights = np.array([max(totals[weekday == index].mean() / totals.mean(), 0.05) for index in range(7)])
    w = weights[weekday]
    rows = []
    for level in LEVELS:
        area = orders["grid_code"].str[:DIGITS[level]]
        frame = orders.assign(area=area)
        series_index = frame.groupby(["area", "category_l1"]).size().index
        # Dense baseline matrix: every series × every baseline day.
        matrix = (frame[(frame["day"] >= day - span) & (frame["day"] < day)]
                  .groupby(["area", "category_l1", "day"]).size().unstack("day")
                  .reindex(index=series_index, columns=baseline_days).fillna(0))
        level_of = matrix.to_numpy().sum(axis=1) / w.sum()
        inverse = ordinary_inverse(matrix.to_numpy(), w, series_index.get_level_values("category_l1").to_numpy(),
                                   parameters)
        today = frame[frame["day"] == day].groupby(["area", "category_l1"]).size()
        for (code, category), observed in today.items():
            if observed < parameters.min_observed:
                continue
            position = series_index.get_loc((code, category))
            expected = level_of[position] * weights[(day + 3) % 7]
            floored = max(expected, parameters.min_expected)
            widened = inverse[category] * (1 + 1 / span) + 1 / (span * floored)
            upper = nb_quantile(floored, widened, parameters.alpha)
            if observed > upper:
                rows.append({"area_level": level, "area_code": code, "category_l1": category,
                             "observed": int(observed), "expected": expected, "upper": float(upper)})
    flagged = pd.DataFrame(rows, columns=["area_level", "area_code", "category_l1", "observed", "expected", "upper"])
    return flagged[~_explained(flagged, "category_l1", LEVELS)].reset_index(drop=True)


def ordinary_inverse(y: np.ndarray, w: np.ndarray, categories: np.ndarray, parameters) -> dict[str, float]:
    """Each category's overdispersion over its series' ordinary days (y: series × baseline days, w: each day's
    weekday weight): a day with at least min_observed requests above the ordinary_alpha quantile, its series'
    level taken from the days kept, is left out; from 1/k = 0, rounds until the days left out stay the same."""
    span = y.shape[1]
    inverse = {category: 0.0 for category in np.unique(categories)}
    kept = np.ones(y.shape, dtype=bool)
    level = y.sum(axis=1) / w.sum()
    for round_ in range(10):
        above = np.zeros(y.shape, dtype=bool)
        candidates = np.nonzero((y >= parameters.min_observed) & (parameters.ordinary_alpha > 0))
        for row, column in zip(*candidates, strict=True):
            mean = max(level[row] * w[column], 1 / span)
            above[row, column] = y[row, column] > nb_quantile(mean, inverse[categories[row]],
                                                              parameters.ordinary_alpha)
        if round_ and np.array_equal(~above, kept):
            break
        kept = ~above
        level = (y * kept).sum(axis=1) / (w[None, :] * kept).sum(axis=1)
        means = level[:, None] * w[None, :]
        for category in inverse:
            rows_of = categories == category
            numerator = ((np.square(y - means) - y) * kept)[rows_of].sum()
            denominator = (np.square(means) * kept)[rows_of].sum()
            inverse[category] = max(0.0, numerator / denominator) if denominator > 0 else 0.0
    return inverse


def _explained(flagged: pd.DataFrame, key: str, levels: tuple[str, ...]) -> np.ndarray:
    """A flagged area whose count less what its flagged sub-areas explain stays within its limit. A sub-area
    explains its own excess when flagged (or what its own sub-areas explain, when more); an area not flagged
    passes up what its sub-areas explain."""
    digits = [DIGITS[level] for level in levels]
    rows = {(row["area_code"], row[key]): row for _, row in flagged.iterrows()}

    def explains(code: str, category) -> float:
        below = sum(explains(child, category) for child in children(code, category))
        row = rows.get((code, category))
        return below if row is None else max(row["observed"] - row["expected"], below)

    def children(code: str, category) -> set[str]:
        finer = [d for d in digits if d > len(code)]
        if not finer:
            return set()
        return {other[:finer[0]] for other, other_category in rows if other_category == category
                and len(other) >= finer[0] and other.startswith(code)}

    return np.array([row["observed"] - sum(explains(child, row[key]) for child in children(row["area_code"], row[key]))
                     <= row["upper"] for _, row in flagged.iterrows()], dtype=bool)


def clusters(orders: pd.DataFrame, day: int, parameters, communities: int) -> list[frozenset[str]]:
    """The day's repeat clusters as sets of order numbers: every pair compared (no buckets). A request with at
    least three within 200 m and 7 days is judged in the smallest of the circles (50, 100, 200 m) whose count
    makes a cluster: the spot's count within 500 m over the baseline weeks (at least half a request), scaled to the
    circle's area and by the city's requests of the category in the week before the day over those in the
    baseline weeks (at least half the days' ratio), against a Poisson limit at the city's chance rate (the budget
    per community a week over the requests a community gets a week, at most the cap), shared by the circles."""
    start = day_start(day)
    seconds = parameters.cluster_days * 86_400
    window = orders[(orders["received_at"] >= start - seconds) & (orders["received_at"] < start + 86_400)]
    earlier = window[window["received_at"] < start]
    base_end = start - seconds
    baseline = orders[(orders["received_at"] >= base_end - parameters.baseline_weeks * 7 * 86_400)
                      & (orders["received_at"] < base_end)]
    per_community = len(baseline) / parameters.baseline_weeks / communities
    alpha = parameters.cluster_alpha if parameters.cluster_alpha is not None else \
        min(parameters.cluster_alpha_cap, parameters.cluster_budget / per_community)
    radii = sorted({*parameters.cluster_scan_radii_m, parameters.cluster_radius_m})
    days_ratio = parameters.cluster_days / (parameters.baseline_weeks * 7)
    pairs = window.merge(window, on="category_l2", suffixes=("", "_other"))
    pairs = pairs[(pairs["order_no"] != pairs["order_no_other"])
                  & (pairs["received_at_other"] <= pairs["received_at"])
                  & (pairs["received_at_other"] > pairs["received_at"] - seconds)
                  & (pairs["received_at"] >= start)]
    pairs = pairs.assign(distance=haversine_m(pairs["lon"], pairs["lat"], pairs["lon_other"], pairs["lat_other"]))
    pairs = pairs[pairs["distance"] <= parameters.cluster_radius_m]
    counts = pairs.groupby("order_no").size() + 1
    edges = []
    for order_no, count in counts.items():
        if count < parameters.cluster_requests:
            continue
        order = window[window["order_no"] == order_no].iloc[0]
        category = order["category_l2"]
        same = baseline[baseline["category_l2"] == category]
        usual = int((haversine_m(same["lon"], same["lat"], order["lon"], order["lat"])
                     <= parameters.cluster_baseline_radius_m).sum())
        recent = int((earlier["category_l2"] == category).sum())
        trend = max(recent / len(same) if len(same) else days_ratio, days_ratio * 0.5)
        mine = pairs[pairs["order_no"] == order_no]
        for radius in radii:
            expected = max(usual, 0.5) * (radius / parameters.cluster_baseline_radius_m) ** 2 * trend
            required = max(parameters.cluster_requests, nb_quantile(expected, 0.0, alpha / len(radii)) + 2)
            inside = mine[mine["distance"] <= radius]
            if len(inside) + 1 >= required:
                edges += [(order_no, other) for other in inside["order_no_other"]]
                edges.append((order_no, order_no))
                break
    groups: list[set[str]] = []
    for a, b in edges:
        joined = [group for group in groups if a in group or b in group]
        merged = {a, b}.union(*joined)
        groups = [group for group in groups if group not in joined] + [merged]
    return [frozenset(group) for group in groups]


def stocks(orders: pd.DataFrame, moment: int, level: str) -> pd.DataFrame:
    """Open and overdue orders per area at `moment`: received before it, not merged, not resolved before it
    (overdue: and due before it)."""
    open_now = ((orders["received_at"] < moment) & (orders["status"] != "merged")
                & (orders["resolved_at"].isna() | (orders["resolved_at"] >= moment)))
    overdue = open_now & (orders["due_at"] < moment)
    area = orders["grid_code"].str[:DIGITS[level]]
    return pd.DataFrame({"open": open_now.groupby(area).sum(), "overdue": overdue.groupby(area).sum()}).astype(int)


def backlog(orders: pd.DataFrame, day: int, parameters) -> pd.DataFrame:
    """Backlog findings of `day`: area_level, area_code, measure, observed, expected, upper."""
    rows = []
    for level in ("street", "community"):
        history = [stocks(orders, day_start(day - back + 1), level) for back in range(parameters.backlog_days, 0, -1)]
        today = stocks(orders, day_start(day + 1), level)
        for measure in ("open", "overdue"):
            frame = pd.concat([part[measure] for part in history], axis=1).fillna(0)
            codes = frame.index.union(today.index)
            values = frame.reindex(codes, fill_value=0).to_numpy(dtype=float)
            observed = today[measure].reindex(codes, fill_value=0).to_numpy()
            expected = values.mean(axis=1)
            squared = np.square(expected).sum() * values.shape[1]
            inverse = max(0.0, (np.square(values - expected[:, None]) - values).sum() / squared) if squared else 0.0
            for index, code in enumerate(codes):
                limit = nb_quantile(max(expected[index], parameters.min_expected), inverse, parameters.alpha)
                upper = max(limit, math.floor(expected[index] * parameters.backlog_min_ratio),
                            math.floor(expected[index] + parameters.backlog_min_jump))
                if observed[index] > upper:
                    rows.append({"area_level": level, "area_code": code, "measure": measure,
                                 "observed": int(observed[index]), "expected": expected[index], "upper": float(upper)})
    flagged = pd.DataFrame(rows, columns=["area_level", "area_code", "measure", "observed", "expected", "upper"])
    return flagged[~_explained(flagged, "measure", ("street", "community"))].reset_index(drop=True)
