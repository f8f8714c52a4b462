"""Requests 民生诉求: server-aggregated heat, closed-loop KPIs, hotspots, whistle cases, trends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components import auth, cached, charts, maps
from components import tasks as task_views
from components.areas import mapped_filter
from components.colours import CHANGE_HEX
from components.context import PageContext
from components.filters import window_steps
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import format_change, format_rate
from components.views import format_time, render_empty, render_geojson_download, render_legend, render_map, render_table
from data_access import codes
from data_access.city_time import local_day_start
from data_access.kpis import KPI_DEFINITIONS

WHOLE = "all"


def render_heat_map(page: PageContext, step: tuple[date, date] | None) -> None:
    """The heat map for the whole period or one step of it (`step`: first and last day), over the areas drawn under
    the selection."""
    t, scope = page.t, page.scope
    shown_filter = page.work_filter
    if step is not None:
        shown_filter = replace(shown_filter, start=local_day_start(step[0]),
                               end=local_day_start(step[1] + timedelta(days=1)))
    outlines = cached.load_areas(scope.child_level, scope.map_parent)
    outlines = outlines.assign(selected=outlines["code"] == scope.code)
    heat = cached.load_h3_heat(mapped_filter(page, shown_filter), maps.h3_resolution_for(*maps.bounds_of(outlines)),
                               page.now)
    layers = [*maps.build_base_layers(cached.load_water(), cached.load_areas("district")),
              maps.build_outline_layer(outlines, scope.child_level, "area-outlines", 1.0),
              *maps.build_selected_layers(outlines, scope.child_level)]
    classes = None
    if len(heat):
        heat_layer, classes = maps.build_h3_layer(heat)
        layers.append(heat_layer)
    layers.append(maps.build_label_layer(maps.build_area_labels(outlines, page.language)))
    view = maps.build_view_state(*maps.bounds_of(outlines), width_px=620, height_px=480)
    tooltip = {"html": f"{t('tooltip.requests')}: {{value}}", "style": {"fontSize": "13px"}}
    # One key per area keeps the camera still while the day changes.
    render_map(maps.build_deck(layers, view, tooltip, page.map_style), key=f"requests-heat-{scope.code or 'city'}",
               height=540)
    if classes is None:
        render_empty(page)
    else:
        render_legend(*charts.build_heat_legend(classes, page.language))
    if len(heat):
        name = "all" if step is None else step[0].isoformat()
        render_geojson_download(lambda: maps.build_h3_features(heat), f"requests-h3-{name}.geojson",
                                t("grid_map.geojson"), key=f"heat-geojson-{name}")


def render_heat_panel(page: PageContext) -> None:
    """The heat map with a slider over the period's days (weeks, months or years for a long one) that can play."""
    selection = page.selection
    unit, steps = window_steps(selection.first_day, selection.last_day)
    by_key = {first.isoformat(): (first, last) for first, last in steps}
    options = [WHOLE, *by_key]
    label = {"day": lambda first: first.strftime("%m-%d"), "week": lambda first: first.strftime("%m-%d") + "+",
             "month": lambda first: first.strftime("%Y-%m"), "year": lambda first: str(first.year)}[unit]
    st.subheader(page.t("requests.heat"))
    st.session_state.setdefault("requests_day", WHOLE)
    if st.session_state["requests_day"] not in options:
        st.session_state["requests_day"] = WHOLE
    playing = st.toggle(page.t("requests.play"), key="requests_play")

    @st.fragment(run_every="1.5s" if playing else None)
    def heat_panel() -> None:
        if st.session_state.get("requests_play"):
            position = options.index(st.session_state["requests_day"])
            st.session_state["requests_day"] = options[1 + position % (len(options) - 1)]
        st.select_slider(page.t("requests.window"), options, key="requests_day",
                         format_func=lambda key: page.t("requests.window.all") if key == WHOLE
                         else label(date.fromisoformat(key)))
        render_heat_map(page, by_key.get(st.session_state["requests_day"]))

    heat_panel()


def render_kpis_and_channels(page: PageContext) -> None:
    """The closed-loop KPI table, each KPI beside the previous period's, and the channels chart."""
    t, language = page.t, page.language
    st.subheader(t("requests.kpis"))
    shown = cached.load_order_figures(page.work_filter, page.now)
    rates = pd.DataFrame({"kpi": list(KPI_DEFINITIONS)})
    figures = [shown[key] for key in rates["kpi"]]
    rates["name"] = [getattr(KPI_DEFINITIONS[key], f"name_{language}") for key in rates["kpi"]]
    rates["definition"] = [getattr(KPI_DEFINITIONS[key], f"definition_{language}") for key in rates["kpi"]]
    rates["rate_text"] = [format_rate(figure.value) for figure in figures]
    rates["numerator"] = [figure.numerator for figure in figures]
    rates["denominator"] = [figure.denominator for figure in figures]
    rates["previous_text"] = [format_rate(figure.previous) for figure in figures]
    changes = [format_change(figure, language) for figure in figures]
    rates["change_text"] = [{"up": "▲ ", "down": "▼ "}.get(arrow, "") + text for text, arrow, _ in changes]
    render_table(rates, {"name": t("column.kpi"), "rate_text": t("column.rate"),
                         "previous_text": t("column.previous"), "change_text": t("column.change"),
                         "numerator": t("column.numerator"), "denominator": t("column.denominator"),
                         "definition": t("column.definition")},
                 language=page.language, key="requests-kpis", download_name="kpis.csv",
                 text_colours={"change_text": [CHANGE_HEX[figure.verdict] for figure in figures]})
    st.subheader(t("requests.channels"))
    channels = cached.load_channel_counts(page.work_filter)
    if channels.empty:
        render_empty(page)
    else:
        channels["label"] = [code_label(codes.CHANNELS, code, language) for code in channels["channel"]]
        st.altair_chart(charts.build_bar_chart(channels, "label", "received", t("column.channel"),
                                               t("chart.received")), width="stretch")


def render_hotspot_table(page: PageContext, frame: pd.DataFrame, key: str) -> None:
    """Hotspot areas with their counts now and in the previous period."""
    if frame.empty:
        render_empty(page)
        return
    t = page.t
    frame = frame.assign(name=frame[page.name_column])
    render_table(frame, {"code": t("column.code"), "name": t("column.name"), "received": t("column.received"),
                         "previous": t("column.previous"), "growth": t("column.growth")},
                 language=page.language, key=key,
                 download_name=f"{key}.csv")


def render_whistles(page: PageContext) -> None:
    """Whistle-escalated cases (吹哨报到) of the period."""
    t, language = page.t, page.language
    st.subheader(t("requests.whistles"))
    whistles = auth.load_personal(page, "requests", lambda: cached.load_whistle_cases(page.work_filter, 100))
    if whistles is None:
        return
    if whistles.empty:
        st.info(t("requests.whistles.none"))
        return
    whistles["time"] = [format_time(value) for value in whistles["received_at"]]
    whistles["whistled"] = [format_time(value) for value in whistles["whistled_at"]]
    whistles["category"] = [code_label(codes.CATEGORIES_L1, code, language) for code in whistles["category_l1"]]
    whistles["state"] = [code_label(codes.WORK_ORDER_STATUSES, code, language) for code in whistles["status"]]
    whistles["departments"] = whistles["whistle_departments"].fillna("").str.replace(";", "、")
    render_table(whistles, {"order_no": t("column.order_no"), "time": t("column.received_at"),
                            "category": t("column.category"), "title": t("column.title"),
                            "whistled": t("column.whistled_at"), "departments": t("column.departments"),
                            "state": t("column.status")},
                 language=page.language, key="whistles", height=300, download_name="whistles.csv")


def render_trends(page: PageContext) -> None:
    """Received and resolved per day, and when in the week requests arrive."""
    t = page.t
    trend_column, hour_column = st.columns(2, gap="medium")
    with trend_column:
        st.subheader(t("requests.trend"))
        received = cached.load_daily_counts(page.work_filter)
        resolved = cached.load_daily_resolved(page.work_filter)
        if received.empty:
            render_empty(page)
        else:
            daily = received.merge(resolved[["day", "resolved"]], on="day", how="outer").fillna(0)
            st.altair_chart(charts.build_trend_chart(daily, t("chart.day"), {"received": t("chart.received"),
                                                                               "resolved": t("chart.resolved")}),
                            width="stretch")
    with hour_column:
        st.subheader(t("requests.hours"))
        profile = cached.load_hourly_profile(page.work_filter)
        if profile.empty:
            render_empty(page)
        else:
            st.altair_chart(charts.build_hour_heatmap(profile, t("weekdays").split(","), t("chart.hour"),
                                                      t("chart.received")), width="stretch")


def render(page: PageContext) -> None:
    """The requests page."""
    map_column, kpi_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_heat_panel(page)
    with kpi_column:
        render_kpis_and_channels(page)
    volume_column, growth_column = st.columns(2, gap="medium")
    volume = cached.load_hotspots(page.work_filter, "grid", 10)
    growth = cached.load_growth_hotspots(page.work_filter, "grid", 10)
    with volume_column:
        st.subheader(page.t("requests.hotspots"))
        render_hotspot_table(page, volume, "hotspots-volume")
    with growth_column:
        st.subheader(page.t("requests.growth"))
        render_hotspot_table(page, growth, "hotspots-growth")
    task_views.render_hotspot_dispatch(page, pd.concat([volume, growth], ignore_index=True))
    render_whistles(page)
    render_trends(page)
    if page.viewer.may_reveal:
        auth.render_reveal(page.viewer, page.language, "requests")


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
