"""The delegation tour in AppTest: every step renders, captions in both languages, the real order's timeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from data_access.db import create_db_engine
from data_access.roles import OPEN_DEMO
from data_access.work_orders import read_order_timeline, read_tour_order

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("grid", "stations", "loop", "members")


@pytest.mark.parametrize("step", range(len(STEPS)))
def test_every_step_renders_with_both_languages(sqlite_city_url, monkeypatch, step):
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = step
    app.run()
    assert not app.exception and not app.error
    assert app.title[0].value == translate(f"tour.{STEPS[step]}.title", "zh")
    assert any(translate(f"tour.{STEPS[step]}.title", "en") == item.value for item in app.subheader)
    marks = " ".join(item.value for item in app.caption)
    assert translate("app.synthetic", "zh") in marks and translate("app.synthetic", "en") in marks
    text = " ".join(item.value for item in app.markdown)
    assert text.strip()
    if STEPS[step] != "loop":
        assert len(app.get("deck_gl_json_chart")) == 1


def test_the_loop_step_follows_a_real_order_through_its_timestamps(sqlite_city_url, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    engine = create_db_engine(sqlite_city_url)
    order = read_tour_order(engine, OPEN_DEMO.scope())
    timeline = read_order_timeline(engine, OPEN_DEMO.scope(), order["order_no"])
    engine.dispose()
    assert order["satisfaction"] == "satisfied" and timeline["step"].iloc[-1] == "closed"
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = STEPS.index("loop")
    app.run()
    shown = app.dataframe[0].value
    assert len(shown) == len(timeline)
    assert shown.iloc[0, 0] == f"{translate('step.received', 'zh')} · {translate('step.received', 'en')}"
    assert shown.iloc[-1, 0] == f"{translate('step.closed', 'zh')} · {translate('step.closed', 'en')}"
    assert any(order["order_no"] in item.value for item in app.markdown)


def test_the_tour_with_an_empty_database_says_how_to_load_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{tmp_path / 'missing.sqlite'}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.run()
    assert not app.exception and not app.error
    assert [item.value for item in app.info] == [f"{translate('app.no_data', 'zh')} / {translate('app.no_data', 'en')}"]


@pytest.mark.parametrize(("role", "titled"), [("guest", False), ("leader", True)])
def test_a_guests_tour_follows_the_loop_without_the_citizens_words(sqlite_city_url, monkeypatch, role, titled):
    from components import auth
    from data_access.roles import Viewer

    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    monkeypatch.setattr(auth, "require_viewer", lambda *args, **kwargs: Viewer(f"sub-{role}", role))
    engine = create_db_engine(sqlite_city_url)
    order = read_tour_order(engine, OPEN_DEMO.scope())
    engine.dispose()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = STEPS.index("loop")
    app.run()
    shown = " ".join(item.value for item in app.markdown).replace("\\", "")
    assert order["order_no"] in shown
    assert (order["title"] in shown) is titled


def test_area_staff_get_the_outside_your_area_state_not_the_citys_tour(sqlite_city_url, monkeypatch):
    from components import auth
    from data_access import audit
    from data_access.roles import Viewer

    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    engine = create_db_engine(sqlite_city_url)
    with engine.connect() as connection:
        district = connection.exec_driver_sql("SELECT code FROM areas WHERE level = 'district' LIMIT 1").scalar()
    staff = Viewer("sub-staff", "staff", district)
    monkeypatch.setattr(auth, "require_viewer", lambda *args, **kwargs: staff)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.run()
    assert not app.exception
    assert [item.value for item in app.warning] == [translate("auth.outside_area", "zh")]
    assert not app.get("deck_gl_json_chart") and not app.metric
    refused = audit.read_audit(engine, Viewer("auditor", "admin"), actions=("refused",))
    engine.dispose()
    assert (refused["subject"] == "sub-staff").any() and (refused["page"] == "tour").any()


def test_an_order_the_viewer_may_not_follow_shows_the_no_such_order_state(sqlite_city_url, monkeypatch):
    from components import cached

    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    engine = create_db_engine(sqlite_city_url)
    order = read_tour_order(engine, OPEN_DEMO.scope())
    engine.dispose()
    # The order picked, then a number the timeline's read does not find inside the viewer's area.
    monkeypatch.setattr(cached, "load_tour_order", lambda scope: {**order, "order_no": "NO-SUCH-ORDER"})
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = STEPS.index("loop")
    app.run()
    assert not app.exception and not app.error
    assert [item.value for item in app.info] == [
        f"{translate('order.not_in_area', 'zh')} / {translate('order.not_in_area', 'en')}"]
    assert not app.dataframe
    assert not any("NO-SUCH-ORDER" in item.value for item in app.markdown), "no caption follows an order not read"
