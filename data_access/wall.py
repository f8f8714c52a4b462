"""The wall display's snapshot: every figure the big screen shows, read together, aggregates and masked text only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from data_access import areas, figures, members, stations, tasks, work_orders
from data_access.alerts import AREA_ALERT_KINDS, read_alert_areas, read_alert_list, read_open_alert_count
from data_access.city_time import days_window
from data_access.figures import Figure
from data_access.filters import WorkOrderFilter
from data_access.scope import AreaScope

TICKER_ORDERS = 15
RANKED_AREAS = 12


@dataclass(frozen=True)
class WallSnapshot:
    """What the wall shows at one moment.

    The tiles, trend and ticker are about the scope's own area; the map's heat and the ranking are about the
    areas the map draws (`scope.child_level` inside `scope.map_parent`: at a grid, its community's grids), so
    the map and the ranking agree, and the selected area's row in the ranking equals its 30-day tile.
    """

    taken_at: int
    # Each with its previous period: received_today (against yesterday up to the same time), and for the last
    # 30 days received, the KPIs (KPI_DEFINITIONS keys), open and overdue (now, against 30 days ago), and
    # members_active_week (against the week before).
    figures: dict[str, Figure]
    stations_open: int
    daily: pd.DataFrame
    ranking: pd.DataFrame
    latest: pd.DataFrame
    heat: pd.DataFrame
    heat_resolution: int
    # Supervision tasks about the scope's area and inside it: by state, unfinished and overdue (data_access.tasks).
    tasks: dict
    # Open alerts inside the scope (data_access.alerts): the title bar's count.
    open_alerts: int

    @property
    def received_today(self) -> int:
        return int(self.figures["received_today"].value)

    @property
    def received_30d(self) -> int:
        return int(self.figures["received"].value)

    @property
    def backlog(self) -> dict[str, int]:
        return {key: int(self.figures[key].value) for key in ("open", "overdue")}


@dataclass(frozen=True)
class WallBase:
    """Shapes that do not change while the wall runs, and the city's facts when it started."""

    scope: AreaScope
    shapes: gpd.GeoDataFrame  # the areas the map draws: scope.child_level inside scope.map_parent
    districts: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    facts: dict
    # The selected grid's population, or None above grid level (a grid in a river has no residents).
    grid_population: int | None = None


@dataclass(frozen=True)
class OverviewView:
    """The overview view needs nothing beyond the snapshot."""


@dataclass(frozen=True)
class RequestsView:
    """Hotspots of the last 30 days (communities for the city, grids inside an area)."""

    hotspots: pd.DataFrame


@dataclass(frozen=True)
class MembersView:
    """Member coverage keyed by area code at `coverage_level` (communities at most: targets stop there),
    and the communities below target, worst first."""

    coverage_level: str
    coverage: pd.DataFrame
    under: pd.DataFrame


@dataclass(frozen=True)
class StationsView:
    """Open stations in the area and counts per type."""

    stations: pd.DataFrame
    counts: pd.DataFrame


@dataclass(frozen=True)
class AlertsView:
    """The open alerts inside the area, newest first, with their areas' names (alerts.read_alert_list), and the
    shapes of the areas flagged by surges and backlog jumps (repeat clusters are drawn at their centres)."""

    alerts: pd.DataFrame
    areas: gpd.GeoDataFrame


WallView = OverviewView | RequestsView | MembersView | StationsView | AlertsView
WALL_VIEWS = ("overview", "requests", "members", "stations", "alerts")


def _month(scope: AreaScope, today: date) -> WorkOrderFilter:
    return WorkOrderFilter(*days_window(today, 30), area=scope)


def read_wall_snapshot(engine: Engine, scope: AreaScope, now: int, today: date,
                       heat_resolution: int) -> WallSnapshot:
    """Read every wall figure for the scope as of `now`.

    `ranking` has code, name_zh, name_en, received (30 days) for the areas the map draws, largest first;
    `latest` holds masked orders only (see work_orders.read_latest_orders).
    """
    month = _month(scope, today)
    mapped = replace(month, area=scope.map_parent)
    ranking = work_orders.read_counts_by_area(engine, mapped, scope.child_level, now)
    latest = work_orders.read_latest_orders(engine, WorkOrderFilter(None, now + 1, area=scope), TICKER_ORDERS)
    return WallSnapshot(
        taken_at=now,
        figures={
            "received_today": figures.read_received_figure(engine, WorkOrderFilter(*days_window(today, 1), area=scope),
                                                           now),
            **figures.read_order_figures(engine, month, now),
            "members_active_week": figures.read_member_figures(engine, scope, today)["members_active_week"],
        },
        stations_open=int(stations.read_station_counts(engine, scope)["open"].sum()),
        daily=work_orders.read_daily_counts(engine, month),
        ranking=ranking.sort_values(["received", "code"], ascending=[False, True])
        [["code", "name_zh", "name_en", "received"]].reset_index(drop=True),
        latest=latest[["order_no", "received_at", "category_l1", "title", "status", "community_name_zh",
                       "community_name_en"]],
        heat=work_orders.read_h3_heat(engine, mapped, heat_resolution, now),
        heat_resolution=heat_resolution,
        tasks=tasks.read_task_totals(engine, scope, now),
        open_alerts=read_open_alert_count(engine, scope),
    )


def read_wall_base(engine: Engine, scope: AreaScope) -> WallBase:
    """The shapes the wall draws for the scope, the districts, the water and the city's facts."""
    shapes = areas.read_areas(engine, scope.child_level, scope.map_parent)
    population = None
    if scope.level == "grid":
        area = areas.read_area(engine, scope)
        population = int(area["population"]) if area else 0
    return WallBase(scope, shapes, areas.read_areas(engine, "district"), areas.read_water(engine),
                    areas.read_city_facts(engine), population)


def read_wall_view(engine: Engine, view: str, scope: AreaScope, now: int, today: date) -> WallView:
    """The extra figures of a carousel view. Aggregates and names of places only."""
    if view == "requests":
        level = "community" if scope.is_city else "grid"
        return RequestsView(work_orders.read_hotspots(engine, _month(scope, today), level, RANKED_AREAS))
    if view == "members":
        level, inside = members.coverage_scope(scope)
        return MembersView(level, members.read_member_coverage(engine, level, inside),
                           members.read_under_covered_communities(engine, inside).head(RANKED_AREAS))
    if view == "stations":
        return StationsView(stations.read_stations(engine, scope, (), ("open",)),
                            stations.read_station_counts(engine, scope))
    if view == "alerts":
        return AlertsView(read_alert_list(engine, scope), read_alert_areas(engine, scope, AREA_ALERT_KINDS))
    return OverviewView()
