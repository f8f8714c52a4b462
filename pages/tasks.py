"""督办 Supervision tasks: dispatch a task about the selected area, follow the tasks inside it (open and overdue
first), and take a task through accept → resolve → verify (or return) with its history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cached
from components import tasks as task_views
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.tiles import Tile, format_count, render_tiles
from components.views import escape_markdown
from data_access import codes, tasks
from data_access.roles import AccessDenied
from data_access.scope import MASKED_PERSONAL, inside

UNFINISHED = tuple(state for state in codes.TASK_STATES if state != tasks.DONE)


def area_name(page: PageContext) -> str:
    """The selected area's name (the whole city when none)."""
    if page.scope.code is None:
        return page.t("filter.whole_city")
    area = cached.load_area(page.scope)
    return area[page.name_column] if area else page.scope.code


def render_rights(page: PageContext) -> None:
    """One line on what this viewer may do here."""
    viewer, area = page.viewer, viewer_area_name(page)
    supervises = tasks.is_supervisor(viewer)
    handles = viewer.role in tasks.ASSIGNEE_ROLES
    key = "both" if supervises and handles else "supervise" if supervises else "handle" if handles else "read"
    st.caption(page.t(f"tasks.rights.{key}", area=escape_markdown(area)))  # a name is data: shown as text


def viewer_area_name(page: PageContext) -> str:
    """The name of the area the viewer works in ('whole city' for city-wide roles)."""
    if page.viewer.area_code is None:
        return page.t("auth.whole_city")
    area = cached.load_area(page.viewer.scope())
    return area[page.name_column] if area else page.viewer.area_code


def render_totals(page: PageContext) -> None:
    """Unfinished, overdue, awaiting acceptance and awaiting verification inside the selected area."""
    t = page.t
    totals = task_views.load_task_totals(page)
    # The tasks as they stand now (no previous period is read for them yet): shown without a change.
    render_tiles([Tile(t("tasks.unfinished"), format_count(totals["unfinished"]), t("tasks.unfinished.help")),
                  Tile(t("tasks.overdue"), format_count(totals["overdue"]), t("tasks.overdue.help")),
                  Tile(t("tasks.awaiting_acceptance"), format_count(totals["open"] + totals["returned"])),
                  Tile(t("tasks.awaiting_verification"), format_count(totals["resolved"]))], page.language)


def render_create(page: PageContext) -> None:
    """The dispatch form for the sidebar's area, for viewers who may supervise it."""
    t, viewer = page.t, page.viewer
    if not tasks.is_supervisor(viewer):
        return
    with st.expander(t("tasks.create"), icon=":material/assignment_add:"):
        if page.scope.code is None:
            st.info(t("tasks.create.pick_area"))
        elif not tasks.may_supervise(viewer, page.scope.code):
            st.info(t("tasks.create.not_here"))
        else:
            task_views.render_create_form(page, page.scope.code, area_name(page), key="task-create")


def render_list(page: PageContext):
    """The filters and the table of tasks inside the area; returns the listed tasks."""
    t, language = page.t, page.language
    st.subheader(t("tasks.list"))
    states_column, overdue_column = st.columns([3, 1], vertical_alignment="bottom")
    states = states_column.multiselect(t("tasks.states"), list(codes.TASK_STATES), default=list(UNFINISHED),
                                       key="tasks_states", placeholder=t("filter.all"),
                                       format_func=lambda state: code_label(codes.TASK_STATES, state, language))
    overdue_only = overdue_column.toggle(t("tasks.overdue_only"), key="tasks_overdue_only")
    listed = cached.read_through(lambda engine: tasks.read_tasks(
        engine, page.viewer, page.scope, states=tuple(states), overdue_only=overdue_only, now=page.now),
        primary_first=True)
    if listed.empty:
        st.info(t("tasks.none"))
    else:
        task_views.render_task_table(page, listed, key="tasks-table")
    return listed


def render_detail(page: PageContext, listed) -> None:
    """The chosen task (the one just dispatched, or just acted on even when the filters no longer list it) with its
    history and steps."""
    t, name = page.t, page.name_column
    engine = cached.get_engine()
    acted = st.session_state.get(task_views.ACTED_KEY)
    if acted is not None and acted not in set(listed["task_id"]):
        try:
            task = tasks.read_task(engine, page.viewer, acted, page.now).task
        except (tasks.TaskNotFound, AccessDenied):
            task = None
        if task is not None and inside(task["area_code"], page.scope.code):
            listed = pd.concat([listed, pd.DataFrame([task])], ignore_index=True)
    if listed.empty:
        return
    st.subheader(t("tasks.detail"))
    options = [int(task_id) for task_id in listed["task_id"]]
    if st.session_state.get(task_views.SELECTED_KEY) not in options:
        st.session_state[task_views.SELECTED_KEY] = options[0]
    # No state in the label: the task's state is shown below it, fresh on every run.
    labels = {int(row.task_id): f"#{int(row.task_id)} · {getattr(row, f'area_{name}') or row.area_code} · "
              f"{row.instruction[:40]}" for row in listed.itertuples()}
    task_id = st.selectbox(t("tasks.pick"), options, format_func=labels.get, key=task_views.SELECTED_KEY)
    try:
        detail = tasks.read_task(engine, page.viewer, task_id, now=page.now)
    except (tasks.TaskNotFound, AccessDenied) as error:
        task_views.render_problems(page, error)
        return
    task_views.render_task_detail(page, detail)


def render(page: PageContext) -> None:
    """The supervision tasks page."""
    if page.viewer.personal != MASKED_PERSONAL:  # instructions and notes are free text: not for guests
        st.caption(page.t("auth.aggregates_only"))
        return
    task_views.render_flash(page)
    render_rights(page)
    render_totals(page)
    render_create(page)
    listed = render_list(page)
    render_detail(page, listed)


if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
