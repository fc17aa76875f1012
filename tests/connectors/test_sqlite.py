"""`sqlite`: named read-only queries bound to entities, identity resolution, caps, the SQL guard
at config load, a read-only connection underneath it, and the deadline."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import investigate_connectors.sqlite as sqlite_module
from investigate.config import load_config
from investigate.context import Context
from investigate.errors import ConfigError, SourceError, SourceTimeout
from investigate.evidence import entities as entity_mod
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate.sdk.sqlguard import CheckedSQL
from investigate_connectors.sqlite import SQLite

WINDOW = Window(
    start=datetime(2026, 11, 23, 10, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
)

ACCOUNT_QUERY = {
    "sql": "SELECT id, name, plan FROM accounts WHERE owner_email = :requester_email",
    "kind": "customer",
    "title": "Account {name} ({plan})",
    "provides": {"account_id": "id"},
}
USERS_QUERY = "SELECT id, email, role FROM users WHERE account_id = :account_id ORDER BY id"
SUBS_QUERY = {
    "sql": (
        "SELECT id, account_id, status, updated_at FROM subscriptions "
        "WHERE account_id = :account_id AND updated_at >= :window_start"
    ),
    "kind": "subscription",
    "title": "Subscription {id}: {status}",
    "time_field": "updated_at",
}


def make_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, plan TEXT, owner_email TEXT);
        CREATE TABLE users (id TEXT PRIMARY KEY, account_id TEXT, email TEXT, role TEXT);
        CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY, account_id TEXT, status TEXT, updated_at TEXT
        );
        INSERT INTO accounts VALUES
            ('acc_1042', 'Acme', 'pro', 'dana@acme.io'),
            ('acc_2001', 'Globex', 'team', 'hank@globex.com'),
            ('acc_2002', 'Initech', 'free', 'bill@initech.com');
        INSERT INTO users VALUES
            ('usr_1', 'acc_1042', 'dana@acme.io', 'owner'),
            ('usr_2', 'acc_1042', 'lee@acme.io', 'member'),
            ('usr_3', 'acc_1042', 'kim@acme.io', 'member'),
            ('usr_4', 'acc_1042', 'sam@acme.io', 'member'),
            ('usr_5', 'acc_1042', 'ash@acme.io', 'viewer'),
            ('usr_6', 'acc_2001', 'hank@globex.com', 'owner'),
            ('usr_7', 'acc_2002', 'bill@initech.com', 'owner');
        INSERT INTO subscriptions VALUES
            ('sub_new', 'acc_1042', 'past_due', '2026-11-24T08:00:00Z'),
            ('sub_old', 'acc_1042', 'canceled', '2025-01-01T00:00:00Z');
        """
    )
    conn.commit()
    conn.close()
    return path


def write_config(tmp_path: Path, queries: dict[str, Any], **extra: Any) -> Path:
    section = {"type": "sqlite", "path": "app.db", "queries": queries, **extra}
    config_path = tmp_path / "investigate.yaml"
    config_path.write_text(yaml.safe_dump({"connectors": {"db": section}}, sort_keys=False))
    return config_path


def make_conn(tmp_path: Path, queries: dict[str, Any], **extra: Any) -> SQLite:
    loaded = load_config(write_config(tmp_path, queries, **extra), env={})
    ctx = Context(config=loaded)
    return SQLite("db", loaded.connector_config("db", SQLite.config_model), ctx)


def ticket(description: str = "", email: str | None = "dana@acme.io") -> Ticket:
    return Ticket(
        id="4812",
        subject="Billing problem",
        description=description,
        requester=Person(email=email),
        created_at=WINDOW.end,
    )


def query(t: Ticket, stage: str = "collect", *, deadline: float | None = None) -> Query:
    return Query(
        t,
        entity_mod.extract(t),
        WINDOW,
        stage=stage,  # type: ignore[arg-type]
        deadline=time.monotonic() + 30 if deadline is None else deadline,
    )


def by_query(evidence: list[Evidence]) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {}
    for e in evidence:
        out.setdefault(e.attributes["query_name"], []).append(e)
    return out


def count_rows(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def plans(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT group_concat(plan) FROM accounts").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_db(tmp_path / "app.db")


# --- identity resolution ---------------------------------------------------------------


async def test_resolve_runs_only_providing_queries_then_collect_runs_the_rest(
    tmp_path: Path, db: Path
) -> None:
    conn = make_conn(
        tmp_path, {"account": ACCOUNT_QUERY, "users": USERS_QUERY, "subscriptions": SUBS_QUERY}
    )
    assert conn.provides() == frozenset({"account_id"})
    q = query(ticket("The export is broken, please help."))
    assert q.entities.account_ids == []

    q.stage = "resolve"
    first = await conn.collect(q)

    assert first.provides == {"account_id": ["acc_1042"]}
    (account,) = first.evidence
    assert account.attributes["query_name"] == "account"
    assert account.kind == "customer"
    assert account.title == "Account Acme (pro)"
    assert account.record == {"id": "acc_1042", "name": "Acme", "plan": "pro"}
    assert "dana@acme.io" in account.matched
    assert ":requester_email" in account.query

    added = entity_mod.add_values(q.entities, "account_id", first.provides["account_id"], "db")
    assert added == ["acc_1042"]
    assert q.entities.resolved == {"acc_1042": "db"}
    q.stage = "collect"
    second = await conn.collect(q)

    groups = by_query(second.evidence)
    assert set(groups) == {"users", "subscriptions"}  # the resolve query did not run again
    assert [e.record["id"] for e in groups["users"]] == [
        "usr_1",
        "usr_2",
        "usr_3",
        "usr_4",
        "usr_5",
    ]
    (sub,) = groups["subscriptions"]  # :window_start leaves out the old subscription
    assert sub.title == "Subscription sub_new: past_due"
    assert sub.kind == "subscription"
    assert sub.timestamp == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert "acc_1042" in sub.matched
    assert second.provides == {}


async def test_collect_without_a_resolve_stage_runs_every_query_it_can(
    tmp_path: Path, db: Path
) -> None:
    conn = make_conn(tmp_path, {"account": ACCOUNT_QUERY, "users": USERS_QUERY})

    result = await conn.collect(query(ticket("Export broken for acc_2001")))

    groups = by_query(result.evidence)
    assert [e.record["id"] for e in groups["account"]] == ["acc_1042"]
    assert [e.record["id"] for e in groups["users"]] == ["usr_6"]
    assert result.provides == {"account_id": ["acc_1042"]}


async def test_a_query_whose_parameters_are_unknown_is_skipped(tmp_path: Path, db: Path) -> None:
    conn = make_conn(
        tmp_path,
        {
            "invoice": "SELECT * FROM accounts WHERE id = :invoice_id",
            "by_requester": "SELECT id FROM users WHERE email = :requester_email",
        },
    )

    result = await conn.collect(query(ticket("No invoice number in this one.")))

    assert set(by_query(result.evidence)) == {"by_requester"}
    assert result.notes == []


async def test_no_requester_email_means_the_requester_query_is_skipped(
    tmp_path: Path, db: Path
) -> None:
    conn = make_conn(tmp_path, {"account": ACCOUNT_QUERY})

    result = await conn.collect(query(ticket("hello", email=None), stage="resolve"))

    assert result.evidence == []
    assert result.provides == {}


async def test_a_list_parameter_runs_once_per_value_up_to_max_values(
    tmp_path: Path, db: Path
) -> None:
    conn = make_conn(
        tmp_path,
        {
            "owners": "SELECT id, account_id FROM users WHERE account_id = :account_id AND role = 'owner'"
        },
        max_values=2,
    )
    t = ticket("Accounts acc_2001, acc_1042 and acc_2002 all fail.")

    result = await conn.collect(query(t))

    rows = [e.record for e in result.evidence]
    assert rows == [
        {"id": "usr_6", "account_id": "acc_2001"},
        {"id": "usr_1", "account_id": "acc_1042"},
    ]
    assert "acc_2001" in result.evidence[0].matched


async def test_a_query_maps_the_end_of_a_span_into_last_seen(tmp_path: Path, db: Path) -> None:
    """A kiln controller's maintenance windows: start and end columns named by the query."""
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE kiln_windows (kiln TEXT, opened TEXT, closed TEXT, phase TEXT);
        INSERT INTO kiln_windows VALUES
            ('k7', '2026-11-24T06:00:00Z', '2026-11-24T07:45:00Z', 'done'),
            ('k9', '2026-11-24T08:10:00Z', NULL, 'running');
        """
    )
    conn.commit()
    conn.close()
    sql = "SELECT kiln, opened, closed, phase FROM kiln_windows ORDER BY kiln"
    named = {"sql": sql, "kind": "incident", "title": "Kiln {kiln}"}
    c = make_conn(tmp_path, {"kilns": {**named, "time_field": "opened", "end_field": "closed"}})
    out = await c.collect(query(ticket()))
    by_title = {e.title: e for e in out.evidence}
    assert by_title["Kiln k7"].timestamp == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert by_title["Kiln k7"].last_seen == datetime(2026, 11, 24, 7, 45, tzinfo=UTC)
    assert by_title["Kiln k9"].last_seen is None


async def test_max_rows_caps_each_run_with_a_note(tmp_path: Path, db: Path) -> None:
    conn = make_conn(tmp_path, {"users": USERS_QUERY}, max_rows=2)

    result = await conn.collect(query(ticket("acc_1042 is broken")))

    assert [e.record["id"] for e in result.evidence] == ["usr_1", "usr_2"]
    assert len(result.notes) == 1
    assert "db.users" in result.notes[0]
    assert "more than 2 rows" in result.notes[0]


async def test_exactly_max_rows_rows_has_no_note(tmp_path: Path, db: Path) -> None:
    conn = make_conn(tmp_path, {"users": USERS_QUERY}, max_rows=5)

    result = await conn.collect(query(ticket("acc_1042 is broken")))

    assert len(result.evidence) == 5
    assert result.notes == []


async def test_values_are_bound_not_spliced(tmp_path: Path, db: Path) -> None:
    conn = make_conn(
        tmp_path, {"by_requester": "SELECT id FROM users WHERE email = :requester_email"}
    )
    hostile = "x' OR '1'='1@evil.com"

    result = await conn.collect(query(ticket("hi", email=hostile)))

    assert result.evidence == []


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("INSERT INTO accounts VALUES ('acc_666', 'Evil', 'pro', 'x@evil.com')", "accounts"),
        ("UPDATE accounts SET plan = 'free'", "accounts"),
        ("DELETE FROM users", "users"),
        ("DROP TABLE subscriptions", "subscriptions"),
    ],
)
async def test_the_database_is_read_only_even_if_the_sql_guard_is_bypassed(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, sql: str, table: str
) -> None:
    conn = make_conn(tmp_path, {"harmless": "SELECT id FROM accounts"})
    monkeypatch.setattr(sqlite_module, "check_sql", lambda _sql, _dialect: CheckedSQL(sql, ()))
    rows_before = count_rows(db, table)
    plans_before = plans(db)

    with pytest.raises(SourceError) as caught:
        await conn.collect(query(ticket("anything")))

    assert not isinstance(caught.value, SourceTimeout)
    assert "harmless" in caught.value.message
    assert count_rows(db, table) == rows_before
    assert plans(db) == plans_before


@pytest.mark.parametrize(
    ("sql", "made"),
    [
        ("ATTACH DATABASE 'made.db' AS other", "made.db"),
        ("PRAGMA query_only = OFF", None),
        ("VACUUM INTO 'copy.db'", "copy.db"),
        ("SELECT writefile('out.txt', 'x')", None),
    ],
)
async def test_attach_and_pragmas_fail_even_past_the_guard(
    tmp_path: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    sql: str,
    made: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    conn = make_conn(tmp_path, {"harmless": "SELECT id FROM accounts"})
    monkeypatch.setattr(sqlite_module, "check_sql", lambda _sql, _dialect: CheckedSQL(sql, ()))

    with pytest.raises(SourceError) as caught:
        await conn.collect(query(ticket("anything")))

    assert "harmless" in caught.value.message
    if made:
        assert not (tmp_path / made).exists()
    raw = conn._connect(time.monotonic() + 5)  # the connection the connector queries through
    try:
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute("PRAGMA query_only = OFF")
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute("INSERT INTO accounts VALUES ('a', 'b', 'c', 'd')")
    finally:
        raw.close()


async def test_percent_or_underscore_in_an_entity_matches_only_itself(
    tmp_path: Path, db: Path
) -> None:
    queries = {
        "by_email": {
            "sql": "SELECT id FROM accounts WHERE owner_email LIKE :requester_email",
            "kind": "customer",
        },
        "by_part": "SELECT id FROM accounts WHERE owner_email LIKE '%' || :requester_email",
    }

    async def ids(email: str) -> dict[str, set[str]]:
        result = await make_conn(tmp_path, queries).collect(query(ticket("hi", email=email)))
        return {n: {e.record["id"] for e in v} for n, v in by_query(result.evidence).items()}

    for wildcard in ("%", "%@%", "_%", "dana@acme.i_", "%.com"):
        assert await ids(wildcard) == {}, wildcard
    assert await ids("dana@acme.io") == {"by_email": {"acc_1042"}, "by_part": {"acc_1042"}}


@pytest.mark.parametrize(
    ("name", "sql"),
    [
        ("wipe", "DELETE FROM accounts"),
        ("sneaky", "SELECT 1; DELETE FROM accounts"),
        ("two", "SELECT id FROM accounts; SELECT id FROM users"),
        ("other_db", "ATTACH DATABASE 'other.db' AS other"),
        ("mystery", "SELECT * FROM accounts WHERE id = :favourite_colour"),
        ("upsert", "INSERT INTO accounts (id) VALUES ('acc_1') ON CONFLICT DO NOTHING"),
    ],
)
def test_a_bad_query_is_a_config_error_naming_it(
    tmp_path: Path, db: Path, name: str, sql: str
) -> None:
    loaded = load_config(
        write_config(tmp_path, {"ok": "SELECT id FROM accounts", name: sql}), env={}
    )

    with pytest.raises(ConfigError) as caught:
        loaded.connector_config("db", SQLite.config_model)

    assert f"'{name}'" in caught.value.message
    assert "connectors.db" in caught.value.message


def test_an_unknown_parameter_error_lists_the_available_ones(tmp_path: Path, db: Path) -> None:
    loaded = load_config(
        write_config(tmp_path, {"q": "SELECT * FROM accounts WHERE id = :acct"}), env={}
    )

    with pytest.raises(ConfigError) as caught:
        loaded.connector_config("db", SQLite.config_model)

    assert ":acct" in caught.value.message
    assert ":account_id" in caught.value.message


def test_providing_an_unknown_parameter_is_a_config_error(tmp_path: Path, db: Path) -> None:
    bad = {**ACCOUNT_QUERY, "provides": {"favourite_colour": "id"}}
    loaded = load_config(write_config(tmp_path, {"account": bad}), env={})

    with pytest.raises(ConfigError, match="favourite_colour"):
        loaded.connector_config("db", SQLite.config_model)


# --- failures ------------------------------------------------------------------------------


async def test_a_missing_database_file_is_a_source_error(tmp_path: Path) -> None:
    conn = make_conn(tmp_path, {"users": "SELECT id FROM users WHERE email = :requester_email"})

    with pytest.raises(SourceError, match="database file not found"):
        await conn.collect(query(ticket()))
    assert not (tmp_path / "app.db").exists()  # and it was not created either


async def test_a_query_error_is_a_source_error_naming_the_query(tmp_path: Path, db: Path) -> None:
    conn = make_conn(
        tmp_path, {"typo": "SELECT id FROM acounts WHERE owner_email = :requester_email"}
    )

    with pytest.raises(SourceError, match="typo"):
        await conn.collect(query(ticket()))


async def test_a_slow_query_is_interrupted_at_the_deadline(tmp_path: Path, db: Path) -> None:
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
        "SELECT count(*) AS n FROM c"
    )
    conn = make_conn(tmp_path, {"slow": slow})

    with pytest.raises(SourceTimeout, match="slow"):
        await conn.collect(query(ticket(), deadline=time.monotonic() + 0.3))


async def test_check_reports_a_good_database(tmp_path: Path, db: Path) -> None:
    conn = make_conn(tmp_path, {"users": USERS_QUERY, "account": ACCOUNT_QUERY})

    checks = await conn.check()

    assert all(c.ok for c in checks)
    assert "3 tables" in checks[0].detail
    assert "2 queries" in checks[1].detail


async def test_check_reports_a_missing_database(tmp_path: Path) -> None:
    conn = make_conn(tmp_path, {"users": USERS_QUERY})

    checks = await conn.check()

    assert not all(c.ok for c in checks)
    assert "not found" in checks[0].detail
