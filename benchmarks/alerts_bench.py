"""Early-warning benchmark: recall of the injected events, false alarms where nothing was injected, timings.

    python benchmarks/alerts_bench.py --dir DIR --db URL [--days N] [--sweep]

DIR holds the generated inputs with events.truth.csv (python -m sample_data generate), URL the database they
were loaded into. Over the last N days (default: from the first injected event's day to the as-of day) it
finds each day's alerts with the default parameters (and, with --sweep, with others), then reports:
- recall of injected surges (S…) flagged by the end of their second day, by size a day;
- recall of injected repeat clusters (C…) flagged on the day their third request arrived;
- false alarms: flagged (kind, area, category, day) that no labelled event explains, per 100 communities per
  week, by kind;
- timings: a full day (computed and stored from nothing), and the live feed's update of the current day once
  its earlier days are cached.
Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.alerts import DEFAULT_PARAMETERS, compute_alerts
from data_access.alerts.compute import (
    day_number,
    find_in,
    read_day_data,
    read_day_inputs,
    refresh_current_day,
    resolve_day,
)
from data_access.alerts.surges import day_start
from data_access.city_time import day_number_to_date
from data_access.db import create_db_engine
from data_access.geo import haversine_m
from data_access.schema import work_orders
from data_access.sql import read_frame

# How long after an event's last day its effects still explain an alert: a surge's open orders stay a while,
# and a cluster can complete with a request up to cluster_days later.
SLACK_DAYS = {"surge": 0, "repeat_cluster": DEFAULT_PARAMETERS.cluster_days, "backlog": 14}
SWEEP = {
    "alpha": (1e-3, 1e-5, 1e-6),
    "min_expected": (0.5, 2.0),
    "min_observed": (3, 8),
    "cluster_alpha": (1e-2, 1e-4),
    "backlog_min_ratio": (1.25, 2.0),
}


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


def third_request_days(engine, truth: pd.DataFrame) -> dict[str, int]:
    """Each injected cluster's day of its third request (its requests: the category within 100 m of its spot)."""
    days = {}
    for event in truth[truth["kind"] == "repeat_cluster"].itertuples(index=False):
        statement = work_orders.select().with_only_columns(work_orders.c.received_at, work_orders.c.lon,
                                                           work_orders.c.lat).where(
            work_orders.c.category_l2 == event.category_l2, work_orders.c.received_at >= day_start(event.first),
            work_orders.c.received_at < day_start(event.last + 1))
        orders = read_frame(engine, statement)
        near = orders[haversine_m(orders["lon"], orders["lat"], float(event.lon), float(event.lat)) <= 100]
        moments = np.sort(near["received_at"].to_numpy())
        if len(moments) >= 3:
            days[event.event_id] = int((moments[2] + 8 * 3600) // 86_400)
    return days


def evaluate(findings: pd.DataFrame, truth: pd.DataFrame, third: dict[str, int], communities: int,
             days: int) -> dict:
    """Recall and false-alarm figures of a run's findings."""
    surges = truth[truth["event_id"].str.startswith("S")]
    flagged_surges = findings[findings["kind"] == "surge"]
    caught = []
    for event in surges.itertuples(index=False):
        hits = flagged_surges[(flagged_surges["day"] >= event.first) & (flagged_surges["day"] <= event.first + 1)
                              & (flagged_surges["category_l1"] == event.category_l1)]
        caught.append(bool((hits["area_code"].str.startswith(event.area_code)
                            | hits["area_code"].map(lambda code, area=event.area_code: area.startswith(code))).any()))
    surges = surges.assign(caught=caught, per_day=surges["extra_orders"] / (surges["last"] - surges["first"] + 1))
    clusters = truth[truth["event_id"].str.startswith("C")]
    flagged_clusters = findings[findings["kind"] == "repeat_cluster"]
    cluster_caught = []
    for event in clusters.itertuples(index=False):
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
    by_size = surges.groupby(pd.cut(surges["per_day"], [0, 8, 11, 15, 100]), observed=True)["caught"].agg(
        ["sum", "count"])
    return {
        "surge_recall": (int(surges["caught"].sum()), len(surges)),
        "surge_recall_by_size": {str(size): (int(row["sum"]), int(row["count"])) for size, row in by_size.iterrows()},
        "cluster_recall": (int(sum(cluster_caught)), len(clusters)),
        "false_alarm_rate": len(false) * per,
        "false_alarm_rate_by_kind": {kind: round(count * per, 3) for kind, count in
                                     false.groupby("kind").size().items()},
        "false_alarms": len(false),
        "missed_surges": surges.loc[~surges["caught"], ["event_id", "area_code", "category_l1", "per_day"]]
        .values.tolist(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--sweep", action="store_true", help="also evaluate other parameter values")
    parser.add_argument("--timing-runs", type=int, default=3)
    arguments = parser.parse_args()
    engine = create_db_engine(arguments.db)
    truth = read_truth(arguments.dir)
    last, _ = resolve_day(engine, None, DEFAULT_PARAMETERS)
    injected = truth[truth["event_id"].str[0].isin(["S", "C"])]
    first = int(injected["first"].min()) if arguments.days is None else last - arguments.days + 1
    days = list(range(first, last + 1))
    with engine.connect() as connection:
        communities = connection.exec_driver_sql("SELECT COUNT(*) FROM areas WHERE level = 'community'").scalar()
    variants = {"default": DEFAULT_PARAMETERS}
    if arguments.sweep:
        for name, values in SWEEP.items():
            for value in values:
                variants[f"{name}={value}"] = replace(DEFAULT_PARAMETERS, **{name: value})
    findings = {name: [] for name in variants}
    find_seconds = []
    for day in days:
        started = time.perf_counter()
        inputs = read_day_inputs(engine, day, DEFAULT_PARAMETERS)
        data = read_day_data(engine, inputs, day_start(day + 1))
        for name, parameters in variants.items():
            found = find_in(inputs, data, parameters).assign(day=day)
            findings[name].append(found)
            if name == "default":
                find_seconds.append(time.perf_counter() - started)
        print(f"{day_number_to_date(day)}: {len(findings['default'][-1])} findings "
              f"({find_seconds[-1]:.1f} s)", file=sys.stderr, flush=True)
    third = third_request_days(engine, truth)
    print(f"database: {engine.url.render_as_string(hide_password=True)}; {len(days)} days "
          f"{day_number_to_date(days[0])} … {day_number_to_date(days[-1])}; {communities} communities; "
          f"{len(truth[truth['event_id'].str.startswith('S')])} injected surges, "
          f"{len(truth[truth['event_id'].str.startswith('C')])} injected clusters")
    for name, parts in findings.items():
        frame = pd.concat(parts, ignore_index=True)
        figures = evaluate(frame, truth, third, communities, len(days))
        print(f"{name:24} surges {figures['surge_recall'][0]}/{figures['surge_recall'][1]} "
              f"clusters {figures['cluster_recall'][0]}/{figures['cluster_recall'][1]} "
              f"false alarms {figures['false_alarm_rate']:.2f} per 100 communities a week "
              f"{figures['false_alarm_rate_by_kind']} ({figures['false_alarms']})")
        if name == "default":
            print(f"{'':24} surge recall by extra orders a day: {figures['surge_recall_by_size']}")
            print(f"{'':24} missed surges: {figures['missed_surges']}")
    # Timings on the last day: from nothing (nothing cached, findings stored), then the live feed's update.
    full = []
    for _ in range(arguments.timing_runs):
        started = time.perf_counter()
        compute_alerts(engine, day_number_to_date(last))
        full.append(time.perf_counter() - started)
    refresh_current_day(engine)
    batch = []
    for _ in range(arguments.timing_runs * 3):
        started = time.perf_counter()
        refresh_current_day(engine)
        batch.append(time.perf_counter() - started)
    print(f"full day (read, find, store): median {statistics.median(full):.2f} s, max {max(full):.2f} s; "
          f"finding alone over the days: median {statistics.median(find_seconds):.2f} s")
    print(f"live-feed update of the current day (earlier days cached): median {statistics.median(batch):.2f} s, "
          f"max {max(batch):.2f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
