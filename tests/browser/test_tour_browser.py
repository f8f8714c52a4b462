"""The tour in a real browser: click through every step; each paints and throws nothing."""

from __future__ import annotations

from components.i18n import translate
from tests.browser.conftest import app_errors, screenshot, wait_for_app

STEPS = ("grid", "stations", "loop", "members")


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
