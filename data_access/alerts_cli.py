"""`python -m data_access alerts [--db URL] [--as-of YYYY-MM-DD] [--days N] [--json]`: compute, store and print
a day's alerts (data_access.alerts)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from data_access.alerts import AlertDayError, compute_alert_days
from data_access.db import DATABASE_URL_HELP
from data_access.migrate import SchemaMismatch, ensure_current

COMMAND = "alerts"
JSON_FIELDS = ["alert_id", "kind", "area_code", "area_level", "category_l1", "category_l2", "measure",
               "first_day", "last_day", "observed", "expected", "upper", "status", "centre_lon", "centre_lat",
               "order_nos"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def add_command(commands) -> None:
    """Register the `alerts` subcommand."""
    parser = commands.add_parser(COMMAND, help="compute, store and print a day's alerts (surges, repeat clusters, "
                                 "backlog jumps)")
    parser.add_argument("--db", help=DATABASE_URL_HELP)
    parser.add_argument("--as-of", type=_day, default=None, metavar="YYYY-MM-DD",
                        help="the day (default: the data's current day, up to its last moment)")
    parser.add_argument("--days", type=_positive, default=1, metavar="N",
                        help="compute the N days ending with --as-of, in order (default 1); print the last")
    parser.add_argument("--json", action="store_true", help="print a JSON list")


def as_records(frame: pd.DataFrame) -> list[dict]:
    """Alerts as JSON-ready dicts: days as YYYY-MM-DD, NULL as None, a cluster's order numbers as a list."""
    records = []
    for row in frame.to_dict("records"):
        record = {}
        for field in JSON_FIELDS:
            value = row.get(field)
            if value is None or (isinstance(value, float) and pd.isna(value)):
                value = None
            elif field in ("first_day", "last_day"):
                value = value.isoformat()
            elif field == "order_nos":
                value = json.loads(value)
            elif field in ("expected", "upper", "centre_lon", "centre_lat"):
                value = round(float(value), 6 if field.startswith("centre") else 2)
            elif field in ("alert_id", "observed"):
                value = int(value)
            record[field] = value
        records.append(record)
    return records


def run(engine: Engine, arguments: argparse.Namespace) -> int:
    """Compute the day(s); print the (last) day's alerts; exit code 2 with a one-line error otherwise."""
    try:
        with engine.begin() as connection:
            ensure_current(connection)
        found = compute_alert_days(engine, arguments.days, arguments.as_of)
    except (AlertDayError, SchemaMismatch) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"error: the database could not be read: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    records = as_records(found)
    if arguments.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("no alerts")
    for record in records:
        category = record["category_l2"] or record["category_l1"] or record["measure"]
        band = "" if record["upper"] is None else f" (expected {record['expected']:.1f}, limit {record['upper']:.0f})"
        print(f"{record['kind']:15} {record['area_level']:9} {record['area_code']:15} {category:20} "
              f"{record['first_day']}…{record['last_day']} observed {record['observed']}{band}")
    return 0
