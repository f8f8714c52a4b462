"""A reveal that cannot be audited is refused, and the log of that failure holds no personal number: not the
caller's, and not one the case handler typed into the reason."""

from __future__ import annotations

import logging
import shutil

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from data_access import migrate
from data_access.db import create_db_engine
from tests import expected

PHONE_IN_REASON = "13600002222"
ID_IN_REASON = "420102198502021234"


def _reveal_form(area: str) -> None:
    from components import auth
    from data_access.roles import Viewer

    auth.render_reveal(Viewer("sub-handler", "case_handler", area), "zh", "requests")


def test_a_failed_reveal_logs_no_personal_number(sqlite_city_url, city_dir, tmp_path, monkeypatch, caplog):
    database = tmp_path / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), database)
    engine = create_db_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    with engine.begin() as connection:  # a broken database: no audit record can be written
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    engine.dispose()
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{database}")
    orders = expected.work_orders(city_dir)
    order = orders[orders["caller_phone"].notna()].iloc[0]
    caplog.set_level(logging.DEBUG)
    app = AppTest.from_function(_reveal_form, args=(order["street_code"],), default_timeout=30)
    app.run()
    app.text_input[0].input(order["order_no"])
    app.text_area[0].input(f"回访核实 {PHONE_IN_REASON} 身份证 {ID_IN_REASON}")
    app.button[0].click()
    app.run()
    assert [error.value for error in app.error] == [translate("reveal.failed", "zh")]
    assert "reveal failed" in caplog.text, "the failure is logged"
    for number in (PHONE_IN_REASON, ID_IN_REASON, order["caller_phone"]):
        assert number not in caplog.text
