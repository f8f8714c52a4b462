"""Station queries against pandas on stations.csv (both backends)."""

from __future__ import annotations

from data_access import stations
from data_access.scope import AreaScope
from tests import expected


def test_every_station_gets_the_grid_geopandas_finds(loaded_engine, city_dir):
    rows = expected.stations(city_dir)
    stored = stations.read_stations(loaded_engine).set_index("station_id")
    assert rows["grid_code"].notna().all()
    assert stored["grid_code"].to_dict() == dict(zip(rows["station_id"], rows["grid_code"], strict=True))
    for level, width in (("community", 12), ("street", 9), ("district", 6)):
        assert (stored[f"{level}_code"] == stored["grid_code"].str[:width]).all()


def test_stations_by_area_type_and_status(loaded_engine, city_dir):
    rows = expected.stations(city_dir)
    everything = stations.read_stations(loaded_engine)
    assert sorted(everything["station_id"]) == sorted(rows["station_id"])
    grid = rows.loc[(rows["station_type"] == "elderly_meal_point") & (rows["status"] == "open"), "grid_code"].iloc[0]
    for area in (grid[:6], grid[:9], grid[:12]):
        meal = stations.read_stations(loaded_engine, AreaScope.of(area), ("elderly_meal_point", "community_center"),
                                      ("open",))
        want = rows[rows["grid_code"].str.startswith(area)
                    & rows["station_type"].isin(["elderly_meal_point", "community_center"])
                    & (rows["status"] == "open")]
        assert len(want) and sorted(meal["station_id"]) == sorted(want["station_id"])
    by_id = rows.set_index("station_id")
    assert (everything.set_index("station_id")["station_type"] == by_id["station_type"]).all()


def test_station_counts(loaded_engine, city_dir):
    rows = expected.csv(city_dir, "stations.csv")
    counts = stations.read_station_counts(loaded_engine).set_index("station_type")
    assert dict(counts["total"]) == dict(rows.groupby("station_type").size())
    open_rows = rows[rows["status"] == "open"]
    assert dict(counts["open"][counts["open"] > 0]) == dict(open_rows.groupby("station_type").size())
    by_district = stations.read_station_counts_by_area(loaded_engine, "district")
    assert by_district["stations"].sum() == len(rows)
    assert len(by_district) == len(expected.areas(city_dir, "district"))
