"""The serving process's timed garbage collection (deploy/collector.py)."""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref

import pytest

from deploy import collector
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


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(collector.malloc_trim is None, reason="the C library has no malloc_trim (not glibc)")
def test_a_collection_hands_freed_pages_in_the_middle_of_the_heap_back_to_the_system():
    # 300 MiB in 100 kB blocks (under glibc's mmap threshold: they come from the heap), every 50th kept so the
    # freed ones are holes below live blocks that free() alone never returns.
    blocks = [b"x" * 100_000 for _ in range(3000)]
    kept = blocks[::50]
    del blocks
    before = _resident_mib()
    collector.collect()
    after = _resident_mib()
    assert before - after > 150, f"resident {before:.0f} MiB before the collection, {after:.0f} MiB after"
    assert len(kept) == 60
