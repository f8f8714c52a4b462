"""Work-order measures by day, read from the per-day rollups where they serve the filter, else from work orders.

The rollups (schema.ROLLUP_TABLES) hold, per local day × area × dimensions, counts of the measures of
data_access.measures (each rollup the measures its reads need). The loader keeps them exact in the load's own
transaction: a big load rebuilds them, a small one (the live feed) subtracts the changed orders' old
contribution and adds their new one. A read takes whole days from the first (smallest) rollup that has its
measures, filters and keys, and only the partial days at the edges of its window from work_orders; a read
no rollup answers (a grid's KPIs, a filter on channel at community level…) counts work_orders directly.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS
from data_access.codes import AREA_LEVELS, level_of_code
from data_access.filters import WorkOrderFilter, code_range_condition, work_order_conditions
from data_access.measures import BASES, MEASURES
from data_access.member_history import add_previous_date_columns
from data_access.schema import ROLLUP_TABLES, meta, work_orders
from data_access.sql import count_if, local_day, local_hour, read_frame

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

    @classmethod
    def of(cls, table: Table) -> Rollup:
        names = [column.name for column in table.columns]
        area_level = [name.removesuffix("_code") for name in names if name.endswith("_code")][-1]
        return cls(table, area_level, tuple(name for name in names if name in DIMENSIONS),
                   tuple(name for name in names if name in MEASURES))

    def serves(self, work_filter: WorkOrderFilter, keys: tuple[str, ...], names: Sequence[str]) -> bool:
        """True when every filter, group key and measure can be answered from this rollup's rows."""
        if any(getattr(work_filter, values) and dimension not in self.dimensions
               for values, dimension in FILTERED_DIMENSIONS.items()):
            return False
        if work_filter.area_code and not _coarser_or_same(level_of_code(work_filter.area_code), self.area_level):
            return False
        if any(name not in self.measures for name in names):
            return False
        return all(_coarser_or_same(key, self.area_level) if key in AREA_LEVELS
                   else key == "day" or key in self.dimensions for key in keys)


def _coarser_or_same(level: str, than: str) -> bool:
    return AREA_ORDER.index(level) <= AREA_ORDER.index(than)


ROLLUPS = tuple(Rollup.of(table) for table in ROLLUP_TABLES)
# Every measure counts a subset of one of these (all orders with that basis timestamp).
BASIS_TOTALS = ("received", "due", "resolved", "called_back")

# ---------------------------------------------------------------- building and keeping them exact


def _contributions(rollup: Rollup, basis: str, sign: int, only: Table | None):
    """SELECT of the measures counted by `basis`, per local day of that timestamp × the rollup's keys (others 0)."""
    orders = work_orders
    finest = orders.c[f"{rollup.area_level}_code"]
    day, *dimensions = group_key_columns(orders, ("day", *rollup.dimensions), basis)
    keys = [day, finest, *dimensions]
    # Parent codes are prefixes of the finest one: derived from it, so the GROUP BY stays short.
    columns = [day,
               *(func.substr(finest, 1, AREA_LEVELS[level]).label(f"{level}_code")
                 for level in AREA_LEVELS if _coarser_or_same(level, rollup.area_level) and level != rollup.area_level),
               finest.label(finest.name), *dimensions]
    for name in rollup.measures:
        measure = MEASURES[name]
        if measure.basis != basis:
            columns.append(literal_column("0").label(name))
            continue
        condition = measure.counted(orders)
        counted = func.count() if condition is None else count_if(condition)
        columns.append((counted if sign > 0 else -counted).label(name))
    statement = select(*columns).where(orders.c[basis].is_not(None))
    if only is not None:
        statement = statement.where(orders.c.order_no.in_(select(only.c.order_no)))
    return statement.group_by(*keys)


def _add_contributions(connection: Connection, rollup: Rollup, sign: int, only: Table | None) -> None:
    """Add (sign=1) or take away (sign=-1) the orders' contributions (all, or the staged ones) to the rollup."""
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(rollup.table)
    key = [column.name for column in rollup.table.primary_key.columns]
    names = [column.name for column in rollup.table.c]
    for basis in BASES:
        if not any(MEASURES[name].basis == basis for name in rollup.measures):
            continue
        statement = insert.from_select(names, _contributions(rollup, basis, sign, only))
        connection.execute(statement.on_conflict_do_update(
            index_elements=key,
            set_={name: rollup.table.c[name] + statement.excluded[name] for name in rollup.measures}))


def _insert_all(connection: Connection, rollup: Rollup) -> None:
    """Fill an emptied rollup with one INSERT: the per-basis sums added up per key (no row written twice)."""
    bases = [basis for basis in BASES if any(MEASURES[name].basis == basis for name in rollup.measures)]
    parts = union_all(*(_contributions(rollup, basis, 1, None) for basis in bases)).subquery()
    keys = [parts.c[column.name] for column in rollup.table.columns if column.name not in rollup.measures]
    statement = select(*keys, *(func.sum(parts.c[name]).label(name) for name in rollup.measures)).group_by(*keys)
    connection.execute(rollup.table.insert().from_select([column.name for column in rollup.table.columns],
                                                         statement))


def rollup_rows(orders: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every rollup's rows computed from work orders being loaded into an empty table: {table name: rows}.

    The same rows a rebuild from work_orders gives (each measure on its basis day), with the columns of the
    rollup table; the loader writes them in the load's transaction instead of scanning the table it just wrote.
    `orders` has the work_orders columns (timestamps as epoch seconds, one row per order number).
    """
    # Factorised once: grouping small integers is what makes this fast.
    codes = {key: pd.factorize(orders[key], sort=True) for key in
             ("grid_code", "community_code", "street_code", "district_code", "category_l1", "channel", "status",
              "appeal_type", "h3_r7", "h3_r8")}
    counted = {name: measure.counted_in(orders) for name, measure in MEASURES.items()}
    result = {}
    for rollup in ROLLUPS:
        finest = f"{rollup.area_level}_code"
        parts = []
        for basis in BASES:
            names = [name for name in rollup.measures if MEASURES[name].basis == basis]
            if not names:
                continue
            moments = orders[basis].astype("Int64")
            present = moments.notna().to_numpy()
            local = moments.to_numpy(dtype="int64", na_value=0)[present] + CITY_UTC_OFFSET_SECONDS
            keys = {"day": local // DAY_SECONDS, finest: codes[finest][0][present]}
            for dimension in rollup.dimensions:
                keys[dimension] = local % DAY_SECONDS // 3600 if dimension == "hour" else codes[dimension][0][present]
            frame = pd.DataFrame({**keys, **{name: counted[name][present].astype("int64") for name in names}})
            parts.append(frame.groupby(list(keys), sort=False).sum())
        totals = pd.concat(parts).fillna(0).groupby(level=list(range(parts[0].index.nlevels))).sum()
        totals = totals.reset_index()
        for key in (finest, *rollup.dimensions):
            if key != "hour":
                totals[key] = codes[key][1].to_numpy()[totals[key].to_numpy()]
        for level in AREA_LEVELS:
            if f"{level}_code" != finest and _coarser_or_same(level, rollup.area_level):
                totals[f"{level}_code"] = totals[finest].str[:AREA_LEVELS[level]]
        for name in rollup.measures:
            totals[name] = totals[name].astype("int64") if name in totals else 0
        # As _drop_empty: a key whose basis totals are all 0 (say, due orders that were all merged) is not kept.
        totals = totals[totals[[total for total in BASIS_TOTALS if total in rollup.measures]].any(axis=1)]
        result[rollup.table.name] = totals[[column.name for column in rollup.table.columns]]
    return result


def finish_rollups(connection: Connection) -> None:
    """After the rollups were filled: fresh statistics, and the mark that they match work_orders."""
    for rollup in ROLLUPS:
        # Fresh statistics, so the planner picks the day or the area index by the window and the area asked.
        connection.exec_driver_sql(f"ANALYZE {rollup.table.name}")
    _mark_built(connection)


def rebuild_rollups(connection: Connection) -> None:
    """Recompute every rollup from work_orders, inside the caller's transaction."""
    for rollup in ROLLUPS:
        connection.execute(rollup.table.delete())
        if connection.dialect.name == "postgresql":
            # Upserting each basis in turn would leave every row updated up to three times: dead tuples
            # that bloat the table and its indexes until a VACUUM, which cannot run inside the load.
            _insert_all(connection, rollup)
        else:
            # SQLite updates in place, and three upserts of grouped rows beat one sort of the union.
            _add_contributions(connection, rollup, 1, None)
        _drop_empty(connection, rollup)
    finish_rollups(connection)


def _drop_empty(connection: Connection, rollup: Rollup) -> None:
    """Delete keys that count nothing (every measure counts a subset of one of the four basis totals)."""
    columns = rollup.table.c
    totals = [columns[total] == 0 for total in BASIS_TOTALS if total in columns]
    connection.execute(rollup.table.delete().where(*totals))


class RollupChange:
    """Keeps the rollups exact around a write of some work orders: `before()` then write then `after()`."""

    def __init__(self, connection: Connection, order_numbers: Iterable[str]):
        self.connection = connection
        self.staged = Table("rollup_changed_orders", MetaData(), Column("order_no", String(64), primary_key=True),
                            prefixes=["TEMPORARY"])
        # Once each: the same order may arrive in both the CSV and the Open311 file of one load.
        self.order_numbers = list(dict.fromkeys(order_numbers))

    def before(self) -> None:
        """Stage the order numbers and take away their current contribution."""
        self.staged.create(self.connection)
        for start in range(0, len(self.order_numbers), 50_000):
            self.connection.execute(self.staged.insert(),
                                    [{"order_no": number} for number in self.order_numbers[start:start + 50_000]])
        for rollup in ROLLUPS:
            _add_contributions(self.connection, rollup, -1, self.staged)

    def after(self) -> None:
        """Add the staged orders' new contribution and drop keys left with nothing."""
        for rollup in ROLLUPS:
            _add_contributions(self.connection, rollup, 1, self.staged)
            _drop_empty(self.connection, rollup)
        self.staged.drop(self.connection)


def build_rollups(engine: Engine) -> None:
    """Create and fill the rollups of a database loaded before they existed (or under older measures).

    Also adds and fills member activities' previous dates (data_access.member_history), new in version 4.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        add_previous_date_columns(connection)
        for rollup in ROLLUPS:
            # Recreated, not reused: an older version's table may have other columns or indexes.
            rollup.table.drop(connection, checkfirst=True)
            rollup.table.create(connection)
        rebuild_rollups(connection)
    vacuum_rollups(engine)


def vacuum_rollups(engine: Engine) -> None:
    """PostgreSQL: after a rebuild has committed, reclaim the replaced rows (VACUUM cannot run inside the load)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        for rollup in ROLLUPS:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {rollup.table.name}")


def _mark_built(connection: Connection) -> None:
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
    """The measures summed over the rollup's whole days [first_day, end_day)."""
    table = rollup.table
    conditions = [] if not work_filter.area_code else code_range_condition(
        table.c[f"{rollup.area_level}_code"], work_filter.area_code, AREA_LEVELS[rollup.area_level])
    if first_day is not None:
        conditions.append(table.c.day >= first_day)
    if end_day is not None:
        conditions.append(table.c.day < end_day)
    for values, dimension in FILTERED_DIMENSIONS.items():
        if getattr(work_filter, values):
            conditions.append(table.c[dimension].in_(getattr(work_filter, values)))
    expressions = group_key_columns(table, keys, None)
    sums = [func.coalesce(func.sum(table.c[name]), 0).label(name) for name in names]
    statement = select(*expressions, *sums).where(*conditions)
    if expressions:
        statement = statement.group_by(*expressions)
    return read_frame(engine, statement)


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
        frames = [] if days is None else [_from_rollup(engine, rollup, work_filter, *days, names, keys)]
        for edge in edges:
            frames += _from_orders(engine, edge, names, keys)
    return _combine(frames, names, [_output_name(key) for key in keys])


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
