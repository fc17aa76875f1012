"""200 concurrent investigations in one process: `investigate batch --concurrency 50` against
APIs with seeded random latency (median 50 ms, long tail) and 5% faults (500, 429 with an
hour's Retry-After, reset mid-body, truncated JSON, stall), three connectors per ticket.

    .venv/bin/python benchmarks/load_200.py                 # 200 tickets
    .venv/bin/python benchmarks/load_200.py -n 500 --traced # + tracemalloc peak (slower)

Prints wall time, peak RSS (and its growth over the run), outcome counts per ticket and per
source, and the faults injected. Exit 1 if a ticket is missing or failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "faults"), str(ROOT / "tests")]

import cases  # noqa: E402
from chaos import ChaosServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="tickets")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--traced", action="store_true", help="also measure tracemalloc peak")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ChaosServer() as chaos:
        chaos.seed, chaos.fault_rate = args.seed, args.fault_rate
        result = cases.run_load(chaos, Path(tmp), args.n, args.concurrency, args.traced)
    missing = sorted(set(cases.load_ids(args.n)) - set(result.reports))
    print(f"{args.n} tickets, --concurrency {args.concurrency}, {args.fault_rate:.0%} faults")
    print(f"wall {result.wall:.2f}s, exit code {result.code}")
    grew = (result.rss_peak_kb - result.rss_before_kb) / 1024
    print(f"peak RSS {result.rss_peak_kb / 1024:.0f} MiB (+{grew:.0f} MiB during the run)")
    if args.traced:
        print(f"tracemalloc peak {result.traced_peak / 1e6:.1f} MB")
    print(f"faults injected: {result.faults}")
    print(f"summary: {result.summary}")
    for key, count in result.outcomes().items():
        print(f"  {key}: {count}")
    if missing:
        print(f"MISSING: {', '.join(missing[:20])}")
    return 1 if missing or result.code else 0


if __name__ == "__main__":
    sys.exit(main())
