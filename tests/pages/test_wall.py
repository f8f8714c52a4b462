"""The wall display in AppTest: its figures come from the data layer, it hides people, and it survives an outage."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.i18n import translate
from components.tiles import format_count, format_rate
from data_access import kpis, work_orders
from data_access.areas import read_city_facts
from data_access.city_time import days_window, local_date, reference_now
from data_access.db import create_db_engine
from data_access.filters import WorkOrderFilter
from data_access.ingest import load_directory
from data_access.scope import AreaScope
from tests import apps, expected

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

    from components import cached

    with monkeypatch.context() as outage:
        outage.setattr(wall_queries.work_orders, "read_latest_orders", database_down)
        cached._wall_reading.clear()  # a new tick: walls share one reading per tick
        wall.run()
        assert not wall.exception and not wall.error
        stale = html_of(wall)
    assert 'data-testid="wall-stale"' in stale
    # The figures are the last good ones.
    tiles = first.split('class="wall-tiles"')[1].split("</div></div></div>")[0]
    assert tiles in stale
    # The database is back: the next refresh recovers by itself.
    cached._wall_reading.clear()
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


def open_wall(wall: AppTest, **params: str) -> str:
    for key, value in params.items():
        wall.query_params[key] = value
    wall.run()
    assert not wall.exception, [item.message for item in wall.exception]
    assert not wall.error, [item.value for item in wall.error]
    return html_of(wall)


EMPTY_WORDS = {"overview": "wall.empty.orders", "requests": "wall.empty.orders", "stations": "wall.empty.stations"}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("view", ["overview", "requests", "members", "stations", "alerts"])
def test_a_quiet_grid_renders_every_view_with_words_for_empty_panels(wall, city_dir, view, language):
    grid = expected.quiet_grid(city_dir)
    body = open_wall(wall, area=grid, rotate=view, lang=language)
    assert translate("wall.empty.orders", language) in body  # its trend panel: no requests in 30 days
    assert len(wall.get("deck_gl_json_chart")) == 1
    if view == "requests":  # the grid's own hotspots: none
        assert '<div data-testid="wall-ranking"><div class="wall-empty"' in body
    if view == "alerts":  # the test city's alerts were never computed: none open
        assert f'<div data-testid="wall-alerts"><div class="wall-empty" data-testid="wall-empty">' \
               f'{translate("wall.empty.alerts", language)}</div>' in body
        assert 'data-count="0"' in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_community_meeting_its_target_says_so(wall, city_dir, language):
    community = expected.community_meeting_target(city_dir)
    body = open_wall(wall, area=community, rotate="members", lang=language)
    assert translate("wall.empty.under", language) in body


@pytest.mark.parametrize("level", ["city", "district", "street", "community", "grid"])
def test_the_wall_at_every_level_shows_the_raw_files_counts(wall, city_dir, level):
    start, end = expected.local_days_window(city_dir, 30)
    grid = expected.orders_in(city_dir, None, start, end)["grid_code"].value_counts().index[0]
    digits = {"city": 0, "district": 6, "street": 9, "community": 12, "grid": 15}[level]
    area = grid[:digits] or None
    body = open_wall(wall, lang="en", **({"area": area} if area else {}))
    received = len(expected.orders_in(city_dir, area, start, end))
    assert f'<div class="wall-tile-value">{format_count(received)}</div>' in body
    scope = AreaScope.of(area)
    shown = expected.counts_per_area(city_dir, scope.child_level, scope.map_parent.code, start, end)
    names = expected.areas(city_dir, scope.child_level).set_index("code")["name_en"]
    if scope.child_level == "grid":  # a community's grids are named without their community's name
        community = expected.areas(city_dir, "community").set_index("code").loc[scope.map_parent.code, "name_en"]
        names = names.str.removeprefix(f"{community} ")
    ranking = body.split('data-testid="wall-ranking"')[1]
    for code, count in sorted(shown.items(), key=lambda item: (-item[1], item[0]))[:12]:
        assert f">{names[code]}</span>" in ranking and f">{count:,}</span>" in ranking, code
    if level == "grid":  # the selected grid's own row agrees with its tile
        assert shown[area] == received


def test_the_wall_with_an_empty_database_is_calm(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{tmp_path / 'nothing.sqlite'}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "wall"
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception and not app.error
    assert translate("wall.no_data", "en") in html_of(app)
    assert len(app.get("deck_gl_json_chart")) == 0


def test_a_grid_in_water_says_so(city_dir, tmp_path, monkeypatch):
    # The test city has no grid without residents: make one in a copy of its files.
    directory = tmp_path / "city"
    shutil.copytree(city_dir, directory)
    grids = json.loads((directory / "grids.geojson").read_text(encoding="utf-8"))
    grid = grids["features"][0]["properties"]["code"]
    grids["features"][0]["properties"].update(population=0, households=0)
    (directory / "grids.geojson").write_text(json.dumps(grids, ensure_ascii=False), encoding="utf-8")
    engine = create_db_engine(f"sqlite:///{tmp_path / 'water.sqlite'}")
    load_directory(directory, engine)
    engine.dispose()
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{tmp_path / 'water.sqlite'}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params.update(mode="wall", area=grid, lang="en")
    app.run()
    assert not app.exception and not app.error
    assert translate("area.water_grid", "en") in html_of(app)
    for page in ("overview", "grid-map"):
        staff = apps.staff_page(page)
        staff.query_params.update(area=grid, lang="zh")
        staff.run()
        assert not staff.exception and not staff.error
        assert translate("area.water_grid", "zh") in [item.value for item in staff.info]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_wall_tiles_show_their_change_and_the_previous_value(wall, city_dir, language):
    body = open_wall(wall, lang=language)
    start, end = expected.local_days_window(city_dir, 30)
    now = int(expected.as_of(city_dir).timestamp())
    received = len(expected.orders_in(city_dir, None, start, end))
    before = len(expected.orders_in(city_dir, None, *expected.previous_period(start, end, now)))
    change = received / before - 1
    arrow = "▲" if change > 0 else "▼"
    # The change and the previous value each a span of its own (the previous one wraps under a narrow tile's change).
    line = (f"<span>{arrow} {'+' if change > 0 else '−'}{abs(change) * 100:.1f}%</span>"
            f"<span class=\"wall-tile-previous\">"
            f"{translate('wall.previous', language, value=format_count(before))}</span>")
    tile = body.split(f">{format_count(received)}</div>")[1].split("</div>")[0]
    assert line in tile
    assert ("#ff6b5e" if change > 0 else "#4ade80") in tile  # more requests is worse
    assert body.count('data-testid="wall-change"') == 8  # six tiles across the top, two beside the trend
    assert translate("change.none", language) in body  # stations open: the register keeps no history


@pytest.fixture(scope="module")
def alert_city_url(city_dir, tmp_path_factory) -> str:
    """The crafted city of tests/alert_city.py with its alerts of the day before DAY and of DAY."""
    from datetime import timedelta

    from data_access.alerts import compute_alerts
    from tests.alert_city import DAY, write_crafted_city

    directory = tmp_path_factory.mktemp("wall-alert-city")
    write_crafted_city(city_dir, directory)
    url = f"sqlite:///{tmp_path_factory.mktemp('wall-alert-db') / 'city.sqlite'}"
    engine = create_db_engine(url)
    load_directory(directory, engine)
    compute_alerts(engine, DAY - timedelta(days=1))
    compute_alerts(engine, DAY)
    engine.dispose()
    return url


def alert_wall(url: str, monkeypatch, **params: str) -> tuple[AppTest, str]:
    from components import cached

    monkeypatch.setenv("CITYSCREEN_DB_URL", url)
    cached._wall_reading.clear()  # walls share one reading per tick: this is another database
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["mode"] = "wall"
    body = open_wall(app, **params)
    return app, body


def count_badge(body: str) -> int:
    return int(body.split('data-testid="wall-alert-count" data-count="')[1].split('"')[0])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_alerts_view_lists_the_open_alerts_and_the_title_bar_counts_them(alert_city_url, city_dir, monkeypatch,
                                                                             language):
    from components import alerts as alert_text
    from data_access.alerts import read_alert_list, read_open_alert_count

    engine = create_db_engine(alert_city_url)
    listed = read_alert_list(engine)
    count = read_open_alert_count(engine)
    engine.dispose()
    app, body = alert_wall(alert_city_url, monkeypatch, rotate="alerts", lang=language)
    assert f">{translate('wall.view.alerts', language)}<" in body and f">{translate('wall.alerts', language)}<" in body
    assert count_badge(body) == count == len(listed) >= 3
    assert f">{translate('wall.alert_count', language, count=count)}<" in body
    items = body.split('data-testid="wall-alerts"')[1].split('data-testid="wall-alert" ')[1:]
    assert [item.split('data-area="')[1].split('"')[0] for item in items] == list(listed["area_code"])
    assert [item.split('data-kind="')[1].split('"')[0] for item in items] == list(listed["kind"])
    names = pd.concat([expected.areas(city_dir, level) for level in ("street", "community", "grid")]).set_index("code")
    for item, code in zip(items, listed["area_code"], strict=True):
        assert names.loc[code, "name_en" if language == "en" else "name_zh"] in item
    # The map: every open alert a dot, the areas flagged as a whole filled.
    deck = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert sorted(dot["alert_id"] for dot in layers["alerts"]["data"]) == sorted(listed["alert_id"])
    flagged = {feature["properties"]["code"] for feature in layers["alert-areas"]["data"]["features"]}
    assert flagged == set(listed.loc[listed["kind"] != "repeat_cluster", "area_code"])
    assert all(alert_text.area_label(row, language) in body for _, row in listed.iterrows())


def test_the_alert_count_is_in_the_title_bar_of_every_view_and_keeps_to_the_walls_area(alert_city_url, monkeypatch):
    from components import wall as wall_html
    from data_access.alerts import read_open_alert_count, read_open_alerts

    engine = create_db_engine(alert_city_url)
    whole = read_open_alert_count(engine)
    street = read_open_alerts(engine, kinds=("surge",))["area_code"].iloc[0][:9]
    in_street = read_open_alert_count(engine, AreaScope.of(street))
    engine.dispose()
    for view in ("overview", "stations"):
        _, body = alert_wall(alert_city_url, monkeypatch, rotate=view, lang="en")
        assert count_badge(body) == whole
    _, body = alert_wall(alert_city_url, monkeypatch, rotate="alerts", area=street, lang="zh")
    assert count_badge(body) == in_street < whole
    assert body.count('data-testid="wall-alert" ') == in_street
    # More open alerts than the list shows: the rest are counted in words.
    monkeypatch.setattr(wall_html, "LISTED_ALERTS", 1)
    _, body = alert_wall(alert_city_url, monkeypatch, rotate="alerts", lang="en")
    assert body.count('data-testid="wall-alert" ') == 1
    assert translate("wall.alerts.more", "en", count=f"{whole - 1:,}") in body


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("view", ["overview", "requests", "members"])
def test_the_heat_legend_tells_the_colour_of_every_cell_on_the_map(wall, view, language):
    wall.query_params["rotate"] = view
    wall.query_params["lang"] = language
    wall.run()
    assert not wall.exception and not wall.error
    deck = json.loads(wall.get("deck_gl_json_chart")[0].proto.json)
    cells = [row for layer in deck["layers"] if layer.get("@@type") == "H3HexagonLayer" for row in layer["data"]]
    legend = html_of(wall).split('data-testid="wall-legend"')
    if view == "members":  # no heat on this map, no heat legend
        assert not cells and len(legend) == 1
        return
    assert cells and len(legend) == 2
    rows = re.findall(r'background:(#[0-9a-f]{6})"></span>([^<]*)</div>', legend[1])
    assert translate("legend.heat", language) in legend[1] and len(rows) >= 3
    for cell in cells:
        # The legend's row whose first and last count hold the cell's count has the cell's colour.
        holding = []
        for colour, text in rows:
            numbers = text.split(" · ")[0]
            first, last = (1, int(numbers[2:].replace(",", ""))) if numbers.startswith("≤") else \
                (int(numbers[2:].replace(",", "")), None) if numbers.startswith("≥") else \
                (int(numbers.split(" – ")[0].replace(",", "")), int(numbers.split(" – ")[-1].replace(",", "")))
            if first <= cell["value"] and (last is None or cell["value"] <= last):
                holding.append(colour)
        assert holding == ["#{:02x}{:02x}{:02x}".format(*cell["fill"][:3])], cell
    # The title names what the classes are set against: the middle cell's count.
    values = sorted(cell["value"] for cell in cells)
    median = values[(len(values) - 1) // 2]
    assert f"{translate('legend.median_cell', language)} {median:,}" in legend[1]
