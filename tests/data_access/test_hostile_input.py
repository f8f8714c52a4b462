"""Hostile and broken input: a clean, coded error within bounded memory, never a traceback.

Each load runs in a subprocess that reports its errors and its own peak resident memory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data_access.ingest import CODES, MAX_FIELD_CHARS
from tests import expected

# The most a load of a hostile file may take, imports included.
MEMORY_LIMIT_MB = 1024
CHILD = """
import json, resource, sys
from data_access.db import create_db_engine
from data_access.ingest import LoadRejected, load_directory
engine = create_db_engine(f"sqlite:///{sys.argv[2]}")
try:
    result = {"written": load_directory(sys.argv[1], engine)}
except LoadRejected as rejected:
    result = {"errors": [[e.file, e.line, e.field, e.code, e.reason] for e in rejected.errors]}
result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def load_in_child(directory: Path, tmp_path: Path) -> list[tuple]:
    """Load the directory in a fresh process; return its errors, asserting memory stayed bounded."""
    database = tmp_path / "hostile.sqlite"
    done = subprocess.run([sys.executable, "-c", CHILD, str(directory), str(database)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["max_rss_mb"] < MEMORY_LIMIT_MB, result["max_rss_mb"]
    assert "errors" in result, "the hostile input was loaded"
    assert not database.exists(), "a rejected load created the database file"
    return [tuple(error) for error in result["errors"]]


WORK_ORDER_HEADER = ("order_no,channel,appeal_type,category_l1,category_l2,title,description,lon,lat,status,"
                     "received_at,due_at")
WORK_ORDER_ROW = ("WO1,hotline_12345,help,transport,公交,站牌,{description},114.3,30.6,received,"
                  "2026-06-01 09:00:00,2026-06-05 09:00:00")


@pytest.mark.parametrize("file", ["grid_workers.csv", "work_orders.csv"])
def test_millions_of_columns_are_refused_from_the_header(tmp_path, file):
    directory = tmp_path / "d"
    directory.mkdir()
    columns = 3_000_000
    with open(directory / file, "wb") as handle:
        handle.write(b"worker_id,name,grid_code,role,on_duty," + b"x," * columns + b"y\n")
        handle.write(b"W1,a,b,c,d," + b"1," * columns + b"2\n")
    assert (directory / file).stat().st_size < 16 * 1024 * 1024
    errors = load_in_child(directory, tmp_path)
    assert [(e[0], e[1], e[2], e[3]) for e in errors] == [(file, 1, "(header)", "too-long")]


def test_unknown_columns_are_not_parsed_but_a_wide_file_still_loads(city_dir, tmp_path):
    # Just under the header cap: thousands of unknown columns, each row a few values wide in each.
    directory = tmp_path / "d"
    directory.mkdir()
    for name in ("districts.geojson", "streets.geojson", "communities.geojson", "grids.geojson"):
        (directory / name).write_bytes((city_dir / name).read_bytes())
    workers = expected.csv(city_dir, "grid_workers.csv").head(200)
    extra = pd.DataFrame({f"x{index}": "v" for index in range(5_000)}, index=workers.index)
    pd.concat([workers, extra], axis=1).to_csv(directory / "grid_workers.csv", index=False)
    database = tmp_path / "wide.sqlite"
    done = subprocess.run([sys.executable, "-c", CHILD, str(directory), str(database)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result.get("written", {}).get("grid_workers") == 200, result


def test_a_200_mb_field_is_refused_by_its_line_and_field(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    with open(directory / "work_orders.csv", "wb") as handle:
        handle.write(WORK_ORDER_HEADER.encode() + b"\n")
        handle.write(WORK_ORDER_ROW.replace("{description}", "ok").encode() + b"\n")
        prefix, suffix = WORK_ORDER_ROW.replace("WO1", "WO2").split("{description}")
        handle.write(prefix.encode())
        for _ in range(200):
            handle.write(b"x" * 1_000_000)
        handle.write(suffix.encode() + b"\n")
    errors = load_in_child(directory, tmp_path)
    assert ("work_orders.csv", 3, "description", "too-long") in [e[:4] for e in errors]


def test_a_field_over_the_documented_maximum_is_refused(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    rows = [WORK_ORDER_HEADER, WORK_ORDER_ROW.format(description="x" * MAX_FIELD_CHARS),
            WORK_ORDER_ROW.replace("WO1", "WO2").format(description="长" * (MAX_FIELD_CHARS + 1))]
    (directory / "work_orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    errors = load_in_child(directory, tmp_path)
    too_long = [e[:4] for e in errors if e[3] == "too-long"]
    assert too_long == [("work_orders.csv", 3, "description", "too-long")]
    assert not any("长长" in e[4] for e in errors), "the description was echoed"


@pytest.mark.parametrize(("name", "text", "field", "code"), [
    ("grids.geojson", '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "(file)", "too-deep"),
    ("grids.geojson", '{"type": "FeatureCollection", "features": "every grid"}', "features", "wrong-type"),
    ("streets.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1, 2], '
                        '"geometry": {"type": "Point", "coordinates": [114, 30]}}]}', "properties", "wrong-type"),
    ("water.geojson", '{"type": "FeatureCollection", "features": [7]}', "(feature)", "wrong-type"),
    ("city.json", '["Wuhan"]', "(file)", "wrong-type"),
    ("city.json", '{"name_zh": {"a": 1}}', "name_zh", "wrong-type"),
    ("work_orders.open311.json", '{"requests": []}', "(file)", "wrong-type"),
    ("work_orders.open311.json", '[{"service_request_id": ["A"]}]', "service_request_id", "wrong-type"),
    ("districts.geojson", '{"type": "FeatureCollection", "features": [', "(file)", "malformed"),
    ("districts.geojson", "", "(file)", "empty-file"),
], ids=["deep", "features-string", "properties-list", "feature-number", "city-list", "city-name-object",
        "open311-object", "open311-id-list", "truncated", "empty"])
def test_json_of_the_wrong_shape_gets_a_coded_error(tmp_path, name, text, field, code):
    directory = tmp_path / "d"
    directory.mkdir()
    (directory / name).write_text(text, encoding="utf-8")
    errors = load_in_child(directory, tmp_path)
    assert (name, field, code) in [(e[0], e[2], e[3]) for e in errors], errors


def test_a_file_mixing_utf8_and_gbk_names_the_gbk_line_once(city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    lines = (city_dir / "members.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert not lines[6].isascii()
    data = b"".join(line.encode("gb18030") if number == 7 else line.encode("utf-8")
                    for number, line in enumerate(lines, start=1))
    (directory / "members.csv").write_bytes(data)
    errors = load_in_child(directory, tmp_path)
    assert [e[:4] for e in errors] == [("members.csv", 7, "(file)", "bad-encoding")]


def test_utf8_lines_in_a_gbk_file_are_named_too(city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    lines = (city_dir / "members.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    data = b"".join(line.encode("utf-8") if number == 9 else line.encode("gb18030")
                    for number, line in enumerate(lines, start=1))
    (directory / "members.csv").write_bytes(data)
    errors = load_in_child(directory, tmp_path)
    assert [e[:4] for e in errors] == [("members.csv", 9, "(file)", "bad-encoding")]


def test_nul_bytes_are_refused_with_their_line_and_field(city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    stations = expected.csv(city_dir, "stations.csv")
    stations.loc[2, "name_zh"] = "站\x00点"
    stations.loc[0, "description_unknown"] = "\x00"  # an unknown column is never read, so never refused
    stations.to_csv(directory / "stations.csv", index=False)
    errors = load_in_child(directory, tmp_path)
    assert [e[:4] for e in errors if e[3] == "nul-byte"] == [("stations.csv", 4, "name_zh", "nul-byte")]


def test_personal_values_are_never_echoed(city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    members = expected.csv(city_dir, "members.csv")
    members.loc[1, "phone"] = "1390000ABCD"
    members.to_csv(directory / "members.csv", index=False)
    workers = expected.csv(city_dir, "grid_workers.csv")
    workers.loc[3, "phone"] = "88-SECRET-77"
    workers.to_csv(directory / "grid_workers.csv", index=False)
    orders = expected.csv(city_dir, "work_orders.csv").head(20)
    orders.loc[4, "caller_phone"] = "555-PRIVATE"
    orders.to_csv(directory / "work_orders.csv", index=False)
    errors = load_in_child(directory, tmp_path)
    found = {e[:4] for e in errors}
    assert {("members.csv", 3, "phone", "bad-pattern"), ("grid_workers.csv", 5, "phone", "bad-pattern"),
            ("work_orders.csv", 6, "caller_phone", "bad-pattern")} <= found
    for secret in ("1390000ABCD", "SECRET", "PRIVATE"):
        assert not any(secret in e[4] for e in errors), secret


def test_a_duplicate_names_the_physical_line_of_the_first(city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    orders = expected.csv(city_dir, "work_orders.csv").head(30)
    orders.loc[1, "description"] = "第一行\n第二行\n第三行"  # record 2 spans lines 3–5
    orders.loc[3, "description"] = "一\n二"  # record 4 (the first of the pair) spans lines 7–8
    orders.loc[6, "order_no"] = orders.loc[3, "order_no"]  # record 7 starts on line 11
    orders.to_csv(directory / "work_orders.csv", index=False)
    errors = load_in_child(directory, tmp_path)
    duplicates = [e for e in errors if e[3] == "duplicate"]
    assert [e[:4] for e in duplicates] == [("work_orders.csv", 11, "order_no", "duplicate")]
    assert re.search(r"first on line 7\b", duplicates[0][4]), duplicates[0][4]


def test_every_code_is_documented_and_every_documented_code_exists():
    text = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text(encoding="utf-8")
    section = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)) == set(CODES)
    assert f"{MAX_FIELD_CHARS:,} characters" in text
