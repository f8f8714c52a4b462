"""Data-access benchmark: builds a city into SQLite and PostgreSQL, times the loader and every query family.

Usage: python benchmarks/data_access_bench.py [--scale city|demo] [--data DIR] [--backends sqlite,postgresql]
       [--sqlite PATH] [--postgres URL] [--reuse] [--repeat N]
Prints loader throughput and, per query family, the warm median time for 1-, 30- and 365-day windows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from benchmarks.backends import open_engine
from data_access import areas, figures, kpis, members, stations, wall, work_orders
from data_access.city_time import days_window, local_date, reference_now
from data_access.db import has_data
from data_access.filters import WorkOrderFilter
from data_access.ingest import load_directory
from data_access.roles import Viewer
from data_access.scope import CITY, AreaScope
from data_access.stats import read_row_counts
from sample_data.generate import generate_city

WINDOWS = (1, 30, 365)
# The masked list is read as a leader reads it (a scope without a viewer's grant reads no list of requests).
LEADER = Viewer("benchmark", "leader")
BENCH_SCHEMA = "cityscreen_bench"


def query_families(engine, work_filter: WorkOrderFilter, now: int, days: int, district: str):
    """(name, thunk) for every query family a page runs, for one time window."""
    today = local_date(now)
    first_day = today - timedelta(days=days - 1)
    return [
        ("totals + backlog", lambda: (work_orders.read_order_totals(engine, work_filter, now),
                                      work_orders.read_backlog(engine, work_filter, now))),
        ("kpis (7 rates)", lambda: kpis.read_kpis(engine, work_filter, now)),
        ("figures + previous period", lambda: figures.read_order_figures(engine, work_filter, now)),
        ("counts by district", lambda: work_orders.read_counts_by_area(engine, work_filter, "district", now)),
        ("counts by grid in a district", lambda: work_orders.read_counts_by_area(
            engine, replace(work_filter, area=AreaScope.of(district)), "grid", now)),
        ("daily trend", lambda: work_orders.read_daily_counts(engine, work_filter)),
        ("weekday × hour", lambda: work_orders.read_hourly_profile(engine, work_filter)),
        ("categories", lambda: work_orders.read_category_counts(engine, work_filter, now)),
        ("h3 heat r8", lambda: work_orders.read_h3_heat(engine, work_filter, 8, now)),
        ("hotspots (grid)", lambda: work_orders.read_hotspots(engine, work_filter, "grid")),
        ("latest 20 (masked)", lambda: work_orders.read_latest_orders(
            engine, replace(work_filter, area=LEADER.scope()), 20)),
        ("district filter: kpis", lambda: kpis.read_kpis(
            engine, replace(work_filter, area=AreaScope.of(district)), now)),
        ("member activity by kind", lambda: members.read_activity_by_kind(engine, CITY, first_day, today)),
        ("member figures + week before", lambda: figures.read_member_figures(engine, CITY, today)),
        ("wall snapshot (30 d, fixed)", lambda: wall.read_wall_snapshot(engine, LEADER.scope(), now, today, 8)),
        ("member coverage (community)", lambda: members.read_member_coverage(engine, "community")),
        ("stations per type", lambda: stations.read_station_counts(engine)),
    ]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def database_cpu_clock(engine):
    """A clock of CPU seconds spent on a query, whatever else the cores run: this process (SQLite works inside it)
    plus, on PostgreSQL, the server processes of the engine's own connections (from /proc; the server is local)."""
    backends: set[int] = set()
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def remember_backend(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])

    def backend_seconds(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    return lambda: time.process_time() + sum(backend_seconds(pid) for pid in backends)


def time_call(thunk, repeat: int, cpu_clock) -> tuple[float, float]:
    """Warm median wall seconds and CPU seconds of `repeat` calls (after one warm-up)."""
    thunk()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), cpu_clock()
        thunk()
        wall.append(time.perf_counter() - started)
        cpu.append(cpu_clock() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city", choices=["test", "demo", "city"])
    parser.add_argument("--data", help="input directory (generated there when empty)")
    parser.add_argument("--as-of", default="2026-11-20", help="as-of date of the generated city")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite", default="benchmarks/out/bench.sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()

    data = Path(arguments.data or f"benchmarks/out/{arguments.scale}")
    if not (data / "work_orders.csv").exists():
        data.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate_city(data, scale=arguments.scale, as_of=date.fromisoformat(arguments.as_of))
        print(f"generate --scale {arguments.scale}: {time.perf_counter() - started:.1f} s")
    Path(arguments.sqlite).parent.mkdir(parents=True, exist_ok=True)

    for backend in arguments.backends.split(","):
        engine = open_engine(backend, arguments.sqlite, arguments.postgres, BENCH_SCHEMA, arguments.reuse)
        if not (arguments.reuse and has_data(engine)):
            started = time.perf_counter()
            phases: dict[str, float] = {}

            def note_phase(message: str, phases=phases, started=started) -> None:
                phases.setdefault(" ".join(message.split(" ", 2)[:2]), time.perf_counter() - started)

            written = load_directory(data, engine, note_phase)
            elapsed = time.perf_counter() - started
            orders = written.get("work_orders", 0)
            rows = sum(written.values())
            print(f"\n[{backend}] load: {elapsed:.1f} s, {rows:,} rows in all, {orders:,} work orders "
                  f"→ {orders / elapsed:,.0f} work orders/s (whole load incl. areas, members, activities)")
            # The work orders' own share of the same run: checking their file, then writing them with their
            # indexes and rollups (up to the next table's write).
            checking = phases["checking members.csv"] - phases["checking work_orders.csv"]
            writing = phases["members: writing"] - phases["work_orders: writing"]
            print(f"[{backend}] work orders alone: checking {checking:.1f} s + writing with indexes and rollups "
                  f"{writing:.1f} s = {checking + writing:.1f} s → {orders / (checking + writing):,.0f} work orders/s")
        counts = read_row_counts(engine)
        print(f"[{backend}] rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
        now = reference_now(areas.read_city_facts(engine), time.time())
        district = work_orders.read_counts_by_area(
            engine, WorkOrderFilter(), "district", now).sort_values("received")["code"].iloc[-1]
        cpu_clock = database_cpu_clock(engine)
        engine.dispose()  # new connections, so the clock knows their server processes
        timings = {}
        for days in WINDOWS:
            work_filter = WorkOrderFilter(*days_window(local_date(now), days))
            for name, thunk in query_families(engine, work_filter, now, days, district):
                timings.setdefault(name, []).append(time_call(thunk, arguments.repeat, cpu_clock))
        for label, index in (("wall seconds", 0), ("CPU seconds (this process + its database server processes)", 1)):
            print(f"[{backend}] warm median of {arguments.repeat} runs, {label}")
            print(f"{'query family':32}" + "".join(f"{f'{days} d':>10}" for days in WINDOWS))
            results = {name: [pair[index] for pair in pairs] for name, pairs in timings.items()}
            for name, seconds in results.items():
                print(f"{name:32}" + "".join(f"{value:10.3f}" for value in seconds))
            totals = [sum(values[column] for values in results.values()) for column in range(len(WINDOWS))]
            print(f"{'max single query':32}" + "".join(
                f"{max(values[column] for values in results.values()):10.3f}" for column in range(len(WINDOWS))))
            print(f"{'all families together':32}" + "".join(f"{value:10.3f}" for value in totals))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
