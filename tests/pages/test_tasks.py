"""The 督办 page in AppTest, in both languages and for each role: its figures come from data_access.tasks, the
dispatch form and each step's buttons appear for the roles that may use them and act through data_access; the
requests page dispatches a hotspot, the grid map and the wall show open and overdue tasks."""

from __future__ import annotations

import json
import re
import shutil
from datetime import time

import pytest
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from components.tiles import format_count
from data_access import audit, codes, migrate, schema, tasks
from data_access.city_time import DAY_SECONDS, local_date
from data_access.db import create_db_engine
from data_access.roles import Viewer
from data_access.scope import AreaScope
from tests import apps, expected

LEADER = Viewer("sub-leader", "leader", None, "leader 测试")


def tasks_page(role: str, viewer_area: str | None, selected_area: str | None, language: str) -> None:
    """The tasks page's body for a viewer of `role` in `viewer_area`, with `selected_area` chosen in the sidebar."""
    import time

    from components import cached
    from components.context import PageContext
    from components.filters import Selection
    from data_access.city_time import local_date, reference_now
    from data_access.roles import Viewer
    from data_access.scope import AreaScope
    from pages import tasks as page_module

    viewer = Viewer(f"sub-{role}", role, viewer_area, f"{role} 测试")
    facts = cached.load_city_facts()
    now = reference_now(facts, time.time())
    today = local_date(now)
    selection = Selection(AreaScope.of(selected_area, viewer_area), "30d", today, today)
    page_module.render(PageContext(language, now, today, facts, selection, None, viewer))


@pytest.fixture(scope="module")
def places(city_dir) -> dict[str, str]:
    return expected.nested_areas(city_dir)


@pytest.fixture
def database(sqlite_city_url, tmp_path, monkeypatch, places):
    """A copy of the test city with three tasks: an open one, an accepted one and an overdue one."""
    copy = tmp_path / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    migrate.upgrade(engine)
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    now = tasks.task_clock(engine)
    staff = Viewer("sub-street", "staff", places["street"], "街道 测试")
    tasks.create_task(engine, LEADER, source_kind="area", area_code=places["community"], assignee=places["street"],
                      deadline=now + 3 * DAY_SECONDS, instruction="清理楼道堆物", now=now)
    accepted = tasks.create_task(engine, LEADER, source_kind="area", area_code=places["grid"],
                                 assignee="urban_management", deadline=now + DAY_SECONDS,
                                 instruction="整治占道经营", category="city_management", now=now)
    tasks.accept_task(engine, staff, accepted, now=now)
    tasks.create_task(engine, LEADER, source_kind="area", area_code=places["other_community"],
                      assignee=places["other_street"], deadline=now - DAY_SECONDS // 2,
                      instruction="修复路灯", now=now - DAY_SECONDS)
    yield engine
    engine.dispose()


def run(role: str, viewer_area: str | None, selected: str | None, language: str = "zh") -> AppTest:
    at = AppTest.from_function(tasks_page, args=(role, viewer_area, selected, language), default_timeout=60).run()
    assert not at.exception, [item.message for item in at.exception]
    assert not at.error, [item.value for item in at.error]
    return at


def task_table(at: AppTest):
    return next(frame.value for frame in at.dataframe if "#" in frame.value.columns)


VIEWERS = {  # name: (role, the viewer's area key in `places`, the area selected)
    "leader": ("leader", None, "district"),
    "district staff": ("staff", "district", "district"),
    "street staff": ("staff", "street", "street"),
    "case handler": ("case_handler", "community", "community"),
    "admin": ("admin", None, None),
}
RIGHTS = {"leader": "supervise", "district staff": "both", "street staff": "handle", "case handler": "handle",
          "admin": "read"}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("who", list(VIEWERS))
def test_each_role_sees_the_tasks_of_its_area_with_its_own_rights(database, places, city_dir, who, language):
    role, viewer_key, selected_key = VIEWERS[who]
    viewer_area = places[viewer_key] if viewer_key else None
    selected = places[selected_key] if selected_key else None
    at = run(role, viewer_area, selected, language)
    t = lambda key, **values: translate(key, language, **values)  # noqa: E731
    viewer = Viewer(f"sub-{role}", role, viewer_area)
    scope = AreaScope.of(selected, viewer_area)
    now = tasks.task_clock(database)
    totals = tasks.read_task_totals(database, scope, now)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics[t("tasks.unfinished")] == format_count(totals["unfinished"])
    assert metrics[t("tasks.overdue")] == format_count(totals["overdue"])
    assert metrics[t("tasks.awaiting_verification")] == format_count(totals["resolved"])
    listed = tasks.read_tasks(database, viewer, scope, states=("open", "accepted", "resolved", "returned"), now=now)
    assert len(listed) > 0
    table = task_table(at)
    assert list(table["#"]) == [f"#{task_id}" for task_id in listed["task_id"]]
    assert set(table[t("column.status")]) == {codes.TASK_STATES[state][language == "en"] for state in listed["state"]}
    area_name = t("auth.whole_city") if viewer_area is None else expected.areas(city_dir, {
        6: "district", 9: "street", 12: "community"}[len(viewer_area)]).set_index("code").loc[
        viewer_area, "name_en" if language == "en" else "name_zh"]
    assert t(f"tasks.rights.{RIGHTS[who]}", area=area_name) in [caption.value for caption in at.caption]
    expanders = [expander.label for expander in at.expander]
    assert (t("tasks.create") in expanders) == tasks.is_supervisor(viewer)
    buttons = {button.label for button in at.button}
    first = tasks.read_task(database, viewer, int(listed["task_id"].iloc[0]))
    if "accept" in tasks.allowed_actions(viewer, first):
        assert t("tasks.accept") in buttons
    else:
        assert t("tasks.accept") not in buttons
    assert at.selectbox(key="task_selected").value == int(listed["task_id"].iloc[0])
    history = next(element.proto.body for element in at.get("html") if t("tasks.who") in element.proto.body)
    steps = re.findall(r"<tr>(?:<td[^>]*>[^<]*</td>){1}<td[^>]*>([^<]*)</td>", history)
    assert steps == [codes.TASK_ACTIONS[action][language == "en"] for action in first.history["action"]]


def test_a_leader_dispatches_a_task_from_the_form(database, places):
    at = run("leader", None, places["street"])
    before = set(tasks.read_tasks(database, LEADER)["task_id"])
    at.selectbox(key="task-create-assignee").select("water_affairs")
    at.selectbox(key="task-create-category").select("environment")
    at.text_area(key="task-create-instruction").input("三日内排查河道排污口并反馈")
    at.button[0].click().run()  # the form's submit (the only button before the task list)
    assert not at.exception
    created = tasks.read_tasks(database, LEADER)
    new = created[~created["task_id"].isin(before)].iloc[0]
    assert (new["area_code"], new["assignee"], new["category_l1"], new["instruction"], new["state"]) == (
        places["street"], "water_affairs", "environment", "三日内排查河道排污口并反馈", "open")
    assert any(translate("tasks.created", "zh", task=int(new["task_id"])) in item.value for item in at.success)
    assert at.selectbox(key="task_selected").value == int(new["task_id"])
    assert at.text_area(key="task-create-instruction").value == ""  # a second click dispatches nothing twice
    records = audit.read_audit(database, Viewer("auditor", "admin"), actions=("task_create",))
    assert f"task {int(new['task_id'])}" in set(records["target"])


def test_the_form_names_every_problem_and_writes_nothing(database, places):
    at = run("leader", None, places["community"], "en")
    before = len(tasks.read_tasks(database, LEADER))
    at.date_input(key="task-create-day").set_value(local_date(tasks.task_clock(database)))  # today, at midnight
    at.time_input(key="task-create-time").set_value(time(0, 0))
    at.button[0].click().run()
    warnings = [item.value for item in at.warning]
    assert translate("tasks.error.deadline-past", "en") in warnings
    assert translate("tasks.error.empty-instruction", "en") in warnings
    assert len(tasks.read_tasks(database, LEADER)) == before


def test_staff_accept_and_resolve_and_a_leader_returns_through_the_page(database, places):
    listed = tasks.read_tasks(database, LEADER, states=("open",))
    task_id = int(listed.loc[listed["area_code"] == places["community"], "task_id"].iloc[0])
    at = run("staff", places["street"], places["street"])
    at.selectbox(key="task_selected").select(task_id).run()
    next(button for button in at.button if button.label == translate("tasks.accept", "zh")).click().run()
    assert not at.exception
    assert tasks.read_task(database, LEADER, task_id).task["state"] == "accepted"
    assert any(translate("tasks.done", "zh", action="签收") in item.value for item in at.success)
    at.text_area(key=f"task-{task_id}-resolve-note").input("已清理完毕，附照片")
    next(button for button in at.button if button.label == translate("tasks.resolve", "zh")).click().run()
    assert tasks.read_task(database, LEADER, task_id).task["state"] == "resolved"
    leader = run("leader", None, places["street"], "en")
    leader.selectbox(key="task_selected").select(task_id).run()
    leader.text_area(key=f"task-{task_id}-return-note").input("No photo of the stairwell")
    next(button for button in leader.button if button.label == translate("tasks.return", "en")).click().run()
    detail = tasks.read_task(database, LEADER, task_id)
    assert detail.task["state"] == "returned"
    assert list(detail.history["action"]) == ["create", "accept", "resolve", "return"]
    assert detail.history["note"].iloc[-1] == "No photo of the stairwell"


def test_a_leader_dispatches_a_hotspot_grid_from_the_requests_page(database):
    at = apps.staff_page("requests")
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    code = at.selectbox(key="hotspot-task-grid").value
    at.text_area(key=f"hotspot-task-{code}-instruction").input("Find out why requests pile up here")
    next(button for button in at.button if button.label == translate("tasks.submit", "en")).click().run()
    assert not at.exception
    new = tasks.read_tasks(database, LEADER, AreaScope.of(code))
    assert len(new) == 1
    row = new.iloc[0]
    assert (row["source_kind"], row["area_code"], row["assignee"]) == ("hotspot", code, code[:9])
    assert row["source_summary"].startswith("Hotspot grid:")
    assert any(translate("tasks.created", "en", task=int(row["task_id"])) in item.value for item in at.success)


def deck_layers(at: AppTest) -> dict[str, dict]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return {layer["id"]: layer for layer in spec["layers"]}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_grid_map_outlines_areas_with_tasks_and_counts_them(database, places, language):
    at = apps.staff_page("grid-map")
    at.query_params["lang"] = language
    at.query_params["area"] = places["district"]
    at.run()
    assert not at.exception
    now = tasks.task_clock(database)
    counts = tasks.read_task_counts(database, AreaScope.of(places["district"]), "street", now).set_index("code")
    layers = deck_layers(at)
    overdue = {feature["properties"]["code"] for feature in layers.get("tasks-overdue", {}).get("data", {}).get(
        "features", [])}
    unfinished = {feature["properties"]["code"] for feature in layers["tasks-unfinished"]["data"]["features"]}
    assert overdue == set(counts.index[counts["tasks_overdue"] > 0])
    assert unfinished == set(counts.index[(counts["tasks_unfinished"] > 0) & (counts["tasks_overdue"] == 0)])
    fills = {feature["properties"]["code"]: feature["properties"] for feature in layers["areas"]["data"]["features"]}
    for code, row in counts.iterrows():
        assert (fills[code]["tasks_unfinished"], fills[code]["tasks_overdue"]) == (row["tasks_unfinished"],
                                                                                   row["tasks_overdue"])
    tooltip = json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["html"]
    assert "{tasks_unfinished}" in tooltip and "{tasks_overdue}" in tooltip
    table = next(frame.value for frame in at.dataframe if translate("tasks.overdue", language) in frame.value.columns)
    shown = table.set_index(translate("column.code", language))
    for code in shown.index:
        want = counts.loc[code] if code in counts.index else {"tasks_unfinished": 0, "tasks_overdue": 0}
        assert shown.loc[code, translate("tasks.unfinished", language)] == want["tasks_unfinished"]


def test_the_wall_shows_open_and_overdue_tasks(database, places):
    from pathlib import Path

    at = AppTest.from_file(str(Path(apps.ROOT) / "app.py"), default_timeout=90)
    at.query_params["mode"] = "wall"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    body = "\n".join(element.proto.body for element in at.get("html"))
    from data_access.areas import read_city_facts
    from data_access.city_time import reference_now

    totals = tasks.read_task_totals(database, AreaScope.of(None), reference_now(read_city_facts(database), 0))
    assert totals["unfinished"] == 3 and totals["overdue"] == 1
    assert translate("wall.tasks_unfinished", "en") in body and translate("wall.tasks_overdue", "en") in body
    assert f'{translate("wall.tasks_overdue", "en")}</div><div class="wall-tile-value alert">1<' in body
    assert f'{translate("wall.tasks_unfinished", "en")}</div><div class="wall-tile-value">3<' in body


def test_the_viewers_area_name_is_shown_as_text(database, places):
    planted = "[link](http://outside.example/x) **街道**"
    with database.begin() as connection:
        connection.execute(schema.areas.update().where(tasks.areas.c.code == places["street"]).values(name_zh=planted))
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = run("staff", places["street"], places["street"], "zh")
    rights = [item.value for item in at.caption if "outside" in item.value]
    assert rights and all(text.replace("\\", "").replace("\u2060", "").count(planted) == 1 for text in rights)
    assert all("](http" not in text for text in rights)
