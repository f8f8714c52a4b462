"""Member deployment queries against pandas on members.csv and member_activities.csv (both backends)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import inspect, select, update

from data_access import grid_workers, members, rollup_upgrade, rollups, schema
from data_access.ingest import load_directory
from data_access.roles import Viewer
from data_access.scope import CITY, AreaScope
from sample_data.simulate import simulate
from tests import expected
from tests.conftest import TEST_AS_OF


@pytest.fixture(scope="module")
def member_rows(city_dir) -> pd.DataFrame:
    return expected.csv(city_dir, "members.csv")


@pytest.fixture(scope="module")
def activity_rows(city_dir, member_rows) -> pd.DataFrame:
    frame = expected.csv(city_dir, "member_activities.csv")
    frame["activity_date"] = pd.to_datetime(frame["activity_date"]).dt.date
    frame["hours"] = frame["hours"].astype(float)
    grid = frame["grid_code"].fillna(frame["member_id"].map(member_rows.set_index("member_id")["grid_code"]))
    frame["effective_grid_code"] = grid  # the loader's: the activity's own grid, else the member's
    frame["community_code"] = grid.str[:12].fillna(
        frame["member_id"].map(member_rows.set_index("member_id")["community_code"]))
    return frame


def test_coverage_per_community_against_targets(loaded_engine, city_dir, member_rows):
    frame = members.read_member_coverage(loaded_engine, "community")
    active = member_rows[member_rows["status"] == "active"].groupby("community_code").size()
    targets = expected.areas(city_dir, "community").set_index("code")["member_target"].astype(int)
    got = frame.set_index("code")
    for code, target in targets.items():
        assert got.loc[code, "target"] == target
        assert got.loc[code, "members"] == active.get(code, 0)
    under = members.read_under_covered_communities(loaded_engine)
    want_under = sorted(code for code, target in targets.items() if target > 0 and active.get(code, 0) < target)
    assert sorted(under["code"]) == want_under and len(want_under) > 0
    assert under["coverage"].is_monotonic_increasing


def test_coverage_rolls_up_to_districts(loaded_engine, city_dir, member_rows):
    frame = members.read_member_coverage(loaded_engine, "district").set_index("code")
    targets = expected.areas(city_dir, "community")
    want_target = targets.groupby(targets["code"].str[:6])["member_target"].sum()
    active = member_rows[member_rows["status"] == "active"]
    want_members = active.groupby(active["community_code"].str[:6]).size()
    for code in frame.index:
        assert frame.loc[code, "target"] == want_target[code]
        assert frame.loc[code, "members"] == want_members.get(code, 0)


def _busiest(activity_rows: pd.DataFrame, digits: int) -> str:
    """The area code of `digits` digits holding the most activities in the last two weeks."""
    recent = activity_rows[activity_rows["activity_date"] >= TEST_AS_OF - timedelta(days=13)]
    return recent["community_code"].str[:digits].value_counts().index[0]


def test_summary_for_the_city_and_every_level(loaded_engine, city_dir, member_rows, activity_rows):
    # A member's activities in another area than their own count there, not in their own area.
    areas = [None, *(_busiest(activity_rows, digits) for digits in (6, 9, 12)),
             activity_rows["effective_grid_code"].dropna().value_counts().index[0]]
    for area in areas:
        grid = area is not None and len(area) > 12
        people = member_rows if area is None else member_rows[
            member_rows["grid_code" if grid else "community_code"].fillna("").str.startswith(area)]
        acts = activity_rows if area is None else activity_rows[
            activity_rows["effective_grid_code" if grid else "community_code"].fillna("").str.startswith(area)]

        def within(first_days_ago: int, last_days_ago: int, acts: pd.DataFrame = acts) -> pd.DataFrame:
            return acts[(acts["activity_date"] >= TEST_AS_OF - timedelta(days=first_days_ago))
                        & (acts["activity_date"] <= TEST_AS_OF - timedelta(days=last_days_ago))]

        week, week_before = within(6, 0), within(13, 7)
        summary = members.read_member_summary(loaded_engine, AreaScope.of(area), TEST_AS_OF)
        assert summary["deployed"] == int((people["status"] == "active").sum()), area
        assert summary["registered"] == len(people)
        assert summary["active_week"] == week["member_id"].nunique() > 0
        assert summary["active_previous_week"] == week_before["member_id"].nunique() > 0
        assert summary["active_today"] == within(0, 0)["member_id"].nunique()
        assert summary["active_yesterday"] == within(1, 1)["member_id"].nunique()
        assert summary["hours_week"] == pytest.approx(week["hours"].sum())
        assert summary["hours_previous_week"] == pytest.approx(week_before["hours"].sum())
        assert summary["whistle_responses_week"] == int((week["kind"] == "whistle_response").sum())
        assert summary["whistle_responses_previous_week"] == int((week_before["kind"] == "whistle_response").sum())


def test_activity_by_kind_and_by_day(loaded_engine, activity_rows):
    start = TEST_AS_OF - timedelta(days=29)
    frame = members.read_activity_by_kind(loaded_engine, CITY, start, TEST_AS_OF)
    month = activity_rows[(activity_rows["activity_date"] >= start) & (activity_rows["activity_date"] <= TEST_AS_OF)]
    want = month.groupby("kind").agg(activities=("activity_id", "size"), hours=("hours", "sum"))
    got = frame.set_index("kind")
    assert dict(got["activities"]) == dict(want["activities"])
    assert got["hours"].to_numpy() == pytest.approx(want["hours"].to_numpy())
    daily = members.read_daily_activity(loaded_engine, CITY, start, TEST_AS_OF)
    assert dict(zip(daily["day"], daily["activities"], strict=True)) == dict(month.groupby("activity_date").size())
    assert members.read_checkins(loaded_engine, CITY, start, TEST_AS_OF) == month["member_id"].nunique()


def test_claimed_posts(loaded_engine, member_rows):
    frame = members.read_claimed_posts(loaded_engine)
    active = member_rows[member_rows["status"] == "active"]
    posts = active["claimed_posts"].fillna("").str.split(";").explode()
    want = posts[posts != ""].value_counts()
    assert {post: count for post, count in zip(frame["post"], frame["members"], strict=True) if count} == dict(want)


def test_people_lists_are_masked(loaded_engine, member_rows, city_dir):
    community = member_rows["community_code"].iloc[0]
    leader = Viewer("leader-1", "leader")
    frame = members.read_members_of_area(loaded_engine, leader.scope(community))
    want = member_rows[member_rows["community_code"] == community].sort_values("member_id")
    assert list(frame["name_masked"]) == [expected.mask_name(name) for name in want["name"]]
    assert list(frame["phone_masked"]) == [expected.mask_phone(phone) for phone in want["phone"]]
    assert not {"name", "phone"} & set(frame.columns)
    workers = expected.csv(city_dir, "grid_workers.csv")
    grid = workers["grid_code"].iloc[0]
    shown = grid_workers.read_grid_workers(loaded_engine, leader.scope(grid))
    want_workers = workers[workers["grid_code"] == grid].sort_values("worker_id")
    assert list(shown["name_masked"]) == [expected.mask_name(name) for name in want_workers["name"]]
    counts = grid_workers.read_grid_worker_counts(loaded_engine)
    assert dict(zip(counts["role"], counts["workers"], strict=True)) == dict(workers.groupby("role").size())


def distinct_members_by_kind(activity_rows: pd.DataFrame, area: str | None, start, end) -> dict[str, int]:
    """Distinct members per kind in the window and area, counted by pandas."""
    rows = activity_rows[(activity_rows["activity_date"] >= start) & (activity_rows["activity_date"] <= end)]
    if area:
        rows = rows[rows["community_code"].str.startswith(area) if len(area) < 15
                    else rows["effective_grid_code"] == area]
    return {kind: int(count) for kind, count in rows.groupby("kind")["member_id"].nunique().items()}


def test_distinct_members_per_kind_in_any_window_and_area(loaded_engine, activity_rows):
    assert rollups.rollups_ready(loaded_engine)
    busiest = activity_rows["effective_grid_code"].value_counts().index[0]
    for days in (1, 7, 30, 365):
        start = TEST_AS_OF - timedelta(days=days - 1)
        for area in (None, busiest[:6], busiest[:9], busiest[:12], busiest):
            frame = members.read_activity_by_kind(loaded_engine, AreaScope.of(area), start, TEST_AS_OF)
            assert dict(zip(frame["kind"], frame["members"], strict=True)) == distinct_members_by_kind(
                activity_rows, area, start, TEST_AS_OF), (days, area)


def assert_activity_days_count_the_activities(engine) -> None:
    """member_activity_days holds, per day, kind and previous date in the city, the activities and their hours:
    the previous dates recomputed here by sorting each member's activities of a kind."""
    with engine.connect() as connection:
        rows = pd.DataFrame(connection.execute(select(schema.member_activities)).mappings().all())
        stored = pd.DataFrame(connection.execute(select(schema.member_activity_days)).mappings().all())
    rows = rows.sort_values(["member_id", "kind", "activity_date", "activity_id"])
    rows["previous_day"] = rows.groupby(["member_id", "kind"])["activity_date"].shift()
    want = (rows.groupby(["activity_date", "kind", "previous_day"], dropna=False)
            .agg(activities=("activity_id", "size"), hours=("hours", "sum")).reset_index()
            .rename(columns={"activity_date": "day"}))

    def keyed(frame: pd.DataFrame) -> dict:
        return {(str(row.day), row.kind, None if pd.isna(row.previous_day) else str(row.previous_day)):
                (int(row.activities), float(row.hours)) for row in frame.itertuples()}

    assert len(stored) == len(want)
    assert keyed(stored) == keyed(want)
    assert_active_days_count_the_activities(engine)


def assert_active_days_count_the_activities(engine) -> None:
    """member_active_days holds, per day and previous date of any kind in the city, the activities: the previous
    dates recomputed here by sorting each member's activities, and every window's sum of first activities is the
    window's distinct members."""
    with engine.connect() as connection:
        rows = pd.DataFrame(connection.execute(select(schema.member_activities.c.member_id,
                                                      schema.member_activities.c.activity_date)).all())
        stored = pd.DataFrame(connection.execute(select(schema.member_active_days)).mappings().all())
    rows["activity_date"] = pd.to_datetime(rows["activity_date"]).dt.date
    rows = rows.sort_values(["member_id", "activity_date"])
    rows["previous_day"] = rows.groupby("member_id")["activity_date"].shift()
    want = rows.groupby(["activity_date", "previous_day"], dropna=False).size()
    got = {(str(row.day)[:10], None if pd.isna(row.previous_day) else str(row.previous_day)[:10]): int(row.activities)
           for row in stored.itertuples()}
    assert len(stored) == len(want)
    assert got == {(str(day), None if pd.isna(previous) else str(previous)): int(count)
                   for (day, previous), count in want.items()}
    stored["day"] = pd.to_datetime(stored["day"]).dt.date
    stored["previous_day"] = pd.to_datetime(stored["previous_day"]).dt.date
    last = rows["activity_date"].max()
    for days in (1, 7, 30):
        start = last - timedelta(days=days - 1)
        first = stored[(stored["day"] >= start) & (stored["previous_day"].isna() | (stored["previous_day"] < start))]
        assert first["activities"].sum() == rows.loc[rows["activity_date"] >= start, "member_id"].nunique() > 0


def test_previous_dates_stay_exact_through_the_live_feed_and_an_upgrade(empty_engine, city_dir):
    load_directory(city_dir, empty_engine)
    simulate(empty_engine, rate_per_minute=120, tick_seconds=0, ticks=3, seed=2)
    previous = [schema.member_activities.c[f"previous_in_{level}"] for level in schema.MEMBER_HISTORY_LEVELS]

    def counted() -> list[tuple]:
        return [members.read_activity_by_kind(empty_engine, CITY, TEST_AS_OF - timedelta(days=days), date(2100, 1, 1))
                .to_dict("records") for days in (0, 3, 40)]

    kept = counted()
    with empty_engine.connect() as connection:
        rows = pd.DataFrame(connection.execute(select(schema.member_activities.c.member_id,
                                                      schema.member_activities.c.kind,
                                                      schema.member_activities.c.activity_date,
                                                      schema.member_activities.c.hours)).all())
    for days, got in zip((0, 3, 40), kept, strict=True):
        start = TEST_AS_OF - timedelta(days=days)
        window = rows[pd.to_datetime(rows["activity_date"]).dt.date >= start].groupby("kind")
        assert {row["kind"]: row["members"] for row in got} == dict(window["member_id"].nunique())
        assert {row["kind"]: row["activities"] for row in got} == dict(window.size())
        assert {row["kind"]: row["hours"] for row in got} == pytest.approx(dict(window["hours"].sum()))
    assert_activity_days_count_the_activities(empty_engine)
    # A database from before version 4: no previous-date columns until build_rollups adds and fills them.
    with empty_engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_member_activities_date_kind")
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_member_activities_kind_date")
        for column in previous:
            connection.exec_driver_sql(f"ALTER TABLE member_activities DROP COLUMN {column.name}")
        connection.execute(update(schema.meta).where(schema.meta.c.key == rollups.ROLLUP_META_KEY)
                           .values(value="3"))
    rollups._READY.clear()
    assert counted() == kept  # counted with DISTINCT meanwhile
    rollup_upgrade.upgrade_rollups(empty_engine)
    assert rollups.rollups_ready(empty_engine)
    assert {column.name for column in previous} <= {
        column["name"] for column in inspect(empty_engine).get_columns("member_activities")}
    assert counted() == kept


def test_activity_days_follow_an_activity_moved_to_another_day_and_member(empty_engine, city_dir, tmp_path):
    load_directory(city_dir, empty_engine)
    activities = pd.read_csv(city_dir / "member_activities.csv", dtype=str, keep_default_na=False)
    # One activity moved a month later and to another member: its old day loses it, its new day gains it, and
    # both members' later activities of the kind change their previous dates.
    moved = activities.iloc[[len(activities) // 2]].copy()
    moved["activity_date"] = (pd.Timestamp(moved["activity_date"].iloc[0]) + pd.Timedelta(days=30)).date().isoformat()
    moved["member_id"] = activities["member_id"].iloc[0]
    (tmp_path / "feed").mkdir()
    moved.to_csv(tmp_path / "feed" / "member_activities.csv", index=False)
    load_directory(tmp_path / "feed", empty_engine)
    assert_activity_days_count_the_activities(empty_engine)
