"""`mysql` on a real MariaDB: rows, identity resolution, caps, bound values, the read-only
transaction under a user that can write, multi-statements off, timeouts, killed connections,
auth and reachability errors, the SHOW GRANTS posture, and `investigate check` end to end."""

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
    MariaServer,
    by_query,
    free_port,
    make_connector,
    make_query,
    start_mariadb,
)

import investigate_connectors._sqlbase as sqlbase
from investigate.errors import ConfigError, ReadOnlyViolation, SourceError, SourceTimeout
from investigate.sdk.sqlguard import CheckedSQL
from investigate_connectors._sqlbase import AuthFailed
from investigate_connectors.mysql import MySQL, write_privileges

SLOW = (  # MariaDB's SEQUENCE engine: 4e10 row pairs, slow by construction
    "SELECT count(*) AS n FROM seq_1_to_200000 AS a CROSS JOIN seq_1_to_200000 AS b "
    "WHERE a.seq + b.seq = 3"
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
        "WHERE account_id = :account_id AND created_at >= :window_start ORDER BY id"
    ),
    "title": "Order {id}: {status}",
}


@pytest.fixture(scope="session")
def maria() -> Iterator[MariaServer]:
    with start_mariadb() as server:
        yield server


@pytest.fixture
async def build(maria: MariaServer, tmp_path: Path) -> AsyncIterator[Any]:
    made: list[MySQL] = []

    def build(queries: dict[str, Any], user: str = "app_ro", **extra: Any) -> MySQL:
        section = {"type": "mysql", "dsn": "${MY_DSN}", "queries": queries, **extra}
        conn = make_connector(MySQL, tmp_path, section, {"MY_DSN": maria.dsn(user)})
        made.append(conn)
        return conn

    yield build
    for conn in made:
        await conn.aclose()


def snapshot(maria: MariaServer) -> dict[str, int]:
    tables = ("accounts", "users", "orders", "invoices", "audit_log")
    return {t: int(maria.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


def processes(maria: MariaServer, like: str) -> int:
    return int(
        maria.scalar(
            "SELECT count(*) FROM information_schema.processlist "
            "WHERE info LIKE %s AND command = 'Query'",
            like,
        )
    )


# --- rows --------------------------------------------------------------------------------


async def test_resolve_then_collect_returns_the_right_rows(build: Any) -> None:
    conn = build({"account": ACCOUNT, "users": USERS, "orders": ORDERS})
    q = make_query(stage="resolve")

    first = await conn.collect(q)

    assert first.provides == {"account_id": ["acc_1042"]}
    (account,) = first.evidence
    assert account.title == "Account Acme (pro)"
    q.entities.account_ids.append("acc_1042")
    q.stage = "collect"
    second = await conn.collect(q)

    rows = by_query(second.evidence)
    assert set(rows) == {"users", "orders"}
    assert [r["id"] for r in rows["users"]] == ["usr_1", "usr_2", "usr_3", "usr_4"]
    assert [r["id"] for r in rows["orders"]] == [2]  # :window_start leaves out order 1
    (order,) = [e for e in second.evidence if e.attributes["query_name"] == "orders"]
    assert order.title == "Order 2: failed"
    assert (
        order.timestamp is not None and order.timestamp.isoformat() == "2026-11-24T08:00:00+00:00"
    )


async def test_each_value_runs_once_and_the_row_cap_adds_a_note(build: Any) -> None:
    conn = build({"users": USERS}, max_rows=2)

    result = await conn.collect(make_query(account_ids=["acc_2001", "acc_1042"]))

    assert [e.record["id"] for e in result.evidence] == ["usr_6", "usr_1", "usr_2"]
    assert result.notes == ["db.users: more than 2 rows; showing the first"]


async def test_the_byte_cap_stops_big_rows(build: Any) -> None:
    big = "SELECT id, REPEAT('x', 600) AS blob FROM users WHERE account_id = :account_id"
    conn = build({"big": big}, max_bytes=1500)

    result = await conn.collect(make_query(account_ids=["acc_1042"]))

    assert len(result.evidence) == 2
    assert any("passed 1500 bytes" in n for n in result.notes)


HOSTILE = [
    "' OR '1'='1",
    "acc_1042' -- ",
    "acc_1042' #",
    "%",
    "acc_%",
    "../../etc/passwd",
    "acc_1042\nacc_2001",
    "acc_1042'; DELETE FROM accounts; --",
    "acc_1042\\' OR 1=1 -- ",
    "acc_1042\\",
    "%(account_id)s",
    "\u00bf' OR 1=1 -- ",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_entity_values_are_bound_never_spliced(
    build: Any, maria: MariaServer, value: str
) -> None:
    before = snapshot(maria)
    conn = build({"by_id": "SELECT id FROM accounts WHERE id = :account_id"})

    result = await conn.collect(make_query(account_ids=[value]))

    assert result.evidence == []
    assert snapshot(maria) == before


async def test_a_hostile_value_finds_only_the_row_that_literally_holds_it(
    build: Any, maria: MariaServer
) -> None:
    conn = build({"account": ACCOUNT})

    result = await conn.collect(make_query(email="x'; DROP TABLE accounts; --@evil.com"))

    assert [e.record["id"] for e in result.evidence] == ["acc_evil"]
    assert result.evidence[0].record["name"] == "O'Brien % /.. Ltd"


async def test_percent_in_the_sql_itself_survives_parameter_binding(build: Any) -> None:
    sql = "SELECT id, 7 % 3 AS r FROM accounts WHERE name LIKE 'O''Brien %' AND id <> :account_id"
    conn = build({"pct": sql})

    result = await conn.collect(make_query(account_ids=["acc_1042"]))

    assert [e.record for e in result.evidence] == [{"id": "acc_evil", "r": 1}]


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM accounts",
        "SELECT 1; DELETE FROM accounts",
        "SELECT id FROM accounts FOR UPDATE",
        "SELECT id FROM accounts LOCK IN SHARE MODE",
        "SELECT SLEEP(5)",
        "SELECT BENCHMARK(1000000, MD5('x'))",
        "SELECT LOAD_FILE('/etc/passwd')",
        "SELECT GET_LOCK('x', 10)",
        "SELECT id INTO OUTFILE '/tmp/accounts.txt' FROM accounts",
        "SET SESSION TRANSACTION READ WRITE",
        "REPLACE INTO accounts (id) VALUES ('acc_1')",
    ],
)
def test_a_write_in_a_configured_query_is_refused_at_config_load(
    maria: MariaServer, tmp_path: Path, sql: str
) -> None:
    section = {"type": "mysql", "dsn": "${MY_DSN}", "queries": {"ok": USERS, "evil": sql}}
    with pytest.raises(ConfigError) as caught:
        make_connector(MySQL, tmp_path, section, {"MY_DSN": maria.dsn()})
    assert "'evil'" in caught.value.message
    assert "connectors.db" in caught.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO accounts VALUES ('acc_666', 'Evil', 'pro', 'x@evil.com', NOW())",
        "REPLACE INTO accounts VALUES ('acc_1042', 'Evil', 'pro', 'x@evil.com', NOW())",
        "UPDATE accounts SET plan = 'free'",
        "DELETE FROM audit_log",
        "TRUNCATE orders",
        "DROP TABLE invoices",
        "CREATE TABLE stolen AS SELECT * FROM accounts",
        "SELECT id FROM accounts FOR UPDATE",
    ],
)
async def test_a_user_that_can_write_still_cannot_through_the_connector(
    build: Any, maria: MariaServer, sql: str
) -> None:
    """The guard is bypassed here: the read-only transaction is what stops the write."""
    conn = build({"harmless": USERS}, user="app_rw")
    before = snapshot(maria)

    with pytest.raises(ReadOnlyViolation) as caught:
        await conn.execute(sql, {}, "query 'evil'", time.monotonic() + 10)

    assert caught.value.message == (
        "db (mysql): query 'evil' tried to write; the read-only transaction refused it"
    )
    assert snapshot(maria) == before
    assert (
        maria.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'stolen'")
        == 0
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DELETE FROM audit_log",
        "COMMIT; DELETE FROM audit_log",
        "SET SESSION TRANSACTION READ WRITE; DELETE FROM audit_log",
    ],
)
async def test_stacked_statements_never_run(build: Any, maria: MariaServer, sql: str) -> None:
    conn = build({"harmless": USERS}, user="app_rw")
    before = snapshot(maria)

    with pytest.raises(SourceError, match="query 'evil' failed: You have an error in your SQL"):
        await conn.execute(sql, {}, "query 'evil'", time.monotonic() + 10)

    assert snapshot(maria) == before


async def test_the_full_collect_path_refuses_a_write_that_slipped_past_the_guard(
    build: Any, maria: MariaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = build({"harmless": USERS}, user="app_rw")
    evil = "DELETE FROM users WHERE account_id = :account_id"
    monkeypatch.setattr(sqlbase, "check_sql", lambda _s, _d: CheckedSQL(evil, ("account_id",)))
    before = snapshot(maria)

    with pytest.raises(ReadOnlyViolation, match="read-only transaction refused it"):
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert snapshot(maria) == before


# --- time ---------------------------------------------------------------------------------


async def test_the_statement_timeout_stops_a_slow_query(build: Any) -> None:
    conn = build({"slow": SLOW, "users": USERS}, statement_timeout="0.4s")
    started = Stopwatch()

    with pytest.raises(SourceTimeout, match="statement timeout") as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert started.busy_free < 5
    assert "slow" in caught.value.message
    again = await conn.collect(make_query(account_ids=["acc_2001"]))  # still usable after
    assert [e.record["id"] for e in again.evidence] == ["usr_6"]


async def test_the_query_deadline_wins_over_a_longer_statement_timeout(build: Any) -> None:
    conn = build({"slow": SLOW}, statement_timeout="60s")
    started = Stopwatch()

    with pytest.raises(SourceTimeout):
        await conn.collect(make_query(deadline=0.5))

    assert started.busy_free < 3


async def test_a_statement_still_running_at_the_deadline_is_killed_on_the_server(
    build: Any, maria: MariaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = build({"users": USERS}, statement_timeout="60s")
    monkeypatch.setattr(conn, "limits", lambda _d: sqlbase.Limits(60, 60, 10))
    started = Stopwatch()

    with pytest.raises(SourceTimeout, match="stopped at the deadline"):
        await conn.execute("SELECT SLEEP(30) AS s", {}, "query 'sleepy'", time.monotonic() + 0.5)

    assert started.busy_free < 5
    assert conn._conn is None
    for _ in range(40):
        if processes(maria, "SELECT SLEEP(30)%") == 0:
            break
        await asyncio.sleep(0.05)
    assert processes(maria, "SELECT SLEEP(30)%") == 0


async def test_a_connection_killed_mid_query_is_a_one_line_source_error(
    build: Any, maria: MariaServer
) -> None:
    conn = build({"slow": SLOW}, statement_timeout="60s")
    task = asyncio.create_task(conn.collect(make_query()))
    thread = None
    for _ in range(100):
        await asyncio.sleep(0.05)
        thread = maria.scalar(
            "SELECT id FROM information_schema.processlist "
            "WHERE user = 'app_ro' AND info LIKE '%seq_1_to_200000%'"
        )
        if thread:
            break
    assert thread, "the slow query never showed up in the processlist"
    maria.scalar(f"KILL CONNECTION {int(thread)}")

    with pytest.raises(SourceError) as caught:
        await task

    assert not isinstance(caught.value, SourceTimeout)
    message = caught.value.message
    assert message.startswith("db (mysql): connection lost during query 'slow'"), message
    assert "\n" not in message


# --- connecting -----------------------------------------------------------------------------


async def test_a_wrong_password_is_a_clear_auth_error_without_the_password(
    maria: MariaServer, tmp_path: Path
) -> None:
    section = {"type": "mysql", "dsn": "${MY_DSN}", "queries": {"users": USERS}}
    dsn = maria.dsn("app_ro", password="Wr0ng-Pa55")
    conn = make_connector(MySQL, tmp_path, section, {"MY_DSN": dsn})

    with pytest.raises(SourceError) as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))
    (check, *_) = await conn.check()

    for message in (caught.value.message, check.detail):
        assert message.startswith(
            "db (mysql): authentication failed: Access denied for user 'app_ro'"
        )
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
        dsn = f"mysql://app_ro:pw@127.0.0.1:{port}/appdb"
        section = {"type": "mysql", "dsn": dsn, "queries": {"u": USERS}, "connect_timeout": "20s"}
        conn = make_connector(MySQL, tmp_path, section, {})
        started = Stopwatch()

        with pytest.raises(SourceTimeout, match="stopped at the deadline"):
            await conn.collect(make_query(account_ids=["acc_1042"], deadline=0.5))

        assert started.busy_free < 3


async def test_an_unreachable_port_is_a_source_error(tmp_path: Path) -> None:
    port = free_port()
    dsn = f"mysql://app_ro:{PASSWORDS['app_ro']}@127.0.0.1:{port}/appdb"
    conn = make_connector(
        MySQL, tmp_path, {"type": "mysql", "dsn": dsn, "queries": {"u": USERS}}, {}
    )
    started = Stopwatch()

    with pytest.raises(SourceError) as caught:
        await conn.collect(make_query(account_ids=["acc_1042"]))

    assert started.busy_free < 5
    assert caught.value.message.startswith("db (mysql): cannot connect:")
    assert PASSWORDS["app_ro"] not in caught.value.message


async def test_a_dsn_that_is_not_a_mysql_url_says_so_without_echoing_it(tmp_path: Path) -> None:
    section = {"type": "mysql", "dsn": "host=x password=Sup3r-secret", "queries": {"u": USERS}}
    conn = make_connector(MySQL, tmp_path, section, {})

    (check, *_) = await conn.check()

    assert not check.ok
    assert "not a mysql:// URL" in check.detail and "Sup3r-secret" not in check.detail


async def test_a_missing_driver_names_the_extra_to_install(
    maria: MariaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = {"type": "mysql", "dsn": maria.dsn(), "queries": {"users": USERS}}
    conn = make_connector(MySQL, tmp_path, section, {})
    monkeypatch.setitem(sys.modules, "aiomysql", None)

    (check, *_) = await conn.check()

    assert not check.ok
    assert "pip install 'investigate[mysql]'" in check.detail


# --- posture ---------------------------------------------------------------------------------


async def test_check_on_a_select_only_user_has_no_warning(build: Any) -> None:
    conn = build({"account": ACCOUNT, "users": USERS})

    checks = {c.name: c for c in await conn.check()}

    assert all(c.ok and not c.warning for c in checks.values())
    assert checks["connect"].detail.startswith("MariaDB 10.")
    assert "as app_ro@%" in checks["connect"].detail
    assert "only SELECT/USAGE/SHOW VIEW" in checks["read-only"].detail


async def test_check_warns_loudly_when_the_user_can_write(build: Any) -> None:
    conn = build({"account": ACCOUNT}, user="app_rw")

    checks = {c.name: c for c in await conn.check()}

    posture = checks["read-only"]
    assert posture.ok and posture.warning
    assert "INSERT ON `appdb`.*" in posture.detail and "DROP ON `appdb`.*" in posture.detail
    assert "GRANT SELECT ON `appdb`.* TO 'investigate_ro'@'%'" in posture.detail


@pytest.mark.parametrize(
    ("grants", "expected"),
    [
        (["GRANT USAGE ON *.* TO `ro`@`%`", "GRANT SELECT, SHOW VIEW ON `app`.* TO `ro`@`%`"], []),
        (["GRANT SELECT (`id`, `email`), INSERT (`x`) ON `app`.`t` TO `u`@`%`"], ["INSERT ON `app`.`t`"]),
        (["GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION"],
         ["ALL PRIVILEGES ON *.*", "GRANT OPTION ON *.*"]),
        (["GRANT `writer` TO `u`@`%`"], ["role `writer`"]),
    ],
)  # fmt: skip
def test_write_privileges_reads_show_grants(grants: list[str], expected: list[str]) -> None:
    assert write_privileges(grants) == expected


def test_investigate_check_end_to_end_shows_the_write_warning(
    cli: Any, maria: MariaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.setenv("COLUMNS", "500")
    monkeypatch.setenv("MY_RW_DSN", maria.dsn("app_rw"))
    config = tmp_path / "investigate.yaml"
    section = {"type": "mysql", "dsn": "${MY_RW_DSN}", "queries": {"users": USERS}}
    config.write_text(yaml.safe_dump({"connectors": {"shop": section}}))

    result = cli("check", "--config", str(config))

    assert result.code == 0, result.out + result.err
    (line,) = [ln for ln in result.out.splitlines() if "│ read-only " in ln]
    assert "⚠️" in line and "WARNING: app_rw@% has more than SELECT" in line
    assert "GRANT SELECT ON `appdb`.* TO 'investigate_ro'@'%'" in line
    assert PASSWORDS["app_rw"] not in result.out + result.err
