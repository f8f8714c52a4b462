"""Grid map 网格地图: areas coloured by a chosen metric; a click drills in; a panel details the area."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from components import auth, cached, maps
from components import tasks as task_views
from components.areas import MAP_MEASURES, load_mapped_areas, measure_classes, render_class_legend, render_water_note
from components.context import PageContext
from components.filters import request_area
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import Tile, format_count, render_tiles
from components.views import (
    escape_markdown,
    format_time,
    render_geojson_download,
    render_legend,
    render_map,
    render_table,
)
from data_access import codes
from data_access.coverage import DEFAULT_RADIUS_M, summarise_coverage
from data_access.scope import AreaScope

# The measures a user can colour the map by (components.areas.MAP_MEASURES: column, format, classes).
METRICS = ("per_10k", "open", "overdue", "satisfaction", "member_coverage", "station_coverage")


def load_metric_areas(page: PageContext, metric: str) -> gpd.GeoDataFrame:
    """The areas on the map with their figures and the chosen metric (as `shown` text too)."""
    scope, level = page.scope, page.scope.child_level
    data = load_mapped_areas(page)
    if metric == "member_coverage":
        data = data.merge(cached.load_member_coverage(level, scope.map_parent)[["code", "members", "target",
                                                                              "coverage"]], on="code", how="left")
    if metric == "station_coverage":
        grid_coverage = cached.load_grid_coverage(DEFAULT_RADIUS_M, scope.map_parent)
        data = data.merge(summarise_coverage(grid_coverage, level)[["code", "share"]], on="code", how="left")
    data = task_views.with_task_counts(page, data, level)
    column, number_format = MAP_MEASURES[metric].column, MAP_MEASURES[metric].number_format
    data["shown"] = [number_format.format(value) if value == value and value is not None else "—"
                     for value in data[column]]
    return data


def render_area_map(page: PageContext, data: gpd.GeoDataFrame, metric: str) -> None:
    """The coloured map with its breadcrumb, legend and drill-down."""
    t, scope, level = page.t, page.scope, page.scope.child_level
    column, number_format = MAP_MEASURES[metric].column, MAP_MEASURES[metric].number_format
    path = cached.load_area_path(scope)
    st.markdown(" › ".join([t("filter.whole_city"), *(escape_markdown(name) for name in path[page.name_column])]))
    render_water_note(page, data)
    classes = measure_classes(metric, data)
    layer = maps.build_choropleth_layer(data, level, column, classes, "name", layer_id="areas",
                                        extra_properties=("shown", "tasks_unfinished", "tasks_overdue"))
    layers = [layer, *maps.build_base_layers(cached.load_water(), cached.load_areas("district")),
              *task_views.build_task_outline_layers(data, level), *maps.build_selected_layers(data, level),
              maps.build_label_layer(maps.build_area_labels(data, page.language))]
    view = maps.build_view_state(*maps.bounds_of(data), width_px=620, height_px=480)
    tasks_line = t("tasks.tooltip", unfinished="{tasks_unfinished}", overdue="{tasks_overdue}")
    tooltip = {"html": f"<b>{{label}}</b><br/>{t(f'metric.{metric}')}: {{shown}}<br/>{tasks_line}",
               "style": {"fontSize": "13px"}}
    picked = render_map(maps.build_deck(layers, view, tooltip, page.map_style), key=f"grid-map-{scope.code or 'city'}",
                        height=560, selectable=True)
    render_class_legend(page, t(f"metric.{metric}"), classes, number_format)
    if data["tasks_unfinished"].any():
        render_legend(t("tasks.map.legend"), task_views.task_legend_items(page))
    st.caption(t("grid_map.click_hint"))
    for picked_area in picked.get("areas", []):
        code = (picked_area.get("properties") or picked_area).get("code")
        if code and code != scope.code:  # a child, or at a grid one of its siblings
            request_area(AreaScope.of(code))
    up_column, download_column = st.columns(2)
    if scope.parent is not None and up_column.button(t("grid_map.up"), icon=":material/arrow_upward:"):
        request_area(scope.parent)
    with download_column:
        render_geojson_download(lambda: maps.build_area_features(data, level, ["code", "name", column]),
                                f"areas-{level}-{metric}.geojson", t("grid_map.geojson"), key="areas-geojson")


def render_detail(page: PageContext, data: gpd.GeoDataFrame) -> None:
    """Population, households, members and stations of the selected area; its grid workers and recent requests."""
    t, scope, language = page.t, page.scope, page.language
    st.subheader(t("grid_map.detail"))
    area = cached.load_area(scope)
    population = int(area["population"]) if area else int(data["population"].sum())
    households = int(area["households"]) if area else int(data["households"].sum())
    if scope.is_city:
        members_here = int(cached.load_member_coverage("district")["members"].sum())
    else:
        coverage_rows = cached.load_member_coverage(scope.level, scope)
        members_here = int(coverage_rows.loc[coverage_rows["code"] == scope.code, "members"].sum())
    station_total = int(cached.load_station_counts(scope)["total"].sum())
    task_totals = task_views.load_task_totals(page)
    # Facts about the area now, not figures of a period: shown without a change.
    render_tiles([Tile(t("column.population"), format_count(population)),
                  Tile(t("grid_map.households"), format_count(households)),
                  Tile(t("grid_map.members"), format_count(members_here)),
                  Tile(t("grid_map.stations"), format_count(station_total)),
                  Tile(t("tasks.unfinished"), format_count(task_totals["unfinished"]), t("tasks.unfinished.help")),
                  Tile(t("tasks.overdue"), format_count(task_totals["overdue"]), t("tasks.overdue.help"))],
                 page.language, columns=2)
    recent = auth.load_personal(page, "grid-map", lambda: cached.load_latest_orders(page.work_filter, 8))
    if recent is None:
        return
    if scope.level in ("community", "grid"):
        workers = auth.load_personal(page, "grid-map", lambda: cached.load_grid_workers(scope, 50))
        if workers is None:
            return
        st.markdown(f"**{t('grid_map.grid_workers')}**")
        workers["role_label"] = [code_label(codes.GRID_WORKER_ROLES, role, language) for role in workers["role"]]
        render_table(workers, {"name_masked": t("column.name"), "phone_masked": t("column.phone"),
                               "grid_code": t("filter.grid"), "role_label": t("column.role"),
                               "on_duty": t("column.on_duty")}, language=page.language, key="grid-workers", height=220)
    st.markdown(f"**{t('grid_map.recent')}**")
    recent["time"] = [format_time(value) for value in recent["received_at"]]
    recent["state"] = [code_label(codes.WORK_ORDER_STATUSES, code, language) for code in recent["status"]]
    render_table(recent, {"time": t("column.received_at"), "title": t("column.title"), "state": t("column.status")},
                 language=page.language, key="grid-recent", height=260)


def render(page: PageContext) -> None:
    """The grid map page."""
    t = page.t
    metric = st.segmented_control(t("grid_map.metric"), list(METRICS), default="per_10k", key="grid_map_metric",
                                  format_func=lambda key: t(f"metric.{key}")) or "per_10k"
    data = load_metric_areas(page, metric)
    map_column, detail_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_area_map(page, data, metric)
    with detail_column:
        render_detail(page, data)
    st.subheader(t("grid_map.areas"))
    table = data.drop(columns="geometry").sort_values("received", ascending=False)
    render_table(table, {"code": t("column.code"), "name": t("column.name"), "population": t("column.population"),
                         "received": t("column.received"), "open": t("column.open"), "overdue": t("column.overdue"),
                         "tasks_unfinished": t("tasks.unfinished"), "tasks_overdue": t("tasks.overdue"),
                         "shown": t(f"metric.{metric}")},
                 language=page.language, key="grid-areas", download_name=f"areas-{metric}.csv")


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
