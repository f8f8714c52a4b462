"""The areas a page's map and ranking show for the selected scope, with their work-order figures."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import streamlit as st

from components import cached
from components.context import PageContext
from data_access.filters import WorkOrderFilter

FIGURE_COLUMNS = ["code", "received", "open", "overdue", "per_10k", "satisfaction_rate"]


def mapped_filter(page: PageContext, work_filter: WorkOrderFilter | None = None) -> WorkOrderFilter:
    """The filter over the area the map draws (at a grid: its community, whose grids the map shows)."""
    return replace(work_filter or page.work_filter, area=page.scope.map_parent)


def load_mapped_areas(page: PageContext) -> gpd.GeoDataFrame:
    """The areas drawn under the selection (`scope.child_level` inside `scope.map_parent`), each with its own
    figures for the page's filter, its localised `name` and whether it is the `selected` area."""
    scope = page.scope
    shapes = cached.load_areas(scope.child_level, scope.map_parent)
    counts = cached.load_counts_by_area(mapped_filter(page), scope.child_level, page.now)
    data = shapes.merge(counts[FIGURE_COLUMNS], on="code", how="left")
    data["name"] = data[page.name_column]
    data["selected"] = data["code"] == scope.code
    return data


def render_water_note(page: PageContext, data: gpd.GeoDataFrame) -> None:
    """Say so when the selected grid lies wholly in water (no residents): its map is all river."""
    if page.scope.level == "grid" and int(data.loc[data["selected"], "population"].sum()) == 0:
        st.info(page.t("area.water_grid"), icon=":material/water:")
