"""Server CPU per page run: one websocket session reruns each page, the server's CPU time is read from /proc.

Usage: python benchmarks/page_cpu.py --db URL [--runs 10] [--pages overview,grid-map,...] [--entry deploy/server.py]
Starts `streamlit run ENTRY` on a free loopback port with the project's .streamlit/config.toml, warms each page
twice, then reruns it `--runs` times and prints per page: server CPU seconds per run (user + system of the server
process), wall seconds per run, and the bytes the run sent (all, pydeck maps, tables). Stops the server by its id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import streamlit_process  # noqa: E402

PAGES = ("overview", "grid-map", "stations", "requests", "members")
RUN_TIMEOUT_SECONDS = 120
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def run_page(socket, page: str, query: str) -> dict[str, float]:
    """Ask the server to run one page (by its URL path; '' = the default page) and read until it finishes."""
    rerun = BackMsg()
    rerun.rerun_script.query_string = query
    rerun.rerun_script.page_script_hash = ""
    rerun.rerun_script.page_name = "" if page == "overview" else page
    await socket.send(rerun.SerializeToString())
    sent = {"bytes": 0, "maps": 0, "tables": 0, "exceptions": 0}
    started = time.perf_counter()
    while True:
        raw = await asyncio.wait_for(socket.recv(), RUN_TIMEOUT_SECONDS)
        sent["bytes"] += len(raw)
        message = ForwardMsg()
        message.ParseFromString(raw)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            shown = element.WhichOneof("type")
            if shown == "deck_gl_json_chart":
                sent["maps"] += len(element.deck_gl_json_chart.json.encode())
            elif shown == "dataframe":
                sent["tables"] += element.dataframe.ByteSize()
            elif shown == "exception":
                sent["exceptions"] += 1
        if kind == "script_finished":
            sent["seconds"] = time.perf_counter() - started
            return sent


async def measure(base: str, pid: int, pages: list[str], runs: int, query: str) -> None:
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as socket:
        print(f"{'page':12}{'CPU s/run':>11}{'wall s/run':>12}{'sent MB':>9}{'maps MB':>9}{'tables MB':>11}"
              f"{'errors':>8}")
        for page in pages:
            for _ in range(2):
                await run_page(socket, page, query)
            before = process_cpu_seconds(pid)
            results = [await run_page(socket, page, query) for _ in range(runs)]
            cpu = (process_cpu_seconds(pid) - before) / runs
            last = results[-1]
            print(f"{page:12}{cpu:11.3f}{sum(r['seconds'] for r in results) / runs:12.3f}"
                  f"{last['bytes'] / 1e6:9.2f}{last['maps'] / 1e6:9.2f}{last['tables'] / 1e6:11.2f}"
                  f"{sum(r['exceptions'] for r in results):8d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL holding a city")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--query", default="lang=zh", help="the page's query string (e.g. lang=en&area=420102)")
    parser.add_argument("--entry", default="deploy/server.py")
    arguments = parser.parse_args()
    # The project's own settings (no file watching, no full collection after each run), not the tests' overrides.
    with streamlit_process(arguments.db, "page-cpu", entry=arguments.entry) as (base, pid):
        asyncio.run(measure(base, pid, arguments.pages.split(","), arguments.runs, arguments.query))
    return 0


if __name__ == "__main__":
    sys.exit(main())
