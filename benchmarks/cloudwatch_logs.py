"""Lines per second through the `cloudwatch_logs` connector against moto's server.

    .venv/bin/python benchmarks/cloudwatch_logs.py                        # 100k + 20k lines
    .venv/bin/python benchmarks/cloudwatch_logs.py --lines 20000 --baseline 5000 --runs 1
    .venv/bin/python benchmarks/cloudwatch_logs.py --insights             # Logs Insights mode

moto runs in its own (spawned) process, so its Python work does not compete with the connector
for the GIL; that process also seeds, with PutLogEvents, `--lines` error lines over a one-hour
window (1 % mention the ticket's account) and `--baseline` error lines in the day before
(moto keeps 14 days, so the window ends an hour ago). The connector runs its three searches
(entity matches, window errors, baseline errors) at the API's largest page (10 000 events).
moto treats the entity search's `?"a" ?"b"` as "everything", so the connector receives the
window twice and drops the non-matching copy itself: the worst case for the client side.

Reported (median of `--runs`): `lines` fed to the pattern grouper, `received` events in the
API replies (before the connector's own entity/level check), `calls` (API requests), `wall`, `in calls`
(time inside boto3 calls: signing, HTTP, moto's work, JSON parsing), `lines/s` = lines / wall
and `received/s` = received / wall, `patterns`, and the peak RSS of the benchmark process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fakes live in tests/fakes

from investigate.context import Context  # noqa: E402
from investigate.evidence.entities import extract  # noqa: E402
from investigate.models import Person, Ticket, Window  # noqa: E402
from investigate.sdk.remote_logs import RemoteScan  # noqa: E402
from investigate_connectors.cloudwatch_logs import CloudWatchLogs  # noqa: E402

END = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
START = END - timedelta(hours=1)
GROUP = "/ecs/api"
TEMPLATES = [
    "ERROR payment error for {acct}: ERR_CARD_DECLINED after {ms}ms",
    "ERROR export job {job} failed: ERR_EXPORT_SERIALIZE row {n}",
    "ERROR upstream timeout calling billing-svc after {ms}ms",
    '{{"level": "error", "msg": "db deadlock on table orders", "tx": "{job}", "account": "{acct}"}}',
    "ERROR rendering invoice in_{n} for {acct}",
    "ERROR cache connection reset by peer host 10.0.{n}.7:6379",
    "ERROR webhook delivery to https://hooks.example.com/{job} status 503",
    "ERROR auth token expired for user usr_{n}",
]


def messages(count: int, seed: int, hot: float) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        acct = "acc_1042" if rng.random() < hot else f"acc_{rng.randint(2000, 9999)}"
        text = rng.choice(TEMPLATES).format(
            acct=acct, ms=rng.randint(5, 5000), job=f"job_{i:06d}", n=rng.randint(1, 500)
        )
        out.append(text if acct in text else f"{text} ({acct})")
    return out


def spread(count: int, start: datetime, end: datetime) -> list[datetime]:
    step = (end - start) / max(count, 1)
    return [start + step * i for i in range(count)]


def serve(lines: int, baseline: int, conn: Connection) -> None:
    from fakes.cloudwatch import CREDENTIALS, MotoLogs  # type: ignore[import-not-found, unused-ignore]

    os.environ.update(CREDENTIALS)
    with MotoLogs() as moto:
        window = zip(spread(lines, START, END), messages(lines, 1, 0.01), strict=True)
        before = zip(
            spread(baseline, START - timedelta(hours=24), START),
            messages(baseline, 2, 0.0),
            strict=True,
        )
        moto.put(GROUP, [*window, *before])
        conn.send(moto.url)
        conn.recv()  # "stop"


def build(url: str, insights: bool) -> CloudWatchLogs:
    section = {
        "type": "cloudwatch_logs",
        "region": "eu-west-1",
        "endpoint_url": url,
        "log_group_names": [GROUP],
        "page_size": 10_000,
        "max_pages": 10_000,
        "max_lines": 10**7,
        "max_baseline_lines": 10**7,
        "max_bytes": 10**10,
        "max_response_bytes": 200_000_000,
        "timeout": "600s",
        "insights": insights,
    }
    config = CloudWatchLogs.config_model.model_validate(section)
    return CloudWatchLogs("bench", config, Context())


async def one_run(connector: CloudWatchLogs) -> tuple[float, int, int, int, float, int]:
    from investigate.sdk.contract import Query

    ticket = Ticket(id="1", subject="payments fail", description="acc_1042 cannot pay",
                    requester=Person(email="dana@acme.io"), created_at=END)  # fmt: skip
    query = Query(
        ticket, extract(ticket), Window(start=START, end=END), deadline=time.monotonic() + 600
    )
    fed, received, in_calls = [0], [0], [0.0]
    add_page, call = RemoteScan.add_page, CloudWatchLogs._call

    def counting(self: RemoteScan, entries: list[Any], phase: Any) -> bool:
        fed[0] += len(entries)
        return add_page(self, entries, phase)

    def timing(self: CloudWatchLogs, *args: Any) -> Any:
        began = time.perf_counter()
        try:
            reply = call(self, *args)
        finally:
            in_calls[0] += time.perf_counter() - began
        for key in ("events", "results"):
            if isinstance(reply.get(key), list) and reply.get("status") != "Running":
                received[0] += len(reply[key])
        return reply

    RemoteScan.add_page = counting  # type: ignore[method-assign]
    CloudWatchLogs._call = timing  # type: ignore[method-assign, assignment]
    calls_before = connector.stats.calls
    try:
        began = time.perf_counter()
        out = await connector.collect(query)
        wall = time.perf_counter() - began
    finally:
        RemoteScan.add_page = add_page  # type: ignore[method-assign]
        CloudWatchLogs._call = call  # type: ignore[method-assign]
    calls = connector.stats.calls - calls_before
    return wall, fed[0], received[0], calls, in_calls[0], len(out.evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--insights", action="store_true", help="Logs Insights for errors")
    args = parser.parse_args()
    from fakes.cloudwatch import CREDENTIALS  # type: ignore[import-not-found, unused-ignore]

    os.environ.update(CREDENTIALS)
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=serve, args=(args.lines, args.baseline, theirs))
    began = time.perf_counter()
    child.start()
    try:
        url = ours.recv()
        seeded = time.perf_counter() - began
        print(
            f"{args.lines:,} window lines + {args.baseline:,} baseline lines in moto "
            f"(seeded in {seeded:.1f} s), median of {args.runs}"
            + (", Logs Insights for errors" if args.insights else "")
        )
        connector = build(url, args.insights)
        runs = [asyncio.run(one_run(connector)) for _ in range(args.runs)]
        wall, fed, received, calls, in_calls, patterns = sorted(runs)[len(runs) // 2]
        print(
            f"{'lines':>9}{'received':>10}{'calls':>7}{'wall s':>8}{'in calls s':>12}"
            f"{'lines/s':>10}{'received/s':>12}{'patterns':>10}"
        )
        print(
            f"{fed:>9,}{received:>10,}{calls:>7}{wall:>8.2f}{in_calls:>12.2f}"
            f"{fed / wall:>10,.0f}{received / wall:>12,.0f}{patterns:>10}"
        )
    finally:
        ours.send("stop")
        child.join(timeout=60)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
