"""Property: nothing but a single read statement ever reaches a driver.

Random token soups, read statements with injected fragments and statement concatenations
(keywords, semicolons, comments, quotes, denied function names, unicode tricks) go through
`check_sql`. Either it refuses, or the regenerated SQL parses (sqlglot, same dialect) to exactly
one read node with no denied function call and no comment. Everything that passes in the
sqlite dialect is then prepared and run on a real `mode=ro` SQLite connection whose authorizer
records every action: only READ / SELECT / FUNCTION (of an allowed function) may occur
(RECURSIVE too: it is how SQLite reports a recursive CTE reading its own rows).

The oracle (`DANGEROUS`, the read node types) is written here, independently of the guard.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.errors import SqlglotError
from test_sqlguard import BENIGN  # the same benign table the guard tests use

from investigate.errors import ReadOnlyViolation
from investigate.sdk.sqlguard import CheckedSQL, check_sql

DIALECTS = ("sqlite", "postgres", "mysql")
READ_NODES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)

# Functions that must never be called, whatever the dialect.
DANGEROUS = frozenset(
    {
        "pg_sleep", "pg_read_file", "pg_ls_dir", "lo_import", "lo_export", "dblink",
        "dblink_exec", "set_config", "pg_advisory_lock", "nextval", "setval", "txid_current",
        "query_to_xml", "pg_notify", "pg_terminate_backend", "sleep", "benchmark",
        "load_file", "get_lock", "load_extension", "readfile", "writefile", "edit",
        "fts3_tokenizer",
    }
)  # fmt: skip
BENIGN_FUNCTIONS = ("lower", "upper", "abs", "coalesce", "length", "count", "max", "substr")

KEYWORDS = [
    "SELECT", "FROM", "WHERE", "INSERT", "INTO", "UPDATE", "SET", "DELETE", "VALUES", "WITH",
    "AS", "UNION", "ALL", "JOIN", "ON", "DROP", "TABLE", "CREATE", "PRAGMA", "ATTACH",
    "RETURNING", "FOR", "SHARE", "LOCK", "IN", "MODE", "BEGIN", "END", "COPY", "CALL", "DO",
    "EXPLAIN", "ANALYZE", "SHOW", "VACUUM", "LISTEN", "NOTIFY", "EXECUTE", "PREPARE",
    "HANDLER", "OUTFILE", "DUMPFILE", "LOAD", "DATA", "INFILE", "CASE", "WHEN", "THEN",
    "ELSE", "NULL", "LIMIT", "LATERAL", "RECURSIVE", "OR", "AND", "NOT", "dual",
]  # fmt: skip
PUNCTUATION = [
    "t", "u", "a", "b", "*", "1", "'x'", ":p", "(", ")", ",", ";", "=", ".", "--", "-- ",
    "#", "/*", "*/", "/*!", "/*!50000", "/*+", "/*M!", "\n", "'", '"', "`", "[", "]", "$$",
    "||", "-", "+", "@a", ":=", "\\", "\uff1b", "\u200b", "\u202e", "\u00a0", "\x00",
    "\u0430", "\u0415LECT", "U&",
]  # fmt: skip
FUNCTION_NAMES = sorted(DANGEROUS) + list(BENIGN_FUNCTIONS)


def _quote(name: str, style: int) -> str:
    return [
        name,
        name.upper(),
        f'"{name}"',
        f"`{name}`",
        f"[{name}]",
        f"pg_catalog.{name}",
        f"main.{name}",
        f"{name} ",
    ][style]


calls = st.builds(
    lambda name, style, arg: f"{_quote(name, style)}({arg})",
    st.sampled_from(FUNCTION_NAMES),
    st.integers(0, 7),
    st.sampled_from(["", "1", "'x'", "a", "1, 2", "'/etc/passwd'", "a, 'y'"]),
)

tokens = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION), calls)
soups = st.builds(
    lambda parts, sep: sep.join(parts),
    st.lists(tokens, max_size=18),
    st.sampled_from([" ", "", "\n"]),
)

READS = [
    "SELECT a FROM t",
    "SELECT a, b FROM t WHERE a = :p",
    "SELECT t.a, u.b FROM t JOIN u ON t.a = u.a",
    "WITH c AS (SELECT a FROM t) SELECT * FROM c",
    "SELECT b, COUNT(*) FROM u GROUP BY b",
    "SELECT a FROM t UNION SELECT a FROM u",
    "SELECT 1",
    "VALUES (1)",
]
WRITES = [
    "DELETE FROM t",
    "UPDATE t SET a = 1",
    "INSERT INTO t VALUES (1, 2)",
    "REPLACE INTO t VALUES (1, 2)",
    "DROP TABLE t",
    "CREATE TABLE z (a)",
    "ALTER TABLE t ADD COLUMN c",
    "PRAGMA query_only = 0",
    "ATTACH DATABASE 'x.db' AS x",
    "VACUUM",
    "BEGIN",
    "COMMIT",
    "SELECT a INTO z FROM t",
    "SELECT a FROM t FOR UPDATE",
    "COPY t TO '/tmp/x'",
    "SET @a = 1",
    "CALL p()",
]
SEPARATORS = [";", "; ", ";\n", " -- x\n;", "/* ; */;", "\uff1b", "# x\n;", " /*! ; */ ", "\n"]
INJECTIONS = [
    ", pg_sleep(1)", ", SLEEP(1)", " /*! , SLEEP(1) */", "/*+ BKA(t) */", " -- ", " # ", "/*",
    "*/", ";", "'", '"', "`", " OR 1 = 1", " UNION SELECT load_extension('x')",
    " UNION SELECT writefile('/tmp/x', 'y')", "\uff1b DROP TABLE t", "\u200b", "\u202e",
    "\x00", " FOR UPDATE", " INTO OUTFILE '/tmp/x'", "; DELETE FROM t", " WHERE a = :q",
    ", (SELECT nextval('s'))", " LOCK IN SHARE MODE", ", @a := 1", ", 'a\\'",
]  # fmt: skip


def _inject(base: str, cuts: list[tuple[int, str]]) -> str:
    for position, fragment in cuts:
        at = position % (len(base) + 1)
        base = base[:at] + fragment + base[at:]
    return base


injected = st.builds(
    _inject,
    st.sampled_from(READS),
    st.lists(st.tuples(st.integers(0, 200), st.sampled_from(INJECTIONS)), max_size=3),
)
concatenated = st.builds(
    lambda parts, sep: sep.join(parts),
    st.lists(st.sampled_from(READS + WRITES), min_size=1, max_size=3),
    st.sampled_from(SEPARATORS),
)
with_calls = st.builds(
    lambda call, where: f"SELECT {call} FROM t{where}",
    calls,
    st.sampled_from(["", " WHERE a = 1", " WHERE a IN (SELECT b FROM u)", " ORDER BY 1"]),
)
benign_reads = st.builds(
    lambda base, clause, call: base.replace("SELECT ", f"SELECT {call}, ", 1) + clause,
    st.sampled_from(READS[:6]),
    st.sampled_from(["", " LIMIT 3", " ORDER BY 1", " LIMIT :n"]),
    st.builds(
        lambda f, arg: f"{f}({arg})",
        st.sampled_from(BENIGN_FUNCTIONS),
        st.sampled_from(["a", "'x'", "1", ":p"]),
    ),
)
inputs = st.one_of(soups, injected, concatenated, with_calls, st.text(max_size=40))


def refused_or_single_read(sql: str, dialect: str) -> CheckedSQL | None:
    """None if the guard refused; else the checked SQL, after asserting the property."""
    try:
        checked = check_sql(sql, dialect)
    except ReadOnlyViolation as exc:
        assert str(exc).startswith("SQL refused: ")
        assert "\n" not in str(exc)
        return None
    try:
        statements = sqlglot.parse(checked.sql, read=dialect)
    except SqlglotError as exc:
        pytest.fail(f"{sql!r} was accepted as {checked.sql!r}, which does not parse: {exc}")
    assert len(statements) == 1, (sql, checked.sql)
    tree = statements[0]
    assert isinstance(tree, READ_NODES), (sql, checked.sql)
    for func in tree.find_all(exp.Func):
        name = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
        assert name.lower() not in DANGEROUS, (sql, checked.sql)
    tokens_out = sqlglot.Dialect.get_or_raise(dialect).tokenize(checked.sql)
    assert not any(t.comments for t in tokens_out), (sql, checked.sql)
    if dialect == "mysql":
        assert "/*!" not in checked.sql and "/*+" not in checked.sql
    for ch in "\x00\u200b\u202e\uff1b":
        assert ch not in checked.sql, (sql, checked.sql)
    return checked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs)
@example("SELECT 1; DROP TABLE x")
@example("SELECT 1 /*!50000 , SLEEP(10) */")
@example("SELECT 1 --1")
@example("SELECT '")
@example("WITH a AS (SELECT 1) SELECT * FROM a")
@pytest.mark.parametrize("dialect", DIALECTS)
def test_any_input_is_refused_or_exactly_one_read(dialect: str, sql: str) -> None:
    refused_or_single_read(sql, dialect)


# --- what passes really is a read: run it on SQLite with an authorizer watching ---------------

ALLOWED_ACTIONS = {sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE}
COLUMNS = ["a", "b", "id", "name", "email", "plan", "status", "account_id", "created_at"]
COLUMNS += ["action", "body", "payload", '"pr\u00e9nom"', '"delete"']
TABLES = ["t", "u", "z", "accounts", "users", "jobs", "old_accounts", "audit", "notes", "events"]


class ReadOnlyDatabase:
    """A `mode=ro` SQLite connection whose authorizer records and denies non-read actions."""

    def __init__(self, path: Path) -> None:
        setup = sqlite3.connect(path)
        for table in TABLES:
            setup.execute(f"CREATE TABLE {table} ({', '.join(COLUMNS)})")
            setup.execute(
                f"INSERT INTO {table} (a, b, id, name) VALUES (1, 2, 1, 'x'), (2, 3, 2, 'y')"
            )
        setup.commit()
        setup.close()
        self.path = path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.actions: list[tuple[int, str | None, str | None]] = []
        # Stand-ins for extension functions (writefile, pg_sleep...): if the guard ever let a
        # call through, the authorizer sees its name and `called` records it.
        self.called: list[str] = []
        for name in DANGEROUS:
            self.conn.create_function(name, -1, lambda *_a, n=name: self.called.append(n))
        self.conn.set_authorizer(self._authorize)
        self.deadline = 0.0
        self.conn.set_progress_handler(lambda: int(time.monotonic() > self.deadline), 1000)

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        self.actions.append((action, arg1, arg2))
        if action in ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in DANGEROUS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def run(self, checked: CheckedSQL) -> bool:
        """Prepare and run the statement; True if SQLite executed it without error."""
        self.actions.clear()
        self.deadline = time.monotonic() + 0.5
        params = dict.fromkeys(checked.params, "x")
        try:
            self.conn.execute(checked.sql, params).fetchmany(5)
        except sqlite3.Error:
            return False  # no such column, bindings... refusals are checked via self.actions
        return True

    def refused_actions(self) -> list[tuple[int, str | None, str | None]]:
        return [
            (action, arg1, arg2)
            for action, arg1, arg2 in self.actions
            if action not in ALLOWED_ACTIONS
            and not (action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in DANGEROUS)
        ]


@pytest.fixture(scope="module")
def ro_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadOnlyDatabase]:
    db = ReadOnlyDatabase(tmp_path_factory.mktemp("ro") / "ro.db")
    yield db
    db.conn.close()


def test_the_authorizer_catches_writes_and_denied_functions(ro_db: ReadOnlyDatabase) -> None:
    # The watcher itself must see what the guard is meant to stop.
    unguarded = [
        "DELETE FROM t",
        "INSERT INTO t (a) VALUES (1)",
        "PRAGMA query_only = 0",
        "SELECT writefile('/tmp/x', 'y')",
        "ATTACH DATABASE ':memory:' AS x",
    ]
    for sql in unguarded:
        assert not ro_db.run(CheckedSQL(sql=sql, params=()))
        assert ro_db.refused_actions(), sql
    assert ro_db.run(CheckedSQL(sql="SELECT lower(name) FROM t WHERE a = :p", params=("p",)))
    assert ro_db.refused_actions() == []


def test_what_passes_the_guard_only_reads(ro_db: ReadOnlyDatabase) -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.booleans().flatmap(lambda benign: benign_reads if benign else inputs))
    @example("SELECT a FROM t WHERE b = :p")
    @example("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n")
    def run(sql: str) -> None:
        checked = refused_or_single_read(sql, "sqlite")
        if checked is None:
            seen["refused"] += 1
            return
        executed = ro_db.run(checked)
        seen["executed" if executed else "failed in sqlite"] += 1
        assert ro_db.refused_actions() == [], (sql, checked.sql, ro_db.refused_actions())
        assert ro_db.conn.total_changes == 0
        assert ro_db.called == []

    run()
    # Not vacuous: plenty of generated statements got through the guard and ran for real.
    assert seen["executed"] >= 40, seen
    assert seen["refused"] >= 40, seen


def test_benign_table_runs_read_only(ro_db: ReadOnlyDatabase) -> None:
    ran = 0
    for name, sql, dialects in BENIGN:
        if "sqlite" not in dialects:
            continue
        checked = check_sql(sql, "sqlite")
        assert ro_db.run(checked), (name, checked.sql)
        assert ro_db.refused_actions() == [], (name, checked.sql)
        ran += 1
    assert ran >= 25


# --- what is sent means the same to a real server ---------------------------------------------
# A literal written the standard way must come back from the server unchanged after the guard
# regenerated it — on PostgreSQL with standard_conforming_strings on AND off (the guard sends
# backslash literals as E-strings), on MariaDB/MySQL in the default sql_mode. Servers come from
# tests/servers.py: skipped when the binary is missing, a failure when CI=true.

literal_values = st.text(alphabet="ab1 '\\\"%_;-/*#$:?\n\t\u00e9\u5317", max_size=12)


@pytest.fixture(scope="module")
def postgres_admin() -> Iterator[object]:
    from servers import start_postgres

    with start_postgres() as server, server.admin() as conn:
        yield conn


@pytest.fixture(scope="module")
def mariadb_cursor() -> Iterator[object]:
    from servers import start_mariadb

    with start_mariadb() as server:
        conn = server.admin()
        try:
            yield conn.cursor()
        finally:
            conn.close()


def test_postgres_literals_mean_the_same_whatever_standard_conforming_strings(
    postgres_admin: object,
) -> None:
    conn: Any = postgres_admin

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(literal_values)
    @example("a\\")
    @example("a\\' , pg_sleep(1) , '")
    def run(value: str) -> None:
        written = "SELECT '" + value.replace("'", "''") + "' AS v"
        sent = check_sql(written, "postgres").sql
        for setting in ("on", "off"):
            conn.execute(f"SET standard_conforming_strings = {setting}")
            assert conn.execute(sent).fetchall() == [(value,)], (setting, written, sent)

    run()


def test_mariadb_literals_and_dual_mean_what_the_guard_checked(mariadb_cursor: object) -> None:
    cur: Any = mariadb_cursor
    cur.execute("SET SESSION sql_mode = DEFAULT")
    cur.execute(check_sql("SELECT 1 FROM dual", "mysql").sql)  # `dual` quoted would fail here
    assert cur.fetchall() == ((1,),)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(literal_values)
    @example("a\\")
    @example("q'x")
    def run(value: str) -> None:
        written = "SELECT '" + value.replace("\\", "\\\\").replace("'", "''") + "' AS v"
        try:
            sent = check_sql(written, "mysql").sql
        except ReadOnlyViolation as exc:
            assert "executable comments" in str(exc) and ("/*!" in value or "/*+" in value)
            return
        cur.execute(sent)
        assert cur.fetchall() == ((value,),), (written, sent)

    run()
