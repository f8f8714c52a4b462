"""Closed-loop KPIs of citizen requests: definitions (one place) and their numerators and denominators in SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from data_access.filters import WorkOrderFilter
from data_access.measures import RESPONSE_WINDOW_SECONDS
from data_access.rollups import read_measures

__all__ = ["KPI_COLUMNS", "KPI_DEFINITIONS", "RESPONSE_WINDOW_SECONDS", "KpiDefinition", "read_kpis"]


@dataclass(frozen=True)
class KpiDefinition:
    """A KPI's name and definition in both languages."""

    key: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str


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
                      "(merged duplicates excluded)"),
        KpiDefinition("resolution_rate", "解决率", "Resolution rate",
                      "期内办结且实际解决数 / 期内办结数",
                      "requests resolved in the period as solved / requests resolved in the period"),
        KpiDefinition("satisfaction_rate", "满意率", "Satisfaction rate",
                      "期内回访中（满意＋基本满意）数 / 期内回访数",
                      "(satisfied + basically satisfied) / requests called back in the period"),
        KpiDefinition("repeat_rate", "重复诉求率", "Repeat rate",
                      "期内受理的重复诉求数 / 期内受理诉求数",
                      "requests repeating an earlier one / requests received in the period"),
        KpiDefinition("return_rate", "退单率", "Return rate",
                      "期内受理后被退单的诉求数 / 期内受理诉求数",
                      "requests returned by a department / requests received in the period"),
        KpiDefinition("callback_rate", "回访率", "Call-back rate",
                      "期内办结且已回访数 / 期内办结数",
                      "requests resolved in the period and called back / requests resolved in the period"),
    )
}

KPI_COLUMNS = ["kpi", "numerator", "denominator", "rate"]


def read_kpis(engine: Engine, work_filter: WorkOrderFilter, now: int) -> pd.DataFrame:
    """Return the closed-loop KPIs for the filter: columns kpi, numerator, denominator, rate (NaN when 0/0).

    Each KPI counts over the time column its definition names (received, due, resolved or called back
    within the filter's window; see data_access.measures); due-based counts stop at `now`, since what is
    not yet due cannot be late.
    """
    counts = read_measures(engine, work_filter, [
        "received", "handled", "responded", "repeats", "returned", "resolved", "solved", "resolved_called_back",
        "called_back", "satisfied"]).iloc[0]
    due_filter = replace(work_filter, end=now if work_filter.end is None else min(work_filter.end, now))
    due = read_measures(engine, due_filter, ["due", "due_on_time"]).iloc[0]
    rows = [
        ("response_rate", counts["responded"], counts["handled"]),
        ("on_time_closure_rate", due["due_on_time"], due["due"]),
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
