"""Run the benchmarks and print one table: benchmark | metric | value | notes.

    .venv/bin/python benchmarks/run.py                 # the core set (writes a 1 GB log, 1,000 tickets)
    .venv/bin/python benchmarks/run.py --quick         # small sizes, under two minutes
    .venv/bin/python benchmarks/run.py --only startup,fanout --json
    .venv/bin/python benchmarks/run.py --all           # plus the slower, data- or server-bound ones

Core: startup, demo, fanout, log_scan, batch_scale, prompt_tokens. With --all (or named in
--only): loghub_ga, gitbugs_recall, connector_overhead, sql_overhead, alert_to_report,
remote_logs, each run as a subprocess whose output is echoed under a heading (stderr) and whose
last line goes into the table. Progress goes to stderr; the table (or JSON) to stdout.
Numbers, not assertions: the machine may be shared and noisy, so compare numbers from one run.
See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genlog  # benchmarks/genlog.py (this script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SHARED = ROOT.parent / "shared"
PY = sys.executable
EXE = Path(PY).with_name("investigate")
DEMO_IDS = [str(n) for n in range(4812, 4822)]

Row = dict[str, Any]

SCAN = """
import asyncio, json, resource, sys, time
from datetime import datetime, timezone
from pathlib import Path
from investigate.config import load_config
from investigate.context import Context
from investigate.sdk.contract import Query
from investigate.evidence.entities import extract
from investigate.models import Ticket, Window
from investigate_connectors.log_file import LogFile

folder = Path(sys.argv[1])
cfg_path = folder / "bench.yaml"
cfg_path.write_text("connectors:\\n  logs: {type: log_file, paths: [big.jsonl]}\\n")
loaded = load_config(cfg_path, env={})
ctx = Context(config=loaded)
conn = LogFile("logs", loaded.connector_config("logs", LogFile.config_model), ctx)
ticket = Ticket(id="1", created_at="2026-11-28T12:00:00Z", subject="exports fail for acc_1042",
                description="dana@northwind.example gets ERR_EXPORT_SERIALIZE", requester={"email": "dana@northwind.example"})
window = Window(start=datetime.fromtimestamp(float(sys.argv[2]), timezone.utc), end=datetime.fromtimestamp(float(sys.argv[3]), timezone.utc))
started = time.perf_counter()
result = asyncio.run(conn.collect(Query(ticket, extract(ticket), window, deadline=time.monotonic() + 3600)))
elapsed = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_mb, "patterns": len(result.evidence)}))
"""


@dataclass
class Settings:
    runs: int
    log_gb: float
    tickets: int
    quick: bool
    timeout: float


@dataclass
class Child:
    code: int
    wall: float
    peak_rss_mb: float
    out: str
    err: str


class BenchError(Exception):
    """A benchmark could not run; the message is one line for the table."""


def row(bench: str, metric: str, value: float | str, unit: str = "", notes: str = "") -> Row:
    if isinstance(value, float):
        value = round(value, 4)
    return {"benchmark": bench, "metric": metric, "value": value, "unit": unit, "notes": notes}


def env() -> dict[str, str]:
    """The children's environment: no LLM key (everything runs offline), no colours."""
    out = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    out["NO_COLOR"] = "1"
    return out


def run_child(cmd: list[str], timeout: float, stdin: str | None = None) -> Child:
    """Run `cmd`, with its own wall time and peak RSS (os.wait4's rusage of that child only;
    RUSAGE_CHILDREN would be a running maximum over every child so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env(),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        if stdin is not None and child.stdin is not None:
            child.stdin.write(stdin.encode())
            child.stdin.close()
        expired = threading.Event()

        def stop() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        wall = time.perf_counter() - started
        if expired.is_set():
            raise BenchError(f"timed out after {timeout:g} s: {' '.join(cmd[:3])}")
        out.seek(0)
        err.seek(0)
        return Child(
            child.returncode,
            wall,
            usage.ru_maxrss / 1024,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def timed(cmd: list[str], runs: int, timeout: float) -> tuple[list[float], float]:
    walls, peak = [], 0.0
    for _ in range(runs):
        child = run_child(cmd, timeout)
        if child.code != 0:
            raise BenchError(f"exit {child.code}: {last_line(child.err)}")
        walls.append(child.wall)
        peak = max(peak, child.peak_rss_mb)
    return walls, peak


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# --- core benchmarks -------------------------------------------------------------------


def bench_startup(s: Settings) -> list[Row]:
    rows = []
    for args in (["--help"], ["version"]):
        walls, _ = timed([str(EXE), *args], s.runs, s.timeout)
        rows.append(
            row(
                "startup",
                f"investigate {args[0]}",
                statistics.median(walls) * 1000,
                "ms",
                f"median of {s.runs}, best {min(walls) * 1000:.0f} ms",
            )
        )
    return rows


def bench_demo(s: Settings) -> list[Row]:
    one = [str(EXE), "ticket", "4812", "--config", "config.example.yaml"]
    walls, peak = timed([*one, "--analyst", "offline", "--format", "json"], s.runs, s.timeout)
    batch = [
        str(EXE),
        "batch",
        *DEMO_IDS,
        "--config",
        "config.example.yaml",
        "--analyst",
        "offline",
    ]
    child = run_child(batch, s.timeout)
    reports = [line for line in child.out.splitlines() if line.startswith("{")]
    if child.code != 0 or len(reports) != len(DEMO_IDS):
        raise BenchError(f"batch exit {child.code}, {len(reports)} reports: {last_line(child.err)}")
    return [
        row(
            "demo",
            "ticket 4812 (offline, json)",
            statistics.median(walls) * 1000,
            "ms",
            f"median of {s.runs}, best {min(walls) * 1000:.0f} ms, peak RSS ~{peak:.0f} MB",
        ),
        row(
            "demo",
            f"batch {DEMO_IDS[0]}..{DEMO_IDS[-1]} (offline)",
            child.wall,
            "s",
            f"{len(reports)} reports, {child.wall / len(reports) * 1000:.0f} ms/ticket, "
            "one run, default concurrency",
        ),
    ]


def _sub_rows(script: str, args: list[str], s: Settings) -> list[Row]:
    child = run_child([PY, str(HERE / script), *args, "--json"], s.timeout)
    if child.code != 0:
        raise BenchError(f"exit {child.code}: {last_line(child.err)}")
    try:
        rows: list[Row] = json.loads(last_line(child.out))
    except json.JSONDecodeError:
        raise BenchError(f"unreadable output: {last_line(child.out)[:120]}") from None
    return rows


def bench_fanout(s: Settings) -> list[Row]:
    return _sub_rows("fanout.py", ["--runs", str(s.runs)], s)


def bench_batch_scale(s: Settings) -> list[Row]:
    rows = _sub_rows("batch_scale.py", ["--tickets", str(s.tickets)], s)
    for r in rows:
        r["benchmark"] = "batch_scale"
        r["metric"] = f"{r['metric']} ({s.tickets} tickets)"
    return rows


LOG_START = 1795651200.0  # 2026-11-26 00:00 UTC; one line every LOG_STEP seconds
LOG_STEP = 0.05
IN_WINDOW = 0.5
"""The scan's window covers the last half of the log's time span, whatever its size."""


def write_log(path: Path, gigabytes: float) -> int:
    """`genlog.py`'s log with 40 % warnings/errors (the worst case of the issue's measurements),
    one line every LOG_STEP seconds from LOG_START; the number of lines."""
    info = genlog.write(path, gigabytes * 1000, errors=0.4, step=LOG_STEP, start=LOG_START)
    return int(info["lines"])


def bench_log_scan(s: Settings) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="investigate-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        lines = write_log(folder / "big.jsonl", s.log_gb)
        written = time.perf_counter() - started
        size = (folder / "big.jsonl").stat().st_size
        end = LOG_START + lines * LOG_STEP
        window = [str(end - (end - LOG_START) * IN_WINDOW), str(end + 3600)]
        child = run_child([PY, "-c", SCAN, str(folder), *window], s.timeout)
    if child.code != 0:
        raise BenchError(f"scan exit {child.code}: {last_line(child.err)}")
    scan = json.loads(last_line(child.out))
    label = f"{size / 1e9:.2f} GB"
    return [
        row(
            "log_scan",
            f"scan {label} JSON lines",
            scan["seconds"],
            "s",
            f"{size / 1e6 / scan['seconds']:.0f} MB/s, {lines:,} lines (last {IN_WINDOW:.0%} in the "
            f"window), {scan['patterns']} patterns",
        ),
        row("log_scan", f"peak RSS ({label})", scan["peak_rss_mb"], "MB", "the scanning process"),
        row(
            "log_scan", f"write {label} log", written, "s", "generating the file (not the product)"
        ),
    ]


PROMPT_ROW = re.compile(r"^(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)x\s+(\d+)/(\d+)\s+(\d+)%")


def bench_prompt_tokens(s: Settings) -> list[Row]:
    child = run_child([PY, str(HERE / "prompt_tokens.py")], s.timeout)
    if child.code != 0:
        raise BenchError(f"exit {child.code}: {last_line(child.err)}")
    parsed = [m.groups() for line in child.out.splitlines() if (m := PROMPT_ROW.match(line))]
    if not parsed:
        raise BenchError(f"unreadable output: {last_line(child.out)[:120]}")
    packed = [int(p[1].replace(",", "")) for p in parsed]
    raw = [int(p[2].replace(",", "")) for p in parsed]
    ratios = [r / p for p, r in zip(packed, raw, strict=True)]
    share = [int(p[6]) for p in parsed]
    n = f"{len(parsed)} demo tickets"
    return [
        row("prompt_tokens", "packed prompt (median)", statistics.median(packed), "tokens",
            f"{n}, range {min(packed):,}-{max(packed):,}; estimate chars/3"),
        row("prompt_tokens", "naive prompt (median)", statistics.median(raw), "tokens",
            f"every evidence item as raw JSON, range {min(raw):,}-{max(raw):,}"),
        row("prompt_tokens", "naive / packed (median)", statistics.median(ratios), "x",
            f"range {min(ratios):.1f}-{max(ratios):.1f}x"),
        row("prompt_tokens", "cacheable share (median)", statistics.median(share), "%",
            "system prompt + tool definition"),
    ]  # fmt: skip


# --- optional: the other benchmark scripts, as subprocesses ------------------------------


Pick = Callable[[str], list[tuple[str, float, str, str]]]
"""A script's output → (metric, value, unit, notes) for the table."""

NUM = r"([\d,]+(?:\.\d+)?)"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def pick_loghub(out: str) -> list[tuple[str, float, str, str]]:
    m = re.search(r"^MEAN\s+" + r"\s+".join([NUM] * 6), out, re.M)
    if not m:
        return []
    tuned, default, product, tuned_c, _, published = (_num(g) for g in m.groups())
    notes = f"16 LogHub-2k sets; default {default:.3f}, tuned (corrected GT) {tuned_c:.3f}, published {published:.3f}"
    return [
        ("mean grouping accuracy, tuned", tuned, "", notes),
        ("mean grouping accuracy, product", product, "", "patterns.template masking + Drain"),
    ]


def pick_gitbugs(out: str) -> list[tuple[str, float, str, str]]:
    rows = []
    for method in ("baseline", "improved"):
        m = re.search(rf"^{method}\s+test\s+(\d+)\s+" + r"\s+".join([NUM] * 4), out, re.M)
        if m:
            n, r1, r5, r10, mrr = (_num(g) for g in m.groups())
            rows.append(
                (f"{method} test R@5", r5, "", f"n={n:.0f}; R@1 {r1}, R@10 {r10}, MRR {mrr}")
            )
    return rows


def pick_connector_overhead(out: str) -> list[tuple[str, float, str, str]]:
    pattern = rf"^(\w+)\s+(\d+)\s+{NUM}ms\s+{NUM}ms\s+{NUM}ms\s+{NUM}ms\s+{NUM}ms$"
    return [
        (f"{m[0]} overhead", _num(m[5]), "ms", f"{m[1]} requests, wall {m[3]} ms, server {m[4]} ms")
        for m in re.findall(pattern, out, re.M)
    ]


def pick_sql(out: str) -> list[tuple[str, float, str, str]]:
    pattern = rf"^(postgres|mysql)\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}$"
    return [
        (
            f"{m[0]} overhead per query",
            _num(m[4]),
            "ms",
            f"raw {m[1]} ms, warm {m[2]} ms, cold {m[3]} ms",
        )
        for m in re.findall(pattern, out, re.M)
    ]


def pick_alert(out: str) -> list[tuple[str, float, str, str]]:
    rows = []
    for label in ("load→active", "active→report", "one report"):
        m = re.search(rf"^{label}\s+median {NUM}s\s+min {NUM}s\s+max {NUM}s", out, re.M)
        if m:
            rows.append((f"{label} (median)", _num(m[1]), "s", f"min {m[2]} s, max {m[3]} s"))
    return rows


def pick_remote(out: str) -> list[tuple[str, float, str, str]]:
    pattern = rf"^(\w+)\s+{NUM}\s+(\d+)\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}\s+(\d+)$"
    return [
        (
            f"{m[0]} client lines/s",
            _num(m[6]),
            "",
            f"{m[1]} lines, {m[2]} requests, wall {m[3]} s, {m[7]} patterns",
        )
        for m in re.findall(pattern, out, re.M)
    ]


def script(name: str, full: list[str], quick: list[str], pick: Pick, needs_shared: bool = False) -> Callable[[Settings], list[Row]]:  # fmt: skip
    def bench(s: Settings) -> list[Row]:
        if needs_shared and not SHARED.is_dir():
            return [row(name, "skipped", "-", "", f"needs {SHARED} (the shared data folder)")]
        args = quick if s.quick else full
        child = run_child([PY, str(HERE / f"{name}.py"), *args], s.timeout)
        heading = f"==== {name} {' '.join(args)} (exit {child.code}, {child.wall:.1f} s) ===="
        print(heading, child.out.rstrip(), sep="\n", file=sys.stderr)
        if child.code != 0:
            raise BenchError(f"exit {child.code}: {last_line(child.err or child.out)[:160]}")
        picked = [row(name, *p) for p in pick(child.out)]
        if not picked:  # the script's format changed: keep its last line
            picked = [row(name, "last line", "-", "", last_line(child.out)[:160])]
        return [*picked, row(name, "wall", child.wall, "s", " ".join(args) or "default sizes")]

    return bench


def pick_ratios(out: str) -> list[tuple[str, float, str, str]]:
    """log_ratios.py --json: its last line is the list of rows."""
    rows = json.loads(last_line(out))
    return [(f"{r['benchmark']}: {r['metric']}", r["value"], "", r["notes"]) for r in rows]


CORE: dict[str, Callable[[Settings], list[Row]]] = {
    "startup": bench_startup,
    "demo": bench_demo,
    "fanout": bench_fanout,
    "log_scan": bench_log_scan,
    "batch_scale": bench_batch_scale,
    "prompt_tokens": bench_prompt_tokens,
    # side by side: log_file vs grep vs json.loads, window vs full scan, batch vs one ticket,
    # --workers 2 vs 1, demo ticket and --help CPU (issue 17's targets)
    "log_ratios": script(
        "log_ratios",
        ["--big", "--workers-tickets", "1000", "--json"],
        "--mb 50 --runs 3 --batch-runs 1 --workers-runs 1 --scan-runs 1 --json".split(),
        pick_ratios,
    ),
}
OPTIONAL: dict[str, Callable[[Settings], list[Row]]] = {
    "loghub_ga": script("loghub_ga", [], [], pick_loghub, needs_shared=True),
    "gitbugs_recall": script("gitbugs_recall", [], [], pick_gitbugs, needs_shared=True),
    "connector_overhead": script("connector_overhead", [], ["--runs", "3"], pick_connector_overhead),
    "sql_overhead": script("sql_overhead", [], ["--runs", "20"], pick_sql),
    "alert_to_report": script("alert_to_report", [], ["--rounds", "1"], pick_alert),
    "remote_logs": script("remote_logs", [], ["--lines", "10000", "--baseline", "2000", "--runs", "1"], pick_remote),
}  # fmt: skip
ALL = {**CORE, **OPTIONAL}


def fmt_value(r: Row) -> str:
    value, unit = r["value"], r["unit"]
    if isinstance(value, float):
        if unit == "x" or abs(value) < 1:
            text = f"{value:,.3f}"
        else:
            text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()  # fmt: skip


def table(rows: list[Row]) -> str:
    head = ("benchmark", "metric", "value", "notes")
    cells = [(r["benchmark"], r["metric"], fmt_value(r), r["notes"]) for r in rows]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(3)]
    lines = []
    for c in [head, *cells]:
        lines.append(f"{c[0]:<{widths[0]}} | {c[1]:<{widths[1]}} | {c[2]:>{widths[2]}} | {c[3]}")
        if c is head:
            lines.append("-+-".join("-" * w for w in [*widths, 5]))
    return "\n".join(lines)


def select(only: str | None, everything: bool) -> list[str]:
    if not only:
        return list(ALL if everything else CORE)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL]
    if unknown:
        raise SystemExit(f"run.py: unknown benchmark {', '.join(unknown)}; choose from {', '.join(ALL)}")  # fmt: skip
    return names


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: done in < 2 minutes")
    parser.add_argument("--all", action="store_true", help="also the optional benchmarks")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"some of: {', '.join(ALL)}")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--runs", type=int, help="repeats for medians (default 5, quick 3)")
    parser.add_argument("--log-gb", type=float, help="log_scan size (default 1.0, quick 0.05)")
    parser.add_argument("--tickets", type=int, help="batch_scale size (default 1000, quick 100)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark step")
    args = parser.parse_args()
    settings = Settings(
        runs=max(args.runs or (3 if args.quick else 5), 1),
        log_gb=args.log_gb if args.log_gb is not None else 0.05 if args.quick else 1.0,
        tickets=max(args.tickets or (100 if args.quick else 1000), 1),
        quick=args.quick,
        timeout=args.timeout,
    )
    if not EXE.exists():
        raise SystemExit(f"run.py: {EXE} not found; run `pip install -e .` in the venv first")
    rows: list[Row] = []
    failed = 0
    for name in select(args.only, args.all):
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            rows += ALL[name](settings)
        except (BenchError, SystemExit, OSError, ValueError, KeyError) as exc:
            failed += 1
            rows.append(row(name, "error", "failed", "", str(exc).splitlines()[0][:200]))
        print(f"    {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    meta = {
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "quick": settings.quick,
        "runs": settings.runs,
    }
    if args.json:
        print(json.dumps({"environment": meta, "rows": rows}, indent=1))
    else:
        print(table(rows))
        print(", ".join(f"{k} {v}" for k, v in meta.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
