"""Stations 服务阵地: stations by type, walking coverage per area and the under-served grids."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cached, maps
from components.colours import STATION_COLOURS, UNDERSERVED, hex_colour
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import Tile, format_count, format_rate, render_tiles
from components.views import render_empty, render_geojson_download, render_legend, render_map, render_table
from data_access import codes
from data_access.coverage import DEFAULT_RADIUS_M, summarise_coverage
from data_access.figures import unrecorded


def render_figures(page: PageContext, chosen_types: tuple[str, ...], grid_coverage: pd.DataFrame) -> None:
    """Stations of the chosen types and the residents and grids within walking distance of one."""
    t = page.t
    counts = cached.load_station_counts(page.scope)
    counts = counts[counts["station_type"].isin(chosen_types)]
    covered_population = grid_coverage.loc[grid_coverage["covered"], "population"].sum()
    population = grid_coverage["population"].sum()
    residents = covered_population / population if population else None
    render_tiles([
        Tile(t("stations.total"), format_count(counts["total"].sum()), None,
             unrecorded("stations", int(counts["total"].sum()))),
        Tile(t("stations.open"), format_count(counts["open"].sum()), None,
             unrecorded("stations_open", int(counts["open"].sum()))),
        Tile(t("stations.residents_covered"), format_rate(residents), t("stations.coverage.help"),
             unrecorded("residents_covered", residents)),
        Tile(t("stations.grids_covered"), f"{int(grid_coverage['covered'].sum()):,} / {len(grid_coverage):,}", None,
             unrecorded("grids_covered", int(grid_coverage["covered"].sum()))),
    ], page.language)


def render_station_map(page: PageContext, stations: pd.DataFrame, grid_coverage: pd.DataFrame,
                       chosen_types: tuple[str, ...], type_labels: dict[str, str]) -> None:
    """Stations as dots over the areas, with the under-served grids flagged."""
    t, scope, level = page.t, page.scope, page.scope.child_level
    st.subheader(t("stations.map"))
    under = grid_coverage[~grid_coverage["covered"]]
    grid_shapes = cached.load_areas("grid", scope)
    under_shapes = grid_shapes[grid_shapes["code"].isin(under["code"])]
    area_shapes = cached.load_areas(level, scope.map_parent)
    layers = []
    if len(under_shapes):
        layers.append(maps.build_highlight_layer(under_shapes, "grid", UNDERSERVED, "underserved", page.name_column))
    layers += [*maps.build_base_layers(cached.load_water(), cached.load_areas("district")),
               maps.build_outline_layer(area_shapes, level, "area-outlines", 1.0),
               *maps.build_selected_layers(area_shapes.assign(selected=area_shapes["code"] == scope.code), level)]
    if len(stations):
        layers += maps.build_station_layers(stations, page.name_column)
    bounds_source = area_shapes if len(area_shapes) else cached.load_areas("district")
    view = maps.build_view_state(*maps.bounds_of(bounds_source), width_px=620, height_px=480)
    tooltip = {"html": "<b>{name}</b>", "style": {"fontSize": "13px"}}
    render_map(maps.build_deck(layers, view, tooltip, page.map_style), key=f"stations-map-{scope.code or 'city'}",
               height=560)
    render_legend(t("stations.types"), [(hex_colour(STATION_COLOURS[code]), type_labels[code]) for code in chosen_types]
                  + [(hex_colour(UNDERSERVED), t("stations.underserved_layer"))])
    if len(stations):
        render_geojson_download(lambda: maps.build_station_features(stations), "stations.geojson", "GeoJSON",
                                key="stations-geojson")


def render_coverage_tables(page: PageContext, grid_coverage: pd.DataFrame) -> None:
    """Walking coverage per area one level down, and the grids no open station serves."""
    t, scope, level = page.t, page.scope, page.scope.child_level
    st.subheader(t("stations.coverage"))
    summary = summarise_coverage(grid_coverage, level) if len(grid_coverage) else pd.DataFrame()
    if summary.empty:
        render_empty(page)
    else:
        names = cached.load_areas(level, scope, with_geometry=False)
        summary = summary.merge(names[["code", "name_zh", "name_en"]], on="code", how="left")
        summary["name"] = summary[page.name_column]
        summary["share_text"] = [format_rate(value) for value in summary["share"]]
        render_table(summary.sort_values("share"), {"name": t("column.name"), "share_text": t("column.share"),
                                                    "grids_covered": t("stations.grids_covered"),
                                                    "grids": t("filter.grid")},
                     language=page.language, key="station-coverage", height=300,
                     download_name="station-coverage.csv")
    st.subheader(t("stations.underserved"))
    under = grid_coverage[~grid_coverage["covered"]]
    if under.empty:
        st.success(t("stations.underserved.none"))
        return
    listed = under.sort_values("nearest_m", ascending=False).head(200).copy()
    listed["name"] = listed[page.name_column]
    listed["nearest"] = listed["nearest_m"].map(lambda value: "—" if value == float("inf") else f"{value:,.0f}")
    render_table(listed, {"code": t("column.code"), "name": t("column.name"), "population": t("column.population"),
                          "nearest": t("column.nearest_m")}, language=page.language, key="station-under", height=300,
                 download_name="underserved-grids.csv")


def render_station_list(page: PageContext, stations: pd.DataFrame, type_labels: dict[str, str]) -> None:
    """Every station shown on the map, as a table."""
    t = page.t
    st.subheader(t("stations.list"))
    if not len(stations):
        render_empty(page)
        return
    listed = stations.copy()
    listed["name"] = listed[page.name_column].fillna(listed["name_zh"])
    listed["kind"] = listed["station_type"].map(type_labels)
    listed["state"] = [code_label(codes.STATION_STATUSES, code, page.language) for code in listed["status"]]
    render_table(listed, {"name": t("column.name"), "kind": t("column.type"), "address": t("column.address"),
                          "opening_hours": t("column.hours"), "services": t("column.services"),
                          "state": t("column.status")},
                 language=page.language, key="station-list", height=320, download_name="stations.csv")


def render(page: PageContext) -> None:
    """The stations page."""
    t = page.t
    type_labels = {code: code_label(codes.STATION_TYPES, code, page.language) for code in codes.STATION_TYPES}
    chosen = st.pills(t("stations.types"), list(codes.STATION_TYPES), selection_mode="multi",
                      default=list(codes.STATION_TYPES), key="station_types",
                      format_func=lambda code: type_labels[code])
    radius = st.slider(t("stations.radius"), 100, 1500, DEFAULT_RADIUS_M, step=50, key="station_radius")
    chosen_types = tuple(chosen or ())
    stations = cached.load_stations(page.scope, chosen_types) if chosen_types else pd.DataFrame()
    grid_coverage = cached.load_grid_coverage(radius, page.scope, chosen_types)
    render_figures(page, chosen_types, grid_coverage)
    map_column, table_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_station_map(page, stations, grid_coverage, chosen_types, type_labels)
    with table_column:
        render_coverage_tables(page, grid_coverage)
    render_station_list(page, stations, type_labels)


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
