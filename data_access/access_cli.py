"""`python -m data_access users|wall-keys|audit …`: an administrator's commands for roles, wall keys and the audit."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from sqlalchemy import Engine

from data_access import access, audit, migrate
from data_access.city_time import local_text
from data_access.db import DATABASE_URL_HELP
from data_access.roles import ROLES, Viewer
from data_access.schema import AUDIT_RETENTION_DAYS

COMMANDS = ("users", "wall-keys", "audit")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the three command groups to the main parser."""
    users = commands.add_parser("users", help="who may sign in as what: list, set ROLE, remove")
    users.add_argument("--db", help=DATABASE_URL_HELP)
    user_actions = users.add_subparsers(dest="action", required=True)
    user_actions.add_parser("list", help="every user the app knows")
    grant = user_actions.add_parser("set", help="give a provider subject a role (and an area)")
    grant.add_argument("subject", help="the identity provider's subject (sub claim)")
    grant.add_argument("role", choices=list(ROLES))
    grant.add_argument("--area", help="district, street or community code (staff and case handlers)")
    grant.add_argument("--name", help="display name")
    remove = user_actions.add_parser("remove", help="take a subject's role away")
    remove.add_argument("subject")

    keys = commands.add_parser("wall-keys", help="wall displays' revocable links: list, create, revoke")
    keys.add_argument("--db", help=DATABASE_URL_HELP)
    key_actions = keys.add_subparsers(dest="action", required=True)
    key_actions.add_parser("list", help="every key (never its secret)")
    create = key_actions.add_parser("create", help="create a key and print the wall's link token once")
    create.add_argument("label", help="which screen, e.g. 'command centre, left'")
    create.add_argument("--area", help="the area the wall shows (default: the whole city)")
    revoke = key_actions.add_parser("revoke", help="revoke a key: its wall stops at the next refresh")
    revoke.add_argument("key_id")

    log = commands.add_parser("audit", help=f"the audit log: list, purge (kept {AUDIT_RETENTION_DAYS} days at least)")
    log.add_argument("--db", help=DATABASE_URL_HELP)
    log_actions = log.add_subparsers(dest="action", required=True)
    listing = log_actions.add_parser("list", help="newest records first")
    listing.add_argument("--subject")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    purge = log_actions.add_parser("purge", help="delete records older than --days (the retention at least)")
    purge.add_argument("--days", type=int, default=AUDIT_RETENTION_DAYS)


def run(engine: Engine, arguments: argparse.Namespace) -> int:
    """Run one of the commands as the operating-system user at the console (recorded as cli:<user>)."""
    by = Viewer(f"cli:{getpass.getuser()}", "admin")
    try:
        with engine.begin() as connection:
            migrate.ensure_current(connection)
        if arguments.command == "users":
            return _users(engine, by, arguments)
        if arguments.command == "wall-keys":
            return _wall_keys(engine, by, arguments)
        return _audit(engine, by, arguments)
    except (ValueError, migrate.SchemaMismatch) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _users(engine: Engine, by: Viewer, arguments: argparse.Namespace) -> int:
    if arguments.action == "set":
        viewer = access.assign_role(engine, by, arguments.subject, arguments.role, arguments.area, arguments.name)
        print(f"{viewer.subject}: {viewer.role} @ {viewer.area_code or 'city'}")
    elif arguments.action == "remove":
        if not access.remove_user(engine, by, arguments.subject):
            print(f"error: {arguments.subject} has no role", file=sys.stderr)
            return 1
        print(f"{arguments.subject}: removed")
    else:
        for viewer in access.read_users(engine, by):
            print(f"{viewer.subject:40} {viewer.role:13} {viewer.area_code or 'city':15} {viewer.display_name or ''}")
    return 0


def _wall_keys(engine: Engine, by: Viewer, arguments: argparse.Namespace) -> int:
    if arguments.action == "create":
        token = access.create_wall_key(engine, by, arguments.label, arguments.area)
        print(f"wall link: /?mode=wall&key={token}")
        print("the token is shown only now; revoke with: python -m data_access wall-keys revoke "
              + token.split(access.WALL_KEY_SEPARATOR)[0], file=sys.stderr)
    elif arguments.action == "revoke":
        if not access.revoke_wall_key(engine, by, arguments.key_id):
            print(f"error: no live wall key {arguments.key_id}", file=sys.stderr)
            return 1
        print(f"{arguments.key_id}: revoked")
    else:
        for key in access.read_wall_keys(engine, by):
            state = f"revoked {local_text(key['revoked_at'])}" if key["revoked_at"] else "live"
            print(f"{key['key_id']}  {key['area_code'] or 'city':15} {state:24} {key['label']}")
    return 0


def _audit(engine: Engine, by: Viewer, arguments: argparse.Namespace) -> int:
    if arguments.action == "purge":
        purged = audit.purge_audit(engine, by, arguments.days)
        print(f"{purged} audit records older than {arguments.days} days deleted")
        return 0
    frame = audit.read_audit(engine, by, subject=arguments.subject, limit=arguments.limit)
    audit.record(engine, by, "audit_export", detail=f"{len(frame)} records to the console")
    if arguments.json:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        print(json.dumps(records, ensure_ascii=False, default=int, indent=1))
        return 0
    for row in frame.itertuples():
        fields = " ".join(f"{name}={getattr(row, name)}" for name in ("page", "area_code", "target", "reason")
                          if getattr(row, name) is not None)
        print(f"{local_text(row.at, '%Y-%m-%d %H:%M:%S')} {row.subject} ({row.role}) {row.action} {fields}")
    return 0


