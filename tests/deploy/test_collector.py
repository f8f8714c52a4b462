"""The serving process's timed garbage collection (deploy/collector.py)."""

from __future__ import annotations

import gc
import threading
import time
import weakref

from deploy.collector import start_collector


class _Cycle:
    def __init__(self):
        self.me = self


def test_the_collector_frees_objects_held_in_reference_cycles_on_its_timer():
    gc.disable()  # only the collector's thread may collect during the test
    try:
        cycle = _Cycle()
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None, "a cycle outlives its last name without a collection"
        stop = threading.Event()
        thread = start_collector(0.05, stop)
        deadline = time.monotonic() + 5
        while gone() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        thread.join(2)
        assert gone() is None
        assert not thread.is_alive()
    finally:
        gc.enable()


def test_the_server_starts_one_collector_per_process():
    first, second = start_collector(), start_collector()
    assert first is second and first.daemon and first.is_alive() and first.name == "cityscreen-gc"
