"""Column checks for one parsed file: each problem becomes an error naming file, line, field, code and reason."""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_access.arrow import blank_edged
from data_access.city_time import CITY_UTC_OFFSET_SECONDS, CITY_ZONE
from data_access.ingest.errors import MAX_ERRORS_PER_FIELD, PERSONAL_COLUMNS, ErrorLog

TRUE_WORDS = {"true", "1", "yes", "y", "t", "是"}
FALSE_WORDS = {"false", "0", "no", "n", "f", "否"}
# The plain local timestamp form real exports use (parsed fast, in Arrow).
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
PLAIN_LOCAL_LENGTH = len("2026-05-01 09:30:00")


@dataclass
class Parsed:
    """One input file read and checked on its own: its rows (None when unreadable), their lines, its errors."""

    file: str
    frame: pd.DataFrame | None
    lines: np.ndarray
    errors: ErrorLog = field(default_factory=ErrorLog)
    # A column's name in the file, where the reader renamed it (Open311's service_request_id).
    labels: dict[str, str] = field(default_factory=dict)

    def check(self) -> TableCheck:
        """A check of these rows that reports into a log of its own (for the cross-file step)."""
        return TableCheck(self.file, self.frame, self.lines, ErrorLog(), self.labels)


class TableCheck:
    """Checks the columns of one parsed file; `lines` maps each row to its line in the file.

    `labels` names a column as the file does, where a reader renamed it (Open311's service_request_id).
    """

    def __init__(self, file: str, frame: pd.DataFrame, lines: np.ndarray, errors: ErrorLog | None = None,
                 labels: dict[str, str] | None = None):
        self.file = file
        self.frame = frame
        self.lines = lines
        self.errors = ErrorLog() if errors is None else errors
        self.labels = labels or {}

    def label(self, column: str) -> str:
        """The field's name in the file."""
        return self.labels.get(column, column)

    def shown(self, column: str, value) -> str:
        """How an error shows a value: quoted, unless the column holds personal data."""
        return "the value" if column in PERSONAL_COLUMNS or self.label(column) in PERSONAL_COLUMNS else repr(value)

    def report(self, mask: np.ndarray | pd.Series, column: str, code: str, reason) -> None:
        """Report rows where mask is True; reason is a string or a function of the bad values."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)[: MAX_ERRORS_PER_FIELD + 1]
        bad_lines = self.lines[positions]
        if callable(reason):
            values = self.frame[column].iloc[positions] if column in self.frame else [None] * len(positions)
            reasons = [reason(value) for value in values]
        else:
            reasons = reason
        self.errors.add_rows(self.file, bad_lines, self.label(column), code, reasons)
        self.errors.suppressed += int(mask.sum()) - len(positions)

    def present(self, column: str) -> pd.Series:
        """Return a mask of rows with a non-empty value."""
        if column not in self.frame:
            return pd.Series(False, index=self.frame.index)
        return self.frame[column].notna()

    def columns(self, required: Iterable[str]) -> bool:
        """Check the header has every required column; return False when some are missing."""
        missing = [column for column in required if column not in self.frame.columns]
        for column in missing:
            self.errors.add(self.file, 1, self.label(column), "missing-column",
                            "required column is missing from the header")
        return not missing

    def required(self, columns: Iterable[str]) -> None:
        """Every row needs a value in each of these columns."""
        for column in columns:
            if column in self.frame:
                self.report(self.frame[column].isna(), column, "required", "required value is empty")

    def unique(self, column: str) -> None:
        """No two rows may share a value in this column."""
        values = self.frame[column]
        duplicated = values.duplicated(keep="first") & values.notna()
        if duplicated.any():
            firsts = ~values.duplicated(keep="first").to_numpy()
            first_line = dict(zip(values[firsts], self.lines[firsts], strict=True))
            self.report(duplicated, column, "duplicate", lambda value: (
                f"duplicate {self.shown(column, value)} (first on line {first_line[value]})"))

    def enum(self, column: str, allowed: Iterable[str]) -> None:
        """Values, where present, must be one of the allowed codes."""
        if column not in self.frame:
            return
        allowed = list(allowed)
        bad = self.present(column) & ~is_in(self.frame[column], allowed)
        shown = ", ".join(allowed)
        self.report(bad, column, "not-in-list",
                    lambda value: f"{self.shown(column, value)} is not one of: {shown}")

    def enum_list(self, column: str, allowed: Iterable[str]) -> None:
        """Each ';'-separated item, where present, must be one of the allowed codes."""
        if column not in self.frame:
            return
        allowed = set(allowed)
        values = self.frame[column]
        bad = np.array([isinstance(value, str) and not set(split_list(value)) <= allowed for value in values],
                       dtype=bool)
        self.report(bad, column, "not-in-list",
                    lambda value: f"unknown item(s) {sorted(set(split_list(value)) - allowed)}")

    def pattern(self, column: str, regex: re.Pattern, description: str) -> None:
        """Values, where present, must match the regular expression."""
        if column not in self.frame:
            return
        bad = self.present(column) & ~self.frame[column].astype("string").str.fullmatch(regex.pattern).fillna(False)
        self.report(bad, column, "bad-pattern", lambda value: f"{self.shown(column, value)} is not {description}")

    def number(self, column: str, minimum: float | None = None, maximum: float | None = None,
               integer: bool = False) -> pd.Series:
        """Parse a numeric column in place; report unparsable or out-of-range values."""
        if column not in self.frame:
            return pd.Series(dtype="float64")
        raw = self.frame[column]
        parsed = _parse_numbers(raw)
        present = raw.notna()
        self.report(present & parsed.isna(), column, "bad-number",
                    lambda value: f"{self.shown(column, value)} is not a number")
        if integer:
            fractional = present & parsed.notna() & (parsed % 1 != 0)
            self.report(fractional, column, "bad-number",
                        lambda value: f"{self.shown(column, value)} is not a whole number")
        if minimum is not None:
            self.report(parsed.notna() & (parsed < minimum), column, "out-of-range",
                        lambda value: f"{value} is below {minimum}")
        if maximum is not None:
            self.report(parsed.notna() & (parsed > maximum), column, "out-of-range",
                        lambda value: f"{value} is above {maximum}")
        self.frame[column] = parsed
        return parsed

    def timestamps(self, columns: Iterable[str]) -> None:
        """Parse ISO 8601 timestamps in place into UTC epoch seconds (no zone = Asia/Shanghai)."""
        columns = [column for column in columns if column in self.frame]
        # Arrow parses without the GIL: two columns at a time.
        with ThreadPoolExecutor(max_workers=2) as pool:
            parsed = list(pool.map(parse_timestamps, [self.frame[column] for column in columns]))
        for column, (epoch, bad) in zip(columns, parsed, strict=True):
            self.report(bad, column, "bad-timestamp", lambda value, column=column: (
                f"{self.shown(column, value)} is not an ISO 8601 timestamp"))
            self.frame[column] = epoch

    def date(self, column: str) -> None:
        """Parse YYYY-MM-DD dates in place into ISO strings."""
        if column not in self.frame:
            return
        raw = self.frame[column]
        parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        self.report(raw.notna() & parsed.isna(), column, "bad-date",
                    lambda value: f"{self.shown(column, value)} is not a date (YYYY-MM-DD)")
        self.frame[column] = parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)

    def boolean(self, column: str, default: bool | None = None) -> None:
        """Parse booleans in place (true/false, 1/0, yes/no, 是/否)."""
        if column not in self.frame:
            if default is not None:
                self.frame[column] = default
            return
        text = self.frame[column].astype("string").str.strip().str.lower()
        truthy = text.isin(TRUE_WORDS).fillna(False).to_numpy(bool)
        falsy = text.isin(FALSE_WORDS).fillna(False).to_numpy(bool)
        empty = self.frame[column].isna().to_numpy()
        self.report(~truthy & ~falsy & ~empty, column, "bad-boolean",
                    lambda value: f"{self.shown(column, value)} is not true/false")
        result = pd.Series(truthy, index=self.frame.index, dtype=object)
        result[empty] = default
        self.frame[column] = result

    def order(self, earlier: str, later: str) -> None:
        """Where both timestamps are given, `later` must not precede `earlier`."""
        if earlier not in self.frame or later not in self.frame:
            return
        first = pd.to_numeric(self.frame[earlier], errors="coerce")
        second = pd.to_numeric(self.frame[later], errors="coerce")
        bad = first.notna() & second.notna() & (second < first)
        self.report(bad, later, "out-of-order", f"is earlier than {earlier}")


def large_strings(values) -> pa.Array:
    """Any column or collection of values as an Arrow large_string array (missing values null)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        array = values
    elif isinstance(values, pd.Series | pd.Index) and hasattr(values.array, "__arrow_array__"):
        array = pa.array(values.array)
    else:
        array = pa.array(np.asarray(list(values) if isinstance(values, set | dict) else values, dtype=object),
                         from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_large_string(array.type):
        return array
    if pa.types.is_string(array.type) or pa.types.is_null(array.type):
        return array.cast(pa.large_string())
    return pa.array([None if value is None else str(value) for value in array.to_pylist()], type=pa.large_string())


def is_in(values: pd.Series, known) -> np.ndarray:
    """Boolean mask of values found in `known` (a column, array or collection), matched in Arrow."""
    if len(values) == 0 or len(known) == 0:
        return np.zeros(len(values), dtype=bool)
    return pc.is_in(large_strings(values), value_set=large_strings(known)).fill_null(False).to_numpy(
        zero_copy_only=False)


def _parse_numbers(raw: pd.Series) -> pd.Series:
    """Numbers from text (NaN where unparsable): Arrow's cast in C++ when every value parses, else pandas."""
    if hasattr(raw.array, "__arrow_array__"):
        try:
            return pd.Series(large_strings(raw).cast(pa.float64()).to_numpy(zero_copy_only=False), index=raw.index)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some value is not a number: pandas finds which
    return pd.to_numeric(raw, errors="coerce")


def split_list(value) -> list[str]:
    """Split a ';'-separated cell (also accepting the full-width ；) into trimmed items."""
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.replace("；", ";").split(";") if item.strip()]


def _plain_local_epochs(text: pa.Array) -> pd.arrays.IntegerArray | None:
    """Epoch seconds when every value is the plain local 'YYYY-MM-DD HH:MM:SS' (or with T), else None.

    Arrow's own ISO 8601 cast is strict (02-30, 24:00 and 23:59:60 fail the whole cast) and much faster than
    strptime plus the day check below (docs/benchmarks.md); a column with any other form or value takes the
    general path.
    """
    lengths = pc.min_max(pc.utf8_length(text))
    if lengths["min"].as_py() != PLAIN_LOCAL_LENGTH or lengths["max"].as_py() != PLAIN_LOCAL_LENGTH:
        return None
    try:
        local = pc.cast(text, pa.timestamp("s"))
    except pa.ArrowInvalid:
        return None
    return _utc_epochs(local)


def _utc_epochs(local: pa.Array) -> pd.arrays.IntegerArray:
    """UTC epoch seconds of city-local timestamps (missing where null)."""
    ok = pc.is_valid(local).to_numpy(zero_copy_only=False)
    local_seconds = pc.fill_null(local.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    return pd.arrays.IntegerArray(np.where(ok, local_seconds - CITY_UTC_OFFSET_SECONDS, 0), ~ok)


def parse_timestamps(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse ISO 8601 strings into nullable Int64 UTC epoch seconds; return (epochs, bad-value mask)."""
    text = large_strings(raw)
    plain = _plain_local_epochs(text)
    if plain is not None:
        return pd.Series(plain, index=raw.index), np.zeros(len(raw), dtype=bool)
    if blank_edged(text).any():  # the loader hands over trimmed values: then there is nothing to trim
        text = pc.utf8_trim_whitespace(text)
    # Value by value, in Arrow: the plain local form real exports use; the rest go through fromisoformat.
    fast = pc.strptime(text, format=LOCAL_FORMAT, unit="s", error_is_null=True)
    # Arrow rolls an impossible day over (02-30 → 03-02): only a value whose day reads back the same is taken.
    day = pc.utf8_slice_codeunits(text, 8, 10)
    same = pc.and_kleene(pc.equal(pc.utf8_length(text), PLAIN_LOCAL_LENGTH),
                         pc.equal(pc.cast(pc.if_else(pc.utf8_is_digit(day), day, None), pa.int64()), pc.day(fast)))
    fast = pc.if_else(same, fast, None)
    epoch = _utc_epochs(fast)
    ok = ~epoch.isna()
    slow = pc.is_valid(text).to_numpy(zero_copy_only=False) & ~ok
    bad = np.zeros(len(raw), dtype=bool)
    for position in np.flatnonzero(slow):
        value = text[int(position)].as_py()
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            bad[position] = True
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CITY_ZONE)
        epoch[position] = int(moment.timestamp())
    return pd.Series(epoch, index=raw.index), bad
