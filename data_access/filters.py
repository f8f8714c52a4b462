"""The dashboard's shared filter (time range × area × category/channel/status) and its SQL conditions."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Table

from data_access.codes import AREA_LEVELS
from data_access.scope import CITY, AreaScope


@dataclass(frozen=True)
class WorkOrderFilter:
    """Which work orders a view is about; empty tuples mean "all". Change one with dataclasses.replace.

    `start`/`end` are UTC epoch seconds bounding `received_at` (start inclusive, end exclusive);
    `area` is the area scope (the whole city by default).
    """

    start: int | None = None
    end: int | None = None
    area: AreaScope = CITY
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    appeal_types: tuple[str, ...] = ()

    def window_seconds(self) -> int | None:
        """Length of the time window, when both ends are set."""
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def shifted(self, seconds: int) -> WorkOrderFilter:
        """The same filter moved in time (for comparisons with the previous period)."""
        return replace(self, start=None if self.start is None else self.start + seconds,
                       end=None if self.end is None else self.end + seconds)

    def previous_period(self, now: int) -> WorkOrderFilter | None:
        """The window of the same length just before this one (None without a bounded window).

        A window still running at `now` is compared up to the same point: its previous period ends `length`
        before `now`, so today until 15:00 is set against yesterday until 15:00, not against all of yesterday.
        """
        length = self.window_seconds()
        if length is None or length <= 0:
            return None
        cut = min(self.end, max(now, self.start))
        return replace(self, start=self.start - length, end=cut - length)


def group_column_name(level: str) -> str:
    """Return the column that groups rows by this area level."""
    if level not in AREA_LEVELS:
        raise ValueError(f"unknown area level {level!r}; expected one of {', '.join(AREA_LEVELS)}")
    return f"{level}_code"


def work_order_conditions(table: Table, work_filter: WorkOrderFilter, time_column: str = "received_at",
                          with_time: bool = True) -> list[ColumnElement]:
    """SQL conditions for the filter; the time range applies to `time_column`."""
    conditions: list[ColumnElement] = []
    if with_time and work_filter.start is not None:
        conditions.append(table.c[time_column] >= work_filter.start)
    if with_time and work_filter.end is not None:
        conditions.append(table.c[time_column] < work_filter.end)
    conditions += work_filter.area.condition(table)
    for column, values in (("category_l1", work_filter.categories), ("channel", work_filter.channels),
                           ("status", work_filter.statuses), ("appeal_type", work_filter.appeal_types)):
        if values:
            conditions.append(table.c[column].in_(values))
    return conditions
