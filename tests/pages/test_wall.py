"""The wall display in AppTest: its figures come from the data layer, it hides people, and it survives an outage."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from components.tiles import format_count, format_rate
from data_access import kpis, work_orders
from data_access.areas import read_city_facts
from data_access.city_time import days_window, local_date, reference_now
from data_access.db import create_db_engine
from data_access.filters import WorkOrderFilter
from tests import expected

ROOT = Path(__file__).resolve().parents[2]


def html_of(app: AppTest) -> str:
    return "\n".join(element.proto.body for element in app.get("html"))


@pytest.fixture
def wall(sqlite_city_url, monkeypatch) -> AppTest:
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "wall"
    return app


@pytest.mark.parametrize("language", ["zh", "en"])
def test_wall_tiles_equal_the_data_layer(wall, sqlite_city_url, language):
    wall.query_params["lang"] = language
    wall.run()
    assert not wall.exception and not wall.error
    engine = create_db_engine(sqlite_city_url)
    now = reference_now(read_city_facts(engine), 0)
    month = WorkOrderFilter(*days_window(local_date(now), 30))
    satisfaction = kpis.read_kpis(engine, month, now).set_index("kpi").loc["satisfaction_rate", "rate"]
    received = work_orders.read_order_totals(engine, month, now)["received"]
    engine.dispose()
    body = html_of(wall)
    assert f">{format_count(received)}<" in body
    assert f">{format_rate(satisfaction)}<" in body
    assert translate("wall.title", language) in body
    assert translate("app.synthetic", language) in body
    assert len(wall.get("deck_gl_json_chart")) == 1
    assert not wall.sidebar.children if hasattr(wall.sidebar, "children") else True


def test_wall_shows_no_name_or_phone(wall, city_dir):
    wall.run()
    body = html_of(wall) + "".join(element.proto.json for element in wall.get("deck_gl_json_chart"))
    callers = expected.csv(city_dir, "work_orders.csv")
    names = {name for name in callers["caller_name"].dropna() if len(name) >= 2}
    assert not any(name in body for name in names)
    assert not any(phone in body for phone in callers["caller_phone"].dropna())


def test_wall_panels_come_from_the_url(wall):
    wall.query_params["panels"] = "kpis,ticker"
    wall.run()
    body = html_of(wall)
    assert 'data-testid="wall-ticker"' in body and 'data-testid="wall-tile"' in body
    assert 'data-testid="wall-ranking"' not in body
    assert len(wall.get("deck_gl_json_chart")) == 0


def test_wall_keeps_the_last_figures_when_the_database_fails(wall, monkeypatch):
    wall.run()
    first = html_of(wall)
    assert 'data-testid="wall-stale"' not in first

    from data_access import wall as wall_queries

    def database_down(*_args, **_kwargs):
        raise ConnectionError("connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(wall_queries.work_orders, "read_order_totals", database_down)
        wall.run()
        assert not wall.exception and not wall.error
        stale = html_of(wall)
    assert 'data-testid="wall-stale"' in stale
    # The figures are the last good ones.
    tiles = first.split('class="wall-tiles"')[1].split("</div></div></div>")[0]
    assert tiles in stale
    # The database is back: the next refresh recovers by itself.
    wall.run()
    assert 'data-testid="wall-stale"' not in html_of(wall)


@pytest.mark.parametrize("view", ["overview", "requests", "members", "stations"])
def test_each_carousel_view_renders(wall, view):
    wall.query_params["rotate"] = view
    wall.run()
    assert not wall.exception and not wall.error
    body = html_of(wall)
    assert f">{translate(f'wall.view.{view}', 'zh')}<" in body
    assert 'data-testid="wall-ranking"' in body
    assert len(wall.get("deck_gl_json_chart")) == 1


def test_the_carousel_rotates_with_the_clock(wall, monkeypatch):
    wall.query_params["rotate"] = "overview,stations"
    wall.query_params["every"] = "30"
    monkeypatch.setattr("time.time", lambda: 30 * 1001 + 1.0)  # an odd slot: the second view
    wall.run()
    assert f">{translate('wall.view.stations', 'zh')}<" in html_of(wall)
