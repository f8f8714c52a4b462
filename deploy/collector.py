"""A full garbage collection every half minute in a serving process.

Streamlit's collection after every script run (`runner.postScriptGC`) is off (.streamlit/config.toml): it was most
of a page run's CPU under load. Without it, closed sessions and the frames of past runs held in reference cycles
wait for CPython's rare full collection, and a process's memory keeps climbing round after round of the same
load (docs/benchmarks.md, "Memory across rounds"). One collection on a timer costs the same CPU once per interval
instead of once per run.

After each collection the C allocator is asked to hand its free pages back (glibc's `malloc_trim`): pages built
by one run (pandas frames, Arrow buffers, JSON) are freed into malloc's arenas, one per thread that ran a script,
and without a trim a process keeps them resident, so its size follows the busiest moment of its life rather than
what it holds now. Where the C library has no `malloc_trim` (musl, macOS) only the collection runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("cityscreen.collector")
COLLECT_SECONDS = 30.0
_started: threading.Thread | None = None
_lock = threading.Lock()


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim(pad) (1 when memory went back to the system), or None where the C library lacks it."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


malloc_trim = _find_malloc_trim()


def collect() -> None:
    """One full collection, then the allocator's free pages back to the system (where it can)."""
    gc.collect()
    if malloc_trim is not None:
        malloc_trim(0)


def _collect_every(seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            collect()
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
