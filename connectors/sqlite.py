"""`sqlite`: named, parameterised read queries against a SQLite database file.

    db:
      type: sqlite
      path: demo.db                      # relative to the config file
      queries:
        account: {sql: "SELECT ... WHERE email = :requester_email", kind: customer,
                  provides: {account_id: id}}

The file is opened read-only (`mode=ro`) with `PRAGMA query_only`, no attached databases
(`SQLITE_LIMIT_ATTACHED` 0) and an authorizer that allows only reads; every query is checked by
the SQL guard and regenerated from its parse tree at config load, values are bound parameters,
results are capped at `max_rows`, and a progress handler aborts a query at the deadline.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from investigate.sdk import ConfigPath, SourceError, SourceTimeout, in_thread
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.sqlcheck import checked as check_sql
from investigate.sdk.sqlfuncs import is_denied_function
from investigate.sdk.sqlparams import NamedQuery, SQLConnectorConfig, add_row, bindings, bound
from investigate.sdk.textmatch import EntityMatcher

_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def _reads_only(action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
    """SQLite's authorizer: SELECT, column reads, functions the guard allowed and recursive
    CTEs; every write, PRAGMA, ATTACH, transaction or schema change is denied."""
    if action == sqlite3.SQLITE_FUNCTION and arg2 is not None and is_denied_function(arg2):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY


class SQLiteConfig(SQLConnectorConfig):
    dialect = "sqlite"
    path: ConfigPath
    busy_timeout: float = Field(2.0, ge=0)


class SQLite(Connector[SQLiteConfig]):
    type_name = "sqlite"
    read_only_by = (
        "local file opened mode=ro, PRAGMA query_only, a reads-only authorizer, SQL guard"
    )
    config_model = SQLiteConfig
    description = "SQLite database: named read-only queries bound to ticket entities"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ran: set[str] = set()

    def provides(self) -> frozenset[str]:
        return frozenset(p for q in self.config.queries.values() for p in q.provides)

    def _connect(self, deadline: float) -> sqlite3.Connection:
        path: Path = self.config.path
        if not path.is_file():
            raise SourceError(f"database file not found: {path}")
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=self.config.busy_timeout,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        # Defence in depth past the guard: no ATTACH (it creates files), nothing but reads.
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.set_authorizer(_reads_only)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        return conn

    async def check(self) -> list[Check]:
        try:
            conn = await in_thread(self._connect, time.monotonic() + 5)
        except (SourceError, sqlite3.Error) as exc:
            return [Check("open", False, str(exc))]
        with conn:
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table'"
            ).fetchone()
        conn.close()
        return [
            Check("open", True, f"{self.config.path.name} opened read-only, {tables[0]} tables"),
            Check("queries", True, f"{len(self.config.queries)} queries passed the SQL guard"),
        ]

    async def collect(self, query: Query) -> Collected:
        return await in_thread(self._collect, query)

    def _collect(self, query: Query) -> Collected:
        todo = {
            name: q
            for name, q in self.config.queries.items()
            if name not in self._ran and (query.stage == "collect" or q.provides)
        }
        if not todo:
            return Collected()
        conn = self._connect(query.deadline)
        try:
            return self._run_all(conn, todo, query)
        finally:
            conn.close()

    def _run_all(
        self, conn: sqlite3.Connection, todo: dict[str, NamedQuery], query: Query
    ) -> Collected:
        out = Collected()
        values = query.params()
        matcher = EntityMatcher(query.entities.matchable())
        for name, named in todo.items():
            checked = check_sql(named.sql, "sqlite")
            runs = bindings(checked.params, values, self.config.max_values, self.config.max_runs)
            if not runs:
                continue
            self._ran.add(name)
            for params in runs:
                rows = self._execute(conn, checked.sql, bound(checked, params), name)
                if len(rows) > self.config.max_rows:
                    out.notes.append(
                        f"{self.name}.{name}: more than {self.config.max_rows} rows; showing the first"
                    )
                for row in rows[: self.config.max_rows]:
                    add_row(out, self.name, name, named, checked.sql, params, row, matcher)
        return out

    def _execute(
        self, conn: sqlite3.Connection, sql: str, params: dict[str, str], name: str
    ) -> list[dict[str, Any]]:
        try:
            cursor = conn.execute(sql, params)
            return [dict(r) for r in cursor.fetchmany(self.config.max_rows + 1)]
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise SourceTimeout(f"query '{name}' was stopped at the deadline") from None
            raise SourceError(f"query '{name}' failed: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"query '{name}' failed: {exc}") from None
