"""Database connections: which database (one resolver for the app, every CLI and the simulator) and how to connect."""

from __future__ import annotations

import functools
import os
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Outside git (var/ is ignored): `make run` builds the demo city into it (sample_data.demo).
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "cityscreen.sqlite"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
DATABASE_URL_VARIABLE = "CITYSCREEN_DB_URL"
# Where dashboards read (a streaming replica); unset, they read the one database everything writes to.
READ_DATABASE_URL_VARIABLE = "CITYSCREEN_DB_READ_URL"
# A dashboard query that runs longer than this is cancelled (PostgreSQL) rather than piling up.
STATEMENT_TIMEOUT_MS = 60_000
# The wall would rather show its last figures as stale than wait: its queries give up much sooner.
WALL_TIMEOUT_MS = 4_000


# What every command line says of its --db option.
DATABASE_URL_HELP = "database URL (default: $CITYSCREEN_DB_URL, else .streamlit/secrets.toml, else var/)"
# Where Streamlit looks for secrets by default, the later overriding the earlier; the CLIs read the same files.
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", PROJECT_ROOT / ".streamlit" / "secrets.toml")


def database_url(explicit: str | None = None, *, reads: bool = False) -> str:
    """Return the database URL: the argument, else $CITYSCREEN_DB_URL, else secrets.toml, else the SQLite default.

    With `reads=True`, the URL dashboards read from: $CITYSCREEN_DB_READ_URL, else its secrets.toml entry, else
    the same database as above. Loads, the live feed, migrations and every write use the plain call.
    """
    if explicit:
        return explicit
    if reads:
        read_url = os.environ.get(READ_DATABASE_URL_VARIABLE) or secret(READ_DATABASE_URL_VARIABLE)
        if read_url:
            return read_url
    return os.environ.get(DATABASE_URL_VARIABLE) or secret(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def secret(name: str) -> str | None:
    """A top-level value from the secrets files Streamlit reads (the project's over the user's), or None."""
    value = None
    for path in SECRETS_FILES:
        try:
            modified = path.stat().st_mtime_ns
        except FileNotFoundError:
            continue
        value = _secrets_file(path, modified).get(name, value)
    return None if value is None else str(value)


@functools.lru_cache(maxsize=8)
def _secrets_file(path: Path, _modified: int) -> dict:
    """One secrets file's values, read again only when the file changes (every cached page read asks)."""
    with open(path, "rb") as handle:
        try:
            return tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from None


def normalise_url(url: str) -> str:
    """Return the URL with PostgreSQL pinned to the psycopg 3 driver that requirements.txt installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# SQLite has no statement timeout: a progress handler, called every this many virtual-machine steps, interrupts
# a statement past its deadline (the query then fails with "interrupted", as PostgreSQL's cancels one).
PROGRESS_STEPS = 20_000
# In a connection's info: the deadline of the statement running now, and whether this transaction lifted it.
_DEADLINE = "cityscreen_deadline"
_UNLIMITED = "cityscreen_unlimited"


def _sqlite_configurator(timeout_ms: int):
    """Connection setup for SQLite: WAL lets the dashboard read while a loader or simulator writes."""

    def configure(dbapi_connection, record) -> None:
        _configure_sqlite(dbapi_connection, timeout_ms)
        info = record.info

        def past_deadline() -> int:
            deadline = info.get(_DEADLINE)
            return int(deadline is not None and time.monotonic() > deadline)

        dbapi_connection.set_progress_handler(past_deadline, PROGRESS_STEPS)

    return configure


def _start_deadline(timeout_ms: int):
    """Before each statement on SQLite: its deadline, unless the transaction lifted the limit."""

    def start(connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
        info = connection.info
        info[_DEADLINE] = None if info.get(_UNLIMITED) else time.monotonic() + timeout_ms / 1000

    return start


def _end_unlimited(connection) -> None:
    connection.info.pop(_UNLIMITED, None)
    connection.info[_DEADLINE] = None


def lift_statement_timeout(connection: Connection) -> None:
    """No time limit for the rest of this transaction (a load, a migration, a rebuild), on either backend."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    else:
        connection.info[_UNLIMITED] = True
        connection.info[_DEADLINE] = None


def vacuum_tables(engine: Engine, names: Iterable[str]) -> None:
    """PostgreSQL: VACUUM (ANALYZE) the tables, outside any transaction: dead rows reclaimed, fresh statistics, and
    the visibility map set, without which an index-only scan still reads the table's rows (no autovacuum needed)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        for name in dict.fromkeys(names):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {name}")


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
    """Create an engine for the URL (see database_url); no statement (or SQLite lock wait) outlasts timeout_ms.

    Its errors never carry a statement's parameters (names, numbers, a reveal's reason): they reach logs."""
    url = normalise_url(database_url(url))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout_ms / 1000}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_configurator(timeout_ms))
        event.listen(engine, "before_cursor_execute", _start_deadline(timeout_ms))
        for ended in ("commit", "rollback"):
            event.listen(engine, ended, _end_unlimited)
        return engine
    # libpq `options` given in the URL (e.g. -csearch_path=city) are kept, with the statement timeout added.
    options = parsed.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    parsed = parsed.difference_update_query(["options"])
    return create_engine(
        parsed,
        pool_pre_ping=True,
        hide_parameters=True,
        # No JIT: compiling a plan costs a dashboard read more than it saves (docs/benchmarks.md, issue 12).
        connect_args={"options": f"{options} -c statement_timeout={int(timeout_ms)} -c jit=off".strip(),
                      "connect_timeout": 5},
    )


# SQLSTATE of a statement cancelled by its time limit: the database answers, slowly; asking another would not help.
QUERY_CANCELED = "57014"


def database_unavailable(error: BaseException) -> bool:
    """True when an error says the database could not be reached or could not serve this read (refused or
    dropped connection, a server starting up or shutting down, a standby cancelling a query that conflicts with
    what it replays), so another copy of the data may answer; False for a time limit or a broken query."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    return getattr(error.orig, "sqlstate", None) != QUERY_CANCELED \
        and getattr(error.orig, "sqlite_errorname", None) != "SQLITE_INTERRUPT"


def database_missing(engine: Engine) -> bool:
    """Return True for an SQLite file that does not exist yet (connecting would create it, empty)."""
    database = engine.url.database
    return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:" \
        and not database.startswith("file:") and not Path(database).exists()


def has_data(engine: Engine) -> bool:
    """Return True when the schema exists and holds at least one area."""
    if database_missing(engine) or not inspect(engine).has_table("areas"):
        return False
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT 1 FROM areas LIMIT 1").first() is not None
