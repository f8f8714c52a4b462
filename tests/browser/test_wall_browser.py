"""The wall in a real browser at 1920×1080 and 3840×2160: no chrome, no scrollbars, every tile on screen."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from components.i18n import translate
from data_access import schema
from data_access.db import create_db_engine
from sample_data.simulate import simulate
from tests import expected
from tests.browser.conftest import ARTIFACTS, app_errors, streamlit_server, wait_for_app


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160), (3840, 1080), (7680, 2160)])
def test_wall_fills_the_screen_without_chrome(browser, app_url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.goto(f"{app_url}/?mode=wall&screen={width}x{height}&refresh=30")
    wait_for_app(page)
    page.wait_for_timeout(2000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlert']").count() == 0
    for chrome in ("stHeader", "stToolbar", "stSidebar"):
        assert not page.locator(f"[data-testid='{chrome}']").first.is_visible() if page.locator(
            f"[data-testid='{chrome}']").count() else True
    scroll = page.evaluate("() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    overflow = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\"); return getComputedStyle(m).overflow; }")
    assert scroll[1] <= width and overflow == "hidden"
    tiles = page.locator("[data-testid='wall-tile']")
    assert tiles.count() >= 6
    for index in range(tiles.count()):
        box = tiles.nth(index).bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
    ticker = page.locator("[data-testid='wall-ticker']").bounding_box()
    assert ticker["y"] + ticker["height"] <= height and ticker["y"] > height * 0.85
    chart = page.locator("[data-testid='stDeckGlJsonChart']").bounding_box()
    assert chart["height"] > height * 0.55
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
    assert app_errors(page) == []
    context.close()


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def city_share(page) -> float:
    """How much of the map panel the drawn city spans: the larger of its width and height shares (the panel's
    corners are background)."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot()))
                        .convert("RGB"), dtype=float)
    drawn = np.abs(pixels - pixels[3, 3]).sum(axis=2) > 40
    rows, columns = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    return max((columns[-1] - columns[0] + 1) / pixels.shape[1], (rows[-1] - rows[0] + 1) / pixels.shape[0])


def settle(page) -> int:
    """Wait until the wall has laid itself out for the window (its browser reports the size once: one more run);
    return how many runs started in the 5 seconds after (none: no loop)."""
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)
    page.evaluate("""() => { window.__runs = 0; const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(() => { if (app.getAttribute("data-test-script-state") === "running") window.__runs++; })
        .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]}); }""")
    page.wait_for_timeout(5000)
    return page.evaluate("window.__runs")


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_wall_fits_the_screen_it_is_on(browser, app_url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    # No screen=: the wall asks the browser. The requests view ranks 12 communities (the test city has 3 districts).
    page.goto(f"{app_url}/?mode=wall&refresh=60&lang=en&rotate=requests")
    assert settle(page) == 0
    assert city_share(page) > 0.85, "the city does not fill its map panel"
    # The map and both side panels reach down to the ticker, and the side panels' contents fill them.
    ticker_top = box(page, "[data-testid='wall-ticker']")["y"]
    for selector in ("[data-testid='stDeckGlJsonChart']", "[data-testid='wall-left']", "[data-testid='wall-right']"):
        panel = box(page, selector)
        assert ticker_top - 0.04 * height <= panel["y"] + panel["height"] <= ticker_top, selector
    left, right = box(page, "[data-testid='wall-left']"), box(page, "[data-testid='wall-right']")
    last_tile = page.locator("[data-testid='wall-left'] [data-testid='wall-tile']").last.bounding_box()
    last_row = page.locator("[data-testid='wall-right'] .wall-rank-row").last.bounding_box()
    # Under the ranking, the heat's legend closes the right panel.
    legend = box(page, "[data-testid='wall-right'] [data-testid='wall-legend']")
    assert last_tile["y"] + last_tile["height"] >= left["y"] + left["height"] - 0.02 * height
    assert last_row["y"] + last_row["height"] <= legend["y"]
    right_bottom = right["y"] + right["height"]
    assert right_bottom - 0.04 * height <= legend["y"] + legend["height"] <= right_bottom
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-fit-{width}x{height}.png"))
    assert app_errors(page) == []
    context.close()


def test_screen_in_the_link_overrides_the_window(browser, app_url):
    context = browser.new_context(viewport={"width": 3840, "height": 2160}, locale="en-US")
    page = context.new_page()
    page.goto(f"{app_url}/?mode=wall&refresh=60&lang=en&screen=1920x1080")
    settle(page)
    # Laid out for a screen a quarter the size: the city takes about half of the panel's width or height.
    assert city_share(page) < 0.7
    context.close()


@pytest.fixture
def live_wall(browser, browser_city_url, tmp_path):
    """A wall on its own copy of the city, which the test may write to; yields (page, engine)."""
    source = Path(browser_city_url.removeprefix("sqlite:///"))
    copy = tmp_path / "live.sqlite"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    engine = create_db_engine(url)
    with streamlit_server(url, "streamlit-live") as base:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(f"{base}/?mode=wall&refresh=2")
        wait_for_app(page)
        page.evaluate("window.__sameDocument = true")
        yield page, engine
        context.close()
    engine.dispose()


def ticker_text(page) -> str:
    return page.locator("[data-testid='wall-ticker']").inner_text()


def test_a_new_work_order_appears_within_one_refresh(live_wall):
    page, engine = live_wall
    simulate(engine, rate_per_minute=60, tick_seconds=0, ticks=1, seed=3)
    table = schema.work_orders
    with engine.connect() as connection:
        title = connection.execute(select(table.c.title).where(table.c.order_no.like("SIM%"))
                                   .order_by(table.c.received_at.desc()).limit(1)).scalar_one()
    page.wait_for_function("title => document.querySelector(\"[data-testid='wall-ticker']\").innerText.includes(title)",
                           arg=title, timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True  # updated in place, no reload
    assert page.locator("[data-testid='stException']").count() == 0


def test_an_outage_shows_stale_figures_then_recovers(live_wall):
    page, engine = live_wall
    tiles_before = page.locator("[data-testid='wall-tile']").first.inner_text()
    with engine.begin() as connection:  # a failing query, as when the database loses the table
        connection.exec_driver_sql("ALTER TABLE work_orders RENAME TO work_orders_away")
    page.wait_for_selector("[data-testid='wall-stale']", timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlert']").count() == 0
    assert page.locator("[data-testid='wall-tile']").first.inner_text() == tiles_before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-stale.png"))
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE work_orders_away RENAME TO work_orders")
    page.wait_for_selector("[data-testid='wall-stale']", state="detached", timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True


def _pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def test_the_map_keeps_its_view_across_refreshes(browser, app_url):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{app_url}/?mode=wall&refresh=2")
    wait_for_app(page)
    chart = page.locator("[data-testid='stDeckGlJsonChart']").first
    box = chart.bounding_box()
    original = _pixels(chart.screenshot())
    centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(centre_x, centre_y)
    page.mouse.down()
    page.mouse.move(centre_x + 220, centre_y + 90, steps=12)
    page.mouse.up()
    page.wait_for_timeout(800)
    panned = _pixels(chart.screenshot())
    page.wait_for_timeout(5000)  # two refreshes of the fragment
    later = _pixels(chart.screenshot())
    moved = abs(panned - original).mean()
    assert moved > 2, "the drag did not move the map"
    assert abs(later - panned).mean() < moved / 4, "a refresh threw the user's view away"
    context.close()


def empty_panel_bookmarks(database_url: str, city_dir) -> list[tuple[str, str, str, str]]:
    """(area, view, language, words) for a grid with no order in 30 days and a community meeting its member
    target, found in the loaded database by plain SQL."""
    start, _ = expected.local_days_window(city_dir, 30)
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        grid = connection.execute(
            "SELECT a.code FROM areas a WHERE a.level = 'grid' AND NOT EXISTS (SELECT 1 FROM work_orders w "
            "WHERE w.grid_code = a.code AND w.received_at >= ?) AND EXISTS (SELECT 1 FROM work_orders w "
            "WHERE w.community_code = substr(a.code, 1, 12) AND w.received_at >= ?) ORDER BY a.code LIMIT 1",
            (start, start)).fetchone()[0]
        community = connection.execute(
            "SELECT a.code FROM areas a WHERE a.level = 'community' AND a.member_target > 0 AND a.member_target <= "
            "(SELECT count(*) FROM members m WHERE m.community_code = a.code AND m.status = 'active') "
            "ORDER BY a.code LIMIT 1").fetchone()[0]
    orders = "wall.empty.orders"
    return [(grid, "overview", "zh", orders), (grid, "requests", "zh", orders), (grid, "members", "zh", orders),
            (grid, "stations", "en", orders), (community, "members", "zh", "wall.empty.under"),
            (community, "members", "en", "wall.empty.under")]


def test_every_empty_panel_bookmark_renders_with_words(browser, app_url, browser_city_url, city_dir):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    for area, view, language, words in empty_panel_bookmarks(browser_city_url, city_dir):
        page.goto(f"{app_url}/?mode=wall&area={area}&rotate={view}&lang={language}&refresh=60")
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0, (area, view)
        assert page.locator("[data-testid='stAlert']").count() == 0, (area, view)
        body = page.inner_text("body")
        assert "Error" not in body and "错误" not in body, (area, view)
        assert translate(words, language) in body, (area, view)
        assert page.locator("[data-testid='wall-empty']").first.is_visible()
        assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"wall-empty-{len(area)}-{view}-{language}.png"))
    assert app_errors(page) == []
    context.close()


def test_the_wall_at_a_grid_draws_its_community(browser, app_url, city_dir):
    start, end = expected.local_days_window(city_dir, 30)
    grid = expected.orders_in(city_dir, None, start, end)["grid_code"].value_counts().index[0]
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app_url}/?mode=wall&area={grid}&refresh=60")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    ranking = page.locator("[data-testid='wall-ranking']").inner_text()
    siblings = expected.areas(city_dir, "grid")
    siblings = siblings[siblings["code"].str.startswith(grid[:12])]
    community = expected.areas(city_dir, "community").set_index("code").loc[grid[:12], "name_zh"]
    shown = ranking.splitlines()
    # Named without their community's name, which every one of them shares.
    assert sum(name.removeprefix(community) in shown for name in siblings["name_zh"]) == min(len(siblings), 12)
    page.screenshot(path=str(ARTIFACTS / "wall-grid-1920x1080.png"))
    context.close()
