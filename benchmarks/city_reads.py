"""The reads issue 12 measured at city scale one by one: wall seconds (median and worst of N warm runs) and the
client's CPU seconds of the member figures for the busiest district, street, community and grid and the city,
and of the grid hotspots and the figures beside their previous period for 1-, 30- and 365-day windows.

Usage: python benchmarks/city_reads.py --db URL [--repeat 7]
The database is a loaded city (`python -m sample_data generate --scale city --out DIR --as-of 2026-06-30`, then
`python -m data_access load DIR --db URL`); "now" is its as-of time. Prints one line per read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from data_access import areas, figures, work_orders
from data_access.city_time import days_window, local_date, reference_now
from data_access.db import create_db_engine
from data_access.filters import WorkOrderFilter
from data_access.scope import CITY, AreaScope

LEVELS = ("district", "street", "community", "grid")


def timed(name: str, read: Callable[[], object], repeat: int) -> None:
    read()  # warm
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        read()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(f"{name:48s} wall {statistics.median(walls):.3f} s (worst {max(walls):.3f})  "
          f"client CPU {statistics.median(cpus):.3f} s", flush=True)


def busiest(engine, level: str) -> str:
    """The area of `level` with the most member activities."""
    with engine.connect() as connection:
        return connection.execute(text(
            f"SELECT {level}_code FROM member_activities WHERE {level}_code IS NOT NULL "
            f"GROUP BY {level}_code ORDER BY COUNT(*) DESC LIMIT 1")).scalar_one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args(argv)
    engine = create_db_engine(arguments.db)
    now = reference_now(areas.read_city_facts(engine), time.time())
    today = local_date(now)
    for level in LEVELS:
        code = busiest(engine, level)
        timed(f"member figures, {level} {code}",
              lambda code=code: figures.read_member_figures(engine, AreaScope.of(code), today), arguments.repeat)
    timed("member figures, city", lambda: figures.read_member_figures(engine, CITY, today), arguments.repeat)
    for days in (1, 30, 365):
        window = WorkOrderFilter(*days_window(today, days))
        timed(f"hotspots (grid), {days} d", lambda window=window: work_orders.read_hotspots(engine, window, "grid"),
              arguments.repeat)
        timed(f"figures + previous period, {days} d",
              lambda window=window: figures.read_order_figures(engine, window, now), arguments.repeat)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
