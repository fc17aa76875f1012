"""A large batch: `investigate batch` over N tickets cloned from the demo, offline analyst.

    .venv/bin/python benchmarks/batch_scale.py                  # 1,000 tickets
    .venv/bin/python benchmarks/batch_scale.py --tickets 100 --json

The ten demo tickets are copied into a temporary folder under new IDs (900000, 900001, ...,
ticket k is a copy of demo ticket k mod 10, same text and times), and config.example.yaml is
rewritten with absolute paths so every other connector (logs, SQLite, billing, bugs, alerts,
deploys) reads the demo's own data. The IDs go to the batch on stdin, the JSON lines to a
file. Reported: wall time, tickets per second, reports written, and the peak RSS of the batch
process itself (os.wait4's rusage for that child, so other children do not count).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples/demo"
EXE = Path(sys.executable).with_name("investigate")
FIRST_ID = 900000


def make_tickets(folder: Path, count: int) -> list[str]:
    demo = sorted((DEMO / "tickets").glob("*.json"))
    if not demo:
        raise SystemExit(f"batch_scale: no demo tickets in {DEMO / 'tickets'}")
    originals = [json.loads(p.read_text()) for p in demo]
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for k in range(count):
        ticket = dict(originals[k % len(originals)])
        new_id = str(FIRST_ID + k)
        if isinstance(ticket.get("url"), str):
            ticket["url"] = ticket["url"].rsplit("/", 1)[0] + f"/{new_id}"
        ticket["id"] = new_id
        (folder / f"{new_id}.json").write_text(json.dumps(ticket))
        ids.append(new_id)
    return ids


def _absolute(value: str) -> str:
    return value if Path(value).is_absolute() else str(ROOT / value)


def make_config(folder: Path, tickets: Path) -> Path:
    """config.example.yaml with the tickets folder replaced and every other path absolute."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    config["llm"] = {**config.get("llm", {}), "provider": "offline"}
    for name, section in config["connectors"].items():
        if name == config["ticket_source"]:
            section["path"] = str(tickets)
            continue
        if isinstance(section.get("path"), str):
            section["path"] = _absolute(section["path"])
        if isinstance(section.get("paths"), list):
            section["paths"] = [_absolute(p) for p in section["paths"]]
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_batch(config: Path, ids: list[str], out: Path, concurrency: int | None) -> dict[str, Any]:
    """Run the batch as a child; its own peak RSS from os.wait4."""
    cmd = [str(EXE), "batch", "-", "--config", str(config), "--analyst", "offline"]
    if concurrency:
        cmd += ["--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    err_path = out.with_suffix(".err")
    with out.open("wb") as stdout, err_path.open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, cwd=ROOT, env=env
        )
        assert child.stdin is not None
        child.stdin.write(("\n".join(ids) + "\n").encode())
        child.stdin.close()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4 already
    reports = 0
    analysts: set[str] = set()
    with out.open() as lines:
        for line in lines:
            report = json.loads(line)
            reports += 1
            analysts.add(str(report["analysis"]["analyst"]))
    err_lines = [ln for ln in err_path.read_text(errors="replace").splitlines() if ln.strip()]
    summary = [ln for ln in err_lines if " tickets: " in ln] or err_lines[-1:]
    return {
        "exit": child.returncode,
        "wall": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "reports": reports,
        "bytes": out.stat().st_size,
        "analysts": sorted(analysts),
        "summary": summary[:1],
    }


def measure(count: int, concurrency: int | None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="investigate-batch-") as tmp:
        folder = Path(tmp)
        ids = make_tickets(folder / "tickets", count)
        config = make_config(folder, folder / "tickets")
        result = run_batch(config, ids, folder / "reports.jsonl", concurrency)
    if result["exit"] != 0 or result["reports"] != count:
        raise SystemExit(
            f"batch_scale: batch exited {result['exit']} with {result['reports']}/{count} "
            f"reports: {' '.join(result['summary'])}"
        )
    name = f"batch {count} tickets"
    conc = f"--concurrency {concurrency}" if concurrency else "default concurrency"
    wall = result["wall"]
    return [
        _row(name, "wall", wall, "s", f"{result['reports']} reports, offline, {conc}"),
        _row(name, "per ticket", wall / count * 1000, "ms", f"{count / wall:.1f} tickets/s"),
        _row(name, "peak RSS", result["peak_rss_mb"], "MB", "the batch process (os.wait4)"),
        _row(name, "CPU time", result["cpu"], "s", f"{result['cpu'] / wall:.2f} cores busy"),
        _row(name, "output", result["bytes"] / 1e6, "MB", "JSON lines on stdout"),
    ]


def _row(benchmark: str, metric: str, value: float, unit: str, notes: str) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "notes": notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, help="passed to `investigate batch`")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = measure(max(args.tickets, 1), args.concurrency)
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f"{row['metric']:<12} {row['value']:>10} {row['unit']:<3} {row['notes']}")


if __name__ == "__main__":
    main()
