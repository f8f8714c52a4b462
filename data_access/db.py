"""Database connections: which database, how to connect, and the demo database built on first use."""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Outside git (var/ is ignored): created from the demo city on first use.
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "cityscreen.sqlite"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
DATABASE_URL_VARIABLE = "CITYSCREEN_DB_URL"
# A dashboard query that runs longer than this is cancelled (PostgreSQL) rather than piling up.
STATEMENT_TIMEOUT_MS = 60_000
# The wall would rather show its last figures as stale than wait: its queries give up much sooner.
WALL_TIMEOUT_MS = 4_000


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: the argument, else $CITYSCREEN_DB_URL, else the default SQLite file."""
    return explicit or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def normalise_url(url: str) -> str:
    """Return the URL with PostgreSQL pinned to the psycopg 3 driver that requirements.txt installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_configurator(busy_timeout_ms: int):
    """Connection setup for SQLite: WAL lets the dashboard read while a loader or simulator writes."""

    def configure(dbapi_connection, _record) -> None:
        _configure_sqlite(dbapi_connection, busy_timeout_ms)

    return configure


def _configure_sqlite(dbapi_connection, busy_timeout_ms: int) -> None:
    """Pragmas for every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-200000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def create_db_engine(url: str | None = None, timeout_ms: int = STATEMENT_TIMEOUT_MS) -> Engine:
    """Create an engine for the URL (see database_url); no statement (or SQLite lock wait) outlasts timeout_ms."""
    url = normalise_url(database_url(url))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout_ms / 1000})
        event.listen(engine, "connect", _sqlite_configurator(timeout_ms))
        return engine
    # libpq `options` given in the URL (e.g. -csearch_path=city) are kept, with the statement timeout added.
    options = parsed.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    parsed = parsed.difference_update_query(["options"])
    return create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"options": f"{options} -c statement_timeout={int(timeout_ms)}".strip(),
                      "connect_timeout": 5},
    )


def database_missing(engine: Engine) -> bool:
    """Return True for an SQLite file that does not exist yet (connecting would create it, empty)."""
    database = engine.url.database
    return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:" \
        and not database.startswith("file:") and not Path(database).exists()


def has_data(engine: Engine) -> bool:
    """Return True when the schema exists and holds at least one area."""
    if not inspect(engine).has_table("areas"):
        return False
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT 1 FROM areas LIMIT 1").first() is not None


def ensure_demo_database(url: str | None = None) -> str:
    """Build the demo city into the default SQLite database when it is missing; return the URL used.

    Only the built-in default is filled automatically: a configured database is never written to.
    """
    url = database_url(url)
    if url != DEFAULT_DATABASE_URL:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    lock_path = DEFAULT_SQLITE_PATH.with_suffix(".lock")
    with open(lock_path, "w") as lock:
        # Two browser sessions on a fresh machine must not both build the demo city.
        fcntl.flock(lock, fcntl.LOCK_EX)
        engine = create_db_engine(url)
        try:
            if has_data(engine):
                from data_access.rollups import build_rollups, rollups_ready

                if not rollups_ready(engine):
                    # A demo database from before the rollups: add them once rather than rebuild the city.
                    log.info("building the per-day rollups into %s", DEFAULT_SQLITE_PATH)
                    build_rollups(engine)
                return url
            log.info("building the demo city into %s", DEFAULT_SQLITE_PATH)
            from data_access.loader import load_directory
            from sample_data.generate import generate_city

            with tempfile.TemporaryDirectory(prefix="cityscreen-demo-") as directory:
                generate_city(directory, scale="demo")
                load_directory(directory, engine)
        finally:
            engine.dispose()
    return url
