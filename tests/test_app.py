"""The app in Streamlit's AppTest: it runs and shows the data-access layer's figures."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from data_access import kpis, work_orders
from data_access.db import create_db_engine
from data_access.filters import WorkOrderFilter, days_window, local_date, reference_now
from data_access.areas import read_city_facts
from components.tiles import format_count, format_rate


@pytest.fixture
def app(sqlite_city_url, monkeypatch) -> AppTest:
    monkeypatch.setenv("CITYSCREEN_DB_URL", sqlite_city_url)
    return AppTest.from_file("app.py", default_timeout=30)


def test_overview_shows_the_data_access_figures(app, sqlite_city_url):
    app.run()
    assert not app.exception
    engine = create_db_engine(sqlite_city_url)
    now = reference_now(read_city_facts(engine), time.time())
    today = local_date(now)
    month = WorkOrderFilter(*days_window(today, 30))
    shown = {metric.label: metric.value for metric in app.metric}
    received = work_orders.read_order_totals(engine, month, now)["received"]
    satisfaction = kpis.read_kpis(engine, month, now).set_index("kpi").loc["satisfaction_rate", "rate"]
    backlog = work_orders.read_backlog(engine, WorkOrderFilter(), now)
    engine.dispose()
    assert shown["近30日受理 Received, 30 days"] == format_count(received)
    assert shown["满意率 Satisfaction"] == format_rate(satisfaction)
    assert shown["超期 Overdue"] == format_count(backlog["overdue"])
    assert any("演示数据" in caption.value for caption in app.caption)
