"""A live feed for demos: new work orders, lifecycle steps and member check-ins, written through the loader."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, select

from data_access import schema
from data_access.areas import read_city_facts
from data_access.city_time import CITY_ZONE
from data_access.codes import CATEGORIES_L1
from data_access.ingest import load_frames
from sample_data.names import mobile_numbers, person_names
from sample_data.work_order_catalog import (
    APPEAL_REQUESTS,
    CATEGORY_TABLE,
    CHANNEL_OPENERS,
    CHANNEL_SHARES,
    DUE_DAYS,
)

log = logging.getLogger(__name__)
# Open orders moved one lifecycle step per tick, and resolved ones called back.
ADVANCE_PER_TICK = 12
MEMBER_SAMPLE = 5_000
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
ORDER_COLUMNS = ["order_no", "channel", "appeal_type", "category_l1", "category_l2", "category_l3", "title",
                 "description", "caller_name", "caller_phone", "lon", "lat", "status", "received_at",
                 "dispatched_at", "accepted_at", "resolved_at", "called_back_at", "closed_at", "returned_at",
                 "extended_at", "due_at", "department", "resolution", "satisfaction", "repeat_of", "whistle",
                 "whistled_at", "whistle_departments"]
NEXT_STEP = {"received": ("dispatched", "dispatched_at"), "dispatched": ("accepted", "accepted_at"),
             "returned": ("accepted", "accepted_at"), "accepted": ("resolved", "resolved_at"),
             "in_progress": ("resolved", "resolved_at"), "extended": ("resolved", "resolved_at")}


@dataclass
class Feed:
    """What the simulator knows of the city, read once (grids, a sample of members)."""

    grid_codes: np.ndarray
    grid_names: np.ndarray
    grid_geometries: np.ndarray
    grid_weights: np.ndarray
    member_ids: np.ndarray
    counter: int = 0
    written: dict = field(default_factory=lambda: {"new": 0, "advanced": 0, "called_back": 0, "checkins": 0})


@dataclass(frozen=True)
class Surge:
    """A surge the feed adds on top of its ordinary orders: `per_tick` extra orders a batch in one community's
    grids and one first-level category (so a delegation can watch the wall flag it)."""

    community_code: str
    category_l1: str
    per_tick: int


def parse_surge(engine: Engine, text: str, per_tick: int) -> Surge:
    """'COMMUNITY_CODE:CATEGORY' checked against the database and the code list; ValueError naming what is wrong."""
    community, _, category = text.partition(":")
    if category not in CATEGORIES_L1:
        raise ValueError(f"--surge {text!r}: the category after ':' must be one of {', '.join(CATEGORIES_L1)}")
    with engine.connect() as connection:
        known = connection.execute(select(schema.areas.c.code).where(
            schema.areas.c.code == community, schema.areas.c.level == "community")).first()
    if known is None:
        raise ValueError(f"--surge {text!r}: {community!r} is not a community code of this city")
    if per_tick < 1:
        raise ValueError("--surge-per-tick must be at least 1")
    return Surge(community, category, per_tick)


def local_text(epoch: int | float | None) -> str | None:
    """Epoch seconds → 'YYYY-MM-DD HH:MM:SS' local time (the input files' form)."""
    if epoch is None or pd.isna(epoch):
        return None
    return datetime.fromtimestamp(int(epoch), CITY_ZONE).strftime(TIMESTAMP_FORMAT)


def read_feed(engine: Engine, rng: np.random.Generator) -> Feed:
    """Grids (with community names) and a bounded sample of active members."""
    areas = schema.areas
    with engine.connect() as connection:
        grids = connection.execute(select(areas.c.code, areas.c.population, areas.c.geometry_wkb)
                                   .where(areas.c.level == "grid").order_by(areas.c.code)).all()
        communities = dict(connection.execute(select(areas.c.code, areas.c.name_zh)
                                              .where(areas.c.level == "community")).all())
        members = connection.execute(select(schema.members.c.member_id).where(schema.members.c.status == "active")
                                     .order_by(schema.members.c.member_id).limit(MEMBER_SAMPLE)).scalars().all()
    codes = np.array([row.code for row in grids], dtype=object)
    weights = np.array([max(row.population, 1) for row in grids], dtype=float)
    return Feed(codes, np.array([communities.get(code[:12], "") for code in codes], dtype=object),
                shapely.from_wkb([row.geometry_wkb for row in grids]), weights / weights.sum(),
                np.array(members, dtype=object))


def point_in(rng: np.random.Generator, geometry) -> tuple[float, float]:
    """A random point inside a polygon (rejection sampling in its bounding box)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    for _ in range(200):
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if shapely.contains_xy(geometry, x, y):
            return round(x, 6), round(y, 6)
    inner = shapely.point_on_surface(geometry)
    return round(inner.x, 6), round(inner.y, 6)


def new_orders(rng: np.random.Generator, feed: Feed, count: int, now: int, surge: Surge | None = None
               ) -> pd.DataFrame:
    """`count` fresh work orders received in the last few seconds, in work_orders.csv form (with `surge`: all in
    its community and category)."""
    weights = np.array([category.weight for category in CATEGORY_TABLE], dtype=float)
    grid_weights = feed.grid_weights
    if surge is not None:
        weights = weights * np.array([category.l1 == surge.category_l1 for category in CATEGORY_TABLE])
        inside = np.array([str(code).startswith(surge.community_code) for code in feed.grid_codes])
        grid_weights = np.where(inside, feed.grid_weights, 0.0)
        grid_weights = grid_weights / grid_weights.sum()
    channels = list(CHANNEL_SHARES)
    rows = []
    names = person_names(rng, count)
    phones = mobile_numbers(rng, count)
    for index in range(count):
        category = CATEGORY_TABLE[rng.choice(len(CATEGORY_TABLE), p=weights / weights.sum())]
        grid = rng.choice(len(feed.grid_codes), p=grid_weights)
        lon, lat = point_in(rng, feed.grid_geometries[grid])
        channel = channels[rng.choice(len(channels), p=np.array(list(CHANNEL_SHARES.values())))]
        received = now - int(rng.integers(0, 5))
        feed.counter += 1
        citizen = channel not in ("grid_patrol", "member_report")
        rows.append({
            "order_no": f"SIM{now}{feed.counter:05d}", "channel": channel, "appeal_type": category.appeal,
            "category_l1": category.l1, "category_l2": category.l2,
            "category_l3": rng.choice(category.l3) if category.l3 else None,
            "title": f"{feed.grid_names[grid]}{rng.choice(category.titles)}",
            "description": (f"{rng.choice(CHANNEL_OPENERS[channel])}{rng.choice(category.problems)}，"
                            f"{rng.choice(APPEAL_REQUESTS[category.appeal])}"),
            "caller_name": names[index] if citizen else None, "caller_phone": phones[index] if citizen else None,
            "lon": lon, "lat": lat, "status": "received", "received_at": local_text(received),
            "due_at": local_text(received + DUE_DAYS[category.appeal] * 86_400), "department": category.department,
            "whistle": "false",
        })
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def _stored_orders(engine: Engine, condition, order, limit: int) -> pd.DataFrame:
    """A bounded batch of stored orders, back in work_orders.csv form."""
    table = schema.work_orders
    columns = [table.c[name] for name in ORDER_COLUMNS]
    with engine.connect() as connection:
        result = connection.execute(select(*columns).where(condition).order_by(order).limit(limit))
        frame = pd.DataFrame(result.fetchall(), columns=ORDER_COLUMNS)
    for column in ORDER_COLUMNS:
        if column.endswith("_at"):
            frame[column] = [local_text(value) for value in frame[column]]
    frame["whistle"] = frame["whistle"].map(lambda value: "true" if value else "false")
    return frame


def advance_orders(engine: Engine, rng: np.random.Generator, now: int) -> tuple[pd.DataFrame, int, int]:
    """Move the newest open orders one step on, and call back recently resolved ones; (rows, moved, called)."""
    table = schema.work_orders
    moving = _stored_orders(engine, table.c.is_open & table.c.status.in_(list(NEXT_STEP)),
                            table.c.received_at.desc(), ADVANCE_PER_TICK)
    stamp = local_text(now)
    for index, status in moving["status"].items():
        new_status, column = NEXT_STEP[status]
        moving.loc[index, ["status", column]] = [new_status, stamp]
        if new_status == "resolved":
            moving.loc[index, "resolution"] = "solved" if rng.random() < 0.92 else "unsolved"
    calling = _stored_orders(engine, (table.c.status == "resolved") & table.c.called_back_at.is_(None),
                             table.c.resolved_at.desc(), ADVANCE_PER_TICK // 2)
    calling = calling[~calling["order_no"].isin(moving["order_no"])]
    answers = rng.choice(["satisfied", "basically_satisfied", "dissatisfied"], len(calling), p=[0.8, 0.13, 0.07])
    calling = calling.assign(status="called_back", called_back_at=stamp, satisfaction=answers)
    return pd.concat([moving, calling], ignore_index=True), len(moving), len(calling)


def checkins(rng: np.random.Generator, feed: Feed, now: int, count: int) -> pd.DataFrame:
    """Member activities for today, as member_activities.csv rows."""
    if len(feed.member_ids) == 0 or count == 0:
        return pd.DataFrame()
    chosen = rng.choice(feed.member_ids, size=count)
    day = datetime.fromtimestamp(now, CITY_ZONE).date().isoformat()
    rows = []
    for member in chosen:
        feed.counter += 1
        rows.append({"activity_id": f"SIMA{now}{feed.counter:05d}", "member_id": member, "activity_date": day,
                     "kind": rng.choice(["patrol", "service", "whistle_response"], p=[0.5, 0.4, 0.1]),
                     "hours": float(rng.choice([0.5, 1.0, 1.5, 2.0]))})
    return pd.DataFrame(rows)


def tick(engine: Engine, rng: np.random.Generator, feed: Feed, now: int, new_count: int,
         surge: Surge | None = None) -> dict:
    """One step of the feed, loaded through the validated loader as one all-or-nothing batch (which brings the
    day's alerts up to date)."""
    fresh = new_orders(rng, feed, new_count, now)
    if surge is not None:
        fresh = pd.concat([fresh, new_orders(rng, feed, surge.per_tick, now, surge)], ignore_index=True)
    advanced, moved, called = advance_orders(engine, rng, now)
    activities = checkins(rng, feed, now, max(1, new_count // 3))
    frames = {"work_orders.csv": pd.concat([fresh, advanced], ignore_index=True)}
    if len(activities):
        frames["member_activities.csv"] = activities
    # The data's clock moves with the feed, so "today" and "data as of" follow the new orders.
    load_frames(frames, engine, city={"as_of": datetime.fromtimestamp(now, CITY_ZONE).isoformat()})
    feed.written["new"] += len(fresh)
    feed.written["advanced"] += moved
    feed.written["called_back"] += called
    feed.written["checkins"] += len(activities)
    return {"new": len(fresh), "advanced": moved, "called_back": called, "checkins": len(activities)}


def simulate(engine: Engine, rate_per_minute: float = 30, tick_seconds: float = 5, ticks: int | None = None,
             seed: int | None = None, surge: Surge | None = None) -> dict:
    """Run the feed until stopped (or for `ticks` steps), with `surge` on top; return how many rows of each kind
    it wrote."""
    rng = np.random.default_rng(seed)
    feed = read_feed(engine, rng)
    facts = read_city_facts(engine)
    started = time.time()
    clock = max(int(facts.get("as_of", 0) or 0) + 1, int(started))
    step = 0
    while ticks is None or step < ticks:
        # Simulated time never runs backwards and moves at least one second a tick.
        now = max(clock + step, clock + int(time.time() - started))
        count = int(rng.poisson(rate_per_minute * max(tick_seconds, 1) / 60))
        done = tick(engine, rng, feed, now, max(count, 1), surge)
        log.info("feed %s: %s", local_text(now), done)
        step += 1
        if ticks is None or step < ticks:
            time.sleep(tick_seconds)
    return feed.written
