"""stations.csv: service stations; each one's grid is found by point-in-polygon (references.py)."""

from __future__ import annotations

import pandas as pd

from data_access import codes
from data_access.ingest.checks import Parsed, TableCheck

FILE = "stations.csv"
REQUIRED = ["station_id", "station_type", "name_zh", "lon", "lat", "status"]
OPTIONAL = ["name_en", "address", "opening_hours", "services", "opened_date", "coord_system"]


def check(parsed: Parsed) -> Parsed:
    """The checks stations.csv takes on its own."""
    check = TableCheck(parsed.file, parsed.frame, parsed.lines, parsed.errors)
    check.required(REQUIRED)
    check.unique("station_id")
    check.enum("station_type", codes.STATION_TYPES)
    check.enum("status", codes.STATION_STATUSES)
    check.enum("coord_system", codes.COORD_SYSTEMS)
    check.number("lon", -180, 180)
    check.number("lat", -90, 90)
    check.date("opened_date")
    return parsed


def rows(parsed: Parsed, placed: pd.DataFrame) -> pd.DataFrame:
    """Rows of the `stations` table, with each station's place."""
    columns = ["station_id", "station_type", "name_zh", "name_en", "address", "opening_hours", "services", "status",
               "opened_date"]
    return pd.concat([parsed.frame[columns], placed], axis=1)
