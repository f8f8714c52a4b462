"""Cross-file checks: what one file's rows name in another file of this load or in the database.

Each check runs on the union of what this load holds and what the database already has (asked for what
the load names, in chunks, never all rows), and reports into a log of its own that the load merges into
the file's. Points are placed here too: a point's grid may come from this load or from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, Table, inspect, select

from data_access import codes, schema
from data_access.db import database_missing
from data_access.ingest import grid_workers, member_activities, members, open311, stations, work_orders
from data_access.ingest.areas import AREA_FILES
from data_access.ingest.checks import Parsed, TableCheck, is_in
from data_access.ingest.errors import ErrorLog
from data_access.ingest.points import Grids, place_points

# A child may stick out of its parent by rounding only.
NESTING_TOLERANCE = 1e-6
# Keys asked of the database per query.
QUERY_CHUNK = 1000


class Database:
    """What the database already holds, read only as far as a load needs it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._tables: set[str] | None = None

    def has(self, table: str) -> bool:
        """Whether the database already has this table."""
        if self._tables is None:
            # A database that is not there has no tables; asking would create its file, and a rejected load
            # must leave none behind.
            self._tables = set() if database_missing(self.engine) else set(inspect(self.engine).get_table_names())
        return table in self._tables

    def keys(self, table: Table, key: str, wanted: Iterable[str]) -> set[str]:
        """Which of the wanted keys the table holds (asked in chunks, never all rows)."""
        wanted = sorted(set(wanted))
        if not wanted or not self.has(table.name):
            return set()
        found: set[str] = set()
        column = table.c[key]
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), QUERY_CHUNK):
                found.update(connection.execute(
                    select(column).where(column.in_(wanted[start:start + QUERY_CHUNK]))).scalars())
        return found

    def area_geometries(self, level: str) -> dict[str, object]:
        """{code: geometry} of one level (a city has thousands of areas, not millions)."""
        if not self.has("areas"):
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.areas.c.code, schema.areas.c.geometry_wkb)
                                      .where(schema.areas.c.level == level)).all()
        return {code: shapely.from_wkb(wkb) for code, wkb in rows}

    def member_places(self, member_ids: Iterable[str]) -> pd.DataFrame:
        """member_id, community_code and grid_code of the wanted members the database holds."""
        wanted = sorted(set(member_ids))
        table = schema.members
        found = []
        if wanted and self.has(table.name):
            with self.engine.connect() as connection:
                for start in range(0, len(wanted), QUERY_CHUNK):
                    found.extend(connection.execute(
                        select(table.c.member_id, table.c.community_code, table.c.grid_code)
                        .where(table.c.member_id.in_(wanted[start:start + QUERY_CHUNK]))).all())
        return pd.DataFrame(found, columns=["member_id", "community_code", "grid_code"])


@dataclass
class Resolved:
    """What the cross-file step found: errors per file, each file's placed points, members' places."""

    errors: dict[str, ErrorLog] = field(default_factory=dict)
    placed: dict[str, pd.DataFrame] = field(default_factory=dict)
    member_places: pd.DataFrame | None = None


class Known:
    """The union of this load's areas and the database's, per level."""

    def __init__(self, levels: dict[str, Parsed], database: Database):
        self.levels = levels
        self.database = database
        self._geometries: dict[str, dict[str, object]] = {}

    def geometries(self, level: str) -> dict[str, object]:
        """{code: geometry}, this load's areas overriding the database's."""
        if level not in self._geometries:
            result = self.database.area_geometries(level)
            parsed = self.levels.get(level)
            if parsed is not None and parsed.frame is not None:
                result.update(zip(parsed.frame["code"], parsed.frame["geometry"], strict=True))
            self._geometries[level] = result
        return self._geometries[level]

    def grids(self) -> Grids:
        """Every grid, sorted by code, for point-in-polygon."""
        geometries = self.geometries("grid")
        ordered = sorted(code for code in geometries if code is not None)
        return Grids(np.array(ordered, dtype=object), np.array([geometries[code] for code in ordered], dtype=object))


def check_nesting(parsed: Parsed, level: str, known: Known) -> ErrorLog:
    """Parents must exist (in this load or the database) and contain their children."""
    check = parsed.check()
    frame = parsed.frame
    parent_level = codes.PARENT_LEVEL[level]
    parents = known.geometries(parent_level)
    exists = pd.Series(is_in(frame["parent_code"], [code for code in parents if code is not None]), index=frame.index)
    check.report(frame["parent_code"].notna() & ~exists, "parent_code", "unknown-reference",
                 lambda code: f"parent {parent_level} {code!r} does not exist")
    valid = np.array([geometry is not None and geometry.is_valid for geometry in frame["geometry"]], dtype=bool)
    usable = exists.to_numpy() & valid
    usable &= np.array([parents.get(code) is not None for code in frame["parent_code"]], dtype=bool)
    if usable.any():
        children = frame["geometry"].to_numpy()[usable]
        parent_geometries = np.array([parents[code] for code in frame["parent_code"][usable]], dtype=object)
        outside = shapely.area(shapely.difference(children, parent_geometries, grid_size=None))
        total = np.maximum(shapely.area(children), 1e-18)
        bad = np.zeros(len(frame), dtype=bool)
        bad[usable] = outside / total > NESTING_TOLERANCE
        check.report(bad, "geometry", "not-nested", f"lies partly outside its parent {parent_level}")
    return check.errors


def check_exists(check: TableCheck, column: str, known, what: str) -> None:
    """Values of `column`, where present, must be among `known`."""
    values = check.frame[column]
    check.report(values.notna() & ~is_in(values, known), column, "unknown-reference",
                 lambda value: f"{what} {value!r} does not exist")


def check_keys(check: TableCheck, column: str, table: Table, key: str, database: Database,
               in_load: Iterable[str] = ()) -> None:
    """Values of `column`, where present, must exist in this load or in the database's `table`."""
    values = check.frame[column]
    missing = values.notna() & ~is_in(values, in_load)
    if missing.any():
        missing &= ~is_in(values, database.keys(table, key, values[missing]))
    check.report(missing, column, "unknown-reference", lambda value: f"{value!r} does not exist in {table.name}")


def _frame(parsed: dict[str, Parsed], file: str) -> pd.DataFrame | None:
    found = parsed.get(file)
    return None if found is None else found.frame


def resolve(parsed: dict[str, Parsed], database: Database) -> Resolved:
    """Every cross-file check and placement of one load, on whatever of its files could be read."""
    resolved = Resolved()
    levels = {level: parsed[file] for level, file in AREA_FILES.items()
              if file in parsed and parsed[file].frame is not None}
    known = Known(levels, database)
    for level, level_parsed in levels.items():
        if level != "district":
            resolved.errors[level_parsed.file] = check_nesting(level_parsed, level, known)
    csv_orders, open311_orders = _frame(parsed, work_orders.FILE), _frame(parsed, open311.FILE)
    numbers = [frame["order_no"].dropna() for frame in (csv_orders, open311_orders) if frame is not None]
    # Millions of CSV order numbers stay in Arrow: only the Open311 file's few are converted to join them.
    order_numbers = (numbers[0] if len(numbers) == 1 else pd.Series(dtype="str") if not numbers
                     else pd.concat([values.astype("str") for values in numbers], ignore_index=True))
    for file, with_cells in ((stations.FILE, False), (work_orders.FILE, True), (open311.FILE, True)):
        if _frame(parsed, file) is None:
            continue
        check = parsed[file].check()
        if file == work_orders.FILE:
            check_keys(check, "repeat_of", schema.work_orders, "order_no", database, in_load=order_numbers)
        if file == open311.FILE and csv_orders is not None:
            # One order, two versions: which is right is for the sender to say, not for the loader to guess.
            orders = open311_orders["order_no"]
            check.report(orders.notna() & is_in(orders, csv_orders["order_no"]), "order_no", "duplicate",
                         lambda value: f"{value!r} is also in work_orders.csv (an order may come in one file only)")
        resolved.placed[file] = place_points(check, known.grids(), with_cells=with_cells)
        resolved.errors[file] = check.errors
    area_codes = {level: [code for code in known.geometries(level) if code is not None]
                  for level in ("community", "grid")}
    if _frame(parsed, members.FILE) is not None:
        check = parsed[members.FILE].check()
        for column, level in members.AREA_COLUMNS.items():
            check_exists(check, column, area_codes[level], level)
        resolved.errors[members.FILE] = check.errors
    activities = _frame(parsed, member_activities.FILE)
    if activities is not None:
        check = parsed[member_activities.FILE].check()
        places = _member_places(_frame(parsed, members.FILE), activities["member_id"], database)
        check_exists(check, "member_id", places.index, "member")
        check_exists(check, "grid_code", area_codes["grid"], "grid")
        check_keys(check, "work_order_no", schema.work_orders, "order_no", database, in_load=order_numbers)
        resolved.member_places = places
        resolved.errors[member_activities.FILE] = check.errors
    if _frame(parsed, grid_workers.FILE) is not None:
        check = parsed[grid_workers.FILE].check()
        check_exists(check, "grid_code", area_codes["grid"], "grid")
        resolved.errors[grid_workers.FILE] = check.errors
    return resolved


def _member_places(loaded: pd.DataFrame | None, member_ids: pd.Series, database: Database) -> pd.DataFrame:
    """Community and grid of the given members, by member_id, from this load or else the database."""
    columns = ["member_id", "community_code", "grid_code"]
    places = pd.DataFrame(columns=columns) if loaded is None else loaded[columns]
    wanted = set(member_ids.dropna()) - set(places["member_id"])
    stored = database.member_places(wanted)
    if len(stored):
        places = pd.concat([places, stored], ignore_index=True)
    return places.drop_duplicates("member_id").set_index("member_id")
