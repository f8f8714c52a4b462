"""city.json: the city's name, code, clock and map centre, as `meta` rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_access.ingest.checks import Parsed, parse_timestamps
from data_access.ingest.errors import ErrorLog
from data_access.ingest.files import read_json, scalar_value

CITY_FILE = "city.json"


def read_city(path: Path) -> Parsed:
    """Read and check city.json; the frame holds the `meta` rows."""
    errors = ErrorLog()
    document = read_json(path, errors)
    if document is None:
        return Parsed(path.name, None, np.zeros(0, dtype=np.int64), errors)
    return check_city(document, errors)


def check_city(document: object, errors: ErrorLog | None = None) -> Parsed:
    """Check a city.json document (parsed JSON); the frame holds the `meta` rows."""
    errors = ErrorLog() if errors is None else errors
    file = CITY_FILE
    if not isinstance(document, dict):
        errors.add(file, 1, "(file)", "wrong-type", "must be a JSON object")
        return Parsed(file, None, np.zeros(0, dtype=np.int64), errors)
    rows = {}
    for key in ("name_zh", "name_en", "code"):
        value = scalar_value(file, 1, key, document.get(key), errors)
        if value is not None:
            rows[f"city_{key}"] = str(value)
    if "synthetic" in document:
        if not isinstance(document["synthetic"], bool):
            errors.add(file, 1, "synthetic", "bad-boolean", "must be true or false")
        rows["synthetic"] = "true" if document["synthetic"] is True else "false"
    as_of = scalar_value(file, 1, "as_of", document.get("as_of"), errors)
    if as_of:
        epoch, bad = parse_timestamps(pd.Series([str(as_of)]))
        if bad[0]:
            errors.add(file, 1, "as_of", "bad-timestamp", f"{str(as_of)!r} is not an ISO 8601 timestamp")
        else:
            rows["as_of"] = str(int(epoch.iloc[0]))
    center = document.get("center")
    if center is not None:
        if not (isinstance(center, list) and len(center) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in center)):
            errors.add(file, 1, "center", "wrong-type", "must be [longitude, latitude]")
        elif not (-180 <= center[0] <= 180 and -90 <= center[1] <= 90):
            errors.add(file, 1, "center", "out-of-range", "must be [longitude, latitude] within range")
        else:
            rows["center_lon"], rows["center_lat"] = str(center[0]), str(center[1])
    frame = pd.DataFrame({"key": list(rows), "value": list(rows.values())})
    return Parsed(file, frame, np.ones(len(frame), dtype=np.int64), errors)
