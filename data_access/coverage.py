"""Walking coverage of service stations: which grids' residents live within a radius of an open station."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, select

from data_access.codes import AREA_LEVELS
from data_access.geo import WGS84
from data_access.schema import areas, stations
from data_access.scope import CITY, AreaScope
from data_access.sql import read_frame

DEFAULT_RADIUS_M = 500


def read_grid_coverage(engine: Engine, radius_m: float = DEFAULT_RADIUS_M, scope: AreaScope = CITY,
                       station_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return per grid (inside the scope): code, name_zh, name_en, population, centroid_lon/lat,
    nearest_m (distance from the grid's inner point to the nearest open station of the given types),
    covered (nearest_m <= radius_m).

    A grid's residents are taken to live at its inner point: grids are a few hundred metres across.
    """
    grid_conditions = [areas.c.level == "grid", *scope.condition(areas)]
    grids = read_frame(engine, select(areas.c.code, areas.c.name_zh, areas.c.name_en, areas.c.population,
                                      areas.c.centroid_lon, areas.c.centroid_lat)
                       .where(*grid_conditions).order_by(areas.c.code))
    station_conditions = [stations.c.status == "open"]
    if station_types:
        station_conditions.append(stations.c.station_type.in_(station_types))
    # Stations just outside the area still serve its edge: take those within the radius of its bounding box.
    if not scope.is_city and len(grids):
        margin = radius_m / 90_000
        lon, lat = grids["centroid_lon"], grids["centroid_lat"]
        station_conditions += [stations.c.lon >= lon.min() - margin, stations.c.lon <= lon.max() + margin,
                               stations.c.lat >= lat.min() - margin, stations.c.lat <= lat.max() + margin]
    points = read_frame(engine, select(stations.c.lon, stations.c.lat).where(*station_conditions))
    grids["nearest_m"] = np.inf
    if len(grids) and len(points):
        grid_points = gpd.GeoSeries(gpd.points_from_xy(grids["centroid_lon"], grids["centroid_lat"]), crs=WGS84)
        projected_crs = grid_points.estimate_utm_crs()
        grid_xy = grid_points.to_crs(projected_crs).to_numpy()
        station_xy = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs=WGS84).to_crs(
            projected_crs).to_numpy()
        tree = shapely.STRtree(station_xy)
        _, distances = tree.query_nearest(grid_xy, return_distance=True, all_matches=False)
        grids["nearest_m"] = distances
    grids["covered"] = grids["nearest_m"] <= radius_m
    return grids


def summarise_coverage(grid_coverage: pd.DataFrame, level: str) -> pd.DataFrame:
    """Roll grid coverage up to `level`: code, grids, grids_covered, population, population_covered, share."""
    digits = AREA_LEVELS[level]
    frame = grid_coverage.assign(code=grid_coverage["code"].str[:digits],
                                 covered_population=grid_coverage["population"].where(grid_coverage["covered"], 0))
    summary = frame.groupby("code").agg(grids=("covered", "size"), grids_covered=("covered", "sum"),
                                        population=("population", "sum"),
                                        population_covered=("covered_population", "sum")).reset_index()
    summary["share"] = summary["population_covered"] / summary["population"].where(summary["population"] > 0)
    return summary
