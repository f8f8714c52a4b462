"""The two ways in: a directory of input files, or in-memory frames standing for CSV files. Both parse each
input once, check it on its own, then across files, and write all of it in one transaction or nothing."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from data_access import schema
from data_access.alerts import cached_inputs_start, forget_inputs, refresh_current_day
from data_access.db import database_unavailable
from data_access.ingest import (
    grid_workers,
    member_activities,
    members,
    open311,
    references,
    stations,
    work_orders,
    writer,
)
from data_access.ingest.areas import AREA_FILES, WATER_FILE, areas_rows, read_level, read_water, water_rows
from data_access.ingest.checks import Parsed
from data_access.ingest.city import CITY_FILE, check_city, read_city
from data_access.ingest.errors import ErrorLog, LoadFailed
from data_access.ingest.files import csv_from_frame, read_csv

# The CSV inputs, in the order they are checked and reported.
CSV_MODULES: dict[str, ModuleType] = {module.FILE: module for module in (
    stations, work_orders, members, member_activities, grid_workers)}
KNOWN_FILES = (CITY_FILE, *AREA_FILES.values(), WATER_FILE, *CSV_MODULES, open311.FILE)

Progress = Callable[[str], None]
log = logging.getLogger(__name__)
# What a database raises when it refuses a write: through SQLAlchemy, or from the drivers' own cursors (COPY).
DATABASE_ERRORS = (DBAPIError, psycopg.Error, sqlite3.Error)


def _quiet(_message: str) -> None:
    """Default progress sink: say nothing."""


def _read_file(directory: Path, name: str) -> Parsed:
    """Parse one input file and check it on its own."""
    path = directory / name
    if name == CITY_FILE:
        return read_city(path)
    if name == WATER_FILE:
        return read_water(path)
    if name == open311.FILE:
        return open311.read_open311(path)
    for level, file in AREA_FILES.items():
        if name == file:
            return read_level(path, level)
    module = CSV_MODULES[name]
    parsed = read_csv(path, module.REQUIRED, module.OPTIONAL)
    return parsed if parsed.frame is None else module.check(parsed)


def load_directory(directory: str | Path, engine: Engine, progress: Progress = _quiet) -> dict[str, int]:
    """Validate and load every known file in the directory; return rows written per table.

    Raises LoadRejected (naming file, line, field, code and reason) and writes nothing when any input is bad;
    LoadFailed (the database's message, masked) and writes nothing when the database refuses the write.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    present = [name for name in KNOWN_FILES if (directory / name).exists()]
    if not present:
        raise FileNotFoundError(f"{directory} holds none of: {', '.join(KNOWN_FILES)}")
    parsed = {}
    for name in present:
        progress(f"checking {name}")
        parsed[name] = _read_file(directory, name)
    written = _load(parsed, engine, progress)
    # A directory may change any earlier day: the live feed's cached alert inputs are read again.
    forget_inputs(engine)
    return written


def load_frames(frames: dict[str, pd.DataFrame], engine: Engine, progress: Progress = _quiet,
                city: dict | None = None, update_alerts: bool = True) -> dict[str, int]:
    """Validate and load frames keyed by the CSV file each stands for (e.g. "work_orders.csv"), like load_directory;
    `city` is a city.json document. After a load with work orders, the current day's alerts are brought up to
    date (`update_alerts`; docs/alerts.md) in a transaction of their own: the load has committed by then, and
    an alert that cannot be computed is logged, never a failed load.

    Values are taken as the text a CSV would hold; an error names row i as line i + 2, as in that CSV.
    """
    unknown = sorted(set(frames) - set(CSV_MODULES))
    if unknown:
        raise ValueError(f"load_frames takes frames for {', '.join(CSV_MODULES)}; not {', '.join(unknown)}")
    parsed = {}
    if city is not None:
        progress(f"checking {CITY_FILE}")
        parsed[CITY_FILE] = check_city(city)
    for name, module in CSV_MODULES.items():
        if name in frames:
            progress(f"checking {name}")
            table = csv_from_frame(name, frames[name], module.REQUIRED, module.OPTIONAL)
            parsed[name] = table if table.frame is None else module.check(table)
    written = _load(parsed, engine, progress, late_orders=True)
    if update_alerts and written.get("work_orders"):
        refresh_alerts(engine, progress)
    return written


def refresh_alerts(engine: Engine, progress: Progress = _quiet) -> None:
    """The current day's alerts after a live batch; a failure is logged and swallowed (the batch is in)."""
    started = time.perf_counter()
    try:
        count = refresh_current_day(engine)
    except Exception as error:
        log.warning("alerts not updated after the load: %s", error)
        return
    progress(f"alerts: {count} today, updated in {time.perf_counter() - started:.2f} s")


def _load(parsed: dict[str, Parsed], engine: Engine, progress: Progress, late_orders: bool = False
          ) -> dict[str, int]:
    """Check across files, raise every error at once, else build the tables and write them. `late_orders`: a
    live batch; when it adds an order received before the day of the live feed's cached alert inputs, they are
    dropped."""
    progress("checking references")
    resolved = references.resolve(parsed, references.Database(engine))
    errors = ErrorLog()
    for name in KNOWN_FILES:
        if name in parsed:
            errors.merge(parsed[name].errors)
            if name in resolved.errors:
                errors.merge(resolved.errors[name])
    errors.raise_if_any()
    tables = _tables(parsed, resolved)
    # The parsed text is gigabytes for a city's orders: free it before the write needs the memory.
    parsed.clear()
    resolved.placed.clear()
    late = late_orders and _adds_late_orders(tables.get("work_orders"), engine)
    try:
        writer.write_all(engine, tables, progress)
    except DATABASE_ERRORS as error:
        # The database's message may quote a key holding a phone or ID number: masked, and not chained.
        lost = database_unavailable(error) or isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
        failed = LoadFailed(error, connection_lost=lost)
        log.error("%s", failed)
        raise failed from None
    if late:
        forget_inputs(engine)
    return {name: len(frame) for name, frame in tables.items()}


def _adds_late_orders(orders: pd.DataFrame | None, engine: Engine) -> bool:
    """Whether the load adds an order received before the day of the live feed's cached alert inputs (a late
    report they lack). Only orders that early are looked up: a live batch's steps on orders already stored."""
    start = cached_inputs_start(engine)
    if orders is None or orders.empty or start is None:
        return False
    earlier = orders["order_no"][(orders["received_at"].astype("int64") < start).to_numpy()]
    return len(earlier) > 0 and not set(earlier) <= references.Database(engine).keys(
        schema.work_orders, "order_no", earlier)


def _tables(parsed: dict[str, Parsed], resolved: references.Resolved) -> dict[str, pd.DataFrame]:
    """The rows of every table this load writes, from files that passed every check."""
    tables = {}
    if CITY_FILE in parsed:
        tables["meta"] = parsed[CITY_FILE].frame
    areas = areas_rows({level: parsed[file] for level, file in AREA_FILES.items() if file in parsed})
    if areas is not None:
        tables["areas"] = areas
    if WATER_FILE in parsed:
        tables["water"] = water_rows(parsed[WATER_FILE])
    if stations.FILE in parsed:
        tables["stations"] = stations.rows(parsed[stations.FILE], resolved.placed[stations.FILE])
    orders = [work_orders.rows(parsed[file], resolved.placed[file]) for file in (work_orders.FILE, open311.FILE)
              if file in parsed]
    if orders:
        tables["work_orders"] = orders[0] if len(orders) == 1 else pd.concat(orders, ignore_index=True)
    if members.FILE in parsed:
        tables["members"] = members.rows(parsed[members.FILE])
    if member_activities.FILE in parsed:
        tables["member_activities"] = member_activities.rows(parsed[member_activities.FILE], resolved.member_places)
    if grid_workers.FILE in parsed:
        tables["grid_workers"] = grid_workers.rows(parsed[grid_workers.FILE])
    return tables
