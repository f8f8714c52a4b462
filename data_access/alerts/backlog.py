"""Backlog jumps: a street or community whose open (or overdue) orders at the end of the day rose well above
its own level of the previous two weeks (docs/alerts.md). The stocks come from the per-day rollups."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data_access.alerts.model import AlertParameters, upper_limit
from data_access.alerts.surges import FINDING_COLUMNS, day_start, explained_by_descendants
from data_access.codes import AREA_LEVELS
from data_access.filters import WorkOrderFilter
from data_access.rollups import read_measures
from data_access.scope import CITY, AreaScope

BACKLOG_LEVELS = ("street", "community")
BACKLOG_MEASURES = ("open", "overdue")
# Open at a moment: received and not merged, less resolved; overdue: due and not resolved by the due time,
# less resolved late — each counted by its own day in the rollups (data_access.measures).
STOCK_INPUTS = ["handled", "resolved", "due", "due_on_time", "resolved_on_time"]


def read_stocks(engine: Engine, first_day: int, last_day: int, end: int, level: str = "community",
                scope: AreaScope = CITY) -> dict[str, pd.DataFrame]:
    """Open and overdue orders per area of `level` at the end of each day first_day … last_day, the last one
    at `end` instead (epoch seconds; "now" on the current day): {measure: frame of areas × days}."""
    before = read_measures(engine, WorkOrderFilter(None, day_start(first_day), scope), STOCK_INPUTS, level)
    daily = read_measures(engine, WorkOrderFilter(day_start(first_day), end, scope), STOCK_INPUTS, (level, "day"))
    changes = {
        "open": lambda frame: frame["handled"] - frame["resolved"],
        "overdue": lambda frame: frame["due"] - frame["due_on_time"] - frame["resolved"] + frame["resolved_on_time"],
    }
    days = np.arange(first_day, last_day + 1)
    codes = sorted(set(before["code"]) | set(daily["code"]))
    stocks = {}
    for measure, change in changes.items():
        start = pd.Series(change(before).to_numpy(), index=before["code"]).reindex(codes, fill_value=0)
        steps = (pd.DataFrame({"code": daily["code"], "day": daily["day"], "change": change(daily)})
                 .pivot_table(index="code", columns="day", values="change", aggfunc="sum", fill_value=0)
                 .reindex(index=codes, columns=days, fill_value=0))
        stocks[measure] = steps.cumsum(axis=1).add(start, axis=0).astype("int64")
    return stocks


def backlog_limits(history: np.ndarray, parameters: AlertParameters) -> tuple[np.ndarray, np.ndarray]:
    """(expected, upper) per row of `history` (areas × previous days' stocks): the mean level, and the highest
    stock that is no jump: the negative binomial limit, at least min_ratio × and min_jump above the level."""
    expected = history.mean(axis=1) if history.shape[1] else np.zeros(history.shape[0])
    squared = float(np.sum(np.square(expected)) * history.shape[1])
    deviation = float(np.sum(np.square(history - expected[:, None]) - history))
    inverse = max(0.0, deviation / squared) if squared > 0 else 0.0
    limit = upper_limit(np.maximum(expected, parameters.min_expected), inverse, parameters.alpha)
    upper = np.maximum.reduce([limit, np.floor(expected * parameters.backlog_min_ratio),
                               np.floor(expected + parameters.backlog_min_jump)])
    return expected, upper


def find_backlog(stocks: dict[str, pd.DataFrame], parameters: AlertParameters) -> pd.DataFrame:
    """Backlog jumps on the stocks' last day (read_stocks at community level, the previous backlog_days days
    first): one row per flagged area × measure, a street left out when its flagged communities explain it."""
    rows = []
    for measure, community in stocks.items():
        for level in BACKLOG_LEVELS:
            frame = community.groupby(community.index.str[:AREA_LEVELS[level]]).sum()
            values = frame.to_numpy(dtype=float)
            if values.shape[1] < 2:
                continue
            observed = values[:, -1]
            expected, upper = backlog_limits(values[:, :-1], parameters)
            flagged = observed > upper
            rows.append(pd.DataFrame({"area_code": frame.index[flagged], "area_level": level, "measure": measure,
                                      "observed": observed[flagged].astype("int64"),
                                      "expected": expected[flagged], "upper": upper[flagged]}))
    found = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if found.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    found = found[~explained_by_descendants(found, "measure", BACKLOG_LEVELS)]
    return found.assign(kind="backlog", category_l1=None, category_l2=None, centre_lon=None, centre_lat=None,
                        order_nos=None)[FINDING_COLUMNS].reset_index(drop=True)


def extend_stocks(engine: Engine, history: dict[str, pd.DataFrame], day: int, end: int) -> dict[str, pd.DataFrame]:
    """The history's stocks (read_stocks up to the day before `day`) with `day` added, its stock taken at `end`."""
    changes = read_measures(engine, WorkOrderFilter(day_start(day), end), STOCK_INPUTS, "community")
    change = {"open": changes["handled"] - changes["resolved"],
              "overdue": changes["due"] - changes["due_on_time"] - changes["resolved"] + changes["resolved_on_time"]}
    extended = {}
    for measure, stocks in history.items():
        codes = sorted(set(stocks.index) | set(changes["code"]))
        frame = stocks.reindex(codes, fill_value=0)
        last = frame.iloc[:, -1] if frame.shape[1] else pd.Series(0, index=codes)
        frame[day] = last + pd.Series(change[measure].to_numpy(), index=changes["code"]).reindex(codes, fill_value=0)
        extended[measure] = frame.astype("int64")
    return extended
