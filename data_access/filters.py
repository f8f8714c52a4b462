"""The dashboard's shared filter (time range × area × category/channel/status) and its SQL conditions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table

from data_access.codes import AREA_LEVELS, level_of_code


@dataclass(frozen=True)
class WorkOrderFilter:
    """Which work orders a view is about; empty tuples mean "all".

    `start`/`end` are UTC epoch seconds bounding `received_at` (start inclusive, end exclusive);
    `area_code` is a code of any level (6, 9, 12 or 15 digits) or None for the whole city.
    """

    start: int | None = None
    end: int | None = None
    area_code: str | None = None
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
        return WorkOrderFilter(
            None if self.start is None else self.start + seconds,
            None if self.end is None else self.end + seconds,
            self.area_code, self.categories, self.channels, self.statuses, self.appeal_types,
        )


def area_column_name(code: str | None) -> str | None:
    """Return the denormalised column that filters by this area code (None for the whole city)."""
    if not code:
        return None
    return f"{level_of_code(code)}_code"


def group_column_name(level: str) -> str:
    """Return the column that groups rows by this area level."""
    if level not in AREA_LEVELS:
        raise ValueError(f"unknown area level {level!r}; expected one of {', '.join(AREA_LEVELS)}")
    return f"{level}_code"


GRID_CODE_DIGITS = AREA_LEVELS["grid"]


def area_condition(table: Table, code: str | None) -> list[ColumnElement]:
    """Conditions restricting a table with district…grid code columns to one area.

    Work orders are filtered as a range of grid codes, all digits (collation-safe), so the one
    (grid_code, received_at) index serves every level.
    """
    column = area_column_name(code)
    if column is None:
        return []
    if table.name == "work_orders" and column != "grid_code":
        return code_range_condition(table.c.grid_code, code, GRID_CODE_DIGITS)
    return [table.c[column] == code]


def code_range_condition(column: ColumnElement, code: str, digits: int) -> list[ColumnElement]:
    """Rows of `column` (codes of `digits` digits) inside the area `code`: a range, since codes nest by prefix."""
    padding = digits - len(code)
    return [column >= code + "0" * padding, column <= code + "9" * padding]


def work_order_conditions(table: Table, work_filter: WorkOrderFilter, time_column: str = "received_at",
                          with_time: bool = True) -> list[ColumnElement]:
    """SQL conditions for the filter; the time range applies to `time_column`."""
    conditions: list[ColumnElement] = []
    if with_time and work_filter.start is not None:
        conditions.append(table.c[time_column] >= work_filter.start)
    if with_time and work_filter.end is not None:
        conditions.append(table.c[time_column] < work_filter.end)
    conditions += area_condition(table, work_filter.area_code)
    for column, values in (("category_l1", work_filter.categories), ("channel", work_filter.channels),
                           ("status", work_filter.statuses), ("appeal_type", work_filter.appeal_types)):
        if values:
            conditions.append(table.c[column].in_(values))
    return conditions
