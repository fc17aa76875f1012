"""`postgres`: named, parameterised read queries against PostgreSQL (psycopg 3, async).

    db:
      type: postgres
      dsn: ${READONLY_DATABASE_URL}        # postgresql://investigate_ro:…@db:5432/app
      statement_timeout: 10s
      queries:
        account: {sql: "SELECT id, name FROM accounts WHERE owner_email = :requester_email",
                  kind: customer, provides: {account_id: id}}

Every statement runs as `BEGIN TRANSACTION READ ONLY` with `SET LOCAL statement_timeout` and
`lock_timeout` (never longer than what is left of the deadline), the session default is
`default_transaction_read_only=on`, the transaction is always rolled back, and a statement
still running at the deadline is cancelled on the server. The driver is an optional extra:
`pip install 'investigate[postgres]'`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from investigate.sdk import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.sdk.contract import Check
from investigate.sdk.sqlguard import check_sql
from investigate_connectors._sqlbase import (
    Limits,
    ServerSQL,
    ServerSQLConfig,
    driver_missing,
    one_line,
    tables_of,
)

if TYPE_CHECKING:
    import psycopg

WRITE_PRIVILEGES = "INSERT,UPDATE,DELETE,TRUNCATE"
_AUTH_STATES = {"28P01", "28000"}


class PostgresConfig(ServerSQLConfig):
    dialect = "postgres"


class Postgres(ServerSQL[PostgresConfig]):
    type_name = "postgres"
    config_model = PostgresConfig
    description = "PostgreSQL: named read-only queries bound to ticket entities (psycopg 3)"
    extra = "postgres"
    driver = ("psycopg", "postgres")

    async def _open(self) -> psycopg.AsyncConnection[Any]:
        try:
            import psycopg
        except ImportError:
            raise driver_missing(self.label, "PostgreSQL (psycopg 3)", self.extra) from None
        try:
            return await psycopg.AsyncConnection.connect(
                self.config.dsn.get_secret_value(),
                autocommit=True,
                prepare_threshold=None,
                connect_timeout=max(1, round(self.config.connect_timeout.total_seconds())),
                options="-c default_transaction_read_only=on -c TimeZone=UTC",
                application_name="investigate",
            )
        except psycopg.ProgrammingError:
            raise SourceError(
                f"{self.label}: the dsn is not a valid PostgreSQL connection string",
                hint="use postgresql://USER:PASSWORD@HOST:5432/DATABASE, password from ${VAR}",
            ) from None
        except psycopg.Error as exc:
            raise self._connect_error(exc) from None

    def _connect_error(self, exc: psycopg.Error) -> SourceError:
        text = one_line(str(exc))
        if exc.sqlstate in _AUTH_STATES or "authentication failed" in text:
            return self.connect_failed(_after_fatal(text), auth=True)
        return self.connect_failed(text, auth=False)

    async def _run(
        self, conn: psycopg.AsyncConnection[Any], sql: str, params: dict[str, str], limits: Limits
    ) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        statement_ms = max(1, int(limits.timeout * 1000))
        lock_ms = max(1, int(limits.lock_timeout * 1000))
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "BEGIN TRANSACTION READ ONLY; "
                f"SET LOCAL statement_timeout = {statement_ms}; "
                f"SET LOCAL lock_timeout = {lock_ms}; "
                f"SET LOCAL idle_in_transaction_session_timeout = {statement_ms + 5000}"
            )
            try:
                async with conn.pipeline():  # the extended protocol: exactly one statement
                    await cur.execute(sql.encode(), params)
                    rows = await cur.fetchmany(limits.max_rows)
            except psycopg.Error:
                if not conn.broken and not conn.closed:
                    await conn.execute("ROLLBACK")
                raise
            await conn.execute("ROLLBACK")
            return rows

    async def _cancel(self, conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(Exception):  # best effort: the connection is closed next
            await conn.cancel_safe(timeout=2.0)

    async def _close(self, conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(Exception):  # closing must not hide the real error
            await conn.close()

    def _skippable(self, exc: Exception) -> bool:
        import psycopg

        return isinstance(exc, psycopg.DataError)

    def _error(self, exc: Exception, what: str) -> SourceError | None:
        import psycopg

        if not isinstance(exc, psycopg.Error):
            return None
        state = exc.sqlstate or ""
        primary = (exc.diag.message_primary if exc.diag else None) or one_line(str(exc))
        primary = one_line(primary)
        label = self.label
        if state == "57014" and "statement timeout" in primary:
            return SourceTimeout(f"{label}: {what} was stopped by the statement timeout")
        if state == "55P03":
            return SourceTimeout(f"{label}: {what} waited too long for a lock ({primary})")
        if state == "25006":
            return ReadOnlyViolation(
                f"{label}: {what} tried to write; the read-only transaction refused it"
            )
        if state == "42501":
            return SourceError(
                f"{label}: {what}: {primary}",
                hint="grant the role SELECT on the tables the queries read",
            )
        if state.startswith(("57P", "08")) or isinstance(exc, psycopg.OperationalError):
            return SourceError(f"{label}: connection lost during {what}: {primary}")
        return SourceError(f"{label}: {what} failed: {primary}")

    async def _posture(self, conn: psycopg.AsyncConnection[Any]) -> list[Check]:
        cur = await conn.execute(
            "SELECT current_user, current_database(), rolsuper FROM pg_roles "
            "WHERE rolname = current_user"
        )
        user, database, superuser = await cur.fetchone() or ("?", "?", False)
        tables = self._tables()
        cur = await conn.execute(
            "SELECT t, to_regclass(t) IS NOT NULL, CASE WHEN to_regclass(t) IS NULL THEN false "
            "ELSE has_table_privilege(current_user, to_regclass(t), %s) END "
            "FROM unnest(%s::text[]) AS t",
            (WRITE_PRIVILEGES, tables),
        )
        found = await cur.fetchall()
        version = _version(conn.info.server_version)
        checks = [
            Check(
                "connect",
                True,
                f"PostgreSQL {version}, database {database} as {user} "
                f"({conn.info.host}:{conn.info.port})",
            )
        ]
        missing = [t for t, exists, _ in found if not exists]
        writable = [t for t, _, can_write in found if can_write]
        if missing:
            checks.append(Check("tables", False, f"not found: {', '.join(missing)}"))
        checks.append(_write_posture(str(user), bool(superuser), writable, tables))
        return checks

    def _tables(self) -> list[str]:
        names: list[str] = []
        for q in self.config.queries.values():
            names.extend(tables_of(check_sql(q.sql, "postgres").sql, "postgres"))
        return list(dict.fromkeys(names))


def _write_posture(user: str, superuser: bool, writable: list[str], tables: list[str]) -> Check:
    grant = (
        "the real boundary is a SELECT-only role: CREATE ROLE investigate_ro LOGIN PASSWORD '…'; "
        f"GRANT SELECT ON {', '.join(tables) or 'the tables'} TO investigate_ro; "
        "then put investigate_ro in the dsn"
    )
    if superuser:
        return Check(
            "read-only",
            True,
            f"WARNING: role {user} is a SUPERUSER and can write anything; queries run in "
            f"READ ONLY transactions, but {grant}",
            warning=True,
        )
    if writable:
        return Check(
            "read-only",
            True,
            f"WARNING: role {user} can write ({WRITE_PRIVILEGES}) to {', '.join(writable)}; "
            f"queries run in READ ONLY transactions, but {grant}",
            warning=True,
        )
    return Check(
        "read-only",
        True,
        f"role {user} cannot write to the {len(tables)} tables the queries read; "
        "every query also runs in a READ ONLY transaction",
        verified=f"role {user} has no write privilege on the queried tables",
    )


def _version(number: int) -> str:
    major, minor = divmod(number, 10000)
    return f"{major}.{minor}" if major >= 10 else f"{major}.{minor // 100}.{minor % 100}"


def _after_fatal(text: str) -> str:
    """`connection failed: … failed: FATAL:  password authentication failed for user "x"`."""
    return text.rsplit("FATAL:", 1)[-1].strip()
