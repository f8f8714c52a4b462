"""What a viewer may read about people is enforced where the data is read (both backends): a guest's scope reads
no list of requests or of people, a wall's reads requests without callers, staff read masked names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_access import grid_workers, members, wall, work_orders
from data_access.city_time import days_window
from data_access.filters import WorkOrderFilter
from data_access.roles import PERSONAL_DATA, ROLES, PersonalDataRefused, Viewer
from data_access.scope import AGGREGATES, CITIZEN_TEXT, MASKED_PERSONAL, AreaScope
from tests import expected
from tests.conftest import TEST_AS_OF

START, END = days_window(TEST_AS_OF, 30)
YEAR_START, YEAR_END = days_window(TEST_AS_OF, 365)
NOW = END - 1


@pytest.fixture(scope="module")
def orders(city_dir):
    return expected.work_orders(city_dir)


@pytest.fixture(scope="module")
def district(orders) -> str:
    return orders["district_code"].value_counts().index[0]


def viewers(district: str) -> dict[str, Viewer]:
    """One viewer of every role (area roles in the busiest district)."""
    return {role: Viewer(f"sub-{role}", role, district if role in ("staff", "case_handler") else None)
            for role in ROLES}


def masked_callers(orders, order_numbers) -> list:
    rows = orders.set_index("order_no").loc[list(order_numbers)]
    return [expected.mask_name(name) for name in rows["caller_name"]]


def text_or_none(values) -> list:
    return [value if isinstance(value, str) else None for value in values]


def test_every_role_says_what_it_may_read_about_people():
    assert set(PERSONAL_DATA) == set(ROLES)
    assert {role for role, level in PERSONAL_DATA.items() if level == MASKED_PERSONAL} == {
        "leader", "staff", "case_handler", "admin"}
    assert PERSONAL_DATA["guest"] == AGGREGATES and PERSONAL_DATA["wall"] == CITIZEN_TEXT


def test_a_guest_reads_no_request_list_no_person_and_no_citizens_words(loaded_engine, orders, district):
    guest = viewers(district)["guest"]
    month = WorkOrderFilter(START, END, guest.scope())
    for read in (lambda: work_orders.read_latest_orders(loaded_engine, month, 20),
                 lambda: work_orders.read_whistle_cases(loaded_engine, replace(month, start=YEAR_START), 50),
                 lambda: grid_workers.read_grid_workers(loaded_engine, guest.scope(district)),
                 lambda: members.read_members_of_area(loaded_engine, guest.scope(district))):
        with pytest.raises(PersonalDataRefused):
            read()
    # The same scopes still read every aggregate.
    assert work_orders.read_order_totals(loaded_engine, month, NOW)["received"] == int(
        expected.in_window(orders["received_at"], START, END).sum())
    assert int(grid_workers.read_grid_worker_counts(loaded_engine, guest.scope())["workers"].sum()) > 0
    # The tour's order: its loop and category, never its title.
    order = work_orders.read_tour_order(loaded_engine, guest.scope())
    assert order["title"] is None and "caller_name_masked" not in order
    assert order["satisfaction"] == "satisfied"


def test_a_wall_reads_requests_and_their_titles_but_no_caller(loaded_engine, orders, district):
    screen = viewers(district)["wall"]
    latest = work_orders.read_latest_orders(loaded_engine, WorkOrderFilter(START, END, screen.scope()), 25)
    want = orders[expected.in_window(orders["received_at"], START, END)].sort_values(
        ["received_at", "order_no"], ascending=False).head(25)
    assert list(latest["order_no"]) == list(want["order_no"])
    assert latest["title"].notna().all()
    assert latest["caller_name_masked"].isna().all() and latest["caller_phone_masked"].isna().all()
    assert want["caller_name"].notna().any(), "the test city has callers to withhold"
    for read in (lambda: grid_workers.read_grid_workers(loaded_engine, screen.scope(district)),
                 lambda: members.read_members_of_area(loaded_engine, screen.scope(district))):
        with pytest.raises(PersonalDataRefused):
            read()
    snapshot = wall.read_wall_snapshot(loaded_engine, screen.scope(), NOW, TEST_AS_OF, 7)
    assert not {"caller_name_masked", "caller_phone_masked"} & set(snapshot.latest.columns)


@pytest.mark.parametrize("role", ["leader", "staff", "case_handler", "admin"])
def test_roles_with_personal_data_read_masked_callers_people_and_titles(loaded_engine, orders, district, role):
    viewer = viewers(district)[role]
    latest = work_orders.read_latest_orders(loaded_engine, WorkOrderFilter(START, END, viewer.scope(district)), 25)
    assert len(latest) and text_or_none(latest["caller_name_masked"]) == masked_callers(orders, latest["order_no"])
    whistles = work_orders.read_whistle_cases(loaded_engine, WorkOrderFilter(YEAR_START, YEAR_END, viewer.scope()))
    assert len(whistles)
    assert text_or_none(whistles["caller_name_masked"]) == masked_callers(orders, whistles["order_no"])
    assert len(grid_workers.read_grid_workers(loaded_engine, viewer.scope(district)))
    assert len(members.read_members_of_area(loaded_engine, viewer.scope(district)))
    assert work_orders.read_tour_order(loaded_engine, viewer.scope())["title"]


def test_a_scope_made_without_a_viewer_reads_aggregates_only_and_derived_scopes_keep_the_grant(loaded_engine,
                                                                                                 orders):
    with pytest.raises(PersonalDataRefused):
        work_orders.read_latest_orders(loaded_engine, WorkOrderFilter(START, END), 5)
    grid = orders["grid_code"].iloc[0]
    staff = Viewer("s", "staff", grid[:6])
    scope = staff.scope(grid)
    for derived in (scope.parent, scope.map_parent, scope.capped("street"), scope.top,
                    replace(scope, code=grid[:9])):
        assert derived.personal == MASKED_PERSONAL and derived.granted == grid[:6]
    assert not AreaScope().may_read(CITIZEN_TEXT) and AreaScope().may_read(AGGREGATES)
    with pytest.raises(ValueError):
        AreaScope(personal="everything")
