"""`postgres` on a real PostgreSQL 15: rows, identity resolution, caps, bound values, the
read-only transaction under a role that can write, timeouts, dropped connections, auth and
reachability errors, the write-posture check, and `investigate check` end to end."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from busyclock import Stopwatch
from servers import (
    PASSWORDS,
    PgServer,
    by_query,
    free_port,
    make_connector,
    make_query,
    start_postgres,
)

import investigate_connectors._sqlbase as sqlbase
from investigate.errors import ConfigError, ReadOnlyViolation, SourceError, SourceTimeout
from investigate.sdk.sqlguard import CheckedSQL
from investigate_connectors._sqlbase import AuthFailed
from investigate_connectors.postgres import Postgres

SLOW = (
    "SELECT count(*) AS n FROM generate_series(1, 200000) AS a "
    "CROSS JOIN generate_series(1, 200000) AS b WHERE a.a + b.b = 3"
)
ACCOUNT = {
    "sql": "SELECT id, name, plan FROM accounts WHERE owner_email = :requester_email",
    "kind": "customer",
    "title": "Account {name} ({plan})",
    "provides": {"account_id": "id"},
}
USERS = "SELECT id, email, role FROM users WHERE account_id = :account_id ORDER BY id"
ORDERS = {
    "sql": (
        "SELECT id, status, total_cents, created_at FROM orders "
        "WHERE account_id = :account_id AND created_at >= CAST(:window_start AS TIMESTAMPTZ) "
        "ORDER BY id"
    ),
    "title": "Order {id}: {status}",
}


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    with start_postgres() as server:
        yield server


@pytest.fixture
async def build(pg: PgServer, tmp_path: Path) -> AsyncIterator[Any]:
    made: list[Postgres] = []

    def build(queries: dict[str, Any], user: str = "app_ro", **extra: Any) -> Postgres:
        env = {"PG_DSN": pg.dsn(user)}
        section = {"type": "postgres", "dsn": "${PG_DSN}", "queries": queries, **extra}
        conn = make_connector(Postgres, tmp_path, section, env)
        made.append(conn)
        return conn

    yield build
    for conn in made:
        await conn.aclose()


def count(pg: PgServer, table: str) -> int:
    return int(pg.scalar(f"SELECT count(*) FROM {table}"))


def snapshot(pg: PgServer) -> dict[str, int]:
    return {t: count(pg, t) for t in ("accounts", "users", "orders", "invoices", "audit_log")}


# --- rows --------------------------------------------------------------------------------


async def test_resolve_then_collect_returns_the_right_rows(build: Any) -> None:
    conn = build({"account": ACCOUNT, "users": USERS, "orders": ORDERS})
    assert conn.provides() == frozenset({"account_id"})
    q = make_query(stage="resolve")

    first = await conn.collect(q)

    assert first.provides == {"account_id": ["acc_1042"]}
    (account,) = first.evidence
    assert account.title == "Account Acme (pro)"
    assert account.kind == "customer"
    assert account.query.startswith("SELECT id, name, plan FROM accounts WHERE owner_email = ")
    assert "requester_email" in account.query and "dana@acme.io" in account.query

    q.entities.account_ids.append("acc_1042")
    q.stage = "collect"
    second = await conn.collect(q)
    await conn.aclose()

    rows = by_query(second.evidence)
    assert set(rows) == {"users", "orders"}  # the resolve query did not run again
    assert [r["id"] for r in rows["users"]] == ["usr_1", "usr_2", "usr_3", "usr_4"]
    assert [r["id"] for r in rows["orders"]] == [2]  # the window leaves out order 1
    (order,) = [e for e in second.evidence if e.attributes["query_name"] == "orders"]
    assert order.title == "Order 2: failed"
    assert (
        order.timestamp is not None and order.timestamp.isoformat() == "2026-11-24T08:00:00+00:00"
    )


async def test_each_value_runs_once_and_the_row_cap_adds_a_note(build: Any) -> None:
    conn = build({"users": USERS}, max_rows=2)

    result = await conn.collect(make_query(account_ids=["acc_2001", "acc_1042"]))
    await conn.aclose()

    assert [e.record["id"] for e in result.evidence] == ["usr_6", "usr_1", "usr_2"]
    assert result.notes == ["db.users: more than 2 rows; showing the first"]


async def test_the_byte_cap_stops_big_rows(build: Any) -> None:
    big = "SELECT id, repeat('x', 600) AS blob FROM users WHERE account_id = :account_id"
    conn = build({"big": big}, max_bytes=1500)

    result = await conn.collect(make_query(account_ids=["acc_1042"]))
    await conn.aclose()

    assert len(result.evidence) == 2
    assert any("passed 1500 bytes" in n for n in result.notes)


async def test_a_value_of_the_wrong_type_skips_that_run_with_a_note(build: Any) -> None:
    conn = build(
        {"orders": "SELECT id FROM orders WHERE id = :account_id", "users": USERS},
    )

    result = await conn.collect(make_query(account_ids=["acc_1042"]))
    await conn.aclose()

    assert [r["id"] for r in by_query(result.evidence)["users"]][:1] == ["usr_1"]
    assert len(result.notes) == 1 and "db.orders" in result.notes[0]
    assert "invalid input syntax" in result.notes[0]


HOSTILE = [
    "' OR '1'='1",
    "acc_1042' --",
    "%",
    "acc_%",
    "../../etc/passwd",
    "acc_1042\nacc_2001",
    "acc_1042'; DELETE FROM accounts; --",
    "$1",
    "%(account_id)s",
    "acc_1042\\'",
    "acc_1042\x00' OR '1'='1",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_entity_values_are_bound_never_spliced(build: Any, pg: PgServer, value: str) -> None:
    before = snapshot(pg)
    conn = build({"by_id": "SELECT id FROM accounts WHERE id = :account_id"})

    result = await conn.collect(make_query(account_ids=[value]))
    await conn.aclose()

    assert result.evidence == []  # no row has that id: the value was compared, not run
    assert all("db.by_id" in n for n in result.notes)  # a NUL byte is refused by the driver
    assert snapshot(pg) == before


async def test_a_hostile_value_finds_only_the_row_that_literally_holds_it(
    build: Any, pg: PgServer
) -> None:
    conn = build({"account": ACCOUNT})
    before = snapshot(pg)

    result = await conn.collect(make_query(email="x'; DROP TABLE accounts; --@evil.com"))
    await conn.aclose()

    assert [e.record["id"] for e in result.evidence] == ["acc_evil"]
    assert result.evidence[0].record["name"] == "O'Brien % /.. Ltd"
    assert snapshot(pg) == before


async def test_percent_in_the_sql_itself_survives_parameter_binding(build: Any) -> None:
    sql = "SELECT id, 7 % 3 AS r FROM accounts WHERE name LIKE 'O''Brien %' AND id <> :account_id"
    conn = build({"pct": sql})

    result = await conn.collect(make_query(account_ids=["acc_1042"]))
    await conn.aclose()

    assert [e.record for e in result.evidence] == [{"id": "acc_evil", "r": 1}]


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM accounts",
        "SELECT 1; DELETE FROM accounts",
        "WITH gone AS (DELETE FROM accounts RETURNING id) SELECT id FROM gone",
        "SELECT id FROM accounts FOR UPDATE",
        "COPY accounts TO '/tmp/accounts.csv'",
        "SELECT pg_sleep(5)",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        "SELECT nextval('orders_id_seq')",
        "SELECT pg_terminate_backend(1)",
        "SELECT id INTO stolen FROM accounts",
        "SET TRANSACTION READ WRITE",
    ],
)
def test_a_write_in_a_configured_query_is_refused_at_config_load(
    pg: PgServer, tmp_path: Path, sql: str
) -> None:
    section = {"type": "postgres", "dsn": "${PG_DSN}", "queries": {"ok": USERS, "evil": sql}}
    with pytest.raises(ConfigError) as caught:
        make_connector(Postgres, tmp_path, section, {"PG_DSN": pg.dsn()})
    assert "'evil'" in caught.value.message
    assert "connectors.db" in caught.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO accounts VALUES ('acc_666', 'Evil', 'pro', 'x@evil.com', now())",
        "UPDATE accounts SET plan = 'free'",
        "DELETE FROM audit_log",
        "TRUNCATE orders",
        "DROP TABLE invoices",
        "CREATE TABLE stolen AS SELECT * FROM accounts",
        "SELECT id INTO stolen FROM accounts",
        "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone",
        "SELECT id FROM accounts FOR UPDATE",
        "SELECT nextval('invoice_numbers')",
        "SELECT setval('invoice_numbers', 1)",
    ],
)
async def test_a_role_that_can_write_still_cannot_through_the_connector(
    build: Any, pg: PgServer, sql: str
) -> None:
    """The guard is bypassed here: the read-only transaction is what stops the write."""
    conn = build({"harmless": USERS}, user="app_rw")
    before = snapshot(pg)

    with pytest.raises(ReadOnlyViolation) as caught:
        await conn.execute(sql, {}, "query 'evil'", time.monotonic() + 10)
    await conn.aclose()

    assert caught.value.message == (
        "db (postgres): query 'evil' tried to write; the read-only transaction refused it"
    )
    assert snapshot(pg) == before
    assert pg.scalar("SELECT to_regclass('stolen') IS NULL")
    assert pg.scalar("SELECT last_value FROM invoice_numbers") == 1000


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DELETE FROM audit_log",
        "COMMIT; DELETE FROM audit_log",
        "SET TRANSACTION READ WRITE; DELETE FROM audit_log",
        "ROLLBACK; SET default_transaction_read_only = off; DELETE FROM audit_log",
        "SET TRANSACTION READ WRITE; DELETE FROM audit_log; COMMIT",
    ],
)
async def test_stacked_statements_never_run(build: Any, pg: PgServer, sql: str) -> None:
    conn = build({"harmless": USERS}, user="app_rw")
    before = snapshot(pg)

    with pytest.raises(SourceError, match="query 'evil'"):
        await conn.execute(sql, {}, "query 'evil'", time.monotonic() + 10)
    await conn.aclose()

    assert snapshot(pg) == before


async def test_the_full_collect_path_refuses_a_write_that_slipped_past_the_guard(
    build: Any, pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = build({"harmless": USERS}, user="app_rw")
    evil = "DELETE FROM users WHERE account_id = :account_id"
    monkeypatch.setattr(sqlbase, "check_sql", lambda _s, _d: CheckedSQL(evil, ("account_id",)))
    before = snapshot(pg)

    with pytest.raises(ReadOnlyViolation, match="read-only transaction refused it"):
        await conn.collect(make_query(account_ids=["acc_1042"]))
    await conn.aclose()

    assert snapshot(pg) == before


# --- time ---------------------------------------------------------------------------------


async def test_the_statement_timeout_stops_a_slow_query(build: Any) -> None:
    conn = build({"slow": SLOW, "users": USERS}, statement_timeout="0.4s")
    started = Stopwatch()

    with pytest.raises(SourceTimeout, match="statement timeout") as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert started.busy_free < 5
    assert "slow" in caught.value.message
    again = await conn.collect(make_query(account_ids=["acc_2001"]))  # still usable after
    await conn.aclose()
    assert [e.record["id"] for e in again.evidence] == ["usr_6"]


async def test_the_query_deadline_wins_over_a_longer_statement_timeout(build: Any) -> None:
    conn = build({"slow": SLOW}, statement_timeout="60s")
    started = Stopwatch()

    with pytest.raises(SourceTimeout):
        await conn.collect(make_query(deadline=0.5))
    await conn.aclose()

    assert started.busy_free < 3


async def test_a_statement_still_running_at_the_deadline_is_cancelled_on_the_server(
    build: Any, pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = build({"users": USERS}, statement_timeout="60s")
    # Make the server-side timeout longer than the deadline so the client-side path acts.
    monkeypatch.setattr(conn, "limits", lambda _d: sqlbase.Limits(60, 60, 10))
    started = Stopwatch()

    with pytest.raises(SourceTimeout, match="stopped at the deadline"):
        await conn.execute("SELECT pg_sleep(30)", {}, "query 'sleepy'", time.monotonic() + 0.5)

    assert started.busy_free < 5
    assert conn._conn is None  # the connection in an unknown state was dropped
    running = pg.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' "
        "AND state = 'active'"
    )
    assert running == 0


async def test_a_connection_killed_mid_query_is_a_one_line_source_error(
    build: Any, pg: PgServer
) -> None:
    conn = build({"slow": SLOW}, statement_timeout="60s")
    task = asyncio.create_task(conn.collect(make_query()))
    for _ in range(100):
        await asyncio.sleep(0.05)
        pid = pg.scalar(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'investigate' "
            "AND state = 'active' AND query ILIKE '%generate_series%'"
        )
        if pid:
            break
    assert pid, "the slow query never showed up in pg_stat_activity"
    assert pg.scalar("SELECT pg_terminate_backend(%s)", pid)

    with pytest.raises(SourceError) as caught:
        await task
    await conn.aclose()

    assert not isinstance(caught.value, SourceTimeout)
    message = caught.value.message
    assert message.startswith("db (postgres): connection lost during query 'slow'")
    assert "\n" not in message


# --- connecting -----------------------------------------------------------------------------


async def test_a_wrong_password_is_a_clear_auth_error_without_the_password(
    pg: PgServer, tmp_path: Path
) -> None:
    section = {"type": "postgres", "dsn": "${PG_DSN}", "queries": {"users": USERS}}
    conn = make_connector(
        Postgres, tmp_path, section, {"PG_DSN": pg.dsn("app_ro", password="Wr0ng-Pa55")}
    )

    with pytest.raises(SourceError) as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))
    (check, *_) = await conn.check()

    for message in (caught.value.message, check.detail):
        assert message.startswith("db (postgres): authentication failed")
        assert 'password authentication failed for user "app_ro"' in message
        assert "Wr0ng-Pa55" not in message and "\n" not in message
    assert not check.ok and check.name == "auth"
    assert isinstance(caught.value, AuthFailed)
    assert caught.value.hint and "connectors.db.dsn" in caught.value.hint


async def test_a_server_that_never_answers_is_stopped_at_the_query_deadline(
    tmp_path: Path,
) -> None:
    with socket.socket() as silent:  # accepts TCP connections (backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        dsn = f"postgresql://app_ro:pw@127.0.0.1:{port}/appdb"
        section = {
            "type": "postgres",
            "dsn": dsn,
            "queries": {"u": USERS},
            "connect_timeout": "20s",
        }
        conn = make_connector(Postgres, tmp_path, section, {})
        started = Stopwatch()

        with pytest.raises(SourceTimeout, match="stopped at the deadline"):
            await conn.collect(make_query(account_ids=["acc_1042"], deadline=0.5))

        assert started.busy_free < 3


async def test_an_unreachable_port_is_a_source_error(tmp_path: Path) -> None:
    port = free_port()
    dsn = f"postgresql://app_ro:{PASSWORDS['app_ro']}@127.0.0.1:{port}/appdb"
    section = {"type": "postgres", "dsn": dsn, "queries": {"users": USERS}}
    conn = make_connector(Postgres, tmp_path, section, {})
    started = Stopwatch()

    with pytest.raises(SourceError) as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert started.busy_free < 5
    assert caught.value.message.startswith("db (postgres): cannot connect:")
    assert str(port) in caught.value.message
    assert PASSWORDS["app_ro"] not in caught.value.message


async def test_a_malformed_dsn_says_so_without_echoing_it(tmp_path: Path) -> None:
    section = {
        "type": "postgres",
        "dsn": "host=x password=Sup3r-secret bogus",
        "queries": {"u": USERS},
    }
    conn = make_connector(Postgres, tmp_path, section, {})

    (check, *_) = await conn.check()

    assert not check.ok
    assert "not a valid PostgreSQL connection string" in check.detail
    assert "Sup3r-secret" not in check.detail


async def test_a_missing_driver_names_the_extra_to_install(
    pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = {"type": "postgres", "dsn": pg.dsn(), "queries": {"users": USERS}}
    conn = make_connector(Postgres, tmp_path, section, {})
    monkeypatch.setitem(sys.modules, "psycopg", None)

    (check, *_) = await conn.check()
    with pytest.raises(SourceError) as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert not check.ok
    assert "pip install 'investigate[postgres]'" in check.detail
    assert "pip install 'investigate[postgres]'" in caught.value.message


# --- posture ---------------------------------------------------------------------------------


async def test_check_on_a_select_only_role_has_no_warning(build: Any) -> None:
    conn = build({"account": ACCOUNT, "users": USERS, "orders": ORDERS})

    checks = {c.name: c for c in await conn.check()}

    assert all(c.ok and not c.warning for c in checks.values())
    assert checks["connect"].detail.startswith("PostgreSQL 15.")
    assert "as app_ro" in checks["connect"].detail
    assert "cannot write to the 3 tables" in checks["read-only"].detail
    assert "3 queries passed the SQL guard" in checks["queries"].detail


async def test_check_warns_loudly_when_the_role_can_write(build: Any) -> None:
    conn = build({"account": ACCOUNT, "users": USERS}, user="app_rw")

    checks = {c.name: c for c in await conn.check()}

    posture = checks["read-only"]
    assert posture.ok and posture.warning
    assert "role app_rw can write" in posture.detail
    assert "accounts, users" in posture.detail
    assert "GRANT SELECT ON accounts, users TO investigate_ro" in posture.detail


async def test_check_warns_about_a_superuser(build: Any) -> None:
    conn = build({"users": USERS}, user="admin")

    checks = {c.name: c for c in await conn.check()}

    assert checks["read-only"].warning
    assert "SUPERUSER" in checks["read-only"].detail


async def test_check_reports_a_table_the_queries_need_but_the_database_lacks(build: Any) -> None:
    conn = build({"users": USERS, "ghost": "SELECT id FROM public.ghosts WHERE id = :user_id"})

    checks = {c.name: c for c in await conn.check()}

    assert not checks["tables"].ok
    assert "public.ghosts" in checks["tables"].detail


def test_investigate_check_end_to_end_shows_the_write_warning(
    cli: Any, pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("PG_RW_DSN", pg.dsn("app_rw"))
    monkeypatch.setenv("PG_RO_DSN", pg.dsn("app_ro"))
    config = tmp_path / "investigate.yaml"
    queries = {"account": ACCOUNT, "users": USERS}
    config.write_text(
        yaml.safe_dump(
            {
                "connectors": {
                    "prod_rw": {"type": "postgres", "dsn": "${PG_RW_DSN}", "queries": queries},
                    "prod_ro": {"type": "postgres", "dsn": "${PG_RO_DSN}", "queries": queries},
                }
            }
        )
    )

    result = cli("check", "--config", str(config))

    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    rw = [ln for ln in lines if "prod_rw" in ln and "│ read-only " in ln]
    ro = [ln for ln in lines if "prod_ro" in ln and "│ read-only " in ln]
    assert len(rw) == 1 and "⚠️" in rw[0] and "WARNING: role app_rw can write" in rw[0]
    assert "GRANT SELECT ON accounts, users TO investigate_ro" in rw[0]
    assert len(ro) == 1 and "✅" in ro[0] and "WARNING" not in ro[0]
    assert PASSWORDS["app_rw"] not in result.out + result.err


def test_investigate_check_with_a_wrong_password_fails_with_exit_code_4(
    cli: Any, pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("PG_DSN", pg.dsn("app_ro", password="Wr0ng-Pa55"))
    config = tmp_path / "investigate.yaml"
    config.write_text(
        "connectors:\n  prod:\n    type: postgres\n    dsn: ${PG_DSN}\n"
        f"    queries: {{users: '{USERS}'}}\n"
    )

    result = cli("check", "--config", str(config))

    assert result.code == 4
    checks = result.out.split("Read-only posture")[0]  # the first table: one row per check
    (line,) = [ln for ln in checks.splitlines() if "prod" in ln]
    assert "❌" in line and "│ auth " in line
    assert "prod (postgres): authentication failed" in line
    assert "Wr0ng-Pa55" not in result.out + result.err


# --- the shared SQL helpers (no server needed) ---------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        (
            "postgres",
            "SELECT id FROM t WHERE a = :account_id AND b LIKE ':email%' AND c % 2 = 0",
            "SELECT id FROM t WHERE a = %(account_id)s AND b LIKE ':email%%' AND c %% 2 = 0 LIMIT 51",
        ),
        (
            "mysql",
            "SELECT id FROM t WHERE a = :account_id AND b = ':email' LIMIT 10",
            "SELECT id FROM t WHERE a = %(account_id)s AND b = ':email' LIMIT 10",
        ),
        (
            "postgres",
            "SELECT id FROM t ORDER BY id LIMIT 1000",
            "SELECT * FROM (SELECT id FROM t ORDER BY id LIMIT 1000) AS _capped LIMIT 51",
        ),
    ],
)
def test_driver_sql_binds_only_real_placeholders_escapes_percent_and_caps_rows(
    dialect: str, sql: str, expected: str
) -> None:
    from investigate.sdk.sqlguard import check_sql

    assert sqlbase.driver_sql(check_sql(sql, dialect).sql, dialect, 51) == expected


@pytest.mark.parametrize(
    ("dsn", "password"),
    [
        ("postgresql://u:p%40ss%2Fw0rd@db:5432/app", "p%40ss%2Fw0rd"),
        ("host=db user=u password='it\\'s s3cret' dbname=app", "it's s3cret"),
        ("host=db user=u password=plainpw dbname=app", "plainpw"),
        ("host=db user=u dbname=app", None),
    ],
)
def test_the_dsn_password_is_found_for_masking(dsn: str, password: str | None) -> None:
    assert sqlbase.dsn_password(dsn) == password


def test_tables_of_leaves_out_cte_names() -> None:
    sql = "WITH recent AS (SELECT * FROM billing.invoices) SELECT * FROM recent JOIN accounts ON 1 = 1"
    assert sorted(sqlbase.tables_of(sql, "postgres")) == ["accounts", "billing.invoices"]
