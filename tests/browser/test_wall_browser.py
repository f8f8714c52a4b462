"""The wall in a real browser at 1920×1080 and 3840×2160: no chrome, no scrollbars, every tile on screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, app_errors, wait_for_app


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
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
