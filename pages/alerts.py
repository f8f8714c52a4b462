"""Alerts 预警: the open alerts inside the selected area with their evidence and their 督办 tasks' states, a map of
where they are, one alert's days against its usual range, links to the grid map and the requests page filtered to
it, and the form that dispatches a supervision task about it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import alerts as alert_text
from components import cached, charts, maps
from components import tasks as task_views
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.tiles import Tile, format_count, render_tiles
from components.views import escape_markdown, render_legend, render_map, render_table
from data_access import tasks
from data_access.alerts import ALERT_KINDS, AREA_ALERT_KINDS, DEFAULT_PARAMETERS

SELECTED_KEY = "alerts_selected"
KINDS_KEY = "alerts_kinds"
# The map's view is fitted to a viewport of this many pixels (its column at a common desk screen).
MAP_VIEW_PIXELS = (620, 480)


def render_summary(page: PageContext, every: pd.DataFrame) -> None:
    """How many alerts are open in the area, in all and of each kind."""
    counts = every["kind"].value_counts()
    # Alerts open now: a state, not a period's count, so the tiles show no change against a previous period.
    render_tiles([Tile(page.t("alerts.open_total"), format_count(len(every))),
                  *(Tile(alert_text.kind_label(kind, page.language), format_count(int(counts.get(kind, 0))))
                    for kind in ALERT_KINDS)], page.language)


def map_key(page: PageContext) -> str:
    return f"alerts-map-{page.scope.code or 'city'}"


def apply_map_pick(page: PageContext, ids: list[int]) -> None:
    """A click on the map picks that alert (once per click: the map keeps its selection across reruns)."""
    picked = alert_text.picked_alert_id(st.session_state.get(map_key(page)))
    if picked is not None and picked != st.session_state.get("alerts_last_pick") and picked in ids:
        st.session_state[SELECTED_KEY] = picked
    st.session_state["alerts_last_pick"] = picked


def render_alert_map(page: PageContext, shown: pd.DataFrame, selected: int) -> None:
    """The areas the map draws for the selection, the flagged ones in their kind's colour, every alert as a dot."""
    t, scope = page.t, page.scope
    st.subheader(t("alerts.map"))
    outlines = cached.load_areas(scope.child_level, scope.map_parent)
    outlines = outlines.assign(selected=outlines["code"] == scope.code)
    flagged = alert_text.build_flagged_areas(cached.load_alert_areas(scope, AREA_ALERT_KINDS), shown, page.language)
    points = alert_text.build_alert_points(shown, page.language)
    layers = [*maps.build_base_layers(cached.load_water(), cached.load_areas("district")),
              maps.build_outline_layer(outlines, scope.child_level, "area-outlines", 1.0),
              *maps.build_selected_layers(outlines, scope.child_level),
              *maps.build_alert_layers(points, flagged, selected),
              maps.build_label_layer(maps.build_area_labels(outlines, page.language))]
    view = maps.build_view_state(*maps.bounds_of(outlines), width_px=MAP_VIEW_PIXELS[0], height_px=MAP_VIEW_PIXELS[1])
    tooltip = {"html": "{label}", "style": {"fontSize": "13px"}}
    render_map(maps.build_deck(layers, view, tooltip, page.map_style), key=map_key(page), height=520,
               selectable=True)
    render_legend(t("alerts.map.legend"), alert_text.build_legend_items(page.language))
    st.caption(t("alerts.map.hint"))


def read_task_states(alerts: pd.DataFrame) -> dict[int, str]:
    """{alert_id: the state of its newest 督办 task}, read fresh (not cached) from the primary while it answers, so
    a dispatch shows on the next run (else from the replica, as the tasks page does)."""
    ids = tuple(int(alert_id) for alert_id in alerts["alert_id"])
    return cached.read_through(lambda engine: tasks.read_task_for_alerts(engine, ids), primary_first=True)


def render_supervise(page: PageContext, alert: pd.Series, state: str | None) -> None:
    """督办 this alert: its task's state, and for those who may supervise its area the dispatch form, the alert's
    evidence as the task's source (data_access.tasks decides again who may)."""
    t, language = page.t, page.language
    task_views.render_flash(page)  # a dispatch's confirmation, outside the expander (it closes as the page reruns)
    if state is not None:
        st.caption(t("alerts.task_state", state=alert_text.task_state_label(state, language)))
    if not tasks.may_supervise(page.viewer, alert["area_code"]):
        if tasks.is_supervisor(page.viewer):
            st.caption(t("tasks.create.not_here"))
        return
    with st.expander(t("alerts.supervise"), icon=":material/assignment_add:"):
        category = None if alert["kind"] == "backlog" else alert["category_l1"]
        task_views.render_create_form(page, alert["area_code"], alert_text.area_label(alert, language),
                                      key=f"alert-task-{int(alert['alert_id'])}", source_kind="alert",
                                      source_summary=alert_text.task_summary(alert, language),
                                      category=category if isinstance(category, str) else None,
                                      alert_id=int(alert["alert_id"]))


def render_detail(page: PageContext, alert: pd.Series) -> None:
    """One alert: what, where, when, its figures, its days against the usual range, and where to look next."""
    t, language = page.t, page.language
    parts = [alert_text.kind_label(alert["kind"], language), alert_text.area_label(alert, language),
             alert_text.category_label(alert, language)]
    # Area names and categories are data: shown as text, never as Markdown.
    st.markdown(f"**{escape_markdown(' · '.join(part for part in parts if part))}**")
    st.caption(t("alerts.days", days=alert_text.days_label(alert)))
    st.markdown(escape_markdown(alert_text.evidence_text(alert, language)))
    render_tiles([Tile(t("column.observed"), alert_text.format_figure(alert["observed"])),
                  Tile(t("column.expected"), alert_text.format_level(alert["expected"])),
                  Tile(t("column.upper"), alert_text.format_figure(alert["upper"]))], language, columns=3)
    st.markdown(f"**{t('alerts.chart')}**")
    series = cached.load_alert_series(int(alert["alert_id"]), page.scope)
    if series.empty:
        st.info(t("app.empty"))
    else:
        titles = {"day": t("chart.day"), "count": t("chart.count"), "observed": t("chart.observed"),
                  "expected": t("chart.expected"), "upper": t("chart.upper"), "flagged": t("chart.flagged")}
        st.altair_chart(charts.build_alert_chart(series, titles), width="stretch")
    if alert["kind"] == "repeat_cluster":
        st.caption(t("alerts.chart.cluster", radius=f"{DEFAULT_PARAMETERS.cluster_radius_m:,.0f}",
                     days=DEFAULT_PARAMETERS.cluster_days))
        orders = alert_text.order_numbers(alert)
        if orders:
            st.caption(escape_markdown(t("alerts.orders", orders="、".join(orders))))
    map_link, requests_link = st.columns(2)
    map_link.link_button(t("alerts.open_map"), alert_text.link_url("grid-map", alert, language),
                         icon=":material/grid_on:", width="stretch")
    requests_link.link_button(t("alerts.open_requests"), alert_text.link_url("requests", alert, language),
                              icon=":material/support_agent:", width="stretch")
    st.caption(t("alerts.links_hint"))


def render_list(page: PageContext, shown: pd.DataFrame, states: dict[int, str]) -> None:
    """Every shown alert with its evidence, its 督办 task's state and links, and the audited CSV."""
    t = page.t
    st.subheader(t("alerts.list"))
    table = alert_text.build_alert_table(shown, page.language, states)
    render_table(table, {"alert_id": t("column.alert_id"), "kind_text": t("column.kind"), "area_text": t("column.area"),
                         "category_text": t("column.category"), "first": t("column.first_day"),
                         "last": t("column.last_day"), "observed": t("column.observed"),
                         "expected_text": t("column.expected"), "upper_text": t("column.upper"),
                         "task_text": t("column.task"),
                         "map_link": t("column.map_link"), "requests_link": t("column.requests_link"),
                         "level_text": t("column.level"), "area_code": t("column.code")},
                 key="alerts-table", download_name="alerts.csv", language=page.language,
                 links={"map_link": t("link.open"), "requests_link": t("link.open")})


def render(page: PageContext) -> None:
    """The alerts page."""
    t, language = page.t, page.language
    through = cached.load_alerts_through()
    if through is None:
        st.info(t("alerts.never"), icon=":material/notifications_off:")
        return
    st.caption(t("alerts.scope_note", day=through.isoformat()))
    every = cached.load_alert_list(page.scope)
    render_summary(page, every)
    if every.empty:
        st.info(t("alerts.none"), icon=":material/notifications_none:")
        return
    kinds = st.multiselect(t("alerts.kinds"), list(ALERT_KINDS), key=KINDS_KEY, placeholder=t("filter.all"),
                           format_func=lambda kind: alert_text.kind_label(kind, language))
    shown = every[every["kind"].isin(kinds)] if kinds else every
    if shown.empty:
        st.info(t("alerts.none_of_kind"), icon=":material/filter_alt_off:")
        return
    ids = [int(alert_id) for alert_id in shown["alert_id"]]
    apply_map_pick(page, ids)
    if st.session_state.get(SELECTED_KEY) not in ids:
        st.session_state[SELECTED_KEY] = ids[0]
    by_id = shown.set_index(shown["alert_id"].astype("int64"), drop=False)
    states = read_task_states(shown)
    map_column, detail_column = st.columns([3, 2], gap="medium")
    with map_column:
        render_alert_map(page, shown, st.session_state[SELECTED_KEY])
    with detail_column:
        st.subheader(t("alerts.detail"))
        chosen = st.selectbox(t("alerts.pick"), ids, key=SELECTED_KEY,
                              format_func=lambda alert_id: alert_text.select_label(by_id.loc[alert_id], language))
        render_detail(page, by_id.loc[chosen])
        render_supervise(page, by_id.loc[chosen], states.get(int(chosen)))
    render_list(page, shown, states)


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
