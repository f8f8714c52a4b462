"""Storing a day's findings as alerts (idempotently) and reading alerts back, inside a viewer's area."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from data_access.alerts.model import AlertParameters
from data_access.schema import alert_days, alerts, meta
from data_access.scope import CITY, AreaScope
from data_access.sql import read_frame

# The newest day alerts were computed for: an alert is open while a finding on that day could still join it.
THROUGH_META_KEY = "alerts_through"
ALERT_COLUMNS = ["alert_id", "kind", "area_code", "area_level", "category_l1", "category_l2", "measure",
                 "first_day", "last_day", "observed", "expected", "upper", "status", "centre_lon", "centre_lat",
                 "order_nos", "computed_at"]
# PostgreSQL: one writer of alerts at a time (a live feed and the command may compute the same day).
ADVISORY_LOCK = 1_402_201_414


def _lock(connection: Connection, through: date) -> date:
    """Take the write lock first (SQLite: by writing; PostgreSQL: an advisory lock) and move the `through`
    mark on to `through` when it is later; return the mark."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})")
    stored = connection.execute(select(meta.c.value).where(meta.c.key == THROUGH_META_KEY)).scalar()
    mark = max(through, date.fromisoformat(stored)) if stored else through
    connection.execute(delete(meta).where(meta.c.key == THROUGH_META_KEY))
    connection.execute(insert(meta).values(key=THROUGH_META_KEY, value=mark.isoformat()))
    return mark


def _order_set(text: str | None) -> set[str]:
    return set(json.loads(text)) if text else set()


def _key(kind: str, area_code: str, category_l1: str | None, measure: str) -> tuple:
    return kind, area_code, category_l1, measure


def store_day(connection: Connection, day: date, findings: pd.DataFrame, computed_at: int,
              parameters: AlertParameters) -> list[int]:
    """Replace `day`'s findings in alerts and alert_days inside the caller's transaction; return the alert
    ids of the day's findings (in the findings' order).

    A finding joins the alert of the same kind, area and category (or measure) flagged within join_gap_days of
    `day` — a cluster the one sharing any of its requests — else starts one. Running it again with the same
    findings leaves the tables as they were, alert ids included.
    """
    through = _lock(connection, day)
    gap = parameters.join_gap_days
    reach = gap + parameters.cluster_days
    # Alerts that had a finding near this day: the ones findings may join (the day's own ones first).
    nearby = connection.execute(
        select(alerts.c.alert_id, alerts.c.kind, alerts.c.area_code, alerts.c.category_l1, alerts.c.category_l2,
               alerts.c.measure, alerts.c.first_day, alert_days.c.day, alert_days.c.order_nos)
        .join(alert_days, alert_days.c.alert_id == alerts.c.alert_id)
        .where(alert_days.c.day >= day - timedelta(days=reach), alert_days.c.day <= day + timedelta(days=reach))
    ).all()
    had_day = {row.alert_id for row in nearby if row.day == day}
    connection.execute(delete(alert_days).where(alert_days.c.day == day))
    by_key: dict[tuple, list] = {}
    clusters: dict[str, dict[int, tuple[set[str], date]]] = {}
    for row in nearby:
        if row.kind == "repeat_cluster":
            orders, first = clusters.setdefault(row.category_l2, {}).get(row.alert_id, (set(), row.first_day))
            clusters[row.category_l2][row.alert_id] = (orders | _order_set(row.order_nos), first)
        elif abs((row.day - day).days) <= gap:
            by_key.setdefault(_key(row.kind, row.area_code, row.category_l1, row.measure), []).append(row)

    def preference(alert_id: int, first_day: date) -> tuple:
        return alert_id not in had_day, first_day, alert_id

    ids, used = [], set()
    for finding in findings.itertuples(index=False):
        if finding.kind == "repeat_cluster":
            orders = _order_set(finding.order_nos)
            choices = [(preference(alert_id, first), alert_id)
                       for alert_id, (known, first) in clusters.get(finding.category_l2, {}).items()
                       if known & orders and alert_id not in used]
        else:
            choices = [(preference(row.alert_id, row.first_day), row.alert_id)
                       for row in by_key.get(_key(finding.kind, finding.area_code, finding.category_l1,
                                                  finding.measure), []) if row.alert_id not in used]
        if choices:
            alert_id = min(choices)[1]
        else:
            alert_id = connection.execute(insert(alerts).values(
                kind=finding.kind, area_code=finding.area_code, area_level=finding.area_level,
                category_l1=finding.category_l1, category_l2=finding.category_l2, measure=finding.measure,
                first_day=day, last_day=day, observed=int(finding.observed), status="open",
                computed_at=computed_at).returning(alerts.c.alert_id)).scalar_one()
        used.add(alert_id)
        ids.append(alert_id)
        connection.execute(insert(alert_days).values(
            alert_id=alert_id, day=day, observed=int(finding.observed), expected=_number(finding.expected),
            upper=_number(finding.upper), order_nos=finding.order_nos, computed_at=computed_at))
        if finding.kind == "repeat_cluster":
            clusters.setdefault(finding.category_l2, {})[alert_id] = (orders, day)
            # The centre and the circle of its latest finding (the one its figures are).
            connection.execute(update(alerts).where(alerts.c.alert_id == alert_id).values(
                centre_lon=_number(finding.centre_lon), centre_lat=_number(finding.centre_lat),
                measure=finding.measure))
    _summarise(connection, had_day | used, computed_at)
    connection.execute(update(alerts).values(status="open").where(
        alerts.c.last_day >= through - timedelta(days=gap), alerts.c.status != "open"))
    connection.execute(update(alerts).values(status="closed").where(
        alerts.c.last_day < through - timedelta(days=gap), alerts.c.status != "closed"))
    return ids


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _summarise(connection: Connection, alert_ids: set[int], computed_at: int) -> None:
    """Each alert's span and latest figures from its days; an alert left with no day is deleted."""
    for alert_id in sorted(alert_ids):
        days = connection.execute(select(alert_days).where(alert_days.c.alert_id == alert_id)
                                  .order_by(alert_days.c.day)).all()
        if not days:
            connection.execute(delete(alerts).where(alerts.c.alert_id == alert_id))
            continue
        last = days[-1]
        orders = set().union(*(_order_set(row.order_nos) for row in days))
        connection.execute(update(alerts).where(alerts.c.alert_id == alert_id).values(
            first_day=days[0].day, last_day=last.day, expected=last.expected, upper=last.upper,
            observed=len(orders) if orders else last.observed,
            order_nos=json.dumps(sorted(orders), ensure_ascii=False) if orders else None,
            computed_at=max(row.computed_at for row in days)))


# ---------------------------------------------------------------- reading


def _frame(engine: Engine, statement) -> pd.DataFrame:
    frame = read_frame(engine, statement)
    if frame.empty:
        return pd.DataFrame(columns=list(frame.columns) or ALERT_COLUMNS)
    for column in ("first_day", "last_day", "day"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def read_alerts(engine: Engine, scope: AreaScope = CITY, status: str | None = None, day: date | None = None,
                kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Alerts inside the scope (ALERT_COLUMNS), optionally only open or closed ones, those flagged on `day`
    (with that day's observed, expected and upper), or some kinds; most recent and largest first."""
    columns = [alerts.c[name] for name in ALERT_COLUMNS]
    statement = select(*columns).where(*scope.condition(alerts))
    if day is not None:
        statement = (select(*(alert_days.c[name] if name in ("observed", "expected", "upper") else alerts.c[name]
                              for name in ALERT_COLUMNS))
                     .join(alert_days, alert_days.c.alert_id == alerts.c.alert_id)
                     .where(alert_days.c.day == day, *scope.condition(alerts)))
    if status is not None:
        statement = statement.where(alerts.c.status == status)
    if kinds:
        statement = statement.where(alerts.c.kind.in_(kinds))
    statement = statement.order_by(alerts.c.last_day.desc(), alerts.c.kind, alerts.c.area_code,
                                   alerts.c.category_l1, alerts.c.alert_id)
    return _frame(engine, statement)


def read_open_alerts(engine: Engine, scope: AreaScope = CITY, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Open alerts inside the scope (ALERT_COLUMNS): newest first."""
    return read_alerts(engine, scope, "open", kinds=kinds)


def read_open_alert_count(engine: Engine, scope: AreaScope = CITY) -> int:
    """How many alerts inside the scope are open (the wall's title bar)."""
    statement = select(func.count()).select_from(alerts).where(alerts.c.status == "open",
                                                               *scope.condition(alerts))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def read_alert(engine: Engine, alert_id: int, scope: AreaScope = CITY) -> dict | None:
    """One alert (ALERT_COLUMNS) with its flagged days (`days`: day, observed, expected, upper), or None when
    there is no such alert inside the scope."""
    frame = _frame(engine, select(*(alerts.c[name] for name in ALERT_COLUMNS)).where(
        alerts.c.alert_id == alert_id, *scope.condition(alerts)))
    if frame.empty:
        return None
    alert = frame.iloc[0].to_dict()
    alert["days"] = _frame(engine, select(alert_days.c.day, alert_days.c.observed, alert_days.c.expected,
                                          alert_days.c.upper).where(alert_days.c.alert_id == alert_id)
                           .order_by(alert_days.c.day))
    return alert


def read_through(engine: Engine) -> date | None:
    """The newest day alerts were computed for, or None."""
    with engine.connect() as connection:
        value = connection.execute(select(meta.c.value).where(meta.c.key == THROUGH_META_KEY)).scalar()
    return date.fromisoformat(value) if value else None
