"""The demo city in the default SQLite database: built by `make run` (python -m sample_data demo), never by a page.

The demo's data end at the minute it is built, so the wall's clock and its "data as of" agree and the live feed
(`make demo`) goes on from there. A demo built earlier is built again once its data are more than STALE_SECONDS
old (about a minute of work at `make run`): an hour-old snapshot is still honest about its time, yesterday's is
not what a visitor should see. Its sign-in roles, wall keys, audit log and 督办 tasks are kept.
"""

from __future__ import annotations

import fcntl
import logging
import tempfile
import time

from sqlalchemy import Engine

from data_access import migrate, schema
from data_access.alerts import compute_alert_days
from data_access.areas import read_city_facts
from data_access.db import DEFAULT_DATABASE_URL, DEFAULT_SQLITE_PATH, create_db_engine, database_url, has_data
from data_access.ingest import load_directory
from data_access.rollup_upgrade import upgrade_rollups
from data_access.rollups import rollups_ready
from sample_data.generate import end_moment, generate_city

log = logging.getLogger(__name__)
# The alerts page shows the demo city's last weeks of alerts, computed once when it is built.
DEMO_ALERT_DAYS = 28
STALE_SECONDS = 3600


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
        finally:
            engine.dispose()
    return url
