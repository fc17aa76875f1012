"""`investigate batch --workers N`: the batch's CPU-bound work (log scanning and pattern mining,
the offline analyst, rendering) spread over N processes, while each process keeps its I/O
async (`--concurrency` investigations at once in each).

The IDs are cut into small consecutive chunks handed to the processes as they free up; reports
come out in the order of the IDs, whatever N (a chunk's reports are held until the chunks
before it are out), and files in `--output-dir` are written by the workers exactly as a single
process writes them. Workers are forked from the CLI process (Linux, macOS: `fork`), so they
start with its configuration and imports; each keeps its own per-run caches.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from investigate.batch import BatchOptions, Outcome, plan, run_batch
from investigate.context import Context
from investigate.options import RunOptions
from investigate.threads import run

CHUNK = 5
"""IDs per task: small, so the processes stay evenly busy to the end."""

_WORKER_CTX: Context | None = None


def run_workers(
    ctx: Context,
    base: RunOptions,
    options: BatchOptions,
    workers: int,
    emit: Callable[[str], None],
    done: Callable[[Outcome], None],
) -> None:
    """Like `run_batch`, in `workers` processes; reports are emitted in the order of the IDs."""
    global _WORKER_CTX
    run(plan(ctx, base, options))  # once, here: the workers inherit the plan and the tickets
    _WORKER_CTX = ctx  # inherited by the forked workers
    ids = options.ids
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    method = "fork" if sys.platform != "win32" else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    try:
        futures = [pool.submit(_work, base, replace(options, ids=chunk)) for chunk in chunks]
        for future in futures:  # in order of the IDs
            lines, outcomes = future.result()
            for line in lines:
                emit(line)
            for outcome in outcomes:
                done(outcome)
    except BaseException:  # Ctrl-C or a failed worker: drop the chunks not started
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _work(base: RunOptions, options: BatchOptions) -> tuple[list[str], list[Outcome]]:
    """One chunk in a worker: its reports in the chunk's order, and its outcomes."""
    ctx = _WORKER_CTX
    if ctx is None:  # pragma: no cover - a spawned worker (Windows) has no inherited context
        raise RuntimeError("--workers needs the fork start method")
    lines: list[str] = []
    outcomes: list[Outcome] = []
    run(run_batch(ctx, base, options, lines.append, outcomes.append))
    position = {ticket_id: i for i, ticket_id in enumerate(options.ids)}
    lines.sort(key=lambda line: position.get(str(json.loads(line)["ticket"]["id"]), len(position)))
    outcomes.sort(key=lambda o: position.get(o.ticket_id, len(position)))
    return lines, outcomes
