"""Placing points: lon/lat to WGS-84, each point's grid by point-in-polygon, and the area codes a grid implies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_access import codes, geo
from data_access.ingest.checks import TableCheck
from data_access.ingest.errors import MAX_ERRORS_PER_FIELD

SHOWN = MAX_ERRORS_PER_FIELD + 1


@dataclass(frozen=True)
class Grids:
    """Every grid a point may fall in (this load's and the database's), sorted by code."""

    codes: np.ndarray
    polygons: np.ndarray


def place_points(check: TableCheck, grids: Grids, with_cells: bool = False) -> pd.DataFrame:
    """Convert lon/lat to WGS-84, find each point's grid, report points outside the city; return area codes.

    With `with_cells`, also the H3 cells of every usable point (columns h3_r<resolution>, 0 for the others).
    """
    frame = check.frame
    systems = (frame["coord_system"] if "coord_system" in frame else pd.Series(None, index=frame.index, dtype=object)
               ).fillna("WGS84").to_numpy(dtype=object)
    lon_raw = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat_raw = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(lon_raw) & np.isfinite(lat_raw) & (np.abs(lat_raw) <= 90) & (np.abs(lon_raw) <= 180)
    if "coord_system" in frame and frame["coord_system"].notna().any():
        usable &= pd.Series(systems).isin(list(codes.COORD_SYSTEMS)).to_numpy()  # unknown ones are reported apart
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    if usable.any():
        lon[usable], lat[usable] = geo.to_wgs84(lon_raw[usable], lat_raw[usable], systems[usable])
    index = np.full(len(frame), -1)
    cells = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Shapely and h3ronpy both work without the GIL: the two cores locate and index at once.
        locating = pool.submit(geo.locate_points, lon[usable], lat[usable], grids.polygons)
        if with_cells:
            for resolution, values in geo.h3_cells_for_resolutions(lon[usable], lat[usable]).items():
                cells[f"h3_r{resolution}"] = np.zeros(len(frame), dtype=np.int64)
                cells[f"h3_r{resolution}"][usable] = values
        index[usable] = locating.result()
    label = check.label("lon/lat")
    # A latitude above 90 that is a valid longitude: check the swapped pair before calling it out of range.
    swapped_range = (np.isfinite(lon_raw) & np.isfinite(lat_raw) & ~usable & (np.abs(lon_raw) <= 90)
                     & (np.abs(lat_raw) <= 180))
    if swapped_range.any():
        inside = np.zeros(len(frame), dtype=bool)
        inside[swapped_range] = geo.locate_points(lat_raw[swapped_range], lon_raw[swapped_range], grids.polygons) >= 0
        positions = np.flatnonzero(inside)
        check.errors.add_rows(check.file, check.lines[positions[:SHOWN]], label, "swapped-coordinates",
                              "latitude out of range — longitude and latitude look swapped")
        check.errors.suppressed += max(0, len(positions) - SHOWN)
    outside = usable & (index < 0)
    if outside.any():
        swapped = np.zeros(len(frame), dtype=bool)
        swapped[outside] = geo.locate_points(lat_raw[outside], lon_raw[outside], grids.polygons) >= 0
        for code, mask, suffix in (("swapped-coordinates", swapped, " — longitude and latitude look swapped"),
                                   ("outside-city", outside & ~swapped, "")):
            positions = np.flatnonzero(mask)
            reasons = [f"({lon_raw[p]}, {lat_raw[p]}) lies outside the city's grids{suffix}" for p in positions[:SHOWN]]
            check.errors.add_rows(check.file, check.lines[positions[:SHOWN]], label, code, reasons)
            check.errors.suppressed += max(0, len(positions) - SHOWN)
    grid = np.where(index >= 0, grids.codes[np.maximum(index, 0)] if len(grids.codes) else None, None)
    return pd.DataFrame({
        "lon": lon,
        "lat": lat,
        "source_coord_system": systems,
        **area_code_columns(pd.Series(grid, index=frame.index, dtype=object)),
        **cells,
    }, index=frame.index)


def area_code_columns(grid_code: pd.Series, levels: tuple[str, ...] = tuple(codes.AREA_LEVELS)
                      ) -> dict[str, pd.Series]:
    """Derive the `levels`' codes (district … grid) from finer codes, since codes nest by prefix."""
    # Sliced once per distinct code, then spread: millions of rows share a few thousand areas.
    positions, grids = pd.factorize(grid_code.astype(object), use_na_sentinel=True)
    grids = grids.to_numpy(dtype=object)
    columns = {}
    for level in levels:
        digits = codes.AREA_LEVELS[level]
        # The trailing None is what position -1 (a missing grid) takes.
        prefixes = np.array([code[:digits] for code in grids] + [None], dtype=object)
        columns[f"{level}_code"] = pd.Series(prefixes[positions], index=grid_code.index, dtype=object)
    return columns
