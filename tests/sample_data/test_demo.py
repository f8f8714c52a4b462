"""The demo city: built into the default database by `python -m sample_data demo`, its data ending now, built
again only when stale, never elsewhere."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from data_access import access, db, schema
from data_access.areas import read_city_facts
from data_access.city_time import CITY_ZONE
from data_access.roles import Viewer
from data_access.stats import read_row_counts
from sample_data import demo, generate
from tests.conftest import TEST_SEED

SETUP = Viewer("cli:test", "admin")


@pytest.fixture
def default_database(monkeypatch, tmp_path):
    """The default database moved into tmp_path, and a record of every city generated (its end)."""
    default_path = tmp_path / "var" / "cityscreen.sqlite"
    monkeypatch.setattr(demo, "DEFAULT_SQLITE_PATH", default_path)
    monkeypatch.setattr(demo, "DEFAULT_DATABASE_URL", f"sqlite:///{default_path}")
    monkeypatch.setattr(db, "DEFAULT_DATABASE_URL", f"sqlite:///{default_path}")
    monkeypatch.setattr(db, "SECRETS_FILES", ())
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    generated = []
    original = generate.generate_city

    def small_city(out_dir, scale="demo", as_of=None, **_options):
        # The test-scale city stands in for the demo one: the same code path, seconds instead of a minute.
        generated.append((scale, as_of))
        return original(out_dir, scale="test", seed=TEST_SEED, as_of=as_of)

    monkeypatch.setattr(demo, "generate_city", small_city)
    return f"sqlite:///{default_path}", generated


def test_the_demo_city_is_built_into_the_empty_default_database_once(default_database, tmp_path):
    url, generated = default_database
    assert demo.build_demo_database() == url
    assert [scale for scale, _ in generated] == ["demo"]
    engine = db.create_db_engine(url)
    try:
        counts = read_row_counts(engine)
    finally:
        engine.dispose()
    assert counts["areas"] > 0 and counts["work_orders"] > 0 and counts["stations"] > 0
    assert demo.build_demo_database() == url
    assert len(generated) == 1, "the demo city was built a second time"
    # A configured database is never written to.
    other = tmp_path / "configured.sqlite"
    assert demo.build_demo_database(f"sqlite:///{other}") == f"sqlite:///{other}"
    assert not other.exists()
    assert len(generated) == 1


def test_the_demo_city_ends_at_the_current_minute(default_database):
    url, generated = default_database
    started = datetime.now(CITY_ZONE).replace(second=0, microsecond=0)
    demo.build_demo_database()
    _, end = generated[0]
    assert isinstance(end, datetime) and started <= end <= started + timedelta(minutes=1)
    engine = db.create_db_engine(url)
    try:
        as_of = int(read_city_facts(engine)["as_of"])
        with engine.connect() as connection:
            newest = connection.execute(select(func.max(schema.work_orders.c.received_at))).scalar_one()
    finally:
        engine.dispose()
    assert as_of == int(end.timestamp()) and as_of - 86_400 < newest <= as_of  # the day so far, nothing after


def test_a_stale_demo_is_built_again_keeping_sign_in_and_wall_keys(default_database, monkeypatch):
    url, generated = default_database
    original = demo.generate_city
    monkeypatch.setattr(demo, "generate_city", lambda out_dir, scale="demo", as_of=None: original(
        out_dir, scale, as_of=date.today() - timedelta(days=2)))  # a demo built two days ago
    demo.build_demo_database()
    engine = db.create_db_engine(url)
    try:
        access.assign_role(engine, SETUP, "leader-1", "leader", None, "A leader")
        access.create_wall_key(engine, SETUP, "lobby wall")
        stale = read_city_facts(engine)["as_of"]
        orders_before = read_row_counts(engine)["work_orders"]
        monkeypatch.setattr(demo, "generate_city", original)
        demo.build_demo_database()
        assert len(generated) == 2
        facts = read_city_facts(engine)
        assert int(facts["as_of"]) > int(stale) and time.time() - int(facts["as_of"]) < 120
        counts = read_row_counts(engine)
        # The old city is gone, not mixed with the new one (a year of orders either way, give or take a day).
        assert abs(counts["work_orders"] - orders_before) < 0.05 * orders_before
        with engine.connect() as connection:
            oldest = connection.execute(select(func.min(schema.work_orders.c.received_at))).scalar_one()
        assert oldest > int(facts["as_of"]) - 366 * 86_400
        assert access.read_viewer(engine, "leader-1").role == "leader"
        assert [key["label"] for key in access.read_wall_keys(engine, Viewer("auditor", "admin"))] == ["lobby wall"]
    finally:
        engine.dispose()


def test_a_city_someone_loaded_is_never_replaced(default_database, monkeypatch):
    url, generated = default_database
    demo.build_demo_database()
    engine = db.create_db_engine(url)
    try:
        with engine.begin() as connection:  # as if a real city had been loaded into the default database
            connection.execute(update(schema.meta).where(schema.meta.c.key == "synthetic").values(value="false"))
            connection.execute(update(schema.meta).where(schema.meta.c.key == "as_of").values(value="0"))
        demo.build_demo_database()
        assert len(generated) == 1
        assert read_city_facts(engine)["as_of"] == "0"
    finally:
        engine.dispose()


def test_the_demo_follows_one_of_its_alerts_to_verification_for_the_tour(default_database):
    from data_access import tasks
    from data_access.city_time import local_date, local_day_start
    from data_access.roles import OPEN_DEMO
    from tests import tour_task

    url, _generated = default_database
    demo.build_demo_database()
    engine = db.create_db_engine(url)
    try:
        assert demo.add_demo_task(engine) is None  # the test-scale city flags nothing: the tour says so
        now = tasks.task_clock(engine)
        with engine.connect() as connection:
            first, second = connection.execute(select(schema.areas.c.code).where(schema.areas.c.level == "community")
                                               .order_by(schema.areas.c.code).limit(2)).scalars()
        flagged = local_date(now) - timedelta(days=6)
        tour_task.add_alert(engine, 41, first, first_day=flagged)
        tour_task.add_alert(engine, 42, second, first_day=local_date(now) - timedelta(days=2))  # too recent
        task_id = demo.add_demo_task(engine)
        detail = tasks.read_tour_task(engine, OPEN_DEMO.scope())
        assert detail.task["task_id"] == task_id and detail.task["alert_id"] == 41 and detail.task["area_code"] == first
        history = tour_task.history_by_sql(engine, task_id)
        assert [action for action, *_ in history] == ["create", "accept", "resolve", "return", "resolve", "verify"]
        times = [at for _, at, *_ in history]
        # After the alert's first day, one step after another, all before the data's "now" and the deadline.
        assert local_day_start(flagged + timedelta(days=1)) <= times[0] and times == sorted(set(times))
        assert times[-1] < now and times[-1] < detail.task["deadline"]
        assert demo.add_demo_task(engine) is None  # made once
        # A rebuilt city's alert 41 is about another area: the demo's task is made again from a fitting alert.
        tour_task.add_alert(engine, 41, second, first_day=flagged)
        again = demo.add_demo_task(engine)
        with engine.connect() as connection:
            made = connection.execute(select(schema.supervision_tasks.c.task_id, schema.supervision_tasks.c.area_code)
                                      ).all()
        assert [tuple(row) for row in made] == [(again, second)]
    finally:
        engine.dispose()
