"""The app in Streamlit's AppTest: the whole frame (app.py), or the frame around one staff page, and a staff page
opened by its URL path as a browser would."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 90


def whole_app() -> AppTest:
    """app.py as Streamlit runs it (the default page, the wall or the tour, by query parameters)."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def _frame_one_page(url_path: str) -> None:
    from app import STAFF_PAGES
    from components.frame import run_staff

    run_staff([page for page in STAFF_PAGES if page.url_path == url_path])


def staff_page(url_path: str) -> AppTest:
    """The frame (sidebar, language, filters, header) around the one staff page at `url_path`.

    AppTest.switch_page finds pages by file, and st.navigation pages are functions: this runs the same frame
    with that page alone (the menu of pages is checked in the browser tests).
    """
    return AppTest.from_function(_frame_one_page, args=(url_path,), default_timeout=TIMEOUT)


def open_page(page: str, language: str = "zh", **params: str) -> AppTest:
    """The staff page at URL path `page` in `language` with the query parameters `params`, run, having raised
    nothing and shown no error: the whole app for the default page (the menu's first), else the frame around it."""
    from app import STAFF_PAGES

    app = whole_app() if page == STAFF_PAGES[0].url_path else staff_page(page)
    app.query_params["lang"] = language
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [item.message for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    return app
