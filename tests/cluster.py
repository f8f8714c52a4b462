"""The local production topology for tests: deploy/cluster.py on free loopback ports in a folder of its own,
loaded with the test city; helpers to pause, stop and find its parts."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data_access.db import create_db_engine
from deploy.cluster import Cluster, ClusterError, nginx_binary, port_in_use, postgres_bin

APPS = 2
# nginx, the primary, the replica, then the app processes.
PORTS_NEEDED = 3 + APPS


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _free_first_port() -> int:
    """The first of PORTS_NEEDED consecutive free loopback ports."""
    for _ in range(200):
        first = random.randrange(20_000, 40_000)
        if not any(port_in_use(port) for port in range(first, first + PORTS_NEEDED)):
            return first
    raise RuntimeError("no free run of loopback ports")


@contextlib.contextmanager
def running_cluster(city_dir: Path) -> Iterator[Cluster]:
    """A started topology with the test city; stopped (by pid) and removed afterwards."""
    try:
        postgres_bin(), nginx_binary()
    except ClusterError as error:
        if _under_ci():
            pytest.fail(f"CI=true but the cluster cannot start: {error}")
        pytest.skip(f"the local topology cannot start here: {error}")
    # Not under pytest's tmp_path: that folder is private to root, and PostgreSQL runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="cityscreen-cluster-"))
    cluster = Cluster(root, first_port=_free_first_port(), apps=APPS, city_dir=city_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def engine_of(url: str) -> Engine:
    return create_db_engine(url)


def wait_until(condition, timeout: float = 20.0, every: float = 0.2):
    """Poll until condition() is truthy; return its value (AssertionError after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        time.sleep(every)


@contextlib.contextmanager
def replay_paused(cluster: Cluster) -> Iterator[None]:
    """The replica keeps streaming but stops applying what it receives (its data stands still)."""
    engine = engine_of(cluster.replica_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_wal_replay_pause()")
        yield
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_wal_replay_resume()")
        engine.dispose()


@contextlib.contextmanager
def stopped(cluster: Cluster, which: str) -> Iterator[None]:
    """The primary or the replica stopped for the block, then the whole topology started again."""
    import subprocess

    from deploy.cluster import _as_postgres

    data = cluster.layout.primary if which == "primary" else cluster.layout.replica
    subprocess.run(_as_postgres([str(postgres_bin() / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"]),
                   check=True, capture_output=True)
    try:
        yield
    finally:
        cluster.start()


def established_connections(port: int) -> int:
    """TCP connections established to a loopback port (nginx's to an app process: its open websockets)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            count += 1
    return count
