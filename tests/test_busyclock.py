"""tests/busyclock.py: the time a busy machine kept a test off the CPU is not charged to the
code under test, while waiting (sleep, socket, timer) still is."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from busyclock import Stopwatch, available


def test_waiting_counts_in_full() -> None:
    with Stopwatch() as watch:
        time.sleep(0.3)
    assert watch.wall >= 0.3
    assert watch.busy_free >= 0.25, watch  # a sleep is not queueing for a CPU
    assert watch.busy_free <= watch.wall


@pytest.mark.slow
@pytest.mark.skipif(not available(), reason="no /proc/<pid>/schedstat on this system")
def test_queueing_for_a_cpu_is_not_counted() -> None:
    burners = [
        subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(6)
    ]  # more runnable processes than this machine has CPUs
    try:
        with Stopwatch() as watch:
            spun = time.thread_time()
            while time.thread_time() - spun < 0.5:  # half a second of this thread's CPU time
                pass
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert watch.queued > 0, watch
    # half a second of work, however long the machine took to schedule it
    assert 0.45 <= watch.busy_free < 1.0, watch
