"""Small SQL building blocks shared by the query modules: running a statement, counting, masking."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, Integer, Select, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access.city_time import CITY_UTC_OFFSET_SECONDS, DAY_SECONDS


def read_frame(engine: Engine, statement: Select) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame (PostgreSQL's Decimal sums turned into numbers)."""
    with engine.connect() as connection:
        result = connection.execute(statement)
        # Plain tuples: pandas reads SQLAlchemy Row objects one by one, about twenty times slower.
        frame = pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = pd.to_numeric(frame[column].map(lambda v: None if v is None else float(v)))
    return frame


def read_columns(engine: Engine, statement: Select, dtypes: dict[str, str | type]) -> pd.DataFrame:
    """Run a SELECT of plain numbers and text and return its rows as a DataFrame with these column types
    ({label: dtype}, in the statement's order), taking the driver's rows as they come: no SQLAlchemy row
    objects, no per-value type processing (for reads of hundreds of thousands of rows, several times faster
    than read_frame). A whole-number column may come back as Decimal from PostgreSQL's SUM: numpy converts it."""
    with engine.connect() as connection:
        result = connection.execute(statement)
        names = list(result.keys())
        rows = result.cursor.fetchall()
    if names != list(dtypes):
        raise ValueError(f"read_columns: the statement returns {names}, not {list(dtypes)}")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({name: np.array(values, dtype=object).astype(dtypes[name])
                         if dtypes[name] is not object else np.array(values, dtype=object)
                         for name, values in zip(names, columns, strict=True)})


def count_if(condition: ColumnElement) -> ColumnElement:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): a portable conditional count."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def local_day(column: ColumnElement) -> ColumnElement:
    """Local (Asia/Shanghai) day number of an epoch-seconds column: integer maths, same on both backends."""
    return (column + CITY_UTC_OFFSET_SECONDS) // DAY_SECONDS


class month_first_day(FunctionElement):
    """The day number (days since 1970-01-01) of the first day of the calendar month holding a day number."""

    type = Integer()
    inherit_cache = True


@compiles(month_first_day, "sqlite")
def _month_first_day_sqlite(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"CAST(julianday(date(({day}) * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"


@compiles(month_first_day, "postgresql")
def _month_first_day_postgresql(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(date_trunc('month', DATE '1970-01-01' + CAST(({day}) AS INTEGER)) AS DATE) - DATE '1970-01-01')"


def local_month(column: ColumnElement) -> ColumnElement:
    """The first day number of the local calendar month of an epoch-seconds column (the monthly rollups' key)."""
    return month_first_day(local_day(column))


def local_hour(column: ColumnElement) -> ColumnElement:
    """Local hour of day (0–23) of an epoch-seconds column."""
    return ((column + CITY_UTC_OFFSET_SECONDS) % DAY_SECONDS) // 3600


def masked_name(column: ColumnElement) -> ColumnElement:
    """Name masked in SQL so the full name never leaves the database: 张三丰 → 张*."""
    return case((column.is_(None), None), else_=func.substr(column, 1, 1).concat(literal("*")))


def masked_phone(column: ColumnElement) -> ColumnElement:
    """Phone masked in SQL: 13812345678 → 138****5678."""
    return case(
        (column.is_(None), None),
        (func.length(column) < 8, literal("****")),
        else_=func.substr(column, 1, 3).concat(literal("****")).concat(
            func.substr(column, func.length(column) - 3, 4)),
    )
