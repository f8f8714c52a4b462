"""Areas of the five-level grid system (district → street → community → grid), their shapes and the city's facts."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select

from data_access.codes import AREA_LEVELS
from data_access.geo import WGS84
from data_access.schema import areas, meta, water
from data_access.scope import CITY, AreaScope
from data_access.sql import read_frame

AREA_COLUMNS = ["code", "level", "parent_code", "name_zh", "name_en", "population", "households", "member_target",
                "centroid_lon", "centroid_lat", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2"]


def read_areas(engine: Engine, level: str, inside: AreaScope = CITY, with_geometry: bool = True):
    """Return the areas of one level inside an area (the whole city by default), ordered by code.

    A GeoDataFrame in EPSG:4326 with AREA_COLUMNS plus `geometry` (or a DataFrame without it).
    """
    if level not in AREA_LEVELS:
        raise ValueError(f"unknown area level {level!r}")
    columns = [areas.c[name] for name in AREA_COLUMNS]
    if with_geometry:
        columns.append(areas.c.geometry_wkb)
    statement = select(*columns).where(areas.c.level == level, *inside.condition(areas)).order_by(areas.c.code)
    frame = read_frame(engine, statement)
    if not with_geometry:
        return frame
    geometry = shapely.from_wkb(frame.pop("geometry_wkb").to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def read_area(engine: Engine, scope: AreaScope) -> dict | None:
    """Return the scope's area row (AREA_COLUMNS) as a dict, or None for the city or an unknown code."""
    if scope.code is None:
        return None
    frame = read_frame(engine, select(*(areas.c[name] for name in AREA_COLUMNS)).where(areas.c.code == scope.code))
    return None if frame.empty else frame.iloc[0].to_dict()


def read_area_path(engine: Engine, scope: AreaScope) -> pd.DataFrame:
    """Return the chain of areas from the district down to the scope's: columns code, level, name_zh, name_en."""
    code = scope.code
    if code is None:
        return pd.DataFrame(columns=["code", "level", "name_zh", "name_en"])
    prefixes = [code[:digits] for digits in AREA_LEVELS.values() if digits <= len(code)]
    return read_frame(engine, select(areas.c.code, areas.c.level, areas.c.name_zh, areas.c.name_en)
                      .where(areas.c.code.in_(prefixes)).order_by(areas.c.code))


def read_water(engine: Engine) -> gpd.GeoDataFrame:
    """Return rivers and lakes for the offline base map: kind, name_zh, name_en, geometry (EPSG:4326)."""
    frame = read_frame(engine, select(water.c.kind, water.c.name_zh, water.c.name_en, water.c.geometry_wkb)
                       .order_by(water.c.water_id))
    geometry = shapely.from_wkb(frame.pop("geometry_wkb").to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def read_city_facts(engine: Engine) -> dict[str, str]:
    """Return the `meta` facts: city_name_zh/en, city_code, synthetic ('true'/'false'), as_of, center_lon/lat."""
    frame = read_frame(engine, select(meta.c.key, meta.c.value))
    return dict(zip(frame["key"], frame["value"], strict=True))


def read_area_counts(engine: Engine) -> dict[str, int]:
    """Return how many areas each level has, and the city's population: {district, street, community, grid,
    population}."""
    frame = read_frame(engine, select(areas.c.level, func.count().label("areas"),
                                      func.sum(areas.c.population).label("population")).group_by(areas.c.level))
    counts = {row["level"]: int(row["areas"]) for _, row in frame.iterrows()}
    counts["population"] = int(frame.loc[frame["level"] == "district", "population"].sum()) if len(frame) else 0
    return counts
