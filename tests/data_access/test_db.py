"""Which database the app opens, and the demo city built into the default one on first use."""

from __future__ import annotations

import streamlit as st

from data_access import cached, db
from data_access.stats import read_row_counts
from sample_data import generate
from tests.conftest import TEST_AS_OF, TEST_SEED


def test_the_url_comes_from_the_argument_then_the_environment_then_the_default(monkeypatch):
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    assert db.database_url() == db.DEFAULT_DATABASE_URL
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, "postgresql://city@db/cityscreen")
    assert db.database_url() == "postgresql://city@db/cityscreen"
    assert db.database_url("sqlite:////tmp/other.sqlite") == "sqlite:////tmp/other.sqlite"


def test_the_app_reads_the_url_from_streamlit_secrets_when_the_environment_has_none(monkeypatch):
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    monkeypatch.setattr(st, "secrets", {db.DATABASE_URL_VARIABLE: "postgresql://city@secret/cityscreen"})
    assert cached.configured_url() == "postgresql://city@secret/cityscreen"
    monkeypatch.setattr(st, "secrets", {})
    assert cached.configured_url() == db.DEFAULT_DATABASE_URL
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, "postgresql://city@env/cityscreen")
    assert cached.configured_url() == "postgresql://city@env/cityscreen"


def test_the_demo_city_is_built_into_the_default_database_on_first_use_and_only_then(monkeypatch, tmp_path):
    default_path = tmp_path / "var" / "cityscreen.sqlite"
    monkeypatch.setattr(db, "DEFAULT_SQLITE_PATH", default_path)
    monkeypatch.setattr(db, "DEFAULT_DATABASE_URL", f"sqlite:///{default_path}")
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    generated = []
    original = generate.generate_city

    def small_city(out_dir, scale="demo", **_options):
        # The test-scale city stands in for the demo one: the same code path, seconds instead of a minute.
        generated.append(scale)
        return original(out_dir, scale="test", seed=TEST_SEED, as_of=TEST_AS_OF)

    monkeypatch.setattr(generate, "generate_city", small_city)
    assert db.ensure_demo_database() == db.DEFAULT_DATABASE_URL
    assert generated == ["demo"]
    engine = db.create_db_engine(db.DEFAULT_DATABASE_URL)
    try:
        counts = read_row_counts(engine)
    finally:
        engine.dispose()
    assert counts["areas"] > 0 and counts["work_orders"] > 0 and counts["stations"] > 0
    assert db.ensure_demo_database() == db.DEFAULT_DATABASE_URL
    assert generated == ["demo"], "the demo city was built a second time"
    # A configured database is never written to.
    other = tmp_path / "configured.sqlite"
    assert db.ensure_demo_database(f"sqlite:///{other}") == f"sqlite:///{other}"
    assert not other.exists()
    assert generated == ["demo"]
