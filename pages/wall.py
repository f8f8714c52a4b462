"""Wall display 大屏 (?mode=wall): a dark self-refreshing big screen that never shows an error or a person."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import streamlit as st

from components import auth, cached, maps, wall
from components.frame import run_from_pages_folder
from components.i18n import code_label, pick_language, translate
from components.tiles import format_count
from components.viewport import read_viewport
from data_access import codes
from data_access.city_time import local_text
from data_access.figures import unrecorded
from data_access.scope import AreaScope, OutsideArea
from data_access.wall import (
    WALL_VIEWS,
    AlertsView,
    MembersView,
    OverviewView,
    RequestsView,
    StationsView,
    WallSnapshot,
    WallView,
    read_wall_base,
)

log = logging.getLogger("cityscreen.wall")
PANELS = ("kpis", "map", "trend", "ranking", "ticker")
DEFAULT_REFRESH_SECONDS = 15
# The screen a wall is laid out for until its browser reports its window (and when it never does).
DEFAULT_SCREEN = (1920, 1080)
VIEWPORT_KEY = "wall-viewport"
RANKED_ROWS = 12


@dataclass(frozen=True)
class WallSettings:
    """Everything the bookmarked URL says about this wall."""

    language: str
    refresh_seconds: int
    panels: frozenset[str]
    area_text: str | None
    views: tuple[str, ...]
    seconds_per_view: int
    screen_width: int
    screen_height: int
    # Set on every refresh from the wall's key (wall_scope): the area it may show.
    scope: AreaScope | None = None

    def t(self, key: str, **values) -> str:
        return translate(key, self.language, **values)

    @property
    def name_column(self) -> str:
        return "name_en" if self.language == "en" else "name_zh"


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text if text is not None else default), low), high)
    except ValueError:
        return default


def read_wall_settings() -> WallSettings:
    """Language, refresh, panels, area, carousel (?rotate=overview,requests,members,stations,alerts&every=30) and the
    screen's pixel size: ?screen=WxH when the bookmark gives one, else the browser window's (1920x1080 until the
    browser has reported it)."""
    params = st.query_params
    panels = frozenset(panel for panel in params.get("panels", ",".join(PANELS)).split(",") if panel in PANELS)
    views = tuple(view for view in params.get("rotate", "").split(",") if view in WALL_VIEWS)
    try:
        width, height = (int(part) for part in params.get("screen", "").lower().split("x"))
    except ValueError:
        width, height = read_viewport(VIEWPORT_KEY) or DEFAULT_SCREEN
    return WallSettings(
        language=pick_language(params.get("lang"), None, st.context.locale),
        refresh_seconds=_bounded_int(params.get("refresh"), DEFAULT_REFRESH_SECONDS, 2, 3600),
        panels=panels or frozenset(PANELS),
        area_text=params.get("area"),
        views=views or ("overview",),
        seconds_per_view=_bounded_int(params.get("every"), 30, 5, 3600),
        screen_width=min(max(width, 640), 15360),
        screen_height=min(max(height, 360), 8640),
    )


def current_view(settings: WallSettings) -> str:
    """The view the wall clock says is on now: every wall on the same link shows the same view."""
    return settings.views[int(time.time() // settings.seconds_per_view) % len(settings.views)]


def load_base(settings: WallSettings):
    """Shapes and city facts, read once and kept for the session (they do not change while the wall runs)."""
    if "wall_base" not in st.session_state:
        st.session_state["wall_base"] = cached.read_through(lambda engine: read_wall_base(engine, settings.scope),
                                                            wall=True)
    return st.session_state["wall_base"]


def take_snapshot(settings: WallSettings) -> tuple[WallSnapshot | None, float | None]:
    """This tick's figures (shared by every wall showing the same area: new orders show within one refresh), or the
    last good ones."""
    try:
        base = load_base(settings)
        resolution = maps.h3_resolution_for(*maps.bounds_of(base.shapes))
        view = current_view(settings)
        reading = cached.load_wall_reading(settings.scope, view, settings.refresh_seconds, resolution)
        snapshot = reading.snapshot
        st.session_state["wall_facts"] = reading.facts
        st.session_state[f"wall_view_{view}"] = reading.view
        st.session_state["wall_last_good"] = snapshot
        st.session_state.pop("wall_stale_since", None)
        return snapshot, None
    except Exception:  # the database is down, slow or failing: keep the last figures, say so, retry next tick
        log.exception("wall refresh failed; showing the last good figures")
        since = st.session_state.setdefault("wall_stale_since", time.time())
        return st.session_state.get("wall_last_good"), since


def database_is_empty() -> bool:
    """True only when the database answers and holds no city (an unreachable one is handled as stale)."""
    try:
        return not cached.database_has_data()
    except Exception:
        return False


def wall_scope(settings: WallSettings) -> AreaScope | None:
    """The area this wall may show, from its key, checked again on every refresh (a revoked key stops the wall
    within one); None when the key is unknown or revoked or the area lies outside the key's. A database that
    cannot answer keeps the last answer (the figures go stale, the wall stays up)."""
    try:
        key = st.query_params.get("key")
        # Fresh from the primary while it answers (a revoked key stops the wall), else from the replica.
        viewer = cached.read_through(lambda engine: auth.wall_viewer(engine, key), wall=True, primary_first=True)
        scope = None if viewer is None else viewer.scope_from_text(settings.area_text)
    except OutsideArea:
        scope = None
    except Exception:
        log.exception("could not check the wall's key; keeping the last answer")
        return st.session_state.get("wall_scope")
    st.session_state["wall_scope"] = scope
    return scope


def render_live(settings: WallSettings) -> None:
    """Everything whose data changes; reruns on its own timer without reloading the page."""
    t = settings.t
    clock = local_text(time.time(), "%H:%M:%S")
    scope = wall_scope(settings)
    if scope is None:
        st.html(wall.build_title_bar("", t("wall.title"), "", int(time.time()), clock, None, None))
        st.html(wall.build_empty(t("auth.wall_key"), "wall-calm"))
        return
    if st.session_state.get("wall_base_scope") != scope:  # the shapes are read again only for another area
        st.session_state.pop("wall_base", None)
        st.session_state["wall_base_scope"] = scope
    settings = replace(settings, scope=scope)
    if database_is_empty():
        st.html(wall.build_title_bar("", t("wall.title"), "", int(time.time()), clock, None, None))
        st.html(wall.build_empty(t("wall.no_data"), "wall-calm"))
        return
    snapshot, stale_since = take_snapshot(settings)
    stale_label = t("wall.stale", since=local_text(stale_since, "%H:%M")) if stale_since else None
    if snapshot is None:
        st.html(wall.build_title_bar("", t("wall.title"), "", int(time.time()), clock, None, stale_label))
        st.html(wall.build_empty(t("wall.connecting"), "wall-calm"))
        return
    base = st.session_state["wall_base"]
    facts = st.session_state.get("wall_facts", base.facts)
    city = facts.get("city_name_en" if settings.language == "en" else "city_name_zh", "")
    marks = [t("app.synthetic")] if facts.get("synthetic") == "true" else []
    if not auth.sign_in_configured():
        marks.append(t("auth.open_demo_short"))
    mark = " · ".join(marks) or None
    st.html(wall.build_title_bar(city, t("wall.title"), t("app.data_as_of", when="").strip(), snapshot.taken_at,
                                 clock, mark, stale_label,
                                 (t("wall.alert_count", count=f"{snapshot.open_alerts:,}"), snapshot.open_alerts)))
    figures, language = snapshot.figures, settings.language
    if "kpis" in settings.panels:
        st.html(wall.build_tiles([
            wall.figure_tile(t("wall.received_today"), figures["received_today"], language),
            wall.figure_tile(t("wall.received_30d"), figures["received"], language),
            wall.figure_tile(t("wall.open"), figures["open"], language),
            wall.figure_tile(t("wall.overdue"), figures["overdue"], language, alert=figures["overdue"].value > 0),
            wall.figure_tile(t("wall.satisfaction"), figures["satisfaction_rate"], language),
            wall.figure_tile(t("wall.members"), figures["members_active_week"], language),
        ]))
    left, centre, right = st.columns([1, 2.3, 1], gap="small")
    if "trend" in settings.panels:
        with left:
            render_trend(settings, snapshot)
    view = current_view(settings)
    extra = st.session_state.get(f"wall_view_{view}")
    if extra is None:
        view, extra = "overview", OverviewView()
    if "map" in settings.panels:
        with centre:
            st.html(wall.build_panel_title(t(f"wall.view.{view}"), "wall-view"))
            if wall.water_grid(base):
                st.html(wall.build_note(t("area.water_grid")))
            label_size = round(16 * settings.screen_height / 1080)
            width_px, height_px = wall.map_pixels(settings.screen_width, settings.screen_height)
            view_state = maps.build_view_state(*maps.bounds_of(base.shapes), width_px=width_px, height_px=height_px)
            layers = wall.build_view_layers(extra, snapshot, base, settings.language, label_size)
            st.pydeck_chart(maps.build_deck(layers, view_state), height=height_px, key=f"wall-map-{view}")
    if "ranking" in settings.panels:
        with right:
            render_side(settings, extra, snapshot)
    if "ticker" in settings.panels:
        items = [(f"{local_text(row.received_at, '%H:%M')} "
                  f"{code_label(codes.CATEGORIES_L1, row.category_l1, settings.language)}",
                  f"{getattr(row, 'community_' + settings.name_column) or ''} {row.title} · "
                  f"{code_label(codes.WORK_ORDER_STATUSES, row.status, settings.language)}")
                 for row in snapshot.latest.itertuples()]
        st.html(wall.build_ticker(items, t("wall.empty.ticker")))


def render_trend(settings: WallSettings, snapshot: WallSnapshot) -> None:
    """Requests per day over 30 days, on-time closure, open stations, and supervision tasks open and overdue,
    filling the panel's height."""
    t, figures = settings.t, snapshot.figures
    days = snapshot.daily
    labels = (days["day"].iloc[0].strftime("%m-%d"), days["day"].iloc[-1].strftime("%m-%d")) if len(days) else ("", "")
    stations = unrecorded("stations_open", snapshot.stations_open)
    st.html(wall.build_side([
        wall.build_panel_title(t("wall.trend")),
        wall.build_trend_bars(days["received"].tolist(), labels, t("wall.empty.orders")),
        wall.build_tiles([wall.figure_tile(t("wall.on_time"), figures["on_time_closure_rate"], settings.language),
                          wall.figure_tile(t("wall.stations"), stations, settings.language)], columns=2),
        # Tasks as they stand now (the 督办 records keep no figure of a previous period yet): no change line.
        wall.build_tiles([
            wall.WallTile(t("wall.tasks_unfinished"), format_count(snapshot.tasks["unfinished"])),
            wall.WallTile(t("wall.tasks_overdue"), format_count(snapshot.tasks["overdue"]),
                          snapshot.tasks["overdue"] > 0)], columns=2),
    ], "wall-left"))


def render_side(settings: WallSettings, view: WallView, snapshot: WallSnapshot) -> None:
    """The right-hand ranking of the current view; words when it has nothing to rank."""
    t, name_column = settings.t, settings.name_column
    if isinstance(view, AlertsView):
        hidden = len(view.alerts) - wall.LISTED_ALERTS
        st.html(f'<div class="wall-panel-title">{t("wall.alerts")}</div>')
        st.html(wall.build_alert_list(view.alerts.head(wall.LISTED_ALERTS), settings.language,
                                      t("wall.alert_figures"), t("wall.empty.alerts"),
                                      t("wall.alerts.more", count=f"{hidden:,}") if hidden > 0 else None))
        return
    if isinstance(view, RequestsView):
        title, empty = t("wall.hotspots"), t("wall.empty.orders")
        rows = [(row[name_column], int(row["received"])) for _, row in view.hotspots.iterrows()]
    elif isinstance(view, MembersView):
        title, empty = t("wall.under"), t("wall.empty.under")
        rows = [(row[name_column], int(row["shortfall"])) for _, row in view.under.iterrows()]
    elif isinstance(view, StationsView):
        title, empty = t("wall.station_types"), t("wall.empty.stations")
        rows = [(code_label(codes.STATION_TYPES, row["station_type"], settings.language), int(row["open"]))
                for _, row in view.counts.sort_values("open", ascending=False).iterrows()]
    else:
        title, empty = t("wall.ranking"), t("wall.empty.orders")
        rows = [(row[name_column], int(row["received"])) for _, row in snapshot.ranking.head(RANKED_ROWS).iterrows()]
    # A narrow column: the words every name shares (a community's grids' community) are left out.
    names = maps.short_names([name for name, _ in rows], settings.language)
    rows = [(name, count) for name, (_, count) in zip(names, rows, strict=True)]
    # The views whose map draws the request heat say what its colours mean under their ranking.
    legend = wall.build_heat_legend(snapshot, settings.language) if isinstance(view, (RequestsView, OverviewView)) \
        else ""
    st.html(wall.build_side([wall.build_panel_title(title), wall.build_ranking(rows, empty), legend], "wall-right"))


def render() -> None:
    """The wall (?mode=wall)."""
    settings = read_wall_settings()
    st.html(wall.WALL_CSS)

    @st.fragment(run_every=f"{settings.refresh_seconds}s")
    def live_wall() -> None:
        render_live(settings)

    live_wall()


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
