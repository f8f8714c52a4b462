"""The alerts page (预警) in AppTest, in both languages, on the crafted city of tests/alert_city.py: its figures are
the data layer's and, for surges, the independent computation's (tests/expected_alerts.py); names come from the
area files; the links open pages filtered to the alert; the export is the list, audited; empty states in words."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import STAFF_PAGES
from components.i18n import code_label, translate
from components.tiles import format_count
from data_access import audit, codes, kpis
from data_access.alerts import (
    ALERT_KINDS,
    DEFAULT_PARAMETERS,
    compute_alerts,
    read_alert_list,
    read_open_alert_count,
    read_open_alerts,
)
from data_access.alerts.compute import day_number
from data_access.db import create_db_engine
from data_access.ingest import load_directory
from data_access.roles import Viewer
from data_access.scope import AreaScope
from tests import apps, expected, expected_alerts
from tests.alert_city import DAY, write_crafted_city

LEVELS = ("district", "street", "community", "grid")
LEVEL_OF_DIGITS = {6: "district", 9: "street", 12: "community", 15: "grid"}
ADMIN = Viewer("test-admin", "admin")  # reads the audit log


@pytest.fixture(scope="module")
def crafted(city_dir, tmp_path_factory):
    """(database URL, crafted orders, input directory): the crafted city with the alerts of DAY − 1 and DAY."""
    directory = tmp_path_factory.mktemp("alerts-page-city")
    orders = write_crafted_city(city_dir, directory)
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts-page-db') / 'city.sqlite'}"
    engine = create_db_engine(url)
    load_directory(directory, engine)
    compute_alerts(engine, DAY - timedelta(days=1))
    compute_alerts(engine, DAY)
    engine.dispose()
    return url, orders, directory


@pytest.fixture
def engine(crafted, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", crafted[0])
    engine = create_db_engine(crafted[0])
    yield engine
    engine.dispose()


def alert_table(app: AppTest, language: str) -> pd.DataFrame:
    return next(frame.value for frame in app.dataframe
                if translate("column.upper", language) in frame.value.columns)


def names_from_files(directory) -> pd.DataFrame:
    return pd.concat([expected.areas(directory, level) for level in LEVELS]).set_index("code")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_page_lists_the_open_alerts_with_their_evidence(engine, crafted, language):
    _, orders, directory = crafted
    app = apps.open_page("alerts", language)
    assert translate("page.alerts", language) in app.title[0].value
    metrics = {metric.label: metric.value for metric in app.metric}
    opened = read_open_alerts(engine)
    assert metrics[translate("alerts.open_total", language)] == format_count(read_open_alert_count(engine)) != "0"
    for kind in ALERT_KINDS:
        assert metrics[translate(f"alert.kind.{kind}", language)] == format_count(int((opened["kind"] == kind).sum()))
    table = alert_table(app, language)
    column = {key: translate(f"column.{key}", language) for key in (
        "alert_id", "kind", "area", "code", "level", "category", "first_day", "last_day", "observed", "expected",
        "upper", "map_link", "requests_link")}
    assert list(table[column["alert_id"]]) == list(opened["alert_id"])
    assert set(table[column["kind"]]) == {translate(f"alert.kind.{kind}", language) for kind in ALERT_KINDS}
    # Names from the area files (not only codes), the parent's where the name does not say it.
    names = names_from_files(directory)
    suffix = "en" if language == "en" else "zh"
    for row in table.itertuples(index=False):
        shown = dict(zip(table.columns, row, strict=True))
        code = shown[column["code"]]
        name = names.loc[code, f"name_{suffix}"]
        parent = names.loc[names.loc[code, "parent_code"], f"name_{suffix}"]
        assert shown[column["area"]] == (name if name.startswith(parent) else f"{name} · {parent}")
        assert shown[column["level"]] == translate(f"level.{LEVEL_OF_DIGITS[len(code)]}", language)
        assert shown[column["last_day"]] == DAY.isoformat()
    # The surges' figures are the independent computation's.
    raw = expected.work_orders(directory)
    want = expected_alerts.surges(raw, day_number(DAY), DEFAULT_PARAMETERS).set_index("area_code")
    surges = table[table[column["kind"]] == translate("alert.kind.surge", language)]
    assert len(surges) == len(want) >= 1
    for _, row in surges.iterrows():
        code = row[column["code"]]
        assert row[column["category"]] == code_label(codes.CATEGORIES_L1, want.loc[code, "category_l1"], language)
        assert row[column["observed"]] == want.loc[code, "observed"]
        assert row[column["upper"]] == f"{want.loc[code, 'upper']:,.0f}"
        assert row[column["expected"]] == f"{want.loc[code, 'expected']:,.1f}"
    # The repeat cluster's category names its second-level category too.
    clusters = table[table[column["kind"]] == translate("alert.kind.repeat_cluster", language)]
    assert list(clusters[column["code"]]) == [raw.set_index("order_no").loc[orders.cluster[-1], "grid_code"]]
    assert clusters[column["category"]].iloc[0].endswith("停水") and clusters[column["observed"]].iloc[0] == 3
    # A map of the flagged areas and an alert's chart.
    assert len(app.get("deck_gl_json_chart")) == 1
    assert len(app.get("vega_lite_chart")) == 1


def test_the_page_keeps_to_the_sidebar_area(engine, crafted):
    _, orders, _ = crafted
    street = orders.surging[:9]
    app = apps.open_page("alerts", "en", area=street)
    inside = read_alert_list(engine, AreaScope.of(street))
    table = alert_table(app, "en")
    assert list(table[translate("column.alert_id", "en")]) == list(inside["alert_id"])
    assert len(inside) < read_open_alert_count(engine) and all(code.startswith(street)
                                                                 for code in table[translate("column.code", "en")])
    quiet = apps.open_page("alerts", "zh", area=orders.steady)
    assert [item.value for item in quiet.info] == [translate("alerts.none", "zh")]
    assert not quiet.dataframe and not quiet.get("deck_gl_json_chart")
    assert {metric.label: metric.value for metric in quiet.metric}[translate("alerts.open_total", "zh")] == "0"


def test_a_city_whose_alerts_were_never_computed_says_how_to_compute_them(sqlite_city_url, monkeypatch):
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    for language in ("zh", "en"):
        app = apps.open_page("alerts", language)
        assert [item.value for item in app.info] == [translate("alerts.never", language)]


def test_choosing_kinds_and_an_alert(engine, crafted):
    app = apps.open_page("alerts", "en")
    app.multiselect(key="alerts_kinds").set_value(["repeat_cluster"]).run()
    assert not app.exception
    table = alert_table(app, "en")
    assert set(table[translate("column.kind", "en")]) == {translate("alert.kind.repeat_cluster", "en")}
    cluster = read_open_alerts(engine, kinds=("repeat_cluster",)).iloc[0]
    assert app.selectbox(key="alerts_selected").value == cluster["alert_id"]
    captions = " ".join(caption.value for caption in app.caption)
    assert all(number in captions for number in crafted[1].cluster)
    app.multiselect(key="alerts_kinds").set_value(["surge", "backlog"]).run()
    choices = app.selectbox(key="alerts_selected").options
    assert len(choices) == len(read_open_alerts(engine, kinds=("surge", "backlog")))
    surge = read_open_alerts(engine, kinds=("surge",)).iloc[0]
    app.selectbox(key="alerts_selected").set_value(int(surge["alert_id"])).run()
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics[translate("column.observed", "en")] == f"{surge['observed']:,}"
    assert metrics[translate("column.upper", "en")] == f"{surge['upper']:,.0f}"
    chart = app.get("vega_lite_chart")[0]
    assert '"area"' in chart.proto.spec and '"bar"' in chart.proto.spec


def link_params(app: AppTest, label: str) -> dict[str, str]:
    url = next(button.proto.url for button in app.get("link_button") if button.proto.label == label)
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_the_links_open_the_requests_page_and_the_grid_map_filtered_to_the_alert(engine, crafted):
    surge = read_open_alerts(engine, kinds=("surge",)).iloc[0]
    app = apps.open_page("alerts", "en")
    app.selectbox(key="alerts_selected").set_value(int(surge["alert_id"])).run()
    params = link_params(app, translate("alerts.open_requests", "en"))
    assert params == {"area": surge["area_code"], "period": "custom", "from": DAY.isoformat(), "to": DAY.isoformat(),
                      "categories": surge["category_l1"], "lang": "en"}
    # A new session opened on that link: the filters are the alert's, and the requests counted are the alert's.
    requests = apps.open_page("requests", "en", **{key: value for key, value in params.items() if key != "lang"})
    assert requests.session_state["filter_period"] == "custom"
    assert requests.session_state["filter_categories"] == [surge["category_l1"]]
    assert requests.session_state[f"filter_{surge['area_level']}"] == surge["area_code"]
    kpi_table = next(frame.value for frame in requests.dataframe
                     if translate("column.numerator", "en") in frame.value.columns)
    repeat = kpi_table.set_index(translate("column.kpi", "en")).loc[kpis.KPI_DEFINITIONS["repeat_rate"].name_en]
    assert repeat[translate("column.denominator", "en")] == surge["observed"]
    assert link_params(app, translate("alerts.open_map", "en")) == params
    grid_map = apps.open_page("grid-map", "zh", **{key: value for key, value in params.items() if key != "lang"})
    areas_table = next(frame.value for frame in grid_map.dataframe
                       if translate("column.population", "zh") in frame.value.columns)
    assert int(areas_table[translate("column.received", "zh")].sum()) == surge["observed"]


def test_the_export_is_the_list_spreadsheet_safe_and_audited(engine, crafted, monkeypatch):
    from data_access import migrate

    migrate.upgrade(engine)
    downloads = {}
    real = st.download_button

    def keep(label, data, **kwargs):
        downloads[kwargs.get("file_name")] = data
        return real(label, data, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    app = apps.open_page("alerts", "zh")
    before = len(audit.read_audit(engine, ADMIN))
    exported = downloads["alerts.csv"]()
    lines = exported.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert translate("column.area", "zh") in header and translate("column.map_link", "zh") not in header
    assert len(lines) == 1 + read_open_alert_count(engine)
    records = audit.read_audit(engine, ADMIN)
    assert len(records) == before + 1 and records.iloc[0]["target"] == "alerts.csv"
    assert app.dataframe


def test_only_those_who_act_on_alerts_see_the_page():
    page = next(page for page in STAFF_PAGES if page.url_path == "alerts")
    assert set(page.roles) == {"leader", "staff", "case_handler", "admin"}
    assert "guest" not in page.roles and "wall" not in page.roles


def test_area_names_are_shown_as_text_never_as_markdown_or_html(crafted, tmp_path, monkeypatch):
    import shutil

    from data_access import schema

    copy = tmp_path / "hostile.sqlite"
    shutil.copy(crafted[0].removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    planted = "![x](http://outside.example/t.png)<b>社区</b>"
    with engine.begin() as connection:
        connection.execute(schema.areas.update().where(schema.areas.c.code == crafted[1].surging)
                           .values(name_zh=planted))
    engine.dispose()
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    app = apps.open_page("alerts", "zh")
    shown = [element.value for element in [*app.markdown, *app.caption, *app.title]]
    assert not any("![x](" in text or "<b>" in text for text in shown), shown
    assert any("outside.example" in text.replace("\\", "") for text in shown), "the planted name is still shown"
    # Tables and pickers show it as it is: plain text cells and options.
    table = alert_table(app, "zh")
    assert any(text.startswith(planted) for text in table[translate("column.area", "zh")])
    assert any(planted in option for option in app.selectbox(key="alerts_selected").options)


@pytest.fixture
def own_copy(crafted, tmp_path, monkeypatch):
    """A copy of the crafted city the test may write to; yields its engine."""
    import shutil

    copy = tmp_path / "tasks.sqlite"
    shutil.copy(crafted[0].removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("CITYSCREEN_DB_URL", f"sqlite:///{copy}")
    engine = create_db_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def test_supervising_an_alert_dispatches_a_task_about_it_and_the_list_shows_its_state(own_copy):
    from data_access import tasks
    from data_access.roles import OPEN_DEMO

    surge = read_open_alerts(own_copy, kinds=("surge",)).iloc[0]
    alert_id = int(surge["alert_id"])
    app = apps.open_page("alerts", "zh")
    app.selectbox(key="alerts_selected").set_value(alert_id).run()
    column = translate("column.task", "zh")
    assert set(alert_table(app, "zh")[column]) == {translate("alerts.no_task", "zh")}
    key = f"alert-task-{alert_id}"
    assignee = app.selectbox(key=f"{key}-assignee")
    assert assignee.options[0].endswith("北亭街道")  # the street office covering the alert's community comes first
    assert app.selectbox(key=f"{key}-category").value == surge["category_l1"]
    app.text_area(key=f"{key}-instruction").input("请街道三日内排查油烟污染源并反馈。")
    next(button for button in app.button if button.label == translate("tasks.submit", "zh")).click().run()
    assert not app.exception and not app.error, [item.value for item in app.warning]
    assert tasks.read_task_for_alerts(own_copy, [alert_id]) == {alert_id: "open"}
    task = tasks.read_tasks(own_copy, OPEN_DEMO).iloc[0]
    assert (task["source_kind"], task["alert_id"], task["area_code"], task["category_l1"]) == (
        "alert", alert_id, surge["area_code"], surge["category_l1"])
    assert task["source_summary"].startswith(f"#{alert_id} {translate('alert.kind.surge', 'zh')}")
    assert task["assignee"] == surge["area_code"][:9]
    # The page runs again: the alert's row and its detail say it has a task, still awaiting acceptance.
    state = code_label(codes.TASK_STATES, "open", "zh")
    table = alert_table(app, "zh").set_index(translate("column.alert_id", "zh"))
    assert table.loc[alert_id, column] == state
    assert set(table.drop(index=alert_id)[column]) == {translate("alerts.no_task", "zh")}
    assert translate("alerts.task_state", "zh", state=state) in [caption.value for caption in app.caption]
    assert list(audit.read_audit(own_copy, ADMIN)["action"]).count("task_create") == 1


def alerts_page_as(role: str, area_code: str | None) -> None:
    """The alerts page's body for a viewer of this role and area (the frame would sign them in)."""
    import time

    from components.context import PageContext
    from components.filters import Selection
    from data_access.city_time import local_date
    from data_access.roles import Viewer
    from data_access.scope import AreaScope
    from pages import alerts

    now = int(time.time())
    today = local_date(now)
    viewer = Viewer(f"sub-{role}", role, area_code, role)
    alerts.render(PageContext("en", now, today, {}, Selection(AreaScope.of(area_code, area_code), "30d", today,
                                                              today), None, viewer))


@pytest.mark.parametrize(("role", "digits"), [("case_handler", 9), ("staff", 9), ("admin", 0)])
def test_only_a_supervisor_of_the_area_gets_the_dispatch_form(crafted, own_copy, role, digits):
    street = crafted[1].surging[:digits] or None
    app = AppTest.from_function(alerts_page_as, args=(role, street), default_timeout=90).run()
    assert not app.exception, [item.message for item in app.exception]
    assert alert_table(app, "en") is not None
    assert not [button for button in app.button if button.label == translate("tasks.submit", "en")]
    district = crafted[1].surging[:6]
    supervisor = AppTest.from_function(alerts_page_as, args=("staff", district), default_timeout=90).run()
    assert [button for button in supervisor.button if button.label == translate("tasks.submit", "en")]
