"""Fan-out overhead: 12 fake connectors whose latencies run from 50 ms to 800 ms.

    .venv/bin/python benchmarks/fanout.py            # 5 runs in-process + 5 CLI runs
    .venv/bin/python benchmarks/fanout.py --runs 9 --json

A tiny connector type (`bench_sleep`, defined here) is registered the way pip would register a
plugin: a throwaway `*.dist-info` with an `investigate.connectors.v1` entry point on sys.path
(for the CLI runs: on PYTHONPATH). Each instance sleeps its latency and returns `--items` log
evidence items, so ranking and the offline analyst have real work. Tickets come from the demo
(`file` connector). Reported, medians over `--runs`:

- `in-process`: `investigate()` (fetch, fan-out, rank, offline analysis), one fresh Context per
  run, after one warm-up run; `ratio = wall / slowest latency` (goal <= 1.1);
- `zero latency`: the same 12 connectors with no sleep: the pipeline's own cost;
- `cli`: `investigate ticket 4812 --analyst offline --format json` as a subprocess, so the ratio
  includes interpreter start-up and imports;
- `sequential`: the sum of the latencies, what a one-at-a-time client would wait.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from investigate.sdk.contract import Collected, Connector, ConnectorConfig, Query

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
EXE = Path(sys.executable).with_name("investigate")
COUNT = 12
FASTEST, SLOWEST = 0.05, 0.8
LATENCIES = [FASTEST + i * (SLOWEST - FASTEST) / (COUNT - 1) for i in range(COUNT)]
TICKET = "4812"


class SleepConfig(ConnectorConfig):
    delay: float = 0.0
    items: int = 5


class Sleep(Connector[SleepConfig]):
    """Sleeps `delay` seconds, then returns `items` log evidence items."""

    type_name = "bench_sleep"
    config_model = SleepConfig
    description = "Benchmark connector: a fixed latency (benchmarks/fanout.py)"
    read_only_by = "reads nothing"

    async def collect(self, query: Query) -> Collected:
        from investigate.models import Evidence

        await asyncio.sleep(self.config.delay)
        when = query.ticket.created_at - timedelta(minutes=5)
        words = sorted(query.entities.matchable())
        evidence = [
            Evidence(
                source=self.name,
                kind="log",
                timestamp=when - timedelta(minutes=i),
                title=f"{self.name} line {i}: {words[i % len(words)] if words else 'nothing'}",
                detail="x" * 200,
                query=f"sleep {self.config.delay:.3f}",
            )
            for i in range(self.config.items)
        ]
        return Collected(evidence=evidence)


def register(site: Path) -> None:
    """Write the fake distribution into `site`; the caller puts `site` and HERE on sys.path."""
    dist = site / "investigate_bench-0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: investigate-bench\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[investigate.connectors.v1]\nbench_sleep = fanout:Sleep\n"
    )


def write_config(folder: Path, latencies: list[float], items: int) -> Path:
    connectors: dict[str, Any] = {
        "tickets": {"type": "file", "path": str(ROOT / "examples/demo/tickets")}
    }
    for i, delay in enumerate(latencies):
        connectors[f"slow{i + 1:02d}"] = {"type": "bench_sleep", "delay": delay, "items": items}
    config = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "60s", "connector_timeout": "30s"},
        "connectors": connectors,
    }
    path = folder / f"fanout-{len(latencies)}-{max(latencies):.2f}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def in_process(configs: list[Path], runs: int) -> tuple[list[list[float]], int]:
    """Wall times of `investigate()` per config, runs interleaved (the machine is noisy), and
    the slowest source's elapsed_ms inside the pipeline for the first config."""
    from investigate.config import load_config
    from investigate.context import Context
    from investigate.options import RunOptions
    from investigate.pipeline import investigate

    walls: list[list[float]] = [[] for _ in configs]
    slowest_ms = 0
    for i in range(runs + 1):
        for k, config in enumerate(configs):
            ctx = Context(config=load_config(config))
            started = time.perf_counter()
            options = RunOptions(ticket_id=TICKET, analyst="offline")
            report = asyncio.run(investigate(ctx, options))
            wall = time.perf_counter() - started
            bench = [s for s in report.sources if s.type == "bench_sleep"]
            if len(bench) != COUNT or any(s.status != "ok" for s in bench):
                raise SystemExit(f"fanout: a fake connector did not answer: {bench}")
            if k == 0:
                slowest_ms = max(s.elapsed_ms for s in bench)
            if i:  # the first round warms imports and caches
                walls[k].append(wall)
    return walls, slowest_ms


def cli(configs: list[Path], site: Path, runs: int) -> list[list[float]]:
    """Wall times of the `investigate ticket` subprocess per config, runs interleaved."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(HERE)])}
    env.pop("ANTHROPIC_API_KEY", None)
    walls: list[list[float]] = [[] for _ in configs]
    for _ in range(runs):
        for k, config in enumerate(configs):
            cmd = [str(EXE), "ticket", TICKET, "--config", str(config), "--analyst", "offline"]
            started = time.perf_counter()
            done = subprocess.run(
                [*cmd, "--format", "json"], capture_output=True, text=True, env=env, cwd=ROOT
            )
            walls[k].append(time.perf_counter() - started)
            if done.returncode != 0:
                tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
                raise SystemExit(f"fanout: the CLI failed ({done.returncode}): {tail[0]}")
    return walls


def measure(runs: int, items: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="investigate-fanout-") as tmp:
        folder = Path(tmp)
        site = folder / "site"
        register(site)
        sys.path[:0] = [str(site), str(HERE)]
        from investigate import registry

        registry.discover(refresh=True)
        if "bench_sleep" not in registry.discover().types:
            raise SystemExit(f"fanout: bench_sleep not registered: {registry.discover().broken}")
        slow = write_config(folder, LATENCIES, items)
        fast = write_config(folder, [0.0] * COUNT, items)
        (walls, zero), slowest_ms = in_process([slow, fast], runs)
        cli_walls, cli_zero = cli([slow, fast], site, runs)
    wall, base = statistics.median(walls), statistics.median(zero)
    cli_wall, cli_base = statistics.median(cli_walls), statistics.median(cli_zero)
    latencies = (
        f"{COUNT} connectors, {FASTEST * 1000:.0f}-{SLOWEST * 1000:.0f} ms, {items} items each"
    )
    return [
        _row("wall / slowest (in-process)", wall / SLOWEST, "x", f"goal <= 1.1; {latencies}"),
        _row("wall (in-process)", wall * 1000, "ms", f"median of {runs}, best {min(walls) * 1000:.0f} ms"),
        _row("overhead over slowest (in-process)", (wall - SLOWEST) * 1000, "ms", f"slowest source took {slowest_ms} ms inside the pipeline"),
        _row("wall, zero latency (in-process)", base * 1000, "ms", "same 12 connectors, no sleep: pipeline cost"),
        _row("wall / slowest (CLI)", cli_wall / SLOWEST, "x", f"subprocess, includes start-up; median {cli_wall * 1000:.0f} ms"),
        _row("wall, zero latency (CLI)", cli_base * 1000, "ms", "start-up + imports + pipeline"),
        _row("sequential sum of latencies", sum(LATENCIES) * 1000, "ms", "what a one-at-a-time client would wait"),
    ]  # fmt: skip


def _row(metric: str, value: float, unit: str, notes: str) -> dict[str, Any]:
    return {
        "benchmark": "fanout",
        "metric": metric,
        "value": round(value, 3 if unit == "x" else 1),
        "unit": unit,
        "notes": notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=5, help="evidence items per connector")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = measure(max(args.runs, 1), max(args.items, 0))
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f"{row['metric']:<36} {row['value']:>9} {row['unit']:<3} {row['notes']}")


if __name__ == "__main__":
    main()
