"""Lines scanned per second through the remote log connectors, against their loopback fakes.

    .venv/bin/python benchmarks/remote_logs.py                    # loki, elasticsearch, datadog_logs
    .venv/bin/python benchmarks/remote_logs.py --lines 100000 --baseline 20000 loki

Each case starts the connector's fake in its own (spawned) process, so the fake's Python work
does not compete with the connector for the GIL, and seeds `--lines` error-level lines spread
over a one-hour window (1 % of them mention the ticket's account) plus `--baseline` error lines
in the day before. The connector then runs its three queries (entity matches, window errors,
baseline errors) paging at its largest page size: Loki 5000 (its default entry limit),
Elasticsearch 5000, Datadog 1000 (the API's maximum). Reported per case (median of `--runs`):

- `lines`: entries the connector received and fed to the pattern grouper (duplicates included);
- `requests`, `wall` (the connector's elapsed time), `server` (time the fake spent answering);
- `lines/s` = lines / wall, and `client lines/s` = lines / (wall - server): the connector's
  own throughput (HTTP client, JSON decoding, parsing, masking, Drain) without the fake's work;
- `patterns` and `peak RSS` of the benchmark process after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fakes live in tests/fakes

from investigate.context import Context  # noqa: E402
from investigate.evidence.entities import extract  # noqa: E402
from investigate.models import Person, Ticket, Window  # noqa: E402
from investigate.sdk.contract import Connector, Query  # noqa: E402
from investigate.sdk.remote_logs import RemoteScan  # noqa: E402

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
KEY = "bench-key-0123456789"
TEMPLATES = [
    "payment error for {acct}: ERR_CARD_DECLINED after {ms}ms",
    "export job {job} error: ERR_EXPORT_SERIALIZE row {n}",
    "upstream timeout error calling billing-svc after {ms}ms",
    "db error: deadlock detected on table orders (tx {job})",
    "error rendering invoice {inv} for {acct}",
    "cache error: connection reset by peer host 10.0.{n}.7:6379",
    "webhook delivery error to https://hooks.example.com/{job} status 503",
    "auth error: token expired for user usr_{n}",
]


def messages(count: int, seed: int, hot: float) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        acct = "acc_1042" if rng.random() < hot else f"acc_{rng.randint(2000, 9999)}"
        text = rng.choice(TEMPLATES).format(
            acct=acct, ms=rng.randint(5, 5000), job=f"job_{i:06d}", n=rng.randint(1, 500),
            inv=f"in_{rng.randint(10**6, 10**7)}",
        )  # fmt: skip
        out.append(text if acct in text else f"{text} ({acct})")
    return out


def times(count: int, start: datetime, end: datetime) -> list[datetime]:
    step = (end - start) / max(count, 1)
    return [start + step * i for i in range(count)]


def seed_loki(lines: int, baseline: int) -> tuple[Any, dict[str, Any]]:
    from fakes.loki import FakeLoki  # type: ignore[import-not-found, unused-ignore]

    fake = FakeLoki(tenant="acme").start()
    labels = {"app": "api", "level": "error"}
    for ts, text in zip(times(lines, START, END), messages(lines, 1, 0.01), strict=True):
        fake.add(labels, int(ts.timestamp() * 1e9), text)
    for ts, text in zip(times(baseline, START - timedelta(hours=24), START),
                        messages(baseline, 2, 0.0), strict=True):  # fmt: skip
        fake.add(labels, int(ts.timestamp() * 1e9), text)
    section = {"type": "loki", "base_url": fake.url, "selector": '{app="api"}', "tenant": "acme",
               "page_size": 5000}  # fmt: skip
    return fake, section


def seed_es(lines: int, baseline: int) -> tuple[Any, dict[str, Any]]:
    from fakes.elasticsearch import FakeElasticsearch  # type: ignore[import-not-found, unused-ignore]

    fake = FakeElasticsearch(api_key=KEY, validate=False).start()

    def add(ts: datetime, text: str) -> None:
        iso = ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        fake.add("logs-1", {"@timestamp": iso, "message": text, "log": {"level": "error"},
                            "service": {"name": "api"}})  # fmt: skip

    for ts, text in zip(times(lines, START, END), messages(lines, 1, 0.01), strict=True):
        add(ts, text)
    for ts, text in zip(times(baseline, START - timedelta(hours=24), START),
                        messages(baseline, 2, 0.0), strict=True):  # fmt: skip
        add(ts, text)
    section = {"type": "elasticsearch", "base_url": fake.url, "index": "logs-*", "api_key": KEY,
               "page_size": 5000}  # fmt: skip
    return fake, section


def seed_datadog(lines: int, baseline: int) -> tuple[Any, dict[str, Any]]:
    from fakes.datadog import FakeDatadog  # type: ignore[import-not-found, unused-ignore]

    fake = FakeDatadog(api_key=KEY, app_key=KEY, validate=False).start()
    for ts, text in zip(times(lines, START, END), messages(lines, 1, 0.01), strict=True):
        fake.add(ts, text, status="error")
    for ts, text in zip(times(baseline, START - timedelta(hours=24), START),
                        messages(baseline, 2, 0.0), strict=True):  # fmt: skip
        fake.add(ts, text, status="error")
    section = {"type": "datadog_logs", "base_url": fake.url, "api_key": KEY, "app_key": KEY,
               "query": "service:api", "page_size": 1000}  # fmt: skip
    return fake, section


CASES: dict[str, Callable[[int, int], tuple[Any, dict[str, Any]]]] = {
    "loki": seed_loki,
    "elasticsearch": seed_es,
    "datadog_logs": seed_datadog,
}


def serve(name: str, lines: int, baseline: int, conn: Connection) -> None:
    fake, section = CASES[name](lines, baseline)
    conn.send(section)
    while conn.recv() == "stats":
        conn.send((len(fake.requests), sum(fake.busy)))
        fake.requests.clear()
        fake.busy.clear()
    fake.stop()


def build(section: dict[str, Any]) -> Connector[Any]:
    from investigate import registry

    cls = registry.discover().types[section["type"]]
    limits = {"max_lines": 10**7, "max_baseline_lines": 10**7, "max_bytes": 10**10,
              "max_pages": 10_000, "max_response_bytes": 200_000_000}  # fmt: skip
    config = cls.config_model.model_validate({**section, **limits})
    return cls("bench", config, Context())


async def one_run(connector: Connector[Any]) -> tuple[float, int, int]:
    ticket = Ticket(id="1", subject="payments fail", description="acc_1042 cannot pay",
                    requester=Person(email="dana@acme.io"), created_at=END)  # fmt: skip
    query = Query(
        ticket, extract(ticket), Window(start=START, end=END), deadline=time.monotonic() + 600
    )
    seen = [0]
    original = RemoteScan.add_page

    def counting(self: RemoteScan, entries: list[Any], phase: Any) -> bool:
        seen[0] += len(entries)
        return original(self, entries, phase)

    RemoteScan.add_page = counting  # type: ignore[method-assign]
    try:
        began = time.perf_counter()
        out = await connector.collect(query)
        wall = time.perf_counter() - began
    finally:
        RemoteScan.add_page = original  # type: ignore[method-assign]
    return wall, seen[0], len(out.evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help=f"some of {', '.join(CASES)} (default: all)")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.cases = args.cases or list(CASES)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    ctx = multiprocessing.get_context("spawn")
    print(f"{args.lines:,} window lines + {args.baseline:,} baseline lines, median of {args.runs}")
    header = f"{'case':<14}{'lines':>9}{'requests':>10}{'wall s':>9}{'server s':>10}"
    print(header + f"{'lines/s':>10}{'client lines/s':>16}{'patterns':>10}")
    for name in args.cases:
        ours, theirs = ctx.Pipe()
        child = ctx.Process(target=serve, args=(name, args.lines, args.baseline, theirs))
        child.start()
        try:
            connector = build(ours.recv())
            runs = []
            for _ in range(args.runs):
                wall, lines, patterns = asyncio.run(one_run(connector))
                ours.send("stats")
                requests, server = ours.recv()
                runs.append((wall, lines, patterns, requests, server))
            wall, lines, patterns, requests, server = sorted(runs)[len(runs) // 2]
            client = lines / max(wall - server, 1e-9)
            print(
                f"{name:<14}{lines:>9,}{requests:>10}{wall:>9.2f}{server:>10.2f}"
                f"{lines / wall:>10,.0f}{client:>16,.0f}{patterns:>10}"
            )
        finally:
            ours.send("stop")
            child.join(timeout=30)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
