"""The demo city in the default SQLite database: built by `make run` (python -m sample_data demo), never by a page."""

from __future__ import annotations

import fcntl
import logging
import tempfile

from data_access import migrate
from data_access.alerts import compute_alert_days
from data_access.db import DEFAULT_DATABASE_URL, DEFAULT_SQLITE_PATH, create_db_engine, database_url, has_data
from data_access.ingest import load_directory
from data_access.rollup_upgrade import upgrade_rollups
from data_access.rollups import rollups_ready
from sample_data.generate import generate_city

log = logging.getLogger(__name__)
# The alerts page shows the demo city's last weeks of alerts, computed once when it is built.
DEMO_ALERT_DAYS = 28


def build_demo_database(url: str | None = None, scale: str = "demo") -> str:
    """Build the demo city into the default SQLite database when it is empty; return the URL the app will read.

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
                if not rollups_ready(engine):
                    # A demo database from before the rollups: add them once rather than rebuild the city.
                    log.info("building the per-day rollups into %s", DEFAULT_SQLITE_PATH)
                    upgrade_rollups(engine)
                return url
            log.info("building the demo city into %s", DEFAULT_SQLITE_PATH)
            with tempfile.TemporaryDirectory(prefix="cityscreen-demo-") as directory:
                generate_city(directory, scale=scale)
                load_directory(directory, engine)
            log.info("computing the last %d days' alerts", DEMO_ALERT_DAYS)
            compute_alert_days(engine, DEMO_ALERT_DAYS)
        finally:
            engine.dispose()
    return url
