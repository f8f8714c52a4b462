"""督办 in the staff pages: the form that dispatches a task, a task's detail with its history and the steps the
viewer may take, and the tasks table. Reads and writes go through data_access.tasks, which decides who may do
what; every text is shown as text."""

from __future__ import annotations

import logging
from datetime import time as clock_time
from datetime import timedelta

import pandas as pd
import streamlit as st

from components import cached, colours, maps
from components.alerts import days_label
from components.context import PageContext
from components.i18n import code_label, translate
from components.views import build_text_table, escape_markdown, format_time, render_table
from data_access import codes, tasks
from data_access.city_time import local_day_start
from data_access.roles import ROLES, AccessDenied
from data_access.scope import OutsideArea

log = logging.getLogger("cityscreen.tasks")
DEFAULT_DEADLINE_DAYS = 3
DEFAULT_DEADLINE_TIME = clock_time(18, 0)
FLASH_KEY = "tasks_flash"
SELECTED_KEY = "task_selected"
ACTED_KEY = "task_acted_on"


def render_problems(page: PageContext, error: Exception) -> None:
    """A refused dispatch or step, in the page's language: each input problem, or why it was refused."""
    t = page.t
    if isinstance(error, tasks.TaskInvalid):
        for problem in error.problems:
            st.warning(t(f"tasks.error.{problem.code}", limit=problem.limit), icon=":material/error:")
    elif isinstance(error, OutsideArea):
        st.warning(t("auth.outside_area"), icon=":material/block:")
    elif isinstance(error, tasks.TaskNotFound):
        st.warning(t("tasks.error.not-found"), icon=":material/block:")
    elif isinstance(error, AccessDenied):
        st.warning(t("tasks.error.denied"), icon=":material/block:")
    else:
        st.error(t("tasks.error.failed"))


def assignee_label(page: PageContext, kind: str, name: str) -> str:
    """'Street office · 北亭街道' / 'Department · 市水务局'."""
    return f"{page.t(f'tasks.assignee.{kind}')} · {name}"


def deadline_epoch(day, moment: clock_time) -> int:
    """A local date and time of day as epoch seconds (the city's clock)."""
    return local_day_start(day) + moment.hour * 3600 + moment.minute * 60


def render_create_form(page: PageContext, area_code: str, area_name: str, key: str, source_kind: str = "area",
                       source_summary: str | None = None, category: str | None = None,
                       alert_id: int | None = None) -> None:
    """The dispatch form for one area (its street offices and the departments to choose from), from an area, a
    hotspot or an alert (`source_kind="alert"` with its `alert_id` and summary). Once a task is dispatched the page
    runs again with the form empty, the task chosen and a confirmation; the viewer's right to dispatch is checked
    again in data_access."""
    t, language = page.t, page.language
    render_flash(page)
    engine = cached.get_engine()
    assignees = tasks.read_assignees(engine, area_code)
    labels = {row.assignee: assignee_label(page, row.assignee_kind, getattr(row, page.name_column))
              for row in assignees.itertuples()}
    categories = ["", *codes.CATEGORIES_L1]
    with st.form(f"{key}-form", clear_on_submit=False):
        st.caption(t("tasks.create.area", area=escape_markdown(area_name)))  # a name is data: text, not Markdown
        if source_summary:
            st.text(source_summary)
        assignee = st.selectbox(t("tasks.assignee"), list(labels), format_func=labels.get, key=f"{key}-assignee")
        chosen_category = st.selectbox(
            t("tasks.category"), categories, index=categories.index(category or ""), key=f"{key}-category",
            format_func=lambda code: code_label(codes.CATEGORIES_L1, code, language) if code
            else t("tasks.category.none"))
        day_column, time_column = st.columns(2)
        latest = page.today + timedelta(days=tasks.MAX_DEADLINE_DAYS)
        day = day_column.date_input(t("tasks.deadline_date"), page.today + timedelta(days=DEFAULT_DEADLINE_DAYS),
                                    min_value=page.today, max_value=latest, key=f"{key}-day")
        moment = time_column.time_input(t("tasks.deadline_time"), DEFAULT_DEADLINE_TIME, key=f"{key}-time")
        instruction = st.text_area(t("tasks.instruction"), max_chars=tasks.MAX_INSTRUCTION_CHARS,
                                   key=f"{key}-instruction")
        submitted = st.form_submit_button(t("tasks.submit"), type="primary", icon=":material/assignment_add:")
    if not submitted:
        return
    try:
        task_id = tasks.create_task(engine, page.viewer, source_kind=source_kind, area_code=area_code,
                                    assignee=assignee, deadline=deadline_epoch(day, moment), instruction=instruction,
                                    category=chosen_category or None, source_summary=source_summary,
                                    alert_id=alert_id)
    except (tasks.TaskInvalid, AccessDenied, OutsideArea) as error:
        render_problems(page, error)
        return
    except Exception as error:  # the audit record (or the database) failed: nothing was written
        log.exception("dispatching a task failed")
        render_problems(page, error)
        return
    # Start again with an empty form (a second click must not dispatch the same task twice), the new task chosen.
    st.session_state[FLASH_KEY] = t("tasks.created", task=task_id)
    st.session_state[SELECTED_KEY] = task_id
    st.session_state.pop(f"{key}-instruction", None)
    st.rerun()


def render_hotspot_dispatch(page: PageContext, hotspots: pd.DataFrame) -> None:
    """督办 a hotspot grid of the requests page: choose the grid, then the dispatch form with the hotspot's figures
    as the task's source. Only for viewers who may supervise some of the grids listed."""
    if not tasks.is_supervisor(page.viewer) or hotspots.empty:
        return
    grids = hotspots.drop_duplicates("code")
    grids = grids[[tasks.may_supervise(page.viewer, code) for code in grids["code"]]]
    if grids.empty:
        return
    t, name = page.t, page.name_column
    with st.expander(t("tasks.from_hotspot"), icon=":material/assignment_add:"):
        labels = {row.code: f"{getattr(row, name)} · {int(row.received):,}" for row in grids.itertuples()}
        code = st.selectbox(t("tasks.hotspot"), list(labels), format_func=labels.get, key="hotspot-task-grid")
        row = grids.set_index("code").loc[code]
        selection = page.selection
        summary = t("tasks.hotspot.summary", start=selection.first_day.isoformat(),
                    end=selection.last_day.isoformat(), received=int(row["received"]), previous=int(row["previous"]))
        category = selection.categories[0] if len(selection.categories) == 1 else None
        render_create_form(page, code, row[name], key=f"hotspot-task-{code}", source_kind="hotspot",
                           source_summary=summary, category=category)


def build_task_table(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The tasks list with labels in the page's language: state, source, category, deadline and overdue as text."""
    name = "name_en" if language == "en" else "name_zh"
    yes = translate("tasks.yes", language)
    return frame.assign(
        number=["#" + str(task_id) for task_id in frame["task_id"]],
        area=frame[f"area_{name}"].fillna(frame["area_code"]),
        assignee_name=frame[f"assignee_{name}"].fillna(frame["assignee"]),
        state_label=[code_label(codes.TASK_STATES, state, language) for state in frame["state"]],
        source_label=[code_label(codes.TASK_SOURCES, kind, language) for kind in frame["source_kind"]],
        category=[code_label(codes.CATEGORIES_L1, code, language) if isinstance(code, str) else ""
                  for code in frame["category_l1"]],
        deadline_text=[format_time(value, "%Y-%m-%d %H:%M") for value in frame["deadline"]],
        overdue_text=[yes if overdue else "" for overdue in frame["overdue"]],
    )


def render_task_table(page: PageContext, frame: pd.DataFrame, key: str) -> None:
    """The tasks as a table with an audited, spreadsheet-safe CSV of every row."""
    t = page.t
    table = build_task_table(frame, page.language)
    render_table(table, {"number": "#", "area": t("column.area"), "assignee_name": t("tasks.assignee"),
                         "category": t("column.category"), "deadline_text": t("tasks.deadline"),
                         "state_label": t("column.status"), "overdue_text": t("tasks.overdue_flag"),
                         "returns": t("tasks.returns"), "source_label": t("tasks.source"),
                         "instruction": t("tasks.instruction")},
                 language=page.language, key=key, download_name="supervision-tasks.csv")


def build_history_table(history: pd.DataFrame, language: str) -> pd.DataFrame:
    """A task's steps with labels: when, what, from which state to which, who in which role, the note."""
    def state(code) -> str:
        return code_label(codes.TASK_STATES, code, language) if isinstance(code, str) else "—"

    return history.assign(
        time=[format_time(value, "%Y-%m-%d %H:%M") for value in history["at"]],
        step=[code_label(codes.TASK_ACTIONS, action, language) for action in history["action"]],
        change=[f"{state(before)} → {state(after)}" for before, after in zip(history["from_state"],
                                                                             history["to_state"], strict=True)],
        who=[f"{name if isinstance(name, str) and name else subject} · {code_label(ROLES, role, language)}"
             for name, subject, role in zip(history["display_name"], history["subject"], history["role"],
                                            strict=True)],
        note_text=history["note"].fillna(""),
    )


JOURNEY_COLUMNS = ["step", "label_zh", "label_en", "time", "after", "role_zh", "role_en", "note"]


def build_task_journey(alert, history: pd.DataFrame) -> pd.DataFrame:
    """A task's way from its alert to verification, for the tour's timeline: the alert (its flagged days; none when
    `alert` is None), then every step oldest first with its local time, the time since the step before, the actor's
    role (never their name) and the note. Columns JOURNEY_COLUMNS; `step` is the action, 'alert' for the first."""
    rows = []
    if alert is not None:
        rows.append({"step": "alert", "label_zh": translate("tour.task.alert_step", "zh"),
                     "label_en": translate("tour.task.alert_step", "en"), "time": days_label(alert), "after": None,
                     "role_zh": "", "role_en": "", "note": None})
    previous = None
    for event in history.itertuples():
        rows.append({"step": event.action, "label_zh": code_label(codes.TASK_ACTIONS, event.action, "zh"),
                     "label_en": code_label(codes.TASK_ACTIONS, event.action, "en"),
                     "time": format_time(event.at, "%Y-%m-%d %H:%M"),
                     "after": int(event.at) - previous if previous is not None else None,
                     "role_zh": code_label(ROLES, event.role, "zh"), "role_en": code_label(ROLES, event.role, "en"),
                     "note": event.note if isinstance(event.note, str) and event.note else None})
        previous = int(event.at)
    return pd.DataFrame(rows, columns=JOURNEY_COLUMNS)


def _take_step(page: PageContext, action: str, task_id: int, note: str | None) -> None:
    """One step through data_access (which checks who may take it); on success the page runs again, fresh."""
    step = {"accept": tasks.accept_task, "resolve": tasks.resolve_task, "return": tasks.return_task,
            "verify": tasks.verify_task}[action]
    try:
        step(cached.get_engine(), page.viewer, task_id, note)
    except (tasks.TaskInvalid, tasks.TaskNotFound, AccessDenied, OutsideArea) as error:
        render_problems(page, error)
        return
    except Exception as error:
        log.exception("task step %s failed", action)
        render_problems(page, error)
        return
    st.session_state[FLASH_KEY] = page.t("tasks.done", action=code_label(codes.TASK_ACTIONS, action, page.language))
    st.session_state[ACTED_KEY] = task_id  # stays on screen even when the step takes it out of the filtered list
    st.rerun()


def render_steps(page: PageContext, detail: tasks.TaskDetail) -> None:
    """The buttons and short forms for the steps this viewer may take now."""
    t = page.t
    task_id = int(detail.task["task_id"])
    allowed = tasks.allowed_actions(page.viewer, detail)
    if not allowed:
        st.caption(t("tasks.no_actions"))
        return
    if "accept" in allowed and st.button(t("tasks.accept"), type="primary", icon=":material/how_to_reg:",
                                         key=f"task-{task_id}-accept"):
        _take_step(page, "accept", task_id, None)
    forms = {"resolve": ("tasks.resolve.note", ":material/task_alt:"),
             "return": ("tasks.return.reason", ":material/undo:"),
             "verify": ("tasks.verify.note", ":material/verified:")}
    for action in [action for action in allowed if action in forms]:
        label_key, icon = forms[action]
        with st.form(f"task-{task_id}-{action}", clear_on_submit=True):
            note = st.text_area(t(label_key), max_chars=tasks.MAX_NOTE_CHARS, key=f"task-{task_id}-{action}-note")
            if st.form_submit_button(t(f"tasks.{action}"), icon=icon, type="primary" if action != "return"
                                     else "secondary"):
                _take_step(page, action, task_id, note)


def render_task_detail(page: PageContext, detail: tasks.TaskDetail) -> None:
    """One task: what, where, to whom, by when, from what; its history; the viewer's steps."""
    t, language, task = page.t, page.language, detail.task
    name = page.name_column
    state = code_label(codes.TASK_STATES, task["state"], language)
    overdue = f" · :red-badge[{t('tasks.overdue_flag')}]" if task["overdue"] else ""
    st.markdown(f"**#{int(task['task_id'])}** · :blue-badge[{state}]{overdue}")
    assignee = task[f"assignee_{name}"] or task["assignee"]
    facts = [
        (t("column.area"), task[f"area_{name}"] or task["area_code"]),
        (t("tasks.assignee"), assignee_label(page, task["assignee_kind"], assignee)),
        (t("tasks.deadline"), format_time(task["deadline"], "%Y-%m-%d %H:%M")),
        (t("tasks.source"), code_label(codes.TASK_SOURCES, task["source_kind"], language)),
        (t("column.category"), code_label(codes.CATEGORIES_L1, task["category_l1"], language)
         if isinstance(task["category_l1"], str) else "—"),
        (t("tasks.returns"), str(int(task["returns"]))),
    ]
    st.html(build_text_table(pd.DataFrame(facts, columns=["field", "value"]), show_header=False))
    if isinstance(task["source_summary"], str) and task["source_summary"]:
        st.caption(t("tasks.source"))
        st.text(task["source_summary"])
    st.caption(t("tasks.instruction"))
    st.text(task["instruction"])
    st.markdown(f"**{t('tasks.history')}**")
    history = build_history_table(detail.history, language)
    st.html(build_text_table(history[["time", "step", "change", "who", "note_text"]].rename(columns={
        "time": t("column.time"), "step": t("column.step"), "change": t("tasks.change"), "who": t("tasks.who"),
        "note_text": t("tasks.note")})))
    render_steps(page, detail)


def with_task_counts(page: PageContext, data: pd.DataFrame, level: str) -> pd.DataFrame:
    """The mapped areas with their unfinished and overdue tasks (0 where none), read fresh: a task dispatched a
    moment ago shows on the next run."""
    # From the primary while it answers (a task dispatched a moment ago), else from the replica.
    counts = cached.read_through(lambda engine: tasks.read_task_counts(engine, page.scope.map_parent, level, page.now),
                                 primary_first=True)
    data = data.merge(counts, on="code", how="left")
    return data.fillna({"tasks_unfinished": 0, "tasks_overdue": 0}).astype({"tasks_unfinished": int,
                                                                             "tasks_overdue": int})


def load_task_totals(page: PageContext) -> dict[str, int]:
    """Tasks about the selected area and the areas inside it, by state, unfinished and overdue (read fresh)."""
    return cached.read_through(lambda engine: tasks.read_task_totals(engine, page.scope, page.now), primary_first=True)


def build_task_outline_layers(data: pd.DataFrame, level: str) -> list:
    """Outlines of the areas with unfinished tasks, and bolder ones of those with overdue tasks."""
    layers = []
    unfinished = data[(data["tasks_unfinished"] > 0) & (data["tasks_overdue"] == 0)]
    overdue = data[data["tasks_overdue"] > 0]
    if len(unfinished):
        layers.append(maps.build_flag_outline_layer(unfinished, level, colours.TASK_UNFINISHED, "tasks-unfinished",
                                                    2))
    if len(overdue):
        layers.append(maps.build_flag_outline_layer(overdue, level, colours.TASK_OVERDUE, "tasks-overdue", 4))
    return layers


def task_legend_items(page: PageContext) -> list[tuple[str, str]]:
    """The task outlines' legend."""
    return [(colours.hex_colour(colours.TASK_UNFINISHED), page.t("tasks.map.unfinished_outline")),
            (colours.hex_colour(colours.TASK_OVERDUE), page.t("tasks.map.overdue_outline"))]


def render_flash(page: PageContext) -> None:
    """The confirmation of the step taken on the previous run."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")
