"""Wall display 大屏 (?mode=wall): a dark self-refreshing big screen that never shows an error or a person."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import streamlit as st

from components import cached, maps, wall
from components.i18n import code_label, pick_language, translate
from components.tiles import format_count, format_rate
from data_access import codes
from data_access.areas import read_city_facts
from data_access.city_time import CITY_ZONE, local_date, reference_now
from data_access.wall import WALL_VIEWS, read_wall_base, read_wall_snapshot, read_wall_view

log = logging.getLogger("cityscreen.wall")
PANELS = ("kpis", "map", "trend", "ranking", "ticker")
DEFAULT_REFRESH_SECONDS = 15


def screen_size() -> tuple[int, int]:
    """The wall's pixel size from ?screen=WxH (default 1920x1080), so the map fits it from the first frame."""
    try:
        width, height = (int(part) for part in st.query_params.get("screen", "1920x1080").lower().split("x"))
    except ValueError:
        return 1920, 1080
    return min(max(width, 640), 15360), min(max(height, 360), 8640)


def carousel() -> tuple[tuple[str, ...], int]:
    """Views to rotate through (?rotate=overview,requests,members,stations) and seconds per view (?every=)."""
    views = tuple(view for view in st.query_params.get("rotate", "").split(",") if view in WALL_VIEWS)
    try:
        every = min(max(int(st.query_params.get("every", 30)), 5), 3600)
    except ValueError:
        every = 30
    return views or ("overview",), every


def current_view(views: tuple[str, ...], every: int) -> str:
    """The view the wall clock says is on now: every wall on the same link shows the same view."""
    return views[int(time.time() // every) % len(views)]


def wall_settings() -> tuple[str, int, set[str], str | None]:
    """Language, refresh interval, panels shown and area, all from the bookmarked URL."""
    params = st.query_params
    language = pick_language(params.get("lang"), None, st.context.locale)
    try:
        refresh = min(max(int(params.get("refresh", DEFAULT_REFRESH_SECONDS)), 2), 3600)
    except ValueError:
        refresh = DEFAULT_REFRESH_SECONDS
    panels = {panel for panel in params.get("panels", ",".join(PANELS)).split(",") if panel in PANELS} or set(PANELS)
    area = params.get("area") or None
    if area and not (area.isdigit() and len(area) in codes.LEVEL_BY_CODE_LENGTH):
        area = None
    return language, refresh, panels, area


language, refresh_seconds, panels, area_code = wall_settings()
views, seconds_per_view = carousel()
screen_width, screen_height = screen_size()
st.html(wall.WALL_CSS)


def t(key: str, **values) -> str:
    return translate(key, language, **values)


def base_layers():
    """Shapes and city facts, read once and kept for the session (they do not change while the wall runs)."""
    if "wall_base" not in st.session_state:
        st.session_state["wall_base"] = read_wall_base(cached.get_wall_engine(), area_code)
    return st.session_state["wall_base"]


def take_snapshot():
    """Fresh figures (no cache: the wall must show new orders within one refresh), or the last good ones."""
    try:
        shapes, _, _, _ = base_layers()
        # The data's clock moves while the wall runs (a live feed advances as_of): read it every tick.
        facts = read_city_facts(cached.get_wall_engine())
        st.session_state["wall_facts"] = facts
        now = reference_now(facts, time.time())
        resolution = maps.h3_resolution_for(*maps.bounds_of(shapes))
        snapshot = read_wall_snapshot(cached.get_wall_engine(), area_code, now, local_date(now), resolution)
        view = current_view(views, seconds_per_view)
        st.session_state[f"wall_view_{view}"] = read_wall_view(cached.get_wall_engine(), view, area_code, now,
                                                               local_date(now))
        st.session_state["wall_last_good"] = snapshot
        st.session_state.pop("wall_stale_since", None)
        return snapshot, None
    except Exception:  # the database is down, slow or failing: keep the last figures, say so, retry next tick
        log.exception("wall refresh failed; showing the last good figures")
        since = st.session_state.setdefault("wall_stale_since", time.time())
        return st.session_state.get("wall_last_good"), since


@st.fragment(run_every=f"{refresh_seconds}s")
def live_wall() -> None:
    """Everything whose data changes; reruns on its own timer without reloading the page."""
    snapshot, stale_since = take_snapshot()
    clock = datetime.now(CITY_ZONE)
    stale_label = (t("wall.stale", since=datetime.fromtimestamp(stale_since, CITY_ZONE).strftime("%H:%M"))
                   if stale_since else None)
    if snapshot is None:
        st.html(wall.build_title_bar("", t("wall.title"), "", int(time.time()), clock, None, stale_label))
        st.html(f'<div class="wall-meta" style="font-size:3vh;margin-top:30vh;text-align:center">'
                f'{t("wall.connecting")}</div>')
        return
    shapes, districts, water, facts = st.session_state["wall_base"]
    facts = st.session_state.get("wall_facts", facts)
    city = facts.get("city_name_en" if language == "en" else "city_name_zh", "")
    mark = t("app.synthetic") if facts.get("synthetic") == "true" else None
    st.html(wall.build_title_bar(city, t("wall.title"), t("app.data_as_of", when="").strip(), snapshot.taken_at,
                                 clock, mark, stale_label))
    rates = snapshot.rates
    if "kpis" in panels:
        st.html(wall.build_tiles([
            (t("wall.received_today"), format_count(snapshot.received_today), False),
            (t("wall.received_30d"), format_count(snapshot.received_30d), False),
            (t("wall.open"), format_count(snapshot.backlog["open"]), False),
            (t("wall.overdue"), format_count(snapshot.backlog["overdue"]), snapshot.backlog["overdue"] > 0),
            (t("wall.satisfaction"), format_rate(rates.loc["satisfaction_rate", "rate"]), False),
            (t("wall.members"), f"{snapshot.people['active_week']:,}", False),
        ]))
    left, centre, right = st.columns([1, 2.3, 1], gap="small")
    name_column = "name_en" if language == "en" else "name_zh"
    if "trend" in panels:
        with left:
            st.html(f'<div class="wall-panel-title">{t("wall.trend")}</div>')
            days = snapshot.daily
            st.html(wall.build_trend_bars(days["received"].tolist(),
                                         (days["day"].iloc[0].strftime("%m-%d"), days["day"].iloc[-1].strftime("%m-%d"))
                                         if len(days) else ("", "")))
            st.html(wall.build_tiles([
                (t("wall.on_time"), format_rate(rates.loc["on_time_closure_rate", "rate"]), False),
                (t("wall.stations"), format_count(snapshot.stations_open), False),
            ], columns=1))
    view = current_view(views, seconds_per_view)
    extra = st.session_state.get(f"wall_view_{view}")
    if extra is None:
        view, extra = "overview", {}
    if "map" in panels:
        with centre:
            st.html(f'<div class="wall-panel-title" data-testid="wall-view">{t(f"wall.view.{view}")}</div>')
            render_view_map(view, extra, snapshot, shapes, districts, water, name_column)
    if "ranking" in panels:
        with right:
            render_view_side(view, extra, snapshot, name_column)
    if "ticker" in panels:
        items = [(f"{datetime.fromtimestamp(int(row.received_at), CITY_ZONE).strftime('%H:%M')} "
                  f"{code_label(codes.CATEGORIES_L1, row.category_l1, language)}",
                  f"{getattr(row, 'community_' + name_column) or ''} {row.title} · "
                  f"{code_label(codes.WORK_ORDER_STATUSES, row.status, language)}")
                 for row in snapshot.latest.itertuples()]
        st.html(wall.build_ticker(items))


def render_view_map(view, extra, snapshot, shapes, districts, water, name_column) -> None:
    """The centre map of the current view."""
    label_size = round(16 * screen_height / 1080)
    base = maps.build_base_layers(water, districts)
    if view == "members":
        coverage = extra["coverage"][["code", "coverage"]]
        member_shapes = shapes.merge(coverage, on="code", how="left") if set(coverage["code"]) & set(shapes["code"]) \
            else shapes.assign(coverage=float("nan"))
        layer, _ = maps.build_choropleth_layer(member_shapes.assign(name=member_shapes[name_column]), "district",
                                               "coverage", "good", "name", alpha=170)
        layers = [layer, *base, maps.build_label_layer(maps.build_area_labels(shapes, language), size=label_size)]
    elif view == "stations":
        layers = [*base, *maps.build_station_layers(extra["stations"], name_column, radius_m=70)]
    else:
        counts = snapshot.ranking.set_index("code")["received"]
        area_data = shapes.assign(received=shapes["code"].map(counts).fillna(0), name=shapes[name_column])
        choropleth, _ = maps.build_choropleth_layer(area_data, "district", "received", "load", "name",
                                                    alpha=30 if view == "requests" else 90)
        heat_layer, _ = maps.build_h3_layer(snapshot.heat)
        layers = [choropleth, *base, heat_layer,
                  maps.build_label_layer(maps.build_area_labels(area_data, language), size=label_size)]
    # The map takes ~58% of the width and 66% of the height (see WALL_CSS).
    view_state = maps.build_view_state(*maps.bounds_of(shapes), width_px=int(screen_width * 0.55),
                                       height_px=int(screen_height * 0.62))
    st.pydeck_chart(maps.build_deck(layers, view_state), height=640, key=f"wall-map-{view}")


def render_view_side(view, extra, snapshot, name_column) -> None:
    """The right-hand ranking of the current view."""
    if view == "requests":
        hotspots = extra["hotspots"]
        title, rows = t("wall.hotspots"), [(row[name_column], int(row["received"])) for _, row in hotspots.iterrows()]
    elif view == "members":
        under = extra["under"]
        title, rows = t("wall.under"), [(row[name_column], int(row["shortfall"])) for _, row in under.iterrows()]
    elif view == "stations":
        counts = extra["counts"]
        title = t("wall.station_types")
        rows = [(code_label(codes.STATION_TYPES, row["station_type"], language), int(row["open"]))
                for _, row in counts.sort_values("open", ascending=False).iterrows()]
    else:
        title = t("wall.ranking")
        rows = [(row[name_column], int(row["received"])) for _, row in snapshot.ranking.head(12).iterrows()]
    st.html(f'<div class="wall-panel-title">{title}</div>')
    st.html(wall.build_ranking(rows))


live_wall()
