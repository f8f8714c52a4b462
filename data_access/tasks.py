"""督办 supervision tasks: an alert, a hotspot or an area dispatched to a street office or a department, and
followed through open → accepted → resolved → verified (a supervisor may return a resolved task with a reason;
the assignee then resolves it again).

Who may do what is decided here, on the `Viewer` (docs/security.md):
- supervisors create, return and verify: leaders anywhere, district staff for the areas inside their district;
- the assignee side accepts and resolves: staff and case handlers whose area holds the task's area;
- nobody accepts or resolves a task they created, or returns or verifies one they resolved;
- leaders, staff, case handlers and administrators read tasks in their area; counts are aggregates for any role.

Every write is one transaction: the task row, its event row and the audit record, or nothing. Times are on the
data's clock (`task_clock`: city_time.reference_now), the one a deadline and "overdue" are measured against.

Long module: it is the only way in to the two task tables, so who may do what, the writes and every read of them
stay together rather than split where a rule could be read without its check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, func, null, select

from data_access import audit
from data_access.areas import read_city_facts
from data_access.city_time import DAY_SECONDS, local_text, reference_now
from data_access.codes import AREA_LEVELS, CATEGORIES_L1, DEPARTMENTS, TASK_SOURCES, TASK_STATES, level_of_code
from data_access.personal import mask_personal_text
from data_access.roles import AccessDenied, Viewer
from data_access.schema import alerts, areas, supervision_tasks, task_events
from data_access.scope import CITIZEN_TEXT, AreaScope, OutsideArea, inside
from data_access.sql import count_if, read_frame

DONE = "verified"
# action: (the states it starts from, the state it leads to, the side that may take it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "accept": (("open",), "accepted", "assignee"),
    "resolve": (("accepted", "returned"), "resolved", "assignee"),
    "return": (("resolved",), "returned", "supervisor"),
    "verify": (("resolved",), DONE, "supervisor"),
}
# A note is required to resolve (what was done) and to return (why); optional to accept and verify.
NOTE_REQUIRED = ("resolve", "return")
READER_ROLES = ("leader", "staff", "case_handler", "admin")
ASSIGNEE_ROLES = ("staff", "case_handler")
MAX_INSTRUCTION_CHARS = 2000
MAX_NOTE_CHARS = 1000
MAX_SUMMARY_CHARS = 500
MIN_NOTE_CHARS = 2
MAX_DEADLINE_DAYS = 366


# The stable codes of what can be wrong with a request (the pages translate each: components/i18n.py).
PROBLEM_CODES = ("unknown-area", "unknown-source", "alert-required", "unexpected-alert", "unknown-alert",
                 "unknown-category",
                 "deadline-past", "deadline-too-far", "empty-instruction", "text-too-long", "note-required",
                 "unknown-assignee", "assignee-outside-area", "illegal-transition", "task-changed")


@dataclass(frozen=True)
class TaskProblem:
    """One thing wrong with a request: the field, a stable code (tests and translations key on it), a message."""

    field: str
    code: str
    message: str
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.code not in PROBLEM_CODES:
            raise ValueError(f"undeclared problem code {self.code!r}")


class TaskInvalid(ValueError):
    """Bad input for a task: every problem found, nothing written."""

    def __init__(self, problems: list[TaskProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{problem.field}: {problem.message}" for problem in self.problems))

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]


class TaskNotFound(LookupError):
    """No such task in the viewer's area."""


@dataclass(frozen=True)
class TaskDetail:
    """One task (the columns of read_tasks) and its history, oldest step first."""

    task: dict
    history: pd.DataFrame


def task_clock(engine: Engine) -> int:
    """The data's "now" (the as-of time of a synthetic snapshot, else the wall clock)."""
    return reference_now(read_city_facts(engine), time.time())


# ---------------------------------------------------------------- who may do what

def is_supervisor(viewer: Viewer) -> bool:
    """Leaders, and staff of a whole district: the roles that dispatch, return and verify tasks somewhere."""
    return viewer.role == "leader" or (viewer.role == "staff" and viewer.area_code is not None
                                       and len(viewer.area_code) == AREA_LEVELS["district"])


def may_supervise(viewer: Viewer, area_code: str | None) -> bool:
    """Create, return and verify tasks about this area: leaders anywhere, district staff strictly inside their
    district (a district supervises its streets, communities and grids; it does not dispatch to itself)."""
    if area_code is None or not is_supervisor(viewer):
        return False
    return viewer.role == "leader" or (area_code != viewer.area_code and inside(area_code, viewer.area_code))


def may_handle(viewer: Viewer, area_code: str) -> bool:
    """Accept and resolve tasks about this area: staff and case handlers whose area holds it."""
    return viewer.role in ASSIGNEE_ROLES and viewer.allows(area_code)


def allowed_actions(viewer: Viewer, detail: TaskDetail) -> tuple[str, ...]:
    """The steps this viewer may take on this task now (what the page offers as buttons)."""
    task, history = detail.task, detail.history
    resolvers = history.loc[history["action"] == "resolve", "subject"]
    last_resolver = resolvers.iloc[-1] if len(resolvers) else None
    allowed = []
    for action, (starts, _to, side) in TRANSITIONS.items():
        if task["state"] not in starts:
            continue
        if side == "assignee" and may_handle(viewer, task["area_code"]) and viewer.subject != task["created_by"]:
            allowed.append(action)
        if side == "supervisor" and may_supervise(viewer, task["area_code"]) and viewer.subject != last_resolver:
            allowed.append(action)
    return tuple(allowed)


def _require_reader(viewer: Viewer) -> None:
    if viewer.role not in READER_ROLES:
        raise AccessDenied(f"role {viewer.role} does not see supervision tasks")


# ---------------------------------------------------------------- creating a task

def _text_problems(field: str, text: str | None, maximum: int, required: bool, minimum: int = 1) -> list[TaskProblem]:
    text = (text or "").strip()
    if required and len(text) < minimum:
        code = "empty-instruction" if field == "instruction" else "note-required"
        return [TaskProblem(field, code, f"{field} is required (at least {minimum} characters)", minimum)]
    if len(text) > maximum:
        return [TaskProblem(field, "text-too-long", f"{field} is {len(text)} characters; at most {maximum}",
                            maximum)]
    return []


def _clean(text: str | None) -> str | None:
    """Stripped text with phone and ID numbers masked (as the loader stores citizens' text); None when empty."""
    text = (text or "").strip()
    return mask_personal_text(text) if text else None


def _assignee_kind(connection: Connection, assignee: str, area_code: str) -> tuple[str | None, list[TaskProblem]]:
    """'street' or 'department', or the problems: an unknown assignee, or a street office of another area."""
    if assignee in DEPARTMENTS:
        return "department", []
    known = assignee.isdigit() and len(assignee) == AREA_LEVELS["street"] and connection.execute(
        select(areas.c.code).where(areas.c.code == assignee, areas.c.level == "street")).first() is not None
    if not known:
        return None, [TaskProblem("assignee", "unknown-assignee",
                                  f"{assignee!r} is neither a street office (a street's code) nor a department")]
    if not (inside(assignee, area_code) or inside(area_code, assignee)):
        return None, [TaskProblem("assignee", "assignee-outside-area",
                                  f"street office {assignee} does not cover area {area_code}")]
    return "street", []


def create_task(engine: Engine, viewer: Viewer, *, source_kind: str, area_code: str, assignee: str, deadline: int,
                instruction: str, category: str | None = None, alert_id: int | None = None,
                source_summary: str | None = None, now: int | None = None) -> int:
    """Dispatch a task and return its id: the task, its first event and the audit record in one transaction.

    AccessDenied for a viewer who may not supervise, OutsideArea for an area outside theirs, TaskInvalid listing
    every problem with the input (unknown area, source, alert, category or assignee, a deadline in the past or
    more than a year ahead, an empty or over-long instruction or summary).
    """
    if not is_supervisor(viewer):
        raise AccessDenied(f"role {viewer.role} of {viewer.area_code or 'the city'} may not dispatch supervision "
                           "tasks: leaders and district staff do")
    area_code = (area_code or "").strip()
    try:
        level = level_of_code(area_code)
    except ValueError:
        raise TaskInvalid([TaskProblem("area_code", "unknown-area", f"{area_code!r} is not an area code")]) from None
    viewer.scope(area_code)  # OutsideArea beyond the viewer's area
    if not may_supervise(viewer, area_code):
        raise AccessDenied(f"{viewer.role} of {viewer.area_code or 'the city'} may not dispatch tasks about "
                           f"{area_code}: district staff supervise the areas inside their district")
    assignee = (assignee or "").strip()
    now = task_clock(engine) if now is None else int(now)
    problems: list[TaskProblem] = []
    if source_kind not in TASK_SOURCES:
        problems.append(TaskProblem("source_kind", "unknown-source",
                                    f"source {source_kind!r}; choose from {', '.join(TASK_SOURCES)}"))
    if source_kind == "alert" and alert_id is None:
        problems.append(TaskProblem("alert_id", "alert-required", "a task from an alert names the alert"))
    if source_kind != "alert" and alert_id is not None:
        problems.append(TaskProblem("alert_id", "unexpected-alert", f"a task from a {source_kind} has no alert"))
    if category is not None and category not in CATEGORIES_L1:
        problems.append(TaskProblem("category", "unknown-category", f"unknown category {category!r}"))
    deadline = int(deadline)
    if deadline <= now:
        problems.append(TaskProblem("deadline", "deadline-past",
                                    f"the deadline {local_text(deadline)} is not after now ({local_text(now)})"))
    elif deadline > now + MAX_DEADLINE_DAYS * DAY_SECONDS:
        problems.append(TaskProblem("deadline", "deadline-too-far",
                                    f"the deadline is more than {MAX_DEADLINE_DAYS} days ahead", MAX_DEADLINE_DAYS))
    problems += _text_problems("instruction", instruction, MAX_INSTRUCTION_CHARS, required=True)
    problems += _text_problems("source_summary", source_summary, MAX_SUMMARY_CHARS, required=False)
    with engine.begin() as connection:
        if source_kind == "alert" and alert_id is not None and connection.execute(
                select(alerts.c.alert_id).where(alerts.c.alert_id == int(alert_id))).first() is None:
            problems.append(TaskProblem("alert_id", "unknown-alert", f"no alert {alert_id}"))
        kind, assignee_problems = _assignee_kind(connection, assignee, area_code)
        if connection.execute(select(areas.c.code).where(areas.c.code == area_code)).first() is None:
            problems.insert(0, TaskProblem("area_code", "unknown-area", f"no area {area_code} in the loaded city"))
            assignee_problems = [problem for problem in assignee_problems if problem.code == "unknown-assignee"]
        problems += assignee_problems
        if problems:
            raise TaskInvalid(problems)
        codes_by_level = {f"{name}_code": area_code[:digits] if digits <= len(area_code) else None
                          for name, digits in AREA_LEVELS.items()}
        task_id = connection.execute(supervision_tasks.insert().values(
            source_kind=source_kind, alert_id=alert_id, source_summary=_clean(source_summary), area_code=area_code,
            area_level=level, **codes_by_level, category_l1=category, assignee=assignee, assignee_kind=kind,
            deadline=deadline, instruction=_clean(instruction), state="open", created_by=viewer.subject,
            created_at=now, updated_at=now)).inserted_primary_key[0]
        _record_event(connection, viewer, task_id, "create", None, "open", None, now)
        audit.record_in(connection, viewer, "task_create", area_code=area_code, target=f"task {task_id}",
                        detail=f"{source_kind} -> {assignee}, deadline {local_text(deadline)}")
    return int(task_id)


def create_task_from_alert(engine: Engine, viewer: Viewer, alert_id: int, alert_summary: str, area_code: str,
                           category: str | None, assignee: str, deadline: int, instruction: str,
                           now: int | None = None) -> int:
    """Dispatch a task about an alert (data_access.alerts); see create_task."""
    return create_task(engine, viewer, source_kind="alert", alert_id=int(alert_id), source_summary=alert_summary,
                       area_code=area_code, category=category, assignee=assignee, deadline=deadline,
                       instruction=instruction, now=now)


# ---------------------------------------------------------------- its steps

def _record_event(connection: Connection, viewer: Viewer, task_id: int, action: str, from_state: str | None,
                  to_state: str, note: str | None, now: int) -> None:
    connection.execute(task_events.insert().values(
        task_id=task_id, at=now, action=action, from_state=from_state, to_state=to_state, subject=viewer.subject,
        display_name=viewer.display_name, role=viewer.role, note=note))


def _transition(engine: Engine, viewer: Viewer, task_id: int, action: str, note: str | None,
                now: int | None) -> str:
    starts, to_state, side = TRANSITIONS[action]
    _require_reader(viewer)
    now = task_clock(engine) if now is None else int(now)
    with engine.begin() as connection:
        # PostgreSQL locks the row until commit (a second step waits, then sees this one's state); SQLite relies on
        # the conditional update below.
        task = connection.execute(select(supervision_tasks).where(
            supervision_tasks.c.task_id == int(task_id), *viewer.scope().condition(supervision_tasks))
            .with_for_update()).first()
        if task is None:
            raise TaskNotFound(f"no task {task_id} in your area")
        if side == "assignee":
            if not may_handle(viewer, task.area_code):
                raise AccessDenied(f"role {viewer.role} may not {action} tasks; the area's staff do")
            if viewer.subject == task.created_by:
                raise AccessDenied(f"you dispatched task {task_id}: someone else must {action} it")
        else:
            if not may_supervise(viewer, task.area_code):
                raise AccessDenied(f"role {viewer.role} of {viewer.area_code or 'the city'} may not {action} "
                                   f"task {task_id}")
            resolver = connection.execute(
                select(task_events.c.subject).where(task_events.c.task_id == task.task_id,
                                                    task_events.c.action == "resolve")
                .order_by(task_events.c.event_id.desc()).limit(1)).scalar()
            if viewer.subject == resolver:
                raise AccessDenied(f"you resolved task {task_id}: someone else must {action} it")
        problems = _text_problems("note", note, MAX_NOTE_CHARS, required=action in NOTE_REQUIRED,
                                  minimum=MIN_NOTE_CHARS)
        if task.state not in starts:
            problems.insert(0, TaskProblem("state", "illegal-transition",
                                           f"a task {task.state} cannot be {to_state} ({action} needs "
                                           f"{' or '.join(starts)})"))
        if problems:
            raise TaskInvalid(problems)
        changed = connection.execute(supervision_tasks.update().where(
            supervision_tasks.c.task_id == task.task_id, supervision_tasks.c.state == task.state)
            .values(state=to_state, updated_at=now)).rowcount
        if changed != 1:  # someone else moved it between our read and this write
            raise TaskInvalid([TaskProblem("state", "task-changed", f"task {task_id} changed meanwhile; reload it")])
        note = _clean(note)
        _record_event(connection, viewer, task.task_id, action, task.state, to_state, note, now)
        audit.record_in(connection, viewer, f"task_{action}", area_code=task.area_code, target=f"task {task_id}",
                        reason=note if action == "return" else None, detail=f"{task.state} -> {to_state}")
    return to_state


def accept_task(engine: Engine, viewer: Viewer, task_id: int, note: str | None = None, now: int | None = None) -> str:
    """The assignee side signs for an open task; returns the new state."""
    return _transition(engine, viewer, task_id, "accept", note, now)


def resolve_task(engine: Engine, viewer: Viewer, task_id: int, note: str, now: int | None = None) -> str:
    """The assignee side reports what was done (a note is required)."""
    return _transition(engine, viewer, task_id, "resolve", note, now)


def return_task(engine: Engine, viewer: Viewer, task_id: int, reason: str, now: int | None = None) -> str:
    """A supervisor sends a resolved task back with the reason; the assignee resolves it again."""
    return _transition(engine, viewer, task_id, "return", reason, now)


def verify_task(engine: Engine, viewer: Viewer, task_id: int, note: str | None = None, now: int | None = None) -> str:
    """A supervisor confirms a resolved task: the loop is closed."""
    return _transition(engine, viewer, task_id, "verify", note, now)


# ---------------------------------------------------------------- reading tasks

TASK_COLUMNS = ["task_id", "source_kind", "alert_id", "source_summary", "area_code", "area_level", "area_name_zh",
                "area_name_en", "category_l1", "assignee", "assignee_kind", "assignee_name_zh", "assignee_name_en",
                "deadline", "instruction", "state", "overdue", "returns", "created_by", "created_at", "updated_at"]
HISTORY_COLUMNS = ["event_id", "at", "action", "from_state", "to_state", "subject", "display_name", "role", "note"]


def _overdue(now: int):
    return and_(supervision_tasks.c.state != DONE, supervision_tasks.c.deadline < now)


def _task_select(now: int, withheld: tuple[str, ...] = ()):
    """The task columns (TASK_COLUMNS), those named in `withheld` read as NULL (never leaving the database)."""
    task, area, street = supervision_tasks, areas.alias("task_area"), areas.alias("street_office")
    returns = (select(task_events.c.task_id, func.count().label("returns"))
               .where(task_events.c.action == "return").group_by(task_events.c.task_id).subquery("returns"))
    columns = [column if column.name not in withheld else null().label(column.name) for column in task.c
               if not column.name.endswith("_code") or column.name == "area_code"]
    return select(*columns, area.c.name_zh.label("area_name_zh"), area.c.name_en.label("area_name_en"),
                  street.c.name_zh.label("assignee_name_zh"), street.c.name_en.label("assignee_name_en"),
                  func.coalesce(returns.c.returns, 0).label("returns"),
                  case((_overdue(now), 1), else_=0).label("overdue")).select_from(
        task.outerjoin(area, area.c.code == task.c.area_code)
        .outerjoin(street, and_(task.c.assignee_kind == "street", street.c.code == task.c.assignee))
        .outerjoin(returns, returns.c.task_id == task.c.task_id))


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Departments' names from the code list; overdue as a boolean; the columns in TASK_COLUMNS order."""
    if frame.empty:
        return pd.DataFrame(columns=TASK_COLUMNS)
    departments = frame["assignee_kind"] == "department"
    for index, column in ((0, "assignee_name_zh"), (1, "assignee_name_en")):
        frame.loc[departments, column] = [DEPARTMENTS[code][index] for code in frame.loc[departments, "assignee"]]
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["returns"] = frame["returns"].astype(int)
    return frame[TASK_COLUMNS]


def read_tasks(engine: Engine, viewer: Viewer, scope: AreaScope | None = None, *, states: tuple[str, ...] = (),
               overdue_only: bool = False, now: int | None = None) -> pd.DataFrame:
    """Tasks about areas inside the scope (the viewer's own area when none), unfinished first by deadline.

    Columns TASK_COLUMNS; `overdue`: not verified and past its deadline at `now` (the data's clock by default);
    `returns`: how often it was sent back. AccessDenied for guests and walls, OutsideArea beyond the viewer's area.
    """
    _require_reader(viewer)
    scope = viewer.scope(scope.code if scope is not None else None)
    unknown = set(states) - set(TASK_STATES)
    if unknown:
        raise ValueError(f"unknown task states {sorted(unknown)}")
    now = task_clock(engine) if now is None else int(now)
    conditions = list(scope.condition(supervision_tasks))
    if states:
        conditions.append(supervision_tasks.c.state.in_(states))
    if overdue_only:
        conditions.append(_overdue(now))
    statement = _task_select(now).where(*conditions).order_by(
        case((supervision_tasks.c.state == DONE, 1), else_=0), supervision_tasks.c.deadline,
        supervision_tasks.c.task_id)
    return _finish(read_frame(engine, statement))


def read_task(engine: Engine, viewer: Viewer, task_id: int, now: int | None = None) -> TaskDetail:
    """One task in the viewer's area and its history (HISTORY_COLUMNS, oldest first); TaskNotFound otherwise."""
    _require_reader(viewer)
    now = task_clock(engine) if now is None else int(now)
    frame = _finish(read_frame(engine, _task_select(now).where(supervision_tasks.c.task_id == int(task_id),
                                                               *viewer.scope().condition(supervision_tasks))))
    if frame.empty:
        raise TaskNotFound(f"no task {task_id} in your area")
    history = read_frame(engine, select(*(task_events.c[name] for name in HISTORY_COLUMNS))
                         .where(task_events.c.task_id == int(task_id)).order_by(task_events.c.event_id))
    return TaskDetail(frame.iloc[0].to_dict(), history)


# What the delegation tour reads of a task: never who the people were (it is shown in front of visitors), and its
# free text (instruction, notes) only for a viewer who may read citizens' words.
TOUR_TASK_COLUMNS = [name for name in TASK_COLUMNS if name not in ("created_by", "source_summary")]
TOUR_HISTORY_COLUMNS = ["event_id", "at", "action", "from_state", "to_state", "role", "note"]


def read_tour_task(engine: Engine, scope: AreaScope, now: int | None = None) -> TaskDetail | None:
    """The task the tour follows from alert to verification: of the verified tasks made from an alert that is still
    stored (the same id about the same area: alerts are recomputed, their ids reused), about an area inside the
    scope, the one verified last; None when there is none.

    Its `task` has TOUR_TASK_COLUMNS, its `history` TOUR_HISTORY_COLUMNS oldest first: each step's time, action,
    states and the actor's role, never their account or name. The instruction and the notes (free text) are None
    for a scope that may read aggregates only (guests).
    """
    now = task_clock(engine) if now is None else int(now)
    verified = (select(supervision_tasks.c.task_id)
                .select_from(supervision_tasks
                             .join(task_events, and_(task_events.c.task_id == supervision_tasks.c.task_id,
                                                     task_events.c.action == "verify"))
                             .join(alerts, and_(alerts.c.alert_id == supervision_tasks.c.alert_id,
                                                alerts.c.area_code == supervision_tasks.c.area_code)))
                .where(supervision_tasks.c.source_kind == "alert", supervision_tasks.c.state == DONE,
                       *scope.condition(supervision_tasks))
                .order_by(task_events.c.at.desc(), task_events.c.event_id.desc()).limit(1))
    with engine.connect() as connection:
        task_id = connection.execute(verified).scalar()
    if task_id is None:
        return None
    words = scope.may_read(CITIZEN_TEXT)
    withheld = ("created_by", "source_summary") + (() if words else ("instruction",))
    task = _finish(read_frame(engine, _task_select(now, withheld).where(supervision_tasks.c.task_id == task_id)))
    note = task_events.c.note if words else null().label("note")
    history = read_frame(engine, select(*(task_events.c[name] for name in TOUR_HISTORY_COLUMNS[:-1]), note)
                         .where(task_events.c.task_id == task_id).order_by(task_events.c.event_id))
    return TaskDetail(task[TOUR_TASK_COLUMNS].iloc[0].to_dict(), history)


def read_task_counts(engine: Engine, scope: AreaScope, level: str, now: int) -> pd.DataFrame:
    """Unfinished (not yet verified) and overdue tasks per area of `level` inside the scope: columns code,
    tasks_unfinished, tasks_overdue; areas without an unfinished task are left out, and so are tasks about an area
    coarser than `level` (a street's own task has no community)."""
    if level not in AREA_LEVELS:
        raise ValueError(f"unknown area level {level!r}")
    column = supervision_tasks.c[f"{level}_code"]
    statement = (select(column.label("code"), func.count().label("tasks_unfinished"),
                        count_if(supervision_tasks.c.deadline < now).label("tasks_overdue"))
                 .where(*scope.condition(supervision_tasks), column.is_not(None), supervision_tasks.c.state != DONE)
                 .group_by(column).order_by(column))
    frame = read_frame(engine, statement)
    if frame.empty:
        return pd.DataFrame({"code": pd.Series(dtype=object), "tasks_unfinished": pd.Series(dtype=int),
                             "tasks_overdue": pd.Series(dtype=int)})
    return frame.astype({"tasks_unfinished": int, "tasks_overdue": int})


def read_task_totals(engine: Engine, scope: AreaScope, now: int) -> dict[str, int]:
    """Tasks about the scope's area and every area inside it: how many in each state (TASK_STATES), how many
    `unfinished` (not yet verified) and how many of those `overdue` at `now`."""
    frame = read_frame(engine, select(supervision_tasks.c.state, func.count().label("tasks"),
                                      count_if(_overdue(now)).label("overdue"))
                       .where(*scope.condition(supervision_tasks)).group_by(supervision_tasks.c.state))
    totals = dict.fromkeys(TASK_STATES, 0)
    totals.update({state: int(tasks) for state, tasks in zip(frame["state"], frame["tasks"], strict=True)})
    totals["unfinished"] = sum(count for state, count in totals.items() if state in TASK_STATES and state != DONE)
    totals["overdue"] = int(frame["overdue"].sum()) if len(frame) else 0
    return totals


def read_task_for_alerts(engine: Engine, alert_ids) -> dict[int, str]:
    """{alert_id: state of its newest task} for the alerts that have one (for the alerts page)."""
    ids = sorted({int(alert_id) for alert_id in alert_ids})
    if not ids:
        return {}
    newest = (select(func.max(supervision_tasks.c.task_id).label("task_id"))
              .where(supervision_tasks.c.alert_id.in_(ids)).group_by(supervision_tasks.c.alert_id).subquery())
    frame = read_frame(engine, select(supervision_tasks.c.alert_id, supervision_tasks.c.state)
                       .join(newest, newest.c.task_id == supervision_tasks.c.task_id))
    return {int(alert_id): state for alert_id, state in zip(frame["alert_id"], frame["state"], strict=True)}


def read_assignees(engine: Engine, area_code: str) -> pd.DataFrame:
    """Who a task about this area can go to: the street offices covering it, then the departments.

    Columns assignee, assignee_kind ('street' or 'department'), name_zh, name_en.
    """
    level_of_code(area_code)
    covering = [area_code[:AREA_LEVELS["street"]]] if len(area_code) >= AREA_LEVELS["street"] else []
    condition = (areas.c.code.in_(covering) if covering else areas.c.code.startswith(area_code))
    streets = read_frame(engine, select(areas.c.code.label("assignee"), areas.c.name_zh, areas.c.name_en)
                         .where(areas.c.level == "street", condition).order_by(areas.c.code))
    streets.insert(1, "assignee_kind", "street")
    departments = pd.DataFrame([(code, "department", zh, en) for code, (zh, en) in DEPARTMENTS.items()],
                               columns=["assignee", "assignee_kind", "name_zh", "name_en"])
    return pd.concat([streets, departments], ignore_index=True)


__all__ = ["TRANSITIONS", "AccessDenied", "OutsideArea", "TaskDetail", "TaskInvalid", "TaskNotFound", "TaskProblem",
           "accept_task", "allowed_actions", "create_task", "create_task_from_alert", "is_supervisor", "may_handle",
           "may_supervise",
           "read_assignees", "read_task", "read_task_counts", "read_task_for_alerts", "read_task_totals", "read_tasks",
           "read_tour_task",
           "resolve_task", "return_task", "task_clock", "verify_task"]
