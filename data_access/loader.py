"""The one validated loader: reads a directory of input files, checks everything, writes all or nothing."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, Table, inspect, select

from data_access import codes, geo, migrate, schema
from data_access.arrow import blank_edged, postgresql_copy_chunks
from data_access.city_time import DAY_SECONDS
from data_access.db import database_missing, lift_statement_timeout
from data_access.member_history import previous_dates, update_previous_dates
from data_access.rollup_build import RollupChange, finish_rollups, rebuild_rollups, rollup_rows, vacuum_rollups
from data_access.rollups import rollups_built
from data_access.stage import Stages, index_sorting
from data_access.validation import (
    ErrorLog,
    LoadRejected,
    TableCheck,
    is_in,
    large_strings,
    parse_timestamps,
    split_list,
)

AREA_FILES = {
    "district": "districts.geojson",
    "street": "streets.geojson",
    "community": "communities.geojson",
    "grid": "grids.geojson",
}
CSV_FILES = ("stations.csv", "work_orders.csv", "members.csv", "member_activities.csv", "grid_workers.csv")
KNOWN_FILES = ("city.json", *AREA_FILES.values(), "water.geojson", *CSV_FILES, "work_orders.open311.json")
# A child may stick out of its parent by rounding only.
NESTING_TOLERANCE = 1e-6
WRITE_CHUNK_ROWS = 50_000
# Writes at least this big (and at least as big as the table) rebuild the secondary indexes afterwards.
BULK_REBUILD_ROWS = 100_000
# PostgreSQL's memory for each index rebuild's sort during a load (the server default, 64 MB, spills to disk).
LOAD_MAINTENANCE_MEMORY = "1GB"
# Open311 GeoReport v2 has no appeal type or due time; these are the documented defaults.
OPEN311_DEFAULT_DUE_SECONDS = 5 * DAY_SECONDS
# GeoReport v2's two statuses, and the lifecycle status each becomes.
OPEN311_STATUSES = {"open": "received", "closed": "closed"}
# The GeoReport v2 field each work-order column comes from, so that errors name what the sender wrote.
OPEN311_FIELDS = {
    "order_no": "service_request_id",
    "category_l1": "service_code",
    "category_l2": "service_name",
    "title": "service_name",
    "description": "description",
    "department": "agency_responsible",
    "lon": "long",
    "lat": "lat",
    "lon/lat": "long/lat",
    "received_at": "requested_datetime",
    "resolved_at": "updated_datetime",
    "closed_at": "updated_datetime",
    "due_at": "expected_datetime",
}

Progress = Callable[[str], None]
T = TypeVar("T")


def _quiet(_message: str) -> None:
    """Default progress sink: say nothing."""


@dataclass
class LoadState:
    """What one load has read so far, plus what the database already holds."""

    engine: Engine
    errors: ErrorLog = field(default_factory=ErrorLog)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Physical line of each record, for CSVs whose quoted cells span lines.
    record_lines: dict[str, np.ndarray] = field(default_factory=dict)
    _existing_tables: set[str] | None = None
    _grids: tuple[np.ndarray, np.ndarray] | None = None

    def database_has(self, table: str) -> bool:
        """Return True when the database already has this table."""
        if self._existing_tables is None:
            # A database that is not there has no tables; asking would create its file, and a rejected load
            # must leave none behind.
            self._existing_tables = set() if database_missing(self.engine) else set(
                inspect(self.engine).get_table_names())
        return table in self._existing_tables

    def existing_keys(self, table: Table, key: str, wanted: Iterable[str]) -> set[str]:
        """Return which of the wanted keys the database already holds (asked in chunks, never all rows)."""
        wanted = sorted(set(wanted))
        if not wanted or not self.database_has(table.name):
            return set()
        found: set[str] = set()
        column = table.c[key]
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 1000):
                chunk = wanted[start:start + 1000]
                found.update(connection.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def area_codes(self, level: str) -> set[str]:
        """Return the codes of one area level, from this load and the database."""
        known = set()
        frame = self.tables.get(f"areas:{level}")
        if frame is not None:
            known.update(frame["code"])
        if self.database_has("areas"):
            with self.engine.connect() as connection:
                known.update(connection.execute(
                    select(schema.areas.c.code).where(schema.areas.c.level == level)).scalars())
        return known

    def area_geometries(self, level: str) -> dict[str, object]:
        """Return {code: geometry} for one level, this load's areas overriding the database's."""
        result: dict[str, object] = {}
        if self.database_has("areas"):
            with self.engine.connect() as connection:
                rows = connection.execute(select(schema.areas.c.code, schema.areas.c.geometry_wkb)
                                          .where(schema.areas.c.level == level)).all()
            result.update({code: shapely.from_wkb(wkb) for code, wkb in rows})
        frame = self.tables.get(f"areas:{level}")
        if frame is not None:
            result.update(zip(frame["code"], frame["geometry"], strict=True))
        return result

    def grids(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (grid codes, grid polygons) for point-in-polygon."""
        if self._grids is None:
            geometries = self.area_geometries("grid")
            codes_sorted = sorted(geometries)
            self._grids = (np.array(codes_sorted, dtype=object),
                           np.array([geometries[code] for code in codes_sorted], dtype=object))
        return self._grids


# ---------------------------------------------------------------- reading files


def _parse_csv(path: Path, encoding: str) -> pd.DataFrame:
    """Parse with pyarrow's multithreaded reader; the C engine takes what it refuses (and names bad lines)."""
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    if encoding == "utf-8-sig":
        try:
            return pd.read_csv(path, engine="pyarrow", **options)
        except Exception:  # pyarrow refuses e.g. quoted newlines; the C engine handles them or says why
            pass
    return pd.read_csv(path, encoding=encoding, **options)


def _trimmed(values: pd.Series) -> pd.Series:
    """Values without surrounding blanks; an empty value becomes missing.

    Only the values that need it are trimmed, found from the bytes (arrow.blank_edged): 5 M work orders'
    29 columns take ~2 s so in the loader's two threads, ~6 s trimming every value (pandas or Arrow alike:
    a trimmed copy of every column is gigabytes of new memory).
    """
    positions = np.flatnonzero(blank_edged(large_strings(values)))
    if len(positions) == 0:
        return values
    values = values.copy()
    values.iloc[positions] = values.iloc[positions].str.strip().replace("", np.nan)
    return values


def read_csv_file(path: Path, state: LoadState) -> pd.DataFrame | None:
    """Read a CSV (UTF-8 with or without BOM, else GB18030) as strings; None when unreadable."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            frame = _parse_csv(path, encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as error:
            match = re.search(r"line (\d+)", str(error))
            state.errors.add(path.name, int(match.group(1)) if match else 0, "(row)", f"malformed CSV: {error}")
            return None
        except pd.errors.EmptyDataError:
            state.errors.add(path.name, 1, "(header)", "file is empty")
            return None
        frame.columns = [str(column).strip().lstrip("\ufeff") for column in frame.columns]
        # Two threads clean two columns at a time (numpy and Arrow mostly work without the GIL).
        with ThreadPoolExecutor(max_workers=2) as pool:
            cleaned = list(pool.map(_trimmed, [frame[column] for column in frame.columns]))
        for column, values in zip(list(frame.columns), cleaned, strict=True):
            frame[column] = values
        frame.attrs["encoding"] = encoding
        return frame
    data = path.read_bytes()
    try:
        data.decode("gb18030")
        line, reason = 1, "not UTF-8 or GBK/GB18030 text"
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        reason = f"not UTF-8 or GBK/GB18030 text: byte {data[error.start]:#04x} cannot be decoded"
    state.errors.add(path.name, line, "(file)", reason)
    return None


def physical_lines(path: Path, encoding: str, count: int) -> np.ndarray:
    """Return the line on which each data record starts (records may span lines inside quotes)."""
    starts = np.zeros(count, dtype=np.int64)
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        previous_end = reader.line_num
        for index, _record in enumerate(reader):
            if index >= count:
                break
            starts[index] = previous_end + 1
            previous_end = reader.line_num
    return starts


def read_geojson_file(path: Path, state: LoadState) -> list[dict] | None:
    """Read a GeoJSON FeatureCollection's features; None when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        state.errors.add(path.name, getattr(error, "lineno", 0), "(file)", f"not valid GeoJSON: {error}")
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        state.errors.add(path.name, 0, "type", "must be a GeoJSON FeatureCollection")
        return None
    return list(document.get("features") or [])


def features_frame(path: Path, features: list[dict], state: LoadState) -> pd.DataFrame:
    """Turn features into a frame of their properties plus a shapely `geometry`; bad geometries reported."""
    records = []
    geometries = []
    for number, feature in enumerate(features, start=1):
        properties = (feature or {}).get("properties") or {}
        records.append({key: (None if value == "" else value) for key, value in properties.items()})
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as error:
            state.errors.add(path.name, number, "geometry", f"unreadable geometry: {error}")
            geometry = None
        geometries.append(geometry)
    frame = pd.DataFrame.from_records(records)
    frame["geometry"] = pd.Series(geometries, dtype=object)
    return frame


# ---------------------------------------------------------------- areas


def _check_geometries(check: TableCheck, allowed_types: tuple[str, ...]) -> None:
    """Geometries must be valid, non-empty polygons with lon/lat in range."""
    geometries = check.frame["geometry"].to_numpy()
    present = np.array([geometry is not None for geometry in geometries])
    kinds = np.array([geometry.geom_type if geometry is not None else "" for geometry in geometries])
    check._report(present & ~np.isin(kinds, allowed_types), "geometry",
                  lambda geometry: f"{geometry.geom_type} is not one of {', '.join(allowed_types)}")
    usable = present & np.isin(kinds, allowed_types)
    empty = np.zeros(len(geometries), dtype=bool)
    empty[usable] = shapely.is_empty(geometries[usable])
    check._report(empty, "geometry", "geometry is empty")
    usable &= ~empty
    invalid = np.zeros(len(geometries), dtype=bool)
    invalid[usable] = ~shapely.is_valid(geometries[usable])
    check._report(invalid, "geometry", lambda geometry: f"invalid geometry: {shapely.is_valid_reason(geometry)}")
    bounds = np.full((len(geometries), 4), np.nan)
    if usable.any():
        bounds[usable] = shapely.bounds(geometries[usable])
    latitude_bad = (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    longitude_bad = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
    out_of_range = usable & (latitude_bad | longitude_bad)
    check._report(out_of_range, "geometry", "coordinates out of range: GeoJSON wants [longitude, latitude] (swapped?)")


def read_areas(directory: Path, level: str, state: LoadState) -> None:
    """Read and check one level's GeoJSON; keep it in the state as `areas:<level>`."""
    path = directory / AREA_FILES[level]
    features = read_geojson_file(path, state)
    if features is None:
        return
    frame = features_frame(path, features, state)
    lines = np.arange(1, len(frame) + 1)
    check = TableCheck(path.name, frame, lines, state.errors)
    required = ["code", "name_zh", "name_en", "population", "households"]
    if level != "district":
        required.append("parent_code")
    for column in required:
        if column not in frame:
            frame[column] = None
    for column in ("parent_code", "member_target"):
        if column not in frame:
            frame[column] = None
    for column in ("code", "parent_code"):
        frame[column] = frame[column].map(lambda value: None if value is None or pd.isna(value) else str(value).strip())
    check.required(required)
    check.pattern("code", codes.AREA_CODE_PATTERNS[level], f"a {codes.AREA_LEVELS[level]}-digit {level} code")
    check.unique("code")
    check.number("population", minimum=0, integer=True)
    check.number("households", minimum=0, integer=True)
    check.number("member_target", minimum=0, integer=True)
    _check_geometries(check, ("Polygon", "MultiPolygon"))
    if level != "district":
        parent_level = codes.PARENT_LEVEL[level]
        code_text = frame["code"].fillna("")
        parent_text = frame["parent_code"].fillna("")
        prefix_ok = np.array([code.startswith(parent) for code, parent in zip(code_text, parent_text, strict=True)])
        check._report(frame["code"].notna() & frame["parent_code"].notna() & ~prefix_ok, "parent_code",
                      "code does not start with parent_code")
        check.pattern("parent_code", codes.AREA_CODE_PATTERNS[parent_level], f"a {parent_level} code")
    frame.attrs["lines"] = lines
    state.tables[f"areas:{level}"] = frame


def check_area_nesting(state: LoadState) -> None:
    """Parents must exist (in this load or the database) and contain their children."""
    for level in ("street", "community", "grid"):
        frame = state.tables.get(f"areas:{level}")
        if frame is None:
            continue
        parent_level = codes.PARENT_LEVEL[level]
        parents = state.area_geometries(parent_level)
        file = AREA_FILES[level]
        lines = frame.attrs["lines"]
        check = TableCheck(file, frame, lines, state.errors)
        known = pd.Series(is_in(frame["parent_code"], parents), index=frame.index)
        check._report(frame["parent_code"].notna() & ~known, "parent_code",
                      lambda code, parent_level=parent_level: f"parent {parent_level} {code!r} does not exist")
        valid = np.array([geometry is not None and geometry.is_valid for geometry in frame["geometry"]], dtype=bool)
        usable = known.to_numpy() & valid
        if not usable.any():
            continue
        children = frame["geometry"].to_numpy()[usable]
        parent_geometries = np.array([parents[code] for code in frame["parent_code"][usable]], dtype=object)
        outside = shapely.area(shapely.difference(children, parent_geometries, grid_size=None))
        total = np.maximum(shapely.area(children), 1e-18)
        bad = np.zeros(len(frame), dtype=bool)
        bad[usable] = outside / total > NESTING_TOLERANCE
        check._report(bad, "geometry", f"lies partly outside its parent {parent_level}")


def areas_table(state: LoadState) -> pd.DataFrame | None:
    """Build rows of the `areas` table from every level read."""
    frames = []
    for level in codes.AREA_LEVELS:
        frame = state.tables.get(f"areas:{level}")
        if frame is None or frame.empty:
            continue
        geometries = frame["geometry"].to_numpy()
        centroids = shapely.point_on_surface(geometries)
        bounds = shapely.bounds(geometries)
        frames.append(pd.DataFrame({
            "code": frame["code"],
            "level": level,
            "parent_code": frame["parent_code"] if level != "district" else None,
            "name_zh": frame["name_zh"].astype(str),
            "name_en": frame["name_en"].astype(str),
            "population": frame["population"].astype("int64"),
            "households": frame["households"].astype("int64"),
            "member_target": frame["member_target"].astype("Int64"),
            "centroid_lon": shapely.get_x(centroids),
            "centroid_lat": shapely.get_y(centroids),
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "area_m2": geo.areas_m2(geometries),
            "geometry_wkb": shapely.to_wkb(geometries),
        }))
    return pd.concat(frames, ignore_index=True) if frames else None


def read_water(directory: Path, state: LoadState) -> None:
    """Read the optional rivers and lakes layer."""
    path = directory / "water.geojson"
    features = read_geojson_file(path, state)
    if features is None:
        return
    frame = features_frame(path, features, state)
    check = TableCheck(path.name, frame, np.arange(1, len(frame) + 1), state.errors)
    for column in ("kind", "name_zh", "name_en"):
        if column not in frame:
            frame[column] = None
    check.required(["kind", "name_zh", "name_en"])
    check.enum("kind", ["river", "lake"])
    _check_geometries(check, ("Polygon", "MultiPolygon"))
    if not state.errors:
        state.tables["water"] = pd.DataFrame({
            "water_id": np.arange(1, len(frame) + 1),
            "kind": frame["kind"],
            "name_zh": frame["name_zh"],
            "name_en": frame["name_en"],
            "geometry_wkb": shapely.to_wkb(frame["geometry"].to_numpy()),
        })


def read_city(directory: Path, state: LoadState) -> None:
    """Read city.json into `meta` rows."""
    path = directory / "city.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        state.errors.add(path.name, getattr(error, "lineno", 0), "(file)", f"not valid JSON: {error}")
        return
    rows = {}
    for key in ("name_zh", "name_en", "code"):
        if document.get(key) is not None:
            rows[f"city_{key}"] = str(document[key])
    if "synthetic" in document:
        if not isinstance(document["synthetic"], bool):
            state.errors.add(path.name, 1, "synthetic", "must be true or false")
        rows["synthetic"] = "true" if document["synthetic"] is True else "false"
    if document.get("as_of"):
        epoch, bad = parse_timestamps(pd.Series([str(document["as_of"])]))
        if bad[0]:
            state.errors.add(path.name, 1, "as_of", f"{document['as_of']!r} is not an ISO 8601 timestamp")
        else:
            rows["as_of"] = str(int(epoch.iloc[0]))
    center = document.get("center")
    if center is not None:
        if not (isinstance(center, list) and len(center) == 2 and all(isinstance(v, int | float) for v in center)
                and -180 <= center[0] <= 180 and -90 <= center[1] <= 90):
            state.errors.add(path.name, 1, "center", "must be [longitude, latitude]")
        else:
            rows["center_lon"], rows["center_lat"] = str(center[0]), str(center[1])
    state.tables["meta"] = pd.DataFrame({"key": list(rows), "value": list(rows.values())})


# ---------------------------------------------------------------- points and references


def place_points(check: TableCheck, state: LoadState, with_cells: bool = False) -> pd.DataFrame:
    """Convert lon/lat to WGS-84, find each point's grid, report points outside the city; return area codes.

    With `with_cells`, also the H3 cells of every usable point (columns h3_r<resolution>, 0 for the others).
    """
    frame = check.frame
    if "coord_system" not in frame:
        frame["coord_system"] = None
    check.enum("coord_system", codes.COORD_SYSTEMS)
    systems = frame["coord_system"].fillna("WGS84").to_numpy(dtype=object)
    lon_raw = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat_raw = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(lon_raw) & np.isfinite(lat_raw) & (np.abs(lat_raw) <= 90) & (np.abs(lon_raw) <= 180)
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    if usable.any():
        lon[usable], lat[usable] = geo.to_wgs84(lon_raw[usable], lat_raw[usable], systems[usable])
    grid_codes, grid_polygons = state.grids()
    index = np.full(len(frame), -1)
    cells = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Shapely and h3ronpy both work without the GIL: the two cores locate and index at once.
        locating = pool.submit(geo.locate_points, lon[usable], lat[usable], grid_polygons)
        if with_cells:
            for resolution, values in geo.h3_cells_for_resolutions(lon[usable], lat[usable]).items():
                cells[f"h3_r{resolution}"] = np.zeros(len(frame), dtype=np.int64)
                cells[f"h3_r{resolution}"][usable] = values
        index[usable] = locating.result()
    # A latitude above 90 that is a valid longitude: check the swapped pair before calling it out of range.
    swapped_range = (np.isfinite(lon_raw) & np.isfinite(lat_raw) & ~usable & (np.abs(lon_raw) <= 90)
                     & (np.abs(lat_raw) <= 180))
    if swapped_range.any():
        inside = np.zeros(len(frame), dtype=bool)
        inside[swapped_range] = geo.locate_points(lat_raw[swapped_range], lon_raw[swapped_range], grid_polygons) >= 0
        positions = np.flatnonzero(inside)
        check.errors.add_rows(check.file, check.lines[positions[:21]], check.label("lon/lat"),
                              "latitude out of range — longitude and latitude look swapped")
        check.errors.suppressed += max(0, len(positions) - 21)
    outside = usable & (index < 0)
    if outside.any():
        swapped = np.zeros(len(frame), dtype=bool)
        swapped[outside] = geo.locate_points(lat_raw[outside], lon_raw[outside], grid_polygons) >= 0
        reasons = [
            f"({x}, {y}) lies outside the city's grids" + (" — longitude and latitude look swapped" if s else "")
            for x, y, s in zip(lon_raw[outside], lat_raw[outside], swapped[outside], strict=True)
        ]
        positions = np.flatnonzero(outside)
        check.errors.add_rows(check.file, check.lines[positions[:21]], check.label("lon/lat"), reasons[:21])
        check.errors.suppressed += max(0, len(positions) - 21)
    grid = np.where(index >= 0, grid_codes[np.maximum(index, 0)] if len(grid_codes) else None, None)
    return pd.DataFrame({
        "lon": lon,
        "lat": lat,
        "source_coord_system": systems,
        **area_code_columns(pd.Series(grid, index=frame.index, dtype=object)),
        **cells,
    }, index=frame.index)


def area_code_columns(grid_code: pd.Series) -> dict[str, pd.Series]:
    """Derive district/street/community codes from grid codes (codes nest by prefix)."""
    # Sliced once per distinct grid, then spread: millions of rows share a few thousand grids.
    positions, grids = pd.factorize(grid_code.astype(object), use_na_sentinel=True)
    grids = grids.to_numpy(dtype=object)
    columns = {}
    for level, digits in codes.AREA_LEVELS.items():
        # The trailing None is what position -1 (a missing grid) takes.
        prefixes = np.array([code[:digits] for code in grids] + [None], dtype=object)
        columns[f"{level}_code"] = pd.Series(prefixes[positions], index=grid_code.index, dtype=object)
    return columns


def check_references(check: TableCheck, column: str, table: Table, key: str, state: LoadState,
                     in_load: Iterable[str] = ()) -> None:
    """Values of `column` must exist in this load or in the database's `table`."""
    if column not in check.frame:
        return
    values = check.frame[column]
    present = values.notna()
    missing = present & ~is_in(values, in_load)
    if missing.any():
        found = state.existing_keys(table, key, values[missing])
        missing &= ~is_in(values, found)
    check._report(missing, column, lambda value: f"{value!r} does not exist in {table.name}")


def csv_check(directory: Path, name: str, state: LoadState, required: list[str]) -> TableCheck | None:
    """Read a CSV and check its header and required values; None when it cannot be read."""
    path = directory / name
    frame = read_csv_file(path, state)
    if frame is None:
        return None
    lines = np.arange(2, len(frame) + 2)
    check = TableCheck(name, frame, lines, state.errors)
    state.record_lines[name] = lines
    if not check.columns(required):
        return None
    check.required(required)
    return check


# ---------------------------------------------------------------- the CSV files


def read_stations(directory: Path, state: LoadState) -> None:
    """Check stations.csv and locate each station's grid."""
    required = ["station_id", "station_type", "name_zh", "lon", "lat", "status"]
    check = csv_check(directory, "stations.csv", state, required)
    if check is None:
        return
    frame = check.frame
    check.unique("station_id")
    check.enum("station_type", codes.STATION_TYPES)
    check.enum("status", codes.STATION_STATUSES)
    check.number("lon", -180, 180)
    check.number("lat", -90, 90)
    check.date("opened_date")
    placed = place_points(check, state)
    optional = ["name_en", "address", "opening_hours", "services", "opened_date"]
    for column in optional:
        if column not in frame:
            frame[column] = None
    state.tables["stations"] = pd.concat([frame[["station_id", "station_type", "name_zh", *optional[:4], "status",
                                                 "opened_date"]], placed], axis=1)


WORK_ORDER_REQUIRED = ["order_no", "channel", "appeal_type", "category_l1", "category_l2", "title", "lon", "lat",
                       "status", "received_at", "due_at"]
WORK_ORDER_TIMESTAMPS = [*codes.LIFECYCLE_TIMESTAMPS, "returned_at", "extended_at", "due_at", "whistled_at"]
WORK_ORDER_OPTIONAL = ["category_l3", "description", "caller_name", "caller_phone", *WORK_ORDER_TIMESTAMPS,
                       "department", "resolution", "satisfaction", "repeat_of", "whistle", "whistle_departments"]


def check_work_orders(check: TableCheck, state: LoadState, other_orders: Iterable[str] = ()) -> None:
    """All work-order checks shared by the CSV and the Open311 reader; adds the table to the state."""
    frame = check.frame
    for column in WORK_ORDER_OPTIONAL:
        if column not in frame:
            frame[column] = None
    check.unique("order_no")
    check.enum("channel", codes.CHANNELS)
    check.enum("appeal_type", codes.APPEAL_TYPES)
    check.enum("category_l1", codes.CATEGORIES_L1)
    check.enum("status", codes.WORK_ORDER_STATUSES)
    check.enum("resolution", codes.RESOLUTIONS)
    check.enum("satisfaction", codes.SATISFACTION)
    check.pattern("caller_phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    check.number("lon", -180, 180)
    check.number("lat", -90, 90)
    check.timestamps(WORK_ORDER_TIMESTAMPS)
    for earlier, later in itertools.pairwise(codes.LIFECYCLE_TIMESTAMPS):
        check.order(earlier, later)
    for column in ("returned_at", "extended_at", "whistled_at", "due_at"):
        check.order("received_at", column)
    check.boolean("whistle", default=False)
    status = frame["status"]
    for statuses, column in ((codes.DONE_STATUSES, "resolved_at"), (("called_back",), "called_back_at"),
                             (("closed",), "closed_at")):
        check._report(status.isin(statuses) & frame[column].isna(), column,
                      lambda _v, s=statuses: f"required when status is {'/'.join(s)}")
    check._report(frame["satisfaction"].notna() & frame["called_back_at"].isna(), "satisfaction",
                  "given without called_back_at")
    check._report(frame["repeat_of"].notna() & (frame["repeat_of"] == frame["order_no"]), "repeat_of",
                  "an order cannot repeat itself")
    other_orders = list(other_orders)
    in_load = frame["order_no"] if not other_orders else pd.concat(
        [frame["order_no"].astype(object), pd.Series(other_orders, dtype=object)], ignore_index=True)
    check_references(check, "repeat_of", schema.work_orders, "order_no", state, in_load=in_load.dropna())
    placed = place_points(check, state, with_cells=True)
    if state.errors:
        return
    rows = frame[["order_no", "channel", "appeal_type", "category_l1", "category_l2", "category_l3", "title",
                  "description", "caller_name", "caller_phone"]].copy()
    rows = pd.concat([rows, placed], axis=1)
    rows["status"] = status
    rows["is_open"] = status.isin(codes.OPEN_STATUSES)
    for column in WORK_ORDER_TIMESTAMPS[:-1]:
        rows[column] = frame[column].astype("Int64")
    for column in ("department", "resolution", "satisfaction", "repeat_of", "whistle"):
        rows[column] = frame[column]
    rows["whistle"] = rows["whistle"].astype(bool)
    rows["whistled_at"] = frame["whistled_at"].astype("Int64")
    rows["whistle_departments"] = frame["whistle_departments"].map(
        lambda value: ";".join(split_list(value)) or None, na_action="ignore")
    existing = state.tables.get("work_orders")
    state.tables["work_orders"] = rows if existing is None else pd.concat([existing, rows], ignore_index=True)


def read_work_orders(directory: Path, state: LoadState) -> None:
    """Check work_orders.csv."""
    check = csv_check(directory, "work_orders.csv", state, WORK_ORDER_REQUIRED)
    if check is None:
        return
    check_work_orders(check, state, other_orders=_open311_ids(directory))


def _open311_ids(directory: Path) -> list[str]:
    """Order numbers in the Open311 file of the same load (for repeat_of references)."""
    path = directory / "work_orders.open311.json"
    if not path.exists():
        return []
    try:
        return [str(item.get("service_request_id")) for item in json.loads(path.read_text(encoding="utf-8-sig"))
                if isinstance(item, dict)]
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []


def read_open311(directory: Path, state: LoadState) -> None:
    """Map an Open311 GeoReport v2 request list onto work orders and check it like the CSV."""
    path = directory / "work_orders.open311.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        state.errors.add(path.name, getattr(error, "lineno", 0), "(file)", f"not valid JSON: {error}")
        return
    if not isinstance(document, list):
        state.errors.add(path.name, 0, "(file)", "must be a GeoReport v2 array of service requests")
        return
    source = pd.DataFrame.from_records([item if isinstance(item, dict) else {} for item in document])
    for column in ("service_request_id", "status", "service_code", "service_name", "description",
                   "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long"):
        if column not in source:
            source[column] = None
    source = source.astype(object).where(source.notna(), None)
    status = source["status"].map(OPEN311_STATUSES)
    closed = status == "closed"
    service_code = source["service_code"].astype("string")
    frame = pd.DataFrame({
        "order_no": source["service_request_id"].map(lambda v: None if v is None else str(v)),
        "channel": "hotline_12345",
        "appeal_type": "help",
        "category_l1": service_code.where(service_code.isin(list(codes.CATEGORIES_L1)), "other").astype(object),
        "category_l2": source["service_name"],
        "title": source["service_name"],
        "description": source["description"],
        "department": source["agency_responsible"],
        "lon": source["long"],
        "lat": source["lat"],
        "status": status.where(status.notna(), source["status"]),
        "received_at": source["requested_datetime"],
        "resolved_at": source["updated_datetime"].where(closed, None),
        "closed_at": source["updated_datetime"].where(closed, None),
        "due_at": source["expected_datetime"],
    })
    received, _bad = parse_timestamps(frame["received_at"].astype("string"))
    default_due = pd.to_datetime(received + OPEN311_DEFAULT_DUE_SECONDS, unit="s", utc=True)
    default_due = default_due.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").astype(object)
    frame["due_at"] = frame["due_at"].where(frame["due_at"].notna(), default_due.where(received.notna(), None))
    check = TableCheck(path.name, frame, np.arange(1, len(frame) + 1), state.errors, labels=OPEN311_FIELDS)
    check.required(["order_no", "category_l2", "lon", "lat", "status", "received_at"])
    check._report(source["status"].notna() & status.isna(), "status",
                  lambda value: f"{value!r} is not one of: {', '.join(OPEN311_STATUSES)}")
    check._report(closed & source["updated_datetime"].isna(), "closed_at",
                  "required when status is closed (the time the request was closed)")
    in_csv = state.tables.get("work_orders")
    if in_csv is not None:
        # One order, two versions: which is right is for the sender to say, not for the loader to guess.
        check._report(frame["order_no"].notna() & is_in(frame["order_no"], in_csv["order_no"]), "order_no",
                      lambda value: f"{value!r} is also in work_orders.csv (an order may come in one file only)")
    check_work_orders(check, state, other_orders=[])


def read_members(directory: Path, state: LoadState) -> None:
    """Check members.csv: codes exist, the grid belongs to the community."""
    required = ["member_id", "name", "phone", "work_unit", "unit_type", "community_code", "checkin_date", "status"]
    check = csv_check(directory, "members.csv", state, required)
    if check is None:
        return
    frame = check.frame
    for column in ("residence_community_code", "grid_code", "skills", "claimed_posts"):
        if column not in frame:
            frame[column] = None
    check.unique("member_id")
    check.enum("unit_type", codes.MEMBER_UNIT_TYPES)
    check.enum("status", codes.MEMBER_STATUSES)
    check.enum_list("claimed_posts", codes.MEMBER_POSTS)
    check.pattern("phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    check.date("checkin_date")
    communities = state.area_codes("community")
    grids = state.area_codes("grid")
    for column, known, level in (("community_code", communities, "community"),
                                 ("residence_community_code", communities, "community"),
                                 ("grid_code", grids, "grid")):
        check.pattern(column, codes.AREA_CODE_PATTERNS[level], f"a {codes.AREA_LEVELS[level]}-digit {level} code")
        check._report(check.present(column) & ~is_in(frame[column], known), column,
                      lambda code, lv=level: f"{lv} {code!r} does not exist")
    inside = np.array([not isinstance(grid, str) or not isinstance(community, str) or grid.startswith(community)
                       for grid, community in zip(frame["grid_code"], frame["community_code"], strict=True)])
    check._report(~inside, "grid_code", "grid does not belong to community_code")
    community = frame["community_code"].astype(object)
    state.tables["members"] = pd.DataFrame({
        "member_id": frame["member_id"],
        "name": frame["name"],
        "phone": frame["phone"],
        "work_unit": frame["work_unit"],
        "unit_type": frame["unit_type"],
        "residence_community_code": frame["residence_community_code"],
        "district_code": community.str[:6],
        "street_code": community.str[:9],
        "community_code": community,
        "grid_code": frame["grid_code"],
        "checkin_date": frame["checkin_date"],
        "skills": frame["skills"].map(lambda value: ";".join(split_list(value)) or None, na_action="ignore"),
        "claimed_posts": frame["claimed_posts"].map(lambda value: ";".join(split_list(value)) or None,
                                                    na_action="ignore"),
        "status": frame["status"],
    })


def _member_places(state: LoadState, member_ids: pd.Series) -> pd.DataFrame:
    """Return community and grid of the given members, from this load or the database."""
    places = pd.DataFrame(columns=["member_id", "community_code", "grid_code"])
    loaded = state.tables.get("members")
    if loaded is not None:
        places = loaded[["member_id", "community_code", "grid_code"]]
    wanted = sorted(set(member_ids.dropna()) - set(places["member_id"]))
    if wanted and state.database_has("members"):
        table = schema.members
        with state.engine.connect() as connection:
            for start in range(0, len(wanted), 1000):
                rows = connection.execute(select(table.c.member_id, table.c.community_code, table.c.grid_code)
                                          .where(table.c.member_id.in_(wanted[start:start + 1000]))).all()
                if rows:
                    places = pd.concat([places, pd.DataFrame(rows, columns=places.columns)], ignore_index=True)
    return places.drop_duplicates("member_id").set_index("member_id")


def read_member_activities(directory: Path, state: LoadState) -> None:
    """Check member_activities.csv: the member and linked work order exist; the grid defaults to the member's."""
    required = ["activity_id", "member_id", "activity_date", "kind", "hours"]
    check = csv_check(directory, "member_activities.csv", state, required)
    if check is None:
        return
    frame = check.frame
    for column in ("grid_code", "work_order_no", "note"):
        if column not in frame:
            frame[column] = None
    check.unique("activity_id")
    check.enum("kind", codes.ACTIVITY_KINDS)
    check.number("hours", 0, 24)
    check.date("activity_date")
    places = _member_places(state, frame["member_id"])
    known_member = pd.Series(is_in(frame["member_id"], places.index), index=frame.index)
    check._report(frame["member_id"].notna() & ~known_member, "member_id",
                  lambda value: f"member {value!r} does not exist")
    grids = state.area_codes("grid")
    check._report(check.present("grid_code") & ~is_in(frame["grid_code"], grids), "grid_code",
                  lambda code: f"grid {code!r} does not exist")
    loaded_orders = state.tables.get("work_orders")
    check_references(check, "work_order_no", schema.work_orders, "order_no", state,
                     in_load=() if loaded_orders is None else loaded_orders["order_no"])
    member_grid = frame["member_id"].map(places["grid_code"]) if len(places) else pd.Series(None, index=frame.index)
    member_community = frame["member_id"].map(places["community_code"]) if len(places) else member_grid
    grid = frame["grid_code"].where(frame["grid_code"].notna(), member_grid).astype(object)
    community = grid.str[:12].where(grid.notna(), member_community).astype(object)
    state.tables["member_activities"] = pd.DataFrame({
        "activity_id": frame["activity_id"],
        "member_id": frame["member_id"],
        "activity_date": frame["activity_date"],
        "kind": frame["kind"],
        "hours": frame["hours"],
        "district_code": community.str[:6],
        "street_code": community.str[:9],
        "community_code": community,
        "grid_code": grid,
        "work_order_no": frame["work_order_no"],
        "note": frame["note"],
    })


def read_grid_workers(directory: Path, state: LoadState) -> None:
    """Check grid_workers.csv."""
    required = ["worker_id", "name", "grid_code", "role", "on_duty"]
    check = csv_check(directory, "grid_workers.csv", state, required)
    if check is None:
        return
    frame = check.frame
    if "phone" not in frame:
        frame["phone"] = None
    check.unique("worker_id")
    check.enum("role", codes.GRID_WORKER_ROLES)
    check.boolean("on_duty")
    check.pattern("phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    grids = state.area_codes("grid")
    check._report(frame["grid_code"].notna() & ~is_in(frame["grid_code"], grids), "grid_code",
                  lambda code: f"grid {code!r} does not exist")
    state.tables["grid_workers"] = pd.DataFrame({
        "worker_id": frame["worker_id"],
        "name": frame["name"],
        "phone": frame["phone"],
        **area_code_columns(frame["grid_code"]),
        "role": frame["role"],
        "on_duty": frame["on_duty"].astype(bool),
    })


# ---------------------------------------------------------------- writing


def _column_values(series: pd.Series) -> list:
    """One column as plain Python values (None for missing): what sqlite3 and psycopg bind."""
    if series.dtype == object:
        values = series.to_numpy(dtype=object).copy()
        values[pd.isna(series).to_numpy()] = None
        return values.tolist()
    if series.dtype == bool:
        return series.to_numpy().tolist()
    if pd.api.types.is_float_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        raw = series.to_numpy()
        values = raw.astype(object)
        values[np.isnan(raw)] = None
        return values.tolist()
    if pd.api.types.is_integer_dtype(series.dtype):
        # Nullable ints: boxed by numpy in C, not one pandas scalar at a time.
        values = series.to_numpy(dtype="int64", na_value=0).astype(object)
        values[series.isna().to_numpy()] = None
        return values.tolist()
    # Nullable booleans, Arrow strings: pandas hands out Python scalars with None for missing.
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _row_chunks(frame: pd.DataFrame) -> Iterable[Iterable[tuple]]:
    """Yield chunks of rows as plain-Python tuples, converted column by column (fast) rather than cell by cell.

    Each chunk is a lazy zip: the driver takes one tuple at a time, so millions of them never live at once.
    """
    for start in range(0, len(frame), WRITE_CHUNK_ROWS):
        chunk = frame.iloc[start:start + WRITE_CHUNK_ROWS]
        yield zip(*(_column_values(chunk[column]) for column in chunk.columns), strict=True)


def _prefetched(chunks: Iterable[T]) -> Iterable[T]:
    """Convert the next chunk in a helper thread while the driver writes this one (the drivers release the GIL)."""
    iterator = iter(chunks)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, iterator, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield chunk


def _upsert_sql(table: Table, columns: list[str], values_clause: str) -> str:
    """INSERT … ON CONFLICT DO UPDATE: the same text works on SQLite and PostgreSQL."""
    key = [column.name for column in table.primary_key.columns]
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) {values_clause} "
            f"ON CONFLICT ({', '.join(key)}) {action}")


def _existing_rows(connection: Connection, table: Table) -> int:
    """Row count of the table as it is in this transaction."""
    return connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table.name}").scalar_one()


def _insert_sqlite(connection: Connection, table: Table, frame: pd.DataFrame, upsert: bool,
                   progress: Progress) -> None:
    """SQLite: executemany over plain tuples (a helper thread would only contend for the GIL with the driver)."""
    columns = list(frame.columns)
    values = f"VALUES ({', '.join('?' * len(columns))})"
    sql = _upsert_sql(table, columns, values) if upsert else f"INSERT INTO {table.name} ({', '.join(columns)}) {values}"
    cursor = connection.connection.driver_connection.cursor()
    done = 0
    for rows in _row_chunks(frame):
        cursor.executemany(sql, rows)
        done = min(done + WRITE_CHUNK_ROWS, len(frame))
        progress(f"{table.name}: {done:,} / {len(frame):,} rows")
    cursor.close()


def _copy_postgresql(connection: Connection, table: Table, frame: pd.DataFrame, upsert: bool,
                     progress: Progress) -> None:
    """PostgreSQL: binary COPY, straight into an empty table, else into a temporary stage and one upsert from it."""
    # The table's order, in which postgresql_copy_chunks encodes each row's fields.
    columns = [column.name for column in table.columns if column.name in frame.columns]
    raw = connection.connection.driver_connection
    target = f"stage_{table.name}" if upsert else table.name
    reported = -1
    with raw.cursor() as cursor:
        if upsert:
            cursor.execute(f"CREATE TEMP TABLE {target} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cursor.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)") as copy:
            for done, data in _prefetched(postgresql_copy_chunks(table, frame, WRITE_CHUNK_ROWS)):
                copy.write(data)
                if done > reported:
                    progress(f"{table.name}: {done:,} / {len(frame):,} rows copied")
                    reported = done
        if upsert:
            cursor.execute(_upsert_sql(table, columns, f"SELECT {', '.join(columns)} FROM {target}"))
            cursor.execute(f"DROP TABLE {target}")


def _staged(stages: Stages | None, frame: pd.DataFrame, existing: int) -> bool:
    """Whether a write goes through a stage file: a big one into an empty SQLite table."""
    return stages is not None and existing == 0 and len(frame) >= BULK_REBUILD_ROWS


def write_table(connection: Connection, table: Table, frame: pd.DataFrame, progress: Progress,
                alongside: Callable[[], T] | None = None, stages: Stages | None = None) -> T | None:
    """Insert or replace the frame's rows in the table, inside the caller's transaction; return alongside's result.

    A big write into an empty SQLite table goes through a stage file (data_access.stage) when `stages` is
    given, with `alongside` run meanwhile. Otherwise a big write drops the secondary indexes first and
    rebuilds them after: one sort beats millions of index updates. DDL is transactional on both backends,
    so a failed load still rolls all of it back. An empty table takes plain inserts: there is nothing to
    replace. `alongside` runs in a helper thread while the database works and Python would otherwise wait.
    """
    columns = [column.name for column in table.columns if column.name in frame.columns]
    frame = frame[columns]
    existing = _existing_rows(connection, table)
    if _staged(stages, frame, existing):
        stages.fill(table.name, [(table, frame)])
        result = None if alongside is None else alongside()
        _copy_staged(connection, stages, table, progress)
        return result
    rebuild = len(frame) >= BULK_REBUILD_ROWS and len(frame) >= existing
    sqlite = connection.dialect.name == "sqlite"
    # PostgreSQL keeps a primary key row by row during a COPY: into an empty table it is built after, in one
    # sort (5 M work orders: COPY 13 s + key 2 s, against 26 s). SQLite's big first writes are staged instead.
    key = _drop_primary_key(connection, table) if rebuild and existing == 0 and not sqlite else None
    if rebuild:
        _drop_indexes(connection, table)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # PostgreSQL parses the COPY in its own process while Python mostly waits: start alongside now.
        # SQLite's driver binds rows in Python, but builds indexes in C: start it with the indexes.
        pending = None if alongside is None or sqlite else pool.submit(alongside)
        if sqlite:
            _insert_sqlite(connection, table, frame, existing > 0, progress)
        else:
            _copy_postgresql(connection, table, frame, existing > 0, progress)
        if alongside is not None and pending is None:
            pending = pool.submit(alongside)
        if key is not None:
            progress(f"{table.name}: building its primary key")
            _add_primary_key(connection, table, key)
        if rebuild:
            _rebuild_indexes(connection, table, progress)
        return None if pending is None else pending.result()


def _drop_primary_key(connection: Connection, table: Table) -> str | None:
    """Drop the table's primary key constraint (transactional, like _drop_indexes); return its name."""
    name = inspect(connection).get_pk_constraint(table.name).get("name")
    if name:
        connection.exec_driver_sql(f"ALTER TABLE {table.name} DROP CONSTRAINT {name}")
    return name


def _add_primary_key(connection: Connection, table: Table, name: str) -> None:
    """Build the primary key _drop_primary_key dropped, under its old name (a duplicate fails the load)."""
    columns = ", ".join(column.name for column in table.primary_key.columns)
    connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD CONSTRAINT {name} PRIMARY KEY ({columns})")


def _drop_indexes(connection: Connection, table: Table) -> None:
    """Drop the table's secondary indexes (DDL is transactional on both backends: a rollback restores them)."""
    for index in table.indexes:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")


def _rebuild_indexes(connection: Connection, table: Table, progress: Progress) -> None:
    """Build the table's secondary indexes, one sort each."""
    if table.indexes:
        progress(f"{table.name}: rebuilding {len(table.indexes)} indexes")
    with index_sorting(connection):
        for index in table.indexes:
            index.create(connection)


def _copy_staged(connection: Connection, stages: Stages, table: Table, progress: Progress) -> None:
    """Copy a staged table into its empty table with only its key, then build its other indexes."""
    _drop_indexes(connection, table)
    stages.copy_in(table)
    _rebuild_indexes(connection, table, progress)


def write_work_orders(connection: Connection, frame: pd.DataFrame, progress: Progress,
                      stages: Stages | None = None) -> bool:
    """Write work orders and keep the per-day rollups exact in the same transaction; True when rebuilt from SQL.

    Into an empty table the rollups are counted from the frame itself; a load as big as a quarter of the
    table rebuilds them from work_orders; a smaller one (the live feed's batches) takes away the changed
    orders' old contribution and adds their new one.
    """
    existing = _existing_rows(connection, schema.work_orders)
    if _staged(stages, frame, existing):
        # Not write_table's staged path: the work orders' stage fills in one helper thread while Python counts
        # the rollups, whose stage fills in the other, and the rollups go in (indexed, analysed) first, while
        # the work orders' stage still fills.
        progress("work_orders: staging, counting the per-day rollups meanwhile")
        stages.fill(schema.work_orders.name, [(schema.work_orders, frame)])
        counted = {schema.metadata.tables[name]: rows for name, rows in rollup_rows(frame).items()}
        stages.fill("rollups", list(counted.items()))
        for table in counted:
            connection.execute(table.delete())
            _copy_staged(connection, stages, table, progress)
        finish_rollups(connection)
        _copy_staged(connection, stages, schema.work_orders, progress)
        return False
    if existing == 0:
        progress("work_orders: writing, counting the per-day rollups meanwhile")
        counted = write_table(connection, schema.work_orders, frame, progress, alongside=lambda: rollup_rows(frame))
        for name, rows in counted.items():
            table = schema.metadata.tables[name]
            connection.execute(table.delete())
            write_table(connection, table, rows, progress)
        finish_rollups(connection)
        return False
    incremental = len(frame) * 4 < existing and rollups_built(connection)
    change = RollupChange(connection, frame["order_no"]) if incremental else None
    if change is not None:
        change.before()
    write_table(connection, schema.work_orders, frame, progress)
    if change is not None:
        change.after()
        return False
    progress("work_orders: rebuilding the per-day rollups")
    rebuild_rollups(connection)
    return True


def write_member_activities(connection: Connection, frame: pd.DataFrame, progress: Progress,
                            stages: Stages | None = None) -> None:
    """Write member activities with each one's previous date of the same kind per area (member_history).

    Into an empty table they come from the frame itself; otherwise the changed members' are recomputed in SQL.
    """
    if _existing_rows(connection, schema.member_activities) == 0:
        write_table(connection, schema.member_activities, frame.assign(**previous_dates(frame)), progress,
                    stages=stages)
        return
    write_table(connection, schema.member_activities, frame, progress)
    progress("member_activities: updating previous dates")
    update_previous_dates(connection, frame["member_id"].dropna())


def _stages_for(connection: Connection, tables: dict[str, pd.DataFrame], progress: Progress
                ) -> contextlib.AbstractContextManager[Stages | None]:
    """Stage files for an SQLite load (big tables are written beside it, in C); nothing for PostgreSQL's COPY.

    A first load (every big table new or empty) writes with a rollback journal rather than the WAL.
    """
    if connection.dialect.name != "sqlite":
        return contextlib.nullcontext()
    existing = set(inspect(connection).get_table_names())
    big = [name for name, frame in tables.items() if len(frame) >= BULK_REBUILD_ROWS]
    first = bool(big) and all(name not in existing or _existing_rows(connection, schema.metadata.tables[name]) == 0
                              for name in big)
    connection.commit()
    return Stages(connection, progress, rollback_journal=first)


def write_all(engine: Engine, tables: dict[str, pd.DataFrame], progress: Progress) -> None:
    """Write every prepared table in one transaction: all of it lands, or none."""
    rebuilt = False
    with engine.connect() as connection, _stages_for(connection, tables, progress) as stages, \
            connection.begin():
        # The dashboard's statement timeout guards queries, not a load of millions of rows.
        lift_statement_timeout(connection)
        if connection.dialect.name == "postgresql":
            # Index rebuilds sort in memory rather than in spilled runs (for this transaction only).
            connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{LOAD_MAINTENANCE_MEMORY}'")
        migrate.ensure_current(connection)
        for table in schema.TABLES_IN_LOAD_ORDER:
            frame = tables.get(table.name)
            if frame is None:
                continue
            if table is schema.water:
                # Water has no natural key: a new layer replaces the old one.
                connection.execute(schema.water.delete())
            progress(f"{table.name}: writing {len(frame):,} rows")
            if table is schema.work_orders:
                rebuilt = write_work_orders(connection, frame, progress, stages)
            elif table is schema.member_activities:
                write_member_activities(connection, frame, progress, stages)
            else:
                write_table(connection, table, frame, progress, stages=stages)
        if connection.dialect.name == "postgresql":
            for table in tables:
                connection.exec_driver_sql(f"ANALYZE {table}")
        progress("committing")
    if rebuilt and engine.dialect.name == "postgresql":
        progress("rollups: reclaiming replaced rows")
        vacuum_rollups(engine)


# ---------------------------------------------------------------- the whole load


def load_directory(directory: str | Path, engine: Engine, progress: Progress = _quiet) -> dict[str, int]:
    """Validate and load every known file in the directory; return rows written per table.

    Raises LoadRejected (naming file, line, field and reason) and writes nothing when any input is bad.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    present = [name for name in KNOWN_FILES if (directory / name).exists()]
    if not present:
        raise FileNotFoundError(f"{directory} holds none of: {', '.join(KNOWN_FILES)}")
    state = LoadState(engine)
    steps: list[tuple[str, Callable[[], None]]] = []
    if "city.json" in present:
        steps.append(("city.json", lambda: read_city(directory, state)))
    for level, name in AREA_FILES.items():
        if name in present:
            steps.append((name, lambda level=level: read_areas(directory, level, state)))
    if any(name in present for name in AREA_FILES.values()):
        steps.append(("area nesting", lambda: check_area_nesting(state)))
    readers = {
        "water.geojson": read_water,
        "stations.csv": read_stations,
        "work_orders.csv": read_work_orders,
        "work_orders.open311.json": read_open311,
        "members.csv": read_members,
        "member_activities.csv": read_member_activities,
        "grid_workers.csv": read_grid_workers,
    }
    for name, reader in readers.items():
        if name in present:
            steps.append((name, lambda reader=reader: reader(directory, state)))
    for name, step in steps:
        progress(f"checking {name}")
        step()
    if state.errors:
        _fix_line_numbers(directory, state)
        state.errors.raise_if_any()
    tables = {name: frame for name, frame in state.tables.items() if not name.startswith("areas:")}
    areas = areas_table(state)
    if areas is not None:
        tables["areas"] = areas
    write_all(engine, tables, progress)
    return {name: len(frame) for name, frame in tables.items()}


def _fix_line_numbers(directory: Path, state: LoadState) -> None:
    """Replace record-based line numbers with physical ones (quoted cells may span lines)."""
    physical: dict[str, np.ndarray] = {}
    for index, error in enumerate(state.errors.errors):
        if not error.file.endswith(".csv") or error.line < 2 or error.field == "(file)":  # (file): physical
            continue
        if error.file not in physical:
            path = directory / error.file
            encoding = "utf-8-sig"
            try:
                path.read_bytes().decode(encoding)
            except UnicodeDecodeError:
                encoding = "gb18030"
            records = len(state.record_lines.get(error.file, ())) or _count_records(path, encoding)
            physical[error.file] = physical_lines(path, encoding, records)
        record = error.line - 2
        if 0 <= record < len(physical[error.file]):
            state.errors.errors[index] = type(error)(error.file, int(physical[error.file][record]), error.field,
                                                     error.reason)


def _count_records(path: Path, encoding: str) -> int:
    """Count data records of a CSV file."""
    with open(path, encoding=encoding, newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


__all__ = ["KNOWN_FILES", "LoadRejected", "load_directory"]
