"""Citizen requests (work orders): counts, trends, heat cells, hotspots and masked lists, aggregated in SQL."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Integer, and_, cast, func, literal, null, select, union_all

from data_access.city_time import DAY_SECONDS, day_number_to_date
from data_access.filters import WorkOrderFilter, work_order_conditions
from data_access.geo import H3_RESOLUTIONS
from data_access.rollups import group_key_columns, group_keys, read_measures
from data_access.schema import areas, work_orders
from data_access.scope import CITIZEN_TEXT, MASKED_PERSONAL, AreaScope
from data_access.sql import count_if, masked_name, masked_phone, read_frame

LATEST_LIMIT_MAX = 500


def read_overdue_counts(engine: Engine, work_filter: WorkOrderFilter, now: int, group: str | None = None
                        ) -> pd.DataFrame:
    """Return orders received in the window, still open and past due at `now`: column overdue [per group key].

    `group` as in rollups.read_measures (an area level gives column code). Reads only open orders.
    """
    table = work_orders
    keys = group_key_columns(table, group_keys(group), "received_at")
    statement = select(*keys, func.count().label("overdue")).where(
        table.c.is_open, table.c.due_at < now, *work_order_conditions(table, work_filter))
    return read_frame(engine, statement.group_by(*keys) if keys else statement)


def read_order_totals(engine: Engine, work_filter: WorkOrderFilter, now: int) -> dict[str, int]:
    """Return counts for the filter: received (in the window), and of those still open and overdue at `now`."""
    counts = read_measures(engine, work_filter, ["received", "open"]).iloc[0]
    overdue = read_overdue_counts(engine, work_filter, now).iloc[0]["overdue"]
    return {"received": int(counts["received"]), "open": int(counts["open"]), "overdue": int(overdue)}


def read_backlog(engine: Engine, work_filter: WorkOrderFilter, now: int) -> dict[str, int]:
    """Return the backlog at the moment `now` whatever the received date: open, overdue, and due within 24 h.

    An order was open at `now` when it had been received by then and not yet resolved: it is open today, or it
    was resolved after `now`. So the same read gives a past moment's backlog (a previous period's); its due
    times are today's (an extension granted since then counts from the start).
    """
    table = work_orders
    area = work_order_conditions(table, work_filter, with_time=False)
    counts = (func.count().label("open"), count_if(table.c.due_at < now).label("overdue"),
              count_if(and_(table.c.due_at >= now, table.c.due_at < now + DAY_SECONDS)).label("due_24h"))
    # Open then = open today − open today but received after `now` + resolved after `now`; each part on an index
    # of its own (the open orders alone; received, resolved since `now`: nothing for the present moment).
    parts = union_all(
        select(literal(1).label("sign"), *counts).where(table.c.is_open, *area),
        select(literal(-1).label("sign"), *counts).where(table.c.is_open, table.c.received_at > now, *area),
        # The cast keeps the planners off the is_open index here (99 % of the orders are not open), the + 0 keeps
        # SQLite off the received index (all of them were received by `now`): the few resolved since, by theirs.
        select(literal(1).label("sign"), *counts).where(table.c.resolved_at > now, cast(table.c.is_open, Integer) == 0,
                                                        table.c.received_at + 0 <= now, *area),
    )
    frame = read_frame(engine, parts)
    return {name: int((frame["sign"] * frame[name]).sum()) for name in ("open", "overdue", "due_24h")}


def read_counts_by_area(engine: Engine, work_filter: WorkOrderFilter, level: str, now: int) -> pd.DataFrame:
    """Return one row per area of `level` inside the filter's area, zeros included.

    Columns: code, name_zh, name_en, population, households, received, open, overdue, resolved,
    called_back, satisfied, per_10k (received per 10,000 residents), satisfaction_rate.
    """
    names = {"received": "received", "open": "open", "received_resolved": "resolved",
             "received_called_back": "called_back", "received_satisfied": "satisfied"}
    frame = read_frame(engine, select(areas.c.code, areas.c.name_zh, areas.c.name_en, areas.c.population,
                                      areas.c.households)
                       .where(areas.c.level == level, *work_filter.area.condition(areas)).order_by(areas.c.code))
    counts = read_measures(engine, work_filter, list(names), level).rename(columns=names)
    overdue = read_overdue_counts(engine, work_filter, now, level)
    frame = frame.merge(counts, on="code", how="left").merge(overdue, on="code", how="left")
    for column in ("received", "open", "overdue", "resolved", "called_back", "satisfied"):
        frame[column] = frame[column].fillna(0).astype("int64") if column in frame else 0
    frame = frame[["code", "name_zh", "name_en", "population", "households", "received", "open", "overdue",
                   "resolved", "called_back", "satisfied"]]
    frame["per_10k"] = frame["received"] * 10_000 / frame["population"].where(frame["population"] > 0)
    frame["satisfaction_rate"] = frame["satisfied"] / frame["called_back"].where(frame["called_back"] > 0)
    return frame


def _by_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the local day numbers of a per-day frame into dates."""
    frame.insert(0, "day", [day_number_to_date(number) for number in frame.pop("day")])
    return frame


def read_daily_counts(engine: Engine, work_filter: WorkOrderFilter) -> pd.DataFrame:
    """Return received orders per local day in the window (days with orders): columns day (date), received, open."""
    frame = read_measures(engine, work_filter, ["received", "open"], "day")
    return _by_day(frame[frame["received"] > 0].reset_index(drop=True))


def read_daily_resolved(engine: Engine, work_filter: WorkOrderFilter) -> pd.DataFrame:
    """Return orders resolved per local day in the window: columns day (date), resolved, on_time."""
    frame = read_measures(engine, work_filter, ["resolved", "resolved_on_time"], "day")
    return _by_day(frame[frame["resolved"] > 0].rename(columns={"resolved_on_time": "on_time"})
                   .reset_index(drop=True))


def read_hourly_profile(engine: Engine, work_filter: WorkOrderFilter) -> pd.DataFrame:
    """Return received orders by local weekday (0 = Monday) and hour: columns weekday, hour, received."""
    frame = read_measures(engine, work_filter, ["received"], ("day", "hour"))
    frame = frame[frame["received"] > 0]
    # 1970-01-01, local day 0, was a Thursday.
    weekday = ((frame["day"] + 3) % 7).rename("weekday")
    return (frame.groupby([weekday, frame["hour"]])["received"].sum().reset_index()
            .astype("int64").sort_values(["weekday", "hour"]).reset_index(drop=True))


def read_category_counts(engine: Engine, work_filter: WorkOrderFilter, now: int) -> pd.DataFrame:
    """Return counts per top-level category: columns category_l1, received, open, overdue.

    Sorted by received, largest first.
    """
    counts = read_measures(engine, work_filter, ["received", "open"], "category_l1")
    counts = counts[counts["received"] > 0]
    overdue = read_overdue_counts(engine, work_filter, now, "category_l1")
    frame = counts.merge(overdue, on="category_l1", how="left")
    frame["overdue"] = frame["overdue"].fillna(0).astype("int64")
    return frame.sort_values(["received", "category_l1"], ascending=[False, True]).reset_index(drop=True)


def _received_by(engine: Engine, work_filter: WorkOrderFilter, key: str) -> pd.DataFrame:
    """Received orders per value of `key`, largest first: columns key, received."""
    frame = read_measures(engine, work_filter, ["received"], key)
    frame = frame[frame["received"] > 0]
    return frame.sort_values(["received", key], ascending=[False, True]).reset_index(drop=True)


def read_channel_counts(engine: Engine, work_filter: WorkOrderFilter) -> pd.DataFrame:
    """Return received orders per channel: columns channel, received (largest first)."""
    return _received_by(engine, work_filter, "channel")


def read_status_counts(engine: Engine, work_filter: WorkOrderFilter) -> pd.DataFrame:
    """Return received orders per current lifecycle status: columns status, received (largest first)."""
    return _received_by(engine, work_filter, "status")


def read_h3_heat(engine: Engine, work_filter: WorkOrderFilter, resolution: int, now: int) -> pd.DataFrame:
    """Return received orders per H3 cell at `resolution` (one of geo.H3_RESOLUTIONS).

    Columns: h3 (hex cell id, as deck.gl's H3HexagonLayer wants it), received, open, overdue.
    """
    if resolution not in H3_RESOLUTIONS:
        raise ValueError(f"H3 resolution {resolution} is not stored; choose one of {H3_RESOLUTIONS}")
    cell = f"h3_r{resolution}"
    counts = read_measures(engine, work_filter, ["received", "open"], cell)
    counts = counts[counts["received"] > 0]
    frame = counts.merge(read_overdue_counts(engine, work_filter, now, cell), on=cell, how="left")
    frame["overdue"] = frame["overdue"].fillna(0).astype("int64")
    frame.insert(0, "h3", [format(int(value), "x") for value in frame.pop(cell)])
    return frame.reset_index(drop=True)


def _period_comparison(engine: Engine, work_filter: WorkOrderFilter, level: str) -> pd.DataFrame:
    """Per area of `level` with orders: code, received (in the window), previous (the window of equal length
    before it), growth (received − previous)."""
    window = work_filter.window_seconds()
    if window is None:
        raise ValueError("hotspots need a time window with a start and an end")
    current = read_measures(engine, work_filter, ["received"], level)
    previous = read_measures(engine, work_filter.shifted(-window), ["received"], level)
    frame = current.merge(previous.rename(columns={"received": "previous"}), on="code", how="outer")
    frame[["received", "previous"]] = frame[["received", "previous"]].fillna(0).astype("int64")
    frame["growth"] = frame["received"] - frame["previous"]
    return frame[(frame["received"] > 0) | (frame["previous"] > 0)]


def _named_hotspots(engine: Engine, counts: pd.DataFrame, order_by: str, limit: int) -> pd.DataFrame:
    """Keep the first `limit` areas by `order_by`, add their names and the growth rate."""
    top = counts.sort_values([order_by, "code"], ascending=[False, True]).head(limit)
    names = read_frame(engine, select(areas.c.code, areas.c.name_zh, areas.c.name_en)
                       .where(areas.c.code.in_(top["code"].tolist())))
    frame = top.merge(names, on="code", how="inner")[["code", "name_zh", "name_en", "received", "previous",
                                                       "growth"]].reset_index(drop=True)
    frame["growth_rate"] = frame["growth"] / frame["previous"].where(frame["previous"] > 0)
    return frame


def read_hotspots(engine: Engine, work_filter: WorkOrderFilter, level: str = "grid", limit: int = 10) -> pd.DataFrame:
    """Return the areas with most orders in the window and their growth over the previous window of equal length.

    Columns: code, name_zh, name_en, received, previous, growth (received − previous), growth_rate
    (NaN when previous is 0). Sorted by received, largest first. Needs a bounded window.
    """
    return _named_hotspots(engine, _period_comparison(engine, work_filter, level), "received", limit)


def read_growth_hotspots(engine: Engine, work_filter: WorkOrderFilter, level: str = "grid", limit: int = 10,
                         minimum: int = 5) -> pd.DataFrame:
    """Return the areas whose orders grew most against the previous window (at least `minimum` orders now).

    Columns as read_hotspots; sorted by growth, largest first.
    """
    counts = _period_comparison(engine, work_filter, level)
    return _named_hotspots(engine, counts[counts["received"] >= minimum], "growth", limit)


def _masked_order_columns(area: AreaScope):
    """Columns of an order a list shows, for the scope's viewer: a list of requests needs CITIZEN_TEXT (else
    PersonalDataRefused); callers' names and phones, masked in SQL, need MASKED_PERSONAL (else NULL, never read).
    The long description is not read (no list shows it, and the wall asks every few seconds)."""
    area.require(CITIZEN_TEXT)
    table = work_orders
    callers = area.may_read(MASKED_PERSONAL)
    return (
        table.c.order_no, table.c.received_at, table.c.channel, table.c.appeal_type, table.c.category_l1,
        table.c.category_l2, table.c.title, table.c.status, table.c.due_at,
        table.c.resolved_at, table.c.department, table.c.district_code, table.c.street_code,
        table.c.community_code, table.c.grid_code, table.c.lon, table.c.lat,
        (masked_name(table.c.caller_name) if callers else null()).label("caller_name_masked"),
        (masked_phone(table.c.caller_phone) if callers else null()).label("caller_phone_masked"),
    )


def read_latest_orders(engine: Engine, work_filter: WorkOrderFilter, limit: int = 20) -> pd.DataFrame:
    """Return the most recently received orders, newest first, caller masked (张*, 138****5678).

    Columns: order_no, received_at (epoch s), channel, appeal_type, category_l1, category_l2, title, status,
    due_at, resolved_at, department, district/street/community/grid_code, lon, lat, caller_name_masked,
    caller_phone_masked, community_name_zh, community_name_en. For a viewer who may not read requests (the
    filter's area says: guests) PersonalDataRefused; callers are None for one who may not read names (walls).
    """
    table = work_orders
    limit = max(1, min(int(limit), LATEST_LIMIT_MAX))
    latest = (select(*_masked_order_columns(work_filter.area)).where(*work_order_conditions(table, work_filter))
              .order_by(table.c.received_at.desc(), table.c.order_no.desc()).limit(limit).subquery())
    statement = (
        select(latest, areas.c.name_zh.label("community_name_zh"), areas.c.name_en.label("community_name_en"))
        .select_from(latest.outerjoin(areas, areas.c.code == latest.c.community_code))
        .order_by(latest.c.received_at.desc(), latest.c.order_no.desc())
    )
    return read_frame(engine, statement)


def read_whistle_cases(engine: Engine, work_filter: WorkOrderFilter, limit: int = 50) -> pd.DataFrame:
    """Return whistle-escalated (吹哨) orders in the window, newest first, masked and refused like
    read_latest_orders.

    Extra columns: whistled_at, whistle_departments (';'-separated departments that reported in).
    """
    table = work_orders
    limit = max(1, min(int(limit), LATEST_LIMIT_MAX))
    return read_frame(engine, select(*_masked_order_columns(work_filter.area), table.c.whistled_at,
                                     table.c.whistle_departments)
                      .where(table.c.whistle, *work_order_conditions(table, work_filter))
                      .order_by(table.c.received_at.desc(), table.c.order_no.desc()).limit(limit))


def read_whistle_summary(engine: Engine, work_filter: WorkOrderFilter) -> dict[str, int]:
    """Return whistle counts in the window: whistles, resolved (of those), open."""
    counts = read_measures(engine, work_filter, ["whistles", "whistles_resolved", "whistles_open"]).iloc[0]
    return {"whistles": int(counts["whistles"]), "resolved": int(counts["whistles_resolved"]),
            "open": int(counts["whistles_open"])}


def read_order_timeline(engine: Engine, scope: AreaScope, order_no: str) -> pd.DataFrame:
    """Return one order's lifecycle as rows (step, at), in order, for following a request's closed loop.

    Only an order inside `scope` (the viewer's area) is read: one outside it is empty, as an unknown number is.
    """
    table = work_orders
    steps = ("received_at", "dispatched_at", "accepted_at", "returned_at", "extended_at", "whistled_at",
             "resolved_at", "called_back_at", "closed_at")
    frame = read_frame(engine, select(*(table.c[step] for step in steps), table.c.due_at, table.c.satisfaction)
                       .where(table.c.order_no == order_no, *scope.condition(table)))
    if frame.empty:
        return pd.DataFrame(columns=["step", "at"])
    row = frame.iloc[0]
    timeline = pd.DataFrame({"step": [step.removesuffix("_at") for step in steps],
                             "at": [row[step] for step in steps]}).dropna(subset=["at"])
    timeline["at"] = timeline["at"].astype("int64")
    return timeline.sort_values("at", kind="stable").reset_index(drop=True)


def read_tour_order(engine: Engine, scope: AreaScope) -> dict | None:
    """Pick one closed, called-back order in the scope with a satisfied answer to follow on the tour (newest such).

    Keys: order_no, category_l1, category_l2, title, channel, satisfaction, community_code. The title (a
    citizen's words) is None for a viewer who may not read them (guests); no caller is read.
    """
    table = work_orders
    title = table.c.title if scope.may_read(CITIZEN_TEXT) else null().label("title")
    frame = read_frame(engine, select(
        table.c.order_no, table.c.category_l1, table.c.category_l2, title, table.c.channel,
        table.c.satisfaction, table.c.community_code,
    ).where(table.c.status == "closed", table.c.called_back_at.is_not(None), table.c.dispatched_at.is_not(None),
            table.c.satisfaction == "satisfied", *scope.condition(table))
        .order_by(table.c.closed_at.desc()).limit(1))
    return None if frame.empty else frame.iloc[0].to_dict()
