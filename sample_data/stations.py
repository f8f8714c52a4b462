"""Service stations (服务阵地): centres, posts, rest stations, mediation centres, meal points and halls."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sample_data.geography import CityGeography
from sample_data.points import LandSampler

STATION_COLUMNS = [
    "station_id",
    "station_type",
    "name_zh",
    "name_en",
    "address",
    "lon",
    "lat",
    "opening_hours",
    "services",
    "status",
    "opened_date",
]
# Per 1,500 communities, from the real-world ratios (Wuhan) scaled to this city.
STATIONS_PER_1500_COMMUNITIES = {
    "compound_post": 2600,
    "outdoor_worker_station": 1100,
    "elderly_meal_point": 470,
}
OPENING_HOURS = {
    "street_center": (("08:30-17:30", 0.7), ("08:30-20:00", 0.3)),
    "community_center": (("08:30-17:30", 0.6), ("09:00-18:00", 0.3), ("08:00-20:00", 0.1)),
    "compound_post": (("09:00-18:00", 0.5), ("08:00-20:00", 0.4), ("24h", 0.1)),
    "outdoor_worker_station": (("24h", 0.8), ("07:00-22:00", 0.2)),
    "mediation_center": (("08:30-17:30", 0.9), ("09:00-17:00", 0.1)),
    "elderly_meal_point": (("10:30-13:30", 0.8), ("11:00-13:00", 0.2)),
    "villagers_council_hall": (("08:30-17:30", 0.7), ("09:00-17:00", 0.3)),
}
SERVICES = {
    "street_center": ("政务代办", "党员教育", "议事协商", "法律咨询", "志愿服务", "图书阅览"),
    "community_center": ("便民服务", "党员活动", "议事协商", "图书阅览", "老年活动", "儿童托管"),
    "compound_post": ("议事协商", "便民维修", "快递暂存", "志愿服务", "邻里活动"),
    "outdoor_worker_station": ("座椅", "饮水", "微波炉", "充电", "医药箱", "卫生间", "空调"),
    "mediation_center": ("矛盾调解", "法律咨询", "信访接待", "心理疏导"),
    "elderly_meal_point": ("堂食", "送餐上门", "助餐补贴"),
    "villagers_council_hall": ("村民议事", "村务公开", "政策宣讲", "调解纠纷"),
}
FIRST_YEAR = {
    "street_center": 2015,
    "community_center": 2015,
    "compound_post": 2019,
    "outdoor_worker_station": 2019,
    "mediation_center": 2016,
    "elderly_meal_point": 2020,
    "villagers_council_hall": 2017,
}
NAME_SUFFIX = {
    "street_center": ("党群服务中心", "Party & People Service Centre"),
    "community_center": ("党群服务中心", "Party & People Service Centre"),
    "compound_post": ("党群服务驿站", "Service Post"),
    "outdoor_worker_station": ("户外工作者驿站", "Outdoor Workers' Station"),
    "mediation_center": ("矛盾调解中心", "Mediation Centre"),
    "elderly_meal_point": ("老年助餐点", "Elderly Meal Point"),
    "villagers_council_hall": ("村民议事厅", "Villagers' Council Hall"),
}


def station_sites(rng: np.random.Generator, city: CityGeography, scale: float) -> pd.DataFrame:
    """One row per station: its type, community row and the community-level name stem it is called after."""
    communities = city.communities
    people = communities["population"].to_numpy().astype(float)
    urban = (communities["kind"] == "community").to_numpy()
    street_seat = communities.groupby(communities["code"].str[:9], sort=True).head(1).index
    rows = [("street_center", index) for index in street_seat]
    rows += [("community_center", index) for index in communities.index]
    rows += [("mediation_center", index) for index in communities.index]
    rows += [("mediation_center", index) for index in street_seat]
    rows += [("villagers_council_hall", index) for index in communities.index[~urban]]
    for station_type, per_1500 in STATIONS_PER_1500_COMMUNITIES.items():
        count = round(per_1500 * len(communities) / 1500 * scale)
        weight = people * np.where(urban, 1.0, 0.15)
        if station_type == "outdoor_worker_station":
            weight = (
                weight * (communities["population"] / communities["land_km2"].clip(lower=0.05)).to_numpy()
            )
        rows += [
            (station_type, index) for index in rng.choice(len(communities), count, p=weight / weight.sum())
        ]
    return pd.DataFrame(rows, columns=["station_type", "community"])


def build_stations(
    rng: np.random.Generator, city: CityGeography, sampler: LandSampler, as_of: dt.date, scale: float = 1.0
) -> pd.DataFrame:
    """Stations inside their community on land, weighted to populous grids; a few communities have gaps."""
    sites = station_sites(rng, city, scale)
    communities, grids = city.communities, city.grids
    grid_rows = grids.groupby("parent_code").indices
    # About 3% of communities keep every station in one grid, leaving residents far from any station.
    gap_community = rng.random(len(communities)) < 0.03
    grid = np.empty(len(sites), dtype=np.int64)
    for community, members in sites.groupby("community").indices.items():
        candidates = grid_rows[communities.at[community, "code"]]
        weight = grids["population"].to_numpy()[candidates].astype(float) + 1.0
        land = grids["land_km2"].to_numpy()[candidates]
        weight[land < 0.002] = 0
        if weight.sum() == 0:  # a community that is nearly all water: use its largest piece of land
            weight = (land == land.max()).astype(float)
        if gap_community[community]:
            weight[weight < weight.max()] = 0
        grid[members] = rng.choice(candidates, len(members), p=weight / weight.sum())
    lon, lat = sampler.uniform(rng, grid)
    station_type = sites["station_type"].to_numpy()
    community_zh = communities["name_zh"].to_numpy()[sites["community"]]
    community_en = communities["name_en"].to_numpy()[sites["community"]]
    street_of = communities["parent_code"].to_numpy()[sites["community"]]
    street_names = dict(
        zip(
            city.streets["code"],
            zip(city.streets["name_zh"], city.streets["name_en"], strict=True),
            strict=True,
        )
    )
    district_names = dict(zip(city.districts["code"], city.districts["name_zh"], strict=True))
    compounds: dict[str, list] = {}
    for code, *names in city.compounds[["community_code", "name_zh", "name_en"]].itertuples(index=False):
        compounds.setdefault(code, []).append(tuple(names))
    roads: dict[str, list] = {}
    for code, *names in city.roads[["street_code", "name_zh", "name_en"]].itertuples(index=False):
        roads.setdefault(code, []).append(tuple(names))
    community_code = communities["code"].to_numpy()[sites["community"]]
    names_zh, names_en, addresses, hours, services = [], [], [], [], []
    for index, kind in enumerate(station_type):
        street_roads = roads[street_of[index]]
        place_zh, place_en = community_zh[index], community_en[index]
        if kind == "street_center":
            place_zh, place_en = street_names[street_of[index]]
        elif kind == "compound_post":
            options = compounds[community_code[index]]
            place_zh, place_en = options[rng.integers(len(options))]
        elif kind == "outdoor_worker_station":
            place_zh, place_en = street_roads[rng.integers(len(street_roads))]
        suffix_zh, suffix_en = NAME_SUFFIX[kind]
        names_zh.append(place_zh + suffix_zh)
        names_en.append(f"{place_en} {suffix_en}")
        road = street_roads[rng.integers(len(street_roads))][0]
        addresses.append(
            f"{district_names[street_of[index][:6]]}{street_names[street_of[index]][0]}{road}"
            f"{rng.integers(1, 300)}号"
        )
        options, weights = zip(*OPENING_HOURS[kind], strict=True)
        hours.append(options[rng.choice(len(options), p=weights)])
        offered = SERVICES[kind]
        keep = rng.random(len(offered)) < 0.75
        keep[: 2 if kind != "outdoor_worker_station" else 4] = True
        services.append(";".join(service for service, kept in zip(offered, keep, strict=True) if kept))
    stations = pd.DataFrame(
        {
            "station_type": station_type,
            "name_zh": names_zh,
            "name_en": names_en,
            "address": addresses,
            "lon": lon,
            "lat": lat,
            "opening_hours": hours,
            "services": services,
        }
    )
    stations["status"] = rng.choice(
        ["open", "temporarily_closed", "planned"], len(stations), p=[0.95, 0.035, 0.015]
    )
    first_year = np.array([FIRST_YEAR[kind] for kind in station_type])
    first_day = pd.to_datetime(first_year.astype(str), format="%Y").to_numpy().astype("datetime64[D]")
    span = (np.datetime64(as_of) - first_day).astype(int)
    opened = first_day + (rng.random(len(stations)) ** 0.8 * span).astype("timedelta64[D]")
    stations["opened_date"] = np.where(stations["status"] == "planned", "", opened.astype(str))
    stations = stations.sort_values(["station_type", "name_zh"], kind="stable").reset_index(drop=True)
    stations.insert(0, "station_id", [f"ST{number:06d}" for number in range(1, len(stations) + 1)])
    return stations[STATION_COLUMNS]
