"""Personal data found inside free text (a caller's phone or ID number typed into a title), masked the way
the masked columns are (sql.masked_phone), so it never leaves the loader whole."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Digits that are part of a longer number are not a phone or an ID of their own.
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])0\d{2,3}[ -]?\d{7,8}(?![0-9A-Za-z])")
# Resident ID cards: 18 characters (the last may be X) and the old 15 digits.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Only today's 18-character cards, where 15 digits are a grid's code (an input error about a code field).
_ID_CARD_18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# Cheap test first: most free text holds no run of seven digits at all.
_LONG_DIGITS = re.compile(r"\d[\d -]{5,}\d")


def mask_phone_text(phone: str) -> str:
    """138-1234-5678 → 138****5678, as sql.masked_phone masks the phone columns."""
    return "****" if len(phone) < 8 else phone[:3] + "****" + phone[-4:]


def mask_id_card(number: str) -> str:
    """420102199001011234 → 420102********1234: the region stays, the birth date and serial go."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_personal_text(text: str, fifteen_digit_ids: bool = True) -> str:
    """Free text with every phone number (mobile or landline) and resident ID number in it masked (the old
    15-digit ID numbers too, unless `fifteen_digit_ids` is False: text about grid codes)."""
    if not _LONG_DIGITS.search(text):
        return text
    text = (_ID_CARD if fifteen_digit_ids else _ID_CARD_18).sub(lambda match: mask_id_card(match.group()), text)
    text = _MOBILE.sub(lambda match: mask_phone_text(match.group().replace(" ", "").replace("-", "")), text)
    return _LANDLINE.sub(lambda match: mask_phone_text(match.group()), text)


def mask_personal_column(values: pd.Series) -> pd.Series:
    """mask_personal_text over a column of free text (missing values stay missing); only changed cells copied.

    The cells worth a look are found by Arrow's regular expressions in C++, without the GIL: a load's millions
    of titles and descriptions hold few numbers, and pandas' own string methods cost several times more.
    """
    if hasattr(values.array, "__arrow_array__"):
        text = pa.array(values.array)
    else:
        text = pa.array(values.to_numpy(dtype=object), from_pandas=True, type=pa.large_string())
    found = pc.match_substring_regex(text, _LONG_DIGITS.pattern).fill_null(False)
    candidates = np.flatnonzero(found.to_numpy(zero_copy_only=False))
    if len(candidates) == 0:
        return values
    values = values.copy()
    values.iloc[candidates] = [mask_personal_text(value) for value in values.iloc[candidates]]
    return values
