"""Loader benchmark: a fresh load of the city's areas plus work_orders.csv, end to end, on SQLite and PostgreSQL.

Usage: python benchmarks/loader_bench.py --data DIR [--backends sqlite,postgresql] [--sqlite PATH] [--postgres URL]
Prints, per backend, the whole load's time (checking, writing, indexes, rollups, commit) and work orders per second,
with the time of each phase the loader reports. DIR is a generated city (python -m sample_data generate).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.backends import open_engine
from data_access.ingest import AREA_FILES, load_directory

BENCH_SCHEMA = "cityscreen_loader_bench"
# What a work-order load needs beside the orders: the city and its areas, against which points are placed.
FILES = ("city.json", *AREA_FILES.values(), "work_orders.csv")


def machine_reference() -> str:
    """A fixed piece of work timed just before a load: this machine's speed varies by a third from one minute
    to the next (other tenants of its host), so each load's figure comes with how fast the machine was."""
    started = time.perf_counter()
    sum(value * value for value in range(10_000_000))
    loop = time.perf_counter() - started
    values = np.random.default_rng(0).random(10_000_000)
    started = time.perf_counter()
    np.sort(values)
    return f"machine reference: Python loop {loop:.2f} s, numpy sort {time.perf_counter() - started:.2f} s"


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a generated city's input directory")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite", default="benchmarks/out/loader_bench.sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    arguments = parser.parse_args()
    source = Path(arguments.data).resolve()
    with tempfile.TemporaryDirectory(prefix="cityscreen-loader-bench-") as directory:
        for name in FILES:
            if (source / name).exists():
                (Path(directory) / name).symlink_to(source / name)
        for backend in arguments.backends.split(","):
            engine = open_engine(backend, arguments.sqlite, arguments.postgres, BENCH_SCHEMA)
            reference = machine_reference()
            phases: list[tuple[float, str]] = []
            started = time.perf_counter()

            def note(message: str, phases=phases, started=started) -> None:
                if not message.endswith(("rows", "copied", "staged")):
                    phases.append((time.perf_counter() - started, message))

            written = load_directory(directory, engine, note)
            elapsed = time.perf_counter() - started
            engine.dispose()
            orders = written["work_orders"]
            print(f"[{backend}] {orders:,} work orders loaded in {elapsed:.1f} s "
                  f"→ {orders / elapsed:,.0f} work orders/s ({reference})")
            ends = [moment for moment, _ in phases[1:]] + [elapsed]
            for (moment, message), end in zip(phases, ends, strict=True):
                if end - moment >= 0.5:
                    print(f"    {end - moment:6.1f} s  {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
