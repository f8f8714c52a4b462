"""The administration page (AppTest): roles, wall keys and the audit log, acting as an administrator."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from data_access import access, audit, migrate
from data_access.db import create_db_engine
from data_access.roles import Viewer

ADMIN = Viewer("sub-admin", "admin", None, "管理员")


def admin_page() -> None:
    """The admin page's body in a context whose viewer is an administrator."""
    import time

    from components.context import PageContext
    from components.filters import Selection
    from data_access.city_time import local_date
    from data_access.roles import Viewer
    from data_access.scope import CITY
    from pages import admin

    now = int(time.time())
    today = local_date(now)
    viewer = Viewer("sub-admin", "admin", None, "管理员")
    admin.render(PageContext("zh", now, today, {}, Selection(CITY, "30d", today, today), None, viewer))


@pytest.fixture
def database(sqlite_city_url, tmp_path, monkeypatch):
    copy = tmp_path / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    migrate.upgrade(engine)
    access.assign_role(engine, ADMIN, "sub-admin", "admin", None, "管理员")
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def test_an_administrator_sets_a_role_and_creates_a_wall_key(database):
    at = AppTest.from_function(admin_page, default_timeout=60).run()
    assert not at.exception
    at.text_input[0].input("sub-new-staff")
    at.selectbox[0].select("staff")
    at.text_input[1].input("420102001")
    at.button[0].click().run()  # the set-role form's submit
    assert not at.exception
    assert access.read_viewer(database, "sub-new-staff") == Viewer("sub-new-staff", "staff", "420102001", None)
    labels = [element.label for element in at.text_input]
    label_box = labels.index("名称", 3)  # the wall-key form's label field comes after the set-role form's
    at.text_input[label_box].input("指挥中心主屏")
    key_button = [button.label for button in at.button].index("创建大屏链接")
    at.button[key_button].click().run()
    assert not at.exception
    shown = " ".join(element.value for element in at.code)
    token = shown.rsplit("key=", 1)[1]
    assert access.verify_wall_key(database, token).display_name == "指挥中心主屏"
    actions = list(audit.read_audit(database, ADMIN)["action"])
    assert actions.count("role_change") == 2 and actions.count("wall_key_create") == 1
