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
    records = audit.read_audit(engine)
    assert len(records) == 1
    record = records.iloc[0]
    assert (record["subject"], record["role"], record["action"], record["target"], record["area_code"]) == (
        "sub-9", "staff", "export", "whistles.csv", "420102001003")


def test_no_audit_record_no_export(engine):
    # No audit table (an unmigrated database): the record cannot be written, so nothing is exported.
    with pytest.raises(audit.AuditUnavailable):
        views.audited_export(pd.DataFrame({"a": [1]}), "a.csv")
