"""Connector overhead over the server's own latency, against the loopback fakes.

    .venv/bin/python benchmarks/connector_overhead.py             # every case, 20 ms per request
    .venv/bin/python benchmarks/connector_overhead.py --latency 0.05 --runs 9 stripe

Each case starts a fake that sleeps `latency` per request, seeds one realistic customer, and
runs the connector's two stages (resolve, then collect) as the pipeline does. Reported:

- `requests` and `requests x latency` (what a strictly sequential client would wait);
- `wall`: the connector's elapsed time (median of the runs);
- `server`: time during which at least one request was being served (union of the fake's
  per-request intervals: latency plus the fake's own work);
- `overhead = wall - server`: time spent in the connector, the HTTP client and the loopback
  network while the server was idle — the number to keep small.

The fake runs in its own process (spawned), so its Python work does not compete with the
connector for the GIL; `time.monotonic()` is system-wide, so its intervals line up with ours.

Adding a connector (sentry, http, ...): write `seed_x(latency) -> (started fake, section)` —
the fake needs `.requests`, `.busy` (append `(start, end)` per request) and `.stop()`; the
section is the connector's config plus `"now"` (a Unix time for the ticket) — and list it in
`CASES`. The runner builds the connector from the section's `type` via the registry.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fakes live in tests/fakes

from investigate.config import load_config  # noqa: E402
from investigate.context import Context  # noqa: E402
from investigate.evidence import entities as entity_mod  # noqa: E402
from investigate.models import Person, Ticket, Window  # noqa: E402
from investigate.sdk.contract import Connector, Query  # noqa: E402

EMAIL = "dana@acme.io"


@dataclass
class Run:
    wall: float
    requests: int
    busy: list[tuple[float, float]]

    @property
    def server(self) -> float:
        """Length of the union of the server-side request intervals."""
        total, end = 0.0, float("-inf")
        for start, stop in sorted(self.busy):
            if stop <= end:
                continue
            total += stop - max(start, end)
            end = stop
        return total


def build(cls: type[Connector[Any]], section: dict[str, Any]) -> Connector[Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(yaml.safe_dump({"connectors": {"x": section}}))
        loaded = load_config(path, env={})
    return cls("x", loaded.connector_config("x", cls.config_model), Context(config=loaded))


async def two_stages(conn: Connector[Any], now: int) -> float:
    end = datetime.fromtimestamp(now, tz=UTC)
    window = Window(start=datetime.fromtimestamp(now - 86400, tz=UTC), end=end)
    ticket = Ticket(id="1", subject="Card declined", requester=Person(email=EMAIL), created_at=end)
    found = entity_mod.extract(ticket)
    started = time.perf_counter()
    deadline = time.monotonic() + 60
    first = await conn.collect(Query(ticket, found, window, "resolve", deadline))
    for param, values in first.provides.items():
        entity_mod.add_values(found, param, values, conn.name)
    second = await conn.collect(Query(ticket, found, window, "collect", deadline))
    wall = time.perf_counter() - started
    # sentry has no resolve stage, and http finds nothing new in its second: either will do
    assert first.evidence or second.evidence, "the case found nothing: check the seeding"
    return wall


# --- cases: a seeding function (runs in the fake's process) and a connector builder ----------


def seed_stripe(latency: float) -> tuple[Any, dict[str, Any]]:
    from fakes import stripe as fs

    key = "rk_test_bench0123456789abcdef"
    fake = fs.FakeStripe(api_key=key, validate=False, latency=latency).start()
    cus = fake.add(fs.stripe_customer(EMAIL, delinquent=True))
    cid = cus["id"]
    sub = fake.add(fs.stripe_subscription(cid, "past_due"))
    inv = fake.add(fs.stripe_invoice(cid, "open", attempt_count=2, subscription=sub["id"]))
    for i in range(12):
        fake.add(fs.stripe_invoice(cid, "paid", created=fs.NOW - 86400 * (30 + i)))
    fake.add(fs.declined_charge(cid), fs.stripe_charge(cid, amount_refunded=500))
    fake.add(fs.stripe_payment_intent(cid, "requires_payment_method"))
    fake.add(fs.stripe_event("invoice.payment_failed", inv, created=fs.NOW - 60))
    charge = fake.add(fs.stripe_charge(cid, disputed=True))
    fake.add(fs.stripe_dispute(charge["id"]), fs.stripe_refund(charge["id"]))
    return fake, {"type": "stripe", "api_key": key, "base_url": fake.url, "now": fs.NOW}


def seed_chargebee(latency: float) -> tuple[Any, dict[str, Any]]:
    from fakes import chargebee as fc

    key = "bench_cb_key_0123456789"
    fake = fc.FakeChargebee(api_key=key, latency=latency).start()
    cid = fake.add(fc.cb_customer(EMAIL))["id"]
    fake.add(fc.cb_subscription(cid, "active", due_invoices_count=1, due_since=fc.NOW - 86400))
    fake.add(fc.cb_invoice(cid, "payment_due", dunning_status="in_progress"))
    for _ in range(12):
        fake.add(fc.cb_invoice(cid, "paid"))
    fake.add(fc.cb_transaction(cid, "failure", error_code="card_declined", error_text="Declined"))
    return fake, {"type": "chargebee", "api_key": key, "base_url": fake.api_url, "now": fc.NOW}


SENTRY_NOW = 1764000000  # 2025-11-24T16:00Z, after the seeded issues


def seed_sentry(latency: float) -> tuple[Any, dict[str, Any]]:
    from fakes import sentry as fsn

    token = "sntrys_bench_0123456789"
    fake = fsn.FakeSentry(token=token, validate=False, latency=latency).start()
    for n in range(8):
        fake.add_issue(
            fsn.make_issue(
                str(100 + n),
                title=f"CardError {n}",
                firstSeen="2025-11-24T08:00:00Z",
                lastSeen=f"2025-11-24T10:{n:02d}:00Z",
            ),
            emails=[EMAIL],
            event=fsn.make_event(str(100 + n), email=EMAIL),
        )
    section = {
        "type": "sentry",
        "organization": "acme",
        "auth_token": token,
        "base_url": fake.url,
        "now": SENTRY_NOW,
    }
    return fake, section


def seed_http(latency: float) -> tuple[Any, dict[str, Any]]:
    from fakes import admin_api as fa

    token = "adm_bench_0123456789"
    fake = fa.FakeAdminAPI(token=token, latency=latency).start()
    fake.users[EMAIL] = [{"id": f"usr_{n}", "account": "acc_1042"} for n in range(20)]
    section = {
        "type": "http",
        "url": fake.url + "/api/accounts/{requester_email}/users",
        "headers": {"Authorization": f"Bearer {token}"},
        "items": "data",
        "provides": {"account_id": "account"},
        "now": SENTRY_NOW,
    }
    return fake, section


def connector_class(type_name: str) -> type[Connector[Any]]:
    from investigate.registry import discover

    cls: type[Connector[Any]] = discover().types[type_name]
    return cls


# name -> seeding function; the connector type comes from the section the seeder returns.
CASES: dict[str, Callable[[float], tuple[Any, dict[str, Any]]]] = {
    "stripe": seed_stripe,
    "chargebee": seed_chargebee,
    "sentry": seed_sentry,
    "http": seed_http,
}


def _serve(conn: Connection, name: str, latency: float) -> None:
    """The fake's process: seed, report the section, serve until told to stop, report timings."""
    fake, section = CASES[name](latency)
    try:
        conn.send(section)
        conn.recv()
        conn.send((len(fake.requests), list(fake.busy)))
    finally:
        fake.stop()


def run_case(name: str, latency: float) -> Run:
    """One measured run, with the fake in its own process (no shared GIL with the client)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, name, latency), daemon=True)
    process.start()
    try:
        section = parent.recv()
        now = section.pop("now")
        conn = build(connector_class(section["type"]), section)
        wall = asyncio.run(_measure(conn, now))
        parent.send("stop")
        requests, busy = parent.recv()
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    return Run(wall, requests, busy)


async def _measure(conn: Connector[Any], now: int) -> float:
    try:
        return await two_stages(conn, now)
    finally:
        await conn.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help=f"some of: {', '.join(CASES)} (default: all)")
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per request")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {sorted(CASES)}")
    print(
        f"fake latency {args.latency * 1000:.0f} ms/request, median of {args.runs} runs (+1 warm-up)"
    )
    header = f"{'connector':<11}{'requests':>9}{'req x lat':>11}{'wall':>9}{'server':>9}{'overhead':>10}{'per req':>9}"
    print(header)
    for name in args.cases or list(CASES):
        runs = [run_case(name, args.latency) for _ in range(args.runs + 1)][1:]
        req = runs[0].requests
        wall = statistics.median(r.wall for r in runs)
        server = statistics.median(r.server for r in runs)
        over = statistics.median(r.wall - r.server for r in runs)
        print(
            f"{name:<11}{req:>9}{req * args.latency * 1000:>9.0f}ms{wall * 1000:>7.0f}ms"
            f"{server * 1000:>7.0f}ms{over * 1000:>8.1f}ms{over / req * 1000:>7.2f}ms"
        )


if __name__ == "__main__":
    main()
