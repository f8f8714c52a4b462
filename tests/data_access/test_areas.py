"""Area queries: levels, shapes, paths and the city's facts."""

from __future__ import annotations

import json

import pytest
import shapely

from data_access import areas
from data_access.scope import AreaScope
from tests import expected


@pytest.mark.parametrize("level", ["district", "street", "community", "grid"])
def test_read_areas_returns_every_area_with_its_shape(loaded_engine, city_dir, level):
    frame = areas.read_areas(loaded_engine, level)
    want = expected.areas(city_dir, level).sort_values("code").reset_index(drop=True)
    assert list(frame["code"]) == list(want["code"])
    assert frame.crs.to_epsg() == 4326
    assert list(frame["population"]) == list(want["population"].astype(int))
    assert shapely.equals_exact(frame.geometry.to_numpy(), want.geometry.to_numpy(), tolerance=1e-9).all()
    # Area in m² from the local UTM projection, against geopandas' own estimate.
    utm = want.to_crs(want.estimate_utm_crs())
    assert frame["area_m2"].to_numpy() == pytest.approx(utm.area.to_numpy(), rel=1e-6)
    inner_points = shapely.points(frame["centroid_lon"], frame["centroid_lat"])
    assert shapely.contains(frame.geometry.to_numpy(), inner_points).all()


def test_children_of_a_parent_and_the_path_down(loaded_engine, city_dir):
    grid = expected.areas(city_dir, "grid")["code"].iloc[0]
    streets = areas.read_areas(loaded_engine, "street", AreaScope.of(grid[:6]), with_geometry=False)
    assert streets["code"].str.startswith(grid[:6]).all() and grid[:9] in set(streets["code"])
    path = areas.read_area_path(loaded_engine, AreaScope.of(grid))
    assert list(path["code"]) == [grid[:6], grid[:9], grid[:12], grid]
    assert list(path["level"]) == ["district", "street", "community", "grid"]
    assert areas.read_area(loaded_engine, AreaScope.of(grid))["level"] == "grid"
    assert areas.read_area(loaded_engine, AreaScope.of("999999")) is None
    with pytest.raises(ValueError):
        areas.read_area_path(loaded_engine, AreaScope.of("12345"))


def test_city_facts_and_water(loaded_engine, city_dir):
    city = json.loads((city_dir / "city.json").read_text(encoding="utf-8"))
    facts = areas.read_city_facts(loaded_engine)
    assert facts["city_name_zh"] == city["name_zh"] and facts["synthetic"] == "true"
    water = areas.read_water(loaded_engine)
    assert len(water) == len(json.loads((city_dir / "water.geojson").read_text(encoding="utf-8"))["features"])
    assert set(water["kind"]) <= {"river", "lake"}
