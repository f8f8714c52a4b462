"""Figures a tile or the wall shows, each beside the same figure for the previous period of equal length.

The previous period is read by the same SQL as the current one (from the rollups where they answer), moved back
by the window's length (WorkOrderFilter.previous_period: a window still running is compared up to the same
point). A previous period reaching back before the first record has no figure ("no previous data"), and neither
have stocks the records keep no history of (members deployed, stations open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from data_access import members, work_orders
from data_access.city_time import DAY_SECONDS, local_day_start
from data_access.filters import WorkOrderFilter
from data_access.kpis import BETTER, HIGHER, KPI_DEFINITIONS, kpi_frame, read_kpi_counts
from data_access.rollups import read_measures
from data_access.schema import member_activities
from data_access.scope import AreaScope
from data_access.sql import read_frame

# Why a figure has no previous value (Figure.missing).
BEFORE_DATA = "before_data"    # the previous period reaches back before the first record
NOT_RECORDED = "not_recorded"  # a stock whose past the records do not keep
EMPTY = "empty"                # a rate with nothing to count in the previous period (0 / 0)
# A day still under way set beside a whole one, which records of dates alone cannot cut at the same hour (members
# active today against all of yesterday): the previous value is shown, no change is claimed.
IN_PROGRESS = "in_progress"
# A change smaller than this is shown as none (it rounds to 0.0 % or 0.0 points).
NO_CHANGE_BELOW = 0.0005


@dataclass(frozen=True)
class Figure:
    """One figure now and in the previous period [previous_start, previous_end) (epoch seconds).

    A rate carries its numerator and denominator; its change is a difference (0.012 = 1.2 points), a count's
    is relative (0.034 = 3.4 %).
    """

    key: str
    value: float | None
    previous: float | None = None
    previous_start: int | None = None
    previous_end: int | None = None
    is_rate: bool = False
    numerator: int | None = None
    denominator: int | None = None
    previous_numerator: int | None = None
    previous_denominator: int | None = None
    missing: str | None = None

    @property
    def better(self) -> str:
        """Which way is better for this figure (kpis.BETTER)."""
        return BETTER[self.key]

    @property
    def change(self) -> float | None:
        """The change against the previous period; None when there is nothing to compare, or a count rose from 0
        (never a division by 0: see from_zero)."""
        if self.value is None or self.previous is None or self.missing == IN_PROGRESS:
            return None
        if self.is_rate:
            return self.value - self.previous
        return None if self.previous == 0 else self.value / self.previous - 1

    @property
    def from_zero(self) -> bool:
        """True for a count that was 0 in the previous period and is not now (a rise with no percentage)."""
        return not self.is_rate and self.previous == 0 and bool(self.value) and self.missing != IN_PROGRESS

    @property
    def verdict(self) -> str | None:
        """'better', 'worse' or 'same' (a change under NO_CHANGE_BELOW, or 0 then and now); None without a
        previous figure."""
        if self.value is None or self.previous is None or self.missing == IN_PROGRESS:
            return None
        if self.from_zero:
            return "better" if (self.value > 0) == (self.better == HIGHER) else "worse"
        change = self.change if self.previous else 0.0
        if abs(change) < NO_CHANGE_BELOW:
            return "same"
        return "better" if (change > 0) == (self.better == HIGHER) else "worse"


def unrecorded(key: str, value: float | None) -> Figure:
    """A stock the records keep no history of: shown with the words "no previous data"."""
    return Figure(key, value, missing=NOT_RECORDED)


def read_first_received(engine: Engine) -> int | None:
    """The earliest received_at of any work order (None when there is none): periods before it have no data."""
    value = read_frame(engine, select(func.min(work_orders.work_orders.c.received_at).label("first"))).iloc[0, 0]
    return None if value is None or value != value else int(value)


def _previous(engine: Engine, work_filter: WorkOrderFilter, now: int) -> tuple[WorkOrderFilter | None, str | None]:
    """The previous period's filter, or None and why."""
    previous = work_filter.previous_period(now)
    if previous is None:
        return None, BEFORE_DATA
    first = read_first_received(engine)
    if first is None or previous.start < first:
        return None, BEFORE_DATA
    return previous, None


def _count(key: str, value: int, previous: int | None, window: WorkOrderFilter | None, missing: str | None) -> Figure:
    return Figure(key, value, previous, window.start if window else None, window.end if window else None,
                  missing=missing)


def _rate(key: str, numerator: int, denominator: int, previous: tuple[int, int] | None,
          window: WorkOrderFilter | None, missing: str | None) -> Figure:
    value = numerator / denominator if denominator else None
    previous_value = previous[0] / previous[1] if previous and previous[1] else None
    if previous is not None and previous_value is None:
        missing = EMPTY
    return Figure(key, value, previous_value, window.start if window else None, window.end if window else None,
                  is_rate=True, numerator=numerator, denominator=denominator,
                  previous_numerator=previous[0] if previous else None,
                  previous_denominator=previous[1] if previous else None, missing=missing)


def read_received_figure(engine: Engine, work_filter: WorkOrderFilter, now: int) -> Figure:
    """Orders received in the filter's window, and in its previous period (key `received`)."""
    previous, missing = _previous(engine, work_filter, now)
    current = int(read_measures(engine, work_filter, ["received"]).iloc[0]["received"])
    before = int(read_measures(engine, previous, ["received"]).iloc[0]["received"]) if previous else None
    return _count("received", current, before, previous, missing)


def read_order_figures(engine: Engine, work_filter: WorkOrderFilter, now: int) -> dict[str, Figure]:
    """The request figures of a window with their previous period's: `received`, every KPI (KPI_DEFINITIONS
    keys, rates with numerator and denominator), and the backlog `open` and `overdue` at `now` (against the
    backlog one window's length earlier)."""
    previous, missing = _previous(engine, work_filter, now)
    counts = read_kpi_counts(engine, work_filter, now)
    before = read_kpi_counts(engine, previous, previous.end) if previous else None
    rates = kpi_frame(counts).set_index("kpi")
    previous_rates = kpi_frame(before).set_index("kpi") if before else None
    figures = {"received": _count("received", counts["received"], before["received"] if before else None, previous,
                                  missing)}
    for key in KPI_DEFINITIONS:
        row = rates.loc[key]
        earlier = None
        if previous_rates is not None:
            earlier = (int(previous_rates.loc[key, "numerator"]), int(previous_rates.loc[key, "denominator"]))
        figures[key] = _rate(key, int(row["numerator"]), int(row["denominator"]), earlier, previous, missing)
    backlog = work_orders.read_backlog(engine, work_filter, now)
    moment = None if previous is None else now - work_filter.window_seconds()
    earlier_backlog = work_orders.read_backlog(engine, work_filter, moment) if moment is not None else None
    # A backlog is a moment's: its previous period is the moment one window's length back.
    at = WorkOrderFilter(moment, moment) if moment is not None else None
    for key in ("open", "overdue"):
        figures[key] = _count(key, backlog[key], earlier_backlog[key] if earlier_backlog else None, at, missing)
    return figures


def read_first_activity(engine: Engine) -> date | None:
    """The earliest member activity date (None when there is none)."""
    value = read_frame(engine, select(func.min(member_activities.c.activity_date).label("first"))).iloc[0, 0]
    if value is None or value != value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def read_member_figures(engine: Engine, scope: AreaScope, today: date) -> dict[str, Figure]:
    """Member figures with their previous period's: active today (against yesterday), active, service hours and
    whistle responses in the 7 days to today (against the 7 days before), and members deployed (no history)."""
    summary = members.read_member_summary(engine, scope, today)
    first = read_first_activity(engine)

    def figure(key: str, column: str, days: int, value: float, missing: str | None = None) -> Figure:
        start = today - timedelta(days=2 * days - 1)
        window = WorkOrderFilter(local_day_start(start), local_day_start(start) + days * DAY_SECONDS)
        if first is None or start < first:
            return Figure(key, value, missing=BEFORE_DATA)
        return _count(key, value, summary[column], window, missing)

    return {
        # Activities carry a date, not a time: today so far against all of yesterday is no comparison.
        "members_active_today": figure("members_active_today", "active_yesterday", 1, summary["active_today"],
                                       IN_PROGRESS),
        "members_active_week": figure("members_active_week", "active_previous_week", 7, summary["active_week"]),
        "service_hours_week": figure("service_hours_week", "hours_previous_week", 7, summary["hours_week"]),
        "whistle_responses_week": figure("whistle_responses_week", "whistle_responses_previous_week", 7,
                                         summary["whistle_responses_week"]),
        "members_deployed": unrecorded("members_deployed", summary["deployed"]),
    }
