"""Synthetic 12345 work orders: volume, places, categories, wording and lifecycle, vectorised over orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_access.codes import APPEAL_TYPES, CHANNELS, SATISFACTION
from sample_data.events import (
    HEAT_FACTOR,
    STORM_FACTOR,
    EventSpec,
    cluster_orders,
    hotspot_truth,
    repeat_truth,
    surge_orders,
    weather_truth,
)
from sample_data.geography import CityGeography
from sample_data.names import mobile_numbers, person_names
from sample_data.points import LandSampler
from sample_data.work_order_catalog import (
    APPEAL_PROFILES,
    CATEGORY_TABLE,
    CHANNEL_SHARES,
    DUE_DAYS,
    HOTSPOT_KINDS,
    SEASONS,
    hour_probabilities,
)

DAY = 86_400
HOUR = 3_600
MINUTE = 60
NEVER = np.iinfo(np.int64).max // 4
APPEALS = list(APPEAL_TYPES)
CHANNEL_KEYS = list(CHANNELS)
SATISFACTION_KEYS = list(SATISFACTION)
HOTSPOT_SHARE = 0.07
REPEAT_SHARE = 0.05
# Spring Festival (first day of the lunar year): volumes dip for about a week around it.
SPRING_FESTIVAL = {
    2023: "01-22",
    2024: "02-10",
    2025: "01-29",
    2026: "02-17",
    2027: "02-06",
    2028: "01-26",
    2029: "02-13",
    2030: "02-03",
    2031: "01-23",
    2032: "02-11",
}


@dataclass
class WorkOrderTable:
    """All orders as arrays in index form (sorted by time); work_order_text turns them into CSV rows."""

    city: CityGeography
    columns: dict[str, np.ndarray]
    order_no: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))
    # Every deliberate departure from the baseline, labelled (sample_data.events.TRUTH_COLUMNS).
    truth: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.columns["received"])


def local_seconds(day: dt.date) -> int:
    """Seconds since 1970-01-01 00:00 of a local date's midnight (local wall time, no zone)."""
    return int((day - dt.date(1970, 1, 1)).days) * DAY


def day_weights(rng: np.random.Generator, first_day: dt.date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Relative order volume per day (weekday, trend, holidays) and each day's month (0–11)."""
    dates = pd.date_range(first_day, periods=days, freq="D")
    weekday = np.array([1.08, 1.05, 1.0, 1.0, 0.97, 0.72, 0.66])[dates.day_of_week]
    weights = weekday * np.linspace(0.94, 1.06, days) * rng.lognormal(0, 0.06, days)
    for year in {first_day.year, first_day.year + 1}:
        festival = pd.Timestamp(f"{year}-{SPRING_FESTIVAL.get(year, '02-01')}")
        weights[(dates >= festival - pd.Timedelta(days=2)) & (dates <= festival + pd.Timedelta(days=6))] *= (
            0.55
        )
        weights[(dates >= pd.Timestamp(f"{year}-10-01")) & (dates <= pd.Timestamp(f"{year}-10-07"))] *= 0.7
    return weights / weights.sum(), dates.month.to_numpy() - 1


def category_probabilities(rng: np.random.Generator, months: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-day probabilities over CATEGORY_TABLE: base weights × season, with storm and heat-wave days; and
    those days' indices."""
    base = np.array([category.weight for category in CATEGORY_TABLE])
    season = np.array([SEASONS[category.season] for category in CATEGORY_TABLE])  # categories × 12
    matrix = base[None, :] * season[:, months].T
    rainy = np.flatnonzero(np.isin(months, (5, 6)))
    storm_days = rng.choice(rainy, min(5, len(rainy)), replace=False) if len(rainy) else []
    hot = np.flatnonzero(np.isin(months, (6, 7)))
    heat_days = rng.choice(hot, min(8, len(hot)), replace=False) if len(hot) else []
    is_rain = np.array([category.season == "rain" for category in CATEGORY_TABLE])
    is_heat = np.array([category.season == "heat" for category in CATEGORY_TABLE])
    matrix[np.ix_(storm_days, is_rain)] *= STORM_FACTOR
    matrix[np.ix_(heat_days, is_heat)] *= HEAT_FACTOR
    return matrix / matrix.sum(1, keepdims=True), np.asarray(storm_days, dtype=int), np.asarray(heat_days, dtype=int)


def sample_by_rows(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one column index per entry of `rows`, from that row of a probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative[:, -1] = 1.0
    draws = rng.random(len(rows))
    return (draws[:, None] > cumulative[rows]).sum(1)


def seconds_in_day(rng: np.random.Generator, count: int, profile: str) -> np.ndarray:
    """Seconds after midnight following an hour-of-day profile."""
    return rng.choice(24, count, p=hour_probabilities(profile)) * HOUR + rng.integers(0, HOUR, count)


def base_orders(rng: np.random.Generator, city: CityGeography, count: int, start: int, days: int
                ) -> tuple[dict, np.ndarray, np.ndarray]:
    """Ordinary orders: day by volume, category by season, grid by population × local load; and the storm and
    heat-wave days (indices)."""
    weights, months = day_weights(rng, dt.date(1970, 1, 1) + dt.timedelta(days=start // DAY), days)
    per_day = rng.multinomial(count, weights)
    day = np.repeat(np.arange(days), per_day)
    probabilities, storm_days, heat_days = category_probabilities(rng, months)
    category = np.concatenate(
        [rng.choice(len(CATEGORY_TABLE), n, p=probabilities[d]) for d, n in enumerate(per_day)]
    )
    channel = rng.choice(len(CHANNEL_KEYS), count, p=list(CHANNEL_SHARES.values()))
    patrol = np.isin(channel, [CHANNEL_KEYS.index("grid_patrol"), CHANNEL_KEYS.index("member_report")])
    clock = np.where(patrol, seconds_in_day(rng, count, "patrol"), seconds_in_day(rng, count, "day"))
    load = city.grids["population"].to_numpy() * rng.lognormal(0, 0.4, len(city.grids))
    grid = rng.choice(len(city.grids), count, p=load / load.sum())
    return {
        "received": start + day * DAY + clock,
        "category": category,
        "channel": channel,
        "grid": grid,
        "hotspot": np.full(count, -1),
        "problem": np.full(count, -1),
    }, storm_days, heat_days


def hotspot_orders(
    rng: np.random.Generator,
    city: CityGeography,
    sampler: LandSampler,
    count: int,
    start: int,
    days: int,
    hotspots: int,
) -> tuple[dict, np.ndarray, np.ndarray, pd.DataFrame]:
    """Orders from a few dozen local hotspots (night market, night construction …) active for weeks; their
    centres, and their labels."""
    population = city.grids["population"].to_numpy().astype(float)
    busy = population >= np.quantile(population, 0.5)
    grids = rng.choice(np.flatnonzero(busy), hotspots, replace=False)
    kinds = rng.integers(0, len(HOTSPOT_KINDS), hotspots)
    centre_lon, centre_lat = sampler.uniform(rng, grids)
    duration = rng.integers(45, 200, hotspots)
    first = rng.integers(0, np.maximum(days - duration, 1))
    rates = np.array([HOTSPOT_KINDS[kind].orders_per_day for kind in kinds]) * duration
    per_hotspot = rng.multinomial(count, rates / rates.sum())
    hotspot = np.repeat(np.arange(hotspots), per_hotspot)
    day = first[hotspot] + (rng.random(count) * duration[hotspot]).astype(np.int64)
    clock = np.zeros(count, dtype=np.int64)
    for kind_index, kind in enumerate(HOTSPOT_KINDS):
        rows = np.flatnonzero(kinds[hotspot] == kind_index)
        clock[rows] = seconds_in_day(rng, len(rows), kind.hours)
    l2_index = {category.l2: index for index, category in enumerate(CATEGORY_TABLE)}
    category = np.array([l2_index[HOTSPOT_KINDS[kind].l2] for kind in kinds])[hotspot]
    channel = rng.choice([0, 1, 2], count, p=[0.7, 0.15, 0.15])
    problem = np.array([HOTSPOT_KINDS[kind].problem for kind in kinds])[hotspot]
    columns = {
        "received": start + np.minimum(day, days - 1) * DAY + clock,
        "category": category,
        "channel": channel,
        "grid": grids[hotspot],
        "hotspot": hotspot,
        "problem": problem,
    }
    truth = hotspot_truth(city, start, days, grids, kinds, first, duration, per_hotspot)
    return columns, centre_lon, centre_lat, truth


def attach_people_and_text(rng: np.random.Generator, columns: dict, city: CityGeography) -> None:
    """Appeal type, callers (with some regular callers) and the random choices that word each order."""
    count = len(columns["received"])
    appeal_matrix = np.array(
        [[APPEAL_PROFILES[category.appeal][appeal] for appeal in APPEALS] for category in CATEGORY_TABLE]
    )
    columns["appeal"] = sample_by_rows(rng, appeal_matrix, columns["category"])
    has_caller = columns["channel"] <= CHANNEL_KEYS.index("app")
    names, phones = person_names(rng, count), mobile_numbers(rng, count)
    regulars = max(30, count // 2000)
    regular_names, regular_phones = person_names(rng, regulars), mobile_numbers(rng, regulars)
    regular = rng.random(count) < 0.03
    picks = rng.integers(0, regulars, count)
    names = np.where(regular, regular_names[picks], names)
    phones = np.where(regular, regular_phones[picks], phones)
    anonymous = (columns["channel"] != CHANNEL_KEYS.index("hotline_12345")) & (rng.random(count) < 0.12)
    columns["caller_name"] = np.where(has_caller & ~anonymous, names, "")
    columns["caller_phone"] = np.where(has_caller, phones, "")
    columns["title_pick"] = rng.integers(0, 1 << 20, count)
    # Level 3 follows the wording picked (both lists are aligned); a hotspot fixes its problem.
    columns["problem_pick"] = np.where(
        columns["problem"] >= 0, columns["problem"], rng.integers(0, 1 << 20, count)
    )
    columns["opener_pick"] = rng.integers(0, 1 << 20, count)
    columns["request_pick"] = rng.integers(0, 1 << 20, count)
    columns["place_pick"] = rng.integers(0, 1 << 20, count)
    columns["lasting_days"] = np.where(rng.random(count) < 0.25, rng.integers(2, 31, count), 0)
    columns["awkward"] = np.where(rng.random(count) < 0.002, rng.integers(0, 5, count), -1)


def lognormal_seconds(rng: np.random.Generator, median_seconds, sigma: float, count: int) -> np.ndarray:
    """Positive durations in whole seconds with the given median."""
    return np.maximum(np.round(np.asarray(median_seconds) * rng.lognormal(0, sigma, count)), 1).astype(
        np.int64
    )


def simulate_lifecycle(rng: np.random.Generator, columns: dict, city: CityGeography) -> None:
    """Timestamps of every step (NEVER where a step does not happen) and the call-back answers."""
    count = len(columns["received"])
    received = columns["received"]
    due_days = np.array([DUE_DAYS[appeal] for appeal in APPEALS])[columns["appeal"]]
    street_of_grid = city.grids["parent_code"].str[:9].to_numpy()
    street_codes, street_index = np.unique(street_of_grid, return_inverse=True)
    street_pace = rng.lognormal(0, 0.3, len(street_codes))[street_index][columns["grid"]]
    first_dispatch = received + lognormal_seconds(rng, 20 * MINUTE, 0.6, count)
    returned = rng.random(count) < 0.04
    returned_at = np.where(returned, first_dispatch + lognormal_seconds(rng, 30 * MINUTE, 0.5, count), NEVER)
    dispatched = np.where(
        returned, returned_at + lognormal_seconds(rng, 15 * MINUTE, 0.5, count), first_dispatch
    )
    accepted = dispatched + lognormal_seconds(rng, 14 * MINUTE, 0.9, count)
    due = received + due_days * DAY
    extended = (rng.random(count) < 0.03) & (due_days >= 3)
    extended_at = np.where(
        extended, accepted + (rng.uniform(0.3, 0.9, count) * (due - accepted)).astype(np.int64), NEVER
    )
    extended_due = due + rng.integers(5, 16, count) * DAY
    work = lognormal_seconds(rng, due_days * DAY / 3.8 * street_pace, 1.0, count)
    resolved = np.where(extended, extended_at + lognormal_seconds(rng, 3 * DAY, 0.6, count), accepted + work)
    whistle = (rng.random(count) < 0.01 * np.where(extended, 4, 1)) & (due_days >= 3)
    whistled_at = np.where(whistle, accepted + rng.integers(2 * HOUR, 2 * DAY, count), NEVER)
    resolved = np.where(
        whistle, np.maximum(resolved, whistled_at + lognormal_seconds(rng, 1.5 * DAY, 0.5, count)), resolved
    )
    stuck = rng.random(count) < 0.006
    merged = ~stuck & (rng.random(count) < 0.005)
    resolved = np.where(stuck | merged, NEVER, resolved)
    late = resolved > np.where(extended, extended_due, due)
    unsolved = rng.random(count) < np.clip(0.06 * street_pace + 0.06 * late, 0, 0.5)
    has_caller = columns["caller_phone"] != ""
    called = has_caller & (rng.random(count) < 0.92) & (resolved < NEVER)
    called_back_at = np.where(called, resolved + lognormal_seconds(rng, 20 * HOUR, 0.5, count), NEVER)
    dissatisfied = rng.random(count) < np.clip(0.04 * street_pace + 0.3 * unsolved + 0.1 * late, 0, 0.9)
    answer = np.where(dissatisfied, 2, np.where(rng.random(count) < 0.17, 1, 0))
    closed = np.where(
        called,
        called_back_at + lognormal_seconds(rng, 3 * HOUR, 0.7, count),
        np.where(has_caller, resolved + 3 * DAY, resolved + lognormal_seconds(rng, 12 * HOUR, 0.6, count)),
    )
    closed = np.where(resolved < NEVER, closed, NEVER)
    for step in (dispatched, accepted, extended_at, whistled_at, returned_at, first_dispatch):
        step[merged] = NEVER
    columns.update(
        first_dispatch=first_dispatch,
        returned_at=returned_at,
        dispatched=dispatched,
        accepted=accepted,
        extended_at=extended_at,
        due=due,
        extended_due=extended_due,
        resolved=resolved,
        whistled_at=whistled_at,
        called_back_at=called_back_at,
        closed=closed,
        merged=merged,
        unsolved=unsolved,
        answer=answer,
        whistle_pick=rng.integers(0, 1 << 20, count),
    )


def make_repeats(rng: np.random.Generator, columns: dict, count: int, end: int) -> dict:
    """Later orders repeating an earlier one (same grid, category, place and caller), favouring failures."""
    late = columns["resolved"] > columns["due"]
    weight = 1 + 4 * columns["unsolved"] + 3 * (columns["answer"] == 2) + late
    source = rng.choice(len(columns["received"]), count, p=weight / weight.sum())
    received = columns["received"][source] + lognormal_seconds(rng, 6 * DAY, 0.8, count) + HOUR
    source = source[received <= end]
    repeat = {name: values[source].copy() for name, values in columns.items()}
    repeat["received"] = received[received <= end]
    repeat["repeat_of"] = source
    return repeat


def concat_columns(parts: list[dict]) -> dict:
    """Concatenate column dicts with the same keys (missing `repeat_of` becomes -1)."""
    for part in parts:
        part.setdefault("repeat_of", np.full(len(part["received"]), -1))
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def settle_at(columns: dict, end: int) -> dict:
    """The state at the as-of moment: drop steps after it and derive each order's status."""
    reached = {
        name: columns[name] <= end
        for name in (
            "first_dispatch",
            "returned_at",
            "dispatched",
            "accepted",
            "extended_at",
            "resolved",
            "called_back_at",
            "closed",
            "whistled_at",
        )
    }
    in_progress = reached["accepted"] & (columns["accepted"] + HOUR <= end)
    status = np.select(
        [
            columns["merged"],
            reached["closed"],
            reached["called_back_at"],
            reached["resolved"],
            reached["extended_at"],
            in_progress,
            reached["accepted"],
            reached["dispatched"],
            reached["returned_at"],
            reached["first_dispatch"],
        ],
        [
            "merged",
            "closed",
            "called_back",
            "resolved",
            "extended",
            "in_progress",
            "accepted",
            "dispatched",
            "returned",
            "dispatched",
        ],
        "received",
    )
    dispatched = np.where(
        reached["dispatched"],
        columns["dispatched"],
        np.where(reached["first_dispatch"], columns["first_dispatch"], NEVER),
    )
    settled = {
        "status": status,
        "dispatched_at": dispatched,
        "due_at": np.where(reached["extended_at"], columns["extended_due"], columns["due"]),
        "whistle": reached["whistled_at"],
    }
    for name, source in (
        ("accepted_at", "accepted"),
        ("resolved_at", "resolved"),
        ("called_back_at", "called_back_at"),
        ("closed_at", "closed"),
        ("returned_at", "returned_at"),
        ("extended_at", "extended_at"),
        ("whistled_at", "whistled_at"),
    ):
        settled[name] = np.where(reached[source], columns[source], NEVER)
    settled["resolution"] = np.where(
        reached["resolved"], np.where(columns["unsolved"], "unsolved", "solved"), ""
    )
    settled["satisfaction"] = np.where(
        reached["called_back_at"], np.array(SATISFACTION_KEYS)[columns["answer"]], ""
    )
    return settled


def received_by(columns: dict, end: int) -> dict:
    """The orders received by `end`, their repeat_of references renumbered (a repeat comes after its original)."""
    keep = columns["received"] <= end
    if keep.all():
        return columns
    position = np.cumsum(keep) - 1
    kept = {name: values[keep] for name, values in columns.items()}
    kept["repeat_of"] = np.where(kept["repeat_of"] >= 0, position[np.maximum(kept["repeat_of"], 0)], -1)
    return kept


def number_orders(received: np.ndarray) -> np.ndarray:
    """Order numbers LJ + date + 5-digit sequence of the day, for orders already sorted by time."""
    day = received // DAY
    starts = np.r_[0, np.flatnonzero(np.diff(day)) + 1]
    sequence = np.arange(len(day)) - np.repeat(starts, np.diff(np.r_[starts, len(day)])) + 1
    dates = (np.datetime64("1970-01-01") + day.astype("timedelta64[D]")).astype(str)
    return np.char.add(
        np.char.add("LJ", np.char.replace(dates, "-", "")), np.char.zfill(sequence.astype(str), 5)
    )


def build_work_orders(
    rng: np.random.Generator,
    city: CityGeography,
    sampler: LandSampler,
    count: int,
    as_of: dt.date,
    hotspots: int,
    events: EventSpec | None = None,
    events_rng: np.random.Generator | None = None,
    city_code: str = "",
    day_seconds: int = DAY,
) -> WorkOrderTable:
    """Generate about `count` orders received in the 365 days ending on `as_of` (local time), `day_seconds` into
    that day (the orders of its later hours, drawn like any day's, are left out), with the injected `events`
    (drawn from `events_rng`, so the ordinary orders stay the same) on top; `truth` labels them, the hotspots
    and the storm and heat-wave days (`city_code` labels city-wide events). A label's extra_orders counts its
    whole days, a cut last day too."""
    days = 365
    start = local_seconds(as_of - dt.timedelta(days=days - 1))
    end = local_seconds(as_of) + day_seconds - 1
    repeat_count = int(count * REPEAT_SHARE)
    hotspot_count = int(count * HOTSPOT_SHARE)
    base, storm_days, heat_days = base_orders(rng, city, count - repeat_count - hotspot_count, start, days)
    base["lon"], base["lat"] = sampler.uniform(rng, base["grid"])
    hot, centre_lon, centre_lat, hot_truth = hotspot_orders(rng, city, sampler, hotspot_count, start, days, hotspots)
    hot["lon"], hot["lat"] = sampler.around(
        rng, hot["grid"], centre_lon[hot["hotspot"]], centre_lat[hot["hotspot"]], 60.0
    )
    truth = [weather_truth(city_code, start, base, storm_days, heat_days), hot_truth]
    parts = [base, hot]
    if events is not None:
        events_rng = events_rng or np.random.default_rng(0)
        # Surges are sized against the ordinary orders of their area and category (sample_data.events).
        ordinary = concat_columns([{key: part[key] for key in ("received", "grid", "category")} for part in parts])
        for inject, extra in ((surge_orders, {"ordinary": ordinary}), (cluster_orders, {})):
            orders, labels = inject(events_rng, city, sampler, start, days, events, **extra)
            if orders:
                parts.append(orders)
                truth.append(labels)
    columns = concat_columns(parts)
    attach_people_and_text(rng, columns, city)
    simulate_lifecycle(rng, columns, city)
    repeats = make_repeats(rng, columns, repeat_count, end)
    simulate_lifecycle(rng, repeats, city)
    columns = concat_columns([columns, repeats])
    columns = received_by(columns, end)
    order = np.lexsort((columns["grid"], columns["received"]))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    columns = {name: values[order] for name, values in columns.items()}
    columns["repeat_of"] = np.where(columns["repeat_of"] >= 0, rank[np.maximum(columns["repeat_of"], 0)], -1)
    columns.update(settle_at(columns, end))
    truth.append(repeat_truth(city, start, columns))
    labels = pd.concat([frame for frame in truth if len(frame)], ignore_index=True)
    return WorkOrderTable(city, columns, number_orders(columns["received"]), labels)
