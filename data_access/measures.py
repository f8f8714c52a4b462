"""Work-order measures (one place): what each counts and by which timestamp's day, in SQL and on a loaded frame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Table, and_

from data_access.codes import SATISFIED_ANSWERS

# A request counts as responded to when it is accepted (签收) within this time of being received.
RESPONSE_WINDOW_SECONDS = 2 * 3600

# The timestamps a measure can count by; each is the "basis" of some KPI (kpis.KPI_DEFINITIONS).
BASES = ("received_at", "due_at", "resolved_at", "called_back_at")

Columns = Mapping[str, pd.Series]


def _known(values: pd.Series) -> np.ndarray:
    """A comparison's result with SQL's rule: unknown (NULL) is not true."""
    return values.fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Present:
    """The column has a value (IS NOT NULL)."""

    column: str

    def sql(self, orders: Table) -> ColumnElement:
        return orders.c[self.column].is_not(None)

    def frame(self, columns: Columns) -> np.ndarray:
        return columns[self.column].notna().to_numpy()


@dataclass(frozen=True)
class Equals:
    """The column equals the value (negate: differs from it; NULL is neither)."""

    column: str
    value: str
    negate: bool = False

    def sql(self, orders: Table) -> ColumnElement:
        column = orders.c[self.column]
        return column != self.value if self.negate else column == self.value

    def frame(self, columns: Columns) -> np.ndarray:
        values = columns[self.column]
        result = (values != self.value) if self.negate else (values == self.value)
        return result.to_numpy(dtype=bool) & values.notna().to_numpy()


@dataclass(frozen=True)
class OneOf:
    """The column's value is one of the values."""

    column: str
    values: tuple[str, ...]

    def sql(self, orders: Table) -> ColumnElement:
        return orders.c[self.column].in_(self.values)

    def frame(self, columns: Columns) -> np.ndarray:
        return columns[self.column].isin(self.values).to_numpy(dtype=bool)


@dataclass(frozen=True)
class IsTrue:
    """The boolean column is true."""

    column: str

    def sql(self, orders: Table) -> ColumnElement:
        return orders.c[self.column]

    def frame(self, columns: Columns) -> np.ndarray:
        return _known(columns[self.column].astype("boolean"))


@dataclass(frozen=True)
class NotLater:
    """Both timestamps are given and `column` is at most `seconds` after `than`."""

    column: str
    than: str
    seconds: int = 0

    def sql(self, orders: Table) -> ColumnElement:
        column, than = orders.c[self.column], orders.c[self.than]
        return and_(column.is_not(None), column - than <= self.seconds if self.seconds else column <= than)

    def frame(self, columns: Columns) -> np.ndarray:
        difference = columns[self.column].astype("Int64") - columns[self.than].astype("Int64")
        return _known(difference <= self.seconds)


@dataclass(frozen=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Present | Equals | OneOf | IsTrue | NotLater, ...]

    def sql(self, orders: Table) -> ColumnElement:
        return and_(*(part.sql(orders) for part in self.parts))

    def frame(self, columns: Columns) -> np.ndarray:
        return np.logical_and.reduce([part.frame(columns) for part in self.parts])


Condition = Present | Equals | OneOf | IsTrue | NotLater | AllOf


@dataclass(frozen=True)
class Measure:
    """A count of work orders whose `basis` timestamp falls in the window and that meet `condition`."""

    name: str
    basis: str
    condition: Condition | None = None

    def counted(self, orders: Table) -> ColumnElement | None:
        """The SQL condition on the work-orders table (None: every order with the basis timestamp in the window)."""
        return None if self.condition is None else self.condition.sql(orders)

    def counted_in(self, columns: Columns) -> np.ndarray:
        """The same condition on columns of work orders being loaded (a boolean per row; basis not checked)."""
        if self.condition is None:
            return np.ones(len(columns[self.basis]), dtype=bool)
        return self.condition.frame(columns)


# A merged duplicate is handled as part of another order: it is never accepted or resolved itself.
HANDLED = Equals("status", "merged", negate=True)
RESOLVED_ON_TIME = NotLater("resolved_at", "due_at")
SATISFIED = OneOf("satisfaction", tuple(SATISFIED_ANSWERS))

MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        # Orders received in the window, and what has become of them since.
        Measure("received", "received_at"),
        Measure("handled", "received_at", HANDLED),
        Measure("responded", "received_at", NotLater("accepted_at", "received_at", RESPONSE_WINDOW_SECONDS)),
        Measure("repeats", "received_at", Present("repeat_of")),
        Measure("returned", "received_at", Present("returned_at")),
        Measure("open", "received_at", IsTrue("is_open")),
        Measure("received_resolved", "received_at", Present("resolved_at")),
        Measure("received_called_back", "received_at", Present("called_back_at")),
        Measure("received_satisfied", "received_at", SATISFIED),
        Measure("whistles", "received_at", IsTrue("whistle")),
        Measure("whistles_resolved", "received_at", AllOf((IsTrue("whistle"), Present("resolved_at")))),
        Measure("whistles_open", "received_at", AllOf((IsTrue("whistle"), IsTrue("is_open")))),
        # Orders falling due in the window (merged duplicates have no due handling of their own).
        Measure("due", "due_at", HANDLED),
        Measure("due_on_time", "due_at", AllOf((HANDLED, RESOLVED_ON_TIME))),
        # Orders resolved in the window.
        Measure("resolved", "resolved_at"),
        Measure("solved", "resolved_at", Equals("resolution", "solved")),
        Measure("resolved_called_back", "resolved_at", Present("called_back_at")),
        Measure("resolved_on_time", "resolved_at", RESOLVED_ON_TIME),
        # Orders called back in the window.
        Measure("called_back", "called_back_at"),
        Measure("satisfied", "called_back_at", SATISFIED),
    )
}

MEASURE_NAMES = tuple(MEASURES)
