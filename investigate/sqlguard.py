"""The SQL guard: only a single read statement passes, and what is sent is regenerated from
the parse tree (comments and anything sqlglot did not understand are dropped).

    >>> check_sql("SELECT id FROM accounts WHERE email = :email -- hi", "sqlite").sql
    'SELECT id FROM accounts WHERE email = :email'

This is defence in depth: the real boundary is a read-only connection (SQLite `mode=ro` plus
`PRAGMA query_only`; a SELECT-only role on servers).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from investigate.errors import ReadOnlyViolation

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_WRITE_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Set,
    exp.Into,
    exp.Lock,
    exp.Copy,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
    exp.LoadData,
)
_READ_ROOTS: tuple[type[exp.Expression], ...] = (exp.Select, exp.SetOperation, exp.Values)
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        # SQLite
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "sqlite_compileoption_get",
        # PostgreSQL
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "lo_from_bytea",
        "lo_put",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "set_config",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_advisory_lock",
        "pg_file_write",
        "lowrite",
        "nextval",
        "setval",
        "txid_current",
        "query_to_xml",
        # MySQL
        "sleep",
        "benchmark",
        "load_file",
        "get_lock",
        "sys_exec",
    }
)


_FORBIDDEN_PREFIXES = ("lo_", "dblink", "pg_advisory", "pg_try_advisory", "pg_file_")


@dataclass(frozen=True)
class CheckedSQL:
    sql: str
    params: tuple[str, ...]


def check_sql(sql: str, dialect: str) -> CheckedSQL:
    """Parse `sql`; return the regenerated statement and its named parameters, or raise."""
    if "\x00" in sql:
        raise ReadOnlyViolation("SQL refused: it contains a NUL byte")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReadOnlyViolation(f"SQL refused: it does not parse ({first})") from None
    if len(statements) != 1:
        raise ReadOnlyViolation(
            f"SQL refused: exactly one statement is allowed, found {len(statements)}"
        )
    tree = statements[0]
    if not isinstance(tree, _READ_ROOTS):
        raise ReadOnlyViolation(f"SQL refused: {type(tree).__name__.upper()} is not a read")
    for node in tree.walk():
        if isinstance(node, _WRITE_NODES):
            raise ReadOnlyViolation(
                f"SQL refused: {type(node).__name__.upper()} is not allowed in a read query"
            )
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name in _FORBIDDEN_FUNCTIONS or name.startswith(_FORBIDDEN_PREFIXES):
                raise ReadOnlyViolation(f"SQL refused: function {name}() is not allowed")
    regenerated = tree.sql(dialect=dialect, comments=False)
    names = {p.name for p in tree.find_all(exp.Placeholder) if p.name}
    return CheckedSQL(sql=regenerated, params=_in_order(regenerated, names))


def _in_order(sql: str, names: set[str]) -> tuple[str, ...]:
    """Parameter names in the order they appear in the statement, without repeats."""
    found = re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)
    ordered = [n for n in dict.fromkeys(found) if n in names]
    return tuple(ordered + sorted(names - set(ordered)))
