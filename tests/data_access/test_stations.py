"""Station queries against pandas on stations.csv (both backends)."""

from __future__ import annotations

from data_access import stations
from tests import expected


def test_stations_by_area_type_and_status(loaded_engine, city_dir):
    rows = expected.csv(city_dir, "stations.csv")
    everything = stations.read_stations(loaded_engine)
    assert sorted(everything["station_id"]) == sorted(rows["station_id"])
    district = everything["district_code"].iloc[0]
    meal = stations.read_stations(loaded_engine, district, ("elderly_meal_point", "community_center"), ("open",))
    want = everything[(everything["district_code"] == district)
                      & everything["station_type"].isin(["elderly_meal_point", "community_center"])
                      & (everything["status"] == "open")]
    assert sorted(meal["station_id"]) == sorted(want["station_id"])
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
