"""The four area levels (districts.geojson … grids.geojson) and the optional water layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from data_access import codes, geo
from data_access.ingest.checks import Parsed, TableCheck
from data_access.ingest.errors import ErrorLog
from data_access.ingest.files import read_features

AREA_FILES = {
    "district": "districts.geojson",
    "street": "streets.geojson",
    "community": "communities.geojson",
    "grid": "grids.geojson",
}
WATER_FILE = "water.geojson"
POLYGONS = ("Polygon", "MultiPolygon")


def check_geometries(check: TableCheck, allowed_types: tuple[str, ...]) -> None:
    """Geometries must be valid, non-empty polygons with lon/lat in range."""
    geometries = check.frame["geometry"].to_numpy()
    present = np.array([geometry is not None for geometry in geometries], dtype=bool)
    kinds = np.array([geometry.geom_type if geometry is not None else "" for geometry in geometries])
    check.report(present & ~np.isin(kinds, allowed_types), "geometry", "bad-geometry",
                 lambda geometry: f"{geometry.geom_type} is not one of {', '.join(allowed_types)}")
    usable = present & np.isin(kinds, allowed_types)
    empty = np.zeros(len(geometries), dtype=bool)
    empty[usable] = shapely.is_empty(geometries[usable])
    check.report(empty, "geometry", "bad-geometry", "geometry is empty")
    usable &= ~empty
    invalid = np.zeros(len(geometries), dtype=bool)
    invalid[usable] = ~shapely.is_valid(geometries[usable])
    check.report(invalid, "geometry", "bad-geometry",
                 lambda geometry: f"invalid geometry: {shapely.is_valid_reason(geometry)}")
    bounds = np.full((len(geometries), 4), np.nan)
    if usable.any():
        bounds[usable] = shapely.bounds(geometries[usable])
    latitude_bad = (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    longitude_bad = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
    check.report(usable & (latitude_bad | longitude_bad), "geometry", "out-of-range",
                 "coordinates out of range: GeoJSON wants [longitude, latitude] (swapped?)")


def _features(path: Path, columns: list[str]) -> tuple[pd.DataFrame | None, ErrorLog]:
    """The file's features with every expected property present as a column."""
    errors = ErrorLog()
    frame = read_features(path, errors)
    if frame is not None:
        for column in columns:
            if column not in frame:
                frame[column] = None
    return frame, errors


def read_level(path: Path, level: str) -> Parsed:
    """Read and check one level's GeoJSON on its own (parents and nesting are cross-file: references.py)."""
    required = ["code", "name_zh", "name_en", "population", "households"]
    if level != "district":
        required.append("parent_code")
    frame, errors = _features(path, [*required, "parent_code", "member_target"])
    if frame is None:
        return Parsed(path.name, None, np.zeros(0, dtype=np.int64), errors)
    lines = np.arange(1, len(frame) + 1)
    check = TableCheck(path.name, frame, lines, errors)
    for column in ("code", "parent_code"):
        frame[column] = frame[column].map(lambda value: None if value is None or pd.isna(value) else str(value).strip())
    check.required(required)
    check.pattern("code", codes.AREA_CODE_PATTERNS[level], f"a {codes.AREA_LEVELS[level]}-digit {level} code")
    check.unique("code")
    check.number("population", minimum=0, integer=True)
    check.number("households", minimum=0, integer=True)
    check.number("member_target", minimum=0, integer=True)
    check_geometries(check, POLYGONS)
    if level != "district":
        parent_level = codes.PARENT_LEVEL[level]
        code_text = frame["code"].fillna("")
        parent_text = frame["parent_code"].fillna("")
        prefix_ok = np.array([code.startswith(parent) for code, parent in zip(code_text, parent_text, strict=True)],
                             dtype=bool)
        check.report(frame["code"].notna() & frame["parent_code"].notna() & ~prefix_ok, "parent_code", "not-nested",
                     "code does not start with parent_code")
        check.pattern("parent_code", codes.AREA_CODE_PATTERNS[parent_level], f"a {parent_level} code")
    return Parsed(path.name, frame, lines, errors)


def areas_rows(levels: dict[str, Parsed]) -> pd.DataFrame | None:
    """Rows of the `areas` table from every level read."""
    frames = []
    for level in codes.AREA_LEVELS:
        parsed = levels.get(level)
        if parsed is None or parsed.frame is None or parsed.frame.empty:
            continue
        frame = parsed.frame
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


def read_water(path: Path) -> Parsed:
    """Read and check the optional rivers and lakes layer."""
    frame, errors = _features(path, ["kind", "name_zh", "name_en"])
    if frame is None:
        return Parsed(path.name, None, np.zeros(0, dtype=np.int64), errors)
    lines = np.arange(1, len(frame) + 1)
    check = TableCheck(path.name, frame, lines, errors)
    check.required(["kind", "name_zh", "name_en"])
    check.enum("kind", ["river", "lake"])
    check_geometries(check, POLYGONS)
    return Parsed(path.name, frame, lines, errors)


def water_rows(parsed: Parsed) -> pd.DataFrame:
    """Rows of the `water` table."""
    frame = parsed.frame
    return pd.DataFrame({
        "water_id": np.arange(1, len(frame) + 1),
        "kind": frame["kind"],
        "name_zh": frame["name_zh"],
        "name_en": frame["name_en"],
        "geometry_wkb": shapely.to_wkb(frame["geometry"].to_numpy()),
    })
