"""Revealing one caller's number: case handlers only, in their area, with a reason, audited or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from data_access import audit, migrate
from data_access.reveal import NotInArea, reveal_caller_phone
from data_access.roles import AccessDenied, Viewer
from tests import expected
from tests.conftest import load_directory

ADMIN = Viewer("sub-admin", "admin")


@pytest.fixture
def city(empty_engine, city_dir):
    load_directory(city_dir, empty_engine)
    migrate.upgrade(empty_engine)
    orders = expected.work_orders(city_dir)
    with_phone = orders[orders["caller_phone"].notna()]
    return empty_engine, with_phone


def test_a_case_handler_reveals_one_number_in_their_area_and_it_is_audited(city):
    engine, orders = city
    order = orders.iloc[0]
    handler = Viewer("sub-h", "case_handler", order["street_code"])
    assert reveal_caller_phone(engine, handler, order["order_no"], "回访核实诉求人身份", page="requests") \
        == order["caller_phone"]
    records = audit.read_audit(engine, ADMIN, actions=("reveal",))
    assert len(records) == 1
    record = records.iloc[0]
    assert (record["subject"], record["role"], record["target"], record["reason"], record["page"]) == (
        "sub-h", "case_handler", order["order_no"], "回访核实诉求人身份", "requests")
    assert record["area_code"] == order["grid_code"]


def test_outside_the_area_without_a_reason_or_for_other_roles_nothing_is_revealed(city):
    engine, orders = city
    order = orders.iloc[0]
    elsewhere = orders[orders["district_code"] != order["district_code"]].iloc[0]
    handler = Viewer("sub-h", "case_handler", order["street_code"])
    with pytest.raises(NotInArea):
        reveal_caller_phone(engine, handler, elsewhere["order_no"], "回访核实诉求人身份")
    with pytest.raises(ValueError):
        reveal_caller_phone(engine, handler, order["order_no"], "  ")
    for role, area in (("staff", order["street_code"]), ("leader", None), ("guest", None)):
        with pytest.raises(AccessDenied):
            reveal_caller_phone(engine, Viewer("x", role, area), order["order_no"], "回访核实诉求人身份")
    assert audit.read_audit(engine, ADMIN, actions=("reveal",)).empty


def test_a_reveal_whose_audit_record_cannot_be_written_does_not_happen(city, monkeypatch):
    engine, orders = city
    order = orders.iloc[0]
    handler = Viewer("sub-h", "case_handler", order["street_code"])
    with engine.begin() as connection:  # the audit log is gone (a broken database): no record can be written
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    revealed = []
    with pytest.raises(Exception, match="audit_log"):
        revealed.append(reveal_caller_phone(engine, handler, order["order_no"], "回访核实诉求人身份"))
    assert revealed == []
