"""members.csv: party members reporting to communities (报到); the codes they name are checked in references.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_access import codes
from data_access.ingest.checks import Parsed, TableCheck, split_list
from data_access.ingest.points import area_code_columns

FILE = "members.csv"
REQUIRED = ["member_id", "name", "phone", "work_unit", "unit_type", "community_code", "checkin_date", "status"]
OPTIONAL = ["residence_community_code", "grid_code", "skills", "claimed_posts"]
# The area code each column names, and its level.
AREA_COLUMNS = {"community_code": "community", "residence_community_code": "community", "grid_code": "grid"}


def check(parsed: Parsed) -> Parsed:
    """The checks members.csv takes on its own: the grid belongs to the community by its code."""
    frame = parsed.frame
    check = TableCheck(parsed.file, frame, parsed.lines, parsed.errors)
    check.required(REQUIRED)
    check.unique("member_id")
    check.enum("unit_type", codes.MEMBER_UNIT_TYPES)
    check.enum("status", codes.MEMBER_STATUSES)
    check.enum_list("claimed_posts", codes.MEMBER_POSTS)
    check.pattern("phone", codes.PHONE_PATTERN, codes.PHONE_DESCRIPTION)
    check.date("checkin_date")
    for column, level in AREA_COLUMNS.items():
        check.pattern(column, codes.AREA_CODE_PATTERNS[level], f"a {codes.AREA_LEVELS[level]}-digit {level} code")
    inside = np.array([not isinstance(grid, str) or not isinstance(community, str) or grid.startswith(community)
                       for grid, community in zip(frame["grid_code"], frame["community_code"], strict=True)],
                      dtype=bool)
    check.report(~inside, "grid_code", "not-nested", "grid does not belong to community_code")
    return parsed


def rows(parsed: Parsed) -> pd.DataFrame:
    """Rows of the `members` table."""
    frame = parsed.frame
    community = frame["community_code"].astype(object)
    return pd.DataFrame({
        "member_id": frame["member_id"],
        "name": frame["name"],
        "phone": frame["phone"],
        "work_unit": frame["work_unit"],
        "unit_type": frame["unit_type"],
        "residence_community_code": frame["residence_community_code"],
        **area_code_columns(community, ("district", "street", "community")),
        "grid_code": frame["grid_code"],
        "checkin_date": frame["checkin_date"],
        "skills": frame["skills"].map(lambda value: ";".join(split_list(value)) or None, na_action="ignore"),
        "claimed_posts": frame["claimed_posts"].map(lambda value: ";".join(split_list(value)) or None,
                                                    na_action="ignore"),
        "status": frame["status"],
    })
