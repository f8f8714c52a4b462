"""What is the same for every session is read and built once: shared geography, and one read per wall tick."""

from __future__ import annotations

import pytest
import streamlit as st

from components import cached, maps
from data_access import wall as wall_data
from data_access.roles import Viewer

# Walls read as a wall key does (requests without callers: data_access.roles.PERSONAL_DATA).
WALL = Viewer("wall:test", "wall")


@pytest.fixture
def city(sqlite_city_url, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield sqlite_city_url
    st.cache_resource.clear()
    st.cache_data.clear()


def test_every_session_gets_the_same_areas_with_their_screen_shapes_built_once(city):
    first, second = cached.load_areas("community"), cached.load_areas("community")
    assert first is second
    assert first[maps.SCREEN_SHAPE].tolist() == maps.build_screen_shapes(first, "community")
    features = maps.build_area_features(first, "community", ["code"])
    assert [feature["geometry"] for feature in features["features"]] == first[maps.SCREEN_SHAPE].tolist()


def test_walls_on_the_same_area_and_tick_share_one_read(city, monkeypatch):
    reads = []
    original = wall_data.read_wall_snapshot

    def counting(engine, scope, *args):
        reads.append(scope.code)
        return original(engine, scope, *args)

    monkeypatch.setattr(wall_data, "read_wall_snapshot", counting)
    monkeypatch.setattr(cached.time, "time", lambda: 1_000_000.0)
    district = cached.load_areas("district")["code"].iloc[0]
    walls = [cached.load_wall_reading(WALL.scope(), "overview", 5, 8) for _ in range(4)]
    assert len(reads) == 1 and all(reading is walls[0] for reading in walls)
    cached.load_wall_reading(WALL.scope(district), "overview", 5, 8)
    assert reads == [None, district]
    monkeypatch.setattr(cached.time, "time", lambda: 1_000_005.0)  # the next tick reads again
    cached.load_wall_reading(WALL.scope(), "overview", 5, 8)
    assert len(reads) == 3


def test_past_ticks_readings_are_not_kept(city, monkeypatch):
    """A tick's reading is asked for only during its tick: the wall's cache keeps at most WALL_READINGS_KEPT, so
    four walls at a 5-second refresh do not pile up readings for ten minutes (issue 12)."""
    reads = []
    monkeypatch.setattr(wall_data, "read_wall_snapshot", lambda engine, scope, *args: reads.append(scope) or object())
    monkeypatch.setattr(wall_data, "read_wall_view", lambda *args: object())
    first = 1_000_000
    for tick in range(cached.WALL_READINGS_KEPT + 1):
        monkeypatch.setattr(cached.time, "time", lambda tick=tick: (first + tick) * 5.0)
        cached.load_wall_reading(WALL.scope(), "overview", 5, 8)
    assert len(reads) == cached.WALL_READINGS_KEPT + 1
    cached.load_wall_reading(WALL.scope(), "overview", 5, 8)  # the newest tick is still shared
    assert len(reads) == cached.WALL_READINGS_KEPT + 1
    monkeypatch.setattr(cached.time, "time", lambda: first * 5.0)  # the oldest one is gone
    cached.load_wall_reading(WALL.scope(), "overview", 5, 8)
    assert len(reads) == cached.WALL_READINGS_KEPT + 2
    assert cached.WALL_READING_SECONDS <= 60
