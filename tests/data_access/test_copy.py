"""PostgreSQL's binary COPY (pgpq-encoded Arrow batches) stores exactly what row-by-row inserts store."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    Column,
    Date,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)

from data_access import schema
from data_access.arrow import postgresql_type
from data_access.ingest import load_directory, writer
from tests.conftest import drop_engine, make_empty_engine

TABLES = (*schema.TABLES_IN_LOAD_ORDER, *schema.ROLLUP_TABLES)
# Tables the test city fills for certain: the comparison below must not pass on empty tables.
FILLED = ("areas", "stations", "work_orders", "members", "member_activities", "grid_workers", "work_order_days")

odd = Table(
    "copy_odd_values",
    MetaData(),
    Column("key", String(16), primary_key=True),
    Column("label", Text),
    Column("code", String(8)),
    Column("tiny", SmallInteger),
    Column("small", Integer),
    Column("big", BigInteger),
    Column("ratio", Float),
    Column("single", REAL),
    Column("flag", Boolean),
    Column("day", Date),
    Column("blob", LargeBinary),
)

ODD_ROWS = pd.DataFrame({
    "key": ["a", "b", "c", "d"],
    "label": ["", 'quote " comma , tab \t', "new\nline \\ backslash", None],
    "code": ["街道", "", None, "x" * 8],
    "tiny": pd.array([2**15 - 1, -(2**15), None, 7], dtype="Int64"),
    "small": pd.array([2**31 - 1, -(2**31), None, 0], dtype="Int64"),
    "big": pd.array([2**63 - 1, -(2**63), None, 1_700_000_000_000], dtype="Int64"),
    "ratio": [0.1, -1e300, math.nan, 5e-324],
    "single": [0.5, -3.25, math.nan, 1e30],
    "flag": pd.array([True, False, None, True], dtype="boolean"),
    "day": ["2026-02-28", "1970-01-01", None, "2000-02-29"],
    "blob": [b"\x00\x01\xff", b"", None, b"\\x41"],
})


@pytest.fixture
def postgresql() -> Engine:
    engine = make_empty_engine("postgresql", None)
    yield engine
    drop_engine(engine)


def stored_text(engine: Engine, table: Table) -> list[str]:
    """The table's rows as PostgreSQL writes them out (a row cast to text: exact floats, NULL as nothing)."""
    key = ", ".join(column.name for column in table.primary_key.columns)
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"SELECT CAST(t AS text) FROM {table.name} t ORDER BY {key}").scalars().all()


def insert_row_by_row(connection, table: Table, frame: pd.DataFrame, upsert: bool, _progress) -> None:
    """The independent path: SQLAlchemy binds each row's Python values, the server casts them."""
    assert not upsert, "the reference path only fills empty tables"
    columns = {name: writer._column_values(frame[name]) for name in frame.columns}
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    if rows:
        connection.execute(table.insert(), rows)


def copied_text(engine: Engine, frame: pd.DataFrame, upsert: bool = False) -> list[str]:
    """COPY the frame into the odd table (made if missing, emptied first unless upserting); return its rows."""
    with engine.begin() as connection:
        odd.create(connection, checkfirst=True)
        if not upsert:
            connection.execute(odd.delete())
        writer._copy_postgresql(connection, odd, frame, upsert, lambda _message: None)
    return stored_text(engine, odd)


def test_odd_values_survive_binary_copy_and_its_upsert(postgresql):
    copied = copied_text(postgresql, ODD_ROWS)
    with postgresql.begin() as connection:
        connection.execute(odd.delete())
        insert_row_by_row(connection, odd, ODD_ROWS, False, None)
    assert copied == stored_text(postgresql, odd)
    assert copied[0].startswith('(a,"",')  # an empty string stays empty, not NULL
    # Bytes that look like COPY's hex escape are stored as the bytes they are.
    assert copied[3] == '(d,,xxxxxxxx,7,0,1700000000000,5e-324,1e+30,t,2000-02-29,"\\\\x5c783431")'
    changed = ODD_ROWS.iloc[[1, 3]].assign(label=["changed", "again"], day=["2026-11-25", None])
    after = copied_text(postgresql, changed, upsert=True)
    assert after[0] == copied[0] and after[2] == copied[2]
    assert after[1].startswith("(b,changed,") and ",2026-11-25," in after[1]
    assert after[3] == '(d,again,xxxxxxxx,7,0,1700000000000,5e-324,1e+30,t,,"\\\\x5c783431")'


def test_a_frame_in_another_column_order_still_lands_in_the_right_columns(postgresql):
    assert copied_text(postgresql, ODD_ROWS[ODD_ROWS.columns[::-1]]) == copied_text(postgresql, ODD_ROWS)


def test_a_value_too_long_for_its_column_is_refused_by_the_server(postgresql):
    with postgresql.begin() as connection:
        odd.create(connection)
    with pytest.raises(Exception, match="too long"), postgresql.begin() as connection:
        writer._copy_postgresql(connection, odd, ODD_ROWS.assign(code=["123456789"] * 4), False,
                                 lambda _message: None)


def test_a_column_type_without_a_binary_encoding_is_named():
    column = Table("t", MetaData(), Column("amount", Numeric(10, 2))).c.amount
    with pytest.raises(TypeError, match=r"t\.amount"):
        postgresql_type(column)


def test_a_load_stores_what_row_by_row_inserts_store(city_dir, monkeypatch):
    engines = []
    try:
        copied = make_empty_engine("postgresql", None)
        engines.append(copied)
        row_by_row = make_empty_engine("postgresql", None)
        engines.append(row_by_row)
        load_directory(city_dir, copied)
        monkeypatch.setattr(writer, "_copy_postgresql", insert_row_by_row)
        load_directory(city_dir, row_by_row)
        for table in TABLES:
            values = stored_text(copied, table)
            assert values == stored_text(row_by_row, table), table.name
            assert values or table.name not in FILLED, table.name
    finally:
        for engine in engines:
            drop_engine(engine)
