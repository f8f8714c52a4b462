"""Input errors: each names file, line, field, a stable machine code and a reason for people."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from data_access.personal import mask_personal_text

# Enough to fix a file; a million copies of the same mistake help nobody.
MAX_ERRORS_PER_FIELD = 20
# Personal data: an error names the field and line, never the value.
PERSONAL_COLUMNS = frozenset({"name", "phone", "caller_name", "caller_phone", "description", "address"})
# Of those, the ones whose values no masking can make safe to quote (names and words, not numbers).
WORDS_COLUMNS = PERSONAL_COLUMNS - {"phone", "caller_phone"}

# Every code an InputError may carry, with what it means (docs/data-format.md lists the same table).
CODES = {
    "empty-file": "the file has no header (or no content at all)",
    "bad-encoding": "the file is not UTF-8 or GBK/GB18030 text, or mixes the two",
    "malformed": "the file cannot be parsed (JSON syntax, a CSV record with the wrong number of fields)",
    "too-long": "a header, field or property is longer than its documented maximum",
    "nul-byte": "a field holds a NUL character",
    "too-deep": "a JSON document nests deeper than any valid input does",
    "wrong-type": "a JSON value has the wrong type (an object where a list belongs, …)",
    "missing-column": "a required column is missing from the CSV header",
    "required": "a required value is empty (or required by the row's status)",
    "duplicate": "a key appears twice in one load",
    "not-in-list": "a value is not one of the allowed codes",
    "bad-pattern": "a value does not have the required form (code digits, phone number)",
    "bad-number": "a value is not a number, or not a whole number",
    "out-of-range": "a number or coordinate is outside its allowed range",
    "bad-timestamp": "a value is not an ISO 8601 timestamp",
    "bad-date": "a value is not a YYYY-MM-DD date",
    "bad-boolean": "a value is not true/false",
    "out-of-order": "a lifecycle timestamp is earlier than the one before it",
    "inconsistent": "values of one row contradict each other (status without its timestamp, …)",
    "outside-city": "a point lies outside the city's grids",
    "swapped-coordinates": "longitude and latitude look swapped",
    "bad-geometry": "a geometry is unreadable, empty, invalid or of the wrong type",
    "unknown-reference": "a referenced code or id exists neither in this load nor in the database",
    "not-nested": "an area or grid does not lie in (or does not start with the code of) its parent",
}


@dataclass(frozen=True)
class InputError:
    """One problem in one input file."""

    file: str
    line: int
    field: str
    reason: str
    code: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown input error code {self.code!r}")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class LoadRejected(Exception):
    """The input has errors; nothing was written."""

    def __init__(self, errors: list[InputError], suppressed: int = 0):
        self.errors = errors
        self.suppressed = suppressed
        lines = [str(error) for error in errors]
        if suppressed:
            lines.append(f"… and {suppressed} more errors of the same kinds")
        super().__init__(f"load rejected, database unchanged ({len(errors) + suppressed} errors):\n" + "\n".join(lines))


def masked_reason(field_name: str, reason: str) -> str:
    """A reason that quotes a value, with any phone or ID number in it masked: a number typed into the wrong
    field (an ID card in a phone or a code column) reaches no error, log or terminal whole. Personal fields
    never quote their value at all (PERSONAL_COLUMNS)."""
    return mask_personal_text(reason, fifteen_digit_ids=not field_name.endswith("code"))


class LoadFailed(Exception):
    """The database refused the write after every check had passed (a rule it holds that the loader does not
    check, a change made meanwhile); nothing was written. The message is the database's, masked."""

    def __init__(self, error: BaseException, connection_lost: bool = False):
        self.sqlstate = getattr(getattr(error, "orig", error), "sqlstate", None)
        # A connection lost while committing leaves the outcome unknown: say so (a reload is safe either way).
        outcome = ("the connection to the database failed; a load is all or nothing, and loading the same files "
                   "again is safe" if connection_lost else "database unchanged: the database refused the write")
        super().__init__(f"load failed, {outcome}: {masked_database_message(error)}")


# How PostgreSQL quotes a key (unique, foreign, exclusion): "Key (phone)=(13812345678) already exists."
_KEY_VALUES = re.compile(r"Key \((?P<columns>[^()]*)\)=\((?P<values>.*?)\)"
                         r"(?= already exists| is not present| is still referenced| conflicts with)", re.DOTALL)
# How it quotes a whole row (a NOT NULL or CHECK violation): names and words among the values.
_FAILING_ROW = re.compile(r"Failing row contains \(.*\)", re.DOTALL)


def _masked_key(match: re.Match) -> str:
    """A quoted key as masked_reason masks a value of its column; the values of name or word columns withheld."""
    columns = [column.strip() for column in match["columns"].split(",")]
    if WORDS_COLUMNS.intersection(columns):
        return f"Key ({match['columns']})=(the values)"
    field_name = "code" if all(column.endswith("code") for column in columns) else match["columns"]
    return f"Key ({match['columns']})=({masked_reason(field_name, match['values'])})"


def masked_database_message(error: BaseException) -> str:
    """The database's message for a failed write, with phone and ID numbers masked as input errors mask them.

    Only the driver's message and detail: never the statement, its parameters, or the context (where a text COPY
    quotes its row). A failing row and the key values of name or word columns are not quoted at all.
    """
    driver = getattr(error, "orig", None) or error  # SQLAlchemy's DBAPIError wraps the driver's own error
    diagnostics = getattr(driver, "diag", None)
    primary = getattr(diagnostics, "message_primary", None)
    if primary:
        text = "\n".join(part for part in (primary, diagnostics.message_detail) if part)
    else:
        text = str(driver)
    text = _FAILING_ROW.sub("Failing row not shown (it may hold personal data)", text)
    pieces, end = [], 0
    for match in _KEY_VALUES.finditer(text):
        pieces += [mask_personal_text(text[end:match.start()]), _masked_key(match)]
        end = match.end()
    return "".join(pieces) + mask_personal_text(text[end:])


@dataclass
class ErrorLog:
    """Collects errors, capping repeats of the same file and field."""

    errors: list[InputError] = field(default_factory=list)
    suppressed: int = 0
    _per_field: dict[tuple[str, str], int] = field(default_factory=dict)
    _seen: set[tuple[str, int, str]] = field(default_factory=set)

    def add(self, file: str, line: int, field_name: str, code: str, reason: str) -> None:
        """Record one error; a field already faulted on that line keeps its first error only."""
        place = (file, int(line), field_name)
        if place in self._seen:
            return
        self._seen.add(place)
        key = (file, field_name)
        count = self._per_field.get(key, 0)
        self._per_field[key] = count + 1
        if count < MAX_ERRORS_PER_FIELD:
            self.errors.append(InputError(file, int(line), field_name, masked_reason(field_name, reason), code))
        else:
            self.suppressed += 1

    def add_rows(self, file: str, lines: Iterable[int], field_name: str, code: str,
                 reason: str | Iterable[str]) -> None:
        """Record the same kind of error for several lines (reason may vary per line)."""
        lines = list(lines)
        reasons = [reason] * len(lines) if isinstance(reason, str) else list(reason)
        for line, why in zip(lines, reasons, strict=True):
            self.add(file, line, field_name, code, why)

    def merge(self, other: ErrorLog) -> None:
        """Take in another log's errors (capped like our own) and its count of suppressed ones."""
        for error in other.errors:
            self.add(error.file, error.line, error.field, error.code, error.reason)
        self.suppressed += other.suppressed

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        """Raise LoadRejected when anything was recorded."""
        if self.errors:
            raise LoadRejected(self.errors, self.suppressed)
