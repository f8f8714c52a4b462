"""Loader benchmark: a fresh load of the city's areas plus work_orders.csv, end to end, on SQLite and PostgreSQL.

Usage: python benchmarks/loader_bench.py --data DIR [--backends sqlite,postgresql] [--sqlite PATH] [--postgres URL]
Prints, per backend, the whole load's time (checking, writing, indexes, rollups, commit) and work orders per second,
with the time of each phase the loader reports and the CPU seconds it took: the loader process's, and on a
PostgreSQL server on this machine, the load's server processes' (its backends and their parallel workers).
DIR is a generated city (python -m sample_data generate).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.backends import open_engine
from data_access.ingest import AREA_FILES, load_directory

BENCH_SCHEMA = "cityscreen_loader_bench"
# What a work-order load needs beside the orders: the city and its areas, against which points are placed.
FILES = ("city.json", *AREA_FILES.values(), "work_orders.csv")
# How often the server's processes are looked at: parallel workers live a few seconds each.
SAMPLE_SECONDS = 0.2
PARALLEL_WORKER = re.compile(r"parallel worker for PID (\d+)")


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


def _process_cpu(pid: int) -> tuple[float, int] | None:
    """(user + system CPU seconds, parent pid) of a process on this machine; None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[1])


class ServerCpu:
    """CPU seconds of a PostgreSQL load's server processes, read from /proc while they live.

    CPU time depends far less than wall time on what else the machine's cores run (docs/benchmarks.md,
    session 8). None when the server is not on this machine (or /proc cannot be read).
    """

    def __init__(self, engine: Engine):
        self.backends: set[int] = set()
        self.seen: dict[int, float] = {}
        self.readable: bool | None = None
        self._postmaster: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        event.listen(engine, "connect", self._connected)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _connected(self, connection, _record) -> None:
        pid = connection.info.backend_pid
        found = _process_cpu(pid)
        with self._lock:
            self.backends.add(pid)
            if self.readable is None:
                self.readable = found is not None
                self._postmaster = None if found is None else found[1]

    def _watch(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.read()

    def _workers(self) -> list[int]:
        """Parallel workers (index builds) of the load's backends: children of the postmaster naming one."""
        try:
            children = Path(f"/proc/{self._postmaster}/task/{self._postmaster}/children").read_text().split()
        except OSError:
            return []
        workers = []
        for child in children:
            try:
                found = PARALLEL_WORKER.search(Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
            if found and int(found.group(1)) in self.backends:
                workers.append(int(child))
        return workers

    def read(self) -> float | None:
        """CPU seconds so far of every server process the load has used."""
        with self._lock:
            if self.readable is None:  # no connection yet
                return 0.0
            if not self.readable:
                return None
            for pid in list(self.backends) + self._workers():
                found = _process_cpu(pid)
                if found is not None:  # else it has ended: its last reading stands
                    self.seen[pid] = found[0]
            return sum(self.seen.values())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _seconds(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.1f}"


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
            server = ServerCpu(engine) if engine.dialect.name == "postgresql" else None
            # (wall, loader CPU, of which system, server CPU, message) at each phase's start, and at the end.
            marks: list[tuple[float, float, float, float | None, str]] = []

            def mark(message: str, marks=marks, server=server) -> None:
                cpu = os.times()
                marks.append((time.perf_counter(), cpu.user + cpu.system, cpu.system, server and server.read(),
                               message))

            def note(message: str, mark=mark) -> None:
                if not message.endswith(("rows", "copied", "staged")):
                    mark(message)

            mark("start")
            written = load_directory(directory, engine, note)
            mark("end")
            if server is not None:
                server.stop()
            engine.dispose()
            elapsed = marks[-1][0] - marks[0][0]
            orders = written["work_orders"]
            print(f"[{backend}] {orders:,} work orders loaded in {elapsed:.1f} s "
                  f"→ {orders / elapsed:,.0f} work orders/s ({reference})")
            print("    wall s  CPU s: loader (system)  server  phase")
            totals = {"checking": [0.0, 0.0, 0.0, 0.0], "writing": [0.0, 0.0, 0.0, 0.0]}
            for start, end in itertools.pairwise(marks[1:]):
                wall, cpu, system = (end[index] - start[index] for index in range(3))
                server_seconds = None if start[3] is None or end[3] is None else end[3] - start[3]
                half = totals["checking" if start[4].startswith("checking") else "writing"]
                for index, value in enumerate((wall, cpu, system, server_seconds or 0.0)):
                    half[index] += value
                if wall >= 0.5:
                    print(f"    {wall:6.1f}  {cpu:13.1f} {system:8.1f}  {_seconds(server_seconds)}  {start[4]}")
            for half, (wall, cpu, system, server_cpu) in totals.items():
                server_cpu = server_cpu if server is not None else None
                print(f"    {wall:6.1f}  {cpu:13.1f} {system:8.1f}  {_seconds(server_cpu)}  all {half}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
