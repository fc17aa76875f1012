"""Which parsers earn a place in `investigate.sdk.logformats`: ours against well-kept libraries.

    .venv/bin/python benchmarks/log_parsers.py [--lines 20000]

Times, per line, on lines built from tests/fixtures/logformats (written from each format's
documentation): JSON decoding (`json` vs `orjson`), ISO 8601 times (`datetime.fromisoformat` and
our `parse_time` vs `ciso8601` and `dateutil.parser.isoparse`), logfmt (our regex vs the `logfmt`
and `logfmtkv` packages), and a whole `LogFormat.parse` per format. A library that is not
installed is reported as such (install it in a scratch environment to compare). Numbers, not
assertions: compare rows of one run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from investigate.sdk import logformats  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "logformats"


def per_line(fn: Callable[[Any], object], items: list[Any]) -> float:
    """Best of three, microseconds per item."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def import_cost(module: str) -> str:
    if module in sys.modules:
        return "already imported"
    start = time.perf_counter()
    try:
        importlib.import_module(module)
    except ImportError:
        return "not installed"
    return f"{(time.perf_counter() - start) * 1000:.1f} ms import"


def measured(label: str, fn: Callable[[Any], object] | None, items: list[Any], unit: str,
             note: str = "") -> tuple[str, str, str]:  # fmt: skip
    """One table row; `fn` None means its library is not installed."""
    if fn is None:
        return (label, "-", "not installed")
    return (label, f"{per_line(fn, items):.2f} µs/{unit}", note)


def library(module: str, attribute: str) -> Callable[[Any], object] | None:
    found = optional(module)
    return getattr(found, attribute) if found is not None else None


def cycle(items: list[Any], n: int) -> list[Any]:
    return (items * (n // len(items) + 1))[:n]


def rows(n: int) -> list[tuple[str, str, str]]:
    json_lines: list[bytes] = []
    for name in ("ecs.jsonl", "zap.jsonl", "pino.jsonl", "gcp.jsonl", "serilog.clef"):
        json_lines += (FIXTURES / name).read_bytes().splitlines()
    json_lines = cycle(json_lines, n)
    stamps = cycle(
        [
            "2026-11-24T09:13:02.120Z",
            "2026-11-24T09:13:02.120931512Z",
            "2026-11-24T10:13:02+01:00",
            "2026-11-24 09:13:02,618",
        ],
        n,
    )
    iso = [s.replace(",", ".") for s in stamps]
    logfmt_lines = (FIXTURES / "logfmt.log").read_text().splitlines()
    logfmt_lines += [
        'at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com '
        "fwd=17.17.17.17 dyno=web.1 connect=6ms service=30001ms status=503 bytes=0"
    ]
    logfmt_lines = cycle(logfmt_lines, n)
    out = [
        measured("json.loads", json.loads, json_lines, "line", "stdlib"),
        measured("orjson.loads", library("orjson", "loads"), json_lines, "line"),
        measured("datetime.fromisoformat", _fromiso, iso, "time", "stdlib (3.11)"),
        measured(
            "logformats.parse_time",
            logformats.parse_time,
            stamps,
            "time",
            "ours: fromisoformat + UTC + zone names, CLF, epoch",
        ),
        measured("ciso8601.parse_datetime", library("ciso8601", "parse_datetime"), iso, "time"),
        measured("dateutil.parser.isoparse", library("dateutil.parser", "isoparse"), iso, "time"),
        measured("logformats.kv_fields", logformats.kv_fields, logfmt_lines, "line", "ours"),
        measured("logfmt.parse_line", library("logfmt", "parse_line"), logfmt_lines, "line"),
        measured("logfmtkv.parse", library("logfmtkv", "parse"), logfmt_lines, "line"),
    ]
    for path in sorted(FIXTURES.iterdir()):
        if path.name == "README.md":
            continue
        lines = path.read_bytes().splitlines(keepends=True)
        fmt = logformats.detect(lines)
        recs = cycle(list(logformats.records(lines, fmt)), max(n // 10, 1))
        out.append(measured(f"parse {path.name}", fmt.parse, recs, "record", fmt.name))
    return out


def _fromiso(text: str) -> object:
    from datetime import datetime

    return datetime.fromisoformat(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    print("| parser | cost | notes |\n|---|---|---|")
    for module in ("orjson", "ciso8601", "dateutil.parser", "logfmt"):
        print(f"| import {module} | {import_cost(module)} | |")
    for name, value, note in rows(args.lines):
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
