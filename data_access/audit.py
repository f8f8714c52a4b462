"""The audit log of personal data: who saw or did what, when, in which role and area. Append-only (schema.py).

A view or export of personal data, a reveal, a role change, a wall key or a supervision task's step is recorded
before it happens, and does not happen when the record cannot be written (AuditUnavailable).
"""

from __future__ import annotations

import time

import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from data_access.city_time import DAY_SECONDS
from data_access.roles import Viewer, require_admin
from data_access.schema import AUDIT_RETENTION_DAYS, audit_log
from data_access.sql import read_frame

ACTIONS = ("sign_in", "view_personal", "export", "reveal", "refused", "role_change", "wall_key_create",
           "wall_key_revoke", "audit_export", "audit_purge", "task_create", "task_accept", "task_resolve",
           "task_return", "task_verify")
COLUMNS = ["audit_id", "at", "subject", "role", "action", "page", "area_code", "target", "reason", "detail"]


class AuditUnavailable(Exception):
    """The audit record could not be written, so the action it records must not happen."""


def record_in(connection: Connection, viewer: Viewer | None, action: str, page: str | None = None,
              area_code: str | None = None, target: str | None = None, reason: str | None = None,
              detail: str | None = None) -> None:
    """Write one audit record inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    connection.execute(audit_log.insert().values(
        at=int(time.time()), subject=viewer.subject if viewer else None, role=viewer.role if viewer else None,
        action=action, page=page, area_code=area_code, target=target, reason=reason, detail=detail))


def record(engine: Engine, viewer: Viewer | None, action: str, **fields) -> None:
    """Write one audit record and commit it; AuditUnavailable when the database refuses or is unreachable."""
    try:
        with engine.begin() as connection:
            record_in(connection, viewer, action, **fields)
    except SQLAlchemyError as error:
        raise AuditUnavailable(f"audit record for {action} not written: {type(error).__name__}") from error


def read_audit(engine: Engine, by: Viewer, start: int | None = None, end: int | None = None,
               subject: str | None = None, actions: tuple[str, ...] = (), limit: int = 1000) -> pd.DataFrame:
    """Audit records, newest first, in [start, end) and for a subject or actions when given; for an administrator
    only (AccessDenied), since they hold who looked at what and the reasons of reveals."""
    require_admin(by)
    conditions = []
    if start is not None:
        conditions.append(audit_log.c.at >= start)
    if end is not None:
        conditions.append(audit_log.c.at < end)
    if subject:
        conditions.append(audit_log.c.subject == subject)
    if actions:
        conditions.append(audit_log.c.action.in_(actions))
    statement = (select(*(audit_log.c[name] for name in COLUMNS)).where(*conditions)
                 .order_by(audit_log.c.at.desc(), audit_log.c.audit_id.desc()).limit(limit))
    frame = read_frame(engine, statement)
    return frame if len(frame) else pd.DataFrame(columns=COLUMNS)


def purge_audit(engine: Engine, by: Viewer, older_than_days: int = AUDIT_RETENTION_DAYS) -> int:
    """Delete records older than the given age (never younger than the retention); return how many, audited."""
    if older_than_days < AUDIT_RETENTION_DAYS:
        raise ValueError(f"audit records are kept at least {AUDIT_RETENTION_DAYS} days")
    cutoff = int(time.time()) - older_than_days * DAY_SECONDS
    with engine.begin() as connection:
        purged = connection.execute(audit_log.delete().where(audit_log.c.at < cutoff)).rowcount
        record_in(connection, by, "audit_purge", detail=f"{purged} records older than {older_than_days} days")
    return purged
