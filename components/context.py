"""What every page needs to know this run: language, the data's clock, the city and the sidebar selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from components.filters import Selection
from components.i18n import translate

CONTEXT_KEY = "page_context"


@dataclass(frozen=True)
class PageContext:
    """Built by app.py before the page runs."""

    language: str
    now: int
    today: date
    city: dict
    selection: Selection
    # A mapbox-gl style JSON URL on an intranet tile server; None draws no external basemap.
    map_style: str | None = None

    @property
    def synthetic(self) -> bool:
        """True when the loaded data is the generated demo city."""
        return self.city.get("synthetic") == "true"

    def t(self, key: str, **values) -> str:
        """A catalog string in the page's language."""
        return translate(key, self.language, **values)

    def name(self, row) -> str:
        """The localised name of an area row (name_zh / name_en)."""
        return row["name_en"] if self.language == "en" else row["name_zh"]


def set_context(context: PageContext) -> None:
    """Store this run's context for the page."""
    st.session_state[CONTEXT_KEY] = context


def current() -> PageContext:
    """This run's context (app.py sets it before running the page).

    On a server's very first session, Streamlit's legacy pages-folder mode can run a deep-linked page
    (/requests) without app.py, until st.navigation has been called once. Switch that mode off the way
    st.navigation does and rerun, so app.py frames the page.
    """
    if CONTEXT_KEY not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state[CONTEXT_KEY]
