"""Tasks the tour's 督办闭环 step may follow, made through data_access.tasks, and their history read back with plain
SQL (the independent reading the tests compare the screen and read_tour_task against)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, delete, text

from data_access import tasks
from data_access.city_time import DAY_SECONDS, local_date
from data_access.codes import AREA_LEVELS
from data_access.roles import Viewer
from data_access.schema import alerts

HOUR = 3600
SUPERVISOR = Viewer("sub-tour-leader", "leader", None, "王领导")
INSTRUCTION = "核查 **油烟** <b>扰民</b> 原因，三日内反馈"
RESOLVED = "已约谈餐馆并加装净化器，回访居民"
RETURNED = "缺少整改后照片"


def add_alert(engine: Engine, alert_id: int, area_code: str, first_day: date | None = None, kind: str = "surge",
              category: str | None = "environment") -> None:
    """An alert as data_access.alerts stores it (replacing one of the same id)."""
    day = first_day or local_date(tasks.task_clock(engine)) - timedelta(days=3)
    level = {digits: name for name, digits in AREA_LEVELS.items()}[len(area_code)]
    with engine.begin() as connection:
        connection.execute(delete(alerts).where(alerts.c.alert_id == alert_id))
        connection.execute(alerts.insert().values(
            alert_id=alert_id, kind=kind, area_code=area_code, area_level=level, category_l1=category,
            measure="received", first_day=day, last_day=day, observed=12, expected=3.1, upper=8.0, status="closed",
            computed_at=0))


def follow(engine: Engine, area_code: str, start: int, *, alert_id: int | None = None, verified: bool = True,
           instruction: str = INSTRUCTION, result: str = RESOLVED) -> int:
    """A task about the area (from the alert when one is named, else from the area), dispatched at `start` to the
    street office covering it and taken through accept, resolve, return, resolve and (when `verified`) verify,
    an hour or so apart; returns its id."""
    street = area_code[:AREA_LEVELS["street"]]
    handler = Viewer(f"sub-tour-staff-{street}", "staff", street, "李街道")
    source = {"source_kind": "alert", "alert_id": alert_id, "source_summary": f"#{alert_id}"} if alert_id \
        else {"source_kind": "area"}
    task_id = tasks.create_task(engine, SUPERVISOR, area_code=area_code, assignee=street,
                                deadline=start + 3 * DAY_SECONDS, instruction=instruction, category="environment",
                                now=start, **source)
    steps = [(tasks.accept_task, handler, None), (tasks.resolve_task, handler, "先行处置"),
             (tasks.return_task, SUPERVISOR, RETURNED), (tasks.resolve_task, handler, result)]
    if verified:
        steps.append((tasks.verify_task, SUPERVISOR, None))
    for number, (step, viewer, note) in enumerate(steps, start=1):
        step(engine, viewer, task_id, note, now=start + number * (HOUR + 7 * 60))
    return task_id


def history_by_sql(engine: Engine, task_id: int) -> list[tuple[str, int, str, str | None]]:
    """(action, at, role, note) of each of the task's steps, oldest first, read with plain SQL."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT action, at, role, note FROM task_events WHERE task_id = :task ORDER BY event_id"),
            {"task": task_id})]
