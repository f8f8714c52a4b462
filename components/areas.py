"""The areas a page's map and ranking show for the selected scope, with their figures and colour classes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd
import streamlit as st

from components import cached
from components.charts import build_class_legend, build_legend_reference, build_legend_title
from components.colours import ColourClasses, average_classes, target_classes
from components.context import PageContext
from components.i18n import translate
from components.views import render_legend
from data_access.filters import WorkOrderFilter
from data_access.kpis import FULL_COVERAGE, KPI_DEFINITIONS
from data_access.scope import AreaScope

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


@dataclass(frozen=True)
class MapMeasure:
    """What a map colours areas by: a column, its number format, and what it is classed against — a target
    (rates), else the average of the areas drawn (loads; `per`: a rate per resident, whose average is the
    areas' total over their total population, not the mean of their rates)."""

    column: str
    number_format: str
    target: float | None = None
    per: tuple[str, str, float] | None = None


MAP_MEASURES: dict[str, MapMeasure] = {
    "per_10k": MapMeasure("per_10k", "{:,.1f}", per=("received", "population", 10_000)),
    "received": MapMeasure("received", "{:,.0f}"),
    "open": MapMeasure("open", "{:,.0f}"),
    "overdue": MapMeasure("overdue", "{:,.0f}"),
    "satisfaction": MapMeasure("satisfaction_rate", "{:.1%}", target=KPI_DEFINITIONS["satisfaction_rate"].norm),
    "member_coverage": MapMeasure("coverage", "{:.0%}", target=FULL_COVERAGE),
    "station_coverage": MapMeasure("share", "{:.0%}", target=FULL_COVERAGE),
}


def _decimals(number_format: str) -> int:
    """Decimals a number format shows ('{:,.1f}' → 1)."""
    return int(number_format.split(".")[1][0]) if "." in number_format else 0


def measure_classes(measure: str, data: pd.DataFrame) -> ColourClasses:
    """The colour classes of a measure over the areas drawn (data holds the measure's column, and for a rate per
    resident its numerator and denominator columns)."""
    spec = MAP_MEASURES[measure]
    if spec.target is not None:
        return target_classes(spec.target)
    average = None
    if spec.per is not None:
        numerator, denominator, scale = spec.per
        people = data[denominator].where(data[denominator] > 0)
        total = float(people.sum())
        average = float(data.loc[people.notna(), numerator].sum()) * scale / total if total else None
    return average_classes(data[spec.column].tolist(), average, decimals=_decimals(spec.number_format))


def reference_name(inside: AreaScope, language: str) -> str:
    """What a load's average is over: the city's when the map draws the whole city, else the areas shown."""
    return translate("legend.city_average" if inside.is_city else "legend.shown_average", language)


def render_class_legend(page: PageContext, title: str, classes: ColourClasses, number_format: str,
                        inside: AreaScope | None = None) -> None:
    """The legend of a classed map: what the classes are set against in its title, then each class's bounds and
    meaning (`inside`: the area the map draws, for the average's name; the scope's map parent by default)."""
    reference = reference_name(inside or page.scope.map_parent, page.language)
    against = build_legend_reference(classes, page.language, number_format, reference)
    render_legend(build_legend_title(title, against, page.language),
                  build_class_legend(classes, page.language, number_format, reference))
