"""Walking coverage of service stations, against great-circle distances computed from the generated files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_access import coverage
from data_access.codes import AREA_LEVELS
from data_access.scope import AreaScope
from tests import expected

# The query measures in a UTM projection, the oracle on a sphere: a few metres apart on a city's scale.
RELATIVE_TOLERANCE = 0.005


def compare(found: pd.DataFrame, oracle: pd.DataFrame, radius_m: float) -> None:
    """Same grids, nearly the same distances, the same covered flag wherever the distance is not on the edge."""
    found = found.set_index("code")
    oracle = oracle.set_index("code").loc[found.index]
    assert np.allclose(found["nearest_m"], oracle["nearest_m"], rtol=RELATIVE_TOLERANCE, atol=1.0)
    clear = (oracle["nearest_m"] - radius_m).abs() > RELATIVE_TOLERANCE * radius_m + 1.0
    assert (found["covered"][clear] == (oracle["nearest_m"][clear] <= radius_m)).all()
    assert clear.mean() > 0.95, "too many grids on the edge for the test to say anything"


@pytest.mark.parametrize("radius_m", [300, coverage.DEFAULT_RADIUS_M, 1000])
def test_every_grids_nearest_open_station_matches_great_circle_distances(loaded_engine, city_dir, radius_m):
    found = coverage.read_grid_coverage(loaded_engine, radius_m)
    oracle = expected.grid_nearest_station_m(city_dir)
    assert set(found["code"]) == set(oracle["code"])
    compare(found, oracle, radius_m)
    assert 0 < found["covered"].sum() < len(found), "the radius should separate covered grids from the rest"


def test_coverage_inside_an_area_and_of_some_station_types(loaded_engine, city_dir):
    types = ("community_center", "compound_post")
    oracle_all = expected.grid_nearest_station_m(city_dir, types)
    digits = AREA_LEVELS["street"]
    # A station just outside a street still serves its edge grids: take a street where that happens.
    served_from_outside = oracle_all[(oracle_all["nearest_m"] <= coverage.DEFAULT_RADIUS_M)
                                     & (oracle_all["station_grid"].str[:digits] != oracle_all["code"].str[:digits])]
    assert len(served_from_outside), "the test city has no grid served by a station of another street"
    street = served_from_outside["code"].str[:digits].iloc[0]
    found = coverage.read_grid_coverage(loaded_engine, coverage.DEFAULT_RADIUS_M, AreaScope.of(street), types)
    oracle = oracle_all[oracle_all["code"].str.startswith(street)]
    assert set(found["code"]) == set(oracle["code"]) and len(found) > 0
    compare(found, oracle, coverage.DEFAULT_RADIUS_M)


@pytest.mark.parametrize("level", ["district", "street", "community"])
def test_coverage_summaries_add_up_population_by_level(loaded_engine, city_dir, level):
    radius_m = coverage.DEFAULT_RADIUS_M
    grids = coverage.read_grid_coverage(loaded_engine, radius_m)
    summary = coverage.summarise_coverage(grids, level).set_index("code")
    oracle = expected.grid_nearest_station_m(city_dir)
    oracle = oracle.assign(code=oracle["code"].str[:AREA_LEVELS[level]],
                           covered=oracle["nearest_m"] <= radius_m)
    oracle["population_covered"] = oracle["population"].where(oracle["covered"], 0)
    totals = oracle.groupby("code").agg(grids=("covered", "size"), population=("population", "sum"),
                                        population_covered=("population_covered", "sum"))
    assert summary.index.sort_values().tolist() == totals.index.sort_values().tolist()
    assert (summary["grids"] == totals["grids"].reindex(summary.index)).all()
    assert (summary["population"] == totals["population"].reindex(summary.index)).all()
    # Grids on the radius' edge may go either way between a sphere and a projection: allow their population.
    edge = oracle[(oracle["nearest_m"] - radius_m).abs() <= RELATIVE_TOLERANCE * radius_m + 1.0]
    slack = edge.groupby("code")["population"].sum().reindex(summary.index, fill_value=0)
    gap = (summary["population_covered"] - totals["population_covered"].reindex(summary.index)).abs()
    assert (gap <= slack).all()
    with_people = summary["population"] > 0
    assert np.allclose(summary["share"][with_people],
                       summary["population_covered"][with_people] / summary["population"][with_people])
    assert summary["share"][~with_people].isna().all()
