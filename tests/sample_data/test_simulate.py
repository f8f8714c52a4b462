"""The live feed: new orders, lifecycle steps and check-ins land through the validated loader."""

from __future__ import annotations

from sqlalchemy import func, select

from data_access import schema
from data_access.areas import read_city_facts
from data_access.ingest import load_directory
from data_access.stats import read_row_counts
from sample_data.simulate import simulate


def test_ticks_append_advance_and_move_the_clock(empty_engine, city_dir):
    load_directory(city_dir, empty_engine)
    before = read_row_counts(empty_engine)
    as_of = int(read_city_facts(empty_engine)["as_of"])
    table = schema.work_orders
    with empty_engine.connect() as connection:
        open_before = connection.execute(select(func.count()).where(table.c.is_open)).scalar_one()
        called_before = connection.execute(select(func.count()).where(table.c.called_back_at.is_not(None))).scalar_one()
    written = simulate(empty_engine, rate_per_minute=120, tick_seconds=0, ticks=3, seed=1)
    after = read_row_counts(empty_engine)
    assert written["new"] >= 3
    assert after["work_orders"] == before["work_orders"] + written["new"]
    assert after["member_activities"] == before["member_activities"] + written["checkins"]
    assert written["advanced"] > 0 and written["called_back"] > 0
    with empty_engine.connect() as connection:
        newest = connection.execute(select(table.c.order_no, table.c.received_at, table.c.grid_code)
                                    .order_by(table.c.received_at.desc()).limit(1)).one()
        called_after = connection.execute(select(func.count()).where(table.c.called_back_at.is_not(None))).scalar_one()
        open_after = connection.execute(select(func.count()).where(table.c.is_open)).scalar_one()
    assert newest.order_no.startswith("SIM") and newest.received_at > as_of - 10 and newest.grid_code
    assert called_after == called_before + written["called_back"]
    assert open_after <= open_before + written["new"]
    assert int(read_city_facts(empty_engine)["as_of"]) > as_of
