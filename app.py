"""Cityscreen: the frame — page config, language, shared filters and navigation over pages/."""

from __future__ import annotations

import logging
import os
import time

import streamlit as st

from components import cached
from components.context import PageContext, set_context
from components.filters import render_sidebar_filters
from components.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick_language, translate
from data_access.city_time import local_date, reference_now

log = logging.getLogger("cityscreen")
MAP_STYLE_VARIABLE = "CITYSCREEN_MAP_STYLE"

PAGES = (
    ("pages/overview.py", "page.overview", ":material/dashboard:", "overview"),
    ("pages/grid_map.py", "page.grid_map", ":material/grid_on:", "grid-map"),
    ("pages/stations.py", "page.stations", ":material/home_pin:", "stations"),
    ("pages/requests.py", "page.requests", ":material/support_agent:", "requests"),
    ("pages/members.py", "page.members", ":material/groups:", "members"),
)


def configured_map_style() -> str | None:
    """An intranet basemap style URL from $CITYSCREEN_MAP_STYLE or secrets; None means no external basemap."""
    if os.environ.get(MAP_STYLE_VARIABLE):
        return os.environ[MAP_STYLE_VARIABLE]
    try:
        return st.secrets.get(MAP_STYLE_VARIABLE)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return None


def choose_language() -> str:
    """Language from ?lang= or the browser on a session's first run, then from the sidebar switch."""
    if "language" not in st.session_state:
        st.session_state["language"] = pick_language(st.query_params.get("lang"), None, st.context.locale)
    fallback = st.session_state["language"] or DEFAULT_LANGUAGE
    st.sidebar.segmented_control(translate("app.language", fallback), LANGUAGES, key="language",
                                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])
    return st.session_state["language"] or fallback


def run_wall() -> None:
    """The wall display: no sidebar, no menu, its own error handling (it never shows one)."""
    st.set_page_config(page_title="城市一屏 Cityscreen", page_icon="🏙️", layout="wide",
                       initial_sidebar_state="collapsed")
    st.navigation([st.Page("pages/wall.py", title="Wall", url_path="wall", default=True)], position="hidden").run()


def run_tour() -> None:
    """The delegation tour: captioned steps in both languages, no sidebar."""
    st.set_page_config(page_title="城市一屏 Cityscreen", page_icon="🏙️", layout="wide",
                       initial_sidebar_state="collapsed")
    try:
        st.navigation([st.Page("pages/tour.py", title="Tour", url_path="tour", default=True)],
                      position="hidden").run()
    except Exception:
        log.exception("tour failed")
        st.error(f"{translate('app.error', 'zh')} {translate('app.error', 'en')}")


def main() -> None:
    """Configure the page, build the shared context and run the selected page."""
    if st.query_params.get("mode") == "wall":
        run_wall()
        return
    if st.query_params.get("mode") == "tour":
        run_tour()
        return
    st.set_page_config(page_title="城市一屏 Cityscreen", page_icon="🏙️", layout="wide",
                       initial_sidebar_state="expanded")
    language = choose_language()
    pages = [st.Page(path, title=translate(key, language), icon=icon, url_path=url, default=index == 0)
             for index, (path, key, icon, url) in enumerate(PAGES)]
    navigation = st.navigation(pages)
    try:
        city = cached.load_city_facts()
        now = reference_now(city, time.time())
        today = local_date(now)
        selection = render_sidebar_filters(language, today)
        set_context(PageContext(language, now, today, city, selection, configured_map_style()))
        navigation.run()
    except Exception:  # staff see a short message; the traceback goes to the log
        log.exception("page failed")
        st.error(translate("app.error", language))


main()
