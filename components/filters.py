"""The shared sidebar filters: area drill-down, period, categories, channels, statuses — kept in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from components import cached
from components.i18n import code_label, translate
from data_access import codes
from data_access.city_time import local_day_start
from data_access.filters import WorkOrderFilter
from data_access.roles import Viewer
from data_access.scope import AreaScope, OutsideArea

PERIODS = ("today", "7d", "30d", "year", "custom")
DEFAULT_PERIOD = "30d"
LEVEL_KEYS = ("district", "street", "community", "grid")
# Set by a map click or a tour step; applied before the widgets are drawn on the next run.
PENDING_AREA = "pending_area"


@dataclass(frozen=True)
class Selection:
    """What the user chose in the sidebar."""

    area: AreaScope
    period: str
    first_day: date
    last_day: date
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    # An area the URL asked for that lies outside the viewer's area: shown as a plain refusal, never read.
    refused_area: str | None = None

    def work_filter(self) -> WorkOrderFilter:
        """The data-access filter for this selection."""
        start = local_day_start(self.first_day)
        end = local_day_start(self.last_day + timedelta(days=1))
        return WorkOrderFilter(start=start, end=end, area=self.area, categories=self.categories,
                               channels=self.channels, statuses=self.statuses)


# A custom window reaches back at most this far (as st.date_input's own default range): a link asking for the
# year 1 gets the last ten years, not a page building 740,000 of everything.
CUSTOM_YEARS_BACK = 10
# A time slider over a window offers at most this many steps: days, else weeks, months or years.
MAX_STEPS = 62


def earliest_custom_day(today: date) -> date:
    return date(today.year - CUSTOM_YEARS_BACK, 1, 1)


def period_days(period: str, today: date, custom: tuple[date, date] | None = None) -> tuple[date, date]:
    """First and last day of a named period ending today (a custom one kept within the last ten years and today)."""
    if period == "today":
        return today, today
    if period == "7d":
        return today - timedelta(days=6), today
    if period == "year":
        return date(today.year, 1, 1), today
    if period == "custom" and custom:
        low = earliest_custom_day(today)
        first, last = (min(max(day, low), today) for day in sorted(custom))
        return first, last
    return today - timedelta(days=29), today


def _next_start(day: date, unit: str) -> date:
    """The first day of the step after the one holding `day` (weeks run from the window's first day)."""
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def window_steps(first_day: date, last_day: date) -> tuple[str, list[tuple[date, date]]]:
    """The steps a time slider offers over [first_day, last_day]: the finest unit (day, week, month, year) giving at
    most MAX_STEPS steps, as (unit, [(first, last) of each step, clipped to the window])."""
    for unit in ("day", "week", "month", "year"):
        steps, start = [], first_day
        while start <= last_day and len(steps) <= MAX_STEPS:
            following = _next_start(start, unit)
            steps.append((start, min(following - timedelta(days=1), last_day)))
            start = following
        if len(steps) <= MAX_STEPS or unit == "year":
            return unit, steps
    raise AssertionError("unreachable")


def _split(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


REFUSED_AREA = "refused_area"


def _initialise_from_url(viewer: Viewer, today: date) -> None:
    """On a session's first run, take the filters from the URL's query string (an area outside the viewer's
    is refused once, and the viewer's own area shown after)."""
    if st.session_state.get("filters_ready"):
        return
    params = st.query_params
    try:
        area = viewer.scope_from_text(params.get("area"))
    except OutsideArea:
        st.session_state[REFUSED_AREA] = params.get("area")
        area = viewer.scope()
    if area.code:
        for level, digits in codes.AREA_LEVELS.items():
            if digits <= len(area.code):
                st.session_state[f"filter_{level}"] = area.code[:digits]
    period = params.get("period", DEFAULT_PERIOD)
    st.session_state["filter_period"] = period if period in PERIODS else DEFAULT_PERIOD
    if st.session_state["filter_period"] == "custom":
        try:
            first = date.fromisoformat(params.get("from", ""))
            last = date.fromisoformat(params.get("to", ""))
            st.session_state["filter_dates"] = period_days("custom", today, (first, last))
        except ValueError:
            st.session_state["filter_period"] = DEFAULT_PERIOD
    for name, known in (("categories", codes.CATEGORIES_L1), ("channels", codes.CHANNELS),
                        ("statuses", codes.WORK_ORDER_STATUSES)):
        st.session_state[f"filter_{name}"] = [item for item in _split(params.get(name)) if item in known]
    st.session_state["filters_ready"] = True


def _apply_pending_area() -> None:
    """Move a requested area (from a map click) into the drill-down widgets."""
    area = st.session_state.pop(PENDING_AREA, None)
    if area is None:
        return
    for level, digits in codes.AREA_LEVELS.items():
        st.session_state[f"filter_{level}"] = area[:digits] if area and digits <= len(area) else ""


def request_area(area: AreaScope) -> None:
    """Ask for the filters to move to this area on the next run (then rerun)."""
    st.session_state[PENDING_AREA] = area.code or ""
    st.rerun()


def _area_select(level: str, parent: AreaScope, language: str) -> str:
    """One drill-down select box for the areas of `level` inside `parent`; returns the chosen code or ''."""
    key = f"filter_{level}"
    children = cached.load_areas(level, parent, with_geometry=False)
    options = ["", *list(children["code"])]
    names = dict(zip(children["code"], children["name_en" if language == "en" else "name_zh"], strict=True))
    if st.session_state.get(key) not in options:
        st.session_state[key] = ""
    st.selectbox(translate(f"filter.{level}", language), options, key=key,
                 format_func=lambda code: names.get(code, translate("filter.all", language)))
    return st.session_state[key]


def _fixed_area(level: str, code: str, language: str) -> None:
    """A level above or at the viewer's own area: shown, not choosable."""
    st.session_state[f"filter_{level}"] = code
    found = cached.load_area(AreaScope.of(code))
    name = (found or {}).get("name_en" if language == "en" else "name_zh", code)
    st.selectbox(translate(f"filter.{level}", language), [code], format_func=lambda _code: name, disabled=True,
                 key=f"fixed_{level}")


def render_sidebar_filters(language: str, today: date, viewer: Viewer) -> Selection:
    """Draw the shared filters in the sidebar (areas inside the viewer's only), mirror them into the URL, and
    return the selection."""
    _initialise_from_url(viewer, today)
    _apply_pending_area()
    refused = st.session_state.pop(REFUSED_AREA, None)
    sidebar = st.sidebar
    with sidebar:
        st.subheader(translate("filter.header", language))
        area = viewer.scope()
        for index, level in enumerate(LEVEL_KEYS):
            if area.code and codes.AREA_LEVELS[level] <= len(viewer.scope().code or ""):
                _fixed_area(level, area.code[:codes.AREA_LEVELS[level]], language)
                continue
            chosen = _area_select(level, area, language)
            if not chosen:
                for deeper in LEVEL_KEYS[index + 1:]:
                    st.session_state[f"filter_{deeper}"] = ""
                break
            area = viewer.scope(chosen)
        period = st.segmented_control(translate("filter.period", language), PERIODS, key="filter_period",
                                      format_func=lambda p: translate(f"filter.period.{p}", language))
        period = period or DEFAULT_PERIOD
        custom = None
        if period == "custom":
            st.session_state.setdefault("filter_dates", (today - timedelta(days=29), today))
            chosen_dates = st.date_input(translate("filter.dates", language), key="filter_dates",
                                         min_value=earliest_custom_day(today), max_value=today)
            if isinstance(chosen_dates, tuple | list) and len(chosen_dates) == 2:
                custom = (chosen_dates[0], chosen_dates[1])
        first_day, last_day = period_days(period, today, custom)
        categories = st.multiselect(translate("filter.categories", language), list(codes.CATEGORIES_L1),
                                    key="filter_categories", placeholder=translate("filter.all", language),
                                    format_func=lambda c: code_label(codes.CATEGORIES_L1, c, language))
        channels = st.multiselect(translate("filter.channels", language), list(codes.CHANNELS),
                                  key="filter_channels", placeholder=translate("filter.all", language),
                                  format_func=lambda c: code_label(codes.CHANNELS, c, language))
        statuses = st.multiselect(translate("filter.statuses", language), list(codes.WORK_ORDER_STATUSES),
                                  key="filter_statuses", placeholder=translate("filter.all", language),
                                  format_func=lambda c: code_label(codes.WORK_ORDER_STATUSES, c, language))
    selection = Selection(area, period, first_day, last_day, tuple(categories), tuple(channels),
                          tuple(statuses), refused)
    _write_url(selection, language)
    return selection


def _write_url(selection: Selection, language: str) -> None:
    """Mirror the selection into the query string so a copied link reopens the same view."""
    wanted = {"lang": language, "period": selection.period}
    if selection.area.code:
        wanted["area"] = selection.area.code
    if selection.period == "custom":
        wanted["from"] = selection.first_day.isoformat()
        wanted["to"] = selection.last_day.isoformat()
    for name in ("categories", "channels", "statuses"):
        values = getattr(selection, name)
        if values:
            wanted[name] = ",".join(values)
    for key in ("area", "period", "from", "to", "categories", "channels", "statuses", "lang"):
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]

