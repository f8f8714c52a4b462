"""A streaming replica on real PostgreSQL (two clusters the test starts): it holds what the primary committed,
says how far behind it is, and its failures are told apart from slow queries."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from data_access import db
from data_access.replica import read_lag_seconds
from tests.cluster import engine_of, replay_paused, wait_until

MARKER = "replica_test_marker"


def _set_marker(cluster, value: str) -> float:
    """Write a fact on the primary; return when it was committed."""
    engine = engine_of(cluster.primary_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM meta WHERE key = :key"), {"key": MARKER})
            connection.execute(text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                               {"key": MARKER, "value": value})
        return time.time()
    finally:
        engine.dispose()


def _marker(engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT value FROM meta WHERE key = :key"), {"key": MARKER}).scalar()


def test_the_replica_streams_what_the_primary_commits_and_is_not_behind(cluster):
    replica = engine_of(cluster.replica_url)
    try:
        _set_marker(cluster, "streamed")
        wait_until(lambda: _marker(replica) == "streamed", timeout=10)
        assert wait_until(lambda: read_lag_seconds(replica) == 0, timeout=10)
        with replica.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is True
    finally:
        replica.dispose()


def test_a_replica_that_stopped_replaying_says_how_far_behind_it_is(cluster):
    replica, primary = engine_of(cluster.replica_url), engine_of(cluster.primary_url)
    try:
        _set_marker(cluster, "before")
        wait_until(lambda: _marker(replica) == "before", timeout=10)
        with replay_paused(cluster):
            last_replayed = time.time()
            _set_marker(cluster, "after")
            time.sleep(2)
            # It received the commit but did not apply it: the figures it gives are as of the commit before.
            lag = wait_until(lambda: read_lag_seconds(replica), timeout=10)
            assert _marker(replica) == "before"
            assert lag >= time.time() - last_replayed - 0.5
            assert read_lag_seconds(primary) == 0
        wait_until(lambda: _marker(replica) == "after", timeout=10)
        assert wait_until(lambda: read_lag_seconds(replica) == 0, timeout=10)
    finally:
        replica.dispose()
        primary.dispose()


def test_sqlite_is_never_behind(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert read_lag_seconds(engine) == 0
    engine.dispose()


def test_a_database_out_of_reach_is_unavailable_but_a_slow_query_is_not(cluster):
    from tests.cluster import stopped

    engine = db.create_db_engine(cluster.replica_url, timeout_ms=200)
    try:
        with pytest.raises(OperationalError) as slow, engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_sleep(5)")
        assert not db.database_unavailable(slow.value)
        with stopped(cluster, "replica"):
            with pytest.raises(OperationalError) as refused, engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            assert db.database_unavailable(refused.value)
        assert not db.database_unavailable(ValueError("not a database error"))
    finally:
        engine.dispose()
