"""The demo city in the default SQLite database: built by `make run` (python -m sample_data demo), never by a page.

The demo's data end at the minute it is built, so the wall's clock and its "data as of" agree and the live feed
(`make demo`) goes on from there. A demo built earlier is built again once its data are more than STALE_SECONDS
old (about a minute of work at `make run`): an hour-old snapshot is still honest about its time, yesterday's is
not what a visitor should see. Its sign-in roles, wall keys, audit log and 督办 tasks are kept; the one task the
demo makes itself (`add_demo_task`: an alert followed to verification, for the tour) is made again from the new
city's alerts.
"""

from __future__ import annotations

import fcntl
import logging
import tempfile
import time
from datetime import timedelta

import pandas as pd
from sqlalchemy import Engine, delete, select

from data_access import migrate, schema, tasks
from data_access.alerts import compute_alert_days, read_alert_list
from data_access.areas import read_city_facts
from data_access.city_time import DAY_SECONDS, local_date, local_day_start
from data_access.codes import AREA_LEVELS, CATEGORIES_L1
from data_access.db import DEFAULT_DATABASE_URL, DEFAULT_SQLITE_PATH, create_db_engine, database_url, has_data
from data_access.ingest import load_directory
from data_access.roles import Viewer
from data_access.rollup_upgrade import upgrade_rollups
from data_access.rollups import rollups_ready
from sample_data.generate import end_moment, generate_city

log = logging.getLogger(__name__)
# The alerts page shows the demo city's last weeks of alerts, computed once when it is built.
DEMO_ALERT_DAYS = 28
STALE_SECONDS = 3600
# The demo's own staff accounts (synthetic people) who take its task through every step: a leader dispatches,
# returns and verifies; the street office's staff accept and resolve.
DEMO_SUPERVISOR = Viewer("demo:supervisor-wang", "leader", None, "王建国（示例）")
DEMO_HANDLER_SUBJECT, DEMO_HANDLER_NAME = "demo:street-staff-li", "李敏（示例）"
# The demo task's steps after the morning following the alert's first day (hours), and what each step says.
DEMO_TASK_STEPS = (
    ("accept", 0.6, None),
    ("resolve", 29.0, "已现场核查并约谈相关责任方，完成整改；回访周边居民，反映问题已缓解。"),
    ("return", 31.5, "整改前后照片不全，请补充现场复查记录后再报。"),
    ("resolve", 48.5, "已补充现场复查记录和整改前后照片；近日该类诉求已回落。"),
    ("verify", 51.0, "抽查属实，同意办结。"),
)
DEMO_TASK_DISPATCH_HOUR = 9.25
DEMO_TASK_DEADLINE_DAYS = 4


def demo_is_stale(engine: Engine, now: float) -> bool:
    """True when the database holds the generated demo city and its data end more than STALE_SECONDS before
    `now` (a city someone loaded is never stale: it is not ours to replace)."""
    facts = read_city_facts(engine)
    if facts.get("synthetic") != "true":
        return False
    as_of = facts.get("as_of")
    return not as_of or now - int(as_of) > STALE_SECONDS


def clear_city(engine: Engine) -> None:
    """Delete the city's data (areas, stations, orders, members, their rollups, alerts and facts), keeping who may
    sign in, the wall keys, the audit log and the supervision tasks (people's work, which names areas by code and
    alerts by id, with no foreign key); the next load is then a first load."""
    with engine.begin() as connection:
        for table in (schema.alert_days, schema.alerts, *schema.ROLLUP_TABLES,
                      *reversed(schema.TABLES_IN_LOAD_ORDER)):
            connection.execute(table.delete())


def build_demo_database(url: str | None = None, scale: str = "demo") -> str:
    """Build the demo city into the default SQLite database when it is empty or its demo is stale; return the
    URL the app will read.

    Only the built-in default is filled: a configured database (argument, environment or secrets) is never
    written to.
    """
    url = database_url(url)
    if url != DEFAULT_DATABASE_URL:
        log.info("a database is configured (%s): the demo city is not built", url.split("@")[-1])
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(DEFAULT_SQLITE_PATH.with_suffix(".lock"), "w") as lock:
        # Two `make run`s on a fresh machine must not both build the demo city.
        fcntl.flock(lock, fcntl.LOCK_EX)
        engine = create_db_engine(url)
        try:
            if has_data(engine):
                # A demo database built by an older version: its schema upgraded in place, not rebuilt.
                migrate.upgrade(engine)
                if not demo_is_stale(engine, time.time()):
                    if not rollups_ready(engine):
                        # A demo database from before the rollups: add them once rather than rebuild the city.
                        log.info("building the per-day rollups into %s", DEFAULT_SQLITE_PATH)
                        upgrade_rollups(engine)
                    add_demo_task(engine)  # a demo built before it had one
                    return url
                log.info("the demo city's data are more than %d minutes old: building it again to end now",
                         STALE_SECONDS // 60)
            with tempfile.TemporaryDirectory(prefix="cityscreen-demo-") as directory:
                end = end_moment()
                log.info("building the demo city, data up to %s, into %s", end.isoformat(), DEFAULT_SQLITE_PATH)
                generate_city(directory, scale=scale, as_of=end)
                if has_data(engine):
                    clear_city(engine)
                load_directory(directory, engine)
            log.info("computing the last %d days' alerts", DEMO_ALERT_DAYS)
            compute_alert_days(engine, DEMO_ALERT_DAYS)
            add_demo_task(engine)
        finally:
            engine.dispose()
    return url


def _demo_task_alert(engine: Engine, today) -> dict | None:
    """The alert the demo's task is made from: of the alerts about a street, community or grid whose first day
    leaves room for the task's steps before today, the newest, preferring one flagged for a day or two (its
    requests fell back while the task was handled, as its notes say) and a surge (the story a delegation follows)."""
    flagged = read_alert_list(engine, status=None)
    room = (DEMO_TASK_STEPS[-1][1] + DEMO_TASK_DISPATCH_HOUR) / 24 + 1
    fits = flagged[flagged["area_level"].isin(["street", "community", "grid"])
                   & (flagged["first_day"] <= today - timedelta(days=int(room) + 1))]
    if fits.empty:
        return None
    brief = [last <= first + timedelta(days=1) for first, last in zip(fits["first_day"], fits["last_day"], strict=True)]
    fits = fits.assign(lasting=[not short for short in brief], other_kind=fits["kind"] != "surge")
    return fits.sort_values(["lasting", "other_kind", "first_day", "alert_id"],
                            ascending=[True, True, False, True]).iloc[0].to_dict()


def _demo_task_held(engine: Engine) -> bool:
    """True when the demo's task is there and the alert it was made from still is (the same id about the same area)."""
    task, alert = schema.supervision_tasks, schema.alerts
    with engine.connect() as connection:
        return connection.execute(
            select(task.c.task_id).select_from(task.join(alert, (alert.c.alert_id == task.c.alert_id)
                                                         & (alert.c.area_code == task.c.area_code)))
            .where(task.c.created_by == DEMO_SUPERVISOR.subject, task.c.state == tasks.DONE)).first() is not None


def add_demo_task(engine: Engine) -> int | None:
    """Make the demo's one 督办 task (the tour's 督办闭环 step follows it), unless it is there: an alert of the last
    weeks dispatched to its street office the next morning, accepted, resolved, returned for missing photos,
    resolved again and verified, all before the data's "now", through data_access.tasks (its life-cycle and
    permission rules, its audit records). A task left from an earlier demo city (whose alert ids meant other
    alerts) is removed first. Returns the task's id, or None when the demo has no alert to make it from."""
    if _demo_task_held(engine):
        return None
    task, event = schema.supervision_tasks, schema.task_events
    with engine.begin() as connection:
        old = select(task.c.task_id).where(task.c.created_by == DEMO_SUPERVISOR.subject)
        connection.execute(delete(event).where(event.c.task_id.in_(old)))
        connection.execute(delete(task).where(task.c.created_by == DEMO_SUPERVISOR.subject))
    now = tasks.task_clock(engine)
    alert = _demo_task_alert(engine, local_date(now))
    if alert is None:
        log.info("no alert old enough for the demo's 督办 task: the tour says so")
        return None
    street = alert["area_code"][:AREA_LEVELS["street"]]
    handler = Viewer(DEMO_HANDLER_SUBJECT, "staff", street, DEMO_HANDLER_NAME)
    category = alert["category_l1"] if alert["kind"] != "backlog" and alert["category_l1"] in CATEGORIES_L1 else None
    dispatched = local_day_start(alert["first_day"]) + DAY_SECONDS + int(DEMO_TASK_DISPATCH_HOUR * 3600)
    what = CATEGORIES_L1[category][0] if category else "积压"
    expected = "—" if pd.isna(alert["expected"]) else f"{alert['expected']:.1f}"
    summary = (f"#{int(alert['alert_id'])} {alert['area_name_zh'] or alert['area_code']} · {what} "
               f"({alert['first_day'].isoformat()}): {int(alert['observed'])} / {expected}")
    task_id = tasks.create_task_from_alert(
        engine, DEMO_SUPERVISOR, int(alert["alert_id"]), summary, alert["area_code"], category, street,
        local_day_start(alert["first_day"] + timedelta(days=DEMO_TASK_DEADLINE_DAYS)) + 18 * 3600,
        f"请街道核查{alert['area_name_zh'] or alert['area_code']}{what}诉求集中的原因，三日内处置并反馈整改情况。",
        now=dispatched)
    steps = {"accept": tasks.accept_task, "resolve": tasks.resolve_task, "return": tasks.return_task,
             "verify": tasks.verify_task}
    for action, hours, note in DEMO_TASK_STEPS:
        viewer = handler if tasks.TRANSITIONS[action][2] == "assignee" else DEMO_SUPERVISOR
        steps[action](engine, viewer, task_id, note, now=dispatched + int(hours * 3600))
    log.info("the demo's 督办 task #%d follows alert #%d to verification", task_id, int(alert["alert_id"]))
    return task_id
