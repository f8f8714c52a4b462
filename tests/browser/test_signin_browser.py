"""Signing in through a real OpenID Connect provider's login form, as each role, in headless Chromium.

The provider is deploy/oidc (panva's oidc-provider) on loopback; the app is deploy/server.py with an `[auth]`
section in its secrets, so nothing but the sign-in page is served to someone not signed in.
"""

from __future__ import annotations

import secrets
import shutil

import pytest

from components.i18n import translate
from data_access import access, audit, migrate
from data_access.db import create_db_engine
from data_access.roles import Viewer
from deploy.oidc_provider import OidcUser, auth_secrets, running_provider
from tests import expected
from tests.browser.conftest import app_errors, screenshot, wait_for_app
from tests.servers import ARTIFACTS, free_port, streamlit_server

ADMIN = Viewer("test-admin", "admin")
SERVER_LOG = ARTIFACTS / "streamlit-signin.log"
PASSWORD = "correct horse battery"
# A city portal this deployment lets embed the app (the shipped configuration names none): what a signed-in
# browser's host-config carries, and someone not signed in never sees.
PORTAL = "https://portal.city.example"


@pytest.fixture(scope="module")
def districts(city_dir) -> list[str]:
    return sorted(expected.work_orders(city_dir)["district_code"].dropna().unique())


@pytest.fixture(scope="module")
def signed_in_app(sqlite_city_url, districts, tmp_path_factory):
    """The test city with a leader, a district's staff, a guest and a stranger; the app behind sign-in."""
    work = tmp_path_factory.mktemp("signin")
    database = work / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), database)
    url = f"sqlite:///{database}"
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    people = {"leader": ("leader", None), "staff": ("staff", districts[0]), "guest": ("guest", None),
              "handler": ("case_handler", districts[0]), "stranger": (None, None)}
    for name, (role, area) in people.items():
        if role:
            access.assign_role(engine, ADMIN, f"sub-{name}", role, area, f"{name} 测试")
    wall_token = access.create_wall_key(engine, ADMIN, "test wall", districts[0])
    app_port = free_port()
    app_url = f"http://localhost:{app_port}"
    users = [OidcUser(f"sub-{name}", name, PASSWORD, f"{name} 测试") for name in people]
    with running_provider(work, free_port(), users, [f"{app_url}/oauth2callback"]) as provider:
        secrets_file = work / "secrets.toml"
        secrets_file.write_text(auth_secrets(provider, f"{app_url}/oauth2callback", secrets.token_urlsafe(32)))
        with streamlit_server(url, SERVER_LOG.stem, port=app_port, extra_args=(
                "--secrets.files", str(secrets_file), "--client.allowedOrigins", PORTAL)):
            yield app_url, engine, wall_token
    engine.dispose()


def sign_in(page, app_url: str, username: str, path: str = "") -> None:
    """Open the app, press sign-in, fill the provider's own form, and come back signed in."""
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    page.get_by_role("button", name=translate("auth.sign_in", "zh")).click()
    page.wait_for_selector("input[name='username']", timeout=30_000)
    page.fill("input[name='username']", username)
    page.fill("input[name='password']", PASSWORD)
    page.get_by_role("button", name="登录 Sign in").click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    wait_for_app(page)


def test_someone_not_signed_in_gets_the_sign_in_page_only(signed_in_app, page):
    app_url, _engine, _token = signed_in_app
    for path in ("", "requests", "?mode=tour"):
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        assert page.get_by_role("button", name=translate("auth.sign_in", "zh")).count() == 1
        assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 0
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        assert page.locator("[data-testid='stTable'], [data-testid='stDataFrame']").count() == 0
    screenshot(page, "signin-page")
    page.goto(f"{app_url}/?mode=wall")
    wait_for_app(page)
    assert translate("auth.wall_key", "zh") in page.locator("body").inner_text()


def host_origins(page, app_url: str) -> list[str]:
    """The allowed origins /_stcore/host-config tells this browser (its cookies go with the request)."""
    return page.request.get(f"{app_url}/_stcore/host-config").json()["allowedOrigins"]


def test_a_leader_signs_in_through_the_providers_form_and_sees_the_city(signed_in_app, page):
    app_url, engine, _token = signed_in_app
    page.goto(app_url)
    wait_for_app(page)
    assert host_origins(page, app_url) == [], "the gate answers host-config with nothing before sign-in"
    sign_in(page, app_url, "leader")
    # The real sign-in cookie is recognised by the gate: the server's own answer (the configured portal).
    assert host_origins(page, app_url) == [PORTAL]
    assert translate("page.overview", "zh") in page.locator("h1").first.inner_text()
    assert "leader 测试" in page.locator("[data-testid='stSidebar']").inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "signin-leader")
    assert app_errors(page) == []
    sign_ins = audit.read_audit(engine, ADMIN, subject="sub-leader", actions=("sign_in",))
    assert len(sign_ins) == 1 and sign_ins["role"].iloc[0] == "leader"
    # The overview's newest requests carry masked callers: that view is audited, once.
    views = audit.read_audit(engine, ADMIN, subject="sub-leader", actions=("view_personal",))
    assert list(views["page"]) == ["overview"] and views["area_code"].isna().all()


def test_staff_see_their_district_and_get_a_plain_refusal_for_another(signed_in_app, page, districts):
    app_url, engine, _token = signed_in_app
    sign_in(page, app_url, "staff")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.locator("[data-testid='stSelectbox']").first.locator("input").is_disabled()
    assert f"area={districts[0]}" in page.url or page.locator("h1").count() == 1
    page.goto(f"{app_url}/requests?area={districts[1]}")
    wait_for_app(page)
    assert translate("auth.outside_area", "zh") in page.locator("body").inner_text()
    assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 0
    screenshot(page, "signin-staff-outside")
    refused = audit.read_audit(engine, ADMIN, subject="sub-staff", actions=("refused",))
    assert districts[1] in set(refused["area_code"])


def test_a_guest_sees_aggregates_without_any_name(signed_in_app, page, city_dir):
    app_url, _engine, _token = signed_in_app
    sign_in(page, app_url, "guest")
    text = page.locator("body").inner_text()
    assert translate("auth.aggregates_only", "zh") in text
    callers = expected.work_orders(city_dir)["caller_name"].dropna()
    masked = {name[0] + "*" for name in callers}
    assert not any(name in text for name in masked if len(name) == 2)
    screenshot(page, "signin-guest")


def test_a_person_the_app_does_not_know_gets_no_data(signed_in_app, page):
    app_url, _engine, _token = signed_in_app
    sign_in(page, app_url, "stranger")
    text = page.locator("body").inner_text()
    assert "stranger 测试" in text and "尚未在城市一屏中分配角色" in text
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    screenshot(page, "signin-stranger")


def test_a_wall_key_shows_its_area_and_stops_within_a_refresh_once_revoked(signed_in_app, page):
    app_url, engine, token = signed_in_app
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{app_url}/?mode=wall&key={token}&refresh=3&screen=1920x1080")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='wall-tile']", timeout=30_000)
    screenshot(page, "signin-wall")
    assert access.revoke_wall_key(engine, ADMIN, token.split(".")[0])
    page.wait_for_function(f"document.body.innerText.includes({translate('auth.wall_key', 'zh')!r})",
                           timeout=15_000)
    # The refused run's message shows first; the last figures leave the page when that run ends (a loaded
    # machine showed both for a moment), within the same refresh.
    page.wait_for_function("document.querySelectorAll(\"[data-testid='wall-tile']\").length === 0", timeout=5_000)
    assert page.locator("[data-testid='wall-tile']").count() == 0


def test_a_case_handler_reveals_one_number_with_a_reason_and_it_is_audited(signed_in_app, page, city_dir, districts):
    app_url, engine, _token = signed_in_app
    orders = expected.work_orders(city_dir)
    order = orders[(orders["district_code"] == districts[0]) & orders["caller_phone"].notna()].iloc[0]
    sign_in(page, app_url, "handler")
    page.goto(f"{app_url}/requests")
    wait_for_app(page)
    page.get_by_text(translate("reveal.title", "zh")).click()
    page.get_by_label(translate("reveal.order", "zh")).fill(order["order_no"])
    page.get_by_label(translate("reveal.reason", "zh")).fill("回访核实诉求人身份")
    page.get_by_role("button", name=translate("reveal.submit", "zh")).click()
    wait_for_app(page)
    assert order["caller_phone"] in page.locator("body").inner_text()
    screenshot(page, "signin-handler-reveal")
    reveals = audit.read_audit(engine, ADMIN, subject="sub-handler", actions=("reveal",))
    assert list(reveals["target"]) == [order["order_no"]] and list(reveals["reason"]) == ["回访核实诉求人身份"]


def test_a_deep_link_serves_the_sign_in_page_cleanly_and_lands_there_after_sign_in(signed_in_app, page, districts):
    app_url, _engine, _token = signed_in_app
    link = f"requests?area={districts[0]}&lang=zh"
    page.goto(f"{app_url}/{link}")
    wait_for_app(page)
    # Streamlit's "page not found" dialog must not cover the sign-in page.
    assert page.locator("[role='dialog']").count() == 0
    assert "Page not found" not in page.locator("body").inner_text()
    assert page.get_by_role("button", name=translate("auth.sign_in", "zh")).count() == 1
    screenshot(page, "signin-deep-link")
    sign_in(page, app_url, "staff", path=link)
    assert page.url.startswith(f"{app_url}/requests"), page.url
    assert f"area={districts[0]}" in page.url
    assert translate("page.requests", "zh") in page.locator("h1").first.inner_text()
    assert page.locator("[role='dialog']").count() == 0
    screenshot(page, "signin-deep-link-landed")


def test_a_reveal_that_cannot_be_audited_leaves_no_personal_number_in_the_servers_log(signed_in_app, page, city_dir,
                                                                                       districts):
    app_url, engine, _token = signed_in_app
    orders = expected.work_orders(city_dir)
    order = orders[(orders["district_code"] == districts[0]) & orders["caller_phone"].notna()].iloc[1]
    typed = ("13600002222", "420102198502021234")
    sign_in(page, app_url, "handler")
    page.goto(f"{app_url}/requests?area={districts[0]}")
    wait_for_app(page)
    with engine.begin() as connection:  # the audit log breaks: the reveal must not happen, and its error is logged
        connection.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_away")
    try:
        page.get_by_text(translate("reveal.title", "zh")).click()
        page.get_by_label(translate("reveal.order", "zh")).fill(order["order_no"])
        page.get_by_label(translate("reveal.reason", "zh")).fill(f"回访核实 {typed[0]} 身份证 {typed[1]}")
        page.get_by_role("button", name=translate("reveal.submit", "zh")).click()
        wait_for_app(page)
        assert translate("reveal.failed", "zh") in page.locator("body").inner_text()
        assert order["caller_phone"] not in page.locator("body").inner_text()
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE audit_log_away RENAME TO audit_log")
    logged = SERVER_LOG.read_text(encoding="utf-8", errors="replace")
    assert "reveal failed" in logged, "the failure reached the server's log"
    people = [expected.csv(city_dir, "members.csv"), expected.csv(city_dir, "grid_workers.csv")]
    numbers = {*typed, *orders["caller_phone"].dropna(),
               *(phone for frame in people for phone in frame["phone"].dropna())}
    assert [number for number in numbers if number in logged] == []
