"""督办 supervision tasks on both backends: the life cycle and its history, who may take which step, bad input
refused with every problem and nothing written, all-or-nothing with the audit, and the counts and lists against
an independent count (tests/expected.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, text

from data_access import audit, codes, tasks
from data_access.city_time import DAY_SECONDS, local_date
from data_access.roles import AccessDenied, Viewer
from data_access.schema import alerts, audit_log, supervision_tasks, task_events
from data_access.scope import CITY, AreaScope, OutsideArea
from tests import expected
from tests.conftest import BACKENDS, drop_engine, load_directory, make_empty_engine

HOUR = 3600


@pytest.fixture(scope="module", params=BACKENDS)
def city_engine(request, city_dir, tmp_path_factory):
    """The test city on each backend, loaded once for this module (tests empty the task tables)."""
    engine = make_empty_engine(request.param, tmp_path_factory.mktemp("tasks"))
    load_directory(city_dir, engine)
    yield engine
    drop_engine(engine)


@pytest.fixture(scope="module")
def places(city_dir) -> dict[str, str]:
    return expected.nested_areas(city_dir)


@pytest.fixture
def engine(city_engine):
    with city_engine.begin() as connection:
        connection.execute(delete(task_events))
        connection.execute(delete(supervision_tasks))
    return city_engine


@pytest.fixture(scope="module")
def now(city_engine) -> int:
    return tasks.task_clock(city_engine)


LEADER = Viewer("sub-leader", "leader", None, "王领导")


def staff_of(area: str, subject: str = "sub-staff", role: str = "staff") -> Viewer:
    return Viewer(subject, role, area, f"{subject} 名字")


def new_task(engine, places, now, viewer=LEADER, area="community", **overrides) -> int:
    values = {"source_kind": "area", "area_code": places[area], "assignee": places["street"],
              "deadline": now + 3 * DAY_SECONDS, "instruction": "请三日内清理小区垃圾并反馈照片", "now": now}
    return tasks.create_task(engine, viewer, **{**values, **overrides})


def row_counts(engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (supervision_tasks, task_events, audit_log))


def test_a_task_goes_through_its_whole_life_and_every_step_is_recorded_and_audited(engine, places, now):
    staff = staff_of(places["street"])
    task_id = new_task(engine, places, now, category="city_management")
    steps = [(tasks.accept_task, staff, None, "accepted"), (tasks.resolve_task, staff, "已清运并拍照", "resolved"),
             (tasks.return_task, LEADER, "照片未显示楼道", "returned"),
             (tasks.resolve_task, staff, "补充楼道照片", "resolved"), (tasks.verify_task, LEADER, None, "verified")]
    for minutes, (step, viewer, note, state) in enumerate(steps, start=1):
        arguments = (note,) if note is not None else ()
        assert step(engine, viewer, task_id, *arguments, now=now + minutes * 60) == state
    detail = tasks.read_task(engine, LEADER, task_id, now=now + HOUR)
    assert detail.task["state"] == "verified" and detail.task["returns"] == 1 and not detail.task["overdue"]
    assert (detail.task["area_code"], detail.task["area_level"], detail.task["assignee_kind"]) == (
        places["community"], "community", "street")
    history = detail.history
    assert list(history["action"]) == ["create", "accept", "resolve", "return", "resolve", "verify"]
    assert list(history["from_state"].fillna("")) == ["", "open", "accepted", "resolved", "returned", "resolved"]
    assert list(history["to_state"]) == ["open", "accepted", "resolved", "returned", "resolved", "verified"]
    assert list(history["subject"]) == ["sub-leader", "sub-staff", "sub-staff", "sub-leader", "sub-staff",
                                        "sub-leader"]
    assert list(history["role"]) == ["leader", "staff", "staff", "leader", "staff", "leader"]
    assert list(history["at"]) == [now + minutes * 60 for minutes in range(6)]
    assert list(history["note"].fillna("")) == ["", "", "已清运并拍照", "照片未显示楼道", "补充楼道照片", ""]
    records = audit.read_audit(engine, Viewer("auditor", "admin"),
                               actions=tuple(action for action in audit.ACTIONS if action.startswith("task_")))
    mine = records[records["target"] == f"task {task_id}"].iloc[::-1]
    assert list(mine["action"]) == ["task_create", "task_accept", "task_resolve", "task_return", "task_resolve",
                                    "task_verify"]
    assert list(mine["subject"]) == list(history["subject"])
    assert set(mine["area_code"]) == {places["community"]}
    assert mine.loc[mine["action"] == "task_return", "reason"].tolist() == ["照片未显示楼道"]


def test_bad_input_is_refused_with_every_problem_and_nothing_is_written(engine, places, now):
    before = row_counts(engine)

    def problems(**overrides) -> list[str]:
        with pytest.raises(tasks.TaskInvalid) as refused:
            new_task(engine, places, now, **overrides)
        assert str(refused.value)  # a message a person can read
        return refused.value.codes

    assert problems(deadline=now - 1) == ["deadline-past"]
    assert problems(deadline=now) == ["deadline-past"]
    assert problems(deadline=now + 400 * DAY_SECONDS) == ["deadline-too-far"]
    assert problems(assignee="市不存在局") == ["unknown-assignee"]
    assert problems(assignee=places["grid"][:9] + "9") == ["unknown-assignee"]  # a street code not in the city
    assert problems(assignee=places["far_street"]) == ["assignee-outside-area"]
    assert problems(instruction="   ") == ["empty-instruction"]
    assert problems(instruction="查" * (tasks.MAX_INSTRUCTION_CHARS + 1)) == ["text-too-long"]
    assert problems(source_summary="热" * (tasks.MAX_SUMMARY_CHARS + 1)) == ["text-too-long"]
    assert problems(category="weather") == ["unknown-category"]
    assert problems(source_kind="rumour") == ["unknown-source"]
    assert problems(source_kind="alert") == ["alert-required"]
    assert problems(source_kind="alert", alert_id=424242) == ["unknown-alert"]
    assert problems(alert_id=5) == ["unexpected-alert"]
    assert problems(area_code="999999999") == ["unknown-area"]
    assert problems(area_code="12ab") == ["unknown-area"]
    # Every problem at once, in one answer.
    assert sorted(problems(deadline=now - DAY_SECONDS, assignee="nobody", instruction="")) == [
        "deadline-past", "empty-instruction", "unknown-assignee"]
    assert row_counts(engine) == before


def test_who_may_dispatch_and_who_may_take_each_step(engine, places, now):
    for viewer in (Viewer("g", "guest"), Viewer("w", "wall"), Viewer("a", "admin"),
                   staff_of(places["street"]), staff_of(places["district"], role="case_handler")):
        with pytest.raises(AccessDenied):
            new_task(engine, places, now, viewer=viewer)
    district_staff = staff_of(places["district"], "sub-district")
    with pytest.raises(AccessDenied):  # a district supervises what lies inside it, not itself
        new_task(engine, places, now, viewer=district_staff, area="district")
    with pytest.raises(OutsideArea):
        new_task(engine, places, now, viewer=district_staff, area="far_street", assignee=places["far_street"])
    task_id = new_task(engine, places, now, viewer=district_staff)
    assert tasks.read_task(engine, LEADER, task_id).task["created_by"] == "sub-district"

    street_staff = staff_of(places["street"])
    with pytest.raises(AccessDenied):  # leaders dispatch; the area's staff accept
        tasks.accept_task(engine, LEADER, task_id, now=now)
    with pytest.raises(AccessDenied):  # whoever dispatched it does not accept it too
        tasks.accept_task(engine, district_staff, task_id, now=now)
    with pytest.raises(tasks.TaskNotFound):  # another street's staff do not even see it
        tasks.accept_task(engine, staff_of(places["other_street"], "sub-other"), task_id, now=now)
    with pytest.raises(tasks.TaskNotFound):
        tasks.accept_task(engine, staff_of(places["sibling"], "sub-sibling"), task_id, now=now)
    with pytest.raises(AccessDenied):
        tasks.accept_task(engine, Viewer("g", "guest"), task_id, now=now)
    with pytest.raises(tasks.TaskInvalid) as early:
        tasks.verify_task(engine, LEADER, task_id, now=now)
    assert early.value.codes == ["illegal-transition"]
    handler = staff_of(places["community"], "sub-handler", "case_handler")
    assert tasks.accept_task(engine, handler, task_id, now=now) == "accepted"
    with pytest.raises(tasks.TaskInvalid) as twice:
        tasks.accept_task(engine, street_staff, task_id, now=now)
    assert twice.value.codes == ["illegal-transition"]
    with pytest.raises(tasks.TaskInvalid) as silent:
        tasks.resolve_task(engine, street_staff, task_id, " ", now=now)
    assert silent.value.codes == ["note-required"]
    with pytest.raises(AccessDenied):
        tasks.resolve_task(engine, LEADER, task_id, "已办结", now=now)
    assert tasks.resolve_task(engine, street_staff, task_id, "已办结", now=now) == "resolved"
    with pytest.raises(AccessDenied):  # staff of a street do not verify
        tasks.verify_task(engine, street_staff, task_id, now=now)
    with pytest.raises(tasks.TaskInvalid) as reasonless:
        tasks.return_task(engine, LEADER, task_id, "", now=now)
    assert reasonless.value.codes == ["note-required"]
    assert tasks.verify_task(engine, district_staff, task_id, now=now) == "verified"
    with pytest.raises(tasks.TaskInvalid) as after:
        tasks.return_task(engine, LEADER, task_id, "再看看", now=now)
    assert after.value.codes == ["illegal-transition"]


def test_whoever_resolved_a_task_does_not_verify_it(engine, places, now):
    district_staff = staff_of(places["district"], "sub-district")
    task_id = new_task(engine, places, now)  # a leader's task: the district's staff may handle or supervise it
    tasks.accept_task(engine, district_staff, task_id, now=now)
    tasks.resolve_task(engine, district_staff, task_id, "区里已协调处理", now=now)
    detail = tasks.read_task(engine, district_staff, task_id)
    assert tasks.allowed_actions(district_staff, detail) == ()
    assert tasks.allowed_actions(LEADER, detail) == ("return", "verify")
    with pytest.raises(AccessDenied):
        tasks.verify_task(engine, district_staff, task_id, now=now)
    assert tasks.verify_task(engine, LEADER, task_id, now=now) == "verified"


def test_allowed_actions_match_what_the_functions_accept(engine, places, now):
    street_staff, leader = staff_of(places["street"]), LEADER
    task_id = new_task(engine, places, now)
    assert tasks.allowed_actions(street_staff, tasks.read_task(engine, street_staff, task_id)) == ("accept",)
    assert tasks.allowed_actions(leader, tasks.read_task(engine, leader, task_id)) == ()
    tasks.accept_task(engine, street_staff, task_id, now=now)
    assert tasks.allowed_actions(street_staff, tasks.read_task(engine, street_staff, task_id)) == ("resolve",)
    tasks.resolve_task(engine, street_staff, task_id, "已处理", now=now)
    tasks.return_task(engine, leader, task_id, "未见整改照片", now=now)
    assert tasks.allowed_actions(street_staff, tasks.read_task(engine, street_staff, task_id)) == ("resolve",)
    assert tasks.allowed_actions(Viewer("a", "admin"), tasks.read_task(engine, Viewer("a", "admin"), task_id)) == ()


def test_a_step_whose_audit_record_cannot_be_written_does_not_happen(city_engine, places, now):
    engine = city_engine
    with engine.begin() as connection:
        connection.execute(delete(task_events))
        connection.execute(delete(supervision_tasks))
    task_id = new_task(engine, places, now)
    with engine.begin() as connection:  # the audit log is gone (a broken database): no record can be written
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    try:
        with pytest.raises(Exception, match="audit_log"):
            new_task(engine, places, now)
        with pytest.raises(Exception, match="audit_log"):
            tasks.accept_task(engine, staff_of(places["street"]), task_id, now=now)
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))
    detail = tasks.read_task(engine, LEADER, task_id)
    assert detail.task["state"] == "open" and list(detail.history["action"]) == ["create"]
    assert row_counts(engine)[:2] == (1, 1)


def test_phone_and_id_numbers_typed_into_a_task_are_stored_masked(engine, places, now):
    task_id = new_task(engine, places, now, instruction="联系业主 13812345678 核实", source_kind="hotspot",
                       source_summary="热点网格，来电 027-88886666")
    staff = staff_of(places["street"])
    tasks.accept_task(engine, staff, task_id, now=now)
    tasks.resolve_task(engine, staff, task_id, "已联系 420102199001011234 本人", now=now)
    detail = tasks.read_task(engine, LEADER, task_id)
    assert detail.task["instruction"] == "联系业主 138****5678 核实"
    assert detail.task["source_summary"] == "热点网格，来电 027****6666"
    assert detail.history["note"].iloc[-1] == "已联系 420102********1234 本人"


def task_plan(places: dict[str, str], now: int) -> pd.DataFrame:
    """Tasks at every level with deadlines on both sides of `now`, and the state each is taken to."""
    rows = []
    for number, (area, hours, state) in enumerate([
        ("grid", -5, "open"), ("grid", 30, "accepted"), ("community", -1, "resolved"), ("community", 2, "open"),
        ("sibling", -30, "returned"), ("sibling", -2, "verified"), ("street", -3, "open"), ("street", 50, "verified"),
        ("other_community", 4, "accepted"), ("other_community", -6, "open"), ("district", -8, "accepted"),
        ("far_street", -1, "open"), ("far_street", 9, "resolved"),
    ]):
        rows.append({"key": number, "area": area, "area_code": places[area], "state": state,
                     "deadline": now + hours * HOUR})
    return pd.DataFrame(rows)


def carry_out(engine, places, plan: pd.DataFrame, created: int) -> dict[int, int]:
    """Create every planned task at `created` (before any deadline) and take it to its state; {key: task_id}."""
    ids = {}
    for row in plan.itertuples():
        area_code = row.area_code
        assignee = area_code[:9] if len(area_code) >= 9 else places["street"]
        task_id = tasks.create_task(engine, LEADER, source_kind="area", area_code=area_code, assignee=assignee,
                                    deadline=row.deadline, instruction=f"任务 {row.key}", now=created)
        handler = staff_of(area_code[:6], "sub-handler", "case_handler")
        path = {"open": [], "accepted": ["accept"], "resolved": ["accept", "resolve"],
                "returned": ["accept", "resolve", "return"], "verified": ["accept", "resolve", "verify"]}[row.state]
        for action in path:
            viewer = LEADER if action in ("return", "verify") else handler
            note = "说明" if action in tasks.NOTE_REQUIRED else None
            tasks._transition(engine, viewer, task_id, action, note, created)
        ids[row.key] = task_id
    return ids


def test_counts_totals_and_lists_agree_with_an_independent_count(engine, places, now):
    plan = task_plan(places, now)
    created = int(plan["deadline"].min()) - HOUR
    ids = carry_out(engine, places, plan, created)
    for level in ("district", "street", "community", "grid"):
        for area in (None, places["district"], places["street"], places["community"]):
            scope = AreaScope.of(area)
            if area and len(area) > {"district": 6, "street": 9, "community": 12, "grid": 15}[level]:
                continue
            counted = tasks.read_task_counts(engine, scope, level, now)
            assert {code: (open_, overdue) for code, open_, overdue in counted.itertuples(index=False)} == \
                expected.task_counts(plan, level, area, now), (level, area)
    for area in (None, places["district"], places["street"], places["community"], places["grid"]):
        here = plan[expected.inside(plan["area_code"], area)]
        unfinished = here[here["state"] != "verified"]
        assert tasks.read_task_totals(engine, AreaScope.of(area), now) == {
            **{state: int((here["state"] == state).sum()) for state in codes.TASK_STATES},
            "unfinished": len(unfinished), "overdue": int((unfinished["deadline"] < now).sum())}
    listed = tasks.read_tasks(engine, LEADER, now=now)
    assert sorted(listed["task_id"]) == sorted(ids.values())
    assert list(listed["state"].iloc[-2:]) == ["verified", "verified"]  # unfinished first
    unfinished = listed[listed["state"] != "verified"]
    assert list(unfinished["deadline"]) == sorted(unfinished["deadline"])
    by_key = ids
    overdue = plan[(plan["state"] != "verified") & (plan["deadline"] < now)]
    assert sorted(tasks.read_tasks(engine, LEADER, overdue_only=True, now=now)["task_id"]) == sorted(
        by_key[key] for key in overdue["key"])
    street_open = plan[expected.inside(plan["area_code"], places["street"]) & plan["state"].isin(["open", "returned"])]
    shown = tasks.read_tasks(engine, staff_of(places["street"]), states=("open", "returned"), now=now)
    assert sorted(shown["task_id"]) == sorted(by_key[key] for key in street_open["key"])
    assert set(shown["state"]) <= {"open", "returned"}


def test_staff_read_only_their_area_and_guests_read_no_tasks(engine, places, now):
    inside_id = new_task(engine, places, now)
    outside_id = new_task(engine, places, now, area="other_community", assignee=places["other_street"])
    staff = staff_of(places["street"])
    assert list(tasks.read_tasks(engine, staff, now=now)["task_id"]) == [inside_id]
    assert len(tasks.read_tasks(engine, LEADER, now=now)) == 2
    with pytest.raises(tasks.TaskNotFound):
        tasks.read_task(engine, staff, outside_id)
    with pytest.raises(OutsideArea):
        tasks.read_tasks(engine, staff, AreaScope.of(places["other_street"]))
    for viewer in (Viewer("g", "guest"), Viewer("w", "wall")):
        with pytest.raises(AccessDenied):
            tasks.read_tasks(engine, viewer)
        with pytest.raises(AccessDenied):
            tasks.read_task(engine, viewer, inside_id)
    listed = tasks.read_tasks(engine, LEADER, AreaScope.of(places["street"]), now=now)
    row = listed.iloc[0]
    assert (row["task_id"], row["assignee_kind"], row["returns"], bool(row["overdue"])) == (
        inside_id, "street", 0, False)


def test_department_tasks_carry_the_departments_name_and_tasks_beyond_the_deadline_are_overdue(engine, places, now,
                                                                                                city_dir):
    task_id = new_task(engine, places, now, area="grid", assignee="urban_management", deadline=now + HOUR)
    row = tasks.read_tasks(engine, LEADER, now=now).iloc[0]
    assert (row["assignee_kind"], row["assignee_name_zh"], row["assignee_name_en"]) == (
        "department", "市城市管理执法局", "City Administration and Law Enforcement Bureau")
    grids = expected.areas(city_dir, "grid").set_index("code")
    assert (row["area_name_zh"], row["area_name_en"]) == (grids.loc[places["grid"], "name_zh"],
                                                          grids.loc[places["grid"], "name_en"])
    assert not tasks.read_task(engine, LEADER, task_id, now=now + HOUR).task["overdue"]
    assert tasks.read_task(engine, LEADER, task_id, now=now + HOUR + 1).task["overdue"]
    totals = tasks.read_task_totals(engine, CITY, now + HOUR + 1)
    assert (totals["open"], totals["unfinished"], totals["overdue"], totals["verified"]) == (1, 1, 1, 0)


def add_alerts(engine, places, *alert_ids: int) -> None:
    """Alerts as data_access.alerts stores them (only what a task refers to matters here)."""
    today = local_date(tasks.task_clock(engine))
    with engine.begin() as connection:
        connection.execute(delete(alerts).where(alerts.c.alert_id.in_(alert_ids)))
        for alert_id in alert_ids:
            connection.execute(alerts.insert().values(
                alert_id=alert_id, kind="surge", area_code=places["community"], area_level="community",
                category_l1="environment", measure="received", first_day=today, last_day=today, observed=12,
                expected=3.1, upper=8.0, status="open", computed_at=0))


def test_the_alerts_page_learns_the_state_of_each_alerts_newest_task(engine, places, now):
    add_alerts(engine, places, 7, 9, 11)
    staff = staff_of(places["street"])
    first = tasks.create_task_from_alert(engine, LEADER, 7, "环境保护激增 12 件（预期 3.1）", places["community"],
                                         "environment", places["street"], now + DAY_SECONDS, "核查油烟扰民", now=now)
    tasks.accept_task(engine, staff, first, now=now)
    second = tasks.create_task_from_alert(engine, LEADER, 7, "再次激增", places["community"], None,
                                          "ecology_environment", now + DAY_SECONDS, "联合执法", now=now)
    tasks.create_task_from_alert(engine, LEADER, 9, "重复诉求", places["grid"], None, places["street"],
                                 now + DAY_SECONDS, "现场查看", now=now)
    states = tasks.read_task_for_alerts(engine, [7, 9, 11])
    assert states == {7: "open", 9: "open"}
    tasks.accept_task(engine, staff, second, now=now)
    assert tasks.read_task_for_alerts(engine, [7]) == {7: "accepted"}
    assert tasks.read_task_for_alerts(engine, []) == {}
    detail = tasks.read_task(engine, LEADER, first)
    assert (detail.task["source_kind"], detail.task["alert_id"], detail.task["category_l1"]) == (
        "alert", 7, "environment")


def test_the_assignees_of_an_area_are_the_street_offices_covering_it_then_the_departments(engine, places, city_dir):
    streets = expected.areas(city_dir, "street")
    for area in ("grid", "community", "street"):
        offered = tasks.read_assignees(engine, places[area])
        assert list(offered.loc[offered["assignee_kind"] == "street", "assignee"]) == [places["street"]]
    offered = tasks.read_assignees(engine, places["district"])
    assert list(offered.loc[offered["assignee_kind"] == "street", "assignee"]) == sorted(
        streets.loc[streets["code"].str.startswith(places["district"]), "code"])
    assert list(offered.loc[offered["assignee_kind"] == "department", "assignee"]) == list(codes.DEPARTMENTS)


def test_two_people_taking_the_same_step_at_once_record_it_once(engine, places, now):
    import threading

    staff, colleague = staff_of(places["street"]), staff_of(places["street"], "sub-colleague")
    task_id = new_task(engine, places, now)
    outcome = []

    def accept() -> None:
        try:
            outcome.append(tasks.accept_task(engine, staff, task_id, now=now))
        except tasks.TaskInvalid as refused:
            outcome.extend(refused.codes)

    with engine.connect() as other:  # a colleague's acceptance, still uncommitted while the second one starts
        transaction = other.begin()
        other.execute(supervision_tasks.update().where(supervision_tasks.c.task_id == task_id)
                      .values(state="accepted"))
        other.execute(task_events.insert().values(task_id=task_id, at=now, action="accept", from_state="open",
                                                  to_state="accepted", subject=colleague.subject, role="staff"))
        second = threading.Thread(target=accept)
        second.start()
        second.join(timeout=1.0)
        transaction.commit()
    second.join(timeout=30)
    # PostgreSQL waited on the row and saw it accepted; SQLite read it open, and its conditional update found it moved.
    assert outcome and outcome[0] in ("illegal-transition", "task-changed")
    history = tasks.read_task(engine, LEADER, task_id).history
    assert list(history["action"]) == ["create", "accept"] and history["subject"].iloc[-1] == "sub-colleague"


def test_the_tour_follows_the_alert_task_verified_last_inside_the_scope_with_its_history(engine, places, now):
    from tests import tour_task

    assert tasks.read_tour_task(engine, CITY, now=now) is None
    tour_task.add_alert(engine, 21, places["community"])
    tour_task.add_alert(engine, 22, places["far_street"])
    tour_task.add_alert(engine, 23, places["sibling"])
    start = now - 2 * DAY_SECONDS
    inside = tour_task.follow(engine, places["community"], start, alert_id=21)
    far = tour_task.follow(engine, places["far_street"], start + HOUR, alert_id=22)
    # Verified later, but not the tour's: a task from an area, one not yet verified, and one whose alert id now
    # names an alert about another area (alerts are recomputed and their ids reused).
    tour_task.follow(engine, places["community"], start + 2 * HOUR)
    tour_task.follow(engine, places["community"], start + 3 * HOUR, alert_id=21, verified=False)
    tour_task.follow(engine, places["community"], start + 4 * HOUR, alert_id=23)
    leader_scope, guest_scope = LEADER.scope(), Viewer("sub-guest", "guest").scope()
    assert tasks.read_tour_task(engine, leader_scope, now=now).task["task_id"] == far
    district = AreaScope.of(places["district"], personal=leader_scope.personal)
    detail = tasks.read_tour_task(engine, district, now=now)
    assert detail.task["task_id"] == inside
    assert tasks.read_tour_task(engine, AreaScope.of(places["other_street"]), now=now) is None
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT action, at, role, note FROM task_events WHERE task_id = :task "
                                       "ORDER BY event_id"), {"task": inside}).all()
    shown = detail.history[["action", "at", "role", "note"]].astype(object)
    assert [tuple(row) for row in rows] == list(shown.where(shown.notna(), None).itertuples(index=False, name=None))
    assert [row[0] for row in rows] == ["create", "accept", "resolve", "return", "resolve", "verify"]
    assert detail.task["instruction"] == tour_task.INSTRUCTION and detail.task["alert_id"] == 21
    # Who the people were never leaves the database; a guest's tour reads no free text either.
    assert not {"subject", "display_name"} & set(detail.history.columns)
    assert "created_by" not in detail.task and "source_summary" not in detail.task
    guest = tasks.read_tour_task(engine, guest_scope, now=now)
    assert guest.task["task_id"] == far and guest.task["instruction"] is None
    assert guest.history["note"].isna().all() and len(guest.history) == 6
