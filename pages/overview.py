"""Overview 一屏总览: the city's headline figures."""

from __future__ import annotations

import time

import streamlit as st

from components.tiles import format_count, format_rate, render_tiles
from data_access import cached
from data_access.filters import WorkOrderFilter, days_window, local_date, reference_now
from data_access.kpis import KPI_DEFINITIONS

facts = cached.load_city_facts()
now = reference_now(facts, time.time())
today = local_date(now)
city = facts.get("city_name_zh", "")
st.title(f"{city} 一屏总览 · {facts.get('city_name_en', '')} at a glance")
if facts.get("synthetic") == "true":
    st.caption("演示数据 · synthetic demo data")

today_window = WorkOrderFilter(*days_window(today, 1))
month_window = WorkOrderFilter(*days_window(today, 30))
received_today = cached.load_order_totals(today_window, now)["received"]
received_month = cached.load_order_totals(month_window, now)["received"]
backlog = cached.load_backlog(WorkOrderFilter(), now)
month_kpis = cached.load_kpis(month_window, now).set_index("kpi")
people = cached.load_member_summary(None, today)
station_counts = cached.load_station_counts()


def kpi_help(key: str) -> str:
    """Definition with numerator and denominator, for a tile's tooltip."""
    definition = KPI_DEFINITIONS[key]
    row = month_kpis.loc[key]
    return (f"{definition.definition_zh} = {row['numerator']:,} / {row['denominator']:,}\n\n"
            f"{definition.definition_en}")


render_tiles([
    ("今日受理 Received today", format_count(received_today), None),
    ("近30日受理 Received, 30 days", format_count(received_month), None),
    ("在办 Open", format_count(backlog["open"]), "尚未办结的诉求 · requests not yet resolved"),
    ("超期 Overdue", format_count(backlog["overdue"]), "在办且已过办理时限 · open and past their due time"),
    ("按期办结率 On-time closure", format_rate(month_kpis.loc["on_time_closure_rate", "rate"]),
     kpi_help("on_time_closure_rate")),
    ("满意率 Satisfaction", format_rate(month_kpis.loc["satisfaction_rate", "rate"]), kpi_help("satisfaction_rate")),
    ("本周报到党员 Members active this week", f"{people['active_week']:,} / {people['deployed']:,}",
     "本周有服务记录的下沉党员 / 在岗下沉党员 · members with an activity this week / members deployed"),
    ("开放阵地 Stations open", format_count(station_counts["open"].sum()), None),
])
st.caption(f"数据截至 Data as of {today.isoformat()}")
