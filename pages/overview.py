"""Overview 一屏总览: headline figures, the central map, trend, categories, ranking and the latest requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import geopandas as gpd
import streamlit as st

from components import auth, cached, charts, maps
from components.areas import (
    MAP_MEASURES,
    load_mapped_areas,
    mapped_filter,
    measure_classes,
    render_class_legend,
    render_water_note,
)
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import Tile, format_count, format_rate, render_tiles
from components.views import (
    format_time,
    render_empty,
    render_geojson_download,
    render_legend,
    render_map,
    render_table,
)
from data_access import codes
from data_access.city_time import days_window
from data_access.figures import Figure, unrecorded
from data_access.kpis import KPI_DEFINITIONS


def kpi_help(page: PageContext, figure: Figure) -> str:
    """A KPI's definition with its numerator and denominator."""
    definition = KPI_DEFINITIONS[figure.key]
    text = definition.definition_en if page.language == "en" else definition.definition_zh
    return page.t("kpi.formula", definition=text, numerator=f"{figure.numerator:,}",
                  denominator=f"{figure.denominator:,}")


def render_figures(page: PageContext) -> int:
    """The headline tiles, each with its change against the previous period; returns the orders received."""
    t, work_filter, now = page.t, page.work_filter, page.now
    start, end = days_window(page.today, 1)
    received_today = cached.load_received_figure(replace(work_filter, start=start, end=end), now)
    figures = cached.load_order_figures(work_filter, now)
    people = cached.load_member_figures(page.scope, page.today)
    station_counts = cached.load_station_counts(page.scope)
    active, deployed = people["members_active_week"], people["members_deployed"]
    render_tiles([
        Tile(t("tile.received_today"), format_count(received_today.value), None, received_today),
        Tile(t("tile.received_range"), format_count(figures["received"].value), None, figures["received"]),
        Tile(t("tile.open"), format_count(figures["open"].value), t("tile.open.help"), figures["open"]),
        Tile(t("tile.overdue"), format_count(figures["overdue"].value), t("tile.overdue.help"), figures["overdue"]),
        Tile(t("tile.on_time"), format_rate(figures["on_time_closure_rate"].value),
             kpi_help(page, figures["on_time_closure_rate"]), figures["on_time_closure_rate"]),
        Tile(t("tile.satisfaction"), format_rate(figures["satisfaction_rate"].value),
             kpi_help(page, figures["satisfaction_rate"]), figures["satisfaction_rate"]),
        Tile(t("tile.members_week"), f"{format_count(active.value)} / {format_count(deployed.value)}",
             t("tile.members_week.help"), active),
        Tile(t("tile.stations_open"), format_count(station_counts["open"].sum()), None,
             unrecorded("stations_open", int(station_counts["open"].sum()))),
    ], page.language)
    return figures["received"].value


def render_area_map(page: PageContext, area_data: gpd.GeoDataFrame) -> None:
    """Areas coloured by load against the average, with the request heat over them."""
    t, level = page.t, page.scope.child_level
    st.subheader(t("overview.map"))
    render_water_note(page, area_data)
    classes = measure_classes("per_10k", area_data)
    choropleth = maps.build_choropleth_layer(area_data, level, "per_10k", classes, "name", alpha=110)
    heat = cached.load_h3_heat(mapped_filter(page), maps.h3_resolution_for(*maps.bounds_of(area_data)), page.now)
    heat_layer, heat_classes = maps.build_h3_layer(heat)
    layers = [choropleth, *maps.build_base_layers(cached.load_water(), cached.load_areas("district")), heat_layer,
              *maps.build_selected_layers(area_data, level),
              maps.build_label_layer(maps.build_area_labels(area_data, page.language))]
    view = maps.build_view_state(*maps.bounds_of(area_data), width_px=620, height_px=480)
    tooltip = {"html": f"<b>{{label}}</b><br/>{t('overview.map.legend')}: {{value}}", "style": {"fontSize": "13px"}}
    render_map(maps.build_deck(layers, view, tooltip, page.map_style), key=f"overview-map-{page.scope.code or 'city'}")
    render_class_legend(page, t("overview.map.legend"), classes, MAP_MEASURES["per_10k"].number_format)
    if len(heat):
        render_legend(*charts.build_heat_legend(heat_classes, page.language))
    render_geojson_download(lambda: maps.build_area_features(area_data, level, ["code", "name", "received", "per_10k"]),
                            f"overview-{level}.geojson", t("grid_map.geojson"), key="overview-geojson")


def render_trend_and_categories(page: PageContext) -> None:
    """Requests per day over the last 30 days, and per category in the period."""
    t = page.t
    st.subheader(t("overview.trend"))
    start, end = days_window(page.today, 30)
    daily = cached.load_daily_counts(replace(page.work_filter, start=start, end=end))
    if daily.empty:
        render_empty(page)
    else:
        st.altair_chart(charts.build_trend_chart(daily, t("chart.day"), {"received": t("chart.received"),
                                                                           "open": t("column.open")}),
                        width="stretch")
    st.subheader(t("overview.categories"))
    categories = cached.load_category_counts(page.work_filter, page.now)
    if categories.empty:
        render_empty(page)
    else:
        categories["label"] = [code_label(codes.CATEGORIES_L1, code, page.language)
                               for code in categories["category_l1"]]
        st.altair_chart(charts.build_bar_chart(categories, "label", "received", t("column.category"),
                                               t("chart.received")), width="stretch")


def render_ranking(page: PageContext, area_data: gpd.GeoDataFrame) -> None:
    """The areas on the map, most requests first."""
    st.subheader(page.t("overview.ranking"))
    ranking = area_data.sort_values("received", ascending=False).head(10)
    if ranking["received"].fillna(0).sum() == 0:
        render_empty(page)
    else:
        st.altair_chart(charts.build_bar_chart(ranking, "name", "received", page.t("column.area"),
                                               page.t("chart.received"), colour=charts.SECOND), width="stretch")


def render_latest(page: PageContext) -> None:
    """The newest requests in the selection, caller masked."""
    t, language = page.t, page.language
    st.subheader(t("overview.ticker"))
    latest = auth.load_personal(page, "overview", lambda: cached.load_latest_orders(page.work_filter, 12))
    if latest is None:
        return
    if latest.empty:
        render_empty(page)
        return
    latest["time"] = [format_time(value) for value in latest["received_at"]]
    latest["category"] = [code_label(codes.CATEGORIES_L1, code, language) for code in latest["category_l1"]]
    latest["state"] = [code_label(codes.WORK_ORDER_STATUSES, code, language) for code in latest["status"]]
    latest["area"] = latest["community_name_en" if language == "en" else "community_name_zh"]
    latest["caller"] = latest["caller_name_masked"].fillna("—")
    render_table(latest, {"time": t("column.received_at"), "category": t("column.category"),
                          "title": t("column.title"), "area": t("column.area"), "state": t("column.status"),
                          "caller": t("column.caller")}, language=page.language, key="overview-latest")


def render(page: PageContext) -> None:
    """The overview page."""
    received = render_figures(page)
    if received == 0:
        render_empty(page)
    area_data = load_mapped_areas(page)
    map_column, side_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_area_map(page, area_data)
    with side_column:
        render_trend_and_categories(page)
    rank_column, ticker_column = st.columns([2, 3], gap="medium")
    with rank_column:
        render_ranking(page, area_data)
    with ticker_column:
        render_latest(page)
    selection = page.selection
    st.caption(f"{selection.first_day.isoformat()} – {selection.last_day.isoformat()} · "
               f"{(selection.last_day - selection.first_day + timedelta(days=1)).days} d")


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
