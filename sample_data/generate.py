"""Generate the synthetic city of Linjiang into the files of docs/data-format.md."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from data_access.city_time import CITY_ZONE
from sample_data.events import TRUTH_FILE, EventSpec
from sample_data.geography import CITY_CENTER, CityGeography, GeographySpec, build_geography
from sample_data.names import mobile_numbers, person_names
from sample_data.people import build_activities, build_grid_workers, build_members, set_member_targets
from sample_data.points import LandSampler
from sample_data.stations import build_stations
from sample_data.work_order_text import write_work_orders
from sample_data.work_orders import build_work_orders

LOG = logging.getLogger(__name__)
CITY_CODE = "4299"
FIRST_DISTRICT_CODE = 429902
DEMO_GEOGRAPHY = GeographySpec(
    half_width_km=22.5,
    half_height_km=17.5,
    districts=13,
    streets=160,
    communities=1500,
    households_per_grid=450,
    grids_min=4,
    grids_max=12,
    population=10_500_000,
    lakes=7,
    subcentres=5,
    min_streets_per_district=4,
    min_communities_per_street=3,
)
TEST_GEOGRAPHY = GeographySpec(
    half_width_km=8.0,
    half_height_km=6.0,
    districts=3,
    streets=10,
    communities=30,
    households_per_grid=650,
    grids_min=3,
    grids_max=6,
    population=210_000,
    lakes=2,
    subcentres=1,
    min_streets_per_district=2,
    min_communities_per_street=2,
)


@dataclass(frozen=True)
class Scale:
    """How big a generated city is: its geography and the volume of each kind of record."""

    geography: GeographySpec
    work_orders: int
    members: int
    activities: int
    hotspots: int
    station_scale: float
    events: EventSpec = field(default_factory=EventSpec)


# Injected events fall in the last weeks, where the alerts benchmark (benchmarks/alerts_bench.py) looks.
SCALES = {
    # The shared test city has none: tests that need events ask for them.
    "test": Scale(TEST_GEOGRAPHY, 3_000, 300, 2_000, 4, 0.6),
    "demo": Scale(DEMO_GEOGRAPHY, 200_000, 15_000, 150_000, 40, 1.0, EventSpec(surges=20, clusters=30, weeks=12)),
    "city": Scale(DEMO_GEOGRAPHY, 5_000_000, 150_000, 2_000_000, 60, 1.0, EventSpec(surges=30, clusters=40,
                                                                                    weeks=6)),
}
AREA_FILES = {
    "districts": "districts.geojson",
    "streets": "streets.geojson",
    "communities": "communities.geojson",
    "grids": "grids.geojson",
}


def end_moment(as_of: dt.date | dt.datetime | None = None) -> dt.datetime:
    """When the generated data end, in city time: a date's last second, a moment to its minute, or (None) the
    current minute, so a demo built now says "data as of" the time on the wall's clock."""
    if as_of is None:
        as_of = dt.datetime.now(CITY_ZONE)
    if isinstance(as_of, dt.datetime):
        moment = as_of.astimezone(CITY_ZONE) if as_of.tzinfo else as_of.replace(tzinfo=CITY_ZONE)
        return moment.replace(second=0, microsecond=0)
    return dt.datetime.combine(as_of, dt.time(23, 59, 59), CITY_ZONE)


def stream(seed: int, purpose: int) -> np.random.Generator:
    """An independent random stream per purpose, so the map stays the same whatever the volumes."""
    return np.random.default_rng([seed, purpose])


def write_feature_collection(path: Path, properties: list[dict], geometries) -> int:
    """Write a GeoJSON FeatureCollection (compact, UTF-8, Chinese kept readable)."""
    shapes = shapely.to_geojson(np.asarray(geometries, dtype=object))
    features = [
        f'{{"type":"Feature","properties":{json.dumps(props, ensure_ascii=False, separators=(",", ":"))},'
        f'"geometry":{shape}}}'
        for props, shape in zip(properties, shapes, strict=True)
    ]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")
    return len(features)


def write_areas(out_dir: Path, city: CityGeography) -> dict[str, int]:
    """Write the four area levels and the water features."""
    counts = {}
    for level, file_name in AREA_FILES.items():
        table = getattr(city, level)
        columns = ["code", "parent_code", "name_zh", "name_en", "population", "households"]
        columns += ["member_target"] if level == "communities" else []
        if level == "districts":
            columns.remove("parent_code")
        counts[file_name] = write_feature_collection(
            out_dir / file_name, table[columns].to_dict("records"), table["geometry"]
        )
    water = city.water
    counts["water.geojson"] = write_feature_collection(
        out_dir / "water.geojson", water[["name_zh", "name_en", "kind"]].to_dict("records"), water["geometry"]
    )
    return counts


def write_city_json(out_dir: Path, end: dt.datetime) -> None:
    """Write city.json: names, code, centre, the as-of moment (when the data end) and the synthetic flag."""
    city = {
        "name_zh": "临江市",
        "name_en": "Linjiang",
        "code": CITY_CODE,
        "synthetic": True,
        "as_of": end.isoformat(),
        "center": list(CITY_CENTER),
    }
    (out_dir / "city.json").write_text(
        json.dumps(city, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def write_csv(path: Path, table: pd.DataFrame) -> int:
    """Write one CSV table (UTF-8, `\\n` line ends, floats at 6 decimals)."""
    table.to_csv(
        path,
        index=False,
        encoding="utf-8",
        lineterminator="\n",
        float_format="%.6g" if "hours" in table.columns else "%.6f",
    )
    return len(table)


def generate_city(
    out_dir, scale: str = "demo", seed: int = 42, as_of: dt.date | dt.datetime | None = None,
    events: EventSpec | None = None,
) -> dict[str, int]:
    """Write every sample file into `out_dir` and return the number of records (rows/features) per file.

    The data end at `as_of` (end_moment: a date's last second, a given minute, or now). The same seed and end
    give the same files; a day cut short holds what had happened by then (orders, their steps, check-ins).
    `events`: the labelled surges and repeat clusters to inject (default: the scale's); every labelled event,
    the hotspots and storm and heat-wave days included, goes to events.truth.csv, which the loader ignores.
    """
    settings = SCALES[scale]
    events = settings.events if events is None else events
    end = end_moment(as_of)
    as_of = end.date()
    # Seconds of the last day that had passed at the end (86,400 for a whole day).
    day_seconds = end.hour * 3600 + end.minute * 60 + end.second + 1
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    city = build_geography(stream(seed, 1), settings.geography, FIRST_DISTRICT_CODE)
    set_member_targets(city, settings.members)
    LOG.info("geography: %d grids", len(city.grids))
    water = shapely.union_all(city.water["geometry"].to_numpy())
    sampler = LandSampler(city.grids["geometry"].to_numpy(), city.grids["land"].to_numpy(), water)
    write_city_json(out_dir, end)
    counts = {"city.json": 1, **write_areas(out_dir, city)}
    counts["stations.csv"] = write_csv(
        out_dir / "stations.csv",
        build_stations(stream(seed, 2), city, sampler, as_of, settings.station_scale),
    )
    orders = build_work_orders(stream(seed, 3), city, sampler, settings.work_orders, as_of, settings.hotspots,
                               events, stream(seed, 7), CITY_CODE, day_seconds)
    LOG.info("work orders generated: %d", len(orders))
    counts["work_orders.csv"] = write_work_orders(orders, out_dir / "work_orders.csv")
    counts[TRUTH_FILE] = write_csv(out_dir / TRUTH_FILE, orders.truth)
    LOG.info("work_orders.csv written")
    people_rng = stream(seed, 4)
    names, phones = person_names(people_rng, settings.members), mobile_numbers(people_rng, settings.members)
    members = build_members(people_rng, city, settings.members, as_of, names, phones)
    counts["members.csv"] = write_csv(out_dir / "members.csv", members)
    activities = build_activities(stream(seed, 5), members, orders, settings.activities, as_of, day_seconds)
    counts["member_activities.csv"] = write_csv(out_dir / "member_activities.csv", activities)
    worker_rng = stream(seed, 6)
    worker_count = len(city.grids) * 6
    workers = build_grid_workers(
        worker_rng,
        city,
        members,
        person_names(worker_rng, worker_count),
        mobile_numbers(worker_rng, worker_count),
    )
    counts["grid_workers.csv"] = write_csv(out_dir / "grid_workers.csv", workers)
    return counts
