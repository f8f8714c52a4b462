"""Load test: staff sessions and walls through Streamlit's websocket protocol, against the local topology.

Usage: python benchmarks/load_test.py [--processes 1,2] [--staff 36] [--walls 4] [--seconds 90] [--rounds 3]
                                      [--think 5] [--refresh 5] [--root var/cluster] [--seed 12]
Needs `make cluster` (deploy/cluster.py); for each process count it restarts the app processes fresh, then runs
`--rounds` rounds of the same load one after another (closed sessions linger in the processes between rounds).

Load model (issue 12): `--staff` people, each with their own browser (nginx's route cookie) arriving spread over
the first think time. A visit opens a new session on a link: a page from a mix (overview 30 %, grid map 25 %,
requests 20 %, members 15 %, stations 10 %) in Chinese or English (half each), for the city or a district,
street, community or grid, and a window (today, 7 days, 30 days, this year). After each page the person thinks
for an exponential time of mean `--think` s, bounded to 0.5-20 s, then opens another page of the menu in the
same session (70 %) or follows a link into another area and window (30 %: a new session). Plus `--walls` walls
(`/?mode=wall&refresh=N`: the city and a district, both languages, one rotating its centre view); their refresh
is timed the way the browser drives it: a fragment rerun on a fixed clock, late by the time from the tick to
the figures' arrival. A page run counts as an error when it raises, shows an error box, finds no page, goes
stale (the wall) or takes longer than --page-timeout. CPU per run is the app processes' CPU time (from /proc)
over the runs served; memory is each process's resident size (peak over the round, and at its end).

Talks only to 127.0.0.1; every loop is bounded by --seconds (plus --page-timeout to finish pages in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_MIX = (("overview", 30), ("grid-map", 25), ("requests", 20), ("members", 15), ("stations", 10))
PAGE_NAMES = tuple(page for page, _ in PAGE_MIX)
PERIODS = ("today", "7d", "30d", "year")
# The menu's default page answers at the root: the browser asks for it with no page name.
DEFAULT_PAGE = "overview"
LEVELS = ("city", "district", "street", "community", "grid")
THINK_BOUNDS = (0.5, 20.0)
NEW_VISIT_SHARE = 0.3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LoadModel:
    staff: int = 36
    walls: int = 4
    seconds: float = 90
    think: float = 5.0
    refresh: int = 5
    page_timeout: float = 120
    seed: int = 12


@dataclass
class Run:
    """One script run a client asked for."""

    kind: str  # "page" or "wall"
    name: str
    seconds: float
    error: str | None = None
    late: float | None = None  # walls: from the refresh's tick to its figures' arrival


@dataclass
class ProcessFigures:
    pid: int
    port: int
    cpu_seconds: float = 0.0
    peak_mib: float = 0.0
    end_mib: float = 0.0
    sessions: int = 0  # sessions connected during the round (Streamlit's own counter)


@dataclass
class RoundResult:
    processes: int
    round: int
    runs: list[Run] = field(default_factory=list)
    servers: list[ProcessFigures] = field(default_factory=list)
    # The machine's 1-minute load average at the round's start and end (others' work shows here).
    load_average: tuple[float, float] = (0.0, 0.0)
    # CPU seconds of the PostgreSQL servers (primary and replica, every backend) over the round.
    database_cpu: float = 0.0

    @property
    def pages(self) -> list[Run]:
        return [run for run in self.runs if run.kind == "page" and run.error is None]

    @property
    def errors(self) -> list[Run]:
        return [run for run in self.runs if run.error is not None]

    def summary(self) -> dict:
        page_times = sorted(run.seconds for run in self.pages)
        lateness = sorted(run.late for run in self.runs if run.kind == "wall" and run.late is not None)
        served = len([run for run in self.runs if run.error is None])
        cpu = sum(server.cpu_seconds for server in self.servers)
        return {
            "processes": self.processes, "round": self.round, "pages": len(page_times),
            "page_p50": percentile(page_times, 50), "page_p95": percentile(page_times, 95),
            "errors": len(self.errors), "wall_refreshes": len(lateness), "wall_late_p95": percentile(lateness, 95),
            "cpu_per_run": cpu / served if served else None,
            "peak_mib": [round(server.peak_mib) for server in self.servers],
            "end_mib": [round(server.end_mib) for server in self.servers],
            "sessions": [server.sessions for server in self.servers],
            "load_average": list(self.load_average),
            "database_cpu_per_run": self.database_cpu / served if served else None,
            # Where the page time goes: runs, p50 and p95 seconds of each page.
            "by_page": {name: [len(times), percentile(times, 50), percentile(times, 95)]
                        for name, times in sorted(self.page_times_by_name().items())},
        }

    def page_times_by_name(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for run in self.pages:
            found.setdefault(run.name, []).append(run.seconds)
        return {name: sorted(times) for name, times in found.items()}


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share) - 1]


# --- the protocol ------------------------------------------------------------------------------------------
def rerun_message(query_string: str, page_name: str = "", fragment_id: str = "", page_script_hash: str = "",
                  locale: str = "zh-CN") -> bytes:
    """What the browser sends to run the script (or one fragment of it, on its timer)."""
    message = BackMsg()
    rerun = message.rerun_script
    rerun.query_string = query_string
    rerun.page_name = page_name
    rerun.page_script_hash = page_script_hash
    if fragment_id:
        rerun.fragment_id = fragment_id
        rerun.is_auto_rerun = True
    rerun.context_info.locale = locale
    rerun.context_info.timezone = "Asia/Shanghai"
    return message.SerializeToString()


@dataclass
class Session:
    """One browser tab's websocket session and what the server told it."""

    socket: websockets.ClientConnection
    query_string: str = ""
    page_script_hash: str = ""
    fragment_id: str = ""
    interval: float = 0.0

    async def run(self, request: bytes, timeout: float) -> tuple[float, str | None]:
        """Send a rerun and read until the script finished; (seconds, error or None)."""
        started = time.monotonic()
        error = None
        await self.socket.send(request)
        while True:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                return time.monotonic() - started, "timeout"
            try:
                raw = await asyncio.wait_for(self.socket.recv(), left)
            except TimeoutError:
                return time.monotonic() - started, "timeout"
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = message.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.fragment_id, self.interval = message.auto_rerun.fragment_id, message.auto_rerun.interval
            elif kind == "page_not_found":
                error = error or "page not found"
            elif kind == "delta" and message.delta.HasField("new_element"):
                error = error or element_error(message.delta.new_element)
            elif kind == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    error = error or "script error"
                if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return time.monotonic() - started, error


def element_error(element) -> str | None:
    """An exception, an error box, or the wall's stale badge."""
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception: {element.exception.type}"
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return f"error box: {element.alert.body[:60]}"
    if kind == "html" and 'data-testid="wall-stale"' in element.html.body:
        return "wall stale"
    return None


def route_cookie(base: str) -> str:
    """The sticky-route cookie nginx gives a new browser on its first request ('' behind no nginx)."""
    with urllib.request.urlopen(f"{base}/", timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("cityscreen_route="):
                return header.split(";", 1)[0]
    return ""


async def connect(base: str, cookie: str):
    headers = {"Cookie": cookie} if cookie else None
    return await websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                    max_size=None, additional_headers=headers, open_timeout=30, ping_interval=None)


# --- the clients -------------------------------------------------------------------------------------------
def visit_query(rng: random.Random, areas: dict[str, list[str]]) -> tuple[str, str]:
    """(query string, locale) of a link into an area and a window."""
    level = rng.choice([level for level in LEVELS if level == "city" or areas.get(level)])
    language = rng.choice(("zh", "en"))
    params = {"lang": language, "period": rng.choice(PERIODS)}
    if level != "city":
        params["area"] = rng.choice(areas[level])
    return urlencode(params), "en-US" if language == "en" else "zh-CN"


def pick_page(rng: random.Random, other_than: str | None = None) -> str:
    pages = [(page, weight) for page, weight in PAGE_MIX if page != other_than]
    return rng.choices([page for page, _ in pages], [weight for _, weight in pages])[0]


def think_time(rng: random.Random, mean: float) -> float:
    return min(max(rng.expovariate(1 / mean), THINK_BOUNDS[0]), THINK_BOUNDS[1])


async def staff_person(index: int, base: str, model: LoadModel, areas: dict[str, list[str]], end: float,
                       runs: list[Run]) -> None:
    rng = random.Random(model.seed * 1000 + index)
    cookie = await asyncio.to_thread(route_cookie, base)
    await asyncio.sleep(rng.uniform(0, model.think))
    while time.monotonic() < end:
        query, locale = visit_query(rng, areas)
        page = pick_page(rng)
        try:
            socket = await connect(base, cookie)
        except Exception as error:
            runs.append(Run("page", page, 0.0, f"connect: {type(error).__name__}"))
            await asyncio.sleep(think_time(rng, model.think))
            continue
        async with socket:
            session = Session(socket, query_string=query)
            while True:
                page_name = "" if page == DEFAULT_PAGE else page
                seconds, error = await session.run(
                    rerun_message(session.query_string, page_name, locale=locale), model.page_timeout)
                runs.append(Run("page", page, seconds, error))
                pause = think_time(rng, model.think)
                if error or time.monotonic() + pause > end:
                    break
                await asyncio.sleep(pause)
                if rng.random() < NEW_VISIT_SHARE:
                    break
                page = pick_page(rng, other_than=page)


def wall_query(index: int, model: LoadModel, areas: dict[str, list[str]]) -> tuple[str, str]:
    params = {"mode": "wall", "refresh": str(model.refresh), "lang": ("zh", "en")[index % 2]}
    if index % 4 == 2 and areas.get("district"):
        params["area"] = areas["district"][0]
    if index % 4 == 3:
        params.update(rotate="overview,requests,members,stations", every="15")
    return urlencode(params), "en-US" if params["lang"] == "en" else "zh-CN"


async def wall_screen(index: int, base: str, model: LoadModel, areas: dict[str, list[str]], end: float,
                      runs: list[Run]) -> None:
    """A wall: the page once, then a fragment rerun on the browser's fixed clock."""
    query, locale = wall_query(index, model, areas)
    cookie = await asyncio.to_thread(route_cookie, base)
    await asyncio.sleep(index * model.refresh / max(model.walls, 1))
    try:
        socket = await connect(base, cookie)
    except Exception as error:
        runs.append(Run("wall", "wall", 0.0, f"connect: {type(error).__name__}"))
        return
    async with socket:
        session = Session(socket, query_string=query)
        seconds, error = await session.run(rerun_message(query, locale=locale), model.page_timeout)
        runs.append(Run("page", "wall", seconds, error))
        if error or not session.fragment_id:
            return
        tick = time.monotonic()
        while True:
            tick += session.interval
            if tick > end:
                return
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
            sent = time.monotonic()
            request = rerun_message(query, fragment_id=session.fragment_id,
                                    page_script_hash=session.page_script_hash, locale=locale)
            seconds, error = await session.run(request, model.page_timeout)
            runs.append(Run("wall", "wall", seconds, error, late=time.monotonic() - tick))
            if error == "timeout":
                return
            # Ticks that passed while this refresh ran were one request in the browser: skip to the last of them.
            while tick + session.interval <= sent:
                tick += session.interval


# --- the servers -------------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its children that ended (waited for) and those alive (a PostgreSQL server: the
    postmaster and every backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime, stime, cutime, cstime
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            child = stat.read_text().rsplit(")", 1)[1].split()
            if int(child[1]) == pid:
                total += (int(child[11]) + int(child[12])) / CLOCK_TICKS
    return total


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sessions_connected(port: int) -> int:
    """Streamlit's own count of sessions connected to one process since it started (its metrics endpoint)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("session_events_total") and 'type="connect"' in line:
                return int(float(line.rsplit(" ", 1)[1]))
    return 0


class ProcessWatch:
    """CPU, resident memory (sampled every half second) and sessions of the app processes over one round."""

    def __init__(self, apps: dict[int, tuple[int, int]]):
        self.figures = [ProcessFigures(pid, port) for pid, port in apps.values()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._cpu = [cpu_seconds(figure.pid) for figure in self.figures]
        self._sessions = [sessions_connected(figure.port) for figure in self.figures]
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for figure in self.figures:
                with contextlib.suppress(FileNotFoundError):
                    figure.peak_mib = max(figure.peak_mib, resident_mib(figure.pid))

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        for figure, cpu, sessions in zip(self.figures, self._cpu, self._sessions, strict=True):
            figure.cpu_seconds = cpu_seconds(figure.pid) - cpu
            figure.end_mib = resident_mib(figure.pid)
            figure.peak_mib = max(figure.peak_mib, figure.end_mib)
            figure.sessions = sessions_connected(figure.port) - sessions


def read_sample_areas(database_url: str, per_level: int = 12, seed: int = 12) -> dict[str, list[str]]:
    """A few area codes of each level, for the visits' drill-down links."""
    from data_access.areas import read_areas
    from data_access.db import create_db_engine

    engine = create_db_engine(database_url)
    try:
        rng = random.Random(seed)
        found = {}
        for level in LEVELS[1:]:
            codes = sorted(read_areas(engine, level, with_geometry=False)["code"])
            found[level] = rng.sample(codes, min(per_level, len(codes)))
        return found
    finally:
        engine.dispose()


async def _round(base: str, model: LoadModel, areas: dict[str, list[str]]) -> list[Run]:
    runs: list[Run] = []
    end = time.monotonic() + model.seconds
    clients = [staff_person(index, base, model, areas, end, runs) for index in range(model.staff)]
    clients += [wall_screen(index, base, model, areas, end, runs) for index in range(model.walls)]
    # Bounded: every client stops asking at `end`, and a page in flight gives up after page_timeout.
    await asyncio.wait_for(asyncio.gather(*clients), model.seconds + model.page_timeout + 60)
    return runs


def run_round(base: str, model: LoadModel, areas: dict[str, list[str]], apps: dict[int, tuple[int, int]],
              processes: int, number: int, databases: list[int] = ()) -> RoundResult:
    """One round of the load against `base` (nginx), watching the app processes {index: (pid, port)} and the
    database servers (their postmasters' pids)."""
    started_load = os.getloadavg()[0]
    database_cpu = sum(tree_cpu_seconds(pid) for pid in databases)
    with ProcessWatch(apps) as watch:
        runs = asyncio.run(_round(base, model, areas))
    database_cpu = sum(tree_cpu_seconds(pid) for pid in databases) - database_cpu
    return RoundResult(processes, number, runs, watch.figures, (started_load, os.getloadavg()[0]), database_cpu)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_table(results: list[RoundResult]) -> None:
    print("\n| processes | round | pages | page p50 / p95 s | errors | wall late p95 s | CPU per run s | "
          "database CPU per run s | peak MiB per process | sessions per process | machine load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        row = result.summary()
        print(f"| {row['processes']} | {row['round']} | {row['pages']} | {_seconds(row['page_p50'])} / "
              f"{_seconds(row['page_p95'])} | {row['errors']} | {_seconds(row['wall_late_p95'])} | "
              f"{_seconds(row['cpu_per_run'])} | {_seconds(row['database_cpu_per_run'])} | "
              f"{', '.join(map(str, row['peak_mib']))} | "
              f"{', '.join(map(str, row['sessions']))} | {row['load_average'][0]:.1f} → {row['load_average'][1]:.1f} |")
    print("\n| processes | round | " + " | ".join(f"{page} p50 / p95 s" for page in PAGE_NAMES) + " |")
    print("|---|---|" + "---|" * len(PAGE_NAMES))
    for result in results:
        by_page = result.summary()["by_page"]
        cells = [f"{_seconds(by_page[page][1])} / {_seconds(by_page[page][2])}" if page in by_page else "-"
                 for page in PAGE_NAMES]
        print(f"| {result.processes} | {result.round} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="app process counts to measure, in order")
    parser.add_argument("--staff", type=int, default=36)
    parser.add_argument("--walls", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=90, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think", type=float, default=5.0, help="mean think time (s)")
    parser.add_argument("--refresh", type=int, default=5, help="the walls' refresh (s)")
    parser.add_argument("--page-timeout", type=float, default=120)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--root", type=Path, default=ROOT / "var" / "cluster")
    arguments = parser.parse_args(argv)
    model = LoadModel(arguments.staff, arguments.walls, arguments.seconds, arguments.think, arguments.refresh,
                      arguments.page_timeout, arguments.seed)

    from deploy.cluster import Cluster

    results = []
    for processes in [int(count) for count in arguments.processes.split(",")]:
        cluster = Cluster(arguments.root, apps=processes)
        cluster.stop_apps()  # every process count starts from fresh processes
        cluster.start()
        areas = read_sample_areas(cluster.primary_url, seed=model.seed)
        apps = {index: (pid, cluster.ports.apps[index - 1]) for index, pid in cluster.app_pids().items()}
        base = cluster.url.rstrip("/")
        status = cluster.status()
        databases = [status[name] for name in ("primary", "replica") if status.get(name)]
        for number in range(1, arguments.rounds + 1):
            print(f"\n{processes} process(es), round {number}: {model.staff} staff, {model.walls} walls, "
                  f"{model.seconds:.0f} s", flush=True)
            result = run_round(base, model, areas, apps, processes, number, databases)
            results.append(result)
            print(json.dumps(result.summary()), flush=True)
            for run in result.errors[:5]:
                print(f"  error: {run.name}: {run.error}")
    print_table(results)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"model": asdict(model), "rounds": [result.summary() for result in results]},
                               indent=2))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
