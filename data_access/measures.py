"""Work-order measures (one place): what each counts and by which timestamp's day, in SQL on the fact table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, and_

from data_access.codes import SATISFIED_ANSWERS

# A request counts as responded to when it is accepted (签收) within this time of being received.
RESPONSE_WINDOW_SECONDS = 2 * 3600

# The timestamps a measure can count by; each is the "basis" of some KPI in DOMAIN.md.
BASES = ("received_at", "due_at", "resolved_at", "called_back_at")


@dataclass(frozen=True)
class Measure:
    """A count of work orders whose `basis` timestamp falls in the window and that meet `condition`."""

    name: str
    basis: str
    condition: Callable[[Table], ColumnElement] | None = None

    def counted(self, orders: Table) -> ColumnElement | None:
        """The SQL condition on the work-orders table (None: every order with the basis timestamp in the window)."""
        return None if self.condition is None else self.condition(orders)


def _handled(orders: Table) -> ColumnElement:
    # A merged duplicate is handled as part of another order: it is never accepted or resolved itself.
    return orders.c.status != "merged"


def _resolved_on_time(orders: Table) -> ColumnElement:
    return and_(orders.c.resolved_at.is_not(None), orders.c.resolved_at <= orders.c.due_at)


MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        # Orders received in the window, and what has become of them since.
        Measure("received", "received_at"),
        Measure("handled", "received_at", _handled),
        Measure("responded", "received_at", lambda orders: and_(
            orders.c.accepted_at.is_not(None),
            orders.c.accepted_at - orders.c.received_at <= RESPONSE_WINDOW_SECONDS)),
        Measure("repeats", "received_at", lambda orders: orders.c.repeat_of.is_not(None)),
        Measure("returned", "received_at", lambda orders: orders.c.returned_at.is_not(None)),
        Measure("open", "received_at", lambda orders: orders.c.is_open),
        Measure("received_resolved", "received_at", lambda orders: orders.c.resolved_at.is_not(None)),
        Measure("received_called_back", "received_at", lambda orders: orders.c.called_back_at.is_not(None)),
        Measure("received_satisfied", "received_at", lambda orders: orders.c.satisfaction.in_(SATISFIED_ANSWERS)),
        Measure("whistles", "received_at", lambda orders: orders.c.whistle),
        Measure("whistles_resolved", "received_at", lambda orders: and_(orders.c.whistle,
                                                                  orders.c.resolved_at.is_not(None))),
        Measure("whistles_open", "received_at", lambda orders: and_(orders.c.whistle, orders.c.is_open)),
        # Orders falling due in the window (merged duplicates have no due handling of their own).
        Measure("due", "due_at", _handled),
        Measure("due_on_time", "due_at", lambda orders: and_(_handled(orders), _resolved_on_time(orders))),
        # Orders resolved in the window.
        Measure("resolved", "resolved_at"),
        Measure("solved", "resolved_at", lambda orders: orders.c.resolution == "solved"),
        Measure("resolved_called_back", "resolved_at", lambda orders: orders.c.called_back_at.is_not(None)),
        Measure("resolved_on_time", "resolved_at", _resolved_on_time),
        # Orders called back in the window.
        Measure("called_back", "called_back_at"),
        Measure("satisfied", "called_back_at", lambda orders: orders.c.satisfaction.in_(SATISFIED_ANSWERS)),
    )
}

MEASURE_NAMES = tuple(MEASURES)
