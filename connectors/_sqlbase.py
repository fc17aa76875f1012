"""What the server SQL connectors (`postgres`, `mysql`) share: the config shape, turning the
guard's regenerated SQL into driver SQL with a row cap, and the collect loop (identity
resolution, one run per bound value, row and byte caps, the overall deadline).

A driver module implements `ServerSQL`'s few abstract methods: open a connection, run one
statement inside a read-only transaction with the server-side timeouts, cancel a running
statement, translate driver errors, and report the role's write posture for `check`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import urllib.parse
from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

import sqlglot
from pydantic import Field, SecretStr
from sqlglot import exp

from investigate.sdk import MASKER, Duration, SourceError, SourceTimeout
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.sqlcheck import checked as check_sql
from investigate.sdk.sqlguard import regenerate
from investigate.sdk.sqlparams import NamedQuery, SQLConnectorConfig, add_row, bindings, bound
from investigate.sdk.sqltypes import CheckedSQL
from investigate.sdk.textmatch import EntityMatcher

_MARK = f"invparam{secrets.token_hex(6)}x"


class ServerSQLConfig(SQLConnectorConfig):
    """Keys shared by `postgres` and `mysql`."""

    dsn: SecretStr = Field(description="Connection URL; use ${VAR} so the password stays out.")
    statement_timeout: Duration = Field(timedelta(seconds=10), description="Per statement.")
    lock_timeout: Duration = Field(timedelta(seconds=2), description="Waiting for a lock.")
    connect_timeout: Duration = Field(timedelta(seconds=5))
    max_bytes: int = Field(1_000_000, ge=1_000, le=100_000_000, description="Per query run.")


@dataclass(frozen=True)
class Limits:
    """What one statement may use: server-side timeout and rows fetched."""

    timeout: float
    lock_timeout: float
    max_rows: int


@dataclass
class Run:
    name: str
    named: NamedQuery
    sql: str
    params: dict[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def driver_sql(checked_sql: str, dialect: str, cap: int | None) -> str:
    """The guard's regenerated SQL with `%(name)s` parameters, `%` escaped, and a row cap.

    The statement is parsed again and regenerated, so placeholders are found in the tree and
    never inside string literals. A read whose LIMIT is missing or larger than `cap` gets one.
    """
    tree = sqlglot.parse_one(checked_sql, read=dialect)
    if cap is not None and isinstance(tree, exp.Query):
        tree = _capped(tree, cap)

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            return exp.var(f"{_MARK}{node.name}{_MARK}")
        return node

    # The guard's own regeneration: MySQL `FROM DUAL` unquoted, PostgreSQL backslash literals
    # sent as e'…' (their meaning cannot depend on standard_conforming_strings).
    text = regenerate(tree.transform(mark), dialect).replace("%", "%%")
    parts = text.split(_MARK)
    for i in range(1, len(parts), 2):
        parts[i] = f"%({parts[i]})s"
    return "".join(parts)


def _capped(tree: exp.Query, cap: int) -> exp.Query:
    limit = tree.args.get("limit")
    if limit is None:
        return tree.limit(cap)
    value = limit.expression
    if isinstance(value, exp.Literal) and value.is_int and int(value.this) <= cap:
        return tree
    return exp.select("*").from_(tree.subquery("_capped")).limit(cap)


def tables_of(checked_sql: str, dialect: str) -> list[str]:
    """Tables a query reads (CTE names left out), as the dialect would write them."""
    tree = sqlglot.parse_one(checked_sql, read=dialect)
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names = []
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name.lower() in ctes):
            continue
        plain = exp.Table(this=table.args.get("this"), db=table.args.get("db"))
        names.append(plain.sql(dialect=dialect))
    return list(dict.fromkeys(names))


def dsn_password(dsn: str) -> str | None:
    """The password inside a URL DSN or a `key=value` DSN, to mask it everywhere."""
    if "://" in dsn:
        try:
            return urllib.parse.urlsplit(dsn).password
        except ValueError:
            return None
    match = re.search(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn)
    if match is None:
        return None
    value = match.group(1)
    if value.startswith("'"):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])  # libpq: 'it\'s' is it's
    return value


def one_line(text: str, limit: int = 300) -> str:
    """The first meaningful line of a driver message, masked and bounded."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    return MASKER.mask(first)[:limit]


class AuthFailed(SourceError):
    """The server refused the user or password in the dsn."""


class SkippedValue(SourceError):
    """A bound value the column cannot hold (wrong type): that run is skipped with a note."""


C = TypeVar("C", bound=ServerSQLConfig)


class ServerSQL(Connector[C], Generic[C]):
    """The shared collect loop; subclasses bring the driver."""

    read_only_by = "SQL guard (one read statement), READ ONLY transaction, statement timeout"
    extra: str = ""
    """The pip extra that installs the driver."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ran: set[str] = set()
        self._prepared: dict[str, tuple[CheckedSQL, str]] = {}
        self._conn: Any = None
        self._lock = asyncio.Lock()
        for value in self._secrets():
            MASKER.add(value)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type_name})"

    def provides(self) -> frozenset[str]:
        return frozenset(p for q in self.config.queries.values() for p in q.provides)

    # --- what a driver module implements ------------------------------------------------

    def _secrets(self) -> list[str]:
        """Secret parts of the DSN (the password, as written and unquoted) to mask in every message."""
        password = dsn_password(self.config.dsn.get_secret_value())
        return [password, urllib.parse.unquote(password)] if password else []

    @abstractmethod
    async def _open(self) -> Any:
        """A new connection, or raise `SourceError` (auth, unreachable, driver missing)."""

    @abstractmethod
    async def _run(self, conn: Any, sql: str, params: dict[str, str], limits: Limits) -> Any:
        """Rows of one statement run in a read-only transaction (rolled back afterwards)."""

    @abstractmethod
    async def _cancel(self, conn: Any) -> None:
        """Stop a statement still running on the server (best effort, bounded)."""

    @abstractmethod
    async def _close(self, conn: Any) -> None:
        """Close a connection without raising."""

    @abstractmethod
    def _error(self, exc: Exception, what: str) -> SourceError | None:
        """A one-line `SourceError` for a driver exception, or None if it is not one."""

    @abstractmethod
    def _skippable(self, exc: Exception) -> bool:
        """A value the column cannot hold (wrong type): skip the run, keep going."""

    @abstractmethod
    async def _posture(self, conn: Any) -> list[Check]:
        """Server version and whether the role can write."""

    def _values(self, query: Query) -> dict[str, list[str]]:
        return query.params()

    def connect_failed(self, text: str, *, auth: bool) -> SourceError:
        """The server refused the user or password in the dsn (`auth`), or was not reached."""
        if auth:
            return AuthFailed(
                f"{self.label}: authentication failed: {text}",
                hint=f"check the user and password in connectors.{self.name}.dsn",
            )
        return SourceError(
            f"{self.label}: cannot connect: {text}",
            hint="check the host and port in the dsn, and that the server accepts TCP connections",
        )

    # --- shared behaviour ---------------------------------------------------------------

    async def _connection(self) -> Any:
        if self._conn is None:
            self._conn = await self._open()
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._close(conn)

    async def _abandon(self, conn: Any) -> None:
        """A statement was cut short: stop it on the server, then drop the connection."""
        if conn is not None:
            await self._cancel(conn)
        await self._drop()

    async def aclose(self) -> None:
        await self._drop()

    def limits(self, deadline: float) -> Limits:
        remaining = max(deadline - time.monotonic(), 0.001)
        return Limits(
            timeout=min(self.config.statement_timeout.total_seconds(), remaining),
            lock_timeout=min(self.config.lock_timeout.total_seconds(), remaining),
            max_rows=self.config.max_rows + 1,
        )

    async def execute(self, sql: str, params: dict[str, str], what: str, deadline: float) -> Any:
        """Run one driver-ready statement under the deadline; errors become `SourceError`."""
        conn = None
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
                conn = await self._connection()
                return await self._run(conn, sql, params, self.limits(deadline))
        except TimeoutError:
            await self._abandon(conn)
            raise SourceTimeout(f"{self.label}: {what} was stopped at the deadline") from None
        except asyncio.CancelledError:
            await self._abandon(conn)
            raise
        except SourceError:
            raise
        except Exception as exc:
            error = self._error(exc, what)
            if error is None:
                raise
            if self._skippable(exc):
                raise SkippedValue(error.message) from None
            await self._drop()  # the connection may be gone or in an unknown state
            raise error from None

    async def check(self) -> list[Check]:
        try:
            conn = await asyncio.wait_for(
                self._open(), self.config.connect_timeout.total_seconds() + 1
            )
        except TimeoutError:
            return [Check("connect", False, f"{self.label}: no answer while connecting")]
        except SourceError as exc:
            return [Check("auth" if isinstance(exc, AuthFailed) else "connect", False, exc.message)]
        try:
            checks = await self._posture(conn)
        except Exception as exc:
            error = self._error(exc, "the posture check")
            if error is None:
                raise
            checks = [Check("posture", False, error.message)]
        finally:
            await self._close(conn)
        guard = Check(
            "queries",
            True,
            f"{len(self.config.queries)} queries passed the SQL guard; each runs in a read-only "
            f"transaction with a {self.config.statement_timeout.total_seconds():g}s "
            f"statement timeout and at most {self.config.max_rows} rows",
        )
        return [*checks, guard]

    async def collect(self, query: Query) -> Collected:
        todo = {
            name: q
            for name, q in self.config.queries.items()
            if name not in self._ran and (query.stage == "collect" or q.provides)
        }
        out = Collected()
        if not todo:
            return out
        async with self._lock:
            try:
                await self._collect(todo, query, out)
            except SourceTimeout:
                if not out.evidence:
                    raise
                out.partial = True
                out.notes.append(f"{self.name}: stopped at the deadline; results are partial")
        return out

    async def _collect(self, todo: dict[str, NamedQuery], query: Query, out: Collected) -> None:
        values = self._values(query)
        matcher = EntityMatcher(query.entities.matchable())
        for name, named in todo.items():
            checked, sql = self._prepare(name, named)
            runs = bindings(checked.params, values, self.config.max_values, self.config.max_runs)
            if not runs:
                continue
            self._ran.add(name)
            for params in runs:
                run = Run(name, named, checked.sql, params)
                try:
                    rows = await self.execute(
                        sql, bound(checked, params), f"query '{name}'", query.deadline
                    )
                except SkippedValue as exc:
                    out.notes.append(f"{self.name}.{name}: skipped a value: {exc.message}")
                    continue
                run.rows = list(rows)
                self._add(run, out, matcher)

    def _prepare(self, name: str, named: NamedQuery) -> tuple[CheckedSQL, str]:
        """The guard's verdict and the driver SQL, once per query per connector instance."""
        if name not in self._prepared:
            checked = check_sql(named.sql, self.config.dialect)
            sql = driver_sql(checked.sql, self.config.dialect, self.config.max_rows + 1)
            self._prepared[name] = (checked, sql)
        return self._prepared[name]

    def _add(self, run: Run, out: Collected, matcher: EntityMatcher) -> None:
        cap, budget = self.config.max_rows, self.config.max_bytes
        if len(run.rows) > cap:
            out.notes.append(f"{self.name}.{run.name}: more than {cap} rows; showing the first")
        used = 0
        for row in run.rows[:cap]:
            used += sum(len(str(v)) for v in row.values())
            if used > budget:
                out.notes.append(
                    f"{self.name}.{run.name}: results passed {budget} bytes; showing the first"
                )
                break
            add_row(out, self.name, run.name, run.named, run.sql, run.params, row, matcher)


def driver_missing(label: str, driver: str, extra: str) -> SourceError:
    return SourceError(
        # the command is in the message itself; a hint repeating it would print it twice
        f"{label}: the {driver} driver is not installed; run: pip install 'investigate[{extra}]'"
    )
