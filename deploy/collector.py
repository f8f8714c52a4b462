"""A full garbage collection every half minute in a serving process.

Streamlit's collection after every script run (`runner.postScriptGC`) is off (.streamlit/config.toml): it was most
of a page run's CPU under load. Without it, closed sessions and the frames of past runs held in reference cycles
wait for CPython's rare full collection, and a process's memory keeps climbing round after round of the same
load (docs/benchmarks.md, "Memory across rounds"). One collection on a timer costs the same CPU once per interval
instead of once per run.
"""

from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger("cityscreen.collector")
COLLECT_SECONDS = 30.0
_started: threading.Thread | None = None
_lock = threading.Lock()


def _collect_every(seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            gc.collect()
        except Exception:  # never let the collector's thread die silently on a finaliser's error
            log.exception("a timed garbage collection failed")


def start_collector(seconds: float = COLLECT_SECONDS, stop: threading.Event | None = None) -> threading.Thread:
    """Start the process's collector thread once (a daemon: it ends with the process); return it."""
    global _started
    with _lock:
        if _started is None or not _started.is_alive() or stop is not None:
            thread = threading.Thread(target=_collect_every, args=(seconds, stop or threading.Event()),
                                      name="cityscreen-gc", daemon=True)
            thread.start()
            if stop is None:
                _started = thread
            return thread
        return _started
