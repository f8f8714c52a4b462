"""A frame as Arrow record batches typed for a table's columns: how both bulk writers hand rows to compiled code.

SQLite's stage files (data_access.stage) take the batches through the ADBC SQLite driver, PostgreSQL's COPY
takes them encoded in its binary format by pgpq (`postgresql_copy_chunks`). Neither passes a value through
Python one at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import REAL, BigInteger, Boolean, Column, Date, Float, Integer, LargeBinary, SmallInteger, String, Table

TypeOf = Callable[[Column], pa.DataType]


def sqlite_type(column: Column) -> pa.DataType:
    """The Arrow type a column is staged as for SQLite: the storage class sqlite3's executemany would give it."""
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()  # stored as 0/1 integers, as sqlite3 stores Python booleans
    if isinstance(kind, Integer):  # BigInteger too
        return pa.int64()
    if isinstance(kind, Float):
        return pa.float64()
    if isinstance(kind, LargeBinary):
        return pa.binary()
    return pa.string()  # String, Text, and Date (the loader holds dates as ISO text)


def postgresql_type(column: Column) -> pa.DataType:
    """The Arrow type whose binary COPY encoding is exactly the PostgreSQL column's type (COPY does not cast)."""
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, BigInteger):
        return pa.int64()
    if isinstance(kind, SmallInteger):
        return pa.int16()
    if isinstance(kind, Integer):
        return pa.int32()
    if isinstance(kind, REAL) or (isinstance(kind, Float) and kind.precision is not None and kind.precision <= 24):
        return pa.float32()
    if isinstance(kind, Float):
        return pa.float64()  # a Float without precision is double precision on PostgreSQL
    if isinstance(kind, LargeBinary):
        return pa.binary()
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, String):  # Text too; varchar and text share one binary form
        return pa.string()
    raise TypeError(f"{column.table.name}.{column.name}: no binary COPY encoding for {kind!r}")


def table_schema(table: Table, frame: pd.DataFrame, type_of: TypeOf) -> pa.Schema:
    """The Arrow schema of the frame's columns in the table's column order."""
    return pa.schema([pa.field(column.name, type_of(column)) for column in table.columns
                      if column.name in frame.columns])


def _array(series: pd.Series, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """One column as an Arrow array of the given type, missing values as nulls."""
    if pa.types.is_date32(kind) and not pd.api.types.is_datetime64_any_dtype(series.dtype):
        # ISO dates held as text: Arrow parses them (and rejects anything else).
        return pa.array(series, type=pa.string(), from_pandas=True).cast(kind)
    return pa.array(series, type=kind, from_pandas=True)


def record_batches(schema: pa.Schema, frame: pd.DataFrame, rows: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Yield (rows done, batch): the frame's columns converted `rows` rows at a time."""
    for start in range(0, len(frame), rows):
        chunk = frame.iloc[start:start + rows]
        # Arrow-backed pandas columns come as chunked arrays: a table takes both kinds.
        arrays = [_array(chunk[field.name], field.type) for field in schema]
        for batch in pa.Table.from_arrays(arrays, schema=schema).to_batches():
            yield min(start + rows, len(frame)), batch


def postgresql_copy_chunks(table: Table, frame: pd.DataFrame, rows: int) -> Iterator[tuple[int, bytes]]:
    """Yield (rows done, bytes): the frame in the binary format of `COPY … FROM STDIN WITH (FORMAT binary)`.

    pgpq encodes each batch in compiled code; PostgreSQL then parses no text, which made the COPY markedly
    faster than CSV written by Arrow (docs/benchmarks.md).
    """
    schema = table_schema(table, frame, postgresql_type)
    encoder = ArrowToPostgresBinaryEncoder(schema)
    yield 0, encoder.write_header()
    for done, batch in record_batches(schema, frame, rows):
        yield done, encoder.write_batch(batch)
    yield len(frame), encoder.finish()


@functools.cache
def _blanks() -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """The UTF-8 encodings of every character str.strip and Arrow's utf8_trim_whitespace remove.

    As (first bytes, last bytes) lookup tables of 256 booleans and {length: the whole encodings as integers}.
    """
    first, last = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
    codes: dict[int, list[int]] = {}
    for encoded in (chr(point).encode() for point in range(0x110000) if chr(point).isspace()):
        first[encoded[0]] = last[encoded[-1]] = True
        codes.setdefault(len(encoded), []).append(int.from_bytes(encoded, "big"))
    return first, last, {size: np.array(values, dtype=np.uint32) for size, values in codes.items()}


def blank_edged(array: pa.Array) -> np.ndarray:
    """Which values of a string array are empty or start or end with whitespace (missing ones: False).

    Read off the array's bytes with numpy, a few gathers per value, without copying the text: almost no
    value needs trimming, and a trimmed copy of every column is gigabytes of new memory at 5 M work orders.
    """
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        raise TypeError(f"blank_edged reads string or large_string arrays, not {array.type}")
    offsets_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _validity, offsets, data = array.buffers()[:3]
    offsets = np.frombuffer(offsets, dtype=offsets_type)[array.offset:array.offset + len(array) + 1]
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    lengths = ends - starts
    edged = lengths == 0
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    if len(data):
        first, last, codes = _blanks()
        top = len(data) - 1
        # A first or last byte that some blank starts or ends with; then the whole first or last character.
        maybe = np.flatnonzero(~edged & (first[data[np.minimum(starts, top)]] | last[data[np.maximum(ends - 1, 0)]]))
        begin, end, size = starts[maybe], ends[maybe], lengths[maybe]
        head = np.zeros(len(maybe), dtype=np.uint32)
        tail = np.zeros(len(maybe), dtype=np.uint32)
        found = np.zeros(len(maybe), dtype=bool)
        for width in range(1, max(codes) + 1):
            head = (head << 8) | data[np.minimum(begin + width - 1, top)]
            tail |= data[np.maximum(end - width, 0)].astype(np.uint32) << np.uint32(8 * (width - 1))
            if width in codes:
                found |= (size >= width) & (np.isin(head, codes[width]) | np.isin(tail, codes[width]))
        edged[maybe[found]] = True
    if array.null_count:
        edged &= array.is_valid().to_numpy(zero_copy_only=False)
    return edged
