"""The frame around every page: page config, language, shared filters, navigation, errors and the empty database."""

from __future__ import annotations

import logging
import os
import runpy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from components import auth, cached
from components.context import AREA_KEY, VIEWER_KEY, PageContext
from components.filters import render_sidebar_filters
from components.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick_language, translate
from components.views import escape_markdown
from data_access.city_time import local_date, local_text, reference_now
from data_access.roles import Viewer

log = logging.getLogger("cityscreen")
MAP_STYLE_VARIABLE = "CITYSCREEN_MAP_STYLE"
PAGE_TITLE = "城市一屏 Cityscreen"
PAGE_ICON = "🏙️"
APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"


@dataclass(frozen=True)
class StaffPage:
    """One staff page: where it lives in the URL, its title and icon, and the function that draws it."""

    url_path: str
    title_key: str
    icon: str
    render: Callable[[PageContext], None]
    # The roles that see the page in their menu (None: every signed-in role).
    roles: tuple[str, ...] | None = None


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


def render_no_data(language: str) -> None:
    """The calm message shown instead of any page while the database holds no city."""
    st.info(translate("app.no_data", language), icon=":material/database:")


def render_header(context: PageContext, title_key: str) -> None:
    """Page title with the city's name, the synthetic-data mark and the data's time."""
    city = context.city.get("city_name_en" if context.language == "en" else "city_name_zh", "")
    # The city's name is data: shown as text, never as Markdown (a name could carry an image or a link).
    st.title(f"{escape_markdown(city)} · {translate(title_key, context.language)}")
    parts = [translate("app.data_as_of", context.language, when=local_text(context.now))]
    if context.synthetic:
        parts.insert(0, f":orange-badge[{translate('app.synthetic', context.language)}]")
    st.markdown(" · ".join(parts))


def _framed(page: StaffPage, context: PageContext) -> Callable[[], None]:
    """The st.Page callable: the page's header, then its body; a failure becomes a short message."""

    def run() -> None:
        try:
            render_header(context, page.title_key)
            if context.selection.refused_area:
                auth.render_outside_area(context.viewer, context.selection.refused_area, context.language,
                                         page.url_path)
                return
            page.render(context)
        except Exception:  # staff see a short message; the traceback goes to the log
            log.exception("page %s failed", page.url_path)
            st.error(translate("app.error", context.language))

    run.__name__ = page.url_path.replace("-", "_")
    return run


def _build_context(language: str, viewer: Viewer) -> PageContext:
    city = cached.load_city_facts()
    now = reference_now(city, time.time() - cached.load_lag_seconds())  # dated by what the replica holds
    today = local_date(now)
    selection = render_sidebar_filters(language, today, viewer)
    st.session_state[VIEWER_KEY], st.session_state[AREA_KEY] = viewer, selection.area.code
    return PageContext(language, now, today, city, selection, configured_map_style(), viewer)


def run_staff(pages: Sequence[StaffPage]) -> None:
    """The staff views: sidebar language and filters, a menu of `pages` (the first is the default), the page."""
    st.set_page_config(page_title=PAGE_TITLE, page_icon=PAGE_ICON, layout="wide", initial_sidebar_state="expanded")
    language = choose_language()
    # Or the sign-in page (under the path asked for), and the run stops.
    viewer = auth.require_viewer(cached.get_engine(), language, [page.url_path for page in pages])
    auth.render_account(viewer, language)
    context = None
    failed = False
    problem = None
    has_data = False
    try:
        has_data = cached.database_has_data()
        problem = cached.schema_problem() if has_data else None
    except Exception:
        log.exception("the database's schema could not be read")
        failed = True
    if has_data and not problem and not failed:
        try:
            context = _build_context(language, viewer)
        except Exception:
            log.exception("the frame failed")
            failed = True

    def unavailable() -> None:
        if problem:
            st.error(translate("app.schema", language, detail=escape_markdown(problem)), icon=":material/database:")
        elif failed:
            st.error(translate("app.error", language))
        else:
            render_no_data(language)

    pages = [page for page in pages if page.roles is None or viewer.role in page.roles]
    navigation = st.navigation([
        st.Page(_framed(page, context) if context else unavailable, title=translate(page.title_key, language),
                icon=page.icon, url_path=page.url_path, default=index == 0)
        for index, page in enumerate(pages)])
    navigation.run()


def run_alone(page: Callable[[], None], url_path: str) -> None:
    """A full-screen view with no menu (the wall, the tour): its own page config, no sidebar."""
    st.set_page_config(page_title=PAGE_TITLE, page_icon=PAGE_ICON, layout="wide",
                       initial_sidebar_state="collapsed")
    st.navigation([st.Page(page, title=url_path.capitalize(), url_path=url_path, default=True)],
                  position="hidden").run()


def run_from_pages_folder() -> None:
    """Run the app's frame when Streamlit runs a file of pages/ on its own.

    A fresh server whose first request is a deep link (/requests) starts in Streamlit's legacy pages-folder
    mode, because a pages/ folder sits next to app.py; that mode runs pages/requests.py as the script. The
    page modules end by calling this, so app.py still frames the page: its st.navigation call ends the legacy
    mode for the server and opens the requested page (public API only: st.navigation, st.Page).
    """
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
