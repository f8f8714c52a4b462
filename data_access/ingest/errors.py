"""Input errors: each names file, line, field, a stable machine code and a reason for people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from data_access.personal import mask_personal_text

# Enough to fix a file; a million copies of the same mistake help nobody.
MAX_ERRORS_PER_FIELD = 20

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
    never quote their value at all (checks.PERSONAL_COLUMNS)."""
    return mask_personal_text(reason, fifteen_digit_ids=not field_name.endswith("code"))


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
