"""One supervision task through its whole life in headless Chromium, each person signed in through the real OpenID
Connect provider: a leader dispatches it, the street's staff accept and resolve it, the leader returns it once
with a reason, the staff resolve it again, the leader verifies it, and the history shows every step. Screenshots
of the tasks page and the grid map with tasks in both languages, and of the wall's task counts at 1920x1080."""

from __future__ import annotations

import secrets
import shutil

import pytest

from components.i18n import translate
from data_access import access, codes, migrate, tasks
from data_access.city_time import DAY_SECONDS
from data_access.db import create_db_engine
from data_access.roles import Viewer
from deploy.oidc_provider import OidcUser, auth_secrets, running_provider
from tests import expected
from tests.browser.conftest import app_errors, screenshot, wait_for_app
from tests.browser.test_signin_browser import PASSWORD, sign_in
from tests.servers import free_port, streamlit_server

ADMIN = Viewer("test-admin", "admin")
LEADER = Viewer("sub-leader", "leader", None, "王领导")
INSTRUCTION = "三日内清理楼道堆物，反馈整改前后照片"
# Typed by a person: it must show as these very characters, never as bold text, a link or an image.
MARKUP_NOTE = '已补充照片 **见附件** [链接](http://x.test) <img src=x onerror="window.__pwned=1">'



@pytest.fixture(scope="module")
def places(city_dir) -> dict[str, str]:
    return expected.nested_areas(city_dir)


@pytest.fixture(scope="module")
def tasks_app(sqlite_city_url, places, tmp_path_factory):
    """The test city behind sign-in, with a leader and one street's staff, a wall key, and two tasks for the map
    and the wall: an overdue one in another street, one due later in another community of the staff's street."""
    work = tmp_path_factory.mktemp("tasks-browser")
    database = work / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), database)
    url = f"sqlite:///{database}"
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    access.assign_role(engine, ADMIN, "sub-leader", "leader", None, "王领导")
    access.assign_role(engine, ADMIN, "sub-staff", "staff", places["street"], "李街道")
    wall_token = access.create_wall_key(engine, ADMIN, "tasks wall")
    now = tasks.task_clock(engine)
    tasks.create_task(engine, LEADER, source_kind="area", area_code=places["other_community"],
                      assignee=places["other_street"], deadline=now - DAY_SECONDS // 2, instruction="修复路灯",
                      now=now - DAY_SECONDS)
    tasks.create_task(engine, LEADER, source_kind="area", area_code=places["sibling"],
                      assignee="urban_management", deadline=now + 5 * DAY_SECONDS, instruction="整治占道经营",
                      category="city_management", now=now)
    app_port = free_port()
    app_url = f"http://localhost:{app_port}"
    users = [OidcUser("sub-leader", "leader", PASSWORD, "王领导"), OidcUser("sub-staff", "staff", PASSWORD, "李街道")]
    with running_provider(work, free_port(), users, [f"{app_url}/oauth2callback"]) as provider:
        secrets_file = work / "secrets.toml"
        secrets_file.write_text(auth_secrets(provider, f"{app_url}/oauth2callback", secrets.token_urlsafe(32)))
        with streamlit_server(url, "streamlit-tasks", extra_args=("--secrets.files", str(secrets_file)),
                              port=app_port):
            yield app_url, engine, wall_token
    engine.dispose()


@pytest.fixture
def second_page(browser):
    """A second person's browser (its own cookies), beside `page`."""
    context = browser.new_context(viewport={"width": 1600, "height": 1800}, locale="zh-CN")
    other = context.new_page()
    other.console_errors = []
    other.on("console", lambda message: message.type == "error" and other.console_errors.append(message.text))
    yield other
    context.close()


def open_tasks(page, app_url: str, area: str, language: str = "zh") -> None:
    page.goto(f"{app_url}/tasks?area={area}&lang={language}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0


def submit_note(page, label_key: str, button_key: str, text: str) -> None:
    """Fill one of the task's step forms and submit it."""
    page.get_by_label(translate(label_key, "zh")).fill(text)
    page.get_by_role("button", name=translate(button_key, "zh"), exact=True).click()
    wait_for_app(page)


def state_of(engine, task_id: int) -> str:
    return tasks.read_task(engine, LEADER, task_id).task["state"]


def test_a_task_goes_from_dispatch_to_verification_in_the_browser(tasks_app, places, page, second_page):
    app_url, engine, _token = tasks_app
    leader, staff = page, second_page
    sign_in(leader, app_url, "leader")
    open_tasks(leader, app_url, places["community"])
    leader.get_by_text(translate("tasks.create", "zh")).click()
    leader.get_by_label(translate("tasks.instruction", "zh")).fill(INSTRUCTION)
    leader.get_by_role("button", name=translate("tasks.submit", "zh"), exact=True).click()
    wait_for_app(leader)
    created = tasks.read_tasks(engine, LEADER, states=("open",))
    task_id = int(created.loc[created["instruction"] == INSTRUCTION, "task_id"].iloc[0])
    assert translate("tasks.created", "zh", task=task_id) in leader.locator("body").inner_text()

    sign_in(staff, app_url, "staff")
    open_tasks(staff, app_url, places["street"])
    assert INSTRUCTION in staff.locator("body").inner_text()
    staff.get_by_role("button", name=translate("tasks.accept", "zh"), exact=True).click()
    wait_for_app(staff)
    assert state_of(engine, task_id) == "accepted"
    submit_note(staff, "tasks.resolve.note", "tasks.resolve", "已清理楼道堆物")
    assert state_of(engine, task_id) == "resolved"

    open_tasks(leader, app_url, places["community"])
    submit_note(leader, "tasks.return.reason", "tasks.return", "缺少整改后照片")
    assert state_of(engine, task_id) == "returned"

    open_tasks(staff, app_url, places["street"])
    assert "缺少整改后照片" in staff.locator("body").inner_text()  # the reason, in the history
    submit_note(staff, "tasks.resolve.note", "tasks.resolve", MARKUP_NOTE)
    assert state_of(engine, task_id) == "resolved"

    open_tasks(leader, app_url, places["community"])
    submit_note(leader, "tasks.verify.note", "tasks.verify", "现场复核无误")
    assert state_of(engine, task_id) == "verified"
    history = tasks.read_task(engine, LEADER, task_id).history
    assert list(history["action"]) == ["create", "accept", "resolve", "return", "resolve", "verify"]
    assert list(history["display_name"]) == ["王领导", "李街道", "李街道", "王领导", "李街道", "王领导"]
    # The task just verified stays on screen with its whole history, and no step is left to take.
    text = leader.locator("body").inner_text()
    assert translate("tasks.no_actions", "zh") in text
    for note in ("已清理楼道堆物", "缺少整改后照片", MARKUP_NOTE, "现场复核无误"):
        assert note in text  # a note with Markdown and HTML in it reads exactly as typed
    assert leader.evaluate("window.__pwned") is None
    for label in codes.TASK_ACTIONS.values():
        assert label[0] in text
    screenshot(leader, "tasks-history-zh")
    assert app_errors(leader) == [] and app_errors(staff) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_screenshots_of_the_tasks_page_and_the_grid_map_with_tasks(tasks_app, places, page, language):
    app_url, _engine, _token = tasks_app
    sign_in(page, app_url, "leader")
    open_tasks(page, app_url, places["district"], language)
    text = page.locator("body").inner_text()
    # The overdue task comes first (deadlines in order) and is the one shown in detail.
    assert translate("tasks.unfinished", language) in text and "修复路灯" in text
    screenshot(page, f"tasks-page-{language}")
    page.goto(f"{app_url}/grid-map?area={places['district']}&lang={language}")
    wait_for_app(page)
    assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 1
    assert translate("tasks.map.overdue_outline", language) in page.locator("body").inner_text()
    screenshot(page, f"tasks-grid-map-{language}")
    page.goto(f"{app_url}/requests?area={places['district']}&lang={language}")
    wait_for_app(page)
    page.get_by_text(translate("tasks.from_hotspot", language)).click()
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name=translate("tasks.submit", language), exact=True).count() == 1
    screenshot(page, f"tasks-requests-hotspot-{language}")
    assert app_errors(page) == []


def test_screenshot_of_the_wall_with_task_counts(tasks_app, page):
    app_url, _engine, token = tasks_app
    page.set_viewport_size({"width": 1920, "height": 1080})
    for language in ("zh", "en"):
        page.goto(f"{app_url}/?mode=wall&key={token}&lang={language}&screen=1920x1080")
        wait_for_app(page)
        page.wait_for_selector("[data-testid='wall-tile']", timeout=30_000)
        text = page.locator("body").inner_text()
        assert translate("wall.tasks_overdue", language) in text
        screenshot(page, f"tasks-wall-{language}")
