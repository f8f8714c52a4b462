"""Shared fixtures: one generated test city, loaded into SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from data_access.db import create_db_engine
from data_access.ingest import load_directory
from sample_data.generate import generate_city

# Fixed so every run (and every backend) sees the same city.
TEST_SEED = 7
TEST_AS_OF = date(2026, 6, 30)
POSTGRES_URL_VARIABLE = "CITYSCREEN_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
# PostgreSQL schema of each test engine, dropped with it.
TEST_SCHEMAS: dict[int, str] = {}


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory) -> Path:
    """The test city's input files (generated once per session)."""
    directory = tmp_path_factory.mktemp("city")
    generate_city(directory, scale="test", seed=TEST_SEED, as_of=TEST_AS_OF)
    return directory


def postgres_url() -> str:
    """The PostgreSQL server tests use."""
    return os.environ.get(POSTGRES_URL_VARIABLE, DEFAULT_POSTGRES_URL)


def _postgres_unavailable(reason: str):
    """Skip locally; under CI a missing PostgreSQL is a failure, never a skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required under CI=true but {reason}")
    pytest.skip(f"PostgreSQL not reachable at {postgres_url()} ({reason}); set {POSTGRES_URL_VARIABLE}")


def make_empty_engine(backend: str, tmp_path: Path) -> Engine:
    """A new empty database on the backend: an SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        return create_db_engine(f"sqlite:///{tmp_path / f'city-{uuid.uuid4().hex[:8]}.sqlite'}")
    schema_name = f"cityscreen_test_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(postgres_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema_name}"))
    except Exception as error:
        admin.dispose()
        _postgres_unavailable(str(error).splitlines()[0])
    admin.dispose()
    engine = create_db_engine(postgres_url())

    @event.listens_for(engine, "connect")
    def _use_schema(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {schema_name}")
        dbapi_connection.commit()

    TEST_SCHEMAS[id(engine)] = schema_name
    return engine


def drop_engine(engine: Engine) -> None:
    """Dispose the engine and drop its PostgreSQL test schema."""
    schema_name = TEST_SCHEMAS.pop(id(engine), None)
    engine.dispose()
    if schema_name:
        admin = create_db_engine(postgres_url())
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_engine(request, city_dir, tmp_path_factory) -> Engine:
    """The test city loaded into each backend (read-only for tests)."""
    engine = make_empty_engine(request.param, tmp_path_factory.mktemp("db"))
    load_directory(city_dir, engine)
    yield engine
    drop_engine(engine)


@pytest.fixture(params=BACKENDS)
def empty_engine(request, tmp_path) -> Engine:
    """A fresh empty database on each backend, for loader tests that write."""
    engine = make_empty_engine(request.param, tmp_path)
    yield engine
    drop_engine(engine)


@pytest.fixture(scope="session")
def sqlite_city_url(city_dir, tmp_path_factory) -> str:
    """URL of an SQLite file holding the test city, for the app and browser tests."""
    path = tmp_path_factory.mktemp("app") / "city.sqlite"
    engine = create_db_engine(f"sqlite:///{path}")
    load_directory(city_dir, engine)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def cluster(city_dir):
    """The local production topology (deploy/cluster.py) with the test city: a PostgreSQL primary and streaming
    replica, two app processes and nginx. Tests that stop a part start it again (Cluster.start)."""
    from tests.cluster import running_cluster

    with running_cluster(city_dir) as started:
        yield started
