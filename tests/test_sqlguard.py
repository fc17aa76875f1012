"""The SQL guard: one read statement passes, regenerated from the parse tree; nothing else does."""

from __future__ import annotations

import pytest
import sqlglot
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.errors import SqlglotError

from investigate.errors import ReadOnlyViolation, SourceError
from investigate.sqlguard import check_sql

SQLITE_ATTACKS = [
    # plain writes
    "INSERT INTO accounts (id) VALUES (1)",
    "INSERT INTO t SELECT * FROM u",
    "UPDATE accounts SET plan = 'free'",
    "DELETE FROM accounts",
    "DELETE FROM accounts WHERE id = :account_id",
    "REPLACE INTO accounts (id) VALUES (1)",
    "INSERT OR REPLACE INTO accounts (id) VALUES (1)",
    "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2",
    "UPSERT INTO accounts VALUES (1)",
    # schema changes
    "DROP TABLE accounts",
    "DROP VIEW v",
    "CREATE TABLE x (a INT)",
    "CREATE TEMP TABLE x AS SELECT * FROM accounts",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END",
    "ALTER TABLE accounts RENAME TO old",
    "ALTER TABLE accounts ADD COLUMN x INT",
    # more than one statement
    "SELECT 1; DROP TABLE x",
    "SELECT 1;DELETE FROM t",
    "SELECT 1;--\nDELETE FROM t",
    "SELECT 1; SELECT 2",
    "SELECT 1 /* ; */ ; UPDATE t SET a = 1",
    # writes hidden inside a read
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i",
    "SELECT * FROM (DELETE FROM t RETURNING *)",
    "SELECT * INTO t2 FROM t",
    # database-level side effects
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "ATTACH '/tmp/evil.db' AS evil",
    "DETACH DATABASE evil",
    "DETACH evil",
    "PRAGMA writable_schema=1",
    "PRAGMA query_only=0",
    "PRAGMA journal_mode=DELETE",
    "VACUUM",
    "VACUUM INTO '/tmp/x'",
    "REINDEX",
    "ANALYZE",
    # dangerous functions
    "SELECT load_extension('x')",
    "SELECT LOAD_EXTENSION('x')",
    "SELECT \"load_extension\"('x')",
    "SELECT writefile('/tmp/x','y')",
    "SELECT readfile('/etc/passwd')",
    "SELECT id FROM t WHERE name = writefile('/tmp/x', name)",
    "SELECT edit('x')",
    "SELECT fts3_tokenizer('simple')",
    # transactions and savepoints
    "BEGIN",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT a",
    "RELEASE a",
    # locks
    "SELECT * FROM accounts FOR UPDATE",
    # other statements
    "EXPLAIN SELECT 1",
    # malformed input
    "SELECT 1\x00",
    "SELECT 1; \x00 DROP TABLE t",
    "))((",
    "SELECT FROM WHERE",
    "DROP",
    "",
    "   ",
    ";",
    "-- only a comment",
]

POSTGRES_ATTACKS = [
    "SELECT pg_sleep(10)",
    "SELECT PG_SLEEP(10)",
    "SELECT pg_catalog.pg_sleep(10)",
    'SELECT "pg_sleep"(10)',
    "SELECT * FROM pg_sleep(10)",
    "SELECT pg_sleep_for('5 minutes')",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_read_binary_file('/etc/passwd')",
    "SELECT * FROM pg_ls_dir('/')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_export(1234, '/tmp/x')",
    "SELECT dblink('host=evil', 'DELETE FROM t')",
    "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a INT)",
    "SELECT dblink_exec('host=evil', 'DROP TABLE t')",
    "SELECT set_config('role', 'admin', false)",
    "SELECT pg_catalog.set_config('statement_timeout', '0', false)",
    "SELECT nextval('accounts_id_seq')",
    "SELECT setval('accounts_id_seq', 1)",
    "SELECT query_to_xml('DELETE FROM t', true, true, '')",
    "SELECT pg_terminate_backend(1234)",
    "SELECT pg_advisory_lock(1)",
    "SET ROLE admin",
    "SET search_path = evil",
    "RESET ALL",
    "COPY t TO '/tmp/x'",
    "COPY t FROM '/tmp/x'",
    "COPY (SELECT 1) TO PROGRAM 'rm -rf /'",
    "CALL p()",
    "DO $$ BEGIN DELETE FROM t; END $$",
    "TRUNCATE accounts",
    "LOCK TABLE accounts",
    "GRANT ALL ON accounts TO public",
    "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE",
    "REFRESH MATERIALIZED VIEW v",
    "PREPARE p AS DELETE FROM t",
    "EXECUTE p",
    "EXPLAIN ANALYZE DELETE FROM t",
    "WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x",
    "SELECT 1 INTO TEMP t",
    "SELECT * FROM accounts FOR SHARE",
    "SELECT * FROM accounts FOR NO KEY UPDATE",
    "SELECT 1; DROP TABLE accounts",
]


@pytest.mark.parametrize("sql", SQLITE_ATTACKS)
def test_sqlite_attack_is_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        check_sql(sql, "sqlite")
    assert str(info.value).startswith("SQL refused:")


@pytest.mark.parametrize("sql", POSTGRES_ATTACKS)
def test_postgres_attack_is_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        check_sql(sql, "postgres")
    assert str(info.value).startswith("SQL refused:")


@pytest.mark.parametrize(
    "sql",
    [
        # Siblings of functions the guard already refuses (lo_import, lo_put, dblink_exec,
        # pg_advisory_lock): they create, change or delete state, or take locks, and a
        # SELECT-only role may still call most of them.
        "SELECT lo_create(0)",
        "SELECT lo_unlink(1234)",
        "SELECT lowrite(0, 'x')",
        "SELECT lo_truncate(0, 0)",
        "SELECT dblink_send_query('conn', 'DELETE FROM t')",
        "SELECT pg_advisory_xact_lock(1)",
        "SELECT pg_try_advisory_lock(1)",
        "SELECT pg_file_write('/tmp/x', 'y', false)",
    ],
)
def test_postgres_write_capable_functions_are_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation):
        check_sql(sql, "postgres")


def test_there_are_enough_attacks() -> None:
    assert len(SQLITE_ATTACKS) >= 30
    assert len(POSTGRES_ATTACKS) >= 9


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT 1; DROP TABLE x", "exactly one statement"),
        ("", "exactly one statement"),
        ("DELETE FROM t", "DELETE is not a read"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELECT load_extension('x')", "load_extension()"),
        ("SELECT 1\x00", "NUL byte"),
        ("))((", "does not parse"),
    ],
)
def test_refusal_says_why(sql: str, reason: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=r".") as info:
        check_sql(sql, "sqlite")
    assert reason in str(info.value)


def test_refusal_is_a_source_error() -> None:
    # The pipeline records SourceErrors per connector instead of aborting the run.
    with pytest.raises(SourceError):
        check_sql("DROP TABLE t", "sqlite")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT id, name FROM accounts WHERE id = 1",
        "SELECT a.id, u.email FROM accounts a JOIN users u ON u.account_id = a.id",
        "SELECT a.id FROM accounts a LEFT JOIN users u ON u.account_id = a.id",
        "SELECT id FROM accounts UNION SELECT id FROM old_accounts",
        "SELECT id FROM accounts UNION ALL SELECT id FROM old_accounts",
        "SELECT id FROM accounts EXCEPT SELECT id FROM banned",
        "SELECT * FROM (SELECT id FROM accounts) AS sub",
        "SELECT id FROM accounts WHERE id IN (SELECT account_id FROM users)",
        "WITH recent AS (SELECT * FROM jobs WHERE status = 'failed') SELECT * FROM recent",
        "SELECT count(*), status FROM jobs GROUP BY status HAVING count(*) > 1",
        "SELECT * FROM jobs ORDER BY created_at DESC LIMIT 20",
        "SELECT lower(email), coalesce(name, '') FROM users",
        "SELECT 1;",
        "VALUES (1), (2)",
    ],
)
def test_reads_are_accepted(sql: str) -> None:
    checked = check_sql(sql, "sqlite")
    statements = sqlglot.parse(checked.sql, read="sqlite")
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Select | exp.SetOperation | exp.Values)


def test_sql_is_regenerated_from_the_parse_tree() -> None:
    checked = check_sql("select   id\nfrom accounts   where email = :email", "sqlite")
    assert checked.sql == "SELECT id FROM accounts WHERE email = :email"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT * FROM jobs WHERE account_id = :account_id AND created_at >= :window_start "
            "AND created_at < :window_end AND (owner = :account_id OR :window_start IS NULL)",
            ("account_id", "window_start", "window_end"),
        ),
        (
            "WITH mine AS (SELECT * FROM jobs WHERE account_id = :account_id) "
            "SELECT * FROM mine WHERE created_at >= :window_start",
            ("account_id", "window_start"),
        ),
    ],
)
def test_named_params_in_order_without_duplicates(sql: str, expected: tuple[str, ...]) -> None:
    # The order is the order in the query text: it is the order of parameters in messages
    # ("unknown parameter(s) ...") and of the value combinations that `max_runs` cuts.
    checked = check_sql(sql, "sqlite")
    assert checked.params == expected
    for name in checked.params:
        assert f":{name}" in checked.sql


def test_no_params() -> None:
    assert check_sql("SELECT 1", "sqlite").params == ()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM accounts -- trailing comment",
        "/* leading */ SELECT id FROM accounts",
        "SELECT id /* inline; DROP TABLE accounts */ FROM accounts",
        "SELECT id FROM accounts\n-- DELETE FROM accounts\n",
    ],
)
def test_comments_are_dropped(sql: str) -> None:
    checked = check_sql(sql, "sqlite")
    assert checked.sql == "SELECT id FROM accounts"
    assert "--" not in checked.sql
    assert "/*" not in checked.sql


def test_postgres_read_with_params() -> None:
    checked = check_sql(
        "SELECT a.id FROM accounts a JOIN users u ON u.account_id = a.id "
        "WHERE u.email = :requester_email",
        "postgres",
    )
    assert checked.params == ("requester_email",)
    assert "JOIN" in checked.sql


# --- property: whatever the input, either a refusal or exactly one read statement ---------

_TOKENS = [
    "SELECT", "FROM", "WHERE", "INSERT", "INTO", "UPDATE", "SET", "DELETE", "VALUES", "WITH",
    "AS", "UNION", "ALL", "JOIN", "ON", "DROP", "TABLE", "CREATE", "PRAGMA", "ATTACH",
    "RETURNING", "FOR", "BEGIN", "END", "t", "u", "a", "*", "1", "'x'", ":p", "?", "(", ")",
    ",", ";", "=", "--", "/*", "*/", "\n", "load_extension", "writefile", "'", '"', "`",
    "[", "]", "$$", "||", "-", "+", "CASE", "WHEN", "THEN", "ELSE", "NULL", "LIMIT",
]  # fmt: skip

sql_like = st.lists(st.sampled_from(_TOKENS), max_size=16).map(" ".join)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(st.text(max_size=60), sql_like))
@example("SELECT 1; DROP TABLE x")
@example("SELECT 1 --")
@example("SELECT '")
@example("WITH a AS (SELECT 1) SELECT * FROM a")
@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_any_text_is_refused_or_exactly_one_read(dialect: str, sql: str) -> None:
    try:
        checked = check_sql(sql, dialect)
    except ReadOnlyViolation:
        return
    try:
        statements = sqlglot.parse(checked.sql, read=dialect)
    except SqlglotError as exc:
        pytest.fail(f"{sql!r} was accepted as {checked.sql!r}, which does not parse: {exc}")
    assert len(statements) == 1, (sql, checked.sql)
    assert isinstance(statements[0], exp.Select | exp.SetOperation | exp.Values), (
        sql,
        checked.sql,
    )
