"""Which database the app, the CLIs and the simulator open: one resolver."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import OperationalError

from data_access import db
from tests.conftest import postgres_url


def test_the_url_comes_from_the_argument_then_the_environment_then_secrets_then_the_default(monkeypatch, tmp_path):
    user_secrets, project_secrets = tmp_path / "user.toml", tmp_path / "project.toml"
    monkeypatch.setattr(db, "SECRETS_FILES", (user_secrets, project_secrets))
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    assert db.database_url() == db.DEFAULT_DATABASE_URL
    user_secrets.write_text(f'{db.DATABASE_URL_VARIABLE} = "postgresql://city@user/cityscreen"\n')
    assert db.database_url() == "postgresql://city@user/cityscreen"
    project_secrets.write_text(f'{db.DATABASE_URL_VARIABLE} = "postgresql://city@secret/cityscreen"\n[auth]\nx = 1\n')
    assert db.database_url() == "postgresql://city@secret/cityscreen"
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, "postgresql://city@env/cityscreen")
    assert db.database_url() == "postgresql://city@env/cityscreen"
    assert db.database_url("sqlite:////tmp/other.sqlite") == "sqlite:////tmp/other.sqlite"


def test_a_broken_secrets_file_is_named(monkeypatch, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("CITYSCREEN_DB_URL = \n")
    monkeypatch.setattr(db, "SECRETS_FILES", (broken,))
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    try:
        db.database_url()
    except ValueError as error:
        assert str(broken) in str(error)
    else:
        raise AssertionError("a broken secrets file was ignored")


# Counts to a billion: minutes of work on either backend unless something stops it.
ENDLESS_QUERY = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
                 "SELECT count(*) FROM n")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_statement_past_its_time_limit_is_cancelled_on_both_backends(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'limit.sqlite'}" if backend == "sqlite" else postgres_url()
    engine = db.create_db_engine(url, timeout_ms=300)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.exec_driver_sql(ENDLESS_QUERY).scalar_one()
        assert time.monotonic() - started < 5
        # The connection goes back to the pool usable, and a short query runs.
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()


def test_postgresql_connections_plan_without_jit():
    """JIT compiling costs a dashboard's year read more than it saves; the URL's own options are kept beside it."""
    engine = db.create_db_engine(f"{postgres_url()}?options=-capplication_name%3Dcityscreen-test")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW jit").scalar_one() == "off"
            assert connection.exec_driver_sql("SHOW application_name").scalar_one() == "cityscreen-test"
    except OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable ({str(error).splitlines()[0]})")
    finally:
        engine.dispose()


def test_a_transaction_can_lift_the_limit_and_the_next_one_has_it_again(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'limit.sqlite'}", timeout_ms=50)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
    try:
        with engine.begin() as connection:
            db.lift_statement_timeout(connection)
            assert connection.exec_driver_sql(slow).scalar_one() == 3_000_000
        with pytest.raises(OperationalError), engine.begin() as connection:
            connection.exec_driver_sql(slow).scalar_one()
    finally:
        engine.dispose()


def test_the_read_url_comes_from_the_environment_then_secrets_else_it_is_the_primary(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(db, "SECRETS_FILES", (secrets,))
    monkeypatch.delenv(db.READ_DATABASE_URL_VARIABLE, raising=False)
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, "postgresql://city@primary/cityscreen")
    assert db.database_url(reads=True) == "postgresql://city@primary/cityscreen"
    secrets.write_text(f'{db.READ_DATABASE_URL_VARIABLE} = "postgresql://city@replica-secret/cityscreen"\n')
    assert db.database_url(reads=True) == "postgresql://city@replica-secret/cityscreen"
    monkeypatch.setenv(db.READ_DATABASE_URL_VARIABLE, "postgresql://city@replica/cityscreen")
    assert db.database_url(reads=True) == "postgresql://city@replica/cityscreen"
    # Writers never see the read URL.
    assert db.database_url() == "postgresql://city@primary/cityscreen"
    assert db.database_url("sqlite:////tmp/named.sqlite", reads=True) == "sqlite:////tmp/named.sqlite"
