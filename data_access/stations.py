"""Service stations (服务阵地): locations by type and status, and counts per area."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.filters import group_column_name
from data_access.schema import areas, stations
from data_access.scope import CITY, AreaScope
from data_access.sql import count_if, read_frame

STATION_COLUMNS = ["station_id", "station_type", "name_zh", "name_en", "address", "lon", "lat", "opening_hours",
                   "services", "status", "opened_date", "district_code", "street_code", "community_code", "grid_code"]


def read_stations(engine: Engine, scope: AreaScope = CITY, station_types: tuple[str, ...] = (),
                  statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return stations in the area (all types/statuses when empty), ordered by id: STATION_COLUMNS."""
    conditions = scope.condition(stations)
    if station_types:
        conditions.append(stations.c.station_type.in_(station_types))
    if statuses:
        conditions.append(stations.c.status.in_(statuses))
    return read_frame(engine, select(*(stations.c[name] for name in STATION_COLUMNS))
                      .where(*conditions).order_by(stations.c.station_id))


def read_station_counts(engine: Engine, scope: AreaScope = CITY) -> pd.DataFrame:
    """Return stations per type in the area: columns station_type, total, open."""
    return read_frame(engine, select(stations.c.station_type, func.count().label("total"),
                                     count_if(stations.c.status == "open").label("open"))
                      .where(*scope.condition(stations))
                      .group_by(stations.c.station_type).order_by(stations.c.station_type))


def read_station_counts_by_area(engine: Engine, level: str, inside: AreaScope = CITY) -> pd.DataFrame:
    """Return per area of `level` inside an area: code, stations (all), open_stations; zeros included."""
    group = stations.c[group_column_name(level)]
    counts = (select(group.label("code"), func.count().label("stations"),
                     count_if(stations.c.status == "open").label("open_stations"))
              .group_by(group).subquery())
    conditions = [areas.c.level == level, *inside.condition(areas)]
    frame = read_frame(engine, select(areas.c.code, func.coalesce(counts.c.stations, 0).label("stations"),
                                      func.coalesce(counts.c.open_stations, 0).label("open_stations"))
                       .select_from(areas.outerjoin(counts, counts.c.code == areas.c.code))
                       .where(*conditions).order_by(areas.c.code))
    return frame.astype({"stations": "int64", "open_stations": "int64"})
