"""Delegation tour 参观导览 (?mode=tour): the city's story in steps, captioned in Chinese and English together."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from components import auth, cached, maps
from components.areas import measure_classes
from components.colours import STATION_COLOURS, hex_colour
from components.frame import run_from_pages_folder
from components.i18n import code_label, pick_language, translate
from components.tiles import format_rate
from components.views import escape_markdown, render_legend
from data_access import codes
from data_access.city_time import local_date, local_text, reference_now
from data_access.coverage import DEFAULT_RADIUS_M
from data_access.roles import Viewer
from data_access.scope import CITY, AreaScope

log = logging.getLogger("cityscreen.tour")

STEPS = ("grid", "stations", "loop", "members")


@dataclass(frozen=True)
class Tour:
    """What every step needs: the city's facts, the data's day, ?auto=N seconds per step (0: by hand), and the
    viewer's scope (what they may read about people: a guest's tour shows no citizen's words)."""

    facts: dict
    today: date
    auto_seconds: int
    scope: AreaScope


def read_tour_settings(viewer: Viewer) -> Tour:
    """The tour's settings from the data, the URL and the viewer."""
    facts = cached.load_city_facts()
    try:
        auto_seconds = min(max(int(st.query_params.get("auto", 0)), 0), 600)
    except ValueError:
        auto_seconds = 0
    return Tour(facts, local_date(reference_now(facts, time.time())), auto_seconds, viewer.scope())


def both(key: str, **values) -> tuple[str, str]:
    """The catalog string in Chinese and in English (delegations read both)."""
    return translate(key, "zh", **values), translate(key, "en", **values)


def caption(key: str, zh_values: dict, en_values: dict | None = None) -> None:
    """A step's caption in both languages, Chinese first; the values (names, figures) shown as text."""
    def inert(values: dict) -> dict:
        return {name: escape_markdown(value) for name, value in values.items()}

    st.markdown(f"#### {translate(key, 'zh', **inert(zh_values))}")
    st.markdown(f"*{translate(key, 'en', **inert(en_values or zh_values))}*")


def header(tour: Tour, step: int) -> None:
    """Tour title, step counter, and the synthetic-data mark."""
    zh, en = both(f"tour.{STEPS[step]}.title")
    st.title(f"{zh}")
    st.subheader(en)
    marks = [" · ".join(both("app.synthetic"))] if tour.facts.get("synthetic") == "true" else []
    if not auth.sign_in_configured():
        marks.append(" · ".join(both("auth.open_demo_short")))
    st.caption(f"{' / '.join(both('tour.step', number=step + 1, total=len(STEPS)))}"
               + "".join(f" · :orange-badge[{mark}]" for mark in marks))


def city_base():
    districts = cached.load_areas("district")
    return districts, maps.build_base_layers(cached.load_water(), districts)


def step_grid(tour: Tour) -> None:
    counts = cached.load_area_counts()
    districts, base = city_base()
    values = {"districts": counts.get("district", 0), "streets": counts.get("street", 0),
              "communities": f"{counts.get('community', 0):,}", "grids": f"{counts.get('grid', 0):,}"}
    caption("tour.grid.caption", {"city": tour.facts.get("city_name_zh", ""), **values},
            {"city": tour.facts.get("city_name_en", ""), **values})
    streets = cached.load_areas("street")
    layers = [maps.build_outline_layer(streets, "street", "streets", 0.8), *base,
              maps.build_label_layer(maps.build_area_labels(districts, "zh"), size=15)]
    st.pydeck_chart(maps.build_deck(layers, maps.build_view_state(*maps.bounds_of(districts), 1100, 560)),
                    height=560, key="tour-map-grid")


def step_stations(tour: Tour) -> None:
    station_rows = cached.load_stations(CITY, (), ("open",))
    coverage = cached.load_grid_coverage(DEFAULT_RADIUS_M)
    population = coverage["population"].sum()
    share = format_rate(coverage.loc[coverage["covered"], "population"].sum() / population if population else None)
    caption("tour.stations.caption", {"stations": f"{len(station_rows):,}", "share": share})
    districts, base = city_base()
    layers = [*base, *maps.build_station_layers(station_rows, "name_zh", radius_m=45)]
    st.pydeck_chart(maps.build_deck(layers, maps.build_view_state(*maps.bounds_of(districts), 1100, 540)),
                    height=540, key="tour-map-stations")
    render_legend("阵地类型 Station types", [
        (hex_colour(STATION_COLOURS[code]), f"{zh} {en}") for code, (zh, en) in codes.STATION_TYPES.items()])


def step_loop(tour: Tour) -> None:
    order = cached.load_tour_order(tour.scope)
    if order is None:
        st.info(" / ".join(both("tour.loop.empty")))
        return
    timeline = cached.load_order_timeline(tour.scope, order["order_no"])
    if timeline.empty:  # the read finds no such order inside the viewer's area
        st.info(" / ".join(both("order.not_in_area")))
        return
    # The title is None for a viewer who may not read citizens' words (data_access withholds it).
    key, titled = ("tour.loop.caption", {"title": order["title"]}) if order["title"] else \
        ("tour.loop.caption_untitled", {})
    caption(key, {"order": order["order_no"], **titled,
                  "category": code_label(codes.CATEGORIES_L1, order["category_l1"], "zh")},
            {"order": order["order_no"], **titled,
             "category": code_label(codes.CATEGORIES_L1, order["category_l1"], "en")})
    start = int(timeline["at"].iloc[0])
    rows = pd.DataFrame({
        "环节 Step": [" · ".join(both(f"step.{step}")) for step in timeline["step"]],
        "时间 Time": [local_text(at) for at in timeline["at"]],
        "用时 After": [_duration(int(at) - start) for at in timeline["at"]],
    })
    st.dataframe(rows, hide_index=True, width="stretch")
    answer = code_label(codes.SATISFACTION, order["satisfaction"], "zh")
    # A delegation's tour names no caller, not even masked.
    st.markdown(f"**{answer} · {code_label(codes.SATISFACTION, order['satisfaction'], 'en')}** — "
                f"{code_label(codes.CHANNELS, order['channel'], 'zh')} / "
                f"{code_label(codes.CHANNELS, order['channel'], 'en')}")


def _duration(seconds: int) -> str:
    """Elapsed time as d h m."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    return (f"{days}d " if days else "") + (f"{hours}h " if hours or days else "") + f"{minutes}m"


def step_members(tour: Tour) -> None:
    people = cached.load_member_summary(CITY, tour.today)
    caption("tour.members.caption", {"deployed": f"{people['deployed']:,}", "active": f"{people['active_week']:,}",
                                     "hours": f"{people['hours_week']:,.0f}"})
    coverage = cached.load_member_coverage("district")
    districts, base = city_base()
    shapes = districts.merge(coverage[["code", "members", "target", "coverage"]], on="code")
    layer = maps.build_choropleth_layer(shapes.assign(name=shapes["name_zh"] + " " + shapes["name_en"]),
                                        "district", "coverage", measure_classes("member_coverage", shapes), "name",
                                        layer_id="tour-coverage")
    layers = [layer, *base, maps.build_label_layer(maps.build_area_labels(districts, "zh"), size=15)]
    st.pydeck_chart(maps.build_deck(layers, maps.build_view_state(*maps.bounds_of(districts), 1100, 520)),
                    height=520, key="tour-map-members")
    st.metric(" / ".join(both("members.deployed")), f"{people['deployed']:,} / {people['target']:,}")


RENDER = {"grid": step_grid, "stations": step_stations, "loop": step_loop, "members": step_members}


def render() -> None:
    """The tour (?mode=tour): one step at a time; buttons move it, and ?auto=N moves it every N seconds."""
    # Everyone signed in may take the tour (guests above all); no one else sees it.
    language = pick_language(st.query_params.get("lang"), None, st.context.locale)
    viewer = auth.require_viewer(cached.get_engine(), language)
    if viewer.area_code is not None:
        # The tour shows the whole city's figures: for viewers whose grant is the city (guests, leaders).
        auth.render_outside_area(viewer, None, language, "tour")
        return
    try:
        if not cached.database_has_data():
            st.info(" / ".join(both("app.no_data")))
            return
        tour = read_tour_settings(viewer)
        st.session_state.setdefault("tour_step", 0)

        @st.fragment(run_every=f"{tour.auto_seconds}s" if tour.auto_seconds else None)
        def steps() -> None:
            render_step(tour)

        steps()
    except Exception:
        log.exception("tour failed")
        st.error(" ".join(both("app.error")))


def render_step(tour: Tour) -> None:
    """The current step, advanced by the clock when the tour plays by itself."""
    auto_seconds = tour.auto_seconds
    if auto_seconds and st.session_state.get("tour_shown_at", 0) + auto_seconds <= time.time():
        if "tour_shown_at" in st.session_state:
            st.session_state["tour_step"] = (st.session_state["tour_step"] + 1) % len(STEPS)
        st.session_state["tour_shown_at"] = time.time()
    step = st.session_state["tour_step"]
    header(tour, step)
    RENDER[STEPS[step]](tour)
    back, _, forward = st.columns([1, 4, 1])
    if back.button(" / ".join(both("tour.previous")), disabled=step == 0, key="tour-back"):
        st.session_state["tour_step"] = step - 1
        st.rerun(scope="fragment")
    if forward.button(" / ".join(both("tour.next")), disabled=step == len(STEPS) - 1, key="tour-next"):
        st.session_state["tour_step"] = step + 1
        st.rerun(scope="fragment")


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
