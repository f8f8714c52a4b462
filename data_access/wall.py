"""The wall display's snapshot: every figure the big screen shows, read together, aggregates and masked text only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from data_access import areas, kpis, members, stations, work_orders
from data_access.city_time import days_window
from data_access.codes import CHILD_LEVEL, level_of_code
from data_access.filters import WorkOrderFilter

TICKER_ORDERS = 15


@dataclass(frozen=True)
class WallSnapshot:
    """What the wall shows at one moment."""

    taken_at: int
    received_today: int
    received_30d: int
    backlog: dict
    rates: pd.DataFrame
    people: dict
    stations_open: int
    daily: pd.DataFrame
    ranking: pd.DataFrame
    latest: pd.DataFrame
    heat: pd.DataFrame
    heat_resolution: int


def read_wall_snapshot(engine: Engine, area_code: str | None, now: int, today: date,
                       heat_resolution: int) -> WallSnapshot:
    """Read every wall figure for the area (None = whole city) as of `now`.

    `ranking` has code, name_zh, name_en, received (30 days) for the areas one level down;
    `latest` holds masked orders only (see work_orders.read_latest_orders).
    """
    month = WorkOrderFilter(*days_window(today, 30), area_code)
    level = level_of_code(area_code) if area_code else "city"
    child = CHILD_LEVEL.get(level) or level
    ranking = work_orders.read_counts_by_area(engine, month, child, now, area_code if child != level else None)
    latest = work_orders.read_latest_orders(engine, WorkOrderFilter(None, now + 1, area_code), TICKER_ORDERS)
    return WallSnapshot(
        taken_at=now,
        received_today=work_orders.read_order_totals(engine, WorkOrderFilter(*days_window(today, 1), area_code),
                                                     now)["received"],
        received_30d=work_orders.read_order_totals(engine, month, now)["received"],
        backlog=work_orders.read_backlog(engine, month, now),
        rates=kpis.read_kpis(engine, month, now).set_index("kpi"),
        people=members.read_member_summary(engine, area_code, today),
        stations_open=int(stations.read_station_counts(engine, area_code)["open"].sum()),
        daily=work_orders.read_daily_counts(engine, month),
        ranking=ranking.sort_values("received", ascending=False)[["code", "name_zh", "name_en", "received"]],
        latest=latest[["order_no", "received_at", "category_l1", "title", "status", "community_name_zh",
                       "community_name_en"]],
        heat=work_orders.read_h3_heat(engine, month, heat_resolution, now),
        heat_resolution=heat_resolution,
    )


def read_wall_base(engine: Engine, area_code: str | None):
    """Shapes that do not change while the wall runs: (areas one level down, districts, water, city facts)."""
    level = level_of_code(area_code) if area_code else "city"
    child = CHILD_LEVEL.get(level) or level
    shapes = areas.read_areas(engine, child, area_code if child != level else None)
    if child == level and area_code:
        shapes = shapes[shapes["code"] == area_code]
    return shapes, areas.read_areas(engine, "district"), areas.read_water(engine), areas.read_city_facts(engine)


WALL_VIEWS = ("overview", "requests", "members", "stations")


def read_wall_view(engine: Engine, view: str, area_code: str | None, now: int, today: date) -> dict:
    """The extra figures of a carousel view: requests → hotspots; members → coverage and shortfalls;
    stations → open stations and counts per type. Aggregates and names of places only."""
    month = WorkOrderFilter(*days_window(today, 30), area_code)
    level = level_of_code(area_code) if area_code else "city"
    child = CHILD_LEVEL.get(level) or level
    if view == "requests":
        return {"hotspots": work_orders.read_hotspots(engine, month, "community" if level == "city" else "grid", 12)}
    if view == "members":
        coverage_level = child if child in ("district", "street", "community") else "community"
        return {"coverage": members.read_member_coverage(engine, coverage_level, area_code if coverage_level != level
                                                         else None),
                "under": members.read_under_covered_communities(engine, area_code).head(12)}
    if view == "stations":
        return {"stations": stations.read_stations(engine, area_code, (), ("open",)),
                "counts": stations.read_station_counts(engine, area_code)}
    return {}
