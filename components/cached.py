"""Cached wrappers that pages call: `load_x(...)` = `read_x(engine, ...)` through st.cache_data."""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from data_access import areas, coverage, grid_workers, kpis, members, stations, work_orders
from data_access.db import WALL_TIMEOUT_MS, create_db_engine, database_url, has_data

# Dashboard figures may be this many seconds old; the wall display refreshes on its own timer.
CACHE_SECONDS = 60


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine (connection pool) per database URL for the whole server."""
    return create_db_engine(url)


@st.cache_resource(show_spinner=False)
def _wall_engine_for(url: str) -> Engine:
    """The wall's own pool, with short query timeouts (a slow database turns into a stale badge)."""
    return create_db_engine(url, timeout_ms=WALL_TIMEOUT_MS)


@st.cache_data(ttl=10, show_spinner=False)
def _has_data(url: str) -> bool:
    return has_data(_engine_for(url))


def database_has_data() -> bool:
    """True when the configured database holds a loaded city (rechecked every few seconds)."""
    return _has_data(database_url())


def get_engine() -> Engine:
    """The dashboard's engine on the configured database (one pool per server)."""
    return _engine_for(database_url())


def get_wall_engine() -> Engine:
    """Return the wall's engine on the configured database."""
    return _wall_engine_for(database_url())


def _cached(read: Callable) -> Callable:
    """Wrap read_x(engine, *args) as a cached load_x(*args) keyed by the database URL and the arguments."""
    name = "load_" + read.__name__.removeprefix("read_")

    def load(database: str, *args, **kwargs):
        return read(_engine_for(database), *args, **kwargs)

    load.__name__ = name
    load.__qualname__ = f"{read.__module__}.{read.__qualname__}"
    cached = st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)(load)

    @functools.wraps(read)
    def call(*args, **kwargs):
        return cached(database_url(), *args, **kwargs)

    call.__name__ = name
    return call


load_city_facts = _cached(areas.read_city_facts)
load_areas = _cached(areas.read_areas)
load_area = _cached(areas.read_area)
load_area_path = _cached(areas.read_area_path)
load_water = _cached(areas.read_water)
load_kpis = _cached(kpis.read_kpis)
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
load_stations = _cached(stations.read_stations)
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
load_area_counts = _cached(areas.read_area_counts)
