"""work_orders.open311.json: an Open311 GeoReport v2 request list, mapped onto work orders and checked like
work_orders.csv; errors name the GeoReport fields the sender wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_access import codes
from data_access.city_time import DAY_SECONDS
from data_access.ingest import work_orders
from data_access.ingest.checks import Parsed, TableCheck, parse_timestamps
from data_access.ingest.errors import ErrorLog
from data_access.ingest.files import read_json, scalar_value

FILE = "work_orders.open311.json"
# Open311 GeoReport v2 has no appeal type or due time; these are the documented defaults.
DEFAULT_DUE_SECONDS = 5 * DAY_SECONDS
# GeoReport v2's two statuses, and the lifecycle status each becomes.
STATUSES = {"open": "received", "closed": "closed"}
# The GeoReport v2 field each work-order column comes from, so that errors name what the sender wrote.
FIELDS = {
    "order_no": "service_request_id",
    "category_l1": "service_code",
    "category_l2": "service_name",
    "title": "service_name",
    "description": "description",
    "department": "agency_responsible",
    "lon": "long",
    "lat": "lat",
    "lon/lat": "long/lat",
    "received_at": "requested_datetime",
    "resolved_at": "updated_datetime",
    "closed_at": "updated_datetime",
    "due_at": "expected_datetime",
}
SOURCE_FIELDS = ("service_request_id", "status", "service_code", "service_name", "description", "agency_responsible",
                 "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long")


def _requests(path: Path, errors: ErrorLog) -> pd.DataFrame | None:
    """The request list as a frame of the GeoReport fields we use (None when the file is not a list)."""
    document = read_json(path, errors)
    if document is None:
        return None
    if not isinstance(document, list):
        errors.add(path.name, 0, "(file)", "wrong-type", "must be a GeoReport v2 array of service requests")
        return None
    records = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            errors.add(path.name, number, "(request)", "wrong-type", "must be a JSON object")
            item = {}
        records.append({name: scalar_value(path.name, number, name, item.get(name), errors) for name in SOURCE_FIELDS})
    source = pd.DataFrame.from_records(records, columns=list(SOURCE_FIELDS), index=pd.RangeIndex(len(records)))
    return source.astype(object).where(source.notna(), None)


def read_open311(path: Path) -> Parsed:
    """Map the request list onto work orders and check it on its own, like work_orders.csv."""
    errors = ErrorLog()
    source = _requests(path, errors)
    if source is None:
        return Parsed(path.name, None, np.zeros(0, dtype=np.int64), errors, FIELDS)
    status = source["status"].map(STATUSES)
    closed = status == "closed"
    service_code = source["service_code"].astype("string")
    frame = pd.DataFrame({
        "order_no": source["service_request_id"].map(lambda v: None if v is None else str(v)),
        "channel": "hotline_12345",
        "appeal_type": "help",
        "category_l1": service_code.where(service_code.isin(list(codes.CATEGORIES_L1)), "other").astype(object),
        "category_l2": source["service_name"],
        "title": source["service_name"],
        "description": source["description"],
        "department": source["agency_responsible"],
        "lon": source["long"],
        "lat": source["lat"],
        "status": status.where(status.notna(), source["status"]),
        "received_at": source["requested_datetime"],
        "resolved_at": source["updated_datetime"].where(closed, None),
        "closed_at": source["updated_datetime"].where(closed, None),
        "due_at": source["expected_datetime"],
    })
    for column in work_orders.OPTIONAL:
        if column not in frame:
            frame[column] = None
    received, _bad = parse_timestamps(frame["received_at"].astype("string"))
    default_due = pd.to_datetime(received + DEFAULT_DUE_SECONDS, unit="s", utc=True)
    default_due = default_due.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").astype(object)
    frame["due_at"] = frame["due_at"].where(frame["due_at"].notna(), default_due.where(received.notna(), None))
    lines = np.arange(1, len(frame) + 1)
    check = TableCheck(path.name, frame, lines, errors, labels=FIELDS)
    check.required(["order_no", "category_l2", "lon", "lat", "status", "received_at"])
    check.report(source["status"].notna() & status.isna(), "status", "not-in-list",
                 lambda value: f"{value!r} is not one of: {', '.join(STATUSES)}")
    check.report(closed & source["updated_datetime"].isna(), "closed_at", "required",
                 "required when status is closed (the time the request was closed)")
    work_orders.check_orders(check)
    return Parsed(path.name, frame, lines, errors, FIELDS)
