"""Labelled events: injected surges and repeat clusters are in the orders as labelled, the hotspots and storm
and heat-wave days are labelled too, the loader ignores the truth file, and the live feed's surge is flagged."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import schema
from data_access.alerts import read_open_alerts
from data_access.ingest import load_directory
from sample_data.events import TRUTH_COLUMNS, TRUTH_FILE, EventSpec
from sample_data.generate import generate_city
from sample_data.simulate import parse_surge, simulate
from tests import expected
from tests.conftest import TEST_AS_OF, TEST_SEED, drop_engine, make_empty_engine

SPEC = EventSpec(surges=3, clusters=4, weeks=6, surge_per_day=(8, 12))


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("events")
    generate_city(directory, scale="test", seed=TEST_SEED, as_of=TEST_AS_OF, events=SPEC)
    return directory


def test_every_injected_event_is_in_the_orders_as_labelled(events_dir):
    truth = pd.read_csv(events_dir / TRUTH_FILE, dtype=str, keep_default_na=False)
    assert list(truth.columns) == TRUTH_COLUMNS
    orders = expected.work_orders(events_dir)
    dates = pd.to_datetime(orders["received_at"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai").dt.date
    surges = truth[truth["event_id"].str.startswith("S")]
    assert len(surges) == SPEC.surges and (surges["area_code"].str.len() == 12).all()
    for event in surges.itertuples():
        first, last = date.fromisoformat(event.first_day), date.fromisoformat(event.last_day)
        inside = orders["grid_code"].str.startswith(event.area_code) & (orders["category_l1"] == event.category_l1) \
            & (dates >= first) & (dates <= last)
        assert inside.sum() >= int(event.extra_orders) >= 8 * ((last - first).days + 1)
        assert (TEST_AS_OF - first).days < SPEC.weeks * 7
    clusters = truth[truth["event_id"].str.startswith("C")]
    assert len(clusters) == SPEC.clusters
    for event in clusters.itertuples():
        near = expected.haversine_m(orders["lon"], orders["lat"], float(event.lon), float(event.lat)) <= 100
        chosen = orders[near & (orders["category_l2"] == event.category_l2)
                        & (dates >= date.fromisoformat(event.first_day))
                        & (dates <= date.fromisoformat(event.last_day))]
        assert len(chosen) >= int(event.extra_orders) >= 3
        assert (date.fromisoformat(event.last_day) - date.fromisoformat(event.first_day)).days <= 6
        assert chosen["grid_code"].str.startswith(event.area_code[:12]).all()


def test_a_surge_is_raised_above_the_noise_of_a_busy_area(tmp_path):
    spec = EventSpec(surges=6, surge_level="street", surge_per_day=(1, 1), surge_days=(2, 2), weeks=4)
    generate_city(tmp_path, scale="test", seed=TEST_SEED, as_of=TEST_AS_OF, events=spec)
    truth = pd.read_csv(tmp_path / TRUTH_FILE, dtype=str, keep_default_na=False)
    orders = expected.work_orders(tmp_path)
    orders = orders[orders["repeat_of"].isna()]
    days = pd.to_datetime(orders["received_at"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai").dt.date
    raised = 0
    for event in truth[truth["event_id"].str.startswith("S")].itertuples():
        first = date.fromisoformat(event.first_day)
        before = orders["grid_code"].str.startswith(event.area_code) & (orders["category_l1"] == event.category_l1) \
            & (days < first) & (days >= first - pd.Timedelta(days=56))
        usual = before.sum() / 56
        per_day = int(event.extra_orders) / 2
        # The ordinary orders the generator sized it against, without the repeats: the same count.
        assert per_day == max(1, int(np.ceil(usual + 4 * np.sqrt(usual))))
        raised += per_day > 1
    assert raised >= 3


def test_the_hotspots_and_the_weather_the_generator_always_made_are_labelled(events_dir):
    truth = pd.read_csv(events_dir / TRUTH_FILE, dtype=str, keep_default_na=False)
    orders = expected.work_orders(events_dir)
    hotspots = truth[truth["event_id"].str.startswith("H")]
    assert len(hotspots) >= 1
    for event in hotspots.itertuples():
        in_grid = orders[(orders["grid_code"] == event.area_code) & (orders["category_l2"] == event.category_l2)]
        assert len(in_grid) >= int(event.extra_orders)
    storms = truth[truth["event_id"].str.startswith("W")]
    assert len(storms) and (storms["area_code"] == "4299").all()
    assert set(storms["category_l1"]) == {"city_management", "housing_property"}


def test_an_order_repeated_three_times_within_seven_days_is_labelled_as_a_repeat_cluster(events_dir):
    truth = pd.read_csv(events_dir / TRUTH_FILE, dtype=str, keep_default_na=False)
    orders = expected.work_orders(events_dir).set_index("order_no")
    repeats = orders[orders["repeat_of"].notna()]
    want = set()
    for source, group in repeats.groupby("repeat_of"):
        reports = pd.concat([orders.loc[[source]], group]).sort_values("received_at")
        moments = reports["received_at"].to_numpy()
        if len(moments) >= 3 and (moments[2:] - moments[:-2] < 7 * 86_400).any():
            days = pd.to_datetime(moments, unit="s", utc=True).tz_convert("Asia/Shanghai").date
            first = orders.loc[source]
            want.add((first["grid_code"], first["category_l2"], f"{float(first['lon']):.6f}",
                      f"{float(first['lat']):.6f}", min(days).isoformat(), max(days).isoformat(), str(len(reports))))
    labelled = truth[truth["event_id"].str.startswith("R")]
    assert (labelled["kind"] == "repeat_cluster").all()
    assert want and set(map(tuple, labelled[["area_code", "category_l2", "lon", "lat", "first_day", "last_day",
                                              "extra_orders"]].values.tolist())) == want


def test_without_events_asked_for_the_orders_do_not_change(events_dir, city_dir):
    plain = pd.read_csv(city_dir / "work_orders.csv", dtype=str)
    with_events = pd.read_csv(events_dir / "work_orders.csv", dtype=str)
    extra = sum(int(value) for value, event in zip(
        *pd.read_csv(events_dir / TRUTH_FILE, dtype=str)[["extra_orders", "event_id"]].T.values, strict=True)
        if event[0] in "SC")
    assert len(with_events) - len(plain) >= extra * 0.95


def test_the_loader_ignores_the_truth_file_and_the_feeds_surge_is_flagged(events_dir, tmp_path):
    engine = make_empty_engine("sqlite", tmp_path)
    try:
        written = load_directory(events_dir, engine)
        assert "events.truth.csv" not in written and written["work_orders"] > 0
        with engine.connect() as connection:
            community = connection.execute(select(schema.areas.c.code).where(schema.areas.c.level == "community")
                                           .order_by(schema.areas.c.code)).scalars().first()
        with pytest.raises(ValueError, match="not a community code"):
            parse_surge(engine, "999999999999:utilities", 4)
        with pytest.raises(ValueError, match="must be one of"):
            parse_surge(engine, f"{community}:weather", 4)
        surge = parse_surge(engine, f"{community}:utilities", 6)
        simulate(engine, rate_per_minute=12, tick_seconds=0, ticks=3, seed=5, surge=surge)
        with engine.connect() as connection:
            fed = connection.execute(select(func.count()).select_from(schema.work_orders).where(
                schema.work_orders.c.community_code == community,
                schema.work_orders.c.category_l1 == "utilities",
                schema.work_orders.c.order_no.like("SIM%"))).scalar_one()
        assert fed >= 18
        alerts = read_open_alerts(engine)
        flagged = alerts[(alerts["kind"] == "surge") & (alerts["category_l1"] == "utilities")]
        assert flagged["area_code"].map(lambda code: code.startswith(community) or community.startswith(code)).any()
        assert np.all(flagged["observed"] > flagged["upper"])
    finally:
        drop_engine(engine)
