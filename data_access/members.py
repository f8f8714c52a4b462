"""Members sent down to communities (党员下沉): deployment against targets, check-ins, service hours, posts."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, distinct, func, literal, or_, select

from data_access.codes import ACTIVITY_KINDS, AREA_LEVELS, MEMBER_POSTS
from data_access.filters import group_column_name
from data_access.member_history import distinct_members_counted, previous_any_column
from data_access.rollups import rollups_ready
from data_access.schema import areas, member_active_days, member_activities, member_activity_days, members
from data_access.scope import CITY, MASKED_PERSONAL, AreaScope
from data_access.sql import count_if, masked_name, masked_phone, read_frame

ACTIVE = "active"


def _community_targets(level: str, inside: AreaScope):
    """Subquery: code (of `level`), target = sum of member_target of the communities inside."""
    digits = AREA_LEVELS[level]
    code = func.substr(areas.c.code, 1, digits)
    conditions = [areas.c.level == "community", *inside.condition(areas)]
    return (select(code.label("code"), func.coalesce(func.sum(areas.c.member_target), 0).label("target"))
            .where(*conditions).group_by(code).subquery())


def coverage_scope(scope: AreaScope) -> tuple[str, AreaScope]:
    """(level, area) of the member coverage to show for a scope: the areas one level down, but targets are set
    per community, so a community or a grid shows its community."""
    capped = scope.capped("community")
    return ("community", capped) if capped.level == "community" else (capped.child_level, capped)


def read_member_summary(engine: Engine, scope: AreaScope, today: date) -> dict[str, float]:
    """Return headline member figures for the area as of `today` (a local date), and the same activity figures
    for the period before (yesterday, the 7 days before those 7).

    Keys: deployed (active members), registered (all), target (sum of community targets), active_today and
    active_week (distinct members with an activity today / in the 7 days to today), hours_week,
    whistle_responses_week; active_yesterday, active_previous_week, hours_previous_week,
    whistle_responses_previous_week.
    """
    deployed = read_frame(engine, select(func.count().label("registered"),
                                         count_if(members.c.status == ACTIVE).label("deployed"))
                          .where(*scope.condition(members))).iloc[0]
    # Targets are set per community: a grid has none of its own.
    target_conditions = [areas.c.level == "community", *scope.condition(areas)]
    target = read_frame(engine, select(func.coalesce(func.sum(areas.c.member_target), 0).label("target"))
                        .where(*target_conditions)).iloc[0]["target"]
    return {
        "deployed": int(deployed["deployed"]),
        "registered": int(deployed["registered"]),
        "target": int(target),
        **read_activity_periods(engine, scope, today),
    }


def read_activity_periods(engine: Engine, scope: AreaScope, today: date) -> dict[str, float]:
    """Members active today and yesterday, and active, service hours and whistle responses in the 7 days to
    today and the 7 before: one read over the 14 days (keys as read_member_summary's)."""
    if scope.level == "city":
        return _read_city_activity_periods(engine, today)
    activity = member_activities
    week_start, previous_start = today - timedelta(days=6), today - timedelta(days=13)
    yesterday, week_before_end = today - timedelta(days=1), week_start - timedelta(days=1)
    this_week = activity.c.activity_date >= week_start
    previous_week = activity.c.activity_date < week_start
    whistle = activity.c.kind == "whistle_response"
    # A member active in [first, last] in the area has one activity there whose previous one of any kind in the
    # area is before `first` (or none): a plain count, no DISTINCT (member_history).
    previous_here = activity.c[previous_any_column(scope.level)]
    counted = rollups_ready(engine)

    def members_active(first: date, last: date) -> ColumnElement:
        inside = and_(activity.c.activity_date >= first, activity.c.activity_date <= last)
        if not counted:  # the previous dates are being filled: count DISTINCT meanwhile
            return func.count(distinct(case((inside, activity.c.member_id))))
        return count_if(and_(inside, or_(previous_here.is_(None), previous_here < first)))

    def hours(condition) -> ColumnElement:
        return func.coalesce(func.sum(case((condition, activity.c.hours), else_=0.0)), 0)

    row = read_frame(engine, select(
        members_active(today, today).label("active_today"),
        members_active(yesterday, yesterday).label("active_yesterday"),
        members_active(week_start, today).label("active_week"),
        members_active(previous_start, week_before_end).label("active_previous_week"),
        hours(this_week).label("hours_week"),
        hours(previous_week).label("hours_previous_week"),
        count_if(and_(this_week, whistle)).label("whistle_responses_week"),
        count_if(and_(previous_week, whistle)).label("whistle_responses_previous_week"),
    ).where(activity.c.activity_date >= previous_start, activity.c.activity_date <= today,
            *scope.condition(activity))).iloc[0]
    return {name: float(value) if name.startswith("hours") else int(value) for name, value in row.items()}


def _read_city_activity_periods(engine: Engine, today: date) -> dict[str, float]:
    """read_activity_periods for the whole city, from the day rollups: a member counts once in a window, on the day
    of their first activity of any kind in it (member_active_days: its previous one is before the window, or none);
    hours and whistle responses are member_activity_days' sums."""
    active, days = member_active_days, member_activity_days
    week_start, previous_start = today - timedelta(days=6), today - timedelta(days=13)

    def members_active(first: date, last: date) -> ColumnElement:
        return (select(func.coalesce(func.sum(active.c.activities), 0))
                .where(active.c.day >= first, active.c.day <= last,
                       or_(active.c.previous_day.is_(None), active.c.previous_day < first))
                .scalar_subquery())

    def summed(column, first: date, last: date, *conditions) -> ColumnElement:
        return (select(func.coalesce(func.sum(column), 0)).where(days.c.day >= first, days.c.day <= last, *conditions)
                .scalar_subquery())

    whistle = days.c.kind == "whistle_response"
    yesterday, week_before_end = today - timedelta(days=1), week_start - timedelta(days=1)
    row = read_frame(engine, select(
        members_active(today, today).label("active_today"),
        members_active(yesterday, yesterday).label("active_yesterday"),
        members_active(week_start, today).label("active_week"),
        members_active(previous_start, week_before_end).label("active_previous_week"),
        summed(days.c.hours, week_start, today).label("hours_week"),
        summed(days.c.hours, previous_start, week_before_end).label("hours_previous_week"),
        summed(days.c.activities, week_start, today, whistle).label("whistle_responses_week"),
        summed(days.c.activities, previous_start, week_before_end, whistle).label("whistle_responses_previous_week"),
    )).iloc[0]
    return {name: float(value) if name.startswith("hours") else int(value) for name, value in row.items()}


def read_member_coverage(engine: Engine, level: str, inside: AreaScope = CITY) -> pd.DataFrame:
    """Return per area of `level` inside an area: code, name_zh, name_en, members (active), target,
    coverage (members/target).

    Targets are the sum of community targets inside the area (none at grid level: NaN coverage).
    """
    group = members.c[group_column_name(level)]
    member_counts = (select(group.label("code"), func.count().label("members"))
                     .where(members.c.status == ACTIVE, *inside.condition(members))
                     .group_by(group).subquery())
    targets = _community_targets(level, inside) if level not in ("community", "grid") else None
    columns = [areas.c.code, areas.c.name_zh, areas.c.name_en,
               func.coalesce(member_counts.c.members, 0).label("members")]
    source = areas.outerjoin(member_counts, member_counts.c.code == areas.c.code)
    if level == "community":
        # A community's target is its own: no join, which SQLite would walk once per community.
        columns.append(func.coalesce(areas.c.member_target, 0).label("target"))
    elif targets is not None:
        columns.append(targets.c.target)
        source = source.outerjoin(targets, targets.c.code == areas.c.code)
    else:
        columns.append(literal(None).label("target"))
    conditions = [areas.c.level == level, *inside.condition(areas)]
    frame = read_frame(engine, select(*columns).select_from(source).where(*conditions).order_by(areas.c.code))
    frame["members"] = frame["members"].astype("int64")
    frame["target"] = pd.to_numeric(frame["target"]).astype("Int64")
    frame["coverage"] = frame["members"] / frame["target"].where(frame["target"] > 0).astype("float64")
    return frame


def read_under_covered_communities(engine: Engine, inside: AreaScope = CITY,
                                   threshold: float = 1.0) -> pd.DataFrame:
    """Return communities whose active members are below `threshold` × target, worst first.

    Columns as read_member_coverage plus shortfall (target − members).
    """
    frame = read_member_coverage(engine, "community", inside)
    frame = frame[frame["coverage"].notna() & (frame["coverage"] < threshold)].copy()
    frame["shortfall"] = (frame["target"] - frame["members"]).astype("int64")
    return frame.sort_values(["coverage", "code"]).reset_index(drop=True)


def read_activity_by_kind(engine: Engine, scope: AreaScope, start: date, end: date) -> pd.DataFrame:
    """Return activities from `start` to `end` (inclusive) per kind: kind, activities, hours, members (distinct)."""
    if scope.level == "city":
        return _read_city_activity_by_kind(engine, start, end)
    activity = member_activities
    # Distinct members as a plain count of first activities in the window, where the loader keeps their dates.
    members_counted = (distinct_members_counted(scope, start) if rollups_ready(engine)
                       else func.count(distinct(activity.c.member_id)))
    return read_frame(engine, select(activity.c.kind, func.count().label("activities"),
                                     func.sum(activity.c.hours).label("hours"),
                                     members_counted.label("members"))
                      # Every kind, named: SQLite then reads its (kind, date) index one kind at a time.
                      .where(activity.c.kind.in_(list(ACTIVITY_KINDS)),
                             activity.c.activity_date >= start, activity.c.activity_date <= end,
                             *scope.condition(activity))
                      .group_by(activity.c.kind).order_by(activity.c.kind))


def _read_city_activity_by_kind(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """read_activity_by_kind for the whole city, from member_activity_days: a member counts once per kind, on the
    day of their first activity of it in the window (its previous one is before the window, or none)."""
    days = member_activity_days
    first_in_window = or_(days.c.previous_day.is_(None), days.c.previous_day < start)
    frame = read_frame(engine, select(days.c.kind, func.sum(days.c.activities).label("activities"),
                                      func.sum(days.c.hours).label("hours"),
                                      func.coalesce(func.sum(case((first_in_window, days.c.activities), else_=0)),
                                                    0).label("members"))
                       .where(days.c.kind.in_(list(ACTIVITY_KINDS)), days.c.day >= start, days.c.day <= end)
                       .group_by(days.c.kind).order_by(days.c.kind))
    return frame.astype({"activities": "int64", "hours": "float64", "members": "int64"})


def read_daily_activity(engine: Engine, scope: AreaScope, start: date, end: date) -> pd.DataFrame:
    """Return per day from `start` to `end` (inclusive): day (date), activities, hours, members."""
    activity = member_activities
    frame = read_frame(engine, select(activity.c.activity_date.label("day"), func.count().label("activities"),
                                      func.sum(activity.c.hours).label("hours"),
                                      func.count(distinct(activity.c.member_id)).label("members"))
                       .where(activity.c.activity_date >= start, activity.c.activity_date <= end,
                              *scope.condition(activity))
                       .group_by(activity.c.activity_date).order_by(activity.c.activity_date))
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def read_claimed_posts(engine: Engine, scope: AreaScope = CITY) -> pd.DataFrame:
    """Return how many active members claimed each post (认领岗位): columns post, members."""
    padded = literal(";").concat(func.coalesce(members.c.claimed_posts, "")).concat(literal(";"))
    counts = read_frame(engine, select(*(count_if(padded.like(f"%;{post};%")).label(post) for post in MEMBER_POSTS))
                        .where(members.c.status == ACTIVE, *scope.condition(members))).iloc[0]
    return pd.DataFrame({"post": list(MEMBER_POSTS), "members": [int(counts[post]) for post in MEMBER_POSTS]})


def read_members_of_area(engine: Engine, scope: AreaScope, limit: int = 200) -> pd.DataFrame:
    """Return members assigned in the area, names and phones masked in SQL (PersonalDataRefused for a viewer who
    may not read names: the scope says).

    Columns: member_id, name_masked, phone_masked, work_unit, unit_type, community_code, grid_code,
    checkin_date, claimed_posts, status.
    """
    scope.require(MASKED_PERSONAL)
    return read_frame(engine, select(
        members.c.member_id, masked_name(members.c.name).label("name_masked"),
        masked_phone(members.c.phone).label("phone_masked"), members.c.work_unit, members.c.unit_type,
        members.c.community_code, members.c.grid_code, members.c.checkin_date, members.c.claimed_posts,
        members.c.status,
    ).where(*scope.condition(members)).order_by(members.c.member_id).limit(limit))


def read_checkins(engine: Engine, scope: AreaScope, start: date, end: date) -> int:
    """Return distinct members with any activity from `start` to `end` (inclusive) in the area."""
    activity = member_activities
    return int(read_frame(engine, select(func.count(distinct(activity.c.member_id)).label("n"))
                          .where(and_(activity.c.activity_date >= start, activity.c.activity_date <= end),
                                 *scope.condition(activity))).iloc[0]["n"])
