"""Elapsed time that does not count the time a busy machine kept this process off the CPU.

A test that asserts "the run ended by its deadline" (`elapsed <= deadline + slack`) measures
two things at once: whether the code stops waiting at the deadline (what the test is about) and
how long a loaded machine takes to schedule the work around it (what it is not about: on a
2-core box running other test suites, a 3 s deadline measured 7.8 s of wall time). Linux counts
the second part per thread: the time a thread was ready to run but waited for a CPU
(`/proc/<pid>/task/<tid>/schedstat`, second field, nanoseconds). `Stopwatch.busy_free` is the
wall time minus that wait summed over the process's threads. On an idle machine the two are the
same; under load the difference is the queueing, and a code path that waits past its deadline
(a stall, a one-hour `Retry-After`) still shows up in full, because waiting on a socket or a
timer is not queueing for a CPU.

Summing over threads can count overlapping waits twice, which only makes the bound more lenient
by the time the machine was saturated, never stricter. Where schedstat is missing (not Linux,
or a kernel without it) nothing is subtracted.

Lower bounds ("it waited at least the `Retry-After`") need no help: a slow machine only makes
them longer; use `Stopwatch.wall`.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

_TASKS = Path("/proc/self/task")


def cpu_wait() -> float:
    """Seconds this process's live threads have spent runnable but waiting for a CPU."""
    total = 0
    try:
        tasks = list(_TASKS.iterdir())
    except OSError:
        return 0.0
    for task in tasks:
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue  # the thread ended, or no schedstat in this kernel
        if len(fields) >= 2 and fields[1].isdigit():
            total += int(fields[1])
    return total / 1e9


def available() -> bool:
    """Whether this kernel reports CPU queueing (otherwise `busy_free` equals `wall`)."""
    return Path("/proc/thread-self/schedstat").exists()


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.wall` (seconds) and `sw.busy_free` (seconds, minus
    the time spent queueing for a CPU). Read either inside the block for a running value."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._waited = cpu_wait()
        self._ended: float | None = None
        self._waited_end: float | None = None

    def __enter__(self) -> Stopwatch:
        self._started = time.monotonic()
        self._waited = cpu_wait()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ended = time.monotonic()
        self._waited_end = cpu_wait()

    @property
    def wall(self) -> float:
        end = self._ended if self._ended is not None else time.monotonic()
        return end - self._started

    @property
    def queued(self) -> float:
        """Seconds of `wall` the threads spent waiting for a CPU."""
        end = self._waited_end if self._waited_end is not None else cpu_wait()
        return max(0.0, end - self._waited)

    @property
    def busy_free(self) -> float:
        return max(0.0, self.wall - self.queued)

    def __str__(self) -> str:
        return f"{self.busy_free:.2f}s ({self.wall:.2f}s wall, {self.queued:.2f}s queued for a CPU)"
