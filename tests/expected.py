"""Independent pandas/geopandas computations on the input files, to check the SQL layer against."""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

CITY_ZONE = "Asia/Shanghai"
TIMESTAMP_COLUMNS = ["received_at", "dispatched_at", "accepted_at", "resolved_at", "called_back_at", "closed_at",
                     "returned_at", "extended_at", "due_at", "whistled_at"]
OPEN = {"received", "dispatched", "accepted", "in_progress", "returned", "extended"}


def to_epoch(values: pd.Series) -> pd.Series:
    """Local 'YYYY-MM-DD HH:MM:SS' strings → UTC epoch seconds via the tz database (not the loader's offset)."""
    moments = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S").dt.tz_localize(CITY_ZONE)
    seconds = moments.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[s]").astype("int64")
    return seconds.where(moments.notna()).astype("Int64")


@functools.cache
def areas(city_dir: Path, level: str) -> gpd.GeoDataFrame:
    """One level's areas as read by geopandas."""
    file = {"district": "districts", "street": "streets", "community": "communities", "grid": "grids"}[level]
    frame = gpd.read_file(city_dir / f"{file}.geojson")
    frame["code"] = frame["code"].astype(str)
    return frame


def grid_codes(city_dir: Path, lon: pd.Series, lat: pd.Series) -> pd.Series:
    """The grid each WGS-84 point lies in, by a geopandas spatial join (the lowest code where grids touch)."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon.astype(float), lat.astype(float)), crs="EPSG:4326",
                              index=lon.index)
    joined = gpd.sjoin(points, areas(city_dir, "grid")[["code", "geometry"]], how="left", predicate="within")
    joined = joined.sort_values("code")
    return joined[~joined.index.duplicated(keep="first")]["code"].reindex(lon.index)


@functools.cache
def stations(city_dir: Path) -> pd.DataFrame:
    """stations.csv with the grid found by a geopandas spatial join."""
    frame = csv(city_dir, "stations.csv").copy()
    frame["grid_code"] = grid_codes(city_dir, frame["lon"], frame["lat"])
    return frame


@functools.cache
def work_orders(city_dir: Path) -> pd.DataFrame:
    """work_orders.csv with epoch timestamps and the grid found by a geopandas spatial join."""
    frame = pd.read_csv(city_dir / "work_orders.csv", dtype=str, keep_default_na=False, na_values=[""])
    for column in TIMESTAMP_COLUMNS:
        if column in frame:
            frame[column] = to_epoch(frame[column])
    frame["grid_code"] = grid_codes(city_dir, frame["lon"], frame["lat"])
    frame["community_code"] = frame["grid_code"].str[:12]
    frame["street_code"] = frame["grid_code"].str[:9]
    frame["district_code"] = frame["grid_code"].str[:6]
    frame["is_open"] = frame["status"].isin(OPEN)
    frame["whistle"] = frame["whistle"].fillna("false").str.lower().isin(["true", "1", "yes"])
    return frame


@functools.cache
def csv(city_dir: Path, name: str) -> pd.DataFrame:
    """Any other CSV of the city, as strings."""
    return pd.read_csv(city_dir / name, dtype=str, keep_default_na=False, na_values=[""])


def in_window(values: pd.Series, start: int | None, end: int | None) -> pd.Series:
    """Mask of values inside [start, end)."""
    mask = values.notna()
    if start is not None:
        mask &= values >= start
    if end is not None:
        mask &= values < end
    return mask.fillna(False).astype(bool)


def kpis(orders: pd.DataFrame, start: int, end: int, now: int) -> dict[str, tuple[int, int]]:
    """KPI numerator/denominator pairs written out from the definitions' words (kpis.KPI_DEFINITIONS), not their SQL."""
    received = orders[in_window(orders["received_at"], start, end)]
    handled = received[received["status"] != "merged"]
    responded = handled["accepted_at"].notna() & ((handled["accepted_at"] - handled["received_at"]) <= 7200)
    due = orders[in_window(orders["due_at"], start, min(end, now)) & (orders["status"] != "merged")]
    on_time = due["resolved_at"].notna() & (due["resolved_at"] <= due["due_at"])
    resolved = orders[in_window(orders["resolved_at"], start, end)]
    called = orders[in_window(orders["called_back_at"], start, end)]
    satisfied = called["satisfaction"].isin(["satisfied", "basically_satisfied"])
    return {
        "response_rate": (int(responded.fillna(False).sum()), len(handled)),
        "on_time_closure_rate": (int(on_time.fillna(False).sum()), len(due)),
        "resolution_rate": (int((resolved["resolution"] == "solved").sum()), len(resolved)),
        "satisfaction_rate": (int(satisfied.sum()), len(called)),
        "repeat_rate": (int(received["repeat_of"].notna().sum()), len(received)),
        "return_rate": (int(received["returned_at"].notna().sum()), len(received)),
        "callback_rate": (int(resolved["called_back_at"].notna().sum()), len(resolved)),
    }


def local_days(epochs: pd.Series) -> pd.Series:
    """Local calendar date of epoch seconds, via the tz database."""
    return pd.to_datetime(epochs.astype("int64"), unit="s", utc=True).dt.tz_convert(CITY_ZONE).dt.date


def mask_name(name) -> str | None:
    """张三 → 张*."""
    return None if not isinstance(name, str) else name[0] + "*"


def mask_phone(phone) -> str | None:
    """13812345678 → 138****5678."""
    if not isinstance(phone, str):
        return None
    return "****" if len(phone) < 8 else phone[:3] + "****" + phone[-4:]


def as_records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as plain tuples (numbers as Python ints/floats) for exact comparison."""
    return [tuple(value.item() if isinstance(value, np.generic) else value for value in row)
            for row in frame[columns].itertuples(index=False, name=None)]


EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (broadcasting numpy arrays), on the mean Earth sphere."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(value, dtype=float)) for value in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def grid_nearest_station_m(city_dir: Path, station_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per grid: code, population, the haversine distance from its inner point to the nearest open station, and
    that station's grid (station_grid)."""
    grids = areas(city_dir, "grid")
    inner = grids.geometry.representative_point()
    found = stations(city_dir)
    found = found[found["status"] == "open"]
    if station_types:
        found = found[found["station_type"].isin(station_types)]
    lon, lat = found["lon"].astype(float).to_numpy(), found["lat"].astype(float).to_numpy()
    nearest = np.full(len(grids), np.inf)
    station_grid = np.full(len(grids), None, dtype=object)
    for start in range(0, len(grids), 256):  # a block of grids × every station at a time: bounded memory
        block = slice(start, start + 256)
        distances = haversine_m(inner.x.to_numpy()[block, None], inner.y.to_numpy()[block, None], lon[None, :],
                                lat[None, :])
        if distances.size:
            nearest[block] = distances.min(axis=1)
            station_grid[block] = found["grid_code"].to_numpy()[distances.argmin(axis=1)]
    return pd.DataFrame({"code": grids["code"].to_numpy(), "population": grids["population"].astype("int64"),
                         "nearest_m": nearest, "station_grid": station_grid})


# ---------------------------------------------------------------- areas, windows and the wall


def as_of(city_dir: Path) -> pd.Timestamp:
    """The generated city's as-of moment (city.json), as an aware timestamp."""
    import json

    return pd.Timestamp(json.loads((city_dir / "city.json").read_text(encoding="utf-8"))["as_of"])


def local_days_window(city_dir: Path, days: int) -> tuple[int, int]:
    """[start, end) epoch seconds of the `days` local calendar days ending on the as-of day, via the tz database."""
    last_day = as_of(city_dir).tz_convert(CITY_ZONE).normalize()
    end = last_day + pd.Timedelta(days=1)
    start = last_day - pd.Timedelta(days=days - 1)
    return int(start.tz_convert("UTC").timestamp()), int(end.tz_convert("UTC").timestamp())


def inside(codes: pd.Series, area: str | None) -> pd.Series:
    """Mask of codes lying in the area (None: the whole city), by the nesting of codes."""
    return pd.Series(True, index=codes.index) if not area else codes.fillna("").str.startswith(area)


def orders_in(city_dir: Path, area: str | None, start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """Work orders whose point lies in the area (geopandas join), received in [start, end)."""
    orders = work_orders(city_dir)
    return orders[inside(orders["grid_code"], area) & in_window(orders["received_at"], start, end)]


def counts_per_area(city_dir: Path, level: str, area: str | None, start: int, end: int) -> dict[str, int]:
    """Orders received in [start, end) per area of `level` inside `area`, every such area listed (zeros too)."""
    digits = {"district": 6, "street": 9, "community": 12, "grid": 15}[level]
    names = areas(city_dir, level)
    listed = names.loc[inside(names["code"], area), "code"]
    counted = orders_in(city_dir, area, start, end)["grid_code"].str[:digits].value_counts()
    return {code: int(counted.get(code, 0)) for code in listed}


def open_stations_in(city_dir: Path, area: str | None) -> pd.DataFrame:
    """Open stations whose point lies in the area (geopandas join)."""
    rows = stations(city_dir)
    return rows[inside(rows["grid_code"], area) & (rows["status"] == "open")]


def member_coverage(city_dir: Path) -> pd.DataFrame:
    """Per community: code, members (active, assigned there), target, coverage."""
    communities = areas(city_dir, "community")[["code", "member_target"]].copy()
    people = csv(city_dir, "members.csv")
    active = people[people["status"] == "active"].groupby("community_code").size()
    communities["members"] = communities["code"].map(active).fillna(0).astype(int)
    communities["target"] = communities["member_target"].astype(int)
    communities["coverage"] = communities["members"] / communities["target"].where(communities["target"] > 0)
    return communities[["code", "members", "target", "coverage"]]


def quiet_grid(city_dir: Path, days: int = 30) -> str:
    """A grid with no work order in the last `days` days whose community had some (first by code)."""
    start, end = local_days_window(city_dir, days)
    busy = orders_in(city_dir, None, start, end)
    for code in sorted(areas(city_dir, "grid")["code"]):
        if not (busy["grid_code"] == code).any() and (busy["community_code"] == code[:12]).any():
            return code
    raise LookupError("the test city has no quiet grid in a busy community")


def community_meeting_target(city_dir: Path) -> str:
    """A community whose active members all reach its target (first by code)."""
    coverage = member_coverage(city_dir)
    met = coverage[(coverage["target"] > 0) & (coverage["members"] >= coverage["target"])]
    if met.empty:
        raise LookupError("every community of the test city is below its member target")
    return sorted(met["code"])[0]


# ---------------------------------------------------------------- supervision tasks


def nested_areas(city_dir: Path) -> dict[str, str]:
    """Codes from the input files for task tests: a district with two streets, the first street's first two
    communities and a grid of the first, a community of the second street, and a street of another district."""
    streets = areas(city_dir, "street")["code"].sort_values()
    communities = areas(city_dir, "community")["code"].sort_values()
    grids = areas(city_dir, "grid")["code"].sort_values()
    district = next(code for code in streets.str[:6].unique() if (streets.str[:6] == code).sum() >= 2)
    street, other_street = streets[streets.str.startswith(district)].iloc[:2]
    community, sibling = communities[communities.str.startswith(street)].iloc[:2]
    return {"district": district, "street": street, "other_street": other_street, "community": community,
            "sibling": sibling, "other_community": communities[communities.str.startswith(other_street)].iloc[0],
            "grid": grids[grids.str.startswith(community)].iloc[0],
            "far_street": streets[~streets.str.startswith(district)].iloc[0]}


def task_counts(tasks: pd.DataFrame, level: str, area: str | None, now: int) -> dict[str, tuple[int, int]]:
    """{code: (unfinished, overdue)} per area of `level` inside `area`, from a plain list of tasks (columns
    area_code, state, deadline): a task counts for the area at `level` its own area lies in, when it lies that
    deep; unfinished = not verified, overdue = unfinished and its deadline before `now`."""
    digits = {"district": 6, "street": 9, "community": 12, "grid": 15}[level]
    rows = tasks[(tasks["area_code"].str.len() >= digits) & inside(tasks["area_code"], area)
                 & (tasks["state"] != "verified")]
    counts: dict[str, tuple[int, int]] = {}
    for code, state_deadline in rows.groupby(rows["area_code"].str[:digits]):
        counts[code] = (len(state_deadline), int((state_deadline["deadline"] < now).sum()))
    return counts


# ---------------------------------------------------------------- the previous period


def previous_period(start: int, end: int, now: int) -> tuple[int, int]:
    """[start, end) of the window of equal length before [start, end), cut as the current one is cut by `now`
    (a window still running is compared up to the same point)."""
    length = end - start
    return start - length, min(end, now) - length


def backlog_at(orders: pd.DataFrame, moment: int) -> dict[str, int]:
    """The backlog at a moment from the lifecycle words: received by then, not a merged duplicate, and not yet
    resolved by then; overdue when its due time had passed."""
    received = orders["received_at"].notna() & (orders["received_at"] <= moment)
    unresolved = orders["resolved_at"].isna() | (orders["resolved_at"] > moment)
    open_then = orders[(received & unresolved & (orders["status"] != "merged")).fillna(False).astype(bool)]
    return {"open": len(open_then), "overdue": int((open_then["due_at"] < moment).fillna(False).sum())}


@functools.cache
def member_activities(city_dir: Path) -> pd.DataFrame:
    """member_activities.csv with dates, hours and the community the loader gives it (its own grid's, else its
    member's)."""
    people = csv(city_dir, "members.csv").set_index("member_id")
    frame = csv(city_dir, "member_activities.csv").copy()
    frame["activity_date"] = pd.to_datetime(frame["activity_date"]).dt.date
    frame["hours"] = frame["hours"].astype(float)
    grid = frame["grid_code"].fillna(frame["member_id"].map(people["grid_code"]))
    frame["community_code"] = grid.str[:12].fillna(frame["member_id"].map(people["community_code"]))
    return frame


def member_activity(city_dir: Path, area: str | None, first_day, last_day) -> dict[str, float]:
    """Distinct members active, service hours and whistle responses from first_day to last_day (inclusive)."""
    rows = member_activities(city_dir)
    rows = rows[inside(rows["community_code"], area) & (rows["activity_date"] >= first_day)
                & (rows["activity_date"] <= last_day)]
    return {"active": rows["member_id"].nunique(), "hours": float(rows["hours"].sum()),
            "whistle_responses": int((rows["kind"] == "whistle_response").sum())}
