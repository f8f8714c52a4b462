"""The delegation tour in AppTest: every step renders, captions in both languages, the real order's timeline, the
real 督办 task's steps from its alert to verification."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from components.views import escape_markdown, format_duration
from data_access.db import create_db_engine
from data_access.roles import OPEN_DEMO
from data_access.work_orders import read_order_timeline, read_tour_order

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("grid", "stations", "loop", "task", "members")


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
    text = " ".join(item.value for item in [*app.markdown, *app.info])
    assert text.strip()
    if STEPS[step] not in ("loop", "task"):  # the test city has no alert, so the task step says so (below)
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


@pytest.fixture
def task_city(sqlite_city_url, tmp_path, monkeypatch, city_dir):
    """A copy of the test city with alerts and tasks: (engine, places, the task the tour must follow, a later
    verified task from an area, which it must not)."""
    import shutil

    from data_access import migrate, tasks
    from tests import expected, tour_task

    copy = tmp_path / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    engine = create_db_engine(f"sqlite:///{copy}")
    migrate.upgrade(engine)
    places = expected.nested_areas(city_dir)
    now = tasks.task_clock(engine)
    tour_task.add_alert(engine, 31, places["community"])
    followed = tour_task.follow(engine, places["community"], now - 2 * 86_400, alert_id=31)
    later = tour_task.follow(engine, places["far_street"], now - 86_400)
    yield engine, places, followed, later
    engine.dispose()


def open_task_step(role: str | None = None, monkeypatch=None) -> AppTest:
    if role is not None:
        from components import auth
        from data_access.roles import Viewer

        monkeypatch.setattr(auth, "require_viewer", lambda *args, **kwargs: Viewer(f"sub-{role}", role))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = STEPS.index("task")
    app.run()
    assert not app.exception and not app.error, [item.message for item in app.exception]
    return app


def shown_steps(app: AppTest) -> list[tuple[str, str, str]]:
    """(label, time, role) of each step the timeline shows, read off its bordered boxes."""
    steps = []
    for column in app.columns:
        labels = [item.value for item in column.markdown]
        captions = [item.value.replace("\\", "") for item in column.caption]
        if len(labels) == 1 and captions:
            steps.append((labels[0], captions[0], captions[-1]))
    return steps


@pytest.mark.parametrize(("role", "words"), [(None, True), ("leader", True), ("guest", False)])
def test_the_task_step_follows_the_task_from_its_alert_through_every_recorded_step(task_city, monkeypatch, role,
                                                                                    words):
    from components.alerts import evidence_text
    from data_access import codes
    from data_access.alerts import read_alert_list
    from data_access.city_time import local_text
    from data_access.roles import ROLES
    from tests import tour_task

    engine, _places, followed, _later = task_city
    history = tour_task.history_by_sql(engine, followed)
    alert = read_alert_list(engine, status=None, alert_ids=(31,)).iloc[0].to_dict()
    app = open_task_step(role, monkeypatch)
    assert app.title[0].value == translate("tour.task.title", "zh")
    steps = shown_steps(app)
    assert steps[0][0] == f"**{translate('tour.task.alert_step', 'zh')}**  \n{translate('tour.task.alert_step', 'en')}"
    assert steps[0][1] == alert["first_day"].isoformat()
    expected_steps = [(f"**{codes.TASK_ACTIONS[action][0]}**  \n{codes.TASK_ACTIONS[action][1]}", local_text(at),
                       " · ".join(ROLES[role_code])) for action, at, role_code, _note in history]
    assert steps[1:] == expected_steps
    assert [action for action, *_ in history] == ["create", "accept", "resolve", "return", "resolve", "verify"]
    captions = " ".join(item.value for item in app.caption).replace("\\", "")
    # The time since the step before, for every step after the dispatch.
    for (_, before, *_), (_, at, *_) in itertools.pairwise(history):
        for language in ("zh", "en"):
            assert translate("tour.task.after", language, duration=format_duration(at - before, language)) in captions
    text = " ".join(item.value for item in app.markdown).replace("\\", "")
    assert f"#{followed}" in text and evidence_text(alert, "zh") in text and evidence_text(alert, "en") in text
    assert len(app.get("deck_gl_json_chart")) == 1
    # Staff's words for those who may read them, shown as text (the instruction's Markdown and HTML stay literal);
    # never anyone's name.
    assert (tour_task.INSTRUCTION in text) is words and (tour_task.RESOLVED in text) is words
    assert (tour_task.RETURNED in text) is words
    assert (translate("tour.task.withheld", "zh") in captions) is not words
    assert "王领导" not in text + captions and "李街道" not in text + captions
    raw = " ".join(item.value for item in app.markdown)
    assert (escape_markdown(tour_task.INSTRUCTION) in raw) is words


def test_the_task_step_says_so_when_no_task_has_gone_from_an_alert_to_verification(sqlite_city_url, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    app = open_task_step()
    assert [item.value for item in app.info] == [
        f"{translate('tour.task.empty', 'zh')} / {translate('tour.task.empty', 'en')}"]
    assert not app.columns or not shown_steps(app)


def test_area_staff_see_no_task_of_the_citys_tour(task_city, monkeypatch):
    from components import auth
    from data_access.roles import Viewer

    _engine, places, followed, _later = task_city
    monkeypatch.setattr(auth, "require_viewer",
                        lambda *args, **kwargs: Viewer("sub-staff", "staff", places["district"]))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "tour"
    app.session_state["tour_step"] = STEPS.index("task")
    app.run()
    assert [item.value for item in app.warning] == [translate("auth.outside_area", "zh")]
    assert not any(f"#{followed}" in item.value for item in app.markdown) and not app.columns
