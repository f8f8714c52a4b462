"""Waiting for a freshly started app process, or the proxy in front of several, to answer Streamlit's health check."""

from __future__ import annotations

import subprocess
import time
import urllib.request

HEALTH_PATH = "/_stcore/health"


def wait_healthy(base_url: str, timeout_seconds: float, process: subprocess.Popen | None = None,
                 interval_seconds: float = 0.3) -> bool:
    """True once `base_url` + /_stcore/health answers 200; False when `process` has exited or the time is up."""
    url = base_url.rstrip("/") + HEALTH_PATH
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass  # not listening yet, or a proxy with no process behind it yet
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(interval_seconds)
