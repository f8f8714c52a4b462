"""Servers the tests start on loopback and stop by their process id: the app (through its production entry)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from deploy.health import wait_healthy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# What `make run` and deployments start: app.py behind deploy/gate.py.
PRODUCTION_ENTRY = "deploy/server.py"
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(database_url: str, log_name: str, entry: str = PRODUCTION_ENTRY,
                     extra_args: tuple[str, ...] = (), environment: dict[str, str] | None = None,
                     port: int | None = None) -> Iterator[str]:
    """Run `streamlit run ENTRY` on the database; yield its base URL; terminate it by its process id."""
    with streamlit_process(database_url, log_name, entry, extra_args, environment, port) as (base, _pid):
        yield base


@contextlib.contextmanager
def streamlit_process(database_url: str, log_name: str, entry: str = PRODUCTION_ENTRY,
                      extra_args: tuple[str, ...] = (), environment: dict[str, str] | None = None,
                      port: int | None = None) -> Iterator[tuple[str, int]]:
    """As streamlit_server, yielding (base URL, the server's process id)."""
    port = port or free_port()
    environment = {**os.environ, "CITYSCREEN_DB_URL": database_url, **(environment or {})}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{log_name}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", entry, "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *extra_args],
            cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(base, START_TIMEOUT_SECONDS, server):
            raise RuntimeError(f"streamlit did not start; see {log_path}")
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
