"""The real app in a real browser: a Streamlit server on a free port and headless Debian Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from data_access.db import create_db_engine
from data_access.ingest import load_directory
from tests import servers
from tests.servers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
# With these flags deck.gl paints into its canvas in headless mode (software WebGL), and nothing calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--use-gl=swiftshader",
                 "--enable-unsafe-swiftshader"]


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# A citizen's words that would run script if any page treated them as HTML.
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">噪音<script>window.__pwned=2</script>'


@pytest.fixture(scope="session")
def browser_city_url(city_dir, tmp_path_factory) -> str:
    """The test city plus one newest work order whose title and description carry HTML and script."""
    directory = tmp_path_factory.mktemp("browser-city")
    for path in city_dir.iterdir():
        shutil.copy(path, directory / path.name)
    orders = pd.read_csv(directory / "work_orders.csv", dtype=str, keep_default_na=False, na_values=[""])
    hostile = orders.iloc[[0]].copy()
    as_of = json.loads((directory / "city.json").read_text(encoding="utf-8"))["as_of"]
    received = (pd.Timestamp(as_of).tz_convert("Asia/Shanghai") - pd.Timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    hostile = hostile.assign(order_no="HOSTILE-1", title=HOSTILE_TITLE, description=HOSTILE_TITLE, status="received",
                             received_at=received, due_at="2026-12-31 00:00:00", repeat_of=None)
    for column in ("dispatched_at", "accepted_at", "resolved_at", "called_back_at", "closed_at", "returned_at",
                   "extended_at", "satisfaction", "resolution", "whistled_at", "whistle_departments"):
        hostile[column] = None
    hostile["whistle"] = "false"
    pd.concat([orders, hostile]).to_csv(directory / "work_orders.csv", index=False)
    database = tmp_path_factory.mktemp("browser-db") / "city.sqlite"
    engine = create_db_engine(f"sqlite:///{database}")
    load_directory(directory, engine)
    engine.dispose()
    return f"sqlite:///{database}"


def streamlit_server(database_url: str, log_name: str):
    """Run `streamlit run app.py` on the database (tests.servers); yield its base URL."""
    return servers.streamlit_server(database_url, log_name, entry="app.py")


@pytest.fixture(scope="session")
def app_url(browser_city_url):
    """The app on the test city (read-only for the tests that use it)."""
    with streamlit_server(browser_city_url, "streamlit-server") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if _under_ci():
            pytest.fail("CI=true but /usr/bin/chromium is missing: `make test` should have installed it")
        pytest.skip("Debian chromium is not installed (run `make browser` as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh 1600×1800 page that records console errors in `page.console_errors`."""
    context = browser.new_context(viewport={"width": 1600, "height": 1800}, locale="zh-CN")
    new_page = context.new_page()
    new_page.console_errors = []
    new_page.on("console", lambda message: message.type == "error" and new_page.console_errors.append(message.text))
    new_page.on("pageerror", lambda error: new_page.console_errors.append(str(error)))
    yield new_page
    context.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script finished running, no skeleton remains, and maps had a moment to paint."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
                           timeout=timeout_ms)
    page.wait_for_timeout(1500)


def app_errors(page) -> list[str]:
    """Console errors, less the 404 probes a deep link makes before Streamlit finds its root."""
    return [text for text in page.console_errors if "status of 404" not in text]


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
