"""The overview in a real browser: it renders, shows figures, and throws nothing."""

from __future__ import annotations

from tests.browser.conftest import screenshot, wait_for_app


def test_overview_renders_headline_figures(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    metrics = page.locator("[data-testid='stMetric']")
    assert metrics.count() >= 8
    assert "演示数据" in page.inner_text("body")
    screenshot(page, "overview")
    assert page.console_errors == []
