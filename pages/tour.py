"""Delegation tour 参观导览 (?mode=tour): the city's story in steps, captioned in Chinese and English together."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from components import alerts as alert_text
from components import auth, cached, maps
from components.areas import measure_classes
from components.colours import ALERT_KIND_COLOURS, STATION_COLOURS, TASK_UNFINISHED, hex_colour
from components.frame import run_from_pages_folder
from components.i18n import code_label, pick_language, translate
from components.tasks import build_task_journey
from components.tiles import format_rate
from components.views import escape_markdown, format_duration, format_time, render_legend
from data_access import codes
from data_access.city_time import local_date, local_text, reference_now
from data_access.codes import AREA_LEVELS, PARENT_LEVEL
from data_access.coverage import DEFAULT_RADIUS_M
from data_access.roles import Viewer
from data_access.scope import CITY, AreaScope

log = logging.getLogger("cityscreen.tour")

STEPS = ("grid", "stations", "loop", "task", "members")


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
        "用时 After": [format_duration(int(at) - start) for at in timeline["at"]],
    })
    st.dataframe(rows, hide_index=True, width="stretch")
    answer = code_label(codes.SATISFACTION, order["satisfaction"], "zh")
    # A delegation's tour names no caller, not even masked.
    st.markdown(f"**{answer} · {code_label(codes.SATISFACTION, order['satisfaction'], 'en')}** — "
                f"{code_label(codes.CHANNELS, order['channel'], 'zh')} / "
                f"{code_label(codes.CHANNELS, order['channel'], 'en')}")


def step_task(tour: Tour) -> None:
    """One 督办 task followed from the alert it was made from to its verification: the alert's evidence, to whom
    and by when, what was asked and done (for viewers who may read staff's free text), the area on a small map,
    and every step with its time, the time since the step before and the actor's role (never a name)."""
    detail = cached.load_tour_task(tour.scope)
    if detail is None:
        st.info(" / ".join(both("tour.task.empty")))
        return
    task, history = detail.task, detail.history
    # Chosen only while its alert is stored; a recompute a moment later may have dropped it: the steps still show.
    found = cached.load_alert_list(tour.scope, status=None, alert_ids=(int(task["alert_id"]),))
    alert = found.iloc[0].to_dict() if len(found) else None
    dispatched, verified = int(history["at"].iloc[0]), int(history["at"].iloc[-1])

    def values(language: str) -> dict:
        suffix = "en" if language == "en" else "zh"
        what = (alert_text.category_label(alert, language) or alert_text.kind_label(alert["kind"], language)) \
            if alert is not None else code_label(codes.CATEGORIES_L1, task["category_l1"], language)
        return {"task": int(task["task_id"]), "area": task[f"area_name_{suffix}"] or task["area_code"],
                "what": what or "—", "assignee": task_assignee(task, language),
                "duration": format_duration(verified - dispatched, language)}

    caption("tour.task.caption", values("zh"), values("en"))
    facts, place = st.columns([3, 2])
    with facts:
        render_task_alert(alert)
        deadline = format_time(task["deadline"], "%Y-%m-%d %H:%M")
        st.markdown(" · ".join(both("tour.task.deadline", deadline=deadline)))
        render_task_words(task, history)
    with place:
        render_task_map(task, alert)
    render_task_timeline(build_task_journey(alert, history))


def task_assignee(task: dict, language: str) -> str:
    """The street office or department the task went to, by name."""
    suffix = "en" if language == "en" else "zh"
    return task[f"assignee_name_{suffix}"] or task["assignee"]


def render_task_alert(alert: dict | None) -> None:
    """The alert in words, both languages: what was flagged where, on which days, and its figures."""
    if alert is None:
        return
    for language in ("zh", "en"):
        parts = [alert_text.kind_label(alert["kind"], language), alert_text.area_label(alert, language),
                 alert_text.category_label(alert, language)]
        line = " · ".join(escape_markdown(part) for part in parts if part)
        flagged = escape_markdown(translate("tour.task.flagged", language, days=alert_text.days_label(alert)))
        label = translate("tour.task.alert", language)
        evidence = escape_markdown(alert_text.evidence_text(alert, language))
        st.markdown(f"**{label}** {line} · {flagged}  \n{evidence}" if language == "zh"
                    else f"*{label}: {line} · {flagged}. {evidence}*")


def render_task_words(task: dict, history: pd.DataFrame) -> None:
    """What was asked, why it was sent back, what was done: staff's free text, shown as text; for a viewer who may
    not read it (data_access withheld it), a line saying so."""
    if task["instruction"] is None:
        st.caption(" / ".join(both("tour.task.withheld")))
        return
    notes = history.dropna(subset=["note"])
    resolved = notes.loc[notes["action"] == "resolve", "note"]
    shown = [("tour.task.instruction", [task["instruction"]]),
             ("tour.task.returned", list(notes.loc[notes["action"] == "return", "note"])),
             ("tour.task.result", list(resolved.iloc[-1:]))]
    for key, texts in shown:
        for text in texts:
            st.markdown(f"**{' · '.join(both(key))}**  \n{escape_markdown(text)}")


def render_task_map(task: dict, alert: dict | None) -> None:
    """The task's area among its neighbours (the areas of its level in its parent area), filled in its alert's
    colour, with their names."""
    level = task["area_level"]
    parent_level = PARENT_LEVEL.get(level)
    around = AreaScope.of(task["area_code"][:AREA_LEVELS[parent_level]]) if parent_level else CITY
    neighbours = cached.load_areas(level, around)
    chosen = neighbours[neighbours["code"] == task["area_code"]]
    if chosen.empty:
        return
    colour = ALERT_KIND_COLOURS.get(alert["kind"], TASK_UNFINISHED) if alert is not None else TASK_UNFINISHED
    layers = [maps.build_outline_layer(neighbours, level, "tour-task-neighbours", 1.2),
              maps.build_highlight_layer(chosen, level, colour, "tour-task-area", alpha=90),
              maps.build_label_layer(maps.build_area_labels(neighbours, "zh"), size=13)]
    st.pydeck_chart(maps.build_deck(layers, maps.build_view_state(*maps.bounds_of(neighbours), 640, 320)),
                    height=320, key="tour-map-task")


def render_task_timeline(journey: pd.DataFrame) -> None:
    """The steps side by side, oldest first: what, when, how long after the step before, by whom (a role)."""
    st.markdown(f"**{' · '.join(both('tour.task.timeline'))}**")
    for column, step in zip(st.columns(len(journey)), journey.itertuples(), strict=True):
        with column.container(border=True):
            st.markdown(f"**{escape_markdown(step.label_zh)}**  \n{escape_markdown(step.label_en)}")
            st.caption(escape_markdown(step.time))
            if step.after is not None and not pd.isna(step.after):
                st.caption(" / ".join(
                    translate("tour.task.after", language, duration=format_duration(int(step.after), language))
                    for language in ("zh", "en")))
            if step.role_zh:
                st.caption(escape_markdown(f"{step.role_zh} · {step.role_en}"))


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


RENDER = {"grid": step_grid, "stations": step_stations, "loop": step_loop, "task": step_task,
          "members": step_members}


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
