"""Seconds from a Prometheus alert firing to a report that shows it.

    .venv/bin/python benchmarks/alert_to_report.py [--rounds 5] [--interval 1s]

Starts a real Prometheus (tests/monitoring_servers.py: basic auth, 127.0.0.1, temp folder),
then per round adds an alerting rule (`expr: vector(1)`, `for: 0s`) and reloads it (SIGHUP), and
runs `investigate ticket <id> --format json` (in-process, the same code path as the command)
in a loop until the report's evidence holds the alert. Printed per round:

    load→active   rule file reloaded → Prometheus's `activeAt` (its evaluation interval)
    active→report `activeAt` → the end of the first report that includes the alert
    report        how long one report takes (the last run)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from monitoring_servers import (  # noqa: E402
    PASSWORD,
    USER,
    Server,
    firing,
    reload,
    start_prometheus,
    wait_for,
)

from investigate.cli import run  # noqa: E402
from investigate.sdk.rows import parse_time  # noqa: E402


def rules(names: list[str], interval: str) -> dict[str, Any]:
    return {
        "groups": [
            {
                "name": "bench",
                "interval": interval,
                "rules": [
                    {
                        "alert": n,
                        "expr": "vector(1)",
                        "for": "0s",
                        "labels": {"service": "api", "severity": "critical"},
                        "annotations": {"summary": f"{n}: api failing"},
                    }
                    for n in names
                ],
            }
        ]
    }


def report(config: Path) -> tuple[dict[str, Any], float]:
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = run(["ticket", "B-1", "-c", str(config), "--format", "json"])
    if code != 0:
        raise SystemExit(f"investigate exited {code}")
    return json.loads(out.getvalue()), time.perf_counter() - started


def setup(folder: Path, prom: Server) -> Path:
    tickets = folder / "tickets"
    tickets.mkdir()
    ticket = {
        "id": "B-1",
        "subject": "API down for us",
        "description": "Every call fails.",
        "created_at": datetime.now(UTC).isoformat(),
        "requester": {"email": "dana@acme.io"},
    }
    (tickets / "B-1.json").write_text(json.dumps(ticket))
    config = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "connectors": {
            "tickets": {"type": "file", "path": str(tickets)},
            "metrics": {
                "type": "prometheus",
                "base_url": prom.url,
                "username": USER,
                "password": PASSWORD,
            },
        },
    }
    path = folder / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", default="1s", help="the rule group's evaluation interval")
    args = parser.parse_args()
    rows = []
    with (
        start_prometheus(rules=rules([], args.interval)) as prom,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = setup(Path(tmp), prom)
        report(config)  # warm up imports and the connector registry
        names: list[str] = []
        for i in range(args.rounds):
            name = f"BenchOutage{i}"
            names.append(name)
            (prom.folder / "rules.yml").write_text(yaml.safe_dump(rules(names, args.interval)))
            loaded = datetime.now(UTC)
            reload(prom)
            while True:
                body, took = report(config)
                titles = [e["title"] for e in body["evidence"]]
                if any(t.startswith(f"{name} [firing]") for t in titles):
                    done = datetime.now(UTC)
                    break
            alert = wait_for(lambda n=name: firing(prom, n), 10, name)
            active = parse_time(alert["activeAt"])
            assert active is not None
            rows.append(
                (
                    (active - loaded).total_seconds(),
                    (done - active).total_seconds(),
                    took,
                )
            )
            print(
                f"round {i + 1}: load→active {rows[-1][0]:.2f}s  active→report "
                f"{rows[-1][1]:.2f}s  report {took:.2f}s"
            )
    for label, index in (("load→active", 0), ("active→report", 1), ("one report", 2)):
        values = [r[index] for r in rows]
        print(
            f"{label:14} median {statistics.median(values):.2f}s  "
            f"min {min(values):.2f}s  max {max(values):.2f}s"
        )


if __name__ == "__main__":
    main()
