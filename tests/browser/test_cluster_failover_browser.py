"""Losing one app process behind nginx: its browsers' pages reconnect to a survivor within 10 s and show no error."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.cluster import established_connections, wait_until

pytestmark = pytest.mark.cluster
FAILOVER_SECONDS = 10


def _healthy(page) -> bool:
    """Content drawn, the script not running, and no error, exception or connection dialog anywhere."""
    return (page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").count() == 1
            and page.locator("[data-testid='stException']").count() == 0
            and page.locator("[role='dialog']").count() == 0
            and page.get_by_text("Connection error").count() == 0
            and page.locator("[data-testid='stAlertContentError']").count() == 0)


def test_pages_of_a_lost_process_reconnect_to_a_survivor_within_ten_seconds(browser, cluster):
    # One browser: one route cookie, so the staff page and the wall live in the same process.
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-US")
    page, wall = context.new_page(), context.new_page()
    try:
        page.goto(f"{cluster.url}requests?lang=en")
        wait_for_app(page)
        wall.goto(f"{cluster.url}?mode=wall&refresh=2&lang=en")
        wait_for_app(wall)
        ports = cluster.ports.apps
        serving = wait_until(lambda: next((port for port in ports if established_connections(port) >= 2), None))
        survivor = next(port for port in ports if port != serving)
        lost_pid = cluster.app_pids()[ports.index(serving) + 1]
        clock = wall.locator(".wall-clock").inner_text()

        os.kill(lost_pid, signal.SIGKILL)  # by its id, as a crash would
        killed = time.monotonic()
        wait_until(lambda: established_connections(survivor) >= 2, timeout=FAILOVER_SECONDS)
        # The wall refreshes again, on the survivor; neither page shows an error or a connection dialog.
        wait_until(lambda: wall.locator(".wall-clock").inner_text() != clock and _healthy(wall) and _healthy(page),
                   timeout=FAILOVER_SECONDS - (time.monotonic() - killed))
        assert time.monotonic() - killed <= FAILOVER_SECONDS
        assert page.locator("h1").first.inner_text().endswith("Requests")
        assert wall.locator("[data-testid='wall-tile']").count() >= 6
        screenshot(page, "failover-requests")
        screenshot(wall, "failover-wall")
        # The session on the survivor works: another page of the menu is drawn there.
        page.get_by_role("link", name="Overview").click()
        wait_for_app(page)
        assert page.locator("h1").first.inner_text().endswith("Overview") and _healthy(page)
    finally:
        context.close()
        cluster.start()  # the lost process back, for the tests after this one
