"""Dashboards read the replica, the primary when the replica is out of reach, and the replica when the primary is;
writes (the audit) go to the primary. Real PostgreSQL: the primary and streaming replica the test starts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import streamlit as st
from sqlalchemy import text

from components import auth, cached
from data_access import audit, db
from data_access.city_time import local_text
from data_access.roles import Viewer
from tests import apps
from tests.cluster import engine_of, replay_paused, stopped, wait_until

HANDLER = Viewer("sub-handler", "case_handler", None, "Handler")


@pytest.fixture
def urls(cluster, monkeypatch):
    """The app configured as the cluster's processes are: the primary and the read URL."""
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, cluster.primary_url)
    monkeypatch.setenv(db.READ_DATABASE_URL_VARIABLE, cluster.replica_url)
    monkeypatch.setattr(cached, "_unavailable_until", {})
    _forget_every_read()
    yield cluster
    _forget_every_read()


def _forget_every_read() -> None:
    """Cached figures, shared geography and the walls' per-tick readings: each run reads its database again."""
    st.cache_data.clear()
    st.cache_resource.clear()


def _fact(url: str, key: str) -> str:
    engine = engine_of(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT value FROM meta WHERE key = :key"), {"key": key}).scalar_one()
    finally:
        engine.dispose()


def _city_name(url: str) -> str:
    return _fact(url, "city_name_en")


def _set_fact_on_the_primary(cluster, key: str, value: str) -> None:
    engine = engine_of(cluster.primary_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE meta SET value = :value WHERE key = :key"), {"key": key, "value": value})
    finally:
        engine.dispose()


def _rename_city_on_the_primary(cluster, name: str) -> None:
    _set_fact_on_the_primary(cluster, "city_name_en", name)


def _overview_title() -> str:
    _forget_every_read()
    app = apps.whole_app()
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception and not app.error, [element.value for element in app.error]
    return app.title[0].value


def _wall_html() -> str:
    _forget_every_read()
    app = apps.whole_app()
    app.query_params.update({"mode": "wall", "lang": "en"})
    app.run()
    assert not app.exception and not app.error
    return "\n".join(element.proto.body for element in app.get("html"))


def test_pages_and_the_wall_read_the_replica_and_date_the_figures_by_what_it_holds(urls):
    cluster = urls
    name, as_of = _city_name(cluster.primary_url), _fact(cluster.primary_url, "as_of")
    later = str(int(as_of) + 3 * 3600)  # as the live feed moves the data's clock
    try:
        with replay_paused(cluster):
            _rename_city_on_the_primary(cluster, "Renamed on the primary")
            _set_fact_on_the_primary(cluster, "as_of", later)
            assert _city_name(cluster.replica_url) == name
            assert name in _overview_title()
            wall = _wall_html()
            assert name in wall and "Renamed on the primary" not in wall
            assert local_text(int(as_of)) in wall and local_text(int(later)) not in wall
    finally:
        _rename_city_on_the_primary(cluster, name)
        _set_fact_on_the_primary(cluster, "as_of", as_of)
    wait_until(lambda: _fact(cluster.replica_url, "as_of") == as_of, timeout=10)


def test_with_the_replica_down_pages_and_the_wall_read_the_primary(urls):
    cluster = urls
    name = _city_name(cluster.primary_url)
    with stopped(cluster, "replica"):
        assert name in _overview_title()
        wall = _wall_html()
        assert name in wall and 'data-testid="wall-stale"' not in wall and 'data-testid="wall-tile"' in wall


def _grid_map_title() -> str:
    _forget_every_read()
    app = apps.staff_page("grid-map")
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception and not app.error, [element.value for element in app.error]
    return app.title[0].value


def test_with_the_primary_down_pages_and_the_wall_show_what_the_replica_has(urls):
    cluster = urls
    name = _city_name(cluster.replica_url)
    with stopped(cluster, "primary"):
        assert name in _overview_title()
        assert name in _grid_map_title()  # its task counts too (read from the primary while it answers)
        wall = _wall_html()
        assert name in wall and 'data-testid="wall-stale"' not in wall and 'data-testid="wall-tile"' in wall


def test_personal_data_is_not_shown_when_its_audit_cannot_be_written_on_the_primary(urls, monkeypatch):
    cluster = urls
    monkeypatch.setitem(st.session_state, "audited_views", set())
    page = SimpleNamespace(language="en", viewer=HANDLER, scope=SimpleNamespace(code=None))
    with stopped(cluster, "primary"):
        assert auth.load_personal(page, "requests", lambda: "masked rows") is None
    assert auth.load_personal(page, "requests", lambda: "masked rows") == "masked rows"
    engine = engine_of(cluster.primary_url)
    try:
        records = audit.read_audit(engine, Viewer("test-admin", "admin"), subject=HANDLER.subject)
    finally:
        engine.dispose()
    assert list(records["action"]) == ["view_personal"]
