"""Command line: `python -m data_access load DIR [--db URL]`, `stats [--db URL] --json`, `rollups`, `migrate`,
`alerts [--as-of DAY] [--json]` (data_access.alerts_cli), and the administrator's `users`, `wall-keys` and `audit`
(data_access.access_cli)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from data_access import access_cli, alerts_cli
from data_access.db import DATABASE_URL_HELP, create_db_engine, database_url
from data_access.ingest import LoadFailed, LoadRejected, load_directory
from data_access.migrate import SchemaMismatch
from data_access.migrate import upgrade as upgrade_schema
from data_access.rollup_upgrade import upgrade_rollups
from data_access.stats import read_row_counts


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m data_access", description="Cityscreen data loader and stats.")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="validate and load every known input file in DIR (all or nothing)")
    load.add_argument("directory", metavar="DIR")
    load.add_argument("--db", help=DATABASE_URL_HELP)
    load.add_argument("--quiet", action="store_true", help="no progress messages")
    rollups = commands.add_parser("rollups", help="rebuild the per-day work-order rollups from work_orders")
    rollups.add_argument("--db", help=DATABASE_URL_HELP)
    stats = commands.add_parser("stats", help="print row counts per table")
    stats.add_argument("--db", help=DATABASE_URL_HELP)
    stats.add_argument("--json", action="store_true", help="print JSON")
    migrate = commands.add_parser("migrate", help="upgrade the database's schema in place (Alembic)")
    migrate.add_argument("--db", help=DATABASE_URL_HELP)
    alerts_cli.add_command(commands)
    access_cli.add_commands(commands)
    arguments = parser.parse_args(argv)

    engine = create_db_engine(database_url(arguments.db))
    try:
        if arguments.command == "migrate":
            try:
                before, after = upgrade_schema(engine)
            except SchemaMismatch as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            print(f"schema at {after}" + ("" if before == after else f" (was {before or 'unversioned'})"))
            return 0
        if arguments.command in access_cli.COMMANDS:
            return access_cli.run(engine, arguments)
        if arguments.command == alerts_cli.COMMAND:
            return alerts_cli.run(engine, arguments)
        if arguments.command == "load":
            started = time.perf_counter()

            def progress(message: str) -> None:
                if not arguments.quiet:
                    print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

            try:
                written = load_directory(arguments.directory, engine, progress)
            except (LoadRejected, LoadFailed) as refused:
                print(refused, file=sys.stderr)
                return 1
            except (FileNotFoundError, SchemaMismatch) as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            elapsed = time.perf_counter() - started
            for table, count in written.items():
                print(f"{table}: {count:,} rows")
            print(f"loaded in {elapsed:.1f} s")
            return 0
        if arguments.command == "rollups":
            started = time.perf_counter()
            upgrade_rollups(engine)
            print(f"rollups rebuilt in {time.perf_counter() - started:.1f} s")
            return 0
        counts = read_row_counts(engine)
        if arguments.json:
            print(json.dumps(counts, ensure_ascii=False, indent=2))
        else:
            for table, count in counts.items():
                print(f"{table:20} {count:>12,}")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
