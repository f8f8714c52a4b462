"""Every page in headless Chromium: it renders, maps paint, language switches, a map click drills down."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from components.i18n import translate
from data_access import stations
from data_access.db import create_db_engine
from tests import expected
from tests.browser.conftest import HOSTILE_TITLE, app_errors, screenshot, wait_for_app

PAGES = {"": "page.overview", "grid-map": "page.grid_map", "stations": "page.stations", "requests": "page.requests",
         "members": "page.members"}


def map_pixels(page) -> np.ndarray:
    """The first map's pixels (RGB) as the browser painted them."""
    chart = page.locator("[data-testid='stDeckGlJsonChart']").first
    chart.scroll_into_view_if_needed()
    image = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    return np.asarray(image)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_with_a_painted_map_and_no_errors(app_url, page, path, language):
    page.goto(f"{app_url}/{path}?lang={language}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlert']").filter(has_text=translate("app.error", language)).count() == 0
    heading = page.locator("h1").first.inner_text()
    assert translate(PAGES[path], language) in heading
    pixels = map_pixels(page)
    # Painted, not blank: many distinct colours (water, fills, hexagons, dots).
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20
    screenshot(page, f"{path or 'overview'}-{language}")
    assert app_errors(page) == []


def test_switching_language_changes_the_titles(app_url, page):
    page.goto(f"{app_url}/requests?lang=zh")
    wait_for_app(page)
    assert translate("page.requests", "zh") in page.locator("h1").first.inner_text()
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    wait_for_app(page)
    assert translate("page.requests", "en") in page.locator("h1").first.inner_text()
    assert translate("page.grid_map", "en") in page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "lang=en" in page.url


def test_clicking_an_area_on_the_grid_map_drills_down(app_url, page):
    page.goto(f"{app_url}/grid-map?lang=en")
    wait_for_app(page)
    before = page.locator("[data-testid='stMarkdown']").filter(has_text="›").count()
    chart = page.locator("[data-testid='stDeckGlJsonChart']").first
    box = chart.bounding_box()
    for dx, dy in ((0.5, 0.5), (0.35, 0.6), (0.65, 0.4), (0.4, 0.35), (0.6, 0.65)):
        chart.click(position={"x": box["width"] * dx, "y": box["height"] * dy})
        try:
            page.wait_for_url("**area=*", timeout=8000)
            break
        except Exception:  # that spot was water or between areas; try another
            continue
    wait_for_app(page)
    assert "area=" in page.url
    area = page.url.split("area=")[1].split("&")[0]
    assert len(area) == 6
    breadcrumb = page.locator("[data-testid='stMarkdown']").filter(has_text="›").first.inner_text()
    assert breadcrumb.count("›") >= 1 and before <= 1
    screenshot(page, "grid-map-drilled")
    assert app_errors(page) == []


def test_html_in_a_citizens_words_stays_text(app_url, page):
    page.goto(f"{app_url}/?lang=zh")
    wait_for_app(page)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    # The ticker is a data grid: its accessible table holds the cells as text, markup and all.
    grid = page.locator("[data-testid='stDataFrame']").last
    grid.scroll_into_view_if_needed()
    # The grid draws its accessible table a moment after the frame appears.
    grid.locator("table").first.wait_for(state="attached")
    cells = grid.evaluate("element => element.querySelector('table').innerText")
    assert HOSTILE_TITLE in cells
    screenshot(page, "overview-hostile-text")
    assert page.evaluate("window.__pwned") is None
    assert app_errors(page) == []


def test_a_deep_link_is_the_first_request_of_a_fresh_server(browser, browser_city_url):
    # Before st.navigation has ever run, Streamlit's legacy pages-folder mode would run pages/requests.py alone.
    from tests.browser.conftest import streamlit_server

    with streamlit_server(browser_city_url, "streamlit-deep-link") as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/requests?lang=en")
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0
        assert translate("page.requests", "en") in page.locator("h1").first.inner_text()
        assert translate("page.grid_map", "en") in page.locator("[data-testid='stSidebarNav']").inner_text()
        context.close()


@pytest.mark.parametrize("path", ["grid-map", "requests"])
def test_a_deep_link_is_the_first_request_of_a_fresh_production_server(browser, browser_city_url, path):
    # What `make run` and deployments serve (deploy/server.py), with no warm-up: /grid-map has no file of its name
    # in pages/, which Streamlit's legacy pages-folder mode answered "page not found" on a fresh server.
    from tests.servers import streamlit_server

    title = {"grid-map": "page.grid_map", "requests": "page.requests"}[path]
    with streamlit_server(browser_city_url, f"streamlit-deep-link-{path}") as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/{path}?lang=en")
        wait_for_app(page)
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator("[data-testid='stException']").count() == 0
        assert translate(title, "en") in page.locator("h1").first.inner_text()
        assert page.url.startswith(f"{base}/{path}?")
        screenshot(page, f"deep-link-{path}-en")
        context.close()


def test_exports_are_written_when_clicked(app_url, page, browser_city_url):
    page.goto(f"{app_url}/stations?lang=en")
    wait_for_app(page)
    engine = create_db_engine(browser_city_url)
    want = stations.read_stations(engine)
    engine.dispose()
    buttons = page.locator("[data-testid='stDownloadButton'] button")
    with page.expect_download() as download:
        buttons.filter(has_text="GeoJSON").first.click()
    collection = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    wait_for_app(page)  # a download must not rerun the page; if it ever does, let that run finish first
    assert sorted(feature["properties"]["station_id"] for feature in collection["features"]) == sorted(
        want["station_id"])
    with page.expect_download() as download:
        buttons.filter(has_text="CSV").last.click()  # the station list, last table on the page
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_bytes().decode("utf-8-sig"))))
    assert rows[0][:2] == [translate("column.name", "en"), translate("column.type", "en")]
    assert len(rows) - 1 == len(want)
    assert page.locator("[data-testid='stException']").count() == 0
    assert app_errors(page) == []


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_at_a_grid_draws_its_community(app_url, page, city_dir, path):
    start, end = expected.local_days_window(city_dir, 30)
    grid = expected.orders_in(city_dir, None, start, end)["grid_code"].value_counts().index[0]
    page.goto(f"{app_url}/{path}?lang=en&area={grid}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlert']").filter(has_text=translate("app.error", "en")).count() == 0
    assert translate(PAGES[path], "en") in page.locator("h1").first.inner_text()
    assert len(np.unique(map_pixels(page).reshape(-1, 3), axis=0)) > 20
    screenshot(page, f"{path or 'overview'}-grid-en")
    assert app_errors(page) == []


# What a map download may carry: codes, place names, station ids and types, and counts or rates.
MAP_PROPERTIES = {"code", "name", "received", "per_10k", "open", "overdue", "satisfaction_rate", "coverage", "share",
                  "members", "target", "h3", "station_id", "type"}


def personal_values(city_dir) -> set[str]:
    """Every person's name, number and words in the input files, whole and masked as the app masks them."""
    orders = expected.work_orders(city_dir)
    people = [expected.csv(city_dir, "members.csv"), expected.csv(city_dir, "grid_workers.csv")]
    values = {*orders["caller_name"], *orders["caller_phone"], *orders["title"], *orders["description"],
              *(expected.mask_name(name) for name in orders["caller_name"]),
              *(expected.mask_phone(phone) for phone in orders["caller_phone"])}
    for frame in people:
        values |= {*frame["name"], *frame["phone"], *(expected.mask_name(name) for name in frame["name"]),
                   *(expected.mask_phone(phone) for phone in frame["phone"])}
    notes = expected.csv(city_dir, "member_activities.csv")["note"]
    return {value for value in (*values, *notes) if isinstance(value, str) and value}


@pytest.mark.parametrize("path", list(PAGES))
def test_no_map_download_carries_personal_data(app_url, page, city_dir, path):
    # Why GeoJSON downloads go without an audit record (docs/security.md): only places and figures are in them.
    district = sorted(expected.orders_in(city_dir, None)["district_code"].unique())[0]
    personal = personal_values(city_dir)
    downloads = 0
    for area in ("", district):
        page.goto(f"{app_url}/{path}?lang=en&area={area}")
        wait_for_app(page)
        buttons = page.locator("[data-testid='stDownloadButton'] button").filter(has_text="GeoJSON")
        assert buttons.count() >= 1, f"{path} at {area or 'the city'} offers a map download"
        for index in range(buttons.count()):
            with page.expect_download() as download:
                buttons.nth(index).click()
            collection = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
            properties = [feature["properties"] for feature in collection["features"]]
            assert properties and set().union(*properties) <= MAP_PROPERTIES, path
            assert not {value for record in properties for value in record.values()
                        if isinstance(value, str)} & personal, path
            downloads += 1
    assert downloads >= 2
    assert app_errors(page) == []
