"""Roles scoped to areas, wall keys and the append-only audit log, on both backends."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from data_access import access, audit, migrate, schema
from data_access.db import create_db_engine
from data_access.roles import AccessDenied, OutsideArea, Viewer, check_role
from data_access.scope import AGGREGATES, CITIZEN_TEXT, MASKED_PERSONAL, AreaScope

ADMIN = Viewer("admin-1", "admin")
STREET, COMMUNITY, OTHER_STREET = "420102001", "420102001003", "420102002"


@pytest.fixture
def engine(empty_engine):
    migrate.upgrade(empty_engine)
    return empty_engine


def audit_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(schema.audit_log).order_by(schema.audit_log.c.audit_id)).all()


def test_a_role_change_is_stored_and_audited_once(engine):
    viewer = access.assign_role(engine, ADMIN, "sub-7", "staff", STREET, "王芳")
    assert access.read_viewer(engine, "sub-7") == viewer == Viewer("sub-7", "staff", STREET, "王芳")
    rows = audit_rows(engine)
    assert len(rows) == 1
    row = rows[0]
    assert (row.subject, row.role, row.action, row.target) == ("admin-1", "admin", "role_change", "sub-7")
    assert row.detail == f"none -> staff@{STREET}" and abs(row.at - time.time()) < 60
    access.assign_role(engine, ADMIN, "sub-7", "leader")
    assert access.read_viewer(engine, "sub-7") == Viewer("sub-7", "leader", None, "王芳")
    assert audit_rows(engine)[-1].detail == f"staff@{STREET} -> leader@city"
    assert access.remove_user(engine, ADMIN, "sub-7") and access.read_viewer(engine, "sub-7") is None
    assert [row.action for row in audit_rows(engine)] == ["role_change"] * 3
    assert access.read_viewer(engine, "never-seen") is None


@pytest.mark.parametrize(("role", "area"), [("staff", None), ("case_handler", None), ("leader", STREET),
                                            ("guest", COMMUNITY), ("staff", COMMUNITY + "001"), ("boss", None),
                                            ("staff", "42")])
def test_roles_and_areas_that_do_not_go_together_are_refused(role, area):
    with pytest.raises(ValueError):
        check_role(role, area)


def test_an_area_role_sees_its_area_and_what_lies_under_it_only():
    staff = Viewer("s", "staff", STREET)
    assert staff.allows(STREET) and staff.allows(COMMUNITY) and staff.allows(COMMUNITY + "007")
    assert not staff.allows(OTHER_STREET) and not staff.allows(None) and not staff.allows(STREET[:6])
    with pytest.raises(OutsideArea):
        staff.scope(OTHER_STREET)
    assert staff.scope() == AreaScope(STREET, STREET, MASKED_PERSONAL) and staff.scope(COMMUNITY).code == COMMUNITY
    assert Viewer("l", "leader").allows(None) and Viewer("l", "leader").allows(COMMUNITY)
    assert Viewer("g", "guest").personal == AGGREGATES and Viewer("w", "wall").personal == CITIZEN_TEXT
    assert Viewer("l", "leader").personal == MASKED_PERSONAL and Viewer("x", "unknown").personal == AGGREGATES
    assert Viewer("c", "case_handler", STREET).may_reveal and not staff.may_reveal


def test_a_wall_key_works_until_revoked_and_only_its_hash_is_kept(engine):
    token = access.create_wall_key(engine, ADMIN, "指挥中心主屏", STREET)
    key_id, secret = token.split(".", 1)
    wall = access.verify_wall_key(engine, token)
    assert wall == Viewer(f"wall:{key_id}", "wall", STREET, "指挥中心主屏")
    assert access.verify_wall_key(engine, f"{key_id}.wrong") is None
    assert access.verify_wall_key(engine, "no-separator") is None and access.verify_wall_key(engine, None) is None
    with engine.connect() as connection:
        stored = " ".join(str(value) for value in connection.execute(select(schema.wall_keys)).one())
    assert secret not in stored
    assert all("secret" not in column for key in access.read_wall_keys(engine, ADMIN) for column in key)
    assert access.revoke_wall_key(engine, ADMIN, key_id)
    assert access.verify_wall_key(engine, token) is None
    assert not access.revoke_wall_key(engine, ADMIN, key_id), "revoking twice is not a second revocation"
    assert [(row.action, row.target) for row in audit_rows(engine)] == [("wall_key_create", key_id),
                                                                         ("wall_key_revoke", key_id)]


def test_the_audit_log_refuses_updates_and_early_deletes(engine):
    viewer = Viewer("c", "case_handler", STREET)
    audit.record(engine, viewer, "reveal", page="requests", area_code=COMMUNITY, target="WO1", reason="回访核实")
    old = int(time.time()) - (schema.AUDIT_RETENTION_DAYS + 5) * 86_400
    with engine.begin() as connection:
        connection.execute(schema.audit_log.insert().values(at=old, subject="x", role="staff", action="export"))
    for statement in ("UPDATE audit_log SET reason = 'changed'", "DELETE FROM audit_log WHERE target = 'WO1'"):
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(statement))
    assert audit.purge_audit(engine, ADMIN) == 1
    rows = audit_rows(engine)
    assert [row.action for row in rows] == ["reveal", "audit_purge"]
    assert (rows[0].reason, rows[0].target, rows[0].area_code) == ("回访核实", "WO1", COMMUNITY)
    with pytest.raises(ValueError):
        audit.purge_audit(engine, ADMIN, schema.AUDIT_RETENTION_DAYS - 1)


def test_read_audit_filters_by_subject_action_and_time(engine):
    for subject, action in (("a", "export"), ("b", "export"), ("a", "reveal")):
        audit.record(engine, Viewer(subject, "case_handler", STREET), action, target=subject + action)
    frame = audit.read_audit(engine, ADMIN, subject="a")
    assert list(frame["target"]) == ["areveal", "aexport"]
    assert list(audit.read_audit(engine, ADMIN, actions=("export",))["subject"]) == ["b", "a"]
    assert audit.read_audit(engine, ADMIN, start=int(time.time()) + 60).empty
    with pytest.raises(ValueError):
        audit.record(engine, ADMIN, "made_up")


def test_an_audit_write_that_fails_raises_audit_unavailable(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'no-tables.sqlite'}")
    try:
        with pytest.raises(audit.AuditUnavailable):
            audit.record(engine, ADMIN, "export", page="requests")
    finally:
        engine.dispose()


def test_the_administrators_commands_manage_roles_and_wall_keys(tmp_path, capsys):
    from data_access.__main__ import main

    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    assert main(["users", "--db", url, "set", "sub-1", "case_handler", "--area", STREET, "--name", "李四"]) == 0
    assert main(["users", "--db", url, "set", "sub-2", "guest", "--area", STREET]) == 2
    assert "takes no area" in capsys.readouterr().err
    assert main(["wall-keys", "--db", url, "create", "left screen", "--area", COMMUNITY]) == 0
    token = capsys.readouterr().out.strip().rsplit("key=", 1)[1]
    engine = create_db_engine(url)
    try:
        assert access.read_viewer(engine, "sub-1") == Viewer("sub-1", "case_handler", STREET, "李四")
        assert access.verify_wall_key(engine, token).area_code == COMMUNITY
        assert main(["wall-keys", "--db", url, "revoke", token.split(".")[0]]) == 0
        assert access.verify_wall_key(engine, token) is None
        assert main(["wall-keys", "--db", url, "revoke", token.split(".")[0]]) == 1
        capsys.readouterr()
        assert main(["audit", "--db", url, "list", "--json"]) == 0
        records = json.loads(capsys.readouterr().out)
        assert [record["action"] for record in records] == ["wall_key_revoke", "wall_key_create", "role_change"]
        assert records[-1]["area_code"] is None and records[-1]["target"] == "sub-1"
        # Reading the audit is itself audited.
        assert audit.read_audit(engine, ADMIN, actions=("audit_export",)).shape[0] == 1
    finally:
        engine.dispose()


def test_only_an_administrator_manages_roles_and_wall_keys(engine):
    for role, area in (("leader", None), ("staff", STREET), ("case_handler", STREET), ("guest", None)):
        someone = Viewer("x", role, area)
        with pytest.raises(AccessDenied):
            access.assign_role(engine, someone, "sub-1", "leader")
        with pytest.raises(AccessDenied):
            access.create_wall_key(engine, someone, "screen")
    assert access.read_users(engine, ADMIN) == [] and audit_rows(engine) == []


def test_only_an_administrator_reads_users_wall_keys_and_the_audit_log(engine):
    access.assign_role(engine, ADMIN, "sub-7", "staff", STREET, "王芳")
    assert [viewer.display_name for viewer in access.read_users(engine, ADMIN)] == ["王芳"]
    for role, area in (("leader", None), ("staff", STREET), ("case_handler", STREET), ("guest", None),
                       ("wall", None)):
        for read in (access.read_users, access.read_wall_keys, audit.read_audit):
            with pytest.raises(AccessDenied):
                read(engine, Viewer("x", role, area))
