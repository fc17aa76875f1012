#!/usr/bin/env python3
"""Write tests/slow_tests.txt: the test functions that make the quick loop slow.

    python scripts/slow_tests.py                    # runs the quick loop with --durations=0
    python scripts/slow_tests.py durations.log      # or reads a log of such a run
    python scripts/slow_tests.py --threshold 0.3

A test function is listed when its setup, call and teardown, summed over all its parameter
sets, take at least THRESHOLD seconds. `tests/conftest.py` marks the listed functions `slow`,
beside the ones marked for what they are (real servers, subprocesses, Chromium). Rerun it when
`pytest -m "not slow"` creeps past a minute; the list only ever speeds up the quick loop, the
plain `pytest` runs every test whatever it says.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "slow_tests.txt"
LINE = re.compile(r"^\s*([\d.]+)s (?:call|setup|teardown)\s+(\S+)")
HEADER = """\
# Test functions slower than {threshold:g}s in total, marked `slow` by tests/conftest.py so that
# `pytest -m "not slow"` stays a quick loop. Written by scripts/slow_tests.py; do not edit by hand.
"""


def durations(log: str) -> dict[str, float]:
    per: dict[str, float] = defaultdict(float)
    for line in log.splitlines():
        if m := LINE.match(line):
            per[m.group(2).split("[", 1)[0]] += float(m.group(1))
    return per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("log", nargs="?", type=Path, help="output of pytest --durations=0")
    parser.add_argument("--threshold", type=float, default=0.3, help="seconds (default 0.3)")
    args = parser.parse_args()
    if args.log is not None:
        text = args.log.read_text(encoding="utf-8")
    else:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-m",
                "not slow",
                "-q",
                "-p",
                "no:cacheprovider",
                "--durations=0",
                "--durations-min=0.01",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        text = run.stdout
    per = durations(text)
    if not per:
        print("no durations found: give the output of `pytest --durations=0`", file=sys.stderr)
        return 1
    slow = sorted(
        name
        for name, seconds in per.items()
        if seconds >= args.threshold and not name.startswith("tests/faults/")
    )
    OUT.write_text(HEADER.format(threshold=args.threshold) + "".join(f"{n}\n" for n in slow))
    print(f"{len(slow)} test functions of {len(per)} timed written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
