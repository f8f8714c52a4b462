"""Early warning in a real browser: the alerts page and its links, the wall's alerts view at 1920×1080, and a surge
fed by the live feed appearing on the wall within a few refreshes."""

from __future__ import annotations

import io
import math
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from components import alerts as alert_text
from components import maps, wall
from components.i18n import code_label, translate
from data_access import codes, schema
from data_access.alerts import compute_alert_days, compute_alerts, read_alert_list, read_open_alert_count
from data_access.city_time import CITY_ZONE
from data_access.db import create_db_engine
from data_access.ingest import load_directory
from sample_data.generate import generate_city
from sample_data.simulate import parse_surge, simulate
from tests.alert_city import DAY, write_crafted_city
from tests.browser.conftest import app_errors, screenshot, streamlit_server, wait_for_app
from tests.conftest import TEST_SEED
from tests.servers import ARTIFACTS

WALL_SIZE = {"width": 1920, "height": 1080}
SURGE_CATEGORY = "utilities"


@pytest.fixture(scope="module")
def alert_city(city_dir, tmp_path_factory):
    """(URL, engine) of the crafted city of tests/alert_city.py with its alerts of the day before DAY and of DAY."""
    directory = tmp_path_factory.mktemp("browser-alert-city")
    write_crafted_city(city_dir, directory)
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-alert-db') / 'city.sqlite'}"
    engine = create_db_engine(url)
    load_directory(directory, engine)
    compute_alerts(engine, DAY - timedelta(days=1))
    compute_alerts(engine, DAY)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def alert_app(alert_city):
    with streamlit_server(alert_city[0], "streamlit-alerts") as base:
        yield base


def painted(locator) -> int:
    """How many distinct colours an element's screenshot holds (a blank canvas has one or two)."""
    image = np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"))
    return len(np.unique(image.reshape(-1, 3), axis=0))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_alerts_page_shows_the_list_the_map_and_the_chart(alert_app, alert_city, page, language):
    page.goto(f"{alert_app}/alerts?lang={language}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert translate("page.alerts", language) in page.locator("h1").first.inner_text()
    listed = read_alert_list(alert_city[1])
    body = page.inner_text("body")
    assert translate("alerts.open_total", language) in body and translate("alerts.list", language) in body
    # The newest alert is chosen: its kind, place and category head the detail, its evidence follows.
    chosen = listed.iloc[0]
    heading = " · ".join(part for part in (alert_text.kind_label(chosen["kind"], language),
                                           alert_text.area_label(chosen, language),
                                           alert_text.category_label(chosen, language)) if part)
    assert heading in body and alert_text.evidence_text(chosen, language) in body
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    deck.scroll_into_view_if_needed()
    assert painted(deck) > 20
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.scroll_into_view_if_needed()
    assert chart.locator("canvas, svg").count() >= 1 and painted(chart) > 5
    screenshot(page, f"alerts-{language}")
    assert app_errors(page) == []


def test_an_alerts_link_opens_the_requests_page_filtered_to_it(alert_app, alert_city, page):
    page.goto(f"{alert_app}/alerts?lang=en")
    wait_for_app(page)
    chosen = read_alert_list(alert_city[1]).iloc[0]
    link = page.get_by_role("link", name=translate("alerts.open_requests", "en"))
    with page.context.expect_page() as opened:
        link.click()
    requests = opened.value
    requests.console_errors = []
    wait_for_app(requests)
    assert translate("page.requests", "en") in requests.locator("h1").first.inner_text()
    params = {key: values[0] for key, values in parse_qs(urlsplit(requests.url).query).items()}
    assert params["area"] == chosen["area_code"] and params["period"] == "custom"
    assert params["from"] <= chosen["first_day"].isoformat() and params["to"] == chosen["last_day"].isoformat()
    sidebar = requests.locator("[data-testid='stSidebar']").inner_text()
    chosen_areas = requests.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input")
    assert chosen["area_name_en"] in [chosen_areas.nth(index).input_value() for index in range(chosen_areas.count())]
    if chosen["kind"] != "backlog":
        assert code_label(codes.CATEGORIES_L1, chosen["category_l1"], "en") in sidebar
    assert requests.locator("[data-testid='stException']").count() == 0
    requests.close()


def test_clicking_an_alerts_dot_on_the_map_chooses_it(alert_app, alert_city, page):
    from data_access.areas import read_areas
    from pages.alerts import MAP_VIEW_PIXELS

    page.goto(f"{alert_app}/alerts?lang=en")
    wait_for_app(page)
    listed = read_alert_list(alert_city[1])
    cluster = listed[listed["kind"] == "repeat_cluster"].iloc[0]
    assert cluster["alert_id"] != listed["alert_id"].iloc[0]  # not the one chosen already
    # Where deck.gl draws the cluster's centre: the page's view over the city's districts, in Web Mercator.
    view = maps.build_view_state(*maps.bounds_of(read_areas(alert_city[1], "district")), *MAP_VIEW_PIXELS)
    scale = 512 * 2 ** view.zoom / 360

    def mercator(latitude: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2)))

    chart = page.locator("[data-testid='stDeckGlJsonChart']").first
    box = chart.bounding_box()
    spot = {"x": box["width"] / 2 + (cluster["centre_lon"] - view.longitude) * scale,
            "y": box["height"] / 2 - (mercator(cluster["centre_lat"]) - mercator(view.latitude)) * scale}
    chart.hover(position=spot)  # deck.gl picks what the pointer is over
    page.wait_for_timeout(500)
    chart.click(position=spot)
    heading = " · ".join((alert_text.kind_label("repeat_cluster", "en"), alert_text.area_label(cluster, "en"),
                          alert_text.category_label(cluster, "en")))
    page.wait_for_function("text => document.body.innerText.includes(text)",
                           arg=alert_text.evidence_text(cluster, "en"), timeout=15_000)
    wait_for_app(page)
    assert heading in page.inner_text("body")
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_walls_alerts_view_fits_1920_by_1080(browser, alert_app, alert_city, language):
    context = browser.new_context(viewport=WALL_SIZE, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.goto(f"{alert_app}/?mode=wall&rotate=alerts&lang={language}&refresh=60")
    wait_for_app(page)
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid='stException']").count() == 0
    count = page.locator("[data-testid='wall-alert-count']")
    assert count.get_attribute("data-count") == str(read_open_alert_count(alert_city[1]))
    box = count.bounding_box()
    assert box["y"] >= 0 and box["x"] + box["width"] <= WALL_SIZE["width"]
    items = page.locator("[data-testid='wall-alert']")
    assert items.count() == min(read_open_alert_count(alert_city[1]), wall.LISTED_ALERTS) >= 3
    ticker_top = page.locator("[data-testid='wall-ticker']").bounding_box()["y"]
    for index in range(items.count()):
        item = items.nth(index).bounding_box()
        assert item["x"] + item["width"] <= WALL_SIZE["width"] and item["y"] + item["height"] <= ticker_top
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    assert painted(deck) > 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-alerts-{language}-1920x1080.png"))
    assert app_errors(page) == []
    context.close()


@pytest.fixture
def live_city(tmp_path):
    """A small city whose data end now (as the demo city's do), with its last two days' alerts computed; yields
    (URL, engine). The feed then writes the current day's orders, whose alerts it brings up to date."""
    directory = tmp_path / "city"
    generate_city(directory, scale="test", seed=TEST_SEED)
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    engine = create_db_engine(url)
    load_directory(directory, engine)
    compute_alert_days(engine, 2)
    yield url, engine
    engine.dispose()


def busiest_community(engine) -> str:
    orders = schema.work_orders
    with engine.connect() as connection:
        return connection.execute(select(orders.c.community_code).group_by(orders.c.community_code)
                                  .order_by(func.count().desc(), orders.c.community_code).limit(1)).scalar_one()


def test_a_simulated_surge_appears_on_the_wall(browser, live_city):
    url, engine = live_city
    community = busiest_community(engine)
    with streamlit_server(url, "streamlit-surge") as base:
        context = browser.new_context(viewport=WALL_SIZE, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/?mode=wall&rotate=alerts&refresh=2&lang=zh")
        wait_for_app(page)
        page.evaluate("window.__sameDocument = true")
        before = int(page.locator("[data-testid='wall-alert-count']").get_attribute("data-count"))
        assert before == read_open_alert_count(engine)
        assert page.locator(f"[data-testid='wall-alert'][data-kind='surge'][data-area^='{community}']").count() == 0
        # The live feed, in this process: three batches at once (bounded), with a surge on top. Its orders are
        # stamped up to 4 s before the clock: keep them off the previous day.
        while datetime.now(CITY_ZONE).time() < dt_time(0, 0, 10):
            time.sleep(1)
        simulate(engine, rate_per_minute=12, tick_seconds=0, ticks=3, seed=5,
                 surge=parse_surge(engine, f"{community}:{SURGE_CATEGORY}", 6))
        flagged = read_alert_list(engine, kinds=("surge",))
        flagged = flagged[flagged["area_code"].str.startswith(community) & (flagged["category_l1"] == SURGE_CATEGORY)]
        assert len(flagged) >= 1 and (flagged["observed"] > flagged["upper"]).all()
        now_open = read_open_alert_count(engine)
        assert now_open > before
        # Within a few refreshes of the wall (2 s each): the count is the new one and the surge is listed.
        page.wait_for_function(
            "([open, community]) => {"
            " const count = document.querySelector(\"[data-testid='wall-alert-count']\");"
            " const surge = document.querySelector("
            "   `[data-testid='wall-alert'][data-kind='surge'][data-area^='${community}']`);"
            " return count !== null && Number(count.dataset.count) === open && surge !== null; }",
            arg=[now_open, community], timeout=20_000)
        item = page.locator(f"[data-testid='wall-alert'][data-kind='surge'][data-area^='{community}']").first
        assert code_label(codes.CATEGORIES_L1, SURGE_CATEGORY, "zh") in item.inner_text()
        assert translate("alert.kind.surge", "zh") in item.inner_text()
        assert page.evaluate("window.__sameDocument") is True  # updated in place, no reload
        assert page.locator("[data-testid='stException']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall-alerts-surge-zh-1920x1080.png"))
        context.close()


def test_a_leader_supervises_an_alert_from_the_alerts_page(browser, alert_city, tmp_path):
    import sqlite3

    from data_access import tasks
    from data_access.roles import OPEN_DEMO

    copy = tmp_path / "supervise.sqlite"
    # SQLite's backup, not a file copy: the module's engine may hold pages in its write-ahead log.
    with sqlite3.connect(alert_city[0].removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    engine = create_db_engine(f"sqlite:///{copy}")
    chosen = read_alert_list(engine).iloc[0]
    with streamlit_server(f"sqlite:///{copy}", "streamlit-alert-task") as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1800}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/alerts?lang=zh")
        wait_for_app(page)
        page.get_by_text(translate("alerts.supervise", "zh")).click()
        page.get_by_label(translate("tasks.instruction", "zh")).fill("请三日内排查并反馈。")
        page.get_by_role("button", name=translate("tasks.submit", "zh")).click()
        state = code_label(codes.TASK_STATES, "open", "zh")
        page.wait_for_function("text => document.body.innerText.includes(text)",
                               arg=translate("alerts.task_state", "zh", state=state), timeout=20_000)
        task_id = tasks.read_tasks(engine, OPEN_DEMO)["task_id"].iloc[0]
        assert tasks.read_task_for_alerts(engine, [int(chosen["alert_id"])]) == {int(chosen["alert_id"]): "open"}
        assert page.locator("[data-testid='stAlert']").filter(
            has_text=translate("tasks.created", "zh", task=task_id)).is_visible()
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, "alerts-supervised-zh")
        context.close()
    engine.dispose()


def test_a_wall_with_many_open_alerts_lists_what_fits_and_counts_the_rest(browser, alert_city, tmp_path):
    import sqlite3

    copy = tmp_path / "many.sqlite"
    with sqlite3.connect(alert_city[0].removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    engine = create_db_engine(f"sqlite:///{copy}")
    # Twelve more open surges, one per grid, as stored alerts (their figures do not matter here).
    with engine.begin() as connection:
        grids = connection.execute(select(schema.areas.c.code).where(schema.areas.c.level == "grid")
                                   .order_by(schema.areas.c.code).limit(12)).scalars().all()
        for code in grids:
            connection.execute(schema.alerts.insert().values(
                kind="surge", area_code=code, area_level="grid", category_l1="city_management", measure="received",
                first_day=DAY, last_day=DAY, observed=12, expected=1.5, upper=8.0, status="open", computed_at=0))
    total = read_open_alert_count(engine)
    engine.dispose()
    assert total > wall.LISTED_ALERTS
    with streamlit_server(f"sqlite:///{copy}", "streamlit-many-alerts") as base:
        for language in ("zh", "en"):
            context = browser.new_context(viewport=WALL_SIZE, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/?mode=wall&rotate=alerts&lang={language}&refresh=60")
            wait_for_app(page)
            assert page.locator("[data-testid='wall-alert-count']").get_attribute("data-count") == str(total)
            items = page.locator("[data-testid='wall-alert']")
            assert items.count() == wall.LISTED_ALERTS
            ticker_top = page.locator("[data-testid='wall-ticker']").bounding_box()["y"]
            more = page.locator("[data-testid='wall-alert-more']")
            assert more.inner_text() == translate("wall.alerts.more", language,
                                                  count=f"{total - wall.LISTED_ALERTS:,}")
            # Every listed alert and the words counting the rest are whole on screen, above the ticker.
            for box in [items.nth(index).bounding_box() for index in range(items.count())] + [more.bounding_box()]:
                assert box["y"] + box["height"] <= ticker_top and box["x"] + box["width"] <= WALL_SIZE["width"]
            assert more.evaluate("element => element.getBoundingClientRect().bottom <= "
                                 "element.parentElement.getBoundingClientRect().bottom")
            page.screenshot(path=str(ARTIFACTS / f"wall-alerts-many-{language}-1920x1080.png"))
            context.close()
