"""Exports that are safe to open in a spreadsheet: a text cell that a spreadsheet would run as a formula
(starting with =, +, -, @, tab or carriage return, as OWASP's CSV-injection guidance lists) is prefixed with
a single quote; numbers stay numbers, negative ones included."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """One cell: text that would start a formula gets a leading single quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns cannot run as formulas (numeric, boolean and date columns untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) \
                or pd.api.types.is_datetime64_any_dtype(values):
            continue
        safe[column] = values.map(neutralise_cell, na_action="ignore")
    return safe


def spreadsheet_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes for download: formula-safe, UTF-8 with a byte-order mark so spreadsheets read Chinese right.

    Records end in CRLF (RFC 4180), so a cell holding a bare carriage return is quoted, not split.
    """
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
