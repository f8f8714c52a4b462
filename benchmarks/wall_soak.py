"""Wall soak: the wall refreshing every second in headless Chromium while the live feed writes; server memory over time.

Usage: python benchmarks/wall_soak.py [--minutes 10] [--warmup 2] [--every 15]
Builds the test-scale city into a temporary SQLite file, starts `streamlit run app.py` and the simulator,
opens `/?mode=wall&refresh=1`, and prints the server's resident memory (VmRSS) every `--every` seconds,
then the growth after warm-up. Everything runs on this machine's loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--use-gl=swiftshader",
                 "--enable-unsafe-swiftshader"]


def resident_mib(pid: int) -> float:
    """Resident memory of a process and its children (MiB), from /proc."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def main() -> int:
    """Run the soak and print memory over time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2, help="minutes before the baseline is taken")
    parser.add_argument("--every", type=float, default=15, help="seconds between samples")
    arguments = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from data_access.db import create_db_engine
    from data_access.ingest import load_directory
    from sample_data.generate import generate_city

    with tempfile.TemporaryDirectory(prefix="cityscreen-soak-") as work:
        city = Path(work) / "city"
        generate_city(city, scale="test")
        url = f"sqlite:///{Path(work) / 'soak.sqlite'}"
        engine = create_db_engine(url)
        load_directory(city, engine)
        engine.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {**os.environ, "CITYSCREEN_DB_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                   "--server.fileWatcherType", "none"], cwd=ROOT, env=environment,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        feed = subprocess.Popen([sys.executable, "-m", "sample_data", "simulate", "--db", url, "--tick", "2",
                                 "--rate", "60"], cwd=ROOT, env=environment,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"http://127.0.0.1:{port}/?mode=wall&refresh=1")
                started = time.time()
                samples: list[tuple[float, float]] = []
                print(f"{'minute':>7}{'server RSS MiB':>16}{'ticker updates':>16}")
                while time.time() - started < arguments.minutes * 60:
                    page.wait_for_timeout(arguments.every * 1000)
                    elapsed = (time.time() - started) / 60
                    memory = resident_mib(server.pid)
                    samples.append((elapsed, memory))
                    print(f"{elapsed:7.1f}{memory:16.1f}{page.locator('[data-testid=wall-ticker]').count():16d}",
                          flush=True)
                errors = page.locator("[data-testid='stException']").count()
                browser.close()
        finally:
            feed.terminate()
            server.terminate()
            feed.wait(timeout=10)
            server.wait(timeout=10)
    after = [memory for minute, memory in samples if minute >= arguments.warmup]
    if len(after) >= 2:
        growth = (after[-1] - after[0]) / after[0]
        peak = (max(after) - after[0]) / after[0]
        print(f"after {arguments.warmup:g} min warm-up: {after[0]:.1f} → {after[-1]:.1f} MiB, "
              f"growth {growth:+.1%} (peak {peak:+.1%}); exception elements on the wall: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
