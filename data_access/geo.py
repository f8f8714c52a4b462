"""Geometry helpers: Chinese map datum conversion, H3 cells, point-in-polygon, areas in m²."""

from __future__ import annotations

import geopandas as gpd
import h3ronpy.vector as h3_vector
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

WGS84 = "EPSG:4326"
# The heat map's H3 resolutions: city (~5 km²), district (~0.7 km²), street/community (~0.1 km²).
H3_RESOLUTIONS = (7, 8, 9)

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 obfuscation offset (degrees) at WGS-84 points (the published formula)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 to GCJ-02 (what AMap and Tencent maps use)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 to WGS-84 by fixed-point iteration (error well under 1 cm)."""
    gcj_lon = np.asarray(lon, dtype=float)
    gcj_lat = np.asarray(lat, dtype=float)
    wgs_lon, wgs_lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(6):
        test_lon, test_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        wgs_lon -= test_lon - gcj_lon
        wgs_lat -= test_lat - gcj_lat
    return wgs_lon, wgs_lat


_BD_FACTOR = np.pi * 3000.0 / 180.0


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert Baidu BD-09 to GCJ-02."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_FACTOR)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 to Baidu BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_FACTOR)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84(lon, lat, systems) -> tuple[np.ndarray, np.ndarray]:
    """Convert points given per row in WGS84 / GCJ02 / BD09 into WGS-84."""
    lon = np.asarray(lon, dtype=float).copy()
    lat = np.asarray(lat, dtype=float).copy()
    systems = np.asarray(systems, dtype=object)
    baidu = systems == "BD09"
    if baidu.any():
        lon[baidu], lat[baidu] = bd09_to_gcj02(lon[baidu], lat[baidu])
    mars = baidu | (systems == "GCJ02")
    if mars.any():
        lon[mars], lat[mars] = gcj02_to_wgs84(lon[mars], lat[mars])
    return lon, lat


def h3_cells(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """Return the H3 cell (int64) of each point at the resolution.

    h3ronpy (h3o, a Rust port of the H3 library) converts the whole array without the GIL, well ahead of
    calling the h3 package once per point (docs/benchmarks.md), and the loader locates points meanwhile.
    It gives the h3 package's cell for every point (tests/data_access/test_geo.py) but one on a cell's
    corner, a tie that floating point may break for another of the cells that meet there.
    """
    if len(lon) == 0:
        return np.zeros(0, dtype=np.int64)
    cells = h3_vector.coordinates_to_cells(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float),
                                           int(resolution))
    return pa.array(cells).to_numpy(zero_copy_only=False).astype(np.int64)


def h3_parents(cells: np.ndarray, resolution: int) -> np.ndarray:
    """Return the parent cells at a coarser resolution, by the H3 bit layout (vectorised)."""
    cells = np.asarray(cells, dtype=np.int64)
    resolution_field = np.int64(0xF) << np.int64(52)
    unused_digits = np.int64((1 << ((15 - resolution) * 3)) - 1)
    return (cells & ~resolution_field) | (np.int64(resolution) << np.int64(52)) | unused_digits


def h3_cells_for_resolutions(lon: np.ndarray, lat: np.ndarray) -> dict[int, np.ndarray]:
    """Return {resolution: cells} for H3_RESOLUTIONS: the finest cell of each point and its H3 parents.

    Parents (not a fresh lookup per resolution) make counts roll up exactly from one resolution to the next.
    """
    finest = max(H3_RESOLUTIONS)
    cells = h3_cells(lon, lat, finest)
    return {
        resolution: cells if resolution == finest else h3_parents(cells, resolution) for resolution in H3_RESOLUTIONS
    }


# Points are sorted into square cells of this size (about 50 m) and tested only against the polygons their
# cell touches; larger cells were slower at city scale (docs/benchmarks.md).
LOCATE_CELL_DEGREES = 0.0005


def locate_points(lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Return for each point the index of the first polygon that covers it, or -1 when none does.

    The tree is asked once per occupied cell rather than once per point. A cell that lies inside one
    polygon and touches no other gives all its points that polygon; every other point is tested against
    its cell's polygons only, on prepared polygons and plain coordinates (no geometry made per point).
    A point on an edge shared by two polygons goes to the one listed first.
    """
    result = np.full(len(lon), -1, dtype=np.int64)
    finite = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(finite) == 0 or len(polygons) == 0:
        return result
    x, y = lon[finite], lat[finite]
    columns = np.floor(x / LOCATE_CELL_DEGREES).astype(np.int64)
    rows = np.floor(y / LOCATE_CELL_DEGREES).astype(np.int64)
    # Column and row in one key (both are within ±200,000 cells on Earth).
    cell_of_point, keys = pd.factorize((columns + 200_000) * 400_000 + (rows + 200_000))
    cell_columns, cell_rows = keys // 400_000 - 200_000, keys % 400_000 - 200_000
    # A margin covers any rounding in the division above: it can only add candidates.
    margin = LOCATE_CELL_DEGREES / 100
    boxes = shapely.box(cell_columns * LOCATE_CELL_DEGREES - margin, cell_rows * LOCATE_CELL_DEGREES - margin,
                        (cell_columns + 1) * LOCATE_CELL_DEGREES + margin,
                        (cell_rows + 1) * LOCATE_CELL_DEGREES + margin)
    cell_index, polygon_index = shapely.STRtree(polygons).query(boxes, predicate="intersects")
    order = np.lexsort((polygon_index, cell_index))
    cell_index, polygon_index = cell_index[order], polygon_index[order]
    counts = np.bincount(cell_index, minlength=len(keys))
    starts = np.cumsum(counts) - counts
    # Cells inside a single polygon's interior.
    alone = np.flatnonzero(counts == 1)
    alone = alone[shapely.contains_properly(polygons[polygon_index[starts[alone]]], boxes[alone])]
    sole = np.full(len(keys), -1, dtype=np.int64)
    sole[alone] = polygon_index[starts[alone]]
    found = sole[cell_of_point]
    # The other points, once per candidate polygon of their cell (candidates in ascending polygon order).
    pending = np.flatnonzero((found < 0) & (counts[cell_of_point] > 0))
    per_point = counts[cell_of_point[pending]]
    repeated = np.repeat(pending, per_point)
    within_cell = np.arange(len(repeated)) - np.repeat(np.cumsum(per_point) - per_point, per_point)
    candidates = polygon_index[starts[cell_of_point[repeated]] + within_cell]
    shapely.prepare(polygons)
    hit = shapely.intersects_xy(polygons[candidates], x[repeated], y[repeated])
    hit_points, first = np.unique(repeated[hit], return_index=True)
    found[hit_points] = candidates[hit][first]
    result[finite] = found
    return result


def areas_m2(geometries: np.ndarray) -> np.ndarray:
    """Return each WGS-84 geometry's area in square metres (in a local UTM projection)."""
    series = gpd.GeoSeries(geometries, crs=WGS84)
    if series.empty:
        return np.zeros(0)
    return series.to_crs(series.estimate_utm_crs()).area.to_numpy()


EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres between WGS-84 points (numpy arrays, broadcast), on the mean sphere."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(value, dtype=float)) for value in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def metric_cells(lon: np.ndarray, lat: np.ndarray, size_m: float,
                 reference_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Square buckets of about `size_m` metres (an equirectangular projection at `reference_lat`): two points
    closer than size_m / 1.1 lie in the same or adjacent buckets anywhere within a few degrees of it."""
    scale = np.radians(1.0) * EARTH_RADIUS_M
    x = np.asarray(lon, dtype=float) * scale * np.cos(np.radians(reference_lat))
    y = np.asarray(lat, dtype=float) * scale
    return np.floor(x / size_m).astype(np.int64), np.floor(y / size_m).astype(np.int64)
