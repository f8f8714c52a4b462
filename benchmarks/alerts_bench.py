"""Early-warning benchmark: recall of the injected events, false alarms where nothing was injected, timings.

    python benchmarks/alerts_bench.py --dir DIR --db URL [--days N] [--sweep] [--timing-runs N] [--timing-only]

DIR holds the generated inputs with events.truth.csv (python -m sample_data generate), URL the database they
were loaded into. Over the last N days (default: from the first injected event's day to the as-of day) it
finds each day's alerts with the default parameters (and, with --sweep, with others), then reports:
- recall of injected surges (S…) flagged by the end of their second day, by size a day and against the
  area's usual count;
- recall of injected repeat clusters (C…) flagged on the day their third request arrived;
- false alarms: flagged (kind, area, category, day) that no labelled event explains, per 100 communities per
  week, by kind;
- timings, wall and CPU seconds of this process (SQLite runs inside it; a PostgreSQL server's own CPU is not
  counted): a full day computed and stored from nothing, the earlier days' inputs alone, the live feed's
  update of the current day once its earlier days are cached, and its first batch of a new day after the
  previous day was computed (the inputs rolled on at midnight). --timing-only: the timings alone.

The days are evaluated from the span's orders, counts and stocks read once (the same functions find the
alerts as in data_access.alerts.compute, on the same rows); the last day is also computed the way the command
does, from the database, and the two must agree. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.alerts import DEFAULT_PARAMETERS, backlog, clusters, compute_alerts, surges
from data_access.alerts.compute import (
    DayData,
    DayInputs,
    day_number,
    find_day,
    find_in,
    forget_inputs,
    read_day_data,
    read_day_inputs,
    refresh_current_day,
    resolve_day,
    roll_day_inputs,
)
from data_access.alerts.surges import day_start
from data_access.areas import read_area_counts
from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS, day_number_to_date
from data_access.db import create_db_engine
from data_access.geo import haversine_m

# How long after an event's last day its effects still explain an alert: a surge's open orders stay a while,
# and a cluster can complete with a request up to cluster_days later.
SLACK_DAYS = {"surge": 0, "repeat_cluster": DEFAULT_PARAMETERS.cluster_days, "backlog": 14}
SWEEP = {
    "alpha": (1e-3, 1e-5, 1e-6),
    "min_expected": (0.25, 0.5, 1.0, 2.0),
    "min_observed": (3, 8),
    "ordinary_alpha": (1e-3, 0.05, 0.0),
    "cluster_budget": (0.001, 0.01, 0.03),
    "cluster_alpha": (1e-2, 1e-3, 1e-4, 1e-5),
    "cluster_scan_radii_m": ((),),
    "cluster_baseline_radius_m": (200.0, 1000.0),
    "cluster_requests": (4,),
    "backlog_min_ratio": (1.25, 2.0),
}
# Parameters the surge baseline depends on (the others only change what is found from the same inputs).
BASELINE_FIELDS = ("baseline_weeks", "min_observed", "ordinary_alpha")
# A first batch just after midnight counts the day's orders up to this moment.
EARLY_SECONDS = 10 * 60


def read_truth(directory: Path) -> pd.DataFrame:
    truth = pd.read_csv(directory / "events.truth.csv", dtype=str, keep_default_na=False)
    truth["first"] = [day_number(date.fromisoformat(value)) for value in truth["first_day"]]
    truth["last"] = [day_number(date.fromisoformat(value)) for value in truth["last_day"]]
    truth["extra_orders"] = truth["extra_orders"].astype(int)
    return truth


def explained(findings: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """For each finding (with `day`): whether a labelled event covers it (overlapping area, same first-level
    category where the finding has one, within the event's days plus the kind's slack)."""
    result = np.zeros(len(findings), dtype=bool)
    for index, finding in enumerate(findings.itertuples(index=False)):
        slack = SLACK_DAYS[finding.kind]
        for event in truth.itertuples(index=False):
            if not (event.first <= finding.day <= event.last + slack):
                continue
            if not (finding.area_code.startswith(event.area_code) or event.area_code.startswith(finding.area_code)):
                continue
            if finding.category_l1 is not None and not pd.isna(finding.category_l1) \
                    and finding.category_l1 != event.category_l1:
                continue
            result[index] = True
            break
    return result


def third_request_days(orders: pd.DataFrame, truth: pd.DataFrame) -> dict[str, int]:
    """Each injected cluster's day of its third request (its requests: the category within 100 m of its spot)."""
    days = {}
    for event in truth[truth["kind"] == "repeat_cluster"].itertuples(index=False):
        if not event.event_id.startswith("C"):
            continue
        chosen = orders[(orders["category_l2"] == event.category_l2)
                        & (orders["received_at"] >= day_start(event.first))
                        & (orders["received_at"] < day_start(event.last + 1))]
        near = chosen[haversine_m(chosen["lon"], chosen["lat"], float(event.lon), float(event.lat)) <= 100]
        moments = np.sort(near["received_at"].to_numpy())
        if len(moments) >= 3:
            days[event.event_id] = int((moments[2] + CITY_UTC_OFFSET_SECONDS) // DAY_SECONDS)
    return days


def evaluate(findings: pd.DataFrame, truth: pd.DataFrame, third: dict[str, int], communities: int,
             days: int) -> dict:
    """Recall and false-alarm figures of a run's findings."""
    surges_truth = truth[truth["event_id"].str.startswith("S")]
    flagged_surges = findings[findings["kind"] == "surge"]
    caught = []
    for event in surges_truth.itertuples(index=False):
        hits = flagged_surges[(flagged_surges["day"] >= event.first) & (flagged_surges["day"] <= event.first + 1)
                              & (flagged_surges["category_l1"] == event.category_l1)]
        caught.append(bool((hits["area_code"].str.startswith(event.area_code)
                            | hits["area_code"].map(lambda code, area=event.area_code: area.startswith(code))).any()))
    surges_truth = surges_truth.assign(
        caught=caught, per_day=surges_truth["extra_orders"] / (surges_truth["last"] - surges_truth["first"] + 1))
    clusters_truth = truth[truth["event_id"].str.startswith("C")]
    flagged_clusters = findings[findings["kind"] == "repeat_cluster"]
    cluster_caught = []
    for event in clusters_truth.itertuples(index=False):
        day = third.get(event.event_id)
        hits = flagged_clusters[(flagged_clusters["category_l2"] == event.category_l2)
                                & (flagged_clusters["day"] >= event.first) & (flagged_clusters["day"] <= (day or -1))]
        near = haversine_m(hits["centre_lon"].astype(float), hits["centre_lat"].astype(float), float(event.lon),
                           float(event.lat)) <= 200
        cluster_caught.append(bool(near.any()))
    false = findings[~explained(findings, truth)]
    keys = ["kind", "area_code", "category_l1", "category_l2", "measure", "day"]
    false = false.drop_duplicates(keys)
    per = 100 / communities / (days / 7)
    by_size = surges_truth.groupby(pd.cut(surges_truth["per_day"], [0, 8, 11, 15, 1000]), observed=True)[
        "caught"].agg(["sum", "count"])
    return {
        "surge_recall": (int(surges_truth["caught"].sum()), len(surges_truth)),
        "surge_recall_by_size": {str(size): (int(row["sum"]), int(row["count"])) for size, row in by_size.iterrows()},
        "cluster_recall": (int(sum(cluster_caught)), len(clusters_truth)),
        "false_alarm_rate": len(false) * per,
        "false_alarm_rate_by_kind": {kind: round(count * per, 3) for kind, count in
                                     false.groupby("kind").size().items()},
        "false_alarms": len(false),
        "missed_surges": surges_truth.loc[~surges_truth["caught"], ["event_id", "area_code", "category_l1", "per_day"]]
        .values.tolist(),
        "missed_clusters": [event.event_id for event, hit in zip(clusters_truth.itertuples(index=False),
                                                                 cluster_caught, strict=True) if not hit],
    }


class Span:
    """Everything the evaluated days read, read once: grid counts, orders and stocks."""

    def __init__(self, engine, first: int, last: int, parameters):
        self.first, self.last = first, last
        self.communities = read_area_counts(engine).get("community", 0)
        weeks = max([parameters.baseline_weeks, *SWEEP.get("baseline_weeks", ())])
        self.counts = surges.read_grid_counts(engine, first - weeks * 7, day_start(last + 1))
        start = clusters.baseline_span(first, parameters)[0]
        self.orders = clusters.read_orders(engine, start, day_start(last + 1))
        self.moments = self.orders["received_at"].to_numpy()
        self.stocks = backlog.read_stocks(engine, first - parameters.backlog_days, last, day_start(last + 1))

    def between(self, start: int, end: int, columns=clusters.ORDER_COLUMNS) -> pd.DataFrame:
        chosen = self.orders[(self.moments >= start) & (self.moments < end)]
        return chosen[columns].reset_index(drop=True)

    def day(self, day: int, parameters) -> tuple[DayInputs, DayData]:
        """The inputs and data of `day` as compute.read_day_inputs and read_day_data would read them."""
        start = day_start(day)
        inputs = DayInputs(
            day, surges.build_baseline(self.counts[self.counts["day"] < day], day, parameters),
            self.between(clusters.window_start(day, parameters), start),
            self.between(*clusters.baseline_span(day, parameters), clusters.BASELINE_COLUMNS),
            {measure: frame.loc[:, day - parameters.backlog_days:day - 1] for measure, frame in self.stocks.items()},
            self.communities)
        today = self.counts[self.counts["day"] == day][surges.COUNT_COLUMNS].reset_index(drop=True)
        window = self.between(clusters.window_start(day, parameters), day_start(day + 1))
        stocks = {measure: frame.loc[:, day - parameters.backlog_days:day] for measure, frame in self.stocks.items()}
        return inputs, DayData(today, window, stocks)


def same_findings(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    key = ["kind", "area_code", "category_l1", "category_l2", "measure", "observed"]
    def norm(frame):
        return frame[key].astype(str).sort_values(key).reset_index(drop=True)
    return norm(left).equals(norm(right))


def timed(function, *arguments):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*arguments)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--sweep", nargs="?", const=",".join(SWEEP), default="", metavar="NAMES",
                        help="also evaluate other values of these parameters (comma-separated; default all of "
                             f"{', '.join(SWEEP)})")
    parser.add_argument("--timing-runs", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true", help="recall and false alarms only")
    parser.add_argument("--timing-only", action="store_true", help="timings only")
    arguments = parser.parse_args()
    engine = create_db_engine(arguments.db)
    if arguments.timing_only:
        describe_timings(engine, resolve_day(engine, None, DEFAULT_PARAMETERS)[0], arguments.timing_runs)
        engine.dispose()
        return 0
    truth = read_truth(arguments.dir)
    last, _ = resolve_day(engine, None, DEFAULT_PARAMETERS)
    injected = truth[truth["event_id"].str[0].isin(["S", "C"])]
    first = int(injected["first"].min()) if arguments.days is None else last - arguments.days + 1
    days = list(range(first, last + 1))
    with engine.connect() as connection:
        communities = connection.exec_driver_sql("SELECT COUNT(*) FROM areas WHERE level = 'community'").scalar()
    variants = {"default": DEFAULT_PARAMETERS}
    for name in filter(None, arguments.sweep.split(",")):
        if name not in SWEEP:
            parser.error(f"--sweep: no values to try for {name!r}; choose from {', '.join(SWEEP)}")
        for value in SWEEP[name]:
            if getattr(DEFAULT_PARAMETERS, name) != value:
                variants[f"{name}={value}"] = replace(DEFAULT_PARAMETERS, **{name: value})
    span, read_wall, read_cpu = timed(Span, engine, first, last, DEFAULT_PARAMETERS)
    print(f"span read in {read_wall:.1f} s ({read_cpu:.1f} s CPU): {len(span.orders):,} orders", file=sys.stderr)
    findings = {name: [] for name in variants}
    for day in days:
        started = time.perf_counter()
        prepared = {}
        for name, parameters in variants.items():
            baseline_key = tuple(getattr(parameters, field) for field in BASELINE_FIELDS)
            if baseline_key not in prepared:
                prepared[baseline_key] = span.day(day, parameters)
            inputs, data = prepared[baseline_key]
            findings[name].append(find_in(inputs, data, parameters).assign(day=day))
        print(f"{day_number_to_date(day)}: {len(findings['default'][-1])} findings "
              f"({time.perf_counter() - started:.1f} s, {len(variants)} variants)", file=sys.stderr, flush=True)
    # The last day the way the command reads it, from the database: the same findings.
    inputs = read_day_inputs(engine, last, DEFAULT_PARAMETERS)
    direct = find_in(inputs, read_day_data(engine, inputs, day_start(last + 1)), DEFAULT_PARAMETERS)
    if not same_findings(direct, findings["default"][-1]):
        print("error: the last day's findings read from the database differ from the evaluated ones",
              file=sys.stderr)
        return 1
    third = third_request_days(span.orders, truth)
    print(f"database: {engine.url.render_as_string(hide_password=True)}; {len(days)} days "
          f"{day_number_to_date(days[0])} … {day_number_to_date(days[-1])}; {communities} communities; "
          f"{len(truth[truth['event_id'].str.startswith('S')])} injected surges, "
          f"{len(truth[truth['event_id'].str.startswith('C')])} injected clusters; "
          f"{len(span.orders) / (len(days) + 63):,.0f} orders a day")
    defaults = {field.name: getattr(DEFAULT_PARAMETERS, field.name) for field in fields(DEFAULT_PARAMETERS)}
    print(f"default parameters: {defaults}")
    for name, parts in findings.items():
        frame = pd.concat(parts, ignore_index=True)
        figures = evaluate(frame, truth, third, communities, len(days))
        print(f"{name:24} surges {figures['surge_recall'][0]}/{figures['surge_recall'][1]} "
              f"clusters {figures['cluster_recall'][0]}/{figures['cluster_recall'][1]} "
              f"false alarms {figures['false_alarm_rate']:.2f} per 100 communities a week "
              f"{figures['false_alarm_rate_by_kind']} ({figures['false_alarms']})", flush=True)
        if name == "default":
            print(f"{'':24} surge recall by extra orders a day: {figures['surge_recall_by_size']}")
            print(f"{'':24} missed surges: {figures['missed_surges']}")
            print(f"{'':24} missed clusters: {figures['missed_clusters']}")
    if arguments.no_timing:
        engine.dispose()
        return 0
    describe_timings(engine, last, arguments.timing_runs)
    engine.dispose()
    return 0


def describe_timings(engine, last: int, runs: int) -> None:
    """Timings on the last day (the data's current one): the inputs alone, then the whole day from nothing
    (nothing cached, findings stored), the live feed's update once the earlier days are cached, and its first
    batch of the day when the process computed the day before (its inputs rolled on)."""
    inputs_timing = [timed(read_day_inputs, engine, last, DEFAULT_PARAMETERS)[1:] for _ in range(runs)]
    full = []
    for _ in range(runs):
        forget_inputs(engine)
        full.append(timed(compute_alerts, engine, day_number_to_date(last))[1:])
    refresh_current_day(engine)
    batch = [timed(refresh_current_day, engine)[1:] for _ in range(runs * 3)]
    first_batch, rolled, early = [], [], []
    for _ in range(runs):
        forget_inputs(engine)
        compute_alerts(engine, day_number_to_date(last - 1), cached=True)
        first_batch.append(timed(refresh_current_day, engine)[1:])
        previous = read_day_inputs(engine, last - 1, DEFAULT_PARAMETERS)
        rolled.append(timed(roll_day_inputs, engine, previous, DEFAULT_PARAMETERS)[1:])
        # Just after midnight: the rolled inputs and the findings of the day's first ten minutes (not stored).
        early.append(timed(lambda previous=previous: find_day(
            engine, roll_day_inputs(engine, previous, DEFAULT_PARAMETERS), day_start(last) + EARLY_SECONDS,
            DEFAULT_PARAMETERS))[1:])
    today = int(surges.read_grid_counts(engine, last, day_start(last + 1))["received"].sum())

    def describe(runs):
        walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
        return (f"median {statistics.median(walls):.2f} s wall ({statistics.median(cpus):.2f} s CPU), "
                f"max {max(walls):.2f} s wall ({max(cpus):.2f} s CPU)")

    print(f"database: {engine.url.render_as_string(hide_password=True)}; day {day_number_to_date(last)}")
    print(f"earlier days' inputs alone: {describe(inputs_timing)}")
    print(f"full day (read, find, store; nothing cached): {describe(full)}")
    print(f"live-feed update of the current day ({today:,} orders so far; earlier days cached): {describe(batch)}")
    print(f"first batch of a new day after the previous day was computed (inputs rolled on; the whole day's "
          f"orders in that one batch, a worst case): {describe(first_batch)}")
    print(f"of which rolling the inputs on to the day: {describe(rolled)}")
    early_orders = int(surges.read_grid_counts(engine, last, day_start(last) + EARLY_SECONDS)["received"].sum())
    print(f"a first batch at 00:{EARLY_SECONDS // 60:02d} ({early_orders:,} orders so far): inputs rolled on, "
          f"findings (not stored): {describe(early)}")


if __name__ == "__main__":
    sys.exit(main())
