"""A day's alerts: read what the rules need, find, store; the live feed's cheaper update of the current day;
the observed-against-expected series behind an alert's chart."""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.alerts import backlog, clusters, surges
from data_access.alerts.model import DEFAULT_PARAMETERS, AlertParameters
from data_access.alerts.store import read_alert, read_alerts, store_day
from data_access.areas import read_area_counts, read_city_facts
from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS, day_number_to_date, local_date
from data_access.city_time import reference_now as data_now
from data_access.codes import AREA_LEVELS
from data_access.geo import haversine_m
from data_access.schema import work_orders
from data_access.scope import CITY, AreaScope

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)


class AlertDayError(ValueError):
    """The day asked for cannot be computed (no data, after the data's last moment, too little history)."""


def day_number(day: date) -> int:
    return (day - EPOCH).days


@dataclass(frozen=True)
class DayInputs:
    """What a day's rules read about the days before it: fixed while the day goes on, so the live feed reads
    them once per day and process, and at midnight rolls them on to the next day (roll_day_inputs)."""

    day: int
    surge_baseline: surges.Baseline
    # The cluster window's earlier orders and the spots' baseline orders (with their received_at: rolling drops
    # the oldest day), each in _in_order's order.
    earlier_orders: pd.DataFrame
    cluster_baseline: pd.DataFrame
    stock_history: dict[str, pd.DataFrame]
    # How many communities the city has (the repeat clusters' budget of chance findings is per community).
    communities: int
    # The sums the surge baseline was built from (rolling adds a day to them and drops one).
    baseline_sums: surges.BaselineSums | None = None
    # What the clusters' search learnt about the day's requests so far (the live feed's next batch reuses it).
    cluster_memo: clusters.ClusterMemo = field(default_factory=clusters.ClusterMemo)


BASELINE_ORDER_COLUMNS = [*clusters.BASELINE_COLUMNS, "received_at"]


def _in_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders by received_at (the cluster window's then by order_no: a cluster's centre is a sum over its orders,
    the same to the bit in the same order; the spots' baseline is only counted), text as Python objects."""
    keys = ["received_at", "order_no"] if "order_no" in orders.columns else ["received_at"]
    # Text as Python objects: every batch takes the window's and the baseline's columns as numpy arrays, and
    # converting Arrow-backed text each time cost more than the rest of a batch's cluster search.
    text = {name: object for name in orders.columns if pd.api.types.is_string_dtype(orders[name])}
    return orders.sort_values(keys, kind="stable").reset_index(drop=True).astype(text)


def read_day_inputs(engine: Engine, day: int, parameters: AlertParameters) -> DayInputs:
    """Read the previous weeks' counts, the cluster window's earlier orders, the spots' usual counts and the
    backlog's previous stocks."""
    start = surges.day_start(day)
    counts = surges.read_grid_counts(engine, day - parameters.baseline_weeks * 7, start)
    sums = surges.sum_counts(counts, day, parameters)
    return DayInputs(
        day,
        surges.baseline_from_sums(sums, parameters),
        _in_order(clusters.read_orders(engine, clusters.window_start(day, parameters), start)),
        _in_order(clusters.read_orders(engine, *clusters.baseline_span(day, parameters), BASELINE_ORDER_COLUMNS)),
        backlog.read_stocks(engine, day - parameters.backlog_days, day - 1, start),
        read_area_counts(engine).get("community", 0),
        sums,
    )


def roll_day_inputs(engine: Engine, inputs: DayInputs, parameters: AlertParameters) -> DayInputs:
    """The next day's inputs from this day's, reading only this day (it must have ended): its grid counts join
    the surge baseline's sums and the oldest day leaves; its orders join the cluster window and the window's
    oldest day moves into the spots' baseline, whose oldest day leaves; its closing stocks join the backlog's
    history and the oldest day leaves. Equal to read_day_inputs of the next day while the earlier days' data
    stay as they were (a load that changes them drops the cache: forget_inputs)."""
    day, following = inputs.day, inputs.day + 1
    start, end = surges.day_start(day), surges.day_start(following)
    sums = surges.roll_sums(inputs.baseline_sums, surges.read_grid_counts(engine, day, end))
    window_start = clusters.window_start(following, parameters)
    earlier = inputs.earlier_orders
    moments = earlier["received_at"].to_numpy()
    leaving = int(np.searchsorted(moments, window_start, side="left"))
    today = _in_order(clusters.read_orders(engine, start, end))
    earlier_orders = pd.concat([earlier.iloc[leaving:], today], ignore_index=True) if len(today) \
        else earlier.iloc[leaving:].reset_index(drop=True)
    baseline = inputs.cluster_baseline
    baseline_start = clusters.baseline_span(following, parameters)[0]
    kept = int(np.searchsorted(baseline["received_at"].to_numpy(), baseline_start, side="left"))
    moved = earlier.iloc[:leaving][BASELINE_ORDER_COLUMNS]
    cluster_baseline = pd.concat([baseline.iloc[kept:], moved], ignore_index=True) if len(moved) \
        else baseline.iloc[kept:].reset_index(drop=True)
    stocks = backlog.extend_stocks(engine, inputs.stock_history, day, end)
    stock_history = {measure: frame.loc[:, following - parameters.backlog_days:following - 1]
                     for measure, frame in stocks.items()}
    return DayInputs(following, surges.baseline_from_sums(sums, parameters), earlier_orders, cluster_baseline,
                     stock_history, inputs.communities, sums)


@dataclass(frozen=True)
class DayData:
    """The day's own data so far: grid counts, the cluster window's orders, the stocks with the day's added."""

    today_counts: pd.DataFrame
    window: pd.DataFrame
    stocks: dict[str, pd.DataFrame]


def read_day_data(engine: Engine, inputs: DayInputs, end: int) -> DayData:
    """What the inputs' day adds, counting its orders received before `end`."""
    day = inputs.day
    today_orders = clusters.read_orders(engine, surges.day_start(day), end)
    window = pd.concat([inputs.earlier_orders, today_orders], ignore_index=True) if len(today_orders) \
        else inputs.earlier_orders
    return DayData(surges.read_grid_counts(engine, day, end), window,
                   backlog.extend_stocks(engine, inputs.stock_history, day, end))


def find_in(inputs: DayInputs, data: DayData, parameters: AlertParameters) -> pd.DataFrame:
    """Every rule's findings for the inputs' day (FINDING_COLUMNS rows)."""
    parts = [surges.find_surges(inputs.surge_baseline, data.today_counts, parameters),
             clusters.find_clusters(inputs.day, data.window, inputs.cluster_baseline, parameters,
                                    inputs.communities, inputs.cluster_memo),
             backlog.find_backlog(data.stocks, parameters)]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=surges.FINDING_COLUMNS)


def find_day(engine: Engine, inputs: DayInputs, end: int, parameters: AlertParameters) -> pd.DataFrame:
    """Every rule's findings for the inputs' day, counting its orders received before `end`."""
    return find_in(inputs, read_day_data(engine, inputs, end), parameters)


def resolve_day(engine: Engine, as_of: date | None, parameters: AlertParameters) -> tuple[int, int]:
    """(local day number, end moment) for a day to compute: the data's current day runs to its "now"."""
    with engine.connect() as connection:
        # Two queries: SQLite answers a lone MIN or MAX from the index, both together by scanning it.
        first = connection.execute(select(func.min(work_orders.c.received_at))).scalar()
        last = connection.execute(select(func.max(work_orders.c.received_at))).scalar()
    if first is None:
        raise AlertDayError("there are no work orders to compute alerts from")
    now = data_now(read_city_facts(engine), time.time())
    now = max(now, int(last))
    current = local_date(now)
    day = as_of or current
    if day > current:
        raise AlertDayError(f"{day.isoformat()} is after the data's last day, {current.isoformat()}")
    earliest = local_date(int(first)) + timedelta(days=parameters.baseline_weeks * 7)
    if day < earliest:
        raise AlertDayError(f"{day.isoformat()} has too little history before it: alerts need "
                            f"{parameters.baseline_weeks} weeks of work orders, so the earliest day is "
                            f"{earliest.isoformat()}")
    number = day_number(day)
    end = surges.day_start(number + 1) if day < current else now + 1
    return number, end


# The live feed's inputs per engine and day: read once, then only the day's own orders; the next day's rolled
# on from them at midnight (other parameters, or a day that does not follow, read them again).
_INPUTS: weakref.WeakKeyDictionary[Engine, tuple[tuple, DayInputs]] = weakref.WeakKeyDictionary()


def _inputs(engine: Engine, day: int, parameters: AlertParameters, cached: bool) -> DayInputs:
    if not cached:
        return read_day_inputs(engine, day, parameters)
    known = _INPUTS.get(engine)
    if known is not None and known[0] == (day, parameters):
        return known[1]
    if known is not None and known[0] == (day - 1, parameters) and known[1].baseline_sums is not None:
        inputs = roll_day_inputs(engine, known[1], parameters)
    else:
        inputs = read_day_inputs(engine, day, parameters)
    _INPUTS[engine] = ((day, parameters), inputs)
    return inputs


def forget_inputs(engine: Engine) -> None:
    """Drop the engine's cached inputs (after a load that changed earlier days)."""
    _INPUTS.pop(engine, None)


def cached_inputs_start(engine: Engine) -> int | None:
    """The start of the day whose inputs the engine has cached (they hold what was received before it), or None."""
    known = _INPUTS.get(engine)
    return None if known is None else surges.day_start(known[1].day)


def compute_alerts(engine: Engine, as_of: date | None = None, parameters: AlertParameters = DEFAULT_PARAMETERS,
                   cached: bool = False) -> pd.DataFrame:
    """Compute and store the alerts of `as_of` (default: the data's current day, up to its "now"); return the
    day's alerts (store.read_alerts(day=…)). Running it again on the same data changes nothing.

    `cached`: reuse the earlier days' inputs read for this day by this process (the live feed).
    AlertDayError for a day that cannot be computed.
    """
    day, end = resolve_day(engine, as_of, parameters)
    findings = find_day(engine, _inputs(engine, day, parameters, cached), end, parameters)
    with engine.begin() as connection:
        store_day(connection, day_number_to_date(day), findings, end - 1, parameters)
    return read_alerts(engine, day=day_number_to_date(day))


def compute_alert_days(engine: Engine, days: int, as_of: date | None = None,
                       parameters: AlertParameters = DEFAULT_PARAMETERS) -> pd.DataFrame:
    """Compute the `days` days ending with `as_of` (default: the data's current day) in order; return the last
    day's alerts. AlertDayError when the first of them cannot be computed."""
    last = as_of or day_number_to_date(resolve_day(engine, None, parameters)[0])
    found = pd.DataFrame()
    for offset in range(days - 1, -1, -1):
        found = compute_alerts(engine, last - timedelta(days=offset), parameters)
    return found


def refresh_current_day(engine: Engine, parameters: AlertParameters = DEFAULT_PARAMETERS) -> int:
    """After a live-feed batch: recompute the current day's alerts (earlier days' inputs cached); return how
    many alerts the day has."""
    return len(compute_alerts(engine, None, parameters, cached=True))


# ---------------------------------------------------------------- an alert's chart


def read_alert_series(engine: Engine, alert_id: int, scope: AreaScope = CITY, days_before: int = 28,
                      days_after: int = 7, parameters: AlertParameters = DEFAULT_PARAMETERS) -> pd.DataFrame:
    """An alert's observed counts per day against what was expected, for its chart: columns day (date),
    observed, expected, upper, flagged — from days_before days before its first day to days_after after its
    last (not past the data). Surges: the area × category's requests; backlog: the open or overdue stock at
    each day's end; clusters: requests of the category within the radius of its centre (expected and upper
    per week-long window, so None per day). Empty when there is no such alert inside the scope."""
    alert = read_alert(engine, alert_id, scope)
    if alert is None:
        return pd.DataFrame(columns=["day", "observed", "expected", "upper", "flagged"])
    with engine.connect() as connection:
        last = connection.execute(select(func.max(work_orders.c.received_at))).scalar()
    now = max(data_now(read_city_facts(engine), time.time()), int(last or 0))
    first_day = day_number(alert["first_day"]) - days_before
    last_day = min(day_number(alert["last_day"]) + days_after, (now + CITY_UTC_OFFSET_SECONDS) // DAY_SECONDS)
    days = np.arange(first_day, last_day + 1)
    end = min(surges.day_start(last_day + 1), now + 1)
    if alert["kind"] == "surge":
        frame = _surge_series(engine, alert, days, end, parameters)
    elif alert["kind"] == "backlog":
        frame = _backlog_series(engine, alert, days, end, parameters)
    else:
        frame = _cluster_series(engine, alert, days, end, parameters)
    flagged = set(alert["days"]["day"])
    frame["day"] = [day_number_to_date(day) for day in days]
    frame["flagged"] = frame["day"].isin(flagged)
    return frame[["day", "observed", "expected", "upper", "flagged"]]


def _surge_series(engine: Engine, alert: dict, days: np.ndarray, end: int,
                  parameters: AlertParameters) -> pd.DataFrame:
    """Each day's count with the level of its own previous weeks (dispersion of the alert's last day)."""
    level, code, category = alert["area_level"], alert["area_code"], alert["category_l1"]
    history = parameters.baseline_weeks * 7
    every = surges.read_grid_counts(engine, int(days[0]) - history, end)
    totals = every.groupby("day", as_index=False)["received"].sum()
    counts = every[(every["category_l1"] == category) & every["grid_code"].str.startswith(code)]
    daily = counts.groupby("day")["received"].sum().reindex(np.arange(days[0] - history, days[-1] + 1),
                                                             fill_value=0)
    inverse = surges.build_baseline(every, day_number(alert["last_day"]), parameters).inverse_size.get(
        (level, category), 0.0)
    expected, upper = [], []
    for day in days:
        baseline_days = np.arange(day - history, day)
        weights = surges.weekday_weights(totals, baseline_days)
        level_of = daily.reindex(baseline_days).sum() / weights[surges.weekday(baseline_days)].sum()
        value = level_of * weights[surges.weekday(day)]
        expected.append(float(value))
        upper.append(float(surges.surge_limits(np.array([value]), np.array([inverse]), history, parameters)[0]))
    return pd.DataFrame({"observed": daily.reindex(days).to_numpy(dtype="int64"), "expected": expected,
                         "upper": upper})


def _backlog_series(engine: Engine, alert: dict, days: np.ndarray, end: int,
                    parameters: AlertParameters) -> pd.DataFrame:
    """Each day's closing stock against the level of the days before it."""
    span = parameters.backlog_days
    code = alert["area_code"]
    scope = AreaScope.of(code[:AREA_LEVELS["community"]] if len(code) > AREA_LEVELS["community"] else code)
    stocks = backlog.read_stocks(engine, int(days[0]) - span, int(days[-1]), end, "community", scope)
    series = stocks[alert["measure"]]
    series = series[series.index.str.startswith(code)].sum().to_numpy(dtype=float)
    expected, upper = [], []
    for index in range(span, len(series)):
        value, limit = backlog.backlog_limits(series[None, index - span:index], parameters)
        expected.append(float(value[0]))
        upper.append(float(limit[0]))
    return pd.DataFrame({"observed": series[span:].astype("int64"), "expected": expected, "upper": upper})


def _cluster_series(engine: Engine, alert: dict, days: np.ndarray, end: int,
                    parameters: AlertParameters) -> pd.DataFrame:
    """Requests of the cluster's category within the radius of its centre, per day."""
    orders = clusters.read_orders(engine, surges.day_start(int(days[0])), end)
    orders = orders[orders["category_l2"] == alert["category_l2"]]
    near = haversine_m(orders["lon"], orders["lat"], alert["centre_lon"], alert["centre_lat"]) \
        <= parameters.cluster_radius_m
    day = (orders["received_at"][near] + CITY_UTC_OFFSET_SECONDS) // DAY_SECONDS
    observed = day.value_counts().reindex(days, fill_value=0).to_numpy(dtype="int64")
    return pd.DataFrame({"observed": observed, "expected": [None] * len(days), "upper": [None] * len(days)})
