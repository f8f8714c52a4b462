"""member_activities.csv: what members did; members, grids and work orders named are checked in references.py."""

from __future__ import annotations

import pandas as pd

from data_access import codes
from data_access.ingest.checks import Parsed, TableCheck
from data_access.ingest.points import area_code_columns
from data_access.personal import mask_personal_column

FILE = "member_activities.csv"
REQUIRED = ["activity_id", "member_id", "activity_date", "kind", "hours"]
OPTIONAL = ["grid_code", "work_order_no", "note"]


def check(parsed: Parsed) -> Parsed:
    """The checks member_activities.csv takes on its own."""
    check = TableCheck(parsed.file, parsed.frame, parsed.lines, parsed.errors)
    check.required(REQUIRED)
    check.unique("activity_id")
    check.enum("kind", codes.ACTIVITY_KINDS)
    check.number("hours", 0, 24)
    check.date("activity_date")
    return parsed


def rows(parsed: Parsed, places: pd.DataFrame) -> pd.DataFrame:
    """Rows of the `member_activities` table; the grid defaults to the member's (`places`: by member_id)."""
    frame = parsed.frame
    member_grid = frame["member_id"].map(places["grid_code"]) if len(places) else pd.Series(None, index=frame.index)
    member_community = frame["member_id"].map(places["community_code"]) if len(places) else member_grid
    grid = frame["grid_code"].where(frame["grid_code"].notna(), member_grid).astype(object)
    community = grid.str[:12].where(grid.notna(), member_community).astype(object)
    return pd.DataFrame({
        "activity_id": frame["activity_id"],
        "member_id": frame["member_id"],
        "activity_date": frame["activity_date"],
        "kind": frame["kind"],
        "hours": frame["hours"],
        **area_code_columns(community, ("district", "street", "community")),
        "grid_code": grid,
        "work_order_no": frame["work_order_no"],
        "note": mask_personal_column(frame["note"]),
    })
