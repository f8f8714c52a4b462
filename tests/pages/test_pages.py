"""Every page in Streamlit's AppTest, in both languages: renders, shows the data layer's figures, obeys filters."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components import filters
from components.i18n import translate
from components.tiles import format_count, format_rate
from data_access import kpis, members, schema, work_orders
from data_access.areas import read_city_facts
from data_access.city_time import days_window, local_date, reference_now
from data_access.db import create_db_engine
from data_access.filters import WorkOrderFilter
from data_access.scope import CITY, AreaScope
from tests import apps, expected

PAGES = {
    "overview": "page.overview",
    "grid-map": "page.grid_map",
    "stations": "page.stations",
    "requests": "page.requests",
    "members": "page.members",
    "tasks": "page.tasks",
    "alerts": "page.alerts",
}
FULL_PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(autouse=True)
def city_database(sqlite_city_url, monkeypatch) -> None:
    """The app reads the test city (a test that wants another database sets its own)."""
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)


@pytest.fixture(scope="module")
def engine(sqlite_city_url):
    engine = create_db_engine(sqlite_city_url)
    yield engine
    engine.dispose()


def metric_values(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def clock(engine) -> tuple[int, object]:
    now = reference_now(read_city_facts(engine), 0)
    return now, local_date(now)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_in_both_languages(page, language):
    app = apps.open_page(page, language)
    title = app.title[0].value
    assert translate(PAGES[page], language) in title
    other = "en" if language == "zh" else "zh"
    assert translate(PAGES[page], other) not in title
    assert any(translate("app.synthetic", language) in item.value for item in app.markdown)


def test_overview_tiles_equal_the_data_access_results(engine):
    app = apps.open_page("overview", "en")
    now, today = clock(engine)
    month = WorkOrderFilter(*days_window(today, 30))
    shown = metric_values(app)
    rates = kpis.read_kpis(engine, month, now).set_index("kpi")
    backlog = work_orders.read_backlog(engine, month, now)
    people = members.read_member_summary(engine, CITY, today)
    assert shown[translate("tile.received_range", "en")] == format_count(
        work_orders.read_order_totals(engine, month, now)["received"])
    assert shown[translate("tile.open", "en")] == format_count(backlog["open"])
    assert shown[translate("tile.overdue", "en")] == format_count(backlog["overdue"])
    assert shown[translate("tile.satisfaction", "en")] == format_rate(rates.loc["satisfaction_rate", "rate"])
    assert shown[translate("tile.on_time", "en")] == format_rate(rates.loc["on_time_closure_rate", "rate"])
    assert shown[translate("tile.members_week", "en")] == f"{people['active_week']:,} / {people['deployed']:,}"


def change_text(current: float, previous: float, points: bool = False) -> str:
    """The change as a tile writes it, from two plain numbers."""
    change = current - previous if points else current / previous - 1
    number = f"{'+' if change > 0 else '−'}{abs(change) * 100:.1f}"
    return f"{number} pts" if points else f"{number}%"


def colour_of(metric) -> str:
    from streamlit.proto.Metric_pb2 import Metric

    return Metric.MetricColor.Name(metric.proto.color)


def test_overview_tiles_show_the_change_against_the_previous_period(engine, city_dir):
    app = apps.open_page("overview", "en")
    now, today = clock(engine)
    tiles = {metric.label: metric for metric in app.metric}
    orders = expected.work_orders(city_dir)
    start, end = days_window(today, 30)
    previous_start, previous_end = expected.previous_period(start, end, now)
    received = int(expected.in_window(orders["received_at"], start, end).sum())
    before = int(expected.in_window(orders["received_at"], previous_start, previous_end).sum())
    tile = tiles[translate("tile.received_range", "en")]
    assert tile.proto.delta == change_text(received, before)
    assert tile.proto.help.endswith(f": {before:,}")
    assert colour_of(tile) == ("RED" if received > before else "GREEN")  # more requests is worse
    satisfied, called = expected.kpis(orders, start, end, now)["satisfaction_rate"]
    satisfied_before, called_before = expected.kpis(orders, previous_start, previous_end,
                                                    previous_end)["satisfaction_rate"]
    tile = tiles[translate("tile.satisfaction", "en")]
    assert tile.proto.delta == change_text(satisfied / called, satisfied_before / called_before, points=True)
    assert f"{format_rate(satisfied_before / called_before)} = {satisfied_before:,} / {called_before:,}" in \
        tile.proto.help
    assert colour_of(tile) == ("GREEN" if satisfied / called > satisfied_before / called_before else "RED")
    backlog_before = expected.backlog_at(orders, now - (end - start))
    tile = tiles[translate("tile.overdue", "en")]
    assert tile.proto.help.endswith(f": {backlog_before['overdue']:,}")
    tile = tiles[translate("tile.stations_open", "en")]
    assert tile.proto.delta == translate("change.none", "en") and colour_of(tile) == "GRAY"
    assert translate("change.not_recorded", "en") in tile.proto.help


@pytest.mark.parametrize("language", ["zh", "en"])
def test_members_tiles_set_the_week_against_the_week_before(engine, city_dir, language):
    from datetime import timedelta

    app = apps.open_page("members", language)
    _, today = clock(engine)
    week = expected.member_activity(city_dir, None, today - timedelta(days=6), today)
    before = expected.member_activity(city_dir, None, today - timedelta(days=13), today - timedelta(days=7))
    tile = {metric.label: metric for metric in app.metric}[translate("members.week", language)]
    assert tile.value == format_count(week["active"])
    assert tile.proto.delta == change_text(week["active"], before["active"])
    assert f"{before['active']:,}" in tile.proto.help
    assert colour_of(tile) == ("GREEN" if week["active"] > before["active"] else "RED")
    # Today is under way and activities carry dates only: yesterday's whole day is shown, no change claimed.
    today_tile = {metric.label: metric for metric in app.metric}[translate("members.today", language)]
    yesterday = expected.member_activity(city_dir, None, today - timedelta(days=1), today - timedelta(days=1))
    assert today_tile.value == format_count(expected.member_activity(city_dir, None, today, today)["active"])
    assert today_tile.proto.delta == translate("change.in_progress", language)
    assert f"{yesterday['active']:,}" in today_tile.proto.help


def test_a_filter_change_changes_the_figures_correctly(sqlite_city_url, monkeypatch, engine):
    app = apps.open_page("overview", "en")
    now, today = clock(engine)
    label = translate("tile.received_range", "en")
    before = metric_values(app)[label]
    # AppTest cannot rerun a st.navigation app with its sidebar intact, so the changed widget
    # state is handed to a fresh session, as the browser would send it.
    changed = apps.whole_app()
    changed.session_state["filters_ready"] = True
    changed.session_state["filter_categories"] = ["transport"]
    changed.session_state["filter_period"] = "7d"
    changed.query_params["lang"] = "en"
    changed.run()
    assert not changed.exception and not changed.error
    want = work_orders.read_order_totals(engine, WorkOrderFilter(*days_window(today, 7), categories=("transport",)),
                                         now)["received"]
    assert metric_values(changed)[label] == format_count(want) != before
    assert changed.query_params["categories"] in ("transport", ["transport"])
    assert changed.query_params["period"] in ("7d", ["7d"])


def test_url_query_parameters_restore_the_view(engine, city_dir):
    now, today = clock(engine)
    orders = expected.work_orders(city_dir)
    district = orders["district_code"].value_counts().index[0]
    street = orders.loc[orders["district_code"] == district, "street_code"].value_counts().index[0]
    app = apps.open_page("overview", "en", area=street, period="year", channels="hotline_12345,app")
    assert app.session_state["filter_district"] == district
    assert app.session_state["filter_street"] == street
    assert app.session_state["filter_period"] == "year"
    start, end = days_window(today, (today - today.replace(month=1, day=1)).days + 1)
    want = work_orders.read_order_totals(engine, WorkOrderFilter(start, end, AreaScope.of(street),
                                                                 channels=("hotline_12345", "app")), now)
    assert metric_values(app)[translate("tile.received_range", "en")] == format_count(want["received"])
    assert app.query_params["area"] in (street, [street])


def test_an_impossible_filter_shows_the_empty_state():
    for page in ("overview", "requests"):
        app = apps.open_page(page, "en", period="custom", **{"from": "2001-01-01", "to": "2001-01-31"})
        assert any(translate("app.empty", "en") in item.value for item in app.info)
        assert metric_values(app).get(translate("tile.received_range", "en"), "0") == "0"


def test_drilling_down_through_the_url_and_a_map_request(city_dir):
    grid = expected.areas(city_dir, "grid")["code"].iloc[0]
    app = apps.open_page("grid-map", "zh", area=grid[:12])
    assert app.session_state["filter_community"] == grid[:12]
    assert any(translate("grid_map.up", "zh") == button.label for button in app.button)
    # A map click stores the area it asks for; the next run moves the filters there before drawing them.
    clicked = apps.whole_app()
    clicked.session_state["pending_area"] = grid
    clicked.run()
    assert not clicked.exception
    assert clicked.session_state["filter_grid"] == grid
    assert clicked.query_params["area"] in (grid, [grid])


def test_no_page_shows_a_full_phone_number_or_name(city_dir):
    callers = set(expected.csv(city_dir, "work_orders.csv")["caller_name"].dropna())
    people = set(expected.csv(city_dir, "members.csv")["name"])
    people |= set(expected.csv(city_dir, "grid_workers.csv")["name"])
    names = {name for name in callers | people if len(name) >= 2}
    community = expected.csv(city_dir, "grid_workers.csv")["grid_code"].iloc[0][:12]
    for page in PAGES:
        app = apps.open_page(page, "zh", area=community)
        for table in app.dataframe:
            text = table.value.astype(str).to_csv()
            assert not FULL_PHONE.search(text), page
            assert not any(name in text for name in names), page


def test_requests_page_kpi_table_equals_the_data_access_results(engine, city_dir):
    app = apps.open_page("requests", "en")
    now, today = clock(engine)
    start, end = days_window(today, 30)
    want = kpis.read_kpis(engine, WorkOrderFilter(start, end), now).set_index("kpi")
    previous_start, previous_end = expected.previous_period(start, end, now)
    before = expected.kpis(expected.work_orders(city_dir), previous_start, previous_end, previous_end)
    table = next(frame.value for frame in app.dataframe if translate("column.numerator", "en") in frame.value.columns)
    by_name = table.set_index(translate("column.kpi", "en"))
    for key, definition in kpis.KPI_DEFINITIONS.items():
        row = by_name.loc[definition.name_en]
        assert row[translate("column.numerator", "en")] == want.loc[key, "numerator"]
        assert row[translate("column.denominator", "en")] == want.loc[key, "denominator"]
        assert row[translate("column.rate", "en")] == format_rate(want.loc[key, "rate"])
        assert row[translate("column.definition", "en")] == definition.definition_en
        previous = before[key][0] / before[key][1]
        assert row[translate("column.previous", "en")] == format_rate(previous)
        assert row[translate("column.change", "en")].endswith(change_text(want.loc[key, "rate"], previous, True)) or \
            abs(want.loc[key, "rate"] - previous) < 0.0005


LEVEL_DIGITS = {"city": 0, "district": 6, "street": 9, "community": 12, "grid": 15}


@pytest.mark.parametrize("level", list(LEVEL_DIGITS))
def test_every_page_at_every_level_agrees_with_the_raw_files(city_dir, level):
    start, end = expected.local_days_window(city_dir, 30)
    busiest = expected.orders_in(city_dir, None, start, end)["grid_code"].value_counts().index[0]
    area = busiest[:LEVEL_DIGITS[level]] or None
    params = {"area": area} if area else {}
    received = len(expected.orders_in(city_dir, area, start, end))

    shown = apps.open_page("overview", "en", **params)
    assert metric_values(shown)[translate("tile.received_range", "en")] == format_count(received)

    # The grid map's table lists the areas its map draws (at a grid: the community's grids), each with its own count.
    shown = apps.open_page("grid-map", "en", **params)
    table = next(frame.value for frame in shown.dataframe
                 if translate("column.population", "en") in frame.value.columns)
    scope = AreaScope.of(area)
    want = expected.counts_per_area(city_dir, scope.child_level, scope.map_parent.code, start, end)
    assert dict(zip(table[translate("column.code", "en")], table[translate("column.received", "en")],
                    strict=True)) == want
    if area and level != "grid":
        assert sum(want.values()) == received

    shown = apps.open_page("requests", "en", **params)
    kpi_table = next(frame.value for frame in shown.dataframe
                     if translate("column.numerator", "en") in frame.value.columns)
    repeat = kpi_table.set_index(translate("column.kpi", "en")).loc[kpis.KPI_DEFINITIONS["repeat_rate"].name_en]
    assert repeat[translate("column.denominator", "en")] == received

    shown = apps.open_page("stations", "en", **params)
    station_rows = expected.stations(city_dir)
    assert metric_values(shown)[translate("stations.total", "en")] == format_count(
        int(expected.inside(station_rows["grid_code"], area).sum()))

    shown = apps.open_page("members", "en", **params)
    people = expected.csv(city_dir, "members.csv")
    column = "grid_code" if level == "grid" else "community_code"
    deployed = int((expected.inside(people[column], area) & (people["status"] == "active")).sum())
    communities = expected.areas(city_dir, "community")
    target = int(communities.loc[expected.inside(communities["code"], area), "member_target"].astype(int).sum())
    assert metric_values(shown)[translate("members.deployed", "en")] == f"{deployed:,} / {target:,}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_database_says_how_to_load_data(tmp_path, monkeypatch, language):
    empty_schema = create_db_engine(f"sqlite:///{tmp_path / 'schema-only.sqlite'}")
    schema.metadata.create_all(empty_schema)
    empty_schema.dispose()
    for database in ("missing.sqlite", "schema-only.sqlite"):
        monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{tmp_path / database}")
        for app in (apps.whole_app(), apps.staff_page("requests")):
            app.query_params["lang"] = language
            app.run()
            assert not app.exception, [item.message for item in app.exception]
            assert not app.error
            assert [item.value for item in app.info] == [translate("app.no_data", language)]


def test_members_at_a_grid_list_its_community_when_below_target(city_dir):
    coverage = expected.member_coverage(city_dir)
    community = sorted(coverage.loc[coverage["coverage"] < 1, "code"])[0]
    grid = sorted(code for code in expected.areas(city_dir, "grid")["code"] if code.startswith(community))[0]
    shown = apps.open_page("members", "en", area=grid)
    under = next(frame.value for frame in shown.dataframe
                 if translate("column.shortfall", "en") in frame.value.columns)
    assert list(under[translate("column.code", "en")]) == [community]
    assert not shown.success


def test_names_are_shown_as_text_never_as_markdown(sqlite_city_url, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "city.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    planted = "![x](http://outside.example/t.png)<b>城</b>"
    with engine.begin() as connection:
        connection.execute(schema.meta.update().where(schema.meta.c.key == "city_name_zh").values(value=planted))
        connection.execute(schema.areas.update().where(schema.areas.c.level == "district").values(name_zh=planted))
    engine.dispose()
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    at = apps.staff_page("grid-map")
    at.query_params["area"] = sorted_district_code(copy)
    at.run()
    assert not at.exception
    shown = [element.value for element in [*at.title, *at.markdown]]
    assert not any("![x](" in text or "<b>" in text for text in shown), shown
    assert any("outside.example" in text.replace("\\", "") for text in shown), "the planted name is still shown"


def sorted_district_code(database) -> str:
    engine = create_db_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        code = connection.execute(schema.areas.select().where(schema.areas.c.level == "district")
                                  .order_by(schema.areas.c.code)).first().code
    engine.dispose()
    return code


def test_no_page_modifies_the_geography_and_stations_every_session_shares(engine):
    # cached.load_areas/load_water/load_stations hand every session the same objects (st.cache_resource).
    import pandas as pd

    from components import cached, maps
    from data_access import areas, codes, stations

    district = areas.read_areas(engine, "district", with_geometry=False)["code"].iloc[0]
    for page in PAGES:
        for language in ("zh", "en"):
            for params in ({}, {"area": district}):
                apps.open_page(page, language, **params)
    scopes = [("district", CITY), ("street", AreaScope.of(district)), ("grid", CITY), ("grid", AreaScope.of(district))]
    for level, scope in scopes:
        fresh = maps.with_screen_shapes(areas.read_areas(engine, level, scope), level)
        pd.testing.assert_frame_equal(pd.DataFrame(cached.load_areas(level, scope)), pd.DataFrame(fresh))
    pd.testing.assert_frame_equal(pd.DataFrame(cached.load_water()),
                                  pd.DataFrame(maps.with_screen_shapes(areas.read_water(engine), "district")))
    everything = tuple(codes.STATION_TYPES)
    pd.testing.assert_frame_equal(cached.load_stations(CITY, everything),
                                  stations.read_stations(engine, CITY, everything))


def test_a_link_asking_for_a_thousand_years_gets_a_bounded_page():
    app = apps.open_page("requests", "en", period="custom",
                    **{"from": "1026-01-01", "to": "2999-12-31"})
    slider = app.select_slider(key="requests_day")
    assert len(slider.options) <= 1 + filters.MAX_STEPS
    first, last = app.session_state["filter_dates"]
    assert (last - first).days <= 366 * (filters.CUSTOM_YEARS_BACK + 1)


@pytest.mark.parametrize("revision", ["0002_access", "9999_from_the_future"])
def test_a_database_at_another_schema_revision_says_so_instead_of_failing(sqlite_city_url, tmp_path, monkeypatch,
                                                                         revision):
    import shutil

    from sqlalchemy import text

    from data_access import migrate

    copy = tmp_path / "older.sqlite"
    shutil.copy(sqlite_city_url.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
    engine.dispose()
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    for page in ("overview", "requests"):
        app = apps.whole_app() if page == "overview" else apps.staff_page(page)
        app.run()
        assert not app.exception
        errors = [item.value.replace("\\", "") for item in app.error]
        assert len(errors) == 1 and revision in errors[0], errors
        assert (migrate.MIGRATE_COMMAND in errors[0]) is (revision == "0002_access")
