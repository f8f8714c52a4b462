"""The loader: every kind of bad input is rejected with file, line and field, and leaves the database as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from data_access import geo, schema
from data_access.alerts import refresh_current_day
from data_access.ingest import LoadRejected, load_directory, load_frames
from data_access.stats import read_row_counts
from tests import expected
from tests.conftest import BACKENDS, drop_engine, make_empty_engine


def fingerprint(engine: Engine, with_bytes: bool = True) -> str:
    """A digest of every row of every table (and, for SQLite with_bytes, of the database files' bytes)."""
    digest = hashlib.sha256()
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for table in (*schema.TABLES_IN_LOAD_ORDER, *schema.ROLLUP_TABLES):
            if table.name not in existing:
                digest.update(f"{table.name}:absent".encode())
                continue
            key = list(table.primary_key.columns)
            for row in connection.execute(select(table).order_by(*key)):
                digest.update(repr(tuple(row)).encode())
    if with_bytes and engine.dialect.name == "sqlite":
        # The database file itself; the WAL beside it only ever adds frames that readers ignore until commit.
        digest.update(Path(engine.url.database).read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module", params=BACKENDS)
def base_engine(request, city_dir, tmp_path_factory) -> Engine:
    """The whole test city loaded once; rejected loads below must leave it untouched."""
    engine = make_empty_engine(request.param, tmp_path_factory.mktemp("loader"))
    load_directory(city_dir, engine)
    if engine.dialect.name == "sqlite":
        # Move everything committed into the database file, so its bytes are the state to keep.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    yield engine
    drop_engine(engine)


def copy_files(city_dir: Path, target: Path, *names: str) -> Path:
    """Copy some input files into a new load directory."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(city_dir / name, target / name)
    return target


def rewrite_csv(path: Path, change) -> None:
    """Read a CSV as strings, apply `change(frame)` in place, write it back."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    change(frame)
    frame.to_csv(path, index=False)


def rejected(directory: Path, engine: Engine) -> list:
    """Load, expect rejection, and check the database did not change; return the errors."""
    before = fingerprint(engine)
    with pytest.raises(LoadRejected) as caught:
        load_directory(directory, engine)
    assert fingerprint(engine) == before, "a rejected load changed the database"
    return caught.value.errors


def has_error(errors, file: str, line: int, field: str, code: str) -> bool:
    """True when one error names this file, line and field with this code."""
    return any(e.file == file and e.line == line and e.field == field and e.code == code for e in errors)


# ---------------------------------------------------------------- loading good data


def test_counts_match_the_files(loaded_engine, city_dir):
    counts = read_row_counts(loaded_engine)
    assert counts["work_orders"] == len(expected.work_orders(city_dir))
    assert counts["stations"] == len(expected.csv(city_dir, "stations.csv"))
    assert counts["members"] == len(expected.csv(city_dir, "members.csv"))
    assert counts["member_activities"] == len(expected.csv(city_dir, "member_activities.csv"))
    assert counts["grid_workers"] == len(expected.csv(city_dir, "grid_workers.csv"))
    assert counts["areas"] == sum(len(expected.areas(city_dir, level))
                                  for level in ("district", "street", "community", "grid"))


def test_every_order_gets_the_grid_geopandas_finds(loaded_engine, city_dir):
    orders = expected.work_orders(city_dir)
    with loaded_engine.connect() as connection:
        stored = dict(connection.execute(select(schema.work_orders.c.order_no, schema.work_orders.c.grid_code)).all())
    assert orders["grid_code"].notna().all()
    assert {k: stored[k] for k in orders["order_no"]} == dict(zip(orders["order_no"], orders["grid_code"],
                                                                  strict=True))


def test_loading_twice_changes_nothing(base_engine, city_dir):
    # Rows, not bytes: SQLite may lay identical rows out on new pages.
    before = fingerprint(base_engine, with_bytes=False)
    load_directory(city_dir, base_engine)
    assert fingerprint(base_engine, with_bytes=False) == before


def test_gbk_and_bom_files_load_like_utf8(base_engine, city_dir, tmp_path):
    before = fingerprint(base_engine, with_bytes=False)
    gbk = copy_files(city_dir, tmp_path / "gbk", "stations.csv")
    text = (gbk / "stations.csv").read_text(encoding="utf-8")
    (gbk / "stations.csv").write_bytes(text.encode("gb18030"))
    load_directory(gbk, base_engine)
    bom = copy_files(city_dir, tmp_path / "bom", "members.csv")
    (bom / "members.csv").write_bytes(b"\xef\xbb\xbf" + (bom / "members.csv").read_bytes())
    load_directory(bom, base_engine)
    assert fingerprint(base_engine, with_bytes=False) == before


def test_gcj02_points_are_converted_and_the_source_kept(empty_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "gcj", "districts.geojson", "streets.geojson",
                           "communities.geojson", "grids.geojson", "stations.csv")
    original = pd.read_csv(directory / "stations.csv", dtype=str)

    def to_gcj(frame):
        lon, lat = geo.wgs84_to_gcj02(frame["lon"].astype(float), frame["lat"].astype(float))
        frame["lon"], frame["lat"], frame["coord_system"] = lon, lat, "GCJ02"

    rewrite_csv(directory / "stations.csv", to_gcj)
    load_directory(directory, empty_engine)
    with empty_engine.connect() as connection:
        rows = pd.DataFrame(connection.execute(select(schema.stations.c.station_id, schema.stations.c.lon,
                                                      schema.stations.c.lat,
                                                      schema.stations.c.source_coord_system)).all())
    merged = rows.merge(original, on="station_id", suffixes=("", "_wgs"))
    assert (merged["source_coord_system"] == "GCJ02").all()
    assert (merged["lon"] - merged["lon_wgs"].astype(float)).abs().max() < 1e-6
    assert (merged["lat"] - merged["lat_wgs"].astype(float)).abs().max() < 1e-6


def test_open311_requests_map_onto_work_orders(base_engine, city_dir, tmp_path):
    orders = expected.csv(city_dir, "work_orders.csv").head(3)
    requests = [
        {"service_request_id": f"OPEN311-{index}", "status": status, "service_code": "transport",
         "service_name": "公交站牌损坏", "description": "站牌倾斜 <b>危险</b>", "agency_responsible": "交通运输局",
         "requested_datetime": "2026-06-01T09:00:00+08:00", "updated_datetime": "2026-06-02T10:00:00+08:00",
         "lat": float(row["lat"]), "long": float(row["lon"])}
        for index, (status, (_, row)) in enumerate(zip(["open", "closed", "open"], orders.iterrows(), strict=True))
    ]
    directory = tmp_path / "open311"
    directory.mkdir()
    (directory / "work_orders.open311.json").write_text(json.dumps(requests, ensure_ascii=False), encoding="utf-8")
    load_directory(directory, base_engine)
    table = schema.work_orders
    with base_engine.connect() as connection:
        rows = connection.execute(select(table.c.order_no, table.c.status, table.c.category_l1,
                                         table.c.received_at, table.c.due_at, table.c.closed_at,
                                         table.c.description)
                                  .where(table.c.order_no.like("OPEN311-%")).order_by(table.c.order_no)).all()
        connection.rollback()
    received = int(pd.Timestamp("2026-06-01T01:00:00Z").timestamp())
    assert [row.status for row in rows] == ["received", "closed", "received"]
    assert {row.category_l1 for row in rows} == {"transport"}
    assert all(row.received_at == received and row.due_at == received + 5 * 86400 for row in rows)
    assert rows[1].closed_at == received + 86400 + 3600
    assert rows[0].description == "站牌倾斜 <b>危险</b>"
    with base_engine.begin() as connection:
        connection.execute(table.delete().where(table.c.order_no.like("OPEN311-%")))


def test_bad_open311_requests_are_named_by_their_open311_fields(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "open311", "work_orders.csv")
    orders = expected.csv(city_dir, "work_orders.csv")
    lon, lat = float(orders.loc[0, "lon"]), float(orders.loc[0, "lat"])
    good = {"service_request_id": "OPEN311-OK", "status": "open", "service_code": "transport",
            "service_name": "公交站牌损坏", "requested_datetime": "2026-06-01T09:00:00+08:00", "lat": lat, "long": lon}
    requests = [
        good,
        {**good, "service_request_id": orders.loc[5, "order_no"]},  # 2: also in work_orders.csv
        {**good, "service_request_id": "OPEN311-2", "status": "pending"},  # 3: not a GeoReport status
        {**good, "service_request_id": "OPEN311-3", "status": "closed"},  # 4: closed, but when?
        {**good, "service_request_id": None},  # 5: no id
        {**good, "service_request_id": "OPEN311-5", "lat": lon, "long": lat},  # 6: swapped
        {**good, "service_request_id": "OPEN311-6", "requested_datetime": "yesterday"},  # 7
    ]
    (directory / "work_orders.open311.json").write_text(json.dumps(requests, ensure_ascii=False), encoding="utf-8")
    errors = [e for e in rejected(directory, base_engine) if e.file == "work_orders.open311.json"]
    assert has_error(errors, "work_orders.open311.json", 2, "service_request_id", "duplicate")
    assert has_error(errors, "work_orders.open311.json", 3, "status", "not-in-list")
    assert has_error(errors, "work_orders.open311.json", 4, "updated_datetime", "required")
    assert has_error(errors, "work_orders.open311.json", 5, "service_request_id", "required")
    assert has_error(errors, "work_orders.open311.json", 6, "long/lat", "swapped-coordinates")
    assert has_error(errors, "work_orders.open311.json", 7, "requested_datetime", "bad-timestamp")
    # One error per field and request, each in the sender's words: nothing names our own columns.
    assert len({(e.line, e.field) for e in errors}) == len(errors)
    assert {e.line for e in errors} == {2, 3, 4, 5, 6, 7}
    assert not {e.field for e in errors} & {"order_no", "received_at", "resolved_at", "closed_at", "lon/lat"}


def index_names(engine: Engine, table: str) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes(table)}


def test_the_bulk_path_rebuilds_every_index(empty_engine, city_dir, monkeypatch, tmp_path):
    from data_access.ingest import writer

    # What the schema builds on this backend (some indexes are SQLite's only), from a fresh create_all.
    fresh = make_empty_engine(empty_engine.dialect.name, tmp_path)
    try:
        schema.metadata.create_all(fresh)
        wanted = {table.name: index_names(fresh, table.name) for table in schema.metadata.sorted_tables}
    finally:
        drop_engine(fresh)
    monkeypatch.setattr(writer, "BULK_REBUILD_ROWS", 1)
    load_directory(city_dir, empty_engine)
    for table in schema.metadata.sorted_tables:
        assert index_names(empty_engine, table.name) == wanted[table.name], table.name
    # PostgreSQL builds a first load's primary keys after the COPY: each is back, under its name, and enforced.
    for table in (*schema.TABLES_IN_LOAD_ORDER, *schema.ROLLUP_TABLES):
        key = inspect(empty_engine).get_pk_constraint(table.name)
        assert key["constrained_columns"] == [column.name for column in table.primary_key.columns], table.name
    if empty_engine.dialect.name == "postgresql":
        assert inspect(empty_engine).get_pk_constraint("work_orders")["name"] == "work_orders_pkey"
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.execute(schema.work_orders.insert().from_select(
            [column.name for column in schema.work_orders.columns], select(schema.work_orders).limit(1)))
    assert read_row_counts(empty_engine)["work_orders"] == len(expected.csv(city_dir, "work_orders.csv"))


def test_a_failure_while_writing_rolls_everything_back(base_engine, city_dir, tmp_path, monkeypatch):
    from data_access.ingest import writer

    # The bulk path drops and rebuilds indexes: a rollback must bring them back too.
    monkeypatch.setattr(writer, "BULK_REBUILD_ROWS", 1)
    indexes_before = index_names(base_engine, "work_orders")
    directory = copy_files(city_dir, tmp_path / "partial", "stations.csv", "work_orders.csv")
    rewrite_csv(directory / "stations.csv", lambda frame: frame.__setitem__("name_zh", frame["name_zh"] + "（新）"))
    before = fingerprint(base_engine)
    original = writer.write_table

    def fail_after_work_orders(connection, table, frame, progress, **options):
        original(connection, table, frame, progress, **options)
        if table is schema.work_orders:
            raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "write_table", fail_after_work_orders)
    with pytest.raises(RuntimeError, match="disk full"):
        load_directory(directory, base_engine)
    assert fingerprint(base_engine) == before
    assert index_names(base_engine, "work_orders") == indexes_before


# ---------------------------------------------------------------- rejected input


def test_missing_required_column(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "work_orders.csv")
    rewrite_csv(directory / "work_orders.csv", lambda frame: frame.pop("channel"))
    errors = rejected(directory, base_engine)
    assert has_error(errors, "work_orders.csv", 1, "channel", "missing-column")


def test_empty_required_value_bad_enum_duplicate_and_bad_timestamp(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "work_orders.csv")

    def spoil(frame):
        frame.loc[3, "received_at"] = None
        frame.loc[5, "channel"] = "fax"
        frame.loc[7, "order_no"] = frame.loc[6, "order_no"]
        frame.loc[9, "due_at"] = "2026-13-45 25:61:00"
        frame.loc[11, "caller_phone"] = "12345"

    rewrite_csv(directory / "work_orders.csv", spoil)
    errors = rejected(directory, base_engine)
    assert has_error(errors, "work_orders.csv", 5, "received_at", "required")
    assert has_error(errors, "work_orders.csv", 7, "channel", "not-in-list")
    assert has_error(errors, "work_orders.csv", 9, "order_no", "duplicate")
    assert has_error(errors, "work_orders.csv", 11, "due_at", "bad-timestamp")
    assert has_error(errors, "work_orders.csv", 13, "caller_phone", "bad-pattern")


def test_lifecycle_out_of_order_and_status_without_its_timestamp(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "work_orders.csv")
    orders = expected.csv(city_dir, "work_orders.csv")
    resolved = orders.index[orders["resolved_at"].notna()][:2]

    def spoil(frame):
        frame.loc[resolved[0], "resolved_at"] = "2000-01-01 00:00:00"
        frame.loc[resolved[1], "status"] = "closed"
        frame.loc[resolved[1], "closed_at"] = None

    rewrite_csv(directory / "work_orders.csv", spoil)
    errors = rejected(directory, base_engine)
    assert has_error(errors, "work_orders.csv", resolved[0] + 2, "resolved_at", "out-of-order")
    assert has_error(errors, "work_orders.csv", resolved[1] + 2, "closed_at", "required")


def test_swapped_coordinates_are_caught(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "stations.csv")

    def swap(frame):
        frame.loc[4, ["lon", "lat"]] = frame.loc[4, ["lat", "lon"]].to_numpy()
        frame.loc[6, "lon"] = "100.0"

    rewrite_csv(directory / "stations.csv", swap)
    errors = rejected(directory, base_engine)
    assert has_error(errors, "stations.csv", 6, "lon/lat", "swapped-coordinates")
    assert has_error(errors, "stations.csv", 8, "lon/lat", "outside-city")


def test_bad_area_code_missing_parent_and_invalid_geometry(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "communities.geojson", "grids.geojson")
    communities = json.loads((directory / "communities.geojson").read_text(encoding="utf-8"))
    communities["features"][1]["properties"]["code"] = communities["features"][1]["properties"]["code"][:-1]
    street = communities["features"][2]["properties"]["parent_code"]
    orphan = street[:6] + "099"
    communities["features"][2]["properties"]["parent_code"] = orphan
    communities["features"][2]["properties"]["code"] = orphan + "001"
    (directory / "communities.geojson").write_text(json.dumps(communities, ensure_ascii=False), encoding="utf-8")
    grids = json.loads((directory / "grids.geojson").read_text(encoding="utf-8"))
    x, y = grids["features"][0]["geometry"]["coordinates"][0][0][:2]
    grids["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[
        [x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]]}
    (directory / "grids.geojson").write_text(json.dumps(grids), encoding="utf-8")
    errors = rejected(directory, base_engine)
    assert has_error(errors, "communities.geojson", 2, "code", "bad-pattern")
    assert has_error(errors, "communities.geojson", 3, "parent_code", "unknown-reference")
    assert has_error(errors, "grids.geojson", 1, "geometry", "bad-geometry")


def test_area_outside_its_parent(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "grids.geojson")
    grids = json.loads((directory / "grids.geojson").read_text(encoding="utf-8"))
    grids["features"][2]["geometry"] = {"type": "Polygon", "coordinates": [[
        [100.0, 20.0], [100.01, 20.0], [100.01, 20.01], [100.0, 20.01], [100.0, 20.0]]]}
    (directory / "grids.geojson").write_text(json.dumps(grids), encoding="utf-8")
    errors = rejected(directory, base_engine)
    assert has_error(errors, "grids.geojson", 3, "geometry", "not-nested")


def test_member_and_activity_references(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "members.csv", "member_activities.csv")
    members = expected.csv(city_dir, "members.csv")
    other = members.loc[members["community_code"] != members.loc[0, "community_code"], "grid_code"].dropna().iloc[0]
    rewrite_csv(directory / "members.csv", lambda frame: frame.__setitem__(
        "grid_code", frame["grid_code"].where(frame.index != 0, other)))
    rewrite_csv(directory / "member_activities.csv", lambda frame: frame.__setitem__(
        "member_id", frame["member_id"].where(frame.index != 2, "NOBODY")))
    errors = rejected(directory, base_engine)
    assert has_error(errors, "members.csv", 2, "grid_code", "not-nested")
    assert has_error(errors, "member_activities.csv", 4, "member_id", "unknown-reference")


def test_line_numbers_count_physical_lines(base_engine, city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "work_orders.csv")

    def spoil(frame):
        frame.loc[0, "description"] = "第一行\n第二行\n第三行"
        frame.loc[1, "appeal_type"] = "praise"

    rewrite_csv(directory / "work_orders.csv", spoil)
    errors = rejected(directory, base_engine)
    # Record 2 starts on line 5: the header, then record 1 spanning lines 2–4.
    assert has_error(errors, "work_orders.csv", 5, "appeal_type", "not-in-list")


def test_unreadable_files(base_engine, city_dir, tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    (directory / "grids.geojson").write_text("{not json", encoding="utf-8")
    (directory / "grid_workers.csv").write_bytes(b"worker_id,name,grid_code,role,on_duty\nW1,\xff\xfe\xfa,\x81,a,b\n")
    errors = rejected(directory, base_engine)
    assert [(e.line, e.field, e.code) for e in errors if e.file == "grids.geojson"] == [(1, "(file)", "malformed")]
    assert [(e.line, e.field, e.code) for e in errors if e.file == "grid_workers.csv"] == [
        (2, "(file)", "bad-encoding")]


def test_frames_are_checked_like_the_csv_they_stand_for(base_engine, city_dir):
    orders = expected.csv(city_dir, "work_orders.csv").head(10)
    orders.loc[3, "channel"] = "fax"
    orders.loc[5, "lon"] = float("nan")
    orders["lat"] = orders["lat"].astype(float)  # numbers as numbers, as a program holds them
    before = fingerprint(base_engine)
    with pytest.raises(LoadRejected) as caught:
        load_frames({"work_orders.csv": orders}, base_engine)
    assert fingerprint(base_engine) == before
    assert {(e.file, e.line, e.field, e.code) for e in caught.value.errors} == {
        ("work_orders.csv", 5, "channel", "not-in-list"), ("work_orders.csv", 7, "lon", "required")}
    with pytest.raises(ValueError, match=r"grids\.geojson"):
        load_frames({"grids.geojson": orders}, base_engine)


def test_frames_load_like_the_csv_they_stand_for(base_engine, city_dir):
    # The stored rows equal the rows the same data loaded as a file gives: loading them again changes nothing
    # (the day's alerts, which a load of frames brings up to date, are recomputed to what they were).
    refresh_current_day(base_engine)
    before = fingerprint(base_engine, with_bytes=False)
    orders = expected.csv(city_dir, "work_orders.csv").head(50)
    orders["lon"], orders["lat"] = orders["lon"].astype(float), orders["lat"].astype(float)
    assert load_frames({"work_orders.csv": orders}, base_engine)["work_orders"] == 50
    assert fingerprint(base_engine, with_bytes=False) == before


def test_command_line_reports_errors_and_exits_non_zero(city_dir, tmp_path):
    directory = copy_files(city_dir, tmp_path / "d", "districts.geojson", "streets.geojson",
                           "communities.geojson", "grids.geojson", "grid_workers.csv")
    rewrite_csv(directory / "grid_workers.csv", lambda frame: frame.__setitem__(
        "role", frame["role"].where(frame.index != 0, "boss")))
    database = tmp_path / "cli.sqlite"
    result = subprocess.run([sys.executable, "-m", "data_access", "load", str(directory), "--db",
                             f"sqlite:///{database}"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "grid_workers.csv:2: role: " in result.stderr
    assert not database.exists(), "a rejected load created the database file"
    good = subprocess.run([sys.executable, "-m", "data_access", "load", str(city_dir), "--db",
                           f"sqlite:///{database}"], capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stderr
    # Progress goes to stderr as the load runs: each file checked, each table written, the commit.
    for step in ("checking grids.geojson", "checking work_orders.csv", "work_orders: writing", "committing"):
        assert step in good.stderr, step
    assert f"work_orders: {len(expected.csv(city_dir, 'work_orders.csv')):,} rows" in good.stdout
    stats = subprocess.run([sys.executable, "-m", "data_access", "stats", "--db", f"sqlite:///{database}",
                            "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(stats.stdout)["work_orders"] == len(expected.csv(city_dir, "work_orders.csv"))



def test_a_load_leaves_postgresql_tables_all_visible(loaded_engine):
    """Without a VACUUM (autovacuum may be off, or not yet round), an index-only scan of a fresh load reads every
    table row it finds: the loader vacuums what it bulk-wrote, so every page is marked all-visible."""
    if loaded_engine.dialect.name != "postgresql":
        pytest.skip("the visibility map is PostgreSQL's")
    names = [table.name for table in (*schema.TABLES_IN_LOAD_ORDER, *schema.ROLLUP_TABLES,
                                      schema.member_activity_days, schema.member_active_days)]
    with loaded_engine.connect() as connection:
        pages = dict(connection.execute(text(
            "SELECT relname, relpages - relallvisible FROM pg_class"
            " WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"
            " AND relname = ANY(:names)"), {"names": names}).all())
        vacuumed = dict(connection.execute(text(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables"
            " WHERE schemaname = current_schema() AND relname = ANY(:names)"), {"names": names}).all())
    assert set(pages) == set(names)
    assert {name: left for name, left in pages.items() if left} == {}
    assert all(vacuumed[table.name] for table in (schema.work_orders, schema.member_activities,
                                                   schema.member_activity_days, schema.member_active_days,
                                                   *schema.ROLLUP_TABLES)), vacuumed
