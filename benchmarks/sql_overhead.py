"""Per-query overhead of the `postgres` and `mysql` connectors over a raw driver query.

    .venv/bin/python benchmarks/sql_overhead.py                  # starts throwaway servers
    .venv/bin/python benchmarks/sql_overhead.py --runs 200 --only postgres

Servers come from tests/servers.py (PostgreSQL 15 and MariaDB on 127.0.0.1, a temporary
folder, fsync off), seeded with the test schema. The same query (4 users of one account) runs:

- `raw`: the driver on an open autocommit connection, `execute` + `fetchall`;
- `connector warm`: `collect()` on a connector whose connection is already open — the SQL
  guard, re-rendering, `BEGIN READ ONLY` + timeouts, the query, `ROLLBACK`, and evidence;
- `connector cold`: a new connector per run (connect, posture-free setup, query, close).

Medians over `--runs` runs (after 5 warm-up runs); `overhead = warm - raw`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

servers: Any = importlib.import_module("servers")  # tests/servers.py

USERS = "SELECT id, email, role FROM users WHERE account_id = :account_id ORDER BY id"
RAW = "SELECT id, email, role FROM users WHERE account_id = %(account_id)s ORDER BY id"


async def median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    for _ in range(5):
        await fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def bench(kind: str, dsn: str, runs: int) -> dict[str, float]:
    from investigate_connectors.mysql import MySQL
    from investigate_connectors.postgres import Postgres

    cls: Any = Postgres if kind == "postgres" else MySQL
    folder = Path(tempfile.mkdtemp())
    section = {"type": kind, "dsn": dsn, "queries": {"users": USERS}}
    q = servers.make_query(account_ids=["acc_1042"], deadline=3600)

    raw_conn, raw = await _raw(kind, dsn)
    warm = servers.make_connector(cls, folder, section, {})

    async def warm_run() -> None:
        warm._ran.clear()
        result = await warm.collect(q)
        assert len(result.evidence) == 4

    async def cold_run() -> None:
        conn = servers.make_connector(cls, folder, section, {})
        result = await conn.collect(q)
        await conn.aclose()
        assert len(result.evidence) == 4

    try:
        out = {
            "raw": await median_ms(raw, runs),
            "connector warm": await median_ms(warm_run, runs),
            "connector cold": await median_ms(cold_run, runs),
        }
    finally:
        await warm.aclose()
        await _close(kind, raw_conn)
    out["overhead"] = out["connector warm"] - out["raw"]
    return out


async def _raw(kind: str, dsn: str) -> tuple[Any, Callable[[], Awaitable[Any]]]:
    params = {"account_id": "acc_1042"}
    if kind == "postgres":
        import psycopg

        pg = await psycopg.AsyncConnection.connect(dsn, autocommit=True)

        async def pg_run() -> None:
            cur = await pg.execute(RAW, params)
            assert len(await cur.fetchall()) == 4

        return pg, pg_run
    import urllib.parse

    import aiomysql  # type: ignore[import-untyped]

    url = urllib.parse.urlsplit(dsn)
    my = await aiomysql.connect(
        host=url.hostname,
        port=url.port,
        user=url.username,
        password=urllib.parse.unquote(url.password or ""),
        db=url.path.lstrip("/"),
        autocommit=True,
    )

    async def my_run() -> None:
        async with my.cursor() as cur:
            await cur.execute(RAW, params)
            assert len(await cur.fetchall()) == 4

    return my, my_run


async def _close(kind: str, conn: Any) -> None:
    if kind == "postgres":
        await conn.close()
    else:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--only", choices=["postgres", "mysql"])
    args = parser.parse_args()
    starters = {"postgres": servers.start_postgres, "mysql": servers.start_mariadb}
    print(f"{'server':<10} {'raw ms':>8} {'warm ms':>8} {'cold ms':>8} {'overhead ms':>12}")
    for kind, start in starters.items():
        if args.only and kind != args.only:
            continue
        try:
            with start() as server:
                row = asyncio.run(bench(kind, server.dsn("app_ro"), args.runs))
        except BaseException as exc:  # pytest.skip raises a BaseException subclass
            if isinstance(exc, KeyboardInterrupt):
                raise
            print(f"{kind:<10} skipped: {exc}")
            continue
        print(
            f"{kind:<10} {row['raw']:8.2f} {row['connector warm']:8.2f} "
            f"{row['connector cold']:8.2f} {row['overhead']:12.2f}"
        )
    print(f"(medians of {args.runs} runs after 5 warm-up runs, 127.0.0.1)")


if __name__ == "__main__":
    main()
