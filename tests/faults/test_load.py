"""Many concurrent investigations in one process (`investigate batch --concurrency 50`) against
APIs with seeded random latency and 5% faults (500, 429 with an hour's Retry-After, reset,
truncated JSON, stall): no deadlock, bounded memory, every ticket accounted for with a status.
benchmarks/load_200.py runs the same with 200 tickets."""

from __future__ import annotations

import math
import re
from pathlib import Path

import cases
from chaos import ChaosServer

N = 60
CONCURRENCY = 50
DEADLINE = 5.0  # load_config's per-ticket --timeout


def test_sixty_tickets_at_once_all_accounted_for(chaos: ChaosServer, tmp_path: Path) -> None:
    result = cases.run_load(chaos, tmp_path, N, CONCURRENCY)

    assert result.code == 0, result.stderr[-2000:]
    # no deadlock: each wave of investigations ends by its deadline
    bound = math.ceil(N / CONCURRENCY) * (DEADLINE + 1) + 5
    assert result.busy_free < bound, (
        f"{result.busy_free:.1f}s ({result.wall:.1f}s wall, {result.queued:.1f}s queued for a "
        f"CPU) for {N} tickets (bound {bound}s)"
    )
    # every ticket accounted for, each source with a status and, when failed, one-line reason
    assert sorted(result.reports) == cases.load_ids(N)
    for tid, report in result.reports.items():
        names = {s["name"]: s for s in report["sources"]}
        assert set(names) == {"accounts", "orders", "alerts"}, tid
        for s in names.values():
            assert s["status"] in ("ok", "empty", "error", "timeout"), (tid, s)
            if s["status"] in ("error", "timeout"):
                assert s["error"] and "\n" not in s["error"], (tid, s)
                assert "internal error" not in s["error"], (tid, s)
    counts = result.outcomes()
    found = re.search(r"(\d+) tickets: (\d+) ok, (\d+) partial, (\d+) failed", result.summary)
    assert found, result.summary
    total, ok, partial, failed = map(int, found.groups())
    assert (total, failed) == (N, 0)
    assert ok == counts.get("ticket ok", 0) and partial == counts.get("ticket partial", 0)
    # the faults really happened, and only the tickets that met one are partial; a machine that
    # kept the run off the CPU can make deadlines pass too, but that only ever gives timeouts
    assert result.faults > 0
    assert partial > 0
    with_error = sum(
        any(s["status"] == "error" for s in report["sources"]) for report in result.reports.values()
    )
    assert with_error <= result.faults, (
        f"{with_error} tickets with an error, {result.faults} faults"
    )
    if partial > result.faults:
        assert result.queued >= 1.0, (
            f"{partial} partial tickets for {result.faults} faults, and the run was not starved "
            f"({result.wall:.1f}s wall, {result.queued:.1f}s queued for a CPU)"
        )
    assert counts.get("source ok", 0) > N  # most sources still answered
    # memory stays bounded (reported by the benchmark; generous here for CI noise)
    grew_mib = (result.rss_peak_kb - result.rss_before_kb) / 1024
    assert grew_mib < 400, f"peak RSS grew by {grew_mib:.0f} MiB"
