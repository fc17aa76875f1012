"""Which parsers earn a place in `investigate.logformats`: ours against well-kept libraries.

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

from investigate import logformats  # noqa: E402

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


def rows(n: int) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    json_lines = []
    for name in ("ecs.jsonl", "zap.jsonl", "pino.jsonl", "gcp.jsonl", "serilog.clef"):
        json_lines += (FIXTURES / name).read_bytes().splitlines()
    json_lines = (json_lines * (n // len(json_lines) + 1))[:n]
    out.append(("json.loads", f"{per_line(json.loads, json_lines):.2f} µs/line", "stdlib"))
    orjson = optional("orjson")
    if orjson:
        out.append(("orjson.loads", f"{per_line(orjson.loads, json_lines):.2f} µs/line", ""))
    else:
        out.append(("orjson.loads", "-", "not installed"))

    stamps = [
        "2026-11-24T09:13:02.120Z",
        "2026-11-24T09:13:02.120931512Z",
        "2026-11-24T10:13:02+01:00",
        "2026-11-24 09:13:02,618",
    ] * (n // 4)
    iso = [s.replace(",", ".") for s in stamps]
    out.append(
        ("datetime.fromisoformat", f"{per_line(_fromiso, iso):.2f} µs/time", "stdlib (3.11)")
    )
    out.append(("logformats.parse_time", f"{per_line(logformats.parse_time, stamps):.2f} µs/time",
                "ours: fromisoformat + UTC + zone names, CLF, epoch"))  # fmt: skip
    ciso = optional("ciso8601")
    if ciso:
        out.append(("ciso8601.parse_datetime", f"{per_line(ciso.parse_datetime, iso):.2f} µs/time",
                    ""))  # fmt: skip
    else:
        out.append(("ciso8601.parse_datetime", "-", "not installed"))
    dateutil_parser = optional("dateutil.parser")
    if dateutil_parser:
        out.append(("dateutil.parser.isoparse",
                    f"{per_line(dateutil_parser.isoparse, iso):.2f} µs/time", ""))  # fmt: skip
    else:
        out.append(("dateutil.parser.isoparse", "-", "not installed"))

    logfmt_lines = (FIXTURES / "logfmt.log").read_text().splitlines()
    logfmt_lines += [
        'at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com '
        "fwd=17.17.17.17 dyno=web.1 connect=6ms service=30001ms status=503 bytes=0"
    ]
    logfmt_lines = (logfmt_lines * (n // len(logfmt_lines) + 1))[:n]
    out.append(("logformats.kv_fields", f"{per_line(logformats.kv_fields, logfmt_lines):.2f} µs/line",
                "ours: one regex"))  # fmt: skip
    logfmt = optional("logfmt")
    if logfmt:
        out.append(("logfmt.parse_line", f"{per_line(logfmt.parse_line, logfmt_lines):.2f} µs/line",
                    "pure Python state machine"))  # fmt: skip
    else:
        out.append(("logfmt.parse_line", "-", "not installed"))
    logfmtkv = optional("logfmtkv")
    if logfmtkv:
        out.append(("logfmtkv.parse", f"{per_line(logfmtkv.parse, logfmt_lines):.2f} µs/line", ""))
    else:
        out.append(("logfmtkv.parse", "-", "not installed"))

    for path in sorted(FIXTURES.iterdir()):
        if path.name == "README.md":
            continue
        lines = path.read_bytes().splitlines(keepends=True)
        fmt = logformats.detect(lines)
        recs = list(logformats.records(lines, fmt))
        recs = (recs * (n // 10 // len(recs) + 1))[: n // 10]
        out.append((f"parse {path.name}", f"{per_line(fmt.parse, recs):.1f} µs/record", fmt.name))
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
