"""Members 党员下沉: deployment against targets, check-ins, service hours, posts and under-covered communities."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from components import cached, charts, maps
from components.areas import MAP_MEASURES, measure_classes, render_class_legend
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import Tile, format_count, format_rate, render_tiles
from components.views import render_empty, render_geojson_download, render_map, render_table
from data_access import codes
from data_access.members import coverage_scope


def render_figures(page: PageContext) -> None:
    """Deployment against target and this week's activity, each against the period before."""
    t = page.t
    shown = cached.load_member_figures(page.scope, page.today)
    summary = cached.load_member_summary(page.scope, page.today)
    deployed = shown["members_deployed"]
    render_tiles([
        Tile(t("members.deployed"), f"{format_count(deployed.value)} / {format_count(summary['target'])}",
             format_rate(summary["deployed"] / summary["target"]) if summary["target"] else None, deployed),
        Tile(t("members.today"), format_count(shown["members_active_today"].value), None,
             shown["members_active_today"]),
        Tile(t("members.week"), format_count(shown["members_active_week"].value), t("tile.members_week.help"),
             shown["members_active_week"]),
        Tile(t("members.hours"), f"{shown['service_hours_week'].value:,.1f}", None, shown["service_hours_week"]),
        Tile(t("members.whistles"), format_count(shown["whistle_responses_week"].value), None,
             shown["whistle_responses_week"]),
    ], page.language, columns=5)


def render_coverage_map(page: PageContext) -> None:
    """Coverage against target per area (targets are set per community: below that, the community itself)."""
    t = page.t
    level, inside = coverage_scope(page.scope)
    st.subheader(t("members.map"))
    coverage = cached.load_member_coverage(level, inside)
    shapes = cached.load_areas(level, inside).merge(coverage[["code", "members", "target", "coverage"]], on="code")
    if shapes.empty:
        render_empty(page)
        return
    classes = measure_classes("member_coverage", shapes)
    layer = maps.build_choropleth_layer(shapes.assign(name=shapes[page.name_column]), level, "coverage", classes,
                                        "name", layer_id="coverage")
    layers = [layer, *maps.build_base_layers(cached.load_water(), cached.load_areas("district"))]
    if level != "community":
        layers.append(maps.build_label_layer(maps.build_area_labels(shapes, page.language)))
    view = maps.build_view_state(*maps.bounds_of(shapes), width_px=620, height_px=480)
    tooltip = {"html": f"<b>{{label}}</b><br/>{t('column.coverage')}: {{value}}", "style": {"fontSize": "13px"}}
    render_map(maps.build_deck(layers, view, tooltip, page.map_style),
               key=f"members-map-{page.scope.code or 'city'}")
    render_class_legend(page, t("column.coverage"), classes, MAP_MEASURES["member_coverage"].number_format, inside)
    render_geojson_download(lambda: maps.build_area_features(shapes, level, ["code", "members", "target", "coverage"]),
                            f"member-coverage-{level}.geojson", t("grid_map.geojson"), key="members-geojson")


def render_posts_and_kinds(page: PageContext) -> None:
    """Posts members claimed, and their activities by kind in the period."""
    t, language, selection = page.t, page.language, page.selection
    st.subheader(t("members.posts"))
    posts = cached.load_claimed_posts(page.scope)
    posts["label"] = [code_label(codes.MEMBER_POSTS, code, language) for code in posts["post"]]
    st.altair_chart(charts.build_bar_chart(posts, "label", "members", t("column.post"), t("column.members"),
                                           colour=charts.SECOND), width="stretch")
    st.subheader(t("members.kinds"))
    kinds = cached.load_activity_by_kind(page.scope, selection.first_day, selection.last_day)
    if kinds.empty:
        render_empty(page)
        return
    kinds["label"] = [code_label(codes.ACTIVITY_KINDS, code, language) for code in kinds["kind"]]
    kinds["hours"] = kinds["hours"].round(1)
    render_table(kinds, {"label": t("column.kind"), "activities": t("column.activities"),
                         "hours": t("column.hours_total"), "members": t("column.members")},
                 language=page.language, key="member-kinds")


def render_under_covered(page: PageContext) -> None:
    """Communities below their member target, worst first."""
    t = page.t
    st.subheader(t("members.under"))
    # At a grid, its community (targets are set per community), as on the map.
    under = cached.load_under_covered_communities(coverage_scope(page.scope)[1])
    if under.empty:
        st.success(t("members.under.none"))
        return
    under["name"] = under[page.name_column]
    under["coverage_text"] = [format_rate(value) for value in under["coverage"]]
    render_table(under, {"code": t("column.code"), "name": t("column.name"), "members": t("column.members"),
                         "target": t("column.target"), "shortfall": t("column.shortfall"),
                         "coverage_text": t("column.coverage")}, language=page.language, key="member-under", height=320,
                 download_name="under-covered-communities.csv")


def render_trend(page: PageContext) -> None:
    """Members active per day, over at least the last 30 days."""
    st.subheader(page.t("members.trend"))
    first = min(page.selection.first_day, page.today - timedelta(days=29))
    daily = cached.load_daily_activity(page.scope, first, page.today)
    if daily.empty:
        render_empty(page)
        return
    st.altair_chart(charts.build_trend_chart(daily, page.t("chart.day"), {"members": page.t("column.members")}),
                    width="stretch")


def render(page: PageContext) -> None:
    """The members page."""
    render_figures(page)
    map_column, side_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_coverage_map(page)
    with side_column:
        render_posts_and_kinds(page)
    under_column, trend_column = st.columns(2, gap="medium")
    with under_column:
        render_under_covered(page)
    with trend_column:
        render_trend(page)


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
