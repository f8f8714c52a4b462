"""Markdown and HTML in the data, in a real browser: a city whose every name carries an outside image, a link,
an <img> and a <script>. Every staff page, the wall and the tour are loaded while the browser's network is
watched: no request may leave for a host other than this machine, and the planted text shows as text.

(tests/pages/test_pages.py::test_names_are_shown_as_text_never_as_markdown checks the same on the Streamlit
elements through AppTest; this one checks what a browser actually does with them.)
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from components.i18n import translate
from components.views import WORD_JOINER
from data_access import migrate, schema, tasks
from data_access.db import create_db_engine
from tests import tour_task
from tests.browser.conftest import screenshot, wait_for_app
from tests.servers import streamlit_server

OUTSIDE = "203.0.113.7"  # TEST-NET-3: documentation only, never a real host
PLANTED = (f"![x](http://{OUTSIDE}/t.png)[link](http://{OUTSIDE}/l)<img src=http://{OUTSIDE}/x.png>"
           "<script>window.__pwned=1</script>")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def plant(column):
    """The column's value with the hostile text after it (names stay unique)."""
    return column + PLANTED


@pytest.fixture(scope="module")
def hostile_app(sqlite_city_url, tmp_path_factory):
    """The test city with the planted text in every name and title a screen can show, behind the gate."""
    database = tmp_path_factory.mktemp("hostile-names") / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), database)
    engine = create_db_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        meta = schema.meta
        connection.execute(update(meta).where(meta.c.key.in_(["city_name_zh", "city_name_en"]))
                           .values(value=plant(meta.c.value)))
        for table in (schema.areas, schema.water):
            connection.execute(update(table).values(name_zh=plant(table.c.name_zh), name_en=plant(table.c.name_en)))
        stations = schema.stations
        connection.execute(update(stations).values(name_zh=plant(stations.c.name_zh),
                                                   name_en=plant(stations.c.name_en),
                                                   address=plant(stations.c.address)))
        orders = schema.work_orders
        connection.execute(update(orders).values(title=plant(orders.c.title), category_l2=plant(orders.c.category_l2),
                                                 department=plant(orders.c.department),
                                                 whistle_departments=plant(orders.c.whistle_departments)))
        district = connection.execute(select(schema.areas.c.code).where(schema.areas.c.level == "district")
                                      .order_by(schema.areas.c.code)).first().code
        grid = connection.execute(select(orders.c.grid_code).where(orders.c.grid_code.startswith(district))
                                  .group_by(orders.c.grid_code).order_by(orders.c.grid_code)).first().grid_code
    # The tour's 督办闭环 step: a task from an alert, its instruction and result planted too.
    migrate.upgrade(engine)
    community = district_community(engine, district)
    tour_task.add_alert(engine, 61, community)
    tour_task.follow(engine, community, tasks.task_clock(engine) - 2 * 86_400, alert_id=61,
                     instruction=f"核查{PLANTED}", result=f"已处置{PLANTED}")
    engine.dispose()
    with streamlit_server(f"sqlite:///{database}", "streamlit-hostile-names") as base:
        yield base, district, grid


def district_community(engine, district: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(schema.areas.c.code).where(
            schema.areas.c.level == "community", schema.areas.c.code.startswith(district))
            .order_by(schema.areas.c.code)).scalar()


def watch(page) -> list[str]:
    """Every URL the page requests from now on."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    return requested


def outside(requested: list[str]) -> list[str]:
    """The requests that left for a host other than this machine (data: and blob: URLs stay in the page)."""
    return [url for url in requested
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname not in LOOPBACK]


def assert_inert(page, requested: list[str], name: str, names_in_text: bool = True) -> str:
    """No outside request, no script ran, no outside image or link in the page, the planted text shown literally
    (less the invisible word joiners that keep Markdown from linking an address: components/views.py); returns
    the page's text."""
    text = page.locator("body").inner_text().replace(WORD_JOINER, "")
    screenshot(page, f"hostile-{name}")
    assert outside(requested) == [], name
    assert page.evaluate("window.__pwned === undefined"), name
    assert page.locator(f"img[src*='{OUTSIDE}'], a[href*='{OUTSIDE}']").count() == 0, name
    if names_in_text:
        assert PLANTED in text, f"{name}: the planted text is not shown literally"
    return text


STAFF_VIEWS = [("overview", "", "zh"), ("overview-en", "", "en"), ("grid-map-district", "grid-map", "zh"),
               ("grid-map-grid", "grid-map", "en"), ("stations", "stations", "zh"),
               ("requests", "requests", "zh"), ("members", "members", "en")]


@pytest.mark.parametrize(("name", "path", "language"), STAFF_VIEWS, ids=[view[0] for view in STAFF_VIEWS])
def test_every_staff_page_shows_hostile_names_as_text_and_fetches_nothing_outside(hostile_app, page, name, path,
                                                                                     language):
    base, district, grid = hostile_app
    area = {"grid-map-district": district, "grid-map-grid": grid}.get(name, district)
    requested = watch(page)
    page.goto(f"{base}/{path}?lang={language}&area={area}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    heading = page.locator("h1").first.inner_text().replace(WORD_JOINER, "")
    assert PLANTED in heading, "the city's name is shown as text in the title"
    text = assert_inert(page, requested, name)
    if path == "grid-map":
        assert text.count(PLANTED) >= 2, "the breadcrumb names the areas as text"


@pytest.mark.parametrize("view", ["overview", "requests", "members", "stations"])
def test_the_wall_shows_hostile_names_as_text_and_fetches_nothing_outside(hostile_app, page, view):
    base, _district, _grid = hostile_app
    page.set_viewport_size({"width": 1920, "height": 1080})
    requested = watch(page)
    page.goto(f"{base}/?mode=wall&rotate={view}&refresh=60&screen=1920x1080")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='wall-tile']", timeout=30_000)
    assert_inert(page, requested, f"wall-{view}")


def test_the_tour_shows_hostile_names_as_text_and_fetches_nothing_outside(hostile_app, page):
    base, _district, _grid = hostile_app
    requested = watch(page)
    page.goto(f"{base}/?mode=tour")
    wait_for_app(page)
    next_step = " / ".join((translate("tour.next", "zh"), translate("tour.next", "en")))
    for step in range(5):
        # The city's name in the first step's caption, the order's title in the loop's, the area's name and the
        # task's words in the 督办 step's; the others draw maps.
        assert_inert(page, requested, f"tour-{step}", names_in_text=step in (0, 2, 3))
        if step < 4:
            page.get_by_role("button", name=next_step).click()
            wait_for_app(page)
