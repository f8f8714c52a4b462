"""Each member activity's previous one of the same kind in the same area: distinct members become a plain count.

A member did some kind of activity in a window exactly when one of their activities of that kind in the window
has no earlier one of that kind inside it, i.e. its previous date (same member, kind and area) is before the
window or absent. Counting those rows needs no DISTINCT, no sort and no hash of member ids, at any window length.
The loader keeps the `previous_in_<level>` columns of member_activities exact in the load's own transaction, and
with them member_activity_days (activities and hours per day, kind and previous date in the city): a city-wide
window's distinct members per kind are then its rows' activities whose previous day is before the window or none.
The same holds across kinds: `previous_any_in_<level>` is each activity's member's previous activity of any kind
in the same area, member_active_days (activities per day and the city's previous date) gives a city-wide window's
distinct members active, and an area's is a plain count of its activities by its level's column.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Connection, func, inspect, or_, select, update

from data_access.schema import MEMBER_HISTORY_LEVELS as HISTORY_LEVELS
from data_access.schema import member_active_days, member_activities, member_activity_days
from data_access.scope import AreaScope
from data_access.sql import count_if

MEMBER_CHUNK = 1000


def previous_column(level: str) -> str:
    """The member_activities column holding the previous date of the same member and kind in the same `level`."""
    return f"previous_in_{level}"


def previous_any_column(level: str) -> str:
    """The member_activities column holding the member's previous date of any kind in the same `level`."""
    return f"previous_any_in_{level}"


# The member_activities column member_active_days counts by.
PREVIOUS_ANY = previous_any_column("city")


def _area(level: str) -> list[str]:
    return [] if level == "city" else [f"{level}_code"]


def _partition(level: str) -> list[str]:
    return ["member_id", "kind", *_area(level)]


def _partition_any(level: str) -> list[str]:
    return ["member_id", *_area(level)]


def _history_columns() -> list[tuple[str, list[str]]]:
    """(column, partition) of every previous-date column: per kind and across kinds, in every level."""
    return [*((previous_column(level), _partition(level)) for level in HISTORY_LEVELS),
            *((previous_any_column(level), _partition_any(level)) for level in HISTORY_LEVELS)]


def previous_dates(activities: pd.DataFrame) -> dict[str, pd.Series]:
    """The previous_in_<level> and previous_any_in_<level> columns for activities loaded into an empty table (ISO
    date strings or None)."""
    def previous(partition: list[str]) -> pd.Series:
        ordered = activities.sort_values([*partition, "activity_date", "activity_id"], kind="stable")
        return (ordered.groupby(partition, sort=False, dropna=False)["activity_date"].shift()
                .reindex(activities.index).astype(object).where(lambda values: values.notna(), None))

    return {column: previous(partition) for column, partition in _history_columns()}


def update_previous_dates(connection: Connection, member_ids: Iterable[str] | None = None) -> None:
    """Recompute the previous_in_<level> and previous_any_in_<level> columns in SQL, for the given members'
    activities (None: everyone's)."""
    table = member_activities
    order = [table.c.activity_date, table.c.activity_id]
    columns = _history_columns()
    lags = [func.lag(table.c.activity_date).over(partition_by=[table.c[name] for name in partition],
                                                 order_by=order).label(column) for column, partition in columns]
    members = None if member_ids is None else sorted(set(member_ids))
    chunks = [None] if members is None else [members[start:start + MEMBER_CHUNK]
                                             for start in range(0, len(members), MEMBER_CHUNK)]
    for chunk in chunks:
        history = select(table.c.activity_id, *lags)
        if chunk is not None:
            history = history.where(table.c.member_id.in_(chunk))
        history = history.subquery()
        connection.execute(update(table).where(table.c.activity_id == history.c.activity_id)
                           .values({column: history.c[column] for column, _ in columns}))


def _distinct_where_in(connection: Connection, wanted, key, values: Iterable) -> set:
    """The distinct `wanted` of member_activities whose `key` is one of `values`, asked MEMBER_CHUNK values at a
    time (a bounded IN list)."""
    values = sorted(set(values))
    return {found for start in range(0, len(values), MEMBER_CHUNK)
            for found in connection.execute(select(wanted).distinct()
                                            .where(key.in_(values[start:start + MEMBER_CHUNK]))).scalars()}


def members_of(connection: Connection, activity_ids: Iterable[str]) -> set[str]:
    """The members the stored activities with these ids are of (an upsert may give one to another member)."""
    return _distinct_where_in(connection, member_activities.c.member_id, member_activities.c.activity_id,
                              activity_ids)


def activity_days_of(connection: Connection, member_ids: Iterable[str]) -> set[date]:
    """The days holding an activity of these members."""
    return _distinct_where_in(connection, member_activities.c.activity_date, member_activities.c.member_id,
                              member_ids)


def count_activity_days(connection: Connection, days: Iterable[date] | None = None) -> None:
    """Recount member_activity_days and member_active_days from member_activities (and their previous_in_city and
    previous_any_in_city): every day, or these."""
    table = member_activities
    previous_any = table.c[PREVIOUS_ANY]
    recounts = [
        (member_activity_days,
         select(table.c.activity_date, table.c.kind, table.c.previous_in_city, func.count(), func.sum(table.c.hours))
         .group_by(table.c.activity_date, table.c.kind, table.c.previous_in_city)),
        (member_active_days,
         select(table.c.activity_date, previous_any, func.count()).group_by(table.c.activity_date, previous_any)),
    ]
    chunks = None if days is None else sorted(set(days))
    for rollup, counted in recounts:
        names = [column.name for column in rollup.columns]
        if chunks is None:
            connection.execute(rollup.delete())
            connection.execute(rollup.insert().from_select(names, counted))
            continue
        for start in range(0, len(chunks), MEMBER_CHUNK):
            chunk = chunks[start:start + MEMBER_CHUNK]
            connection.execute(rollup.delete().where(rollup.c.day.in_(chunk)))
            connection.execute(rollup.insert().from_select(names, counted.where(table.c.activity_date.in_(chunk))))


def add_previous_date_columns(connection: Connection) -> None:
    """Give an older database's member_activities the previous-date columns and index, and fill them."""
    table = member_activities
    have = {column["name"] for column in inspect(connection).get_columns(table.name)}
    preparer = connection.dialect.identifier_preparer
    for column in table.columns:
        if column.name not in have:
            kind = column.type.compile(dialect=connection.dialect)
            connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {preparer.quote(column.name)} {kind}")
    for index in table.indexes:
        index.create(connection, checkfirst=True)
    update_previous_dates(connection)
    count_activity_days(connection)


def distinct_members_counted(scope: AreaScope, start: date) -> ColumnElement:
    """COUNT of distinct members among the activities selected from `start` on inside the scope."""
    previous = member_activities.c[previous_column(scope.level)]
    return count_if(or_(previous.is_(None), previous < start))
