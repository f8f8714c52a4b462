"""Grid map 网格地图: areas coloured by a chosen metric; a click drills in; a panel details the area."""

from __future__ import annotations

import streamlit as st

from components import cached, charts, context, maps
from components.filters import request_area
from components.i18n import code_label
from components.tiles import format_count, render_tiles
from components.views import (
    format_time,
    render_geojson_download,
    render_header,
    render_legend,
    render_map,
    render_table,
)
from data_access import codes
from data_access.coverage import DEFAULT_RADIUS_M, summarise_coverage

page = context.current()
language, selection, now = page.language, page.selection, page.now
work_filter = selection.work_filter()
render_header(page, "page.grid_map")


t = page.t


METRICS = {  # metric: (column, colour scale, number format)
    "per_10k": ("per_10k", "load", "{:,.1f}"),
    "open": ("open", "load", "{:,.0f}"),
    "overdue": ("overdue", "load", "{:,.0f}"),
    "satisfaction": ("satisfaction_rate", "good", "{:.1%}"),
    "member_coverage": ("coverage", "good", "{:.0%}"),
    "station_coverage": ("share", "good", "{:.0%}"),
}
metric = st.segmented_control(t("grid_map.metric"), list(METRICS), default="per_10k", key="grid_map_metric",
                              format_func=lambda key: t(f"metric.{key}")) or "per_10k"
column, scale, number_format = METRICS[metric]

child = codes.CHILD_LEVEL.get(selection.level)
shown_level = child or selection.level
parent = selection.area_code if child else selection.area_code[:-3]
shapes = cached.load_areas(shown_level, parent)
if child is None:
    shapes = shapes[shapes["code"] == selection.area_code]
data = shapes.merge(cached.load_counts_by_area(work_filter, shown_level, now, parent)
                    [["code", "received", "open", "overdue", "per_10k", "satisfaction_rate"]], on="code", how="left")
if metric == "member_coverage":
    data = data.merge(cached.load_member_coverage(shown_level, parent)[["code", "members", "target", "coverage"]],
                      on="code", how="left")
if metric == "station_coverage":
    grid_coverage = cached.load_grid_coverage(DEFAULT_RADIUS_M, parent)
    data = data.merge(summarise_coverage(grid_coverage, shown_level)[["code", "share"]], on="code", how="left")
data["name"] = data["name_en" if language == "en" else "name_zh"]
data["shown"] = [number_format.format(value) if value == value and value is not None else "—" for value in data[column]]

map_column, detail_column = st.columns([3, 2], gap="medium")
with map_column:
    path = cached.load_area_path(selection.area_code)
    crumbs = [t("filter.whole_city"), *path["name_en" if language == "en" else "name_zh"]]
    st.markdown(" › ".join(crumbs))
    layer, breaks = maps.build_choropleth_layer(data, shown_level, column, scale, "name", layer_id="areas",
                                                extra_properties=("shown",))
    layers = [layer, *maps.build_base_layers(cached.load_water(), cached.load_areas("district")),
              maps.build_label_layer(maps.build_area_labels(data, language))]
    view = maps.build_view_state(*maps.bounds_of(data), width_px=620, height_px=480)
    tooltip = {"html": f"<b>{{label}}</b><br/>{t(f'metric.{metric}')}: {{shown}}", "style": {"fontSize": "13px"}}
    deck = maps.build_deck(layers, view, tooltip, page.map_style)
    picked = render_map(deck, key=f"grid-map-{selection.area_code or 'city'}",
                        height=560, selectable=child is not None)
    render_legend(t(f"metric.{metric}"), charts.build_legend_items(breaks, scale, number_format))
    st.caption(t("grid_map.click_hint"))
    for picked_area in picked.get("areas", []):
        code = (picked_area.get("properties") or picked_area).get("code")
        if code and code != selection.area_code and len(code) > len(selection.area_code or ""):
            request_area(code)
    up_column, download_column = st.columns(2)
    if selection.area_code and up_column.button(t("grid_map.up"), icon=":material/arrow_upward:"):
        request_area(selection.area_code[:-3] if len(selection.area_code) > 6 else None)
    with download_column:
        render_geojson_download(lambda: maps.build_area_features(data, shown_level, ["code", "name", column]),
                                f"areas-{shown_level}-{metric}.geojson", t("grid_map.geojson"), key="areas-geojson")

with detail_column:
    st.subheader(t("grid_map.detail"))
    area = cached.load_area(selection.area_code) if selection.area_code else None
    population = int(area["population"]) if area else int(data["population"].sum())
    households = int(area["households"]) if area else int(data["households"].sum())
    coverage_rows = cached.load_member_coverage(selection.level if area else "district",
                                                selection.area_code[:-3] if area and len(selection.area_code) > 6
                                                else None)
    members_here = (int(coverage_rows.loc[coverage_rows["code"] == selection.area_code, "members"].sum()) if area
                    else int(coverage_rows["members"].sum()))
    station_total = int(cached.load_station_counts(selection.area_code)["total"].sum())
    render_tiles([(t("column.population"), format_count(population), None),
                  (t("grid_map.households"), format_count(households), None),
                  (t("grid_map.members"), format_count(members_here), None),
                  (t("grid_map.stations"), format_count(station_total), None)], columns=2)
    if selection.level in ("community", "grid"):
        st.markdown(f"**{t('grid_map.grid_workers')}**")
        workers = cached.load_grid_workers(selection.area_code, 50)
        workers["role_label"] = [code_label(codes.GRID_WORKER_ROLES, role, language) for role in workers["role"]]
        render_table(workers, {"name_masked": t("column.name"), "phone_masked": t("column.phone"),
                               "grid_code": t("filter.grid"), "role_label": t("column.role"),
                               "on_duty": t("column.on_duty")}, key="grid-workers", height=220)
    st.markdown(f"**{t('grid_map.recent')}**")
    recent = cached.load_latest_orders(work_filter, 8)
    recent["time"] = [format_time(value) for value in recent["received_at"]]
    recent["state"] = [code_label(codes.WORK_ORDER_STATUSES, code, language) for code in recent["status"]]
    render_table(recent, {"time": t("column.received_at"), "title": t("column.title"), "state": t("column.status")},
                 key="grid-recent", height=260)

st.subheader(t("grid_map.areas"))
table = data.drop(columns="geometry").sort_values("received", ascending=False)
render_table(table, {"code": t("column.code"), "name": t("column.name"), "population": t("column.population"),
                     "received": t("column.received"), "open": t("column.open"), "overdue": t("column.overdue"),
                     "shown": t(f"metric.{metric}")}, key="grid-areas", download_name=f"areas-{metric}.csv")
