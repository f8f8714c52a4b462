"""Overview 一屏总览: headline figures, the central map, trend, categories, ranking and the latest requests."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from components import cached, charts, context, maps
from components.i18n import code_label
from components.tiles import format_count, format_rate, render_tiles
from components.views import (
    format_time,
    render_empty,
    render_geojson_download,
    render_header,
    render_legend,
    render_map,
    render_table,
)
from data_access import codes
from data_access.city_time import days_window
from data_access.filters import WorkOrderFilter
from data_access.kpis import KPI_DEFINITIONS

page = context.current()
language, selection, now = page.language, page.selection, page.now
work_filter = selection.work_filter()
render_header(page, "page.overview")


t = page.t


def kpi_help(frame, key: str) -> str:
    """Definition with its numerator and denominator."""
    definition = KPI_DEFINITIONS[key]
    row = frame.loc[key]
    text = definition.definition_en if language == "en" else definition.definition_zh
    return t("kpi.formula", definition=text, numerator=f"{row['numerator']:,}", denominator=f"{row['denominator']:,}")


today_filter = WorkOrderFilter(*days_window(page.today, 1), selection.area_code, selection.categories,
                               selection.channels, selection.statuses)
received_today = cached.load_order_totals(today_filter, now)["received"]
totals = cached.load_order_totals(work_filter, now)
backlog = cached.load_backlog(work_filter, now)
rates = cached.load_kpis(work_filter, now).set_index("kpi")
people = cached.load_member_summary(selection.area_code, page.today)
station_counts = cached.load_station_counts(selection.area_code)

render_tiles([
    (t("tile.received_today"), format_count(received_today), None),
    (t("tile.received_range"), format_count(totals["received"]), None),
    (t("tile.open"), format_count(backlog["open"]), t("tile.open.help")),
    (t("tile.overdue"), format_count(backlog["overdue"]), t("tile.overdue.help")),
    (t("tile.on_time"), format_rate(rates.loc["on_time_closure_rate", "rate"]),
     kpi_help(rates, "on_time_closure_rate")),
    (t("tile.satisfaction"), format_rate(rates.loc["satisfaction_rate", "rate"]),
     kpi_help(rates, "satisfaction_rate")),
    (t("tile.members_week"), f"{people['active_week']:,} / {people['deployed']:,}", t("tile.members_week.help")),
    (t("tile.stations_open"), format_count(station_counts["open"].sum()), None),
])

if totals["received"] == 0:
    render_empty(page)

child = codes.CHILD_LEVEL.get(selection.level)
shown_level = child or selection.level
parent = selection.area_code if child else selection.area_code[:-3] if selection.area_code else None
area_shapes = cached.load_areas(shown_level, parent)
if child is None:
    area_shapes = area_shapes[area_shapes["code"] == selection.area_code]
counts = cached.load_counts_by_area(work_filter, shown_level, now, parent)
area_data = area_shapes.merge(counts[["code", "received", "open", "overdue", "per_10k"]], on="code", how="left")
area_data["name"] = area_data["name_en" if language == "en" else "name_zh"]

map_column, side_column = st.columns([3, 2], gap="medium")
with map_column:
    st.subheader(t("overview.map"))
    choropleth, breaks = maps.build_choropleth_layer(area_data, shown_level, "per_10k", "load", "name", alpha=110)
    heat = cached.load_h3_heat(work_filter, maps.h3_resolution_for(*maps.bounds_of(area_data)), now)
    heat_layer, _ = maps.build_h3_layer(heat)
    layers = [choropleth, *maps.build_base_layers(cached.load_water(), cached.load_areas("district")), heat_layer,
              maps.build_label_layer(maps.build_area_labels(area_data, language))]
    view = maps.build_view_state(*maps.bounds_of(area_data), width_px=620, height_px=480)
    tooltip = {"html": f"<b>{{label}}</b><br/>{t('overview.map.legend')}: {{value}}", "style": {"fontSize": "13px"}}
    deck = maps.build_deck(layers, view, tooltip, page.map_style)
    render_map(deck, key=f"overview-map-{selection.area_code or 'city'}")
    render_legend(t("overview.map.legend"), charts.build_legend_items(breaks, "load", "{:,.1f}"))
    render_geojson_download(lambda: maps.build_area_features(area_data, shown_level,
                                                             ["code", "name", "received", "per_10k"]),
                            f"overview-{shown_level}.geojson", t("grid_map.geojson"), key="overview-geojson")

with side_column:
    st.subheader(t("overview.trend"))
    trend_filter = WorkOrderFilter(*days_window(page.today, 30), selection.area_code, selection.categories,
                                   selection.channels, selection.statuses)
    daily = cached.load_daily_counts(trend_filter)
    if daily.empty:
        render_empty(page)
    else:
        st.altair_chart(charts.build_trend_chart(daily, t("chart.day"), {"received": t("chart.received"),
                                                                           "open": t("column.open")}),
                        width="stretch")
    st.subheader(t("overview.categories"))
    categories = cached.load_category_counts(work_filter, now)
    if categories.empty:
        render_empty(page)
    else:
        categories["label"] = [code_label(codes.CATEGORIES_L1, code, language) for code in categories["category_l1"]]
        st.altair_chart(charts.build_bar_chart(categories, "label", "received", t("column.category"),
                                               t("chart.received")), width="stretch")

rank_column, ticker_column = st.columns([2, 3], gap="medium")
with rank_column:
    st.subheader(t("overview.ranking"))
    ranking = area_data.sort_values("received", ascending=False).head(10)
    if ranking["received"].fillna(0).sum() == 0:
        render_empty(page)
    else:
        st.altair_chart(charts.build_bar_chart(ranking, "name", "received", t("column.area"), t("chart.received"),
                                               colour=charts.SECOND), width="stretch")
with ticker_column:
    st.subheader(t("overview.ticker"))
    latest = cached.load_latest_orders(work_filter, 12)
    if latest.empty:
        render_empty(page)
    else:
        latest["time"] = [format_time(value) for value in latest["received_at"]]
        latest["category"] = [code_label(codes.CATEGORIES_L1, code, language) for code in latest["category_l1"]]
        latest["state"] = [code_label(codes.WORK_ORDER_STATUSES, code, language) for code in latest["status"]]
        latest["area"] = latest["community_name_en" if language == "en" else "community_name_zh"]
        latest["caller"] = latest["caller_name_masked"].fillna("—")
        render_table(latest, {"time": t("column.received_at"), "category": t("column.category"),
                              "title": t("column.title"), "area": t("column.area"), "state": t("column.status"),
                              "caller": t("column.caller")}, key="overview-latest")
st.caption(f"{selection.first_day.isoformat()} – {selection.last_day.isoformat()} · "
           f"{(selection.last_day - selection.first_day + timedelta(days=1)).days} d")
