"""Closed-loop KPIs of citizen requests: definitions (one place) and their numerators and denominators in SQL."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data_access.codes import SATISFIED_ANSWERS
from data_access.filters import WorkOrderFilter, work_order_conditions
from data_access.schema import work_orders
from data_access.sql import count_if, read_frame

# A request counts as responded to when it is accepted (签收) within this time of being received.
RESPONSE_WINDOW_SECONDS = 2 * 3600


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
    within the filter's window); due-based counts stop at `now`, since what is not yet due cannot be late.
    """
    table = work_orders
    # A merged duplicate is handled as part of another order: it is never accepted or resolved itself.
    handled = table.c.status != "merged"
    received = read_frame(engine, select(
        func.count().label("received"),
        count_if(handled).label("handled"),
        count_if(and_(table.c.accepted_at.is_not(None),
                      table.c.accepted_at - table.c.received_at <= RESPONSE_WINDOW_SECONDS)).label("responded"),
        count_if(table.c.repeat_of.is_not(None)).label("repeats"),
        count_if(table.c.returned_at.is_not(None)).label("returned"),
    ).where(*work_order_conditions(table, work_filter, "received_at"))).iloc[0]

    due_filter = WorkOrderFilter(work_filter.start, now if work_filter.end is None else min(work_filter.end, now),
                                 work_filter.area_code, work_filter.categories, work_filter.channels,
                                 work_filter.statuses, work_filter.appeal_types)
    due = read_frame(engine, select(
        func.count().label("due"),
        count_if(and_(table.c.resolved_at.is_not(None), table.c.resolved_at <= table.c.due_at)).label("on_time"),
    ).where(handled, *work_order_conditions(table, due_filter, "due_at"))).iloc[0]

    resolved = read_frame(engine, select(
        func.count().label("resolved"),
        count_if(table.c.resolution == "solved").label("solved"),
        count_if(table.c.called_back_at.is_not(None)).label("called_back"),
    ).where(*work_order_conditions(table, work_filter, "resolved_at"))).iloc[0]

    called_back = read_frame(engine, select(
        func.count().label("called_back"),
        count_if(table.c.satisfaction.in_(SATISFIED_ANSWERS)).label("satisfied"),
    ).where(*work_order_conditions(table, work_filter, "called_back_at"))).iloc[0]

    rows = [
        ("response_rate", received["responded"], received["handled"]),
        ("on_time_closure_rate", due["on_time"], due["due"]),
        ("resolution_rate", resolved["solved"], resolved["resolved"]),
        ("satisfaction_rate", called_back["satisfied"], called_back["called_back"]),
        ("repeat_rate", received["repeats"], received["received"]),
        ("return_rate", received["returned"], received["received"]),
        ("callback_rate", resolved["called_back"], resolved["resolved"]),
    ]
    frame = pd.DataFrame(rows, columns=KPI_COLUMNS[:3])
    frame["numerator"] = frame["numerator"].astype("int64")
    frame["denominator"] = frame["denominator"].astype("int64")
    frame["rate"] = frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    return frame
