"""Members 党员下沉: deployment against targets, check-ins, service hours, posts and under-covered communities."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from components import cached, charts, context, maps
from components.i18n import code_label
from components.tiles import format_count, format_rate, render_tiles
from components.views import (
    render_empty,
    render_geojson_download,
    render_header,
    render_legend,
    render_map,
    render_table,
)
from data_access import codes

page = context.current()
language, selection = page.language, page.selection
render_header(page, "page.members")


t = page.t


summary = cached.load_member_summary(selection.area_code, page.today)
render_tiles([
    (t("members.deployed"), f"{summary['deployed']:,} / {summary['target']:,}",
     format_rate(summary["deployed"] / summary["target"]) if summary["target"] else None),
    (t("members.today"), format_count(summary["active_today"]), None),
    (t("members.week"), format_count(summary["active_week"]), t("tile.members_week.help")),
    (t("members.hours"), f"{summary['hours_week']:,.1f}", None),
    (t("members.whistles"), format_count(summary["whistle_responses_week"]), None),
], columns=5)

child = codes.CHILD_LEVEL.get(selection.level)
# Targets are set per community: below that, show the community itself.
shown_level = child if child and child != "grid" else "community"
parent = selection.area_code if child and child != "grid" else (selection.area_code or "")[:12][:-3] or None
coverage = cached.load_member_coverage(shown_level, parent)
if shown_level == "community" and selection.level in ("community", "grid"):
    coverage = coverage[coverage["code"] == selection.area_code[:12]]
coverage["name"] = coverage["name_en" if language == "en" else "name_zh"]
coverage["coverage_text"] = [format_rate(value) for value in coverage["coverage"]]

map_column, side_column = st.columns([3, 2], gap="medium")
with map_column:
    st.subheader(t("members.map"))
    shapes = cached.load_areas(shown_level, parent).merge(coverage[["code", "members", "target", "coverage"]],
                                                          on="code")
    if shapes.empty:
        render_empty(page)
    else:
        layer, breaks = maps.build_choropleth_layer(shapes.assign(name=shapes["name_en" if language == "en"
                                                                             else "name_zh"]),
                                                    shown_level, "coverage", "good", "name", layer_id="coverage")
        layers = [layer, *maps.build_base_layers(cached.load_water(), cached.load_areas("district"))]
        if shown_level != "community":
            layers.append(maps.build_label_layer(maps.build_area_labels(shapes, language)))
        view = maps.build_view_state(*maps.bounds_of(shapes), width_px=620, height_px=480)
        tooltip = {"html": f"<b>{{label}}</b><br/>{t('column.coverage')}: {{value}}", "style": {"fontSize": "13px"}}
        deck = maps.build_deck(layers, view, tooltip, page.map_style)
        render_map(deck, key=f"members-map-{selection.area_code or 'city'}")
        render_legend(t("column.coverage"), charts.build_legend_items(breaks, "good", "{:.0%}"))
        render_geojson_download(
            lambda: maps.build_area_features(shapes, shown_level, ["code", "members", "target", "coverage"]),
            f"member-coverage-{shown_level}.geojson", t("grid_map.geojson"), key="members-geojson")
with side_column:
    st.subheader(t("members.posts"))
    posts = cached.load_claimed_posts(selection.area_code)
    posts["label"] = [code_label(codes.MEMBER_POSTS, code, language) for code in posts["post"]]
    st.altair_chart(charts.build_bar_chart(posts, "label", "members", t("column.post"), t("column.members"),
                                           colour=charts.SECOND), width="stretch")
    st.subheader(t("members.kinds"))
    kinds = cached.load_activity_by_kind(selection.area_code, selection.first_day, selection.last_day)
    if kinds.empty:
        render_empty(page)
    else:
        kinds["label"] = [code_label(codes.ACTIVITY_KINDS, code, language) for code in kinds["kind"]]
        kinds["hours"] = kinds["hours"].round(1)
        render_table(kinds, {"label": t("column.kind"), "activities": t("column.activities"),
                             "hours": t("column.hours_total"), "members": t("column.members")},
                     key="member-kinds")

under_column, trend_column = st.columns(2, gap="medium")
with under_column:
    st.subheader(t("members.under"))
    under = cached.load_under_covered_communities(selection.area_code)
    if under.empty:
        st.success(t("members.under.none"))
    else:
        under["name"] = under["name_en" if language == "en" else "name_zh"]
        under["coverage_text"] = [format_rate(value) for value in under["coverage"]]
        render_table(under, {"code": t("column.code"), "name": t("column.name"), "members": t("column.members"),
                             "target": t("column.target"), "shortfall": t("column.shortfall"),
                             "coverage_text": t("column.coverage")}, key="member-under", height=320,
                     download_name="under-covered-communities.csv")
with trend_column:
    st.subheader(t("members.trend"))
    first = min(selection.first_day, page.today - timedelta(days=29))
    daily = cached.load_daily_activity(selection.area_code, first, page.today)
    if daily.empty:
        render_empty(page)
    else:
        st.altair_chart(charts.build_trend_chart(daily, t("chart.day"), {"members": t("column.members")}),
                        width="stretch")
