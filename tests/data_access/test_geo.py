"""Datum conversion, H3 parents and point-in-polygon."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from data_access import geo


def test_gcj02_round_trip_is_sub_centimetre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(112.8, 113.6, 500)
    lat = rng.uniform(30.1, 30.7, 500)
    gcj_lon, gcj_lat = geo.wgs84_to_gcj02(lon, lat)
    # GCJ-02 moves points in Chinese cities by hundreds of metres...
    shift_m = np.hypot((gcj_lon - lon) * 96_000, (gcj_lat - lat) * 111_000)
    assert shift_m.min() > 100 and shift_m.max() < 1_000
    # ...and the inverse brings them back.
    back_lon, back_lat = geo.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert np.abs(back_lon - lon).max() < 1e-7 and np.abs(back_lat - lat).max() < 1e-7


def test_bd09_round_trip():
    lon, lat = np.array([113.2, 113.31]), np.array([30.4, 30.52])
    bd_lon, bd_lat = geo.gcj02_to_bd09(lon, lat)
    assert np.abs(bd_lon - lon).max() > 0.005
    back_lon, back_lat = geo.bd09_to_gcj02(bd_lon, bd_lat)
    assert np.allclose(back_lon, lon, atol=1e-6) and np.allclose(back_lat, lat, atol=1e-6)


def test_to_wgs84_converts_per_row():
    lon, lat = np.array([113.2, 113.2, 113.2]), np.array([30.4, 30.4, 30.4])
    gcj = geo.wgs84_to_gcj02(lon[:1], lat[:1])
    bd = geo.gcj02_to_bd09(*gcj)
    out_lon, out_lat = geo.to_wgs84([113.2, gcj[0][0], bd[0][0]], [30.4, gcj[1][0], bd[1][0]],
                                    ["WGS84", "GCJ02", "BD09"])
    assert np.allclose(out_lon, lon, atol=1e-6) and np.allclose(out_lat, lat, atol=1e-6)


def cell_polygon(cell: int) -> shapely.Polygon:
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))])


def test_h3_cells_match_the_h3_library_point_by_point():
    rng = np.random.default_rng(5)
    # The city's box, the whole globe, the poles and the antimeridian.
    lon = np.concatenate([rng.uniform(112.8, 113.6, 20_000), rng.uniform(-180, 180, 20_000), [0, 0, 180, -180]])
    lat = np.concatenate([rng.uniform(30.1, 30.7, 20_000), rng.uniform(-90, 90, 20_000), [90, -90, 0, 0]])
    for resolution in (0, 7, 9, 15):
        expected = [int(h3.latlng_to_cell(y, x, resolution), 16) for x, y in zip(lon, lat, strict=True)]
        assert geo.h3_cells(lon, lat, resolution).tolist() == expected, resolution
    assert geo.h3_cells(np.array([]), np.array([]), 9).tolist() == []
    assert geo.h3_cells(lon[:5], lat[:5], np.int64(9)).tolist() == geo.h3_cells(lon[:5], lat[:5], 9).tolist()


@pytest.mark.parametrize("resolution", [7, 9, 15])
def test_h3_cells_on_a_cell_corner_pick_one_of_the_cells_that_meet_there(resolution):
    # Corners of resolution-9 cells: a tie there, which floating point may break either way; at resolutions
    # 7 and 15 some of them lie on (or within rounding of) an edge, the same kind of tie.
    rng = np.random.default_rng(6)
    corners = [corner for x, y in zip(rng.uniform(112.8, 113.6, 60), rng.uniform(30.1, 30.7, 60), strict=True)
               for corner in h3.cell_to_boundary(h3.latlng_to_cell(y, x, 9))]
    lat, lon = np.array(corners).T
    found = geo.h3_cells(lon, lat, resolution)
    expected = np.array([int(h3.latlng_to_cell(y, x, resolution), 16) for x, y in zip(lon, lat, strict=True)])
    assert (found == expected).mean() > 0.8
    for x, y, cell, other in zip(lon, lat, found, expected, strict=True):
        if cell != other:
            assert h3.grid_distance(h3.int_to_str(cell), h3.int_to_str(other)) == 1
            # On its edge, to within the straight-line polygon's departure from the curved edge (~1 cm).
            assert cell_polygon(int(cell)).exterior.distance(shapely.Point(x, y)) < 1e-6


@pytest.mark.parametrize("resolution", [7, 8])
def test_h3_parents_match_the_library(resolution):
    rng = np.random.default_rng(2)
    lon = rng.uniform(112.8, 113.6, 300)
    lat = rng.uniform(30.1, 30.7, 300)
    cells = geo.h3_cells(lon, lat, 9)
    parents = geo.h3_parents(cells, resolution)
    expected = [int(h3.cell_to_parent(h3.latlng_to_cell(y, x, 9), resolution), 16)
                for x, y in zip(lon, lat, strict=True)]
    assert parents.tolist() == expected


def test_locate_points_picks_the_covering_polygon_or_minus_one():
    polygons = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], dtype=object)
    found = geo.locate_points(np.array([0.5, 1.5, 1.0, 5.0]), np.array([0.5, 0.5, 0.5, 5.0]), polygons)
    # A point on the shared edge goes to the first polygon; one outside both gets -1.
    assert found.tolist() == [0, 1, 0, -1]


def first_covering_polygon(x: float, y: float, polygons: np.ndarray) -> int:
    """The plain definition, one point at a time: the first polygon that intersects the point, else -1."""
    point = shapely.Point(x, y)
    return next((index for index, polygon in enumerate(polygons) if polygon.intersects(point)), -1)


def test_locate_points_agrees_with_testing_every_polygon():
    rng = np.random.default_rng(7)
    # A tiling of irregular quadrilaterals (shared edges and vertices), one overlapping extra and a hole.
    xs = 113.0 + np.arange(6) * 0.0037 + rng.uniform(-0.0008, 0.0008, (6, 6))
    ys = 30.0 + np.arange(6)[:, None] * 0.0041 + rng.uniform(-0.0008, 0.0008, (6, 6))
    polygons = [shapely.Polygon([(xs[i, j], ys[i, j]), (xs[i, j + 1], ys[i, j + 1]),
                                 (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i + 1, j], ys[i + 1, j])])
                for i in range(5) for j in range(5)]
    polygons[12] = polygons[12].difference(polygons[12].centroid.buffer(0.0005))
    polygons.append(shapely.box(113.012, 30.012, 113.03, 30.03))
    polygons = np.array(polygons, dtype=object)
    corners = shapely.get_coordinates(polygons)
    rings = shapely.get_exterior_ring(polygons[:25])
    edges = shapely.get_coordinates(shapely.line_interpolate_point(rings, 0.37, normalized=True))
    lon = np.concatenate([rng.uniform(112.998, 113.022, 4000), corners[:, 0], edges[:, 0], [np.nan, 113.01]])
    lat = np.concatenate([rng.uniform(29.998, 30.024, 4000), corners[:, 1], edges[:, 1], [30.01, np.nan]])
    found = geo.locate_points(lon, lat, polygons)
    expected = [first_covering_polygon(x, y, polygons) if np.isfinite(x) and np.isfinite(y) else -1
                for x, y in zip(lon, lat, strict=True)]
    assert found.tolist() == expected
    # Every case was there: inside, outside, in the overlap (the first polygon wins) and beyond it.
    in_extra = shapely.intersects_xy(polygons[25], lon, lat)
    assert (found == -1).any() and (found[in_extra] == 25).any() and (found[in_extra] < 25).any()
    in_hole = shapely.contains_xy(shapely.Polygon(polygons[12].interiors[0]), lon, lat)
    assert in_hole.any() and (found[in_hole] == -1).all()


def test_areas_m2_of_a_known_square():
    # 0.01° × 0.01° at 30.4° N ≈ 1113 m × 960 m.
    area = geo.areas_m2(np.array([shapely.box(113.2, 30.4, 113.21, 30.41)], dtype=object))[0]
    assert area == pytest.approx(1113.2 * 960.0, rel=0.01)
