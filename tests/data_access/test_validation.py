"""Column checks: timestamps in every accepted form, membership tests on any kind of column."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from data_access.ingest.checks import TableCheck, is_in, parse_timestamps
from data_access.ingest.errors import ErrorLog

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_timestamps_in_every_form_become_utc_epoch_seconds(dtype):
    raw = pd.Series(["2026-03-01 08:30:00", " 2026-03-01 08:30:05 ", "2026-03-01T08:30:00", "2026-03-01T00:30:00Z",
                     "2026-03-01T01:30:00+01:00", "2026-02-30 00:00:00", "yesterday", None, "2024-02-29 23:59:59"],
                    dtype=dtype)
    epoch, bad = parse_timestamps(raw)
    local = datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI).timestamp()
    expected = [local, local + 5, local, local, local, None, None, None,
                datetime(2024, 2, 29, 23, 59, 59, tzinfo=SHANGHAI).timestamp()]
    assert [None if pd.isna(value) else int(value) for value in epoch] == [
        None if value is None else int(value) for value in expected]
    assert bad.tolist() == [False, False, False, False, False, True, True, False, False]
    assert str(epoch.dtype) == "Int64"


@pytest.mark.parametrize("dtype", [object, "str"])
def test_a_column_of_plain_local_timestamps_parses_like_fromisoformat_and_refuses_impossible_ones(dtype):
    rng = np.random.default_rng(3)
    moments = pd.Timestamp("2023-12-25") + pd.to_timedelta(rng.integers(0, 4 * 366 * 86400, 2000), unit="s")
    plain = [moment.strftime("%Y-%m-%d %H:%M:%S") for moment in moments]
    plain[::7] = [value.replace(" ", "T") for value in plain[::7]]
    plain[5] = None
    plain.append("2024-02-29 23:59:59")
    epoch, bad = parse_timestamps(pd.Series(plain, dtype=dtype))
    want = [None if value is None else int(datetime.fromisoformat(value).replace(tzinfo=SHANGHAI).timestamp())
            for value in plain]
    assert [None if pd.isna(value) else int(value) for value in epoch] == want
    assert not bad.any()
    for impossible in ("2026-02-29 00:00:00", "2026-04-31 10:00:00", "2026-01-01 24:00:00", "2026-01-01 23:59:60",
                       "2026-13-01 00:00:00", "2026-01-01 09:30:0x"):
        epoch, bad = parse_timestamps(pd.Series([*plain, impossible], dtype=dtype))
        assert bad.tolist() == [False] * len(plain) + [True], impossible
        assert pd.isna(epoch.iloc[-1]) and [None if pd.isna(v) else int(v) for v in epoch.iloc[:-1]] == want


def test_is_in_matches_strings_of_any_storage_and_ignores_missing():
    values = pd.Series(["a", None, "c", "d"], dtype="str")
    assert is_in(values, pd.Series(["c", "a"], dtype=object)).tolist() == [True, False, True, False]
    assert is_in(values.astype(object), {"d"}).tolist() == [False, False, False, True]
    assert is_in(values, pd.Index(["x"])).tolist() == [False] * 4
    assert is_in(values, []).tolist() == [False] * 4
    assert is_in(pd.Series([1, 2], dtype="Int64"), ["2"]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [object, "str"])
def test_numbers_parse_and_name_the_line_of_each_bad_value(dtype):
    frame = pd.DataFrame({"lon": pd.Series(["114.3", "abc", None, "1e2", "200", "nan"], dtype=dtype)})
    errors = ErrorLog()
    parsed = TableCheck("stations.csv", frame, np.arange(2, 8), errors).number("lon", -180, 180)
    assert parsed.iloc[0] == 114.3 and parsed.iloc[3] == 100.0 and parsed.iloc[[1, 2, 5]].isna().all()
    assert [(error.line, error.field, error.code) for error in errors.errors] == [
        (3, "lon", "bad-number"), (7, "lon", "bad-number"), (6, "lon", "out-of-range")]
