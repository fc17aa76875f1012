"""Benchmarks: startup, one demo investigation, and a 1 GB JSON-lines log scan.

    .venv/bin/python benchmarks/run.py               # everything (the log scan writes ~1 GB to a temp dir)
    .venv/bin/python benchmarks/run.py --log-gb 0.2  # a smaller log
    .venv/bin/python benchmarks/run.py --skip-log

Numbers, not assertions: run on demand and quote them side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("investigate")

SCAN = """
import asyncio, json, resource, sys, time
from datetime import datetime, timezone
from pathlib import Path
from investigate.config import load_config
from investigate.context import Context
from investigate.connector import Query
from investigate.entities import extract
from investigate.models import Ticket, Window
from connectors.log_file import LogFile

folder = Path(sys.argv[1])
cfg_path = folder / "bench.yaml"
cfg_path.write_text("connectors:\\n  logs: {type: log_file, paths: [big.jsonl]}\\n")
loaded = load_config(cfg_path, env={})
ctx = Context(config=loaded)
conn = LogFile("logs", loaded.connector_config("logs", LogFile.config_model), ctx)
ticket = Ticket(id="1", created_at="2026-11-28T12:00:00Z", subject="exports fail for acc_1042",
                description="dana@northwind.example gets ERR_EXPORT_SERIALIZE", requester={"email": "dana@northwind.example"})
window = Window(start=datetime(2026, 11, 27, 12, tzinfo=timezone.utc), end=datetime(2026, 11, 30, tzinfo=timezone.utc))
started = time.perf_counter()
result = asyncio.run(conn.collect(Query(ticket, extract(ticket), window, deadline=time.monotonic() + 3600)))
elapsed = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_mb, "patterns": len(result.evidence)}))
"""


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def write_log(path: Path, gigabytes: float) -> int:
    rng = random.Random(7)
    target = int(gigabytes * 1e9)
    services = ["api", "web", "worker", "ingest"]
    messages = [
        ("info", "GET /api/v2/dashboards/{n} 200 in {ms}ms"),
        ("info", "job {n} finished in {ms}ms"),
        ("warning", "redis connection reset, reconnecting"),
        ("error", "ERR_WEBHOOK_DELIVERY_RETRY webhook {n} returned 500"),
        ("debug", "cache hit for key dash:{n}"),
    ]
    start = 1795651200.0  # 2026-11-26 00:00 UTC: the window below covers its last part
    written = lines = 0
    with path.open("w") as handle:
        while written < target:
            chunk = []
            for _ in range(5000):
                level, template = rng.choice(messages)
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + lines * 0.05))
                account = "acc_1042" if rng.random() < 0.0005 else f"acc_{rng.randint(1000, 1999)}"
                record = {
                    "ts": f"{ts}.{lines % 1000:03d}Z",
                    "level": level,
                    "service": rng.choice(services),
                    "msg": template.format(n=rng.randint(1, 99999), ms=rng.randint(1, 900)),
                    "account_id": account,
                    "request_id": f"req_{rng.getrandbits(80):020x}",
                }
                chunk.append(json.dumps(record))
                lines += 1
            text = "\n".join(chunk) + "\n"
            handle.write(text)
            written += len(text)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--log-gb", type=float, default=1.0)
    parser.add_argument("--skip-log", action="store_true")
    args = parser.parse_args()
    rows = []
    median, best = timed([str(EXE), "--help"], args.runs)
    rows.append(("investigate --help", f"{median * 1000:.0f} ms median, {best * 1000:.0f} ms best"))
    median, best = timed([str(EXE), "version"], args.runs)
    rows.append(
        ("investigate version", f"{median * 1000:.0f} ms median, {best * 1000:.0f} ms best")
    )
    demo = [str(EXE), "ticket", "4812", "--config", "config.example.yaml", "--format", "json"]
    median, best = timed(demo, args.runs)
    rows.append(
        (
            "demo investigation (4812, offline)",
            f"{median * 1000:.0f} ms median, {best * 1000:.0f} ms best",
        )
    )
    if not args.skip_log:
        with tempfile.TemporaryDirectory(prefix="investigate-bench-") as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            lines = write_log(folder / "big.jsonl", args.log_gb)
            size = (folder / "big.jsonl").stat().st_size
            rows.append(
                (
                    f"write {size / 1e9:.2f} GB log",
                    f"{lines:,} lines in {time.perf_counter() - started:.1f} s",
                )
            )
            done = subprocess.run(
                [sys.executable, "-c", SCAN, str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            scan = json.loads(done.stdout)
            rate = size / 1e6 / scan["seconds"]
            rows.append(
                (
                    f"scan {size / 1e9:.2f} GB JSON-lines log",
                    f"{scan['seconds']:.1f} s ({rate:.0f} MB/s), peak RSS {scan['peak_rss_mb']:.0f} MB, {scan['patterns']} patterns",
                )
            )
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  result")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
