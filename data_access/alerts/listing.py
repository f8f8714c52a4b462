"""Alerts as the alerts page and the wall list them: each with its area's name and its parent area's name, and
the flagged areas' shapes for a map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, null, select

from data_access.alerts.store import ALERT_COLUMNS
from data_access.geo import WGS84
from data_access.schema import alerts, areas
from data_access.scope import CITIZEN_TEXT, CITY, AreaScope
from data_access.sql import read_frame

NAME_COLUMNS = ["area_name_zh", "area_name_en", "parent_name_zh", "parent_name_en", "area_lon", "area_lat"]
ALERT_LIST_COLUMNS = [*ALERT_COLUMNS, *NAME_COLUMNS]
ALERT_AREA_COLUMNS = ["code", "level", "name_zh", "name_en", "centroid_lon", "centroid_lat", "min_lon", "min_lat",
                      "max_lon", "max_lat"]


def _conditions(scope: AreaScope, status: str | None, kinds: tuple[str, ...], alert_ids: tuple[int, ...] = ()) -> list:
    conditions = list(scope.condition(alerts))
    if alert_ids:
        conditions.append(alerts.c.alert_id.in_([int(alert_id) for alert_id in alert_ids]))
    if status is not None:
        conditions.append(alerts.c.status == status)
    if kinds:
        conditions.append(alerts.c.kind.in_(kinds))
    return conditions


def read_alert_list(engine: Engine, scope: AreaScope = CITY, kinds: tuple[str, ...] = (),
                    status: str | None = "open", limit: int | None = None,
                    alert_ids: tuple[int, ...] = ()) -> pd.DataFrame:
    """Alerts inside the scope (open ones unless `status` says otherwise; None: all; only `alert_ids` when given,
    as the tour's task reads the alert it was made from), newest first in the order of
    store.read_alerts, with ALERT_LIST_COLUMNS: the alert's columns, its area's names, its parent area's names (the
    community of a grid, the street of a community, the district of a street) and its area's inner point. A
    cluster's order numbers are a list of requests: None for a scope that may read aggregates only."""
    area = areas.alias("area")
    parent = areas.alias("parent")
    columns = [alerts.c[name] if name != "order_nos" or scope.may_read(CITIZEN_TEXT) else null().label(name)
               for name in ALERT_COLUMNS]
    statement = (
        select(*columns,
               area.c.name_zh.label("area_name_zh"), area.c.name_en.label("area_name_en"),
               parent.c.name_zh.label("parent_name_zh"), parent.c.name_en.label("parent_name_en"),
               area.c.centroid_lon.label("area_lon"), area.c.centroid_lat.label("area_lat"))
        .select_from(alerts.outerjoin(area, area.c.code == alerts.c.area_code)
                     .outerjoin(parent, parent.c.code == area.c.parent_code))
        .where(*_conditions(scope, status, kinds, alert_ids))
        .order_by(alerts.c.last_day.desc(), alerts.c.kind, alerts.c.area_code, alerts.c.category_l1,
                  alerts.c.alert_id))
    if limit is not None:
        statement = statement.limit(limit)
    frame = read_frame(engine, statement)
    if frame.empty:
        return pd.DataFrame(columns=ALERT_LIST_COLUMNS)
    for column in ("first_day", "last_day"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame[ALERT_LIST_COLUMNS]


def read_alert_areas(engine: Engine, scope: AreaScope = CITY, kinds: tuple[str, ...] = (),
                     status: str | None = "open") -> gpd.GeoDataFrame:
    """The areas the alerts inside the scope are about (each once), with their shapes, for a map:
    ALERT_AREA_COLUMNS and `geometry` (EPSG:4326), ordered by code."""
    flagged = select(alerts.c.area_code).where(*_conditions(scope, status, kinds))
    statement = (select(*(areas.c[name] for name in ALERT_AREA_COLUMNS), areas.c.geometry_wkb)
                 .where(areas.c.code.in_(flagged)).order_by(areas.c.code))
    frame = read_frame(engine, statement)
    geometry = shapely.from_wkb(frame.pop("geometry_wkb").to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame if len(frame) else pd.DataFrame(columns=ALERT_AREA_COLUMNS), geometry=geometry,
                            crs=WGS84)
