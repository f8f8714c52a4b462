"""A signed-in viewer's area is enforced where the data is read: no query can be asked outside it (both backends)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_access import stations, wall, work_orders
from data_access.city_time import days_window
from data_access.filters import WorkOrderFilter
from data_access.roles import OutsideArea, Viewer
from data_access.scope import MASKED_PERSONAL, AreaScope
from tests import expected
from tests.conftest import TEST_AS_OF

START, END = days_window(TEST_AS_OF, 30)
NOW = END - 1


@pytest.fixture(scope="module")
def orders(city_dir):
    return expected.work_orders(city_dir)


def received_in(orders, prefix: str) -> int:
    in_window = expected.in_window(orders["received_at"], START, END)
    return int((in_window & orders["grid_code"].str.startswith(prefix)).sum())


def test_staff_read_their_district_and_what_lies_under_it(loaded_engine, orders):
    district = sorted(orders["district_code"].dropna().unique())[0]
    staff = Viewer("s", "staff", district)
    window = WorkOrderFilter(START, END, area=staff.scope())
    assert work_orders.read_order_totals(loaded_engine, window, NOW)["received"] == received_in(orders, district)
    community = sorted(orders.loc[orders["district_code"] == district, "community_code"].unique())[0]
    inside = replace(window, area=staff.scope(community))
    assert work_orders.read_order_totals(loaded_engine, inside, NOW)["received"] == received_in(orders, community)


def test_no_query_can_be_asked_for_another_area_or_the_whole_city(loaded_engine, orders):
    district, other = sorted(orders["district_code"].dropna().unique())[:2]
    staff = Viewer("s", "staff", district)
    window = WorkOrderFilter(START, END, area=staff.scope())
    with pytest.raises(OutsideArea):
        staff.scope(other)
    with pytest.raises(OutsideArea):
        replace(window.area, code=other)  # a scope edited after the fact keeps its grant
    with pytest.raises(OutsideArea):
        replace(window, area=AreaScope(None, district))
    assert AreaScope.of(None, district, MASKED_PERSONAL) == staff.scope() == staff.scope_from_text("")
    with pytest.raises(OutsideArea):
        staff.scope_from_text(other + "001")
    # Derived scopes stop at the grant: "up" from the viewer's own area goes nowhere.
    assert staff.scope().parent is None
    grid = orders.loc[orders["district_code"] == district, "grid_code"].iloc[0]
    assert staff.scope(grid).map_parent == AreaScope(grid[:12], district, MASKED_PERSONAL)
    # Reads given the viewer's scope never see beyond it.
    listed = stations.read_stations(loaded_engine, staff.scope())
    assert len(listed) and listed["grid_code"].str.startswith(district).all()


def test_a_wall_key_for_an_area_reads_only_that_area(loaded_engine, orders):
    district = sorted(orders["district_code"].dropna().unique())[-1]
    screen = Viewer("wall:k1", "wall", district)
    snapshot = wall.read_wall_snapshot(loaded_engine, screen.scope(), NOW, TEST_AS_OF, 7)
    assert snapshot.received_30d == received_in(orders, district)
    assert snapshot.ranking["code"].str.startswith(district).all()


def test_an_orders_timeline_is_read_only_inside_the_viewers_area(loaded_engine, orders):
    district, other = sorted(orders["district_code"].dropna().unique())[:2]
    staff = Viewer("s", "staff", district)
    closed = orders[orders["status"] == "closed"]
    own = closed[closed["district_code"] == district].iloc[0]
    foreign = closed[closed["district_code"] == other].iloc[0]
    timeline = work_orders.read_order_timeline(loaded_engine, staff.scope(), own["order_no"])
    assert timeline.set_index("step")["at"]["received"] == own["received_at"]
    assert timeline["step"].iloc[-1] == "closed"
    # Another district's order reads as no order at all, as an unknown number does.
    for order_no in (foreign["order_no"], "NO-SUCH-ORDER"):
        refused = work_orders.read_order_timeline(loaded_engine, staff.scope(), order_no)
        assert refused.empty and list(refused.columns) == ["step", "at"]
    # Inside the district, a community's scope also keeps out the district's other communities.
    community = own["community_code"]
    neighbour = closed[(closed["district_code"] == district) & (closed["community_code"] != community)].iloc[0]
    assert work_orders.read_order_timeline(loaded_engine, staff.scope(community), neighbour["order_no"]).empty
    # The city's viewers (leaders, the tour) follow any order.
    leader = Viewer("l", "leader")
    assert not work_orders.read_order_timeline(loaded_engine, leader.scope(), foreign["order_no"]).empty
