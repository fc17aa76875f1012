"""The fault-injection table on its own: every HTTP connector against every chaos scenario,
through the real CLI (`investigate ticket --format json --timeout 3s`), as tests/faults runs it.

    .venv/bin/python benchmarks/faults_table.py           # table + broken promises + memory
    .venv/bin/python benchmarks/faults_table.py --json    # the verdicts as JSON

Cells: E error, T timeout, e empty, ok; the number is how many requests the chaos server
counted (none for refused/dns); `!` marks a broken promise (listed under the table). Also
printed: the 200 MB body's tracemalloc peak and peak-RSS growth. Exit 1 if any promise broke.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "faults"), str(ROOT / "tests")]

import cases  # noqa: E402
from cases import NAMES, SKIPPED, run_all  # noqa: E402
from chaos import SCENARIOS, ChaosServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.add_argument("--workers", type=int, default=4, help="runs at once (processes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ChaosServer() as chaos:
        results = run_all(chaos, Path(tmp), args.workers)
        verdicts = [results.verdict(s, n) for s in SCENARIOS for n in NAMES]
    broken = [v for v in verdicts if v.problems]
    if args.json:
        print(json.dumps([asdict(v) for v in verdicts], indent=1))
        return 1 if broken else 0
    print(cases.table(verdicts, NAMES, list(SCENARIOS)))
    for v in broken:
        print(f"! {v.scenario} / {v.connector}: {'; '.join(v.problems)}")
    grew = (results.huge_rss_peak_kb - results.huge_rss_before_kb) / 1024
    print(
        f"200 MB body: tracemalloc peak {results.huge_traced_peak / 1e6:.1f} MB; "
        f"peak RSS +{grew:.0f} MiB (to {results.huge_rss_peak_kb / 1024:.0f} MiB)"
    )
    walls = sorted(r.wall for r in {id(r): r for r in results.runs.values()}.values())
    print(
        f"{len(NAMES)} connectors x {len(SCENARIOS)} scenarios in {results.elapsed:.1f}s; "
        f"slowest run {walls[-1]:.2f}s for a {cases.DEADLINE:g}s deadline"
    )
    for name, why in SKIPPED.items():
        print(f"skipped {name}: {why}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
