"""Reading input files into values: a CSV's known columns as text with each record's physical line, a JSON
document, GeoJSON features. Each reader returns its own errors and keeps memory bounded on hostile files."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from data_access.arrow import blank_edged
from data_access.ingest.checks import Parsed, large_strings
from data_access.ingest.errors import ErrorLog

# The longest value any CSV field or JSON string property may hold (docs/data-format.md).
MAX_FIELD_CHARS = 10_000
# A real header is a few hundred bytes; a bigger one is not parsed at all.
MAX_HEADER_BYTES = 64 * 1024
READ_CHUNK_BYTES = 16 * 1024 * 1024
UTF8_BOM = codecs.BOM_UTF8


def _unreadable(file: str, errors: ErrorLog) -> Parsed:
    return Parsed(file, None, np.zeros(0, dtype=np.int64), errors)


def trimmed(values: pd.Series) -> pd.Series:
    """Values without surrounding blanks; an empty value becomes missing.

    Only the values that need it are trimmed, found from the bytes (arrow.blank_edged): a trimmed copy of
    every column is gigabytes of new memory (docs/benchmarks.md).
    """
    positions = np.flatnonzero(blank_edged(large_strings(values)))
    if len(positions) == 0:
        return values
    values = values.copy()
    values.iloc[positions] = values.iloc[positions].str.strip().replace("", np.nan)
    return values


def _header(path: Path, errors: ErrorLog) -> list[str] | None:
    """The header's names as written (quotes undone, blanks kept), read from at most MAX_HEADER_BYTES."""
    with open(path, "rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    if not head.strip():
        errors.add(path.name, 1, "(header)", "empty-file", "file is empty")
        return None
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        errors.add(path.name, 1, "(header)", "too-long", f"header is longer than {MAX_HEADER_BYTES:,} bytes")
        return None
    raw = head[: len(head) if end < 0 else end].rstrip(b"\r").removeprefix(UTF8_BOM)
    if b"\x00" in raw:
        errors.add(path.name, 1, "(header)", "nul-byte", "header holds a NUL character")
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return next(csv.reader([raw.decode(encoding)]), [])
        except UnicodeDecodeError:
            continue
    errors.add(path.name, 1, "(header)", "bad-encoding", "header is not UTF-8 or GBK/GB18030 text")
    return None


def _line_count(path: Path) -> tuple[int, bool]:
    """(physical lines, whether any byte is NUL), counted by numpy in chunks (it releases the GIL)."""
    newlines, nul, last = 0, False, 10
    buffer = bytearray(READ_CHUNK_BYTES)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            chunk = np.frombuffer(view[:size], dtype=np.uint8)
            newlines += int(np.count_nonzero(chunk == 10))
            nul = nul or bool((chunk == 0).any())
            last = buffer[size - 1]
    return newlines + (last != 10), nul


def _decode_failure(path: Path, encoding: str) -> tuple[int, int, bool] | None:
    """(line, byte, whether non-ASCII text came before) of the first undecodable byte; None when all decode."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newlines, non_ascii = 0, False
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(READ_CHUNK_BYTES)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                start = max(error.start - len(pending), 0)
                before = chunk[:start]
                return (newlines + before.count(b"\n") + 1, error.object[error.start],
                        non_ascii or not before.isascii())
            if not chunk:
                return None
            newlines += chunk.count(b"\n")
            non_ascii = non_ascii or not chunk.isascii()


def _first_utf8_line(path: Path) -> int | None:
    """The first line of a GBK file that is UTF-8 Chinese text (valid UTF-8 with 3-byte characters)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if any(ord(char) >= 0x800 for char in text):
                return number
    return None


def _encoding(path: Path, errors: ErrorLog) -> str | None:
    """UTF-8 (with or without BOM) or GB18030, or None with one error naming the first line that is neither."""
    failure = _decode_failure(path, "utf-8-sig")
    if failure is None:
        return "utf-8-sig"
    line, _byte, after_text = failure
    if after_text:
        errors.add(path.name, line, "(file)", "bad-encoding",
                   "not UTF-8 text although the lines before it are: one file, one encoding")
        return None
    failure = _decode_failure(path, "gb18030")
    if failure is not None:
        errors.add(path.name, failure[0], "(file)", "bad-encoding",
                   f"not UTF-8 or GBK/GB18030 text: byte {failure[1]:#04x} cannot be decoded")
        return None
    utf8_line = _first_utf8_line(path)
    if utf8_line is not None:
        errors.add(path.name, utf8_line, "(file)", "bad-encoding",
                   "UTF-8 text in a GBK/GB18030 file: one file, one encoding")
        return None
    return "gb18030"


def _long_field(path: Path, encoding: str, line: int, names: list[str]) -> str:
    """The name of the field too long for the csv module in the record starting on `line`."""
    limit = csv.field_size_limit()
    with open(path, encoding=encoding, newline="") as handle:
        for _ in range(line - 1):
            handle.readline()
        index, length, quoted = 0, 0, False
        while chunk := handle.read(65536):
            for char in chunk:
                if char == '"':
                    quoted = not quoted
                elif not quoted and char == ",":
                    index, length = index + 1, 0
                elif not quoted and char == "\n":
                    return "(row)"
                else:
                    length += 1
                    if length > limit:
                        return names[index] if index < len(names) else "(row)"
    return "(row)"


def _parse_slowly(path: Path, encoding: str, names: list[str], wanted: list[str],
                  errors: ErrorLog) -> tuple[dict[str, list] | None, np.ndarray]:
    """Parse with the csv module, knowing where each record starts; only the wanted columns are kept.

    The csv module refuses a field past its limit before building it, so a huge field costs no memory.
    """
    positions = [names.index(name) for name in wanted]
    columns: dict[str, list] = {name: [] for name in wanted}
    lists = list(columns.values())
    starts: list[int] = []
    width = len(names)
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        previous = 0
        try:
            next(reader, None)
            previous = reader.line_num
            for record in reader:
                start, previous = previous + 1, reader.line_num
                if not record:
                    continue
                if len(record) != width:
                    errors.add(path.name, start, "(row)", "malformed",
                               f"has {len(record)} fields; the header has {width}")
                    continue
                for values, position in zip(lists, positions, strict=True):
                    values.append(record[position] or None)
                starts.append(start)
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                field_name = _long_field(path, encoding, previous + 1, [name.strip() for name in names])
                errors.add(path.name, previous + 1, field_name, "too-long",
                           f"longer than {MAX_FIELD_CHARS:,} characters")
            else:
                errors.add(path.name, previous + 1, "(row)", "malformed", f"not valid CSV: {error}")
            return None, np.zeros(0, dtype=np.int64)
    return columns, np.array(starts, dtype=np.int64)


def check_text(table: Parsed, nul: bool = True) -> None:
    """Every field at most MAX_FIELD_CHARS long and, when `nul`, free of NUL characters."""
    frame = table.frame
    for column in frame.columns:
        series = frame[column]
        # Arrow-backed columns as they are, chunks and all: combining them would copy every column.
        values = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else large_strings(series)
        if len(values) == 0:
            continue
        if (pc.max(pc.binary_length(values)).as_py() or 0) > MAX_FIELD_CHARS:
            long = pc.fill_null(pc.greater(pc.utf8_length(values), MAX_FIELD_CHARS), False)
            for position in np.flatnonzero(long.to_numpy(zero_copy_only=False))[:21]:
                table.errors.add(table.file, table.lines[position], column, "too-long",
                                 f"longer than {MAX_FIELD_CHARS:,} characters")
        if nul:
            found = pc.fill_null(pc.match_substring(values, "\x00"), False).to_numpy(zero_copy_only=False)
            for position in np.flatnonzero(found)[:21]:
                table.errors.add(table.file, table.lines[position], column, "nul-byte", "holds a NUL character")


def _cleaned(table: Parsed, optional: Iterable[str], nul: bool = True) -> Parsed:
    """Trim every column (two threads: numpy and Arrow mostly work without the GIL), check the text, and add
    each optional column the file lacks (all missing)."""
    frame = table.frame
    with ThreadPoolExecutor(max_workers=2) as pool:
        cleaned = list(pool.map(trimmed, [frame[column] for column in frame.columns]))
    for column, values in zip(list(frame.columns), cleaned, strict=True):
        frame[column] = values
    check_text(table, nul=nul)
    for column in optional:
        if column not in frame:
            frame[column] = None
    return table


def read_csv(path: Path, required: Iterable[str], optional: Iterable[str]) -> Parsed:
    """Read a CSV's known columns as text (UTF-8 with or without BOM, else GB18030); unknown ones are not parsed."""
    errors = ErrorLog()
    required, optional = list(required), list(optional)
    names = _header(path, errors)
    if names is None:
        return _unreadable(path.name, errors)
    clean = [name.strip().lstrip("\ufeff") for name in names]
    for column in required:
        if column not in clean:
            errors.add(path.name, 1, column, "missing-column", "required column is missing from the header")
    if errors:
        return _unreadable(path.name, errors)
    known = set(required) | set(optional)
    wanted = [name for name, column in zip(names, clean, strict=True) if column in known]
    renames = {name: column for name, column in zip(names, clean, strict=True) if column in known}
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Lines are counted while pyarrow parses (it releases the GIL).
        counting = pool.submit(_line_count, path)
        try:
            # pyarrow's multithreaded reader takes clean UTF-8; anything it refuses takes the csv module.
            frame = pd.read_csv(path, engine="pyarrow", usecols=wanted, dtype=str, keep_default_na=False,
                                na_values=[""])
        except Exception:  # pyarrow refuses GBK, huge fields, ragged rows: the csv module says where
            frame = None
        line_count, nul = counting.result()
    if frame is not None and line_count == len(frame) + 1:
        # One record per line (the usual case): record i starts on line i + 2.
        frame = frame[wanted].rename(columns=renames)
        lines = np.arange(2, len(frame) + 2)
    else:
        # Cells spanning lines, blank lines, or what pyarrow refused: the csv module knows each record's line.
        frame = None
        encoding = _encoding(path, errors)
        if encoding is None:
            return _unreadable(path.name, errors)
        columns, lines = _parse_slowly(path, encoding, names, wanted, errors)
        if columns is None or errors:
            return _unreadable(path.name, errors)
        frame = pd.DataFrame({renames[name]: pd.Series(values, dtype="str") for name, values in columns.items()})
    return _cleaned(Parsed(path.name, frame, lines, errors), optional, nul=nul)


def _as_text(values: pd.Series) -> pd.Series:
    """A column of any dtype as the text a CSV would hold (missing stays missing)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "true", False: "false"}).astype("str")
    present = values.notna()
    text = pd.Series(None, index=values.index, dtype="str")
    text[present] = values[present].map(str).astype("str")
    return text


def csv_from_frame(file: str, frame: pd.DataFrame, required: Iterable[str], optional: Iterable[str]) -> Parsed:
    """An in-memory frame taken like the CSV it stands for: row i is reported as line i + 2."""
    errors = ErrorLog()
    optional = list(optional)
    names = [str(column).strip() for column in frame.columns]
    for column in required:
        if column not in names:
            errors.add(file, 1, column, "missing-column", "required column is missing from the header")
    if errors:
        return _unreadable(file, errors)
    known = set(required) | set(optional)
    text = pd.DataFrame({name: _as_text(frame[column]).reset_index(drop=True).replace("", None)
                         for name, column in zip(names, frame.columns, strict=True) if name in known})
    return _cleaned(Parsed(file, text, np.arange(2, len(frame) + 2)), optional)


# ---------------------------------------------------------------- JSON and GeoJSON


def read_json(path: Path, errors: ErrorLog) -> object | None:
    """Parse a JSON file (UTF-8, with or without BOM); None, with the error recorded, when it cannot be."""
    data = path.read_bytes()
    if not data.strip():
        errors.add(path.name, 1, "(file)", "empty-file", "file is empty")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        errors.add(path.name, data.count(b"\n", 0, error.start) + 1, "(file)", "bad-encoding",
                   f"not UTF-8 text: byte {data[error.start]:#04x} cannot be decoded")
        return None
    del data
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        errors.add(path.name, error.lineno, "(file)", "malformed",
                   f"not valid JSON: {error.msg} (line {error.lineno} column {error.colno})")
    except RecursionError:
        errors.add(path.name, 1, "(file)", "too-deep", "nested deeper than any valid input")
    return None


def scalar_value(file: str, line: int, field_name: str, value, errors: ErrorLog):
    """A JSON property's value when it is a usable scalar (string within the limit, number, boolean), else None."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_FIELD_CHARS:
            errors.add(file, line, field_name, "too-long", f"longer than {MAX_FIELD_CHARS:,} characters")
            return None
        if "\x00" in value:
            errors.add(file, line, field_name, "nul-byte", "holds a NUL character")
            return None
        return None if value == "" else value
    errors.add(file, line, field_name, "wrong-type", f"must be a string or number, not a JSON {type(value).__name__}")
    return None


def read_features(path: Path, errors: ErrorLog) -> pd.DataFrame | None:
    """A GeoJSON FeatureCollection as a frame of its properties plus a shapely `geometry` (None if unreadable).

    A feature's "line" is its number (first feature = 1).
    """
    document = read_json(path, errors)
    if document is None:
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        errors.add(path.name, 0, "type", "wrong-type", "must be a GeoJSON FeatureCollection")
        return None
    features = document.get("features") or []
    if not isinstance(features, list):
        errors.add(path.name, 0, "features", "wrong-type", "must be a list of features")
        return None
    records = []
    geometries = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            errors.add(path.name, number, "(feature)", "wrong-type", "must be a GeoJSON Feature object")
            feature = {}
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            errors.add(path.name, number, "properties", "wrong-type", "must be an object")
            properties = {}
        records.append({str(key): scalar_value(path.name, number, str(key), value, errors)
                        for key, value in properties.items()})
        geometries.append(_geometry(path.name, number, feature.get("geometry"), errors))
    frame = pd.DataFrame.from_records(records, index=pd.RangeIndex(len(records)))
    frame["geometry"] = pd.Series(geometries, dtype=object)
    return frame


def _geometry(file: str, number: int, geometry, errors: ErrorLog):
    """A feature's geometry as shapely, None (reported) when unreadable."""
    try:
        return shapely.geometry.shape(geometry)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError,
            shapely.errors.GEOSException) as error:
        reason = "missing" if geometry is None else f"unreadable geometry ({type(error).__name__})"
        errors.add(file, number, "geometry", "bad-geometry", reason)
        return None


