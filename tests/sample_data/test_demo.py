"""The demo city: built into the default database by `python -m sample_data demo`, once, never elsewhere."""

from __future__ import annotations

from data_access import db
from data_access.stats import read_row_counts
from sample_data import demo, generate
from tests.conftest import TEST_AS_OF, TEST_SEED


def test_the_demo_city_is_built_into_the_empty_default_database_once(monkeypatch, tmp_path):
    default_path = tmp_path / "var" / "cityscreen.sqlite"
    monkeypatch.setattr(demo, "DEFAULT_SQLITE_PATH", default_path)
    monkeypatch.setattr(demo, "DEFAULT_DATABASE_URL", f"sqlite:///{default_path}")
    monkeypatch.setattr(db, "DEFAULT_DATABASE_URL", f"sqlite:///{default_path}")
    monkeypatch.setattr(db, "SECRETS_FILES", ())
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    generated = []
    original = generate.generate_city

    def small_city(out_dir, scale="demo", **_options):
        # The test-scale city stands in for the demo one: the same code path, seconds instead of a minute.
        generated.append(scale)
        return original(out_dir, scale="test", seed=TEST_SEED, as_of=TEST_AS_OF)

    monkeypatch.setattr(demo, "generate_city", small_city)
    url = f"sqlite:///{default_path}"
    assert demo.build_demo_database() == url
    assert generated == ["demo"]
    engine = db.create_db_engine(url)
    try:
        counts = read_row_counts(engine)
    finally:
        engine.dispose()
    assert counts["areas"] > 0 and counts["work_orders"] > 0 and counts["stations"] > 0
    assert demo.build_demo_database() == url
    assert generated == ["demo"], "the demo city was built a second time"
    # A configured database is never written to.
    other = tmp_path / "configured.sqlite"
    assert demo.build_demo_database(f"sqlite:///{other}") == f"sqlite:///{other}"
    assert not other.exists()
    assert generated == ["demo"]
