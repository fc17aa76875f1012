"""The SQL guard: one read statement passes, regenerated from the parse tree; nothing else does."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from investigate.errors import ReadOnlyViolation, SourceError
from investigate.sdk.sqlguard import check_sql

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


# --- the attack table: every string is refused in every dialect it applies to --------------

SQLITE, PG, MY = "sqlite", "postgres", "mysql"
ALL = (SQLITE, PG, MY)
SERVERS = (PG, MY)

# (readable id, SQL, dialects it applies to)
ATTACKS: list[tuple[str, str, tuple[str, ...]]] = [
    # DML / DDL
    ("insert", "INSERT INTO accounts (id) VALUES (1)", ALL),
    ("update", "UPDATE accounts SET plan = 'free' WHERE id = 1", ALL),
    ("delete", "DELETE FROM accounts", ALL),
    ("replace-into", "REPLACE INTO accounts (id) VALUES (1)", (SQLITE, MY)),
    ("insert-on-duplicate", "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2", (MY,)),
    ("drop-table", "DROP TABLE accounts", ALL),
    ("create-table-as", "CREATE TABLE x AS SELECT * FROM accounts", ALL),
    ("create-function", "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", (PG,)),
    ("alter-table", "ALTER TABLE accounts ADD COLUMN x INT", ALL),
    ("truncate", "TRUNCATE TABLE accounts", SERVERS),
    ("grant", "GRANT ALL ON accounts TO public", SERVERS),
    ("merge", "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", (PG,)),
    # more than one statement
    ("two-statements", "SELECT 1; DROP TABLE accounts", ALL),
    ("two-statements-no-space", "SELECT 1;DELETE FROM t", ALL),
    ("two-selects", "SELECT 1; SELECT 2", ALL),
    ("statement-after-line-comment", "SELECT 1 -- x\n; DROP TABLE t", ALL),
    ("statement-between-comments", "SELECT 1 /* a */ ; /* b */ DELETE FROM t", ALL),
    ("statement-after-hash-comment", "SELECT 1 # x\n; DROP TABLE t", (MY,)),
    ("semicolon-in-broken-string", "SELECT 'a\\' ; DROP TABLE t; --", (PG, SQLITE)),
    # writes hidden inside a read
    ("cte-delete", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", (SQLITE, PG)),
    ("cte-insert", "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i", (PG,)),
    ("cte-update", "WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x", (PG,)),
    ("subquery-delete", "SELECT * FROM (DELETE FROM t RETURNING *) AS d", (PG,)),
    ("select-into-table", "SELECT * INTO t2 FROM t", ALL),
    ("select-into-temp", "SELECT 1 INTO TEMP t", (PG,)),
    ("select-into-variable", "SELECT id INTO @x FROM t", (MY,)),
    ("into-outfile", "SELECT * FROM t INTO OUTFILE '/tmp/x'", (MY,)),
    ("into-outfile-before-from", "SELECT * INTO OUTFILE '/tmp/x' FROM t", (MY,)),
    ("into-dumpfile", "SELECT * FROM t INTO DUMPFILE '/tmp/x'", (MY,)),
    # locks
    ("for-update", "SELECT * FROM accounts FOR UPDATE", ALL),
    ("for-update-nowait", "SELECT * FROM accounts FOR UPDATE NOWAIT", SERVERS),
    ("for-share", "SELECT * FROM accounts FOR SHARE", SERVERS),
    ("for-no-key-update", "SELECT * FROM accounts FOR NO KEY UPDATE", (PG,)),
    ("for-key-share", "SELECT * FROM accounts FOR KEY SHARE", (PG,)),
    ("lock-in-share-mode", "SELECT * FROM accounts LOCK IN SHARE MODE", (MY,)),
    ("lock-table", "LOCK TABLE accounts", (PG,)),
    ("lock-tables", "LOCK TABLES accounts READ", (MY,)),
    ("get-lock", "SELECT GET_LOCK('a', 10)", (MY,)),
    ("release-lock", "SELECT RELEASE_LOCK('a')", (MY,)),
    ("pg-advisory-lock", "SELECT pg_advisory_lock(1)", (PG,)),
    ("pg-try-advisory-xact-lock", "SELECT pg_try_advisory_xact_lock(1)", (PG,)),
    # COPY / files
    ("copy-to-file", "COPY accounts TO '/tmp/x'", (PG,)),
    ("copy-from-file", "COPY accounts FROM '/tmp/x'", (PG,)),
    ("copy-to-program", "COPY (SELECT 1) TO PROGRAM 'rm -rf /'", (PG,)),
    ("pg-read-file", "SELECT pg_read_file('/etc/passwd')", (PG,)),
    ("pg-read-binary-file", "SELECT pg_read_binary_file('/etc/passwd')", (PG,)),
    ("pg-ls-dir", "SELECT * FROM pg_ls_dir('/')", (PG,)),
    ("pg-stat-file", "SELECT pg_stat_file('/etc/passwd')", (PG,)),
    ("lo-import", "SELECT lo_import('/etc/passwd')", (PG,)),
    ("lo-export", "SELECT lo_export(1234, '/tmp/x')", (PG,)),
    ("load-data", "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", (MY,)),
    ("load-data-local", "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", (MY,)),
    ("load-file", "SELECT LOAD_FILE('/etc/passwd')", (MY,)),
    ("sqlite-readfile", "SELECT readfile('/etc/passwd')", (SQLITE,)),
    ("sqlite-writefile", "SELECT writefile('/tmp/x', 'y')", (SQLITE,)),
    ("sqlite-fsdir", "SELECT * FROM fsdir('/')", (SQLITE,)),
    ("sqlite-load-extension", "SELECT load_extension('/tmp/evil')", (SQLITE,)),
    # sleeps and other time / resource bombs
    ("pg-sleep", "SELECT pg_sleep(10)", (PG,)),
    ("pg-sleep-upper", "SELECT PG_SLEEP(10)", (PG,)),
    ("pg-sleep-for", "SELECT pg_sleep_for('5 minutes')", (PG,)),
    ("pg-sleep-quoted", 'SELECT "pg_sleep"(10)', (PG,)),
    ("pg-sleep-schema", "SELECT pg_catalog.pg_sleep(10)", (PG,)),
    ("pg-sleep-schema-quoted", 'SELECT "pg_catalog"."pg_sleep"(10)', (PG,)),
    ("pg-sleep-in-from", "SELECT * FROM pg_sleep(10)", (PG,)),
    ("pg-sleep-lateral", "SELECT * FROM accounts, LATERAL pg_sleep(1) AS s", (PG,)),
    (
        "pg-sleep-lateral-subquery",
        "SELECT * FROM t CROSS JOIN LATERAL (SELECT pg_sleep(1)) s",
        (PG,),
    ),
    ("pg-sleep-subselect", "SELECT id FROM t WHERE id IN (SELECT pg_sleep(1))", (PG,)),
    ("pg-sleep-in-case", "SELECT CASE WHEN 1 = 1 THEN pg_sleep(1) END", (PG,)),
    ("pg-sleep-in-cast", "SELECT CAST(pg_sleep(1) AS TEXT)", (PG,)),
    ("pg-sleep-rows-from", "SELECT * FROM ROWS FROM (pg_sleep(1))", (PG,)),
    ("sleep", "SELECT SLEEP(10)", (MY,)),
    ("sleep-quoted", "SELECT `sleep`(10)", (MY,)),
    ("sleep-lateral", "SELECT * FROM t, LATERAL (SELECT SLEEP(1)) AS s", (MY,)),
    ("benchmark", "SELECT BENCHMARK(100000000, MD5('x'))", (MY,)),
    ("benchmark-subselect", "SELECT (SELECT BENCHMARK(1000000, 1)) AS b", (MY,)),
    # functions that write, signal or run SQL from a string
    ("nextval", "SELECT nextval('accounts_id_seq')", (PG,)),
    ("setval", "SELECT setval('accounts_id_seq', 1)", (PG,)),
    ("txid-current", "SELECT txid_current()", (PG,)),
    ("pg-current-xact-id", "SELECT pg_current_xact_id()", (PG,)),
    ("query-to-xml", "SELECT query_to_xml('DELETE FROM t', true, true, '')", (PG,)),
    (
        "query-to-xml-concatenated",
        "SELECT query_to_xml('SELECT pg_' || 'sleep(10)', true, true, '')",
        (PG,),
    ),
    ("concatenated-function-name", "SELECT 'pg_' || 'sleep'(10)", (PG,)),
    ("concat-function-name", "SELECT CONCAT('SLE', 'EP')(10)", (MY,)),
    ("dblink", "SELECT dblink('host=evil', 'DELETE FROM t')", (PG,)),
    ("dblink-exec", "SELECT dblink_exec('host=evil', 'DROP TABLE t')", (PG,)),
    ("set-config", "SELECT set_config('role', 'admin', false)", (PG,)),
    ("set-config-schema", "SELECT pg_catalog.set_config('statement_timeout', '0', false)", (PG,)),
    ("pg-notify", "SELECT pg_notify('c', 'x')", (PG,)),
    ("pg-terminate-backend", "SELECT pg_terminate_backend(1234)", (PG,)),
    ("pg-reload-conf", "SELECT pg_reload_conf()", (PG,)),
    ("http-get", "SELECT http_get('http://evil.example')", (PG,)),
    ("variable-assignment", "SELECT @a := 1", (MY,)),
    ("variable-assignment-in-list", "SELECT id, @n := @n + 1 FROM t", (MY,)),
    # session, procedure and utility statements
    ("set-variable", "SET @a = 1", (MY,)),
    ("set-global", "SET GLOBAL general_log = 1", (MY,)),
    ("set-role", "SET ROLE admin", (PG,)),
    ("set-search-path", "SET search_path = evil", (PG,)),
    ("reset-all", "RESET ALL", (PG,)),
    ("call", "CALL p()", SERVERS),
    ("do-block", "DO $$ BEGIN DELETE FROM t; END $$", (PG,)),
    ("do-sleep", "DO SLEEP(5)", (MY,)),
    ("prepare", "PREPARE p AS DELETE FROM t", (PG,)),
    ("prepare-from", "PREPARE s FROM 'DELETE FROM t'", (MY,)),
    ("execute", "EXECUTE p", SERVERS),
    ("handler-open", "HANDLER t OPEN", (MY,)),
    ("handler-read", "HANDLER t READ FIRST", (MY,)),
    ("vacuum", "VACUUM", (SQLITE, PG)),
    ("vacuum-into", "VACUUM INTO '/tmp/x'", (SQLITE,)),
    ("analyze", "ANALYZE accounts", ALL),
    ("listen", "LISTEN c", (PG,)),
    ("notify", "NOTIFY c, 'x'", (PG,)),
    ("unlisten", "UNLISTEN *", (PG,)),
    ("attach", "ATTACH DATABASE '/tmp/evil.db' AS evil", (SQLITE,)),
    ("pragma", "PRAGMA query_only = 0", (SQLITE,)),
    ("pragma-writable-schema", "PRAGMA writable_schema = 1", (SQLITE,)),
    ("explain", "EXPLAIN SELECT 1", ALL),
    ("explain-analyze-delete", "EXPLAIN ANALYZE DELETE FROM t", SERVERS),
    ("show-tables", "SHOW TABLES", (MY,)),
    ("show-setting", "SHOW search_path", (PG,)),
    ("describe", "DESCRIBE accounts", (MY,)),
    ("begin", "BEGIN", ALL),
    ("start-transaction", "START TRANSACTION", SERVERS),
    ("commit", "COMMIT", ALL),
    ("savepoint", "SAVEPOINT a", ALL),
    ("use-database", "USE other", (MY,)),
    ("kill", "KILL 1", (MY,)),
    ("flush", "FLUSH PRIVILEGES", (MY,)),
    ("install-plugin", "INSTALL PLUGIN x SONAME 'x.so'", (MY,)),
    # comment tricks
    ("executable-comment", "SELECT 1 /*! , SLEEP(10) */", (MY,)),
    ("executable-comment-statement", "SELECT 1 /*!; DROP TABLE t */", (MY,)),
    (
        "versioned-executable-comment",
        "SELECT 1 /*!50000 UNION SELECT LOAD_FILE('/etc/passwd') */",
        (MY,),
    ),
    ("mariadb-executable-comment", "SELECT 1 /*M!100100 , SLEEP(10) */", (MY,)),
    ("empty-executable-comment", "SELECT 'x' /*!*/", (MY,)),
    ("optimizer-hint", "SELECT /*+ SET_VAR(sort_buffer_size = 16M) */ id FROM t", (MY,)),
    ("optimizer-hint-time", "SELECT /*+ MAX_EXECUTION_TIME(1000000) */ 1", (MY,)),
    ("nested-comment-hides-nothing", "/* /* */ DROP TABLE t; */ SELECT 1; DROP TABLE t", (PG,)),
    ("unterminated-comment", "SELECT 1 /* DROP TABLE t", ALL),
    ("only-a-comment", "-- SELECT 1", ALL),
    # unicode tricks
    ("fullwidth-semicolon", "SELECT 1\uff1b DROP TABLE t", ALL),
    ("homoglyph-keyword", "S\u0415LECT 1; DROP TABLE t", ALL),
    ("homoglyph-function", "SELECT pg_sl\u0435ep(10)", (PG,)),
    ("homoglyph-identifier", "SELECT \u0430ccounts.id FROM accounts", ALL),
    ("zero-width-space", "SELECT\u200b1", ALL),
    ("zero-width-in-function", "SELECT pg_\u200bsleep(10)", (PG,)),
    ("zero-width-joiner-in-string", "SELECT 'a\u200db' FROM t", ALL),
    ("rtl-override", "SELECT id FROM t /*\u202e ; DROP TABLE t */", ALL),
    ("rtl-override-in-string", "SELECT '\u202edrop' FROM t", ALL),
    ("no-break-space", "SELECT\u00a0*\u00a0FROM t", ALL),
    ("line-separator", "SELECT 1\u2028DROP TABLE t", ALL),
    ("byte-order-mark", "\ufeffSELECT 1", ALL),
    ("nul-byte", "SELECT 1\x00; DROP TABLE t", ALL),
    ("nul-in-string", "SELECT 'a\x00' FROM t", ALL),
    ("escape-character", "SELECT 1\x1b[2J", ALL),
    # malformed
    ("garbage", "))((", ALL),
    ("empty", "", ALL),
    ("just-a-semicolon", ";", ALL),
    ("keywords-only", "SELECT FROM WHERE", ALL),
    ("parenthesised-select", "(SELECT 1)", ALL),
    # calls in disguise
    ("unicode-escape-identifier", 'SELECT U&"\\0070g_sleep"(1)', (PG,)),
    ("field-notation-call", "SELECT (accounts).pg_sleep FROM accounts", (PG,)),
    ("qualified-field-notation-call", "SELECT t.nextval FROM t", (PG,)),
    ("comment-between-name-and-paren", "SELECT pg_sleep/**/(1)", (PG,)),
    ("space-between-name-and-paren", "SELECT SLEEP (1)", (MY,)),
    ("odbc-escape-function", "SELECT {fn SLEEP(1)}", (MY,)),
    ("bracket-quoted-function", "SELECT [load_extension]('x')", (SQLITE,)),
]

ATTACK_CASES = [
    pytest.param(sql, dialect, id=f"{dialect}-{name}")
    for name, sql, dialects in ATTACKS
    for dialect in dialects
]


@pytest.mark.parametrize(("sql", "dialect"), ATTACK_CASES)
def test_attack_is_refused(sql: str, dialect: str) -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        check_sql(sql, dialect)
    message = str(info.value)
    assert message.startswith("SQL refused: ")
    assert "\n" not in message  # one line, no traceback
    assert "Traceback" not in message


def test_the_attack_table_is_big_enough_and_ids_are_unique() -> None:
    assert len(ATTACKS) >= 40
    assert len(ATTACK_CASES) >= 150
    ids = [name for name, _sql, _dialects in ATTACKS]
    assert len(ids) == len(set(ids))
    for _name, _sql, dialects in ATTACKS:
        assert dialects and set(dialects) <= set(ALL)


@pytest.mark.parametrize(
    ("sql", "dialect", "reason"),
    [
        ("SELECT 1 /*!50000 , SLEEP(1) */", MY, "executable comments"),
        ("SELECT /*+ BKA(t) */ 1 FROM t", MY, "optimizer hints"),
        ("SELECT\u200b1", PG, "U+200B (ZERO WIDTH SPACE) at position 6"),
        ("SELECT 1 /*\u202e*/", SQLITE, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("SELECT pg_sl\u0435ep(1)", PG, "not a plain name"),
        ('SELECT U&"\\0070g_sleep"(1)', PG, "not a plain name"),
        ("SELECT (t).pg_sleep FROM t", PG, "field notation"),
        ("LISTEN c", PG, "LISTEN is not a read"),
        ("(SELECT 1)", SQLITE, "parenthesised"),
        ("SELECT pg_notify('c', 'x')", PG, "pg_notify()"),
        ('SELECT "pg_catalog"."pg_sleep"(1)', PG, "pg_sleep()"),
        ("SELECT @a := 1", MY, "assigning a variable"),
        ("SELECT * FROM t FOR UPDATE", PG, "LOCK is not allowed"),
        ("SELECT id INTO @x FROM t", MY, "INTO is not allowed"),
        ("SHOW TABLES", MY, "SHOW is not a read"),
        ("EXPLAIN ANALYZE DELETE FROM t", PG, "is not a read"),
    ],
    ids=lambda v: v if isinstance(v, str) and v in ALL else None,
)
def test_new_refusals_say_why(sql: str, dialect: str, reason: str) -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        check_sql(sql, dialect)
    assert reason in str(info.value)


# --- benign queries: they pass in every dialect they apply to, meaning intact --------------

BENIGN: list[tuple[str, str, tuple[str, ...]]] = [
    ("join", "SELECT a.id, u.email FROM accounts AS a JOIN users AS u ON u.account_id = a.id", ALL),
    (
        "left-join",
        "SELECT a.id FROM accounts AS a LEFT JOIN users AS u ON u.account_id = a.id",
        ALL,
    ),
    (
        "cte",
        "WITH recent AS (SELECT * FROM jobs WHERE status = 'failed') SELECT * FROM recent",
        ALL,
    ),
    (
        "recursive-cte",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
        ALL,
    ),
    (
        "window-function",
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY created_at DESC) AS rn "
        "FROM jobs",
        ALL,
    ),
    ("named-param", "SELECT id FROM users WHERE email = :email", ALL),
    ("like-percent", "SELECT id FROM users WHERE email LIKE '%x%'", ALL),
    ("literal-with-delete", "SELECT id FROM audit WHERE action = 'DELETE FROM accounts'", ALL),
    ("literal-with-semicolon", "SELECT id FROM notes WHERE body = 'a; DROP TABLE t; --'", ALL),
    ("literal-with-comment-marks", "SELECT id FROM notes WHERE body LIKE '%/* x */%'", ALL),
    ("literal-with-quote", "SELECT id FROM users WHERE name = 'O''Brien'", ALL),
    ("literal-with-function-name", "SELECT id FROM notes WHERE body = 'pg_sleep(10)'", ALL),
    ("literal-unicode", "SELECT id FROM users WHERE name = 'Zo\u00eb \u5317\u4eac'", ALL),
    ("quoted-unicode-identifier", 'SELECT "pr\u00e9nom" FROM users', (SQLITE, PG)),
    ("quoted-keyword-identifier", 'SELECT "delete" FROM t', (SQLITE, PG)),
    ("backtick-keyword-identifier", "SELECT `delete` FROM t", (MY,)),
    ("union", "SELECT id FROM accounts UNION SELECT id FROM old_accounts", ALL),
    (
        "group-by-having",
        "SELECT status, COUNT(*) FROM jobs GROUP BY status HAVING COUNT(*) > 1",
        ALL,
    ),
    (
        "exists",
        "SELECT id FROM accounts AS a WHERE EXISTS (SELECT 1 FROM users AS u WHERE u.account_id = a.id)",
        ALL,
    ),
    ("case", "SELECT CASE WHEN plan = 'pro' THEN 1 ELSE 0 END AS pro FROM accounts", ALL),
    ("coalesce-lower", "SELECT LOWER(email), COALESCE(name, '') FROM users", ALL),
    ("order-limit", "SELECT * FROM jobs ORDER BY created_at DESC LIMIT 20", ALL),
    ("lowercase", "select id from accounts where id = :account_id", ALL),
    ("trailing-semicolon", "SELECT 1;", ALL),
    ("values", "VALUES (1), (2)", (SQLITE, PG)),
    ("table-statement", "TABLE accounts", (PG, MY)),  # a read: regenerated as SELECT * FROM
    ("from-dual", "SELECT 1 FROM dual", (MY,)),
    ("json-arrow", "SELECT payload ->> 'status' FROM events", (PG,)),
    ("pg-typeof", "SELECT pg_typeof(id) FROM accounts", (PG,)),
    ("pg-size-pretty", "SELECT pg_size_pretty(pg_total_relation_size('jobs'))", (PG,)),
    ("currval", "SELECT currval('accounts_id_seq')", (PG,)),
    ("interval", "SELECT id FROM jobs WHERE created_at > NOW() - INTERVAL '1 day'", (PG,)),
    ("cast-param", "SELECT id FROM jobs WHERE account_id = CAST(:account_id AS INT)", ALL),
    ("json-extract", "SELECT JSON_EXTRACT(payload, '$.status') FROM events", (SQLITE, MY)),
    ("hash-in-string", "SELECT id FROM notes WHERE body = '# not a comment'", ALL),
    ("executable-looking-string", "SELECT id FROM notes WHERE body = '/*! x */'", (SQLITE, PG)),
    ("session-variable-read", "SELECT @@version", (MY,)),
    ("regex-backslash", "SELECT id FROM users WHERE email ~ '\\d+@'", (PG,)),
    ("dollar-quoted", "SELECT id FROM notes WHERE body = $$it's; DROP$$", (PG,)),
    ("backslash-literal", "SELECT id FROM notes WHERE body LIKE '%\\\\%'", (SQLITE, MY)),
]

BENIGN_CASES = [
    pytest.param(sql, dialect, id=f"{dialect}-{name}")
    for name, sql, dialects in BENIGN
    for dialect in dialects
]


@pytest.mark.parametrize(("sql", "dialect"), BENIGN_CASES)
def test_benign_query_passes(sql: str, dialect: str) -> None:
    checked = check_sql(sql, dialect)
    statements = sqlglot.parse(checked.sql, read=dialect)
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Select | exp.SetOperation | exp.Values)
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(checked.sql)
    assert not any(t.comments for t in tokens)
    # what was sent passes the guard again, unchanged
    assert check_sql(checked.sql, dialect).sql == checked.sql
    # string literals survive regeneration word for word
    assert _strings(sqlglot.parse_one(sql, read=dialect)) == _strings(statements[0])


def _strings(tree: exp.Expr) -> set[str]:
    found = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    return found | {s.this for s in tree.find_all(exp.ByteString, exp.RawString)}


def test_the_benign_table_is_big_enough() -> None:
    assert len(BENIGN) >= 30
    assert len({name for name, _sql, _d in BENIGN}) == len(BENIGN)


def test_mysql_from_dual_stays_a_keyword() -> None:
    # sqlglot would quote it as `dual`, which MySQL reads as a (missing) table.
    assert check_sql("SELECT 1 FROM dual", MY).sql == "SELECT 1 FROM DUAL"
    assert check_sql("SELECT 1 FROM `dual`", MY).sql == "SELECT 1 FROM `dual`"


def test_postgres_placeholders_are_pyformat_and_in_order() -> None:
    checked = check_sql(
        "SELECT * FROM jobs WHERE created_at >= :window_start AND account_id = :account_id "
        "AND note <> ':not_a_param' AND owner = :account_id",
        PG,
    )
    assert checked.params == ("window_start", "account_id")
    assert "%(window_start)s" in checked.sql and "%(account_id)s" in checked.sql
    assert "':not_a_param'" in checked.sql


@pytest.mark.parametrize("dialect", ALL)
def test_a_name_inside_a_string_literal_is_not_a_parameter(dialect: str) -> None:
    checked = check_sql("SELECT id FROM t WHERE a = ':email' AND b = :account_id", dialect)
    assert checked.params == ("account_id",)


@pytest.mark.parametrize("dialect", ALL)
def test_cte_params_come_first(dialect: str) -> None:
    checked = check_sql(
        "WITH mine AS (SELECT * FROM jobs WHERE account_id = :account_id) "
        "SELECT * FROM mine WHERE created_at >= :window_start",
        dialect,
    )
    assert checked.params == ("account_id", "window_start")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 --1", "SELECT 1 - -1"),  # MySQL: '--' needs a space to start a comment
        ("SELECT 1 # DROP TABLE t", "SELECT 1"),
        ("SELECT 1 -- DROP TABLE t", "SELECT 1"),
        ("SELECT 'a\\' ; DROP TABLE t; --'", "SELECT 'a'' ; DROP TABLE t; --'"),
    ],
)
def test_mysql_comment_and_escape_rules(sql: str, expected: str) -> None:
    # The regenerated text is what MySQL reads: one literal, quotes doubled (safe with and
    # without NO_BACKSLASH_ESCAPES), no comment left.
    assert check_sql(sql, MY).sql == expected


def test_postgres_nested_comment_is_dropped_whole() -> None:
    assert check_sql("/* /* */ DROP TABLE t; */ SELECT 1", PG).sql == "SELECT 1"


def test_oversized_and_deeply_nested_queries_are_refused_cleanly() -> None:
    with pytest.raises(ReadOnlyViolation, match="characters long, the limit is"):
        check_sql("SELECT " + ", ".join(["a"] * 10_000) + " FROM t", PG)
    with pytest.raises(ReadOnlyViolation, match="nested too deeply"):
        check_sql("SELECT " + "(" * 3000 + "1" + ")" * 3000, PG)


def test_the_text_sent_is_checked_even_if_the_tree_check_missed_something(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Defence in depth: with the tree check switched off, the check of the regenerated text
    # still refuses a denied call and a comment that would reach the server.
    import investigate.sdk.sqlguard as guard

    monkeypatch.setattr(guard, "_check_tree", lambda _tree, _dialect: None)
    with pytest.raises(ReadOnlyViolation, match=r"pg_sleep\(\) is not allowed"):
        check_sql('SELECT "pg_catalog"."pg_sleep"(1)', PG)
    with pytest.raises(ReadOnlyViolation, match=r"sleep\(\) is not allowed"):
        check_sql("SELECT `SLEEP`(1)", MY)
    monkeypatch.setattr(guard, "regenerate", lambda _tree, _dialect: "SELECT 1 /* x */")
    with pytest.raises(ReadOnlyViolation, match="still carries a comment"):
        check_sql("SELECT 1", SQLITE)
    monkeypatch.setattr(guard, "regenerate", lambda _tree, _dialect: "SELECT 1 /*! x */")
    with pytest.raises(ReadOnlyViolation, match="still carries a comment"):
        check_sql("SELECT 1", MY)


def test_mysql_executable_comment_marker_is_refused_even_inside_a_string() -> None:
    # Deliberately conservative: the raw text is checked, so a literal '/*!' is refused too
    # (sqlglot and the server could disagree on where a string ends; a comment cannot).
    with pytest.raises(ReadOnlyViolation, match="executable comments"):
        check_sql("SELECT id FROM notes WHERE body = '/*! x */'", MY)
    assert check_sql("SELECT id FROM notes WHERE body = '/*! x */'", PG).sql.endswith("'/*! x */'")


@pytest.mark.parametrize(
    ("sql", "expected", "value"),
    [
        ("SELECT 'a\\'", "SELECT e'a\\\\'", "a\\"),
        ("SELECT 1 WHERE a ~ '\\d+'", "SELECT 1 WHERE a ~ e'\\\\d+'", "\\d+"),
        ("SELECT 'it''s'", "SELECT 'it''s'", "it's"),
        ("SELECT $$a\\$$", "SELECT e'a\\\\'", "a\\"),
        ("SELECT N'a\\'", "SELECT e'a\\\\'", "a\\"),
    ],
)
def test_postgres_backslash_literals_are_sent_as_e_strings(
    sql: str, expected: str, value: str
) -> None:
    # E'...' with the backslash doubled reads the same with standard_conforming_strings on or
    # off, so a literal ending in a backslash cannot end early on a legacy server.
    checked = check_sql(sql, PG)
    assert checked.sql == expected
    assert _strings(sqlglot.parse_one(checked.sql, read=PG)) == {value}


def test_postgres_string_ending_in_backslash_cannot_hide_a_call() -> None:
    # Under standard_conforming_strings=off, 'a\' , ' , pg_sleep(10) , ' would be read as
    # one string and then a pg_sleep call: the E-string form closes the first literal.
    checked = check_sql("SELECT 'a\\' , ' , pg_sleep(10) , '", PG)
    assert checked.sql == "SELECT e'a\\\\', ' , pg_sleep(10) , '"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_parameter_in_a_like_pattern_gets_an_escape_clause(dialect: str) -> None:
    from investigate.sdk.sqlguard import bind_pattern

    checked = check_sql("SELECT id FROM a WHERE email LIKE :email AND b GLOB :org_id", dialect)
    assert "ESCAPE '!'" in checked.sql
    assert dict(checked.like_escapes) == {"email": "!", "org_id": "["}
    assert bind_pattern("50%_off!", "!") == "50!%!_off!!"
    assert bind_pattern("a*b?[c", "[") == "a[*]b[?][[]c"
    own = check_sql("SELECT id FROM a WHERE email LIKE :email ESCAPE '#'", dialect)
    assert dict(own.like_escapes) == {"email": "#"} and "'!'" not in own.sql


def test_a_parameter_both_in_a_pattern_and_plain_is_refused() -> None:
    with pytest.raises(ReadOnlyViolation, match="both in a LIKE pattern and as a plain value"):
        check_sql("SELECT id FROM a WHERE email LIKE :email OR owner = :email", "sqlite")


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgres", "SELECT id FROM a WHERE email SIMILAR TO :email"),
        ("postgres", "SELECT id FROM a WHERE email ~* :email"),
        ("mysql", "SELECT id FROM a WHERE email REGEXP :email"),
    ],
)
def test_a_parameter_in_a_regex_pattern_is_refused(dialect: str, sql: str) -> None:
    with pytest.raises(ReadOnlyViolation, match="regular-expression or SIMILAR TO pattern"):
        check_sql(sql, dialect)
