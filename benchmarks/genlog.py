"""Write a time-ordered JSON-lines log for the scan benchmarks.

    .venv/bin/python benchmarks/genlog.py OUT.jsonl --mb 200 [--span-days 30] [--errors 0.02]

One line per step of log time (the step is chosen so the lines cover `--span-days`), ending at
`--end` (default 2026-11-28T12:00Z). `--errors` is the share of warning and error lines (real
services log a few percent; the old `log_scan` generator used 40 %), `--hits` the share of lines
that mention the benchmark ticket's account `acc_1042`. Prints one JSON line: lines, bytes, first
and last timestamp (epoch seconds). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

END = 1795867200.0  # 2026-11-28T12:00:00Z
ENTITY = "acc_1042"
LINE_BYTES = 183  # about; used to pick the time step


def write(
    path: Path,
    megabytes: float,
    *,
    span_days: float = 30.0,
    errors: float = 0.02,
    hits: float = 0.0005,
    end: float = END,
    seed: int = 7,
    step: float | None = None,
    start: float | None = None,
) -> dict[str, float]:
    """Write the log; `step` (seconds between lines) and `start` override the span and end."""
    rng = random.Random(seed)
    target = int(megabytes * 1e6)
    total_lines = max(1, target // LINE_BYTES)
    step = step if step is not None else span_days * 86400 / total_lines
    start = start if start is not None else end - total_lines * step
    services = ["api", "web", "worker", "ingest"]
    quiet = [
        ("info", "GET /api/v2/dashboards/{n} 200 in {ms}ms"),
        ("info", "job {n} finished in {ms}ms"),
        ("debug", "cache hit for key dash:{n}"),
    ]
    loud = [
        ("warning", "redis connection reset, reconnecting"),
        ("error", "ERR_WEBHOOK_DELIVERY_RETRY webhook {n} returned 500"),
    ]
    written = lines = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            chunk = []
            for _ in range(5000):
                level, msg = rng.choice(loud) if rng.random() < errors else rng.choice(quiet)
                now = start + lines * step
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                account = ENTITY if rng.random() < hits else f"acc_{rng.randint(1000, 1999)}"
                record = {
                    "ts": f"{ts}.{int(now * 1000) % 1000:03d}Z",
                    "level": level,
                    "service": rng.choice(services),
                    "msg": msg.format(n=rng.randint(1, 99999), ms=rng.randint(1, 900)),
                    "account_id": account,
                    "request_id": f"req_{rng.getrandbits(80):020x}",
                }
                chunk.append(json.dumps(record))
                lines += 1
            text = "\n".join(chunk) + "\n"
            handle.write(text)
            written += len(text)
    return {"lines": lines, "bytes": written, "first": start, "last": start + (lines - 1) * step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mb", type=float, default=50.0, help="size in MB (default 50)")
    parser.add_argument("--span-days", type=float, default=30.0)
    parser.add_argument("--errors", type=float, default=0.02, help="share of warning/error lines")
    parser.add_argument("--hits", type=float, default=0.0005, help="share mentioning acc_1042")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    info = write(
        args.out,
        args.mb,
        span_days=args.span_days,
        errors=args.errors,
        hits=args.hits,
        seed=args.seed,
    )
    sys.stdout.write(json.dumps(info) + "\n")


if __name__ == "__main__":
    main()
