"""Building the per-day rollups and keeping them exact inside a load's transaction (data_access.rollups says what
they are and reads them)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, func, literal_column, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS
from data_access.codes import AREA_LEVELS
from data_access.db import vacuum_tables
from data_access.measures import BASES, MEASURES
from data_access.rollups import (
    ALL_ROLLUPS,
    BASIS_TOTALS,
    Rollup,
    coarser_or_same,
    group_key_columns,
    mark_rollups_built,
)
from data_access.schema import work_orders
from data_access.sql import count_if, local_month


def _contributions(rollup: Rollup, basis: str, sign: int, only: Table | None):
    """SELECT of the measures counted by `basis`, per local day (month) of that timestamp × the rollup's keys
    (others 0)."""
    orders = work_orders
    finest = orders.c[f"{rollup.area_level}_code"]
    day, *dimensions = group_key_columns(orders, ("day", *rollup.dimensions), basis)
    if rollup.period == "month":
        day = local_month(orders.c[basis]).label("month")
    keys = [day, finest, *dimensions]
    # Parent codes are prefixes of the finest one: derived from it, so the GROUP BY stays short.
    columns = [day,
               *(func.substr(finest, 1, AREA_LEVELS[level]).label(f"{level}_code")
                 for level in AREA_LEVELS if coarser_or_same(level, rollup.area_level) and level != rollup.area_level),
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
    for rollup in ALL_ROLLUPS:
        finest = f"{rollup.area_level}_code"
        parts = []
        for basis in BASES:
            names = [name for name in rollup.measures if MEASURES[name].basis == basis]
            if not names:
                continue
            moments = orders[basis].astype("Int64")
            present = moments.notna().to_numpy()
            local = moments.to_numpy(dtype="int64", na_value=0)[present] + CITY_UTC_OFFSET_SECONDS
            days = local // DAY_SECONDS
            if rollup.period == "month":
                days = days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype("int64")
            keys = {rollup.period: days, finest: codes[finest][0][present]}
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
            if f"{level}_code" != finest and coarser_or_same(level, rollup.area_level):
                totals[f"{level}_code"] = totals[finest].str[:AREA_LEVELS[level]]
        for name in rollup.measures:
            totals[name] = totals[name].astype("int64") if name in totals else 0
        # As _drop_empty: a key whose basis totals are all 0 (say, due orders that were all merged) is not kept.
        totals = totals[totals[[total for total in BASIS_TOTALS if total in rollup.measures]].any(axis=1)]
        result[rollup.table.name] = totals[[column.name for column in rollup.table.columns]]
    return result


def finish_rollups(connection: Connection) -> None:
    """After the rollups were filled: fresh statistics, and the mark that they match work_orders."""
    for rollup in ALL_ROLLUPS:
        # Fresh statistics, so the planner picks the day or the area index by the window and the area asked.
        connection.exec_driver_sql(f"ANALYZE {rollup.table.name}")
    mark_rollups_built(connection)


def rebuild_rollups(connection: Connection) -> None:
    """Recompute every rollup from work_orders, inside the caller's transaction."""
    for rollup in ALL_ROLLUPS:
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
        for rollup in ALL_ROLLUPS:
            _add_contributions(self.connection, rollup, -1, self.staged)

    def after(self) -> None:
        """Add the staged orders' new contribution and drop keys left with nothing."""
        for rollup in ALL_ROLLUPS:
            _add_contributions(self.connection, rollup, 1, self.staged)
            _drop_empty(self.connection, rollup)
        self.staged.drop(self.connection)


def vacuum_rollups(engine: Engine) -> None:
    """PostgreSQL: after a rebuild has committed, reclaim the replaced rows (VACUUM cannot run inside the load)."""
    vacuum_tables(engine, [rollup.table.name for rollup in ALL_ROLLUPS])
