"""grid_workers.csv: the people who work each grid; the grid named is checked in references.py."""

from __future__ import annotations

import pandas as pd

from data_access import codes
from data_access.ingest.checks import Parsed, TableCheck
from data_access.ingest.points import area_code_columns

FILE = "grid_workers.csv"
REQUIRED = ["worker_id", "name", "grid_code", "role", "on_duty"]
OPTIONAL = ["phone"]


def check(parsed: Parsed) -> Parsed:
    """The checks grid_workers.csv takes on its own."""
    check = TableCheck(parsed.file, parsed.frame, parsed.lines, parsed.errors)
    check.required(REQUIRED)
    check.unique("worker_id")
    check.enum("role", codes.GRID_WORKER_ROLES)
    check.boolean("on_duty")
    check.pattern("phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    return parsed


def rows(parsed: Parsed) -> pd.DataFrame:
    """Rows of the `grid_workers` table."""
    frame = parsed.frame
    return pd.DataFrame({
        "worker_id": frame["worker_id"],
        "name": frame["name"],
        "phone": frame["phone"],
        **area_code_columns(frame["grid_code"]),
        "role": frame["role"],
        "on_duty": frame["on_duty"].astype(bool),
    })
