"""work_orders.csv: 12345 work orders; the checks here are shared with the Open311 file (open311.py)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from data_access import codes
from data_access.ingest.checks import Parsed, TableCheck, split_list
from data_access.personal import mask_personal_column

FILE = "work_orders.csv"
REQUIRED = ["order_no", "channel", "appeal_type", "category_l1", "category_l2", "title", "lon", "lat",
            "status", "received_at", "due_at"]
TIMESTAMPS = [*codes.LIFECYCLE_TIMESTAMPS, "returned_at", "extended_at", "due_at", "whistled_at"]
OPTIONAL = ["category_l3", "description", "caller_name", "caller_phone", *TIMESTAMPS, "department", "resolution",
            "satisfaction", "repeat_of", "whistle", "whistle_departments", "coord_system"]


def check_orders(check: TableCheck) -> None:
    """Every check a work order takes on its own, from either file (every optional column present)."""
    frame = check.frame
    check.unique("order_no")
    check.enum("channel", codes.CHANNELS)
    check.enum("appeal_type", codes.APPEAL_TYPES)
    check.enum("category_l1", codes.CATEGORIES_L1)
    check.enum("status", codes.WORK_ORDER_STATUSES)
    check.enum("resolution", codes.RESOLUTIONS)
    check.enum("satisfaction", codes.SATISFACTION)
    check.enum("coord_system", codes.COORD_SYSTEMS)
    check.pattern("caller_phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    check.number("lon", -180, 180)
    check.number("lat", -90, 90)
    check.timestamps(TIMESTAMPS)
    for earlier, later in itertools.pairwise(codes.LIFECYCLE_TIMESTAMPS):
        check.order(earlier, later)
    for column in ("returned_at", "extended_at", "whistled_at", "due_at"):
        check.order("received_at", column)
    check.boolean("whistle", default=False)
    status = frame["status"]
    for statuses, column in ((codes.DONE_STATUSES, "resolved_at"), (("called_back",), "called_back_at"),
                             (("closed",), "closed_at")):
        check.report(status.isin(statuses) & frame[column].isna(), column, "required",
                     f"required when status is {'/'.join(statuses)}")
    check.report(frame["satisfaction"].notna() & frame["called_back_at"].isna(), "satisfaction", "inconsistent",
                 "given without called_back_at")
    check.report(frame["repeat_of"].notna() & (frame["repeat_of"] == frame["order_no"]), "repeat_of",
                 "inconsistent", "an order cannot repeat itself")


def check(parsed: Parsed) -> Parsed:
    """The checks work_orders.csv takes on its own."""
    check = TableCheck(parsed.file, parsed.frame, parsed.lines, parsed.errors)
    check.required(REQUIRED)
    check_orders(check)
    return parsed


def rows(parsed: Parsed, placed: pd.DataFrame) -> pd.DataFrame:
    """Rows of the `work_orders` table, with each order's place and H3 cells."""
    frame = parsed.frame
    status = frame["status"]
    rows = frame[["order_no", "channel", "appeal_type", "category_l1", "category_l2", "category_l3", "title",
                  "description", "caller_name", "caller_phone"]].copy()
    rows = pd.concat([rows, placed], axis=1)
    # A caller's phone or ID number typed into the free text is stored masked, like the masked columns
    # (both columns at once: Arrow searches them without the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows["title"], rows["description"] = pool.map(mask_personal_column, [rows["title"], rows["description"]])
    rows["status"] = status
    rows["is_open"] = status.isin(codes.OPEN_STATUSES)
    for column in TIMESTAMPS[:-1]:
        rows[column] = frame[column].astype("Int64")
    for column in ("department", "resolution", "satisfaction", "repeat_of", "whistle"):
        rows[column] = frame[column]
    rows["whistle"] = rows["whistle"].astype(bool)
    rows["whistled_at"] = frame["whistled_at"].astype("Int64")
    rows["whistle_departments"] = frame["whistle_departments"].map(
        lambda value: ";".join(split_list(value)) or None, na_action="ignore")
    return rows
