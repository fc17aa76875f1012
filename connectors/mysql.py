"""`mysql`: named, parameterised read queries against MariaDB or MySQL (aiomysql).

    db:
      type: mysql
      dsn: ${READONLY_MYSQL_URL}           # mysql://investigate_ro:…@db:3306/app
      queries:
        orders: "SELECT id, status, total FROM orders WHERE account_id = :account_id"

The session is `SET SESSION TRANSACTION READ ONLY` with multi-statements switched off and lock
waits bounded; each statement runs in `START TRANSACTION READ ONLY` under the server's
statement timeout (MariaDB `max_statement_time`, MySQL `max_execution_time`), capped at the
deadline, and is always rolled back; a statement still running at the deadline is killed with
`KILL QUERY`. Values are escaped by the driver for the connection's charset (utf8mb4). The
driver is an optional extra: `pip install 'investigate[mysql]'`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
import urllib.parse
from dataclasses import dataclass
from typing import Any

from investigate.sdk import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.sdk.contract import Check, Query
from investigate_connectors._sqlbase import (
    Limits,
    ServerSQL,
    ServerSQLConfig,
    driver_missing,
    one_line,
)

READ_PRIVILEGES = frozenset({"SELECT", "USAGE", "SHOW VIEW"})
_AUTH = {1044, 1045, 1698}
_TIMEOUT = {1969, 3024}
_READ_ONLY = {1792, 1290, 1836}
_DENIED = {1142, 1143, 1227, 1370}
_LOST = {1053, 1317, 1927, 2006, 2013, 2055, 4031}
_BAD_VALUE = {1292, 1366, 1411}
_COM_SET_OPTION = 0x1B
_MULTI_STATEMENTS_OFF = 1


@dataclass
class Target:
    host: str
    port: int
    user: str
    password: str
    database: str | None


@dataclass
class Session:
    conn: Any
    mariadb: bool
    timeout: float | None = None


class MySQLConfig(ServerSQLConfig):
    dialect = "mysql"


class MySQL(ServerSQL[MySQLConfig]):
    type_name = "mysql"
    config_model = MySQLConfig
    description = "MariaDB / MySQL: named read-only queries bound to ticket entities (aiomysql)"
    extra = "mysql"
    driver = ("aiomysql", "mysql")

    def _values(self, query: Query) -> dict[str, list[str]]:
        values = query.params()  # DATETIME columns compare with 'YYYY-MM-DD HH:MM:SS' (UTC)
        values["window_start"] = [f"{query.window.start:%Y-%m-%d %H:%M:%S}"]
        values["window_end"] = [f"{query.window.end:%Y-%m-%d %H:%M:%S}"]
        return values

    def _target(self) -> Target:
        try:
            url = urllib.parse.urlsplit(self.config.dsn.get_secret_value())
            port = url.port or 3306
        except ValueError:
            url, port = None, 0
        if url is None or url.scheme not in ("mysql", "mariadb", "mysql+aiomysql"):
            raise SourceError(
                f"{self.label}: the dsn is not a mysql:// URL",
                hint="use mysql://USER:PASSWORD@HOST:3306/DATABASE, password from ${VAR}",
            )
        unquote = urllib.parse.unquote
        return Target(
            host=url.hostname or "127.0.0.1",
            port=port,
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            database=unquote(url.path.lstrip("/")) or None,
        )

    async def _open(self) -> Session:
        try:
            aiomysql, pymysql = _drivers()
        except ImportError:
            raise driver_missing(self.label, "MySQL (aiomysql)", self.extra) from None
        target = self._target()
        try:
            conn = await aiomysql.connect(
                host=target.host,
                port=target.port,
                user=target.user,
                password=target.password,
                db=target.database,
                connect_timeout=self.config.connect_timeout.total_seconds(),
                autocommit=True,
                charset="utf8mb4",
            )
        except (pymysql.err.MySQLError, OSError) as exc:
            raise self._connect_error(exc) from None
        session = Session(conn, "mariadb" in conn.get_server_info().lower())
        try:
            await self._setup_session(session)
        except BaseException:
            conn.close()
            raise
        return session

    async def _setup_session(self, session: Session) -> None:
        """Session defaults: read only, UTC, bounded lock waits, one statement per call."""
        lock = max(1, round(self.config.lock_timeout.total_seconds()))
        async with session.conn.cursor() as cur:
            await cur.execute("SET SESSION TRANSACTION READ ONLY")
            await cur.execute(
                f"SET time_zone = '+00:00', SESSION innodb_lock_wait_timeout = {lock}, "
                f"SESSION lock_wait_timeout = {lock}"
            )
        conn = session.conn
        if not hasattr(conn, "_execute_command") or not hasattr(conn, "_read_packet"):
            raise SourceError(  # fail closed: never run with stacked statements allowed
                f"{self.label}: this aiomysql version cannot switch multi-statements off",
                hint="pip install 'aiomysql>=0.2,<0.4'",
            )
        await conn._execute_command(_COM_SET_OPTION, struct.pack("<H", _MULTI_STATEMENTS_OFF))
        await conn._read_packet()

    def _connect_error(self, exc: Exception) -> SourceError:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        text = one_line(str(exc.args[1]) if len(exc.args) > 1 else str(exc))
        return self.connect_failed(text, auth=code in _AUTH)

    async def _run(
        self, session: Session, sql: str, params: dict[str, str], limits: Limits
    ) -> list[dict[str, Any]]:
        aiomysql, pymysql = _drivers()
        conn = session.conn
        async with conn.cursor(aiomysql.DictCursor) as cur:
            if session.timeout != round(limits.timeout, 1):
                await cur.execute(_timeout_sql(session.mariadb, limits.timeout))
                session.timeout = round(limits.timeout, 1)
            await cur.execute("START TRANSACTION READ ONLY")
            try:
                await cur.execute(sql, params)
                rows: list[dict[str, Any]] = list(await cur.fetchmany(limits.max_rows))
            except pymysql.err.MySQLError:
                if not conn.closed:
                    await conn.rollback()
                raise
            await conn.rollback()
            return rows

    async def _cancel(self, session: Session) -> None:
        """KILL QUERY from a second connection as the same user (allowed for own threads)."""
        try:
            aiomysql, _ = _drivers()
            thread = session.conn.thread_id()
            target = self._target()
            killer = await aiomysql.connect(
                host=target.host,
                port=target.port,
                user=target.user,
                password=target.password,
                connect_timeout=2,
            )
            try:
                async with killer.cursor() as cur:
                    await asyncio.wait_for(cur.execute(f"KILL QUERY {int(thread)}"), 2)
            finally:
                killer.close()
        except Exception:  # noqa: S110 - best effort: the connection is closed next anyway
            pass

    async def _close(self, session: Session) -> None:
        with contextlib.suppress(Exception):  # closing must not hide the real error
            session.conn.close()

    def _skippable(self, exc: Exception) -> bool:
        return _code(exc) in _BAD_VALUE

    def _error(self, exc: Exception, what: str) -> SourceError | None:
        _, pymysql = _drivers()
        if not isinstance(exc, pymysql.err.MySQLError | OSError):
            return None
        code = _code(exc)
        text = one_line(str(exc.args[1]) if len(exc.args) > 1 else str(exc) or type(exc).__name__)
        label = self.label
        if code in _TIMEOUT:
            return SourceTimeout(f"{label}: {what} was stopped by the statement timeout")
        if code == 1205:
            return SourceTimeout(f"{label}: {what} waited too long for a lock")
        if code in _READ_ONLY:
            return ReadOnlyViolation(
                f"{label}: {what} tried to write; the read-only transaction refused it"
            )
        if code in _DENIED:
            return SourceError(
                f"{label}: {what}: {text}", hint="grant the user SELECT on the tables it reads"
            )
        if (
            code in _LOST
            or isinstance(exc, OSError | pymysql.err.InterfaceError)
            or (code == 0 and isinstance(exc, pymysql.err.OperationalError))
        ):
            return SourceError(f"{label}: connection lost during {what}: {text or 'closed'}")
        return SourceError(f"{label}: {what} failed: {text}")

    async def _posture(self, session: Session) -> list[Check]:
        async with session.conn.cursor() as cur:
            await cur.execute("SELECT CURRENT_USER(), DATABASE()")
            user, database = await cur.fetchone()
            await cur.execute("SHOW GRANTS")
            grants = [str(row[0]) for row in await cur.fetchall()]
        target = self._target()
        return [
            Check(
                "connect",
                True,
                f"{_server(session.conn.get_server_info())}, database {database} as {user} "
                f"({target.host}:{target.port})",
            ),
            _write_posture(str(user), str(database or "app"), grants),
        ]


def _drivers() -> tuple[Any, Any]:
    """aiomysql and PyMySQL (untyped: both are used through `Any`)."""
    import aiomysql  # type: ignore[import-untyped]
    import pymysql  # type: ignore[import-untyped]

    return aiomysql, pymysql


def _server(info: str) -> str:
    """`5.5.5-10.11.18-MariaDB-0+deb12u1` → `MariaDB 10.11.18-MariaDB-0+deb12u1`."""
    info = info.removeprefix("5.5.5-")
    return f"MariaDB {info}" if "mariadb" in info.lower() else f"MySQL {info}"


def _timeout_sql(mariadb: bool, seconds: float) -> str:
    if mariadb:
        return f"SET SESSION max_statement_time = {max(seconds, 0.001):.3f}"
    return f"SET SESSION max_execution_time = {max(1, int(seconds * 1000))}"


def _code(exc: BaseException) -> int:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else 0


def write_privileges(grants: list[str]) -> list[str]:
    """Privileges beyond SELECT/USAGE/SHOW VIEW in `SHOW GRANTS` lines (roles as `role X`)."""
    found: list[str] = []
    for line in grants:
        match = re.match(r"GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s", line, re.IGNORECASE | re.DOTALL)
        if match is None:
            role = re.match(r"GRANT\s+(.+?)\s+TO\s", line, re.IGNORECASE)
            if role and not line.upper().startswith("GRANT PROXY"):
                found.append(f"role {role.group(1)}")
            continue
        privileges = re.sub(r"\([^)]*\)", "", match.group(1))
        for privilege in (p.strip().upper() for p in privileges.split(",")):
            if privilege and privilege not in READ_PRIVILEGES:
                found.append(f"{privilege} ON {match.group(2)}")
        if re.search(r"WITH\s+GRANT\s+OPTION", line, re.IGNORECASE):
            found.append(f"GRANT OPTION ON {match.group(2)}")
    return list(dict.fromkeys(found))


def _write_posture(user: str, database: str, grants: list[str]) -> Check:
    extra = write_privileges(grants)
    if not extra:
        return Check(
            "read-only",
            True,
            f"{user} has only SELECT/USAGE/SHOW VIEW; every query also runs in a READ ONLY "
            "transaction",
            verified=f"{user} has only SELECT grants",
        )
    shown = "; ".join(extra[:6]) + ("; …" if len(extra) > 6 else "")
    return Check(
        "read-only",
        True,
        f"WARNING: {user} has more than SELECT ({shown}); queries run in READ ONLY "
        "transactions, but the real boundary is a SELECT-only user: CREATE USER "
        f"'investigate_ro'@'%' IDENTIFIED BY '…'; GRANT SELECT ON `{database}`.* TO "
        "'investigate_ro'@'%'; then put investigate_ro in the dsn",
        warning=True,
    )
