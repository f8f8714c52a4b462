"""Schema versions with Alembic (data_access/migrations): upgrade a database in place, or refuse one this code
does not know. `python -m data_access migrate` runs `upgrade`; the loader calls `ensure_current`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from data_access.db import lift_statement_timeout, vacuum_tables
from data_access.schema import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The schema the code on main built before migrations existed: such a database is stamped with it.
BASELINE = "0001_baseline"
MIGRATE_COMMAND = "python -m data_access migrate"


class SchemaMismatch(Exception):
    """The database's schema is not the one this code reads and writes."""


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The revision this code's schema is at."""
    return _scripts().get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The database's revision; None when it has no alembic_version (empty, or built before migrations)."""
    return MigrationContext.configure(connection).get_current_revision()


def _holds_cityscreen(connection: Connection) -> bool:
    return inspect(connection).has_table("areas")


def _check_known(revision: str) -> None:
    if revision not in {script.revision for script in _scripts().walk_revisions()}:
        raise SchemaMismatch(f"the database's schema is at revision {revision}, newer than this Cityscreen knows "
                             f"(its newest is {head_revision()}): run the Cityscreen version that wrote it")


def schema_problem(connection: Connection) -> str | None:
    """Why this code cannot use the database's schema (built before migrations, older or newer), or None when it
    can (at head, or empty)."""
    revision = current_revision(connection)
    if revision is None:
        return (f"the database was built before schema migrations: run `{MIGRATE_COMMAND}` first"
                if _holds_cityscreen(connection) else None)
    try:
        _check_known(revision)
    except SchemaMismatch as newer:
        return str(newer)
    if revision != head_revision():
        return (f"the database's schema is at revision {revision}, this Cityscreen needs {head_revision()}: "
                f"run `{MIGRATE_COMMAND}` first")
    return None


def ensure_current(connection: Connection) -> None:
    """Inside the caller's transaction: create the schema in an empty database, or refuse one not at head."""
    if current_revision(connection) is None and not _holds_cityscreen(connection):
        metadata.create_all(connection)
        command.stamp(_config(connection), "head")
        return
    problem = schema_problem(connection)
    if problem:
        raise SchemaMismatch(problem)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to head in one transaction; return (revision before, after).

    An empty database gets the whole schema; one built before migrations is stamped with the baseline first.
    """
    with engine.begin() as connection:
        lift_statement_timeout(connection)
        before = current_revision(connection)
        if before is None and not _holds_cityscreen(connection):
            ensure_current(connection)
            return None, head_revision()
        if before is None:
            command.stamp(_config(connection), BASELINE)
        else:
            _check_known(before)
        command.upgrade(_config(connection), "head")
        after = current_revision(connection)
    if after != before:
        # New tables and rebuilt indexes get their visibility map and statistics at once (PostgreSQL).
        vacuum_tables(engine, [table.name for table in metadata.sorted_tables])
    return before, after
