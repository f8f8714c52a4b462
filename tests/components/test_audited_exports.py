"""A table's CSV export is spreadsheet-safe and audited; without its audit record there is no export."""

from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st

from components import cached, views
from components.context import AREA_KEY, VIEWER_KEY
from data_access import audit, migrate
from data_access.db import create_db_engine
from data_access.roles import Viewer

STAFF = Viewer("sub-9", "staff", "420102001")
ADMIN = Viewer("sub-admin", "admin")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    monkeypatch.setattr(cached, "get_engine", lambda: engine)
    monkeypatch.setitem(st.session_state, VIEWER_KEY, STAFF)
    monkeypatch.setitem(st.session_state, AREA_KEY, "420102001003")
    yield engine
    engine.dispose()


def test_an_export_is_formula_safe_and_writes_one_audit_record(engine):
    migrate.upgrade(engine)
    frame = pd.DataFrame({"标题": ["=HYPERLINK(\"http://x\")", "正常"], "数量": [-3, 4]})
    data = views.audited_export(frame, "whistles.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in data and ",-3\r\n" in data
    records = audit.read_audit(engine, ADMIN)
    assert len(records) == 1
    record = records.iloc[0]
    assert (record["subject"], record["role"], record["action"], record["target"], record["area_code"]) == (
        "sub-9", "staff", "export", "whistles.csv", "420102001003")


def test_no_audit_record_no_export(engine):
    # No audit table (an unmigrated database): the record cannot be written, so nothing is exported.
    with pytest.raises(audit.AuditUnavailable):
        views.audited_export(pd.DataFrame({"a": [1]}), "a.csv")


def _long_table(rows: int, language: str) -> None:
    import pandas as pd

    from components import views

    frame = pd.DataFrame({"code": [f"G{number:05d}" for number in range(rows)], "value": range(rows)})
    views.render_table(frame, {"code": "编码", "value": "数量"}, language=language, key="long")


@pytest.mark.parametrize(("rows", "capped"), [(views.TABLE_ROWS_SHOWN, False), (views.TABLE_ROWS_SHOWN + 101, True)])
def test_a_long_table_sends_its_first_rows_and_says_how_many_there_are(rows, capped):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_long_table, args=(rows, "en"))
    app.run()
    assert not app.exception
    shown = app.dataframe[0].value
    assert len(shown) == min(rows, views.TABLE_ROWS_SHOWN)
    assert list(shown["编码"]) == [f"G{number:05d}" for number in range(len(shown))]
    notes = [caption.value for caption in app.caption]
    assert bool(notes) is capped
    if capped:
        assert f"{views.TABLE_ROWS_SHOWN:,}" in notes[0] and f"{rows:,}" in notes[0]
