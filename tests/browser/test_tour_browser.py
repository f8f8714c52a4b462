"""The tour in a real browser: click through every step; each paints and throws nothing; the 督办闭环 step with a
real task at a wall's 1920×1080."""

from __future__ import annotations

import shutil

import pytest

from components.i18n import translate
from data_access import codes, migrate, tasks
from data_access.db import create_db_engine
from tests import expected, tour_task
from tests.browser.conftest import app_errors, screenshot, streamlit_server, wait_for_app
from tests.servers import ARTIFACTS

STEPS = ("grid", "stations", "loop", "task", "members")


def test_clicking_through_the_tour(app_url, page):
    page.goto(f"{app_url}/?mode=tour")
    wait_for_app(page)
    for number, step in enumerate(STEPS):
        assert translate(f"tour.{step}.title", "zh") in page.locator("h1").first.inner_text()
        assert translate(f"tour.{step}.title", "en") in page.inner_text("body")
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, f"tour-{number + 1}-{step}")
        if number < len(STEPS) - 1:
            page.get_by_role("button", name=f"{translate('tour.next', 'zh')} / {translate('tour.next', 'en')}").click()
            wait_for_app(page)
    assert app_errors(page) == []


def test_the_tour_advances_by_itself(app_url, page):
    page.goto(f"{app_url}/?mode=tour&auto=5")
    # The first step, then the next by itself (a loaded machine may take a while to draw the first).
    page.wait_for_function("title => document.querySelector('h1')?.innerText.includes(title)",
                           arg=translate("tour.grid.title", "zh"), timeout=60_000)
    page.wait_for_function("title => document.querySelector('h1').innerText.includes(title)",
                           arg=translate("tour.stations.title", "zh"), timeout=20_000)
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.fixture(scope="module")
def task_tour_url(sqlite_city_url, city_dir, tmp_path_factory):
    """The open demo on a copy of the test city with one alert followed to verification; yields (URL, task id)."""
    database = tmp_path_factory.mktemp("tour-task") / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), database)
    engine = create_db_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    places = expected.nested_areas(city_dir)
    tour_task.add_alert(engine, 51, places["community"])
    task_id = tour_task.follow(engine, places["community"], tasks.task_clock(engine) - 2 * 86_400, alert_id=51)
    engine.dispose()
    with streamlit_server(f"sqlite:///{database}", "streamlit-tour-task") as base:
        yield base, task_id


def test_the_task_step_at_1920_by_1080(task_tour_url, browser):
    base, task_id = task_tour_url
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    try:
        page.goto(f"{base}/?mode=tour")
        wait_for_app(page)
        next_label = f"{translate('tour.next', 'zh')} / {translate('tour.next', 'en')}"
        for _ in range(STEPS.index("task")):
            page.get_by_role("button", name=next_label).click()
            wait_for_app(page)
        assert translate("tour.task.title", "zh") in page.locator("h1").first.inner_text()
        body = page.inner_text("body")
        assert f"#{task_id}" in body and tour_task.INSTRUCTION in body  # Markdown and HTML in it read as typed
        for zh, en in codes.TASK_ACTIONS.values():
            assert zh in body and en in body
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("canvas").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "tour-task-1920x1080.png"))
        screenshot(page, "tour-task-full")
        assert app_errors(page) == []
    finally:
        context.close()
