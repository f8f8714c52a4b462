"""Closed-loop KPIs of citizen requests: definitions (one place) and their numerators and denominators in SQL.

Here too, once for every figure a tile or the wall shows: which way is better (the colour of its change against
the previous period) and, for the rates that have one, the norm the city holds them to (the colour classes of
its maps).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from data_access.filters import WorkOrderFilter
from data_access.measures import RESPONSE_WINDOW_SECONDS
from data_access.rollups import read_measures

__all__ = ["BETTER", "HIGHER", "KPI_COLUMNS", "KPI_DEFINITIONS", "LOWER", "RESPONSE_WINDOW_SECONDS",
           "KpiDefinition", "read_kpi_counts", "read_kpis"]

# Which way a figure should move.
HIGHER, LOWER = "higher", "lower"


@dataclass(frozen=True)
class KpiDefinition:
    """A KPI's name and definition in both languages, which way is better, and the norm it is held to (None: no
    norm is set, its maps class it against the average of the areas shown)."""

    key: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    better: str = HIGHER
    norm: float | None = None


# The norms are this project's choice for the demo (the domain notes give none; Wuhan's 95.2 % satisfaction is a
# scale reference): a city sets its own here, the one place the maps read them from (README, "What the map colours
# mean").
KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    kpi.key: kpi
    for kpi in (
        KpiDefinition("response_rate", "响应率", "Response rate",
                      "受理后2小时内签收的诉求数 / 期内受理诉求数（不含合并的重复件）",
                      "requests accepted within 2 hours of receipt / requests received in the period "
                      "(merged duplicates excluded)"),
        KpiDefinition("on_time_closure_rate", "按期办结率", "On-time closure rate",
                      "期内到期诉求中按期办结数 / 期内到期诉求数（不含合并的重复件）",
                      "requests due in the period resolved by their due time / requests due in the period "
                      "(merged duplicates excluded)", norm=0.95),
        KpiDefinition("resolution_rate", "解决率", "Resolution rate",
                      "期内办结且实际解决数 / 期内办结数",
                      "requests resolved in the period as solved / requests resolved in the period"),
        KpiDefinition("satisfaction_rate", "满意率", "Satisfaction rate",
                      "期内回访中（满意＋基本满意）数 / 期内回访数",
                      "(satisfied + basically satisfied) / requests called back in the period", norm=0.90),
        KpiDefinition("repeat_rate", "重复诉求率", "Repeat rate",
                      "期内受理的重复诉求数 / 期内受理诉求数",
                      "requests repeating an earlier one / requests received in the period", better=LOWER),
        KpiDefinition("return_rate", "退单率", "Return rate",
                      "期内受理后被退单的诉求数 / 期内受理诉求数",
                      "requests returned by a department / requests received in the period", better=LOWER),
        KpiDefinition("callback_rate", "回访率", "Call-back rate",
                      "期内办结且已回访数 / 期内办结数",
                      "requests resolved in the period and called back / requests resolved in the period"),
    )
}

# Which way is better for every figure shown with its change (data_access.figures): the KPIs as defined above,
# and the counts beside them. More requests, backlog and overdue orders mean more unsolved problems.
BETTER: dict[str, str] = {
    **{key: kpi.better for key, kpi in KPI_DEFINITIONS.items()},
    "received": LOWER,
    "open": LOWER,
    "overdue": LOWER,
    "members_deployed": HIGHER,
    "members_active_today": HIGHER,
    "members_active_week": HIGHER,
    "service_hours_week": HIGHER,
    "whistle_responses_week": HIGHER,
    "stations": HIGHER,
    "stations_open": HIGHER,
    "residents_covered": HIGHER,
    "grids_covered": HIGHER,
}
# Member coverage (members deployed / the community's target) and station walking coverage are held to all of it.
FULL_COVERAGE = 1.0

KPI_COLUMNS = ["kpi", "numerator", "denominator", "rate"]
# The measures read_kpis adds up, by the window they are counted in (received, resolved or called back / due).
WINDOW_MEASURES = ["received", "handled", "responded", "repeats", "returned", "resolved", "solved",
                   "resolved_called_back", "called_back", "satisfied"]
DUE_MEASURES = ["due", "due_on_time"]


def read_kpi_counts(engine: Engine, work_filter: WorkOrderFilter, now: int) -> dict[str, int]:
    """Return the counts the KPIs are made of (WINDOW_MEASURES in the filter's window, DUE_MEASURES due in it
    by `now`): what is not yet due cannot be late."""
    counts = read_measures(engine, work_filter, WINDOW_MEASURES).iloc[0]
    due_filter = replace(work_filter, end=now if work_filter.end is None else min(work_filter.end, now))
    due = read_measures(engine, due_filter, DUE_MEASURES).iloc[0]
    return {**{name: int(counts[name]) for name in WINDOW_MEASURES}, **{name: int(due[name]) for name in DUE_MEASURES}}


def read_kpis(engine: Engine, work_filter: WorkOrderFilter, now: int) -> pd.DataFrame:
    """Return the closed-loop KPIs for the filter: columns kpi, numerator, denominator, rate (NaN when 0/0).

    Each KPI counts over the time column its definition names (received, due, resolved or called back
    within the filter's window; see data_access.measures); due-based counts stop at `now`, since what is
    not yet due cannot be late.
    """
    return kpi_frame(read_kpi_counts(engine, work_filter, now))


def kpi_frame(counts: dict[str, int]) -> pd.DataFrame:
    """The KPI rows (KPI_COLUMNS) made of read_kpi_counts' counts."""
    rows = [
        ("response_rate", counts["responded"], counts["handled"]),
        ("on_time_closure_rate", counts["due_on_time"], counts["due"]),
        ("resolution_rate", counts["solved"], counts["resolved"]),
        ("satisfaction_rate", counts["satisfied"], counts["called_back"]),
        ("repeat_rate", counts["repeats"], counts["received"]),
        ("return_rate", counts["returned"], counts["received"]),
        ("callback_rate", counts["resolved_called_back"], counts["resolved"]),
    ]
    frame = pd.DataFrame(rows, columns=KPI_COLUMNS[:3])
    frame["numerator"] = frame["numerator"].astype("int64")
    frame["denominator"] = frame["denominator"].astype("int64")
    frame["rate"] = frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    return frame
