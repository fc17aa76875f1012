"""Side-by-side ratios for log scanning, batches and start-up, measured in one run.

    .venv/bin/python benchmarks/log_ratios.py                 # 50 MB log, 10/100 tickets (~1-2 min)
    .venv/bin/python benchmarks/log_ratios.py --mb 200        # a bigger log
    .venv/bin/python benchmarks/log_ratios.py --big           # the issue's sizes: 1 GB scan, 100 MB batch
    .venv/bin/python benchmarks/log_ratios.py --json

Rows (CPU seconds of the child process, from its own rusage, so other load on the machine
changes them less than wall time):

- `scan`: the `log_file` connector over the whole file (window = all of it, baseline 0) vs
  `grep -c -i -F` with the same three entity strings (alternating, best of `--scan-runs`) vs a
  Python loop that `json.loads` every line (one run). Target: product <= 4x grep.
- `window`: a 24 h window at the end of the same time-ordered file (baseline 3 d, found by
  binary search; best of `--scan-runs`, alternating with the full scans) vs the full scan.
  Target: <= 1/5.
- `batch`: `investigate batch` of 10 and 100 tickets (a file ticket source and one `log_file`
  connector on the batch log, offline analyst) vs one ticket, alternating, best of
  `--batch-runs`. Target: 100 tickets <= 3x one.
- `workers`: the largest batch (and `--workers-tickets` sizes) with `--workers 1` and
  `--workers 2`, alternating, best of `--workers-runs` (wall time: the point is using the
  second core). Target: >= 1.6x for 100 tickets.
- `demo`: `investigate ticket 4812 --config config.example.yaml --format json` (offline),
  median of 5. Target: <= 0.45 s. `help`: `investigate --help`, median of 5.

The log is written by `genlog.py` (time-ordered JSON lines over 30 days, 2 % warnings/errors,
0.05 % mention `acc_1042`); its write time is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import genlog  # noqa: E402

PY = sys.executable
EXE = str(Path(PY).with_name("investigate"))
NEEDLES = ["acc_1042", "dana@northwind.example", "err_export_serialize"]

SCAN = """
import asyncio, json, sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from investigate.config import load_config
from investigate.context import Context
from investigate.sdk.contract import Query
from investigate.evidence.entities import extract
from investigate.models import Ticket, Window
from investigate_connectors.log_file import LogFile

log, mode = Path(sys.argv[1]), sys.argv[2]
cfg = log.with_name("scan.yaml")
cfg.write_text("connectors:\\n  logs: {type: log_file, paths: [%s]}\\n" % log.name)
loaded = load_config(cfg, env={})
conn = LogFile("logs", loaded.connector_config("logs", LogFile.config_model), Context(config=loaded))
ticket = Ticket(id="1", created_at="2026-11-28T12:00:00Z", subject="exports fail for acc_1042",
                description="dana@northwind.example gets ERR_EXPORT_SERIALIZE",
                requester={"email": "dana@northwind.example"})
end = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
if mode == "full":
    window, baseline = Window(start=datetime(2000, 1, 1, tzinfo=timezone.utc), end=end), timedelta(0)
else:
    window, baseline = Window(start=end - timedelta(hours=24), end=end), timedelta(days=3)
query = Query(ticket, extract(ticket), window, deadline=time.monotonic() + 3600, baseline=baseline)
started = time.process_time()
result = asyncio.run(conn.collect(query))
print(json.dumps({"cpu": time.process_time() - started, "patterns": len(result.evidence)}))
"""

JSON_LOOP = """
import json, sys, time
started = time.process_time()
with open(sys.argv[1], "rb") as handle:
    for line in handle:
        json.loads(line)
print(json.dumps({"cpu": time.process_time() - started}))
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """CPU seconds (user+sys, the child's own rusage via wait4), wall seconds and stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:4])}: exit {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall, out


def inner(cmd: list[str]) -> float:
    """The CPU seconds a child reports for its own work (its last JSON line's `cpu`)."""
    out = run(cmd)[2]
    return float(json.loads(out.strip().splitlines()[-1])["cpu"])


def median_cpu(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    return statistics.median(run(cmd, env)[0] for _ in range(runs))


def make_tickets(folder: Path, count: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for k in range(count):
        ticket_id = str(700000 + k)
        account = "acc_1042" if k == 0 else f"acc_{1000 + k % 1000}"
        hours = k % 48  # windows spread over the last two days of the log
        created = genlog.END - hours * 3600
        (folder / f"{ticket_id}.json").write_text(
            json.dumps(
                {
                    "id": ticket_id,
                    "subject": f"Exports fail for {account}",
                    "description": f"Every export for {account} fails since this morning.",
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)),
                    "requester": {"name": "Dana", "email": f"user{k}@northwind.example"},
                }
            )
        )
        ids.append(ticket_id)
    return ids


def batch_config(folder: Path, log: Path) -> Path:
    path = folder / "batch.yaml"
    path.write_text(
        "ticket_source: tickets\n"
        "connectors:\n"
        f"  tickets: {{type: file, path: {folder / 'tickets'}}}\n"
        f"  logs: {{type: log_file, paths: [{log}]}}\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="scan log size (default 50 MB)")
    parser.add_argument(
        "--batch-mb", type=float, default=None, help="batch log size (default = --mb)"
    )
    parser.add_argument("--big", action="store_true", help="1 GB scan log, 100 MB batch log")
    parser.add_argument("--tickets", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runs", type=int, default=5, help="runs for the demo/help medians")
    parser.add_argument(
        "--workers-tickets",
        type=int,
        nargs="*",
        default=[],
        help="also time --workers 1 vs 2 on batches of these sizes (the largest --tickets always)",
    )
    parser.add_argument("--workers-runs", type=int, default=3, help="runs of each, best taken")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of each batch, best taken")
    parser.add_argument(
        "--scan-runs", type=int, default=3, help="runs of the scan, grep and window, best taken"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scan_mb = 1000.0 if args.big else args.mb
    batch_mb = 100.0 if args.big else (args.batch_mb or args.mb)
    rows: list[dict[str, Any]] = []

    def add(name: str, metric: str, value: float, note: str = "") -> None:
        rows.append({"benchmark": name, "metric": metric, "value": round(value, 3), "notes": note})
        print(f"{name:8} {metric:34} {value:10.3f}  {note}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="investigate-ratios-") as tmp:
        folder = Path(tmp)
        log = folder / "big.jsonl"
        info = genlog.write(log, scan_mb)
        size_mb = info["bytes"] / 1e6
        grep = shutil.which("grep")
        patterns = [arg for n in NEEDLES for arg in ("-e", n)]
        fulls: list[float] = []
        greps: list[float] = []
        windows: list[float] = []
        for _ in range(args.scan_runs):  # alternating, so a slower spell of the machine hits all
            fulls.append(inner([PY, "-c", SCAN, str(log), "full"]))
            if grep:
                greps.append(run([grep, "-c", "-i", "-F", *patterns, str(log)])[0])
            windows.append(inner([PY, "-c", SCAN, str(log), "window"]))
        full, window = min(fulls), min(windows)
        grep_cpu = min(greps) if greps else float("nan")
        loop = inner([PY, "-c", JSON_LOOP, str(log)])
        note = f"{size_mb:.0f} MB, {info['lines']:,.0f} lines"
        add("scan", "log_file full scan (CPU s)", full, f"{note}, best of runs")
        add("scan", "grep -c -i -F (CPU s)", grep_cpu, "same 3 entity strings, best of runs")
        add("scan", "json.loads loop (CPU s)", loop)
        add("scan", "log_file / grep", full / grep_cpu, "target <= 4")
        add("scan", "log_file / json.loads loop", full / loop)
        add("window", "24h window at the end (CPU s)", window, "baseline 3d, best of runs")
        add("window", "window / full scan", window / full, "target <= 0.2")
        # scan and loop rows are the CPU of the work itself, measured inside the child (no
        # interpreter start-up or imports); grep's start-up is negligible

        if batch_mb != scan_mb:
            log.unlink()
            genlog.write(log, batch_mb)
        ids = make_tickets(folder / "tickets", max(args.tickets))
        config = batch_config(folder, log)
        base = [EXE, "batch", "--config", str(config), "--analyst", "offline"]
        cpus: dict[int, list[float]] = {n: [] for n in (1, *args.tickets)}
        for _ in range(args.batch_runs):  # alternating, so a burst of load hits every size
            for count in cpus:
                cpus[count].append(run([*base, *ids[:count]])[0])
        one = min(cpus[1])
        add("batch", "1 ticket (CPU s)", one, f"{batch_mb:.0f} MB log, best of runs")
        for count in args.tickets:
            cpu = min(cpus[count])
            add("batch", f"{count} tickets (CPU s)", cpu, "best of runs")
            add("batch", f"{count} tickets / 1 ticket", cpu / one, "target <= 3 for 100")
        for count in sorted({max(args.tickets), *args.workers_tickets}):
            if count > len(ids):
                ids = make_tickets(folder / "tickets", count)
            many = ids[:count]
            walls: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(args.workers_runs):  # alternating, so a burst of load hits both
                for n in (1, 2):
                    walls[n].append(run([*base, "--workers", str(n), *many])[1])
            best = {n: min(w) for n, w in walls.items()}
            add("workers", f"{count} tickets --workers 1 (wall s)", best[1], "best of runs")
            add("workers", f"{count} tickets --workers 2 (wall s)", best[2], "best of runs")
            add("workers", f"{count} tickets: speed-up 2 vs 1", best[1] / best[2],
                "target >= 1.6 for 100 (2 cores, if idle)")  # fmt: skip

    demo = [
        EXE,
        "ticket",
        "4812",
        "--config",
        str(ROOT / "config.example.yaml"),
        "--format",
        "json",
        "--analyst",
        "offline",
    ]
    run(demo)  # warm the SQL cache and the page cache
    add("demo", "ticket 4812 --format json (CPU s)", median_cpu(demo, args.runs), "target <= 0.45")
    add("help", "--help (CPU s)", median_cpu([EXE, "--help"], args.runs))
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"| {r['benchmark']} | {r['metric']} | {r['value']} | {r['notes']} |")


if __name__ == "__main__":
    main()
