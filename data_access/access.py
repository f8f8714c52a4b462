"""Who may see what, stored: each subject's role and area (data_access.roles), and wall-display keys.

Every change here writes its audit record in the same transaction (data_access.audit), so a role change or a
wall key whose record cannot be written does not happen.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy import Engine, select

from data_access import audit
from data_access.roles import Viewer, check_role, require_admin
from data_access.schema import app_users, wall_keys

WALL_KEY_SEPARATOR = "."

def read_viewer(engine: Engine, subject: str) -> Viewer | None:
    """The app's record of a signed-in subject, or None when the app does not know them."""
    with engine.connect() as connection:
        row = connection.execute(select(app_users).where(app_users.c.subject == subject)).first()
    if row is None:
        return None
    return Viewer(row.subject, row.role, row.area_code, row.display_name)


def read_users(engine: Engine, by: Viewer) -> list[Viewer]:
    """Every user the app knows, by subject (their names: for an administrator only)."""
    require_admin(by)
    with engine.connect() as connection:
        rows = connection.execute(select(app_users).order_by(app_users.c.subject)).all()
    return [Viewer(row.subject, row.role, row.area_code, row.display_name) for row in rows]


def assign_role(engine: Engine, by: Viewer, subject: str, role: str, area_code: str | None = None,
                display_name: str | None = None) -> Viewer:
    """Give a subject a role (and area), replacing what they had; audited with the change."""
    require_admin(by)
    check_role(role, area_code)
    with engine.begin() as connection:
        before = connection.execute(select(app_users).where(app_users.c.subject == subject)).first()
        values = {"display_name": display_name if display_name is not None else before and before.display_name,
                  "role": role, "area_code": area_code or None, "updated_at": int(time.time()),
                  "updated_by": by.subject}
        if before is None:
            connection.execute(app_users.insert().values(subject=subject, **values))
        else:
            connection.execute(app_users.update().where(app_users.c.subject == subject).values(**values))
        was = "none" if before is None else f"{before.role}@{before.area_code or 'city'}"
        audit.record_in(connection, by, "role_change", target=subject,
                        detail=f"{was} -> {role}@{area_code or 'city'}")
    return Viewer(subject, role, area_code or None, values["display_name"])


def remove_user(engine: Engine, by: Viewer, subject: str) -> bool:
    """Take a subject's role away (they keep signing in, and see nothing); True when they had one."""
    require_admin(by)
    with engine.begin() as connection:
        removed = connection.execute(app_users.delete().where(app_users.c.subject == subject)).rowcount
        if removed:
            audit.record_in(connection, by, "role_change", target=subject, detail="removed")
    return bool(removed)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_wall_key(engine: Engine, by: Viewer, label: str, area_code: str | None = None) -> str:
    """Create a wall display's key; return the token to put in its link (shown once, only its hash is kept)."""
    require_admin(by)
    check_role("wall", area_code)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(24)
    with engine.begin() as connection:
        connection.execute(wall_keys.insert().values(
            key_id=key_id, secret_sha256=_digest(secret), label=label, area_code=area_code or None,
            created_at=int(time.time()), created_by=by.subject))
        audit.record_in(connection, by, "wall_key_create", area_code=area_code, target=key_id, detail=label)
    return f"{key_id}{WALL_KEY_SEPARATOR}{secret}"


def revoke_wall_key(engine: Engine, by: Viewer, key_id: str) -> bool:
    """Revoke a wall key; the wall stops at its next refresh. True when a live key was revoked."""
    require_admin(by)
    with engine.begin() as connection:
        revoked = connection.execute(
            wall_keys.update().where(wall_keys.c.key_id == key_id, wall_keys.c.revoked_at.is_(None))
            .values(revoked_at=int(time.time()), revoked_by=by.subject)).rowcount
        if revoked:
            audit.record_in(connection, by, "wall_key_revoke", target=key_id)
    return bool(revoked)


def read_wall_keys(engine: Engine, by: Viewer) -> list[dict]:
    """Every wall key (never its secret): key_id, label, area_code, created_at/by, revoked_at/by; for an
    administrator only."""
    require_admin(by)
    columns = [column for column in wall_keys.c if column.name != "secret_sha256"]
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(*columns).order_by(wall_keys.c.created_at))]


def verify_wall_key(engine: Engine, token: str | None) -> Viewer | None:
    """The wall viewer a link's token stands for, or None when it is unknown, malformed or revoked."""
    if not token or WALL_KEY_SEPARATOR not in token:
        return None
    key_id, secret = token.split(WALL_KEY_SEPARATOR, 1)
    with engine.connect() as connection:
        row = connection.execute(select(wall_keys).where(wall_keys.c.key_id == key_id)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        return None
    return Viewer(f"wall:{key_id}", "wall", row.area_code, row.label)
