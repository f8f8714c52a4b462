"""Work-order measures by day, read from the per-day rollups where they serve the filter, else from work orders.

The rollups (schema.DAILY_ROLLUP_TABLES) hold, per local day × area × dimensions, counts of the measures of
data_access.measures (each rollup the measures its reads need); each has a per-calendar-month twin
(schema.MONTHLY_ROLLUP_TABLES) with the same keys by month. The loader keeps both exact in the load's own
transaction (data_access.rollup_build): a big load rebuilds them, a small one (the live feed) subtracts the
changed orders' old contribution and adds their new one. A read takes whole months from the first (smallest)
rollup's twin, the remaining whole days from that rollup, and only the partial days at the edges of its window
from work_orders; a read no rollup answers (a grid's KPIs, a filter on channel at community level…) counts
work_orders directly.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Integer,
    Numeric,
    Table,
    func,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS
from data_access.codes import AREA_LEVELS
from data_access.filters import WorkOrderFilter, work_order_conditions
from data_access.measures import BASES, MEASURES
from data_access.schema import DAILY_ROLLUP_TABLES, MONTHLY_ROLLUP_TABLES, meta, work_orders
from data_access.sql import count_if, local_day, local_hour, read_columns, read_frame

# Bumped whenever a measure's definition changes (or what the loader keeps beside the rollups, like the member
# activities' previous dates since 4): rollups built under another version are not read.
ROLLUP_VERSION = "4"
ROLLUP_META_KEY = "rollup_version"
AREA_ORDER = ("city", "district", "street", "community", "grid")
# What a read can group by (one key or a tuple of keys): a local day number, one area level, or a dimension.
DIMENSIONS = ("category_l1", "channel", "status", "appeal_type", "hour", "h3_r7", "h3_r8", "h3_r9")
# The filter's value lists and the dimension each restricts.
FILTERED_DIMENSIONS = {"categories": "category_l1", "channels": "channel", "statuses": "status",
                       "appeal_types": "appeal_type"}
TEXT_KEYS = ("code", "category_l1", "channel", "status", "appeal_type")
GROUP_KEYS = ("day", *AREA_LEVELS, *DIMENSIONS)

Group = str | tuple[str, ...] | None


def group_keys(group: Group) -> tuple[str, ...]:
    """The group keys of a read (see GROUP_KEYS); ValueError for an unknown key or two area levels."""
    keys = () if group is None else (group,) if isinstance(group, str) else tuple(group)
    unknown = [key for key in keys if key not in GROUP_KEYS]
    if unknown or sum(key in AREA_LEVELS for key in keys) > 1:
        raise ValueError(f"cannot group work-order measures by {group!r}; choose from {', '.join(GROUP_KEYS)}"
                         " (one area level at most)")
    return keys


def _output_name(key: str) -> str:
    """The column a group key comes back in: `code` for an area level, else the key itself."""
    return "code" if key in AREA_LEVELS else key


@dataclass(frozen=True)
class Rollup:
    """A rollup table: its finest area level, extra dimensions and the measures it keeps."""

    table: Table
    area_level: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    period: str = "day"  # or "month": the key column, holding a local day number (a month's first day)

    @classmethod
    def of(cls, table: Table) -> Rollup:
        names = [column.name for column in table.columns]
        area_level = [name.removesuffix("_code") for name in names if name.endswith("_code")][-1]
        return cls(table, area_level, tuple(name for name in names if name in DIMENSIONS),
                   tuple(name for name in names if name in MEASURES), "month" if "month" in names else "day")

    def serves(self, work_filter: WorkOrderFilter, keys: tuple[str, ...], names: Sequence[str]) -> bool:
        """True when every filter, group key and measure can be answered from this rollup's rows."""
        if any(getattr(work_filter, values) and dimension not in self.dimensions
               for values, dimension in FILTERED_DIMENSIONS.items()):
            return False
        if not coarser_or_same(work_filter.area.level, self.area_level):
            return False
        if any(name not in self.measures for name in names):
            return False
        return all(coarser_or_same(key, self.area_level) if key in AREA_LEVELS
                   else key == "day" or key in self.dimensions for key in keys)


def coarser_or_same(level: str, than: str) -> bool:
    """True when `level` is `than` or above it (city above district … above grid)."""
    return AREA_ORDER.index(level) <= AREA_ORDER.index(than)


# The per-day rollups, smallest first (a read takes the first that answers it), and each one's per-month twin.
ROLLUPS = tuple(Rollup.of(table) for table in DAILY_ROLLUP_TABLES)
MONTHLY = {daily.table.name: Rollup.of(table) for daily, table in zip(ROLLUPS, MONTHLY_ROLLUP_TABLES, strict=True)}
ALL_ROLLUPS = (*ROLLUPS, *MONTHLY.values())
# Every measure counts a subset of one of these (all orders with that basis timestamp).
BASIS_TOTALS = ("received", "due", "resolved", "called_back")

def mark_rollups_built(connection: Connection) -> None:
    """Record that the rollups match work_orders under this version of the measures."""
    connection.execute(meta.delete().where(meta.c.key == ROLLUP_META_KEY))
    connection.execute(meta.insert().values(key=ROLLUP_META_KEY, value=ROLLUP_VERSION))
    _READY.pop(connection.engine, None)


def rollups_built(connection: Connection) -> bool:
    """True when the rollups were built by the loader under this version of the measures."""
    row = connection.execute(select(meta.c.value).where(meta.c.key == ROLLUP_META_KEY)).first()
    return row is not None and row[0] == ROLLUP_VERSION


# Whether an engine's database has current rollups, and when that was read; a load through the engine resets it.
_READY: weakref.WeakKeyDictionary[Engine, tuple[bool, float]] = weakref.WeakKeyDictionary()
READY_RECHECK_SECONDS = 60


def rollups_ready(engine: Engine) -> bool:
    """True when the database holds rollups built under this version of the measures (rechecked each minute)."""
    known = _READY.get(engine)
    if known is None or time.monotonic() - known[1] > READY_RECHECK_SECONDS:
        try:
            with engine.connect() as connection:
                known = (rollups_built(connection), time.monotonic())
        except SQLAlchemyError:
            return False  # no meta table yet: nothing to read from
        _READY[engine] = known
    return known[0]


# ---------------------------------------------------------------- reading


def group_key_columns(table: Table, keys: tuple[str, ...], basis: str | None) -> list[ColumnElement]:
    """Group keys on work_orders (basis = which timestamp gives day and hour) or on a rollup (basis None)."""
    expressions = []
    for key in keys:
        if key in AREA_LEVELS:
            expressions.append(table.c[f"{key}_code"].label("code"))
        elif basis is not None and key == "day":
            expressions.append(local_day(table.c[basis]).label("day"))
        elif basis is not None and key == "hour":
            expressions.append(local_hour(table.c[basis]).label("hour"))
        else:
            expressions.append(table.c[key].label(key))
    return expressions


def _from_orders(engine: Engine, work_filter: WorkOrderFilter, names: Sequence[str],
                 keys: tuple[str, ...]) -> list[pd.DataFrame]:
    """The measures counted on work_orders: one query per basis."""
    frames = []
    for basis in BASES:
        wanted = [name for name in names if MEASURES[name].basis == basis]
        if not wanted:
            continue
        expressions = group_key_columns(work_orders, keys, basis)
        counts = []
        for name in wanted:
            condition = MEASURES[name].counted(work_orders)
            counts.append((func.count() if condition is None else count_if(condition)).label(name))
        statement = select(*expressions, *counts).where(*work_order_conditions(work_orders, work_filter, basis))
        if expressions:
            statement = statement.group_by(*expressions)
        frames.append(read_frame(engine, statement))
    return frames


def _from_rollup(engine: Engine, rollup: Rollup, work_filter: WorkOrderFilter, first_day: int | None,
                 end_day: int | None, names: Sequence[str], keys: tuple[str, ...]) -> pd.DataFrame:
    """The measures summed over the rollup's whole days (a monthly one's whole months) in [first_day, end_day)."""
    table = rollup.table
    conditions = work_filter.area.condition(table)
    if first_day is not None:
        conditions.append(table.c[rollup.period] >= first_day)
    if end_day is not None:
        conditions.append(table.c[rollup.period] < end_day)
    for values, dimension in FILTERED_DIMENSIONS.items():
        if getattr(work_filter, values):
            conditions.append(table.c[dimension].in_(getattr(work_filter, values)))
    expressions = group_key_columns(table, keys, None)
    sums = [func.coalesce(func.sum(table.c[name]), 0).label(name) for name in names]
    statement = select(*expressions, *sums).where(*conditions)
    if expressions:
        statement = statement.group_by(*expressions)
    # Taken as the driver returns them (a grid's rollup is ~10,000 rows a read: as Row objects and tuples, twice
    # the query's own time on SQLite at city scale).
    return read_columns(engine, statement, {column.name: _dtype(column.type) for column in statement.selected_columns})


def _dtype(kind) -> str | type:
    """The frame dtype for a rollup column's SQL type: whole numbers, fractions, or text."""
    if isinstance(kind, Integer):
        return "int64"
    return "float64" if isinstance(kind, Float | Numeric) else object


def _day_of(epoch_seconds: int) -> tuple[int, bool]:
    """(local day number, whether the moment is exactly that day's midnight)."""
    shifted = epoch_seconds + CITY_UTC_OFFSET_SECONDS
    return shifted // DAY_SECONDS, shifted % DAY_SECONDS == 0


def _day_start(day: int) -> int:
    return day * DAY_SECONDS - CITY_UTC_OFFSET_SECONDS


def split_window(work_filter: WorkOrderFilter) -> tuple[tuple[int | None, int | None] | None, list[WorkOrderFilter]]:
    """Split the window into whole local days [first_day, end_day) and the partial-day filters at its edges.

    Returns (None, [work_filter]) when the window holds no whole day.
    """
    first_day = end_day = None
    edges: list[WorkOrderFilter] = []
    if work_filter.start is not None:
        day, midnight = _day_of(work_filter.start)
        first_day = day if midnight else day + 1
    if work_filter.end is not None:
        end_day, _ = _day_of(work_filter.end)
    if first_day is not None and end_day is not None and first_day >= end_day:
        return None, [work_filter]
    if work_filter.start is not None and _day_start(first_day) != work_filter.start:
        edges.append(replace(work_filter, end=_day_start(first_day)))
    if work_filter.end is not None and _day_start(end_day) != work_filter.end:
        edges.append(replace(work_filter, start=_day_start(end_day)))
    return (first_day, end_day), edges


def _month_start(day: int) -> int:
    """The day number of the first day of the calendar month holding `day`."""
    return int(np.datetime64(day, "D").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64))


def _next_month_start(day: int) -> int:
    return int((np.datetime64(day, "D").astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64))


def split_months(rollup: Rollup, keys: tuple[str, ...], first_day: int | None,
                 end_day: int | None) -> list[tuple[Rollup, int | None, int | None, int]]:
    """The whole days [first_day, end_day) as (rollup, first, end, sign) parts whose signed sums add up to the
    window's: whole calendar months from the per-month twin; a month the window covers only part of from the
    per-day rollup, or, when it covers most of it and the read is grouped (a day is many rows), as the whole month
    less the days outside (sign -1: 30 days of every grid across a month boundary read one month and a day or two
    instead of 30 days); all per-day when grouping by day.
    """
    monthly = MONTHLY.get(rollup.table.name)
    if monthly is None or "day" in keys:
        return [(rollup, first_day, end_day, 1)]
    if first_day is None or end_day is None:
        return _split_open(rollup, monthly, first_day, end_day)
    # Taking days off pays when a day is many rows (one per grid, category…), not for the city's one row a day.
    complement = bool(keys)
    parts: list[tuple[Rollup, int | None, int | None, int]] = []
    day = first_day
    while day < end_day:
        month, next_month = _month_start(day), _next_month_start(day)
        last = min(next_month, end_day)
        inside, outside = last - day, (next_month - month) - (last - day)
        if outside == 0:
            parts.append((monthly, month, next_month, 1))
        elif complement and outside + 1 < inside:  # the month and the few days outside: fewer rows than inside
            parts.append((monthly, month, next_month, 1))
            parts += [(rollup, first, end, -1) for first, end in ((month, day), (last, next_month)) if first < end]
        else:
            parts.append((rollup, day, last, 1))
        day = last
    return _merge_adjacent(parts)


def _split_open(rollup: Rollup, monthly: Rollup, first_day: int | None,
                end_day: int | None) -> list[tuple[Rollup, int | None, int | None, int]]:
    """split_months for a window open at one end: whole months to the open end, days at the bounded one."""
    first_month = None if first_day is None else (
        first_day if _month_start(first_day) == first_day else _next_month_start(first_day))
    end_month = None if end_day is None else _month_start(end_day)
    parts = [(monthly, first_month, end_month, 1)]
    if first_day is not None and first_day < first_month:
        parts.append((rollup, first_day, first_month, 1))
    if end_day is not None and end_month < end_day:
        parts.append((rollup, end_month, end_day, 1))
    return parts


def _merge_adjacent(parts: list[tuple[Rollup, int, int, int]]) -> list[tuple[Rollup, int, int, int]]:
    """One range for touching parts of the same rollup and sign (consecutive months are one read)."""
    merged: list[tuple[Rollup, int, int, int]] = []
    for part in sorted(parts, key=lambda part: (part[0].table.name, part[3], part[1])):
        last = merged[-1] if merged else None
        if last is not None and last[0] is part[0] and last[3] == part[3] and last[2] == part[1]:
            merged[-1] = (last[0], last[1], part[2], last[3])
        else:
            merged.append(part)
    return merged


def choose_rollup(engine: Engine, work_filter: WorkOrderFilter, group: Group,
                  names: Sequence[str] = ("received",)) -> Rollup | None:
    """The first (smallest) rollup that answers the read, or None (count work_orders)."""
    if not rollups_ready(engine):
        return None
    keys = group_keys(group)
    return next((rollup for rollup in ROLLUPS if rollup.serves(work_filter, keys, names)), None)


def read_measures(engine: Engine, work_filter: WorkOrderFilter, names: Sequence[str], group: Group = None,
                  use_rollups: bool = True) -> pd.DataFrame:
    """Return the named measures (data_access.measures) for the filter, each counted by its own basis day.

    Without `group`: one row, a column per measure. With `group` (a key or a tuple of keys from GROUP_KEYS):
    one row per key value that has any order, keys first — `day` (local day number), `hour`, `code` (for an
    area level), `category_l1`, `h3_r7`… — then the measures (int64), sorted by the keys.
    """
    keys = group_keys(group)
    unknown = [name for name in names if name not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measures: {', '.join(unknown)}")
    rollup = choose_rollup(engine, work_filter, keys, names) if use_rollups else None
    if rollup is None:
        frames = _from_orders(engine, work_filter, names, keys)
    else:
        days, edges = split_window(work_filter)
        parts = [] if days is None else split_months(rollup, keys, *days)
        frames = [_signed(_from_rollup(engine, part, work_filter, first, end, names, keys), names, sign)
                  for part, first, end, sign in parts]
        for edge in edges:
            frames += _from_orders(engine, edge, names, keys)
        if any(sign < 0 for *_, sign in parts) and keys:
            # A key whose orders all fell on the days taken off sums to nothing: as if never read.
            return _without_empty_rows(_combine(frames, names, [_output_name(key) for key in keys]), names)
    return _combine(frames, names, [_output_name(key) for key in keys])


def _signed(frame: pd.DataFrame, names: Sequence[str], sign: int) -> pd.DataFrame:
    """The frame with its measures negated for a part taken off (sign -1)."""
    if sign > 0:
        return frame
    frame = frame.copy()
    for name in names:
        frame[name] = -frame[name]
    return frame


def _without_empty_rows(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    return frame[(frame[list(names)] != 0).any(axis=1)].reset_index(drop=True)


def _combine(frames: list[pd.DataFrame], names: Sequence[str], key_columns: list[str]) -> pd.DataFrame:
    """Add up partial results (rollup days, edge days, one frame per basis) per key."""
    if not key_columns:
        totals = {name: sum(int(frame[name].iloc[0]) for frame in frames if name in frame and len(frame))
                  for name in names}
        return pd.DataFrame([totals], columns=list(names)).astype("int64")
    parts = [frame for frame in frames if len(frame)]
    if not parts:
        return pd.DataFrame({**{key: pd.Series(dtype=object if key in TEXT_KEYS else "int64")
                                for key in key_columns},
                             **{name: pd.Series(dtype="int64") for name in names}})
    combined = pd.concat(parts, ignore_index=True)
    for name in names:
        combined[name] = combined[name].fillna(0) if name in combined else 0
    combined = combined.groupby(key_columns, sort=True, as_index=False)[list(names)].sum()
    for column in [*(key for key in key_columns if key not in TEXT_KEYS), *names]:
        combined[column] = combined[column].astype("int64")
    return combined.reset_index(drop=True)
