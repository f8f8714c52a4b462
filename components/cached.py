"""Cached wrappers that pages call: `load_x(...)` = `read_x(engine, ...)` through st.cache_data.

Reads go to the read database (a streaming replica, `database_url(reads=True)`) and, when it cannot answer,
to the primary; writes (the audit, the administration page) go to the primary through `get_engine()`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from components import maps
from data_access import (
    alerts,
    areas,
    coverage,
    figures,
    grid_workers,
    kpis,
    members,
    migrate,
    replica,
    stations,
    tasks,
    work_orders,
)
from data_access import wall as wall_data
from data_access.city_time import local_date, reference_now
from data_access.db import WALL_TIMEOUT_MS, create_db_engine, database_unavailable, database_url, has_data
from data_access.scope import CITY, AreaScope

log = logging.getLogger("cityscreen.cached")
# Dashboard figures may be this many seconds old; the wall display refreshes on its own timer.
CACHE_SECONDS = 60
# A database that could not answer is asked last for this long (a replica down costs one failed connection,
# not one per read); then it is asked first again.
UNAVAILABLE_SECONDS = 10
# How often a page asks how far the replica is behind (the wall asks on every tick).
LAG_CACHE_SECONDS = 5
_unavailable_until: dict[str, float] = {}
_unavailable_lock = threading.Lock()
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine (connection pool) per database URL for the whole server."""
    return create_db_engine(url)


@st.cache_resource(show_spinner=False)
def _wall_engine_for(url: str) -> Engine:
    """The wall's own pool, with short query timeouts (a slow database turns into a stale badge)."""
    return create_db_engine(url, timeout_ms=WALL_TIMEOUT_MS)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _urls_to_try(primary_first: bool) -> list[str]:
    """The read database and the primary (one URL when no read URL is set), those that just failed last."""
    primary, reads = database_url(), database_url(reads=True)
    urls = list(dict.fromkeys([primary, reads] if primary_first else [reads, primary]))
    now = time.monotonic()
    return sorted(urls, key=lambda url: _unavailable_until.get(url, 0.0) > now)


def _through(read: Callable[[str], T], primary_first: bool = False) -> T:
    """read(url) on the first database to try; on the next one when that one cannot be reached."""
    urls = _urls_to_try(primary_first)
    for url in urls[:-1]:
        try:
            return read(url)
        except Exception as error:
            if not database_unavailable(error):
                raise
            with _unavailable_lock:
                _unavailable_until[url] = time.monotonic() + UNAVAILABLE_SECONDS
            log.warning("%s did not answer (%s); reading from %s", _shown(url), type(error).__name__,
                        _shown(urls[-1]))
    return read(urls[-1])


def read_through(read: Callable[[Engine], T], *, wall: bool = False, primary_first: bool = False) -> T:
    """Run read(engine) uncached on the read database, or on the primary when the read database is out of reach
    (the other way round with primary_first: who may see what is read fresh from the primary while it answers).
    `wall` uses the wall's pools, whose short time limits turn a slow database into its stale badge."""
    pool = _wall_engine_for if wall else _engine_for
    return _through(lambda url: read(pool(url)), primary_first)


@st.cache_data(ttl=10, show_spinner=False)
def _has_data(url: str) -> bool:
    return has_data(_engine_for(url))


@st.cache_data(ttl=10, show_spinner=False)
def _schema_problem(url: str) -> str | None:
    with _engine_for(url).connect() as connection:
        return migrate.schema_problem(connection)


def schema_problem() -> str | None:
    """Why the read database's schema does not match this code (rechecked every few seconds), or None."""
    return _through(_schema_problem)


def database_has_data() -> bool:
    """True when the read database holds a loaded city (rechecked every few seconds)."""
    return _through(_has_data)


@st.cache_data(ttl=LAG_CACHE_SECONDS, show_spinner=False)
def _lag_seconds(url: str) -> float:
    return replica.read_lag_seconds(_engine_for(url))


def load_lag_seconds() -> float:
    """How many seconds the figures pages read are behind the primary (0 without a replica)."""
    return _through(_lag_seconds)


def get_engine() -> Engine:
    """The primary database's engine (one pool per server): for writes (the audit, administration)."""
    return _engine_for(database_url())


def _cached(read: Callable, cache: Callable = st.cache_data) -> Callable:
    """Wrap read_x(engine, *args) as a cached load_x(*args) keyed by the database URL and the arguments, read
    from the read database (or the primary when it cannot answer)."""
    name = "load_" + read.__name__.removeprefix("read_")

    def load(database: str, *args, **kwargs):
        return read(_engine_for(database), *args, **kwargs)

    load.__name__ = name
    load.__qualname__ = f"{read.__module__}.{read.__qualname__}"
    cached = cache(ttl=CACHE_SECONDS, show_spinner=False)(load)

    @functools.wraps(read)
    def call(*args, **kwargs):
        return _through(lambda url: cached(url, *args, **kwargs))

    call.__name__ = name
    return call


def _shared(read: Callable) -> Callable:
    """As _cached, through st.cache_resource: every session gets the same object, neither copied nor unpickled
    (unpickling the grid polygons was a fifth of a map page's run). For geography and stations, which change only
    with a load; callers never modify what they get (tests/pages/test_pages.py checks)."""
    return _cached(read, st.cache_resource)


def _read_map_areas(engine: Engine, level: str, inside: AreaScope = CITY, with_geometry: bool = True):
    """read_areas with each shape also ready for the screen (maps.SCREEN_SHAPE), simplified once per server."""
    frame = areas.read_areas(engine, level, inside, with_geometry)
    return maps.with_screen_shapes(frame, level) if with_geometry else frame


def _read_map_water(engine: Engine):
    """read_water with the shapes ready for the screen."""
    return maps.with_screen_shapes(areas.read_water(engine), "district")


_read_map_areas.__name__, _read_map_water.__name__ = "read_areas", "read_water"

load_city_facts = _cached(areas.read_city_facts)
load_areas = _shared(_read_map_areas)
load_area = _cached(areas.read_area)
load_area_path = _cached(areas.read_area_path)
load_water = _shared(_read_map_water)
load_kpis = _cached(kpis.read_kpis)
load_order_figures = _cached(figures.read_order_figures)
load_received_figure = _cached(figures.read_received_figure)
load_member_figures = _cached(figures.read_member_figures)
load_order_totals = _cached(work_orders.read_order_totals)
load_backlog = _cached(work_orders.read_backlog)
load_counts_by_area = _cached(work_orders.read_counts_by_area)
load_daily_counts = _cached(work_orders.read_daily_counts)
load_hourly_profile = _cached(work_orders.read_hourly_profile)
load_category_counts = _cached(work_orders.read_category_counts)
load_channel_counts = _cached(work_orders.read_channel_counts)
load_h3_heat = _cached(work_orders.read_h3_heat)
load_hotspots = _cached(work_orders.read_hotspots)
load_growth_hotspots = _cached(work_orders.read_growth_hotspots)
load_latest_orders = _cached(work_orders.read_latest_orders)
load_whistle_cases = _cached(work_orders.read_whistle_cases)
load_order_timeline = _cached(work_orders.read_order_timeline)
load_stations = _shared(stations.read_stations)
load_station_counts = _cached(stations.read_station_counts)
load_member_summary = _cached(members.read_member_summary)
load_member_coverage = _cached(members.read_member_coverage)
load_under_covered_communities = _cached(members.read_under_covered_communities)
load_activity_by_kind = _cached(members.read_activity_by_kind)
load_daily_activity = _cached(members.read_daily_activity)
load_claimed_posts = _cached(members.read_claimed_posts)
load_grid_workers = _cached(grid_workers.read_grid_workers)
load_grid_coverage = _cached(coverage.read_grid_coverage)
load_daily_resolved = _cached(work_orders.read_daily_resolved)
load_tour_order = _cached(work_orders.read_tour_order)
load_tour_task = _cached(tasks.read_tour_task)
load_area_counts = _cached(areas.read_area_counts)
load_alert_list = _cached(alerts.read_alert_list)
load_alert_areas = _cached(alerts.read_alert_areas)
load_alert_series = _cached(alerts.read_alert_series)
load_alerts_through = _cached(alerts.read_through)


@dataclass(frozen=True)
class WallReading:
    """What one wall tick shows: the city's facts, the data's "now", the snapshot and the carousel view's figures."""

    facts: dict[str, str]
    now: int
    snapshot: wall_data.WallSnapshot
    view: wall_data.WallView


# A tick's reading is asked for only during its tick (the tick is in the key): kept a minute, long enough for every
# wall of the tick at any refresh up to a minute, then dropped on the next write. Kept 600 s (up to 256), four walls
# at 5 s piled up ~45 dead readings (five frames each) per 90-second round of the load test (issue 12).
WALL_READING_SECONDS = 60
# Distinct (area, view, refresh, resolution) walls at once, times the ticks of a minute at their refresh.
WALL_READINGS_KEPT = 64


@st.cache_resource(ttl=WALL_READING_SECONDS, max_entries=WALL_READINGS_KEPT, show_spinner=False)
def _wall_reading(database: str, scope: AreaScope, view: str, tick: int, tick_seconds: int,
                  heat_resolution: int) -> WallReading:
    engine = _wall_engine_for(database)
    facts = areas.read_city_facts(engine)
    # The data's clock moves while the wall runs (a live feed advances as_of): read it every tick, and date the
    # figures by what this database holds (a replica's lag shows, never hidden).
    now = reference_now(facts, tick * tick_seconds - replica.read_lag_seconds(engine))
    today = local_date(now)
    return WallReading(facts, now, wall_data.read_wall_snapshot(engine, scope, now, today, heat_resolution),
                       wall_data.read_wall_view(engine, view, scope, now, today))


def load_wall_reading(scope: AreaScope, view: str, refresh_seconds: int, heat_resolution: int) -> WallReading:
    """One tick of the wall, read once for every wall on the same area, view and refresh (four walls, one read);
    a tick is a `refresh_seconds` slice of the clock, so no wall shows figures older than one refresh. A failed
    read is not kept: the next wall in the tick tries again. From the read database, else the primary."""
    tick = int(time.time() // refresh_seconds)
    return _through(lambda url: _wall_reading(url, scope, view, tick, refresh_seconds, heat_resolution))
