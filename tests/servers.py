"""Real database servers for tests: PostgreSQL 15 and MariaDB, started on 127.0.0.1 on a free
port in a temporary folder (fsync off, small buffers) and stopped afterwards.

    from servers import PgServer, MariaServer, start_postgres, start_mariadb

A missing server binary skips the test locally and fails it when CI=true. Each server is
seeded with the same small schema (accounts, users, orders, invoices, audit_log) and three
logins: `admin` (everything), `app_ro` (SELECT only) and `app_rw` (SELECT plus writes).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from investigate.sdk.contract import Connector

T = TypeVar("T", bound="Connector[Any]")
PASSWORDS = {"admin": "adm1n-S3cret", "app_ro": "r3ad-0nly-pw!", "app_rw": "wr1te-pw-Xy"}
DATABASE = "appdb"
TABLES = ("accounts", "users", "orders", "invoices", "audit_log")
STARTUP_TIMEOUT = 60.0

SCHEMA_STATEMENTS = [
    """
    CREATE TABLE accounts (id VARCHAR(32) PRIMARY KEY, name VARCHAR(100) NOT NULL,
        plan VARCHAR(20) NOT NULL, owner_email VARCHAR(200) NOT NULL, created_at TIMESTAMP NOT NULL)
    """,
    """
    CREATE TABLE users (id VARCHAR(32) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,
        email VARCHAR(200) NOT NULL, role VARCHAR(20) NOT NULL)
    """,
    """
    CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id VARCHAR(32) NOT NULL,
        status VARCHAR(20) NOT NULL, total_cents INTEGER NOT NULL, created_at TIMESTAMP NOT NULL)
    """,
    """
    CREATE TABLE invoices (id VARCHAR(32) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,
        status VARCHAR(20) NOT NULL, amount_cents INTEGER NOT NULL, due_at TIMESTAMP NOT NULL)
    """,
    """
    CREATE TABLE audit_log (id INTEGER PRIMARY KEY, account_id VARCHAR(32) NOT NULL,
        actor VARCHAR(200) NOT NULL, action VARCHAR(100) NOT NULL, created_at TIMESTAMP NOT NULL)
    """,
    """
    INSERT INTO accounts VALUES
        ('acc_1042', 'Acme', 'pro', 'dana@acme.io', '2025-03-01 09:00:00'),
        ('acc_2001', 'Globex', 'team', 'hank@globex.com', '2025-06-11 12:00:00'),
        ('acc_2002', 'Initech', 'free', 'bill@initech.com', '2026-01-20 08:30:00'),
        ('acc_evil', 'O''Brien % /.. Ltd', 'pro', 'x''; DROP TABLE accounts; --@evil.com',
         '2026-02-02 02:02:02')
    """,
    """
    INSERT INTO users VALUES
        ('usr_1', 'acc_1042', 'dana@acme.io', 'owner'),
        ('usr_2', 'acc_1042', 'lee@acme.io', 'member'),
        ('usr_3', 'acc_1042', 'kim@acme.io', 'member'),
        ('usr_4', 'acc_1042', 'sam@acme.io', 'viewer'),
        ('usr_6', 'acc_2001', 'hank@globex.com', 'owner'),
        ('usr_7', 'acc_2002', 'bill@initech.com', 'owner')
    """,
    """
    INSERT INTO orders VALUES
        (1, 'acc_1042', 'paid', 4900, '2026-11-01 10:00:00'),
        (2, 'acc_1042', 'failed', 4900, '2026-11-24 08:00:00'),
        (3, 'acc_2001', 'paid', 19900, '2026-11-20 15:00:00')
    """,
    """
    INSERT INTO invoices VALUES
        ('in_1042a', 'acc_1042', 'open', 4900, '2026-11-25 00:00:00'),
        ('in_2001a', 'acc_2001', 'paid', 19900, '2026-11-21 00:00:00')
    """,
    """
    INSERT INTO audit_log VALUES
        (1, 'acc_1042', 'dana@acme.io', 'plan.downgrade_attempt', '2026-11-24 07:55:00'),
        (2, 'acc_1042', 'system', 'card.declined', '2026-11-24 08:00:00'),
        (3, 'acc_2001', 'hank@globex.com', 'user.invite', '2026-11-22 10:00:00')
    """,
]


def missing(what: str) -> None:
    """Skip locally, fail in CI, when a server binary is not installed."""
    reason = f"{what} is not installed"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true requires it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(name: str, extra_globs: tuple[str, ...] = ()) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern), reverse=True)
        if matches:
            return matches[0]
    return None


def _wait_for(check: Any, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {_tail(log)}")
        try:
            check()
            return
        except Exception as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {STARTUP_TIMEOUT:.0f}s: {last}; {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-8:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class PgServer:
    port: int
    host: str = "127.0.0.1"
    database: str = DATABASE
    log: Path = field(default_factory=Path)

    def dsn(self, user: str = "app_ro", password: str | None = None, db: str | None = None) -> str:
        pw = PASSWORDS[user] if password is None else password
        from urllib.parse import quote

        return f"postgresql://{user}:{quote(pw, safe='')}@{self.host}:{self.port}/{db or self.database}"

    def admin(self, db: str | None = None) -> Any:
        """A sync psycopg connection as the superuser (autocommit)."""
        import psycopg

        return psycopg.connect(self.dsn("admin", db=db), autocommit=True, connect_timeout=5)

    def scalar(self, sql: str, *params: Any) -> Any:
        with self.admin() as conn:
            row = conn.execute(sql, params or None).fetchone()
            return row[0] if row else None


def _pg_user() -> tuple[int, int] | None:
    """Run as `postgres` (or `nobody`) when we are root: initdb refuses to run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    pytest.skip("running as root and neither a postgres nor a nobody user exists")


def _chown_tree(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, *owner)
        for name in dirs + files:
            os.chown(Path(root) / name, *owner)


def _as(owner: tuple[int, int] | None) -> dict[str, Any]:
    return {} if owner is None else {"user": owner[0], "group": owner[1], "extra_groups": []}


@contextlib.contextmanager
def start_postgres() -> Iterator[PgServer]:
    pg_globs = ("/usr/lib/postgresql/*/bin/{}",)
    initdb = find_binary("initdb", tuple(g.format("initdb") for g in pg_globs))
    postgres = find_binary("postgres", tuple(g.format("postgres") for g in pg_globs))
    if not initdb or not postgres:
        missing("PostgreSQL (initdb/postgres)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg")
    assert initdb and postgres
    owner = _pg_user()
    base = Path(tempfile.mkdtemp(prefix="investigate-pg-"))
    data, pwfile, log = base / "data", base / "pw", base / "postgres.log"
    pwfile.write_text(PASSWORDS["admin"] + "\n")
    _chown_tree(base, owner)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-U", "admin", f"--pwfile={pwfile}", "-A", "scram-sha-256",
             "-E", "UTF8", "--no-sync", "--no-instructions"],
            check=True, capture_output=True, timeout=120, cwd=base, env=env, **_as(owner),
        )  # fmt: skip
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": "",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "40",
            "logging_collector": "off",
        }
        args = [postgres, "-D", str(data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, cwd=base, env=env, **_as(owner)
            )
        server = PgServer(port=port, log=log)
        try:
            _wait_for(lambda: server.admin("postgres").close(), proc, log, "postgres")
            _seed_postgres(server)
            yield server
        finally:
            _stop(proc, signal.SIGINT)  # fast shutdown
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _seed_postgres(server: PgServer) -> None:
    with server.admin("postgres") as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
        for role in ("app_ro", "app_rw"):
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORDS[role]}'")
    with server.admin() as conn:
        for statement in SCHEMA_STATEMENTS:
            conn.execute(statement)
        conn.execute(f"GRANT SELECT ON {', '.join(TABLES)} TO app_ro")
        conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {', '.join(TABLES)} TO app_rw"
        )
        conn.execute("GRANT CREATE ON SCHEMA public TO app_rw")
        conn.execute("CREATE SEQUENCE invoice_numbers START 1000")
        conn.execute("GRANT USAGE, SELECT, UPDATE ON SEQUENCE invoice_numbers TO app_rw")


# --- MariaDB ----------------------------------------------------------------------------


@dataclass
class MariaServer:
    port: int
    host: str = "127.0.0.1"
    database: str = DATABASE
    log: Path = field(default_factory=Path)

    def dsn(self, user: str = "app_ro", password: str | None = None, db: str | None = None) -> str:
        from urllib.parse import quote

        pw = PASSWORDS[user] if password is None else password
        return f"mysql://{user}:{quote(pw, safe='')}@{self.host}:{self.port}/{db or self.database}"

    def admin(self, db: str | None = DATABASE) -> Any:
        """A sync PyMySQL connection as admin (autocommit)."""
        import pymysql  # type: ignore[import-untyped]

        return pymysql.connect(
            host=self.host, port=self.port, user="admin", password=PASSWORDS["admin"],
            database=db, autocommit=True, connect_timeout=5,
        )  # fmt: skip

    def scalar(self, sql: str, *params: Any) -> Any:
        conn = self.admin()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params or None)
                row = cur.fetchone()
                return row[0] if row else None
        finally:
            conn.close()


@contextlib.contextmanager
def start_mariadb() -> Iterator[MariaServer]:
    mariadbd = find_binary("mariadbd", ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"))
    install = find_binary("mariadb-install-db", ("/usr/bin/mysql_install_db",))
    if not mariadbd or not install:
        missing("MariaDB (mariadbd/mariadb-install-db)")
    try:
        import pymysql  # noqa: F401
    except ImportError:
        missing("PyMySQL/aiomysql")
    assert mariadbd and install
    base = Path(tempfile.mkdtemp(prefix="investigate-maria-"))
    data, log, init = base / "data", base / "mariadb.log", base / "init.sql"
    user = ["--user=root"] if os.geteuid() == 0 else []
    init.write_text(
        f"CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '{PASSWORDS['admin']}';\n"
        "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;\n"
    )
    try:
        subprocess.run(
            [install, "--no-defaults", f"--datadir={data}", *user, "--skip-test-db",
             "--auth-root-authentication-method=normal", "--skip-name-resolve"],
            check=True, capture_output=True, timeout=180, cwd=base,
        )  # fmt: skip
        port = free_port()
        args = [
            mariadbd, "--no-defaults", f"--datadir={data}", *user, f"--port={port}",
            "--bind-address=127.0.0.1", f"--socket={base / 'mysqld.sock'}",
            f"--pid-file={base / 'mysqld.pid'}", f"--log-error={log}", f"--tmpdir={base}",
            f"--init-file={init}", "--skip-name-resolve", "--skip-log-bin",
            "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
            "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
            "--skip-innodb-adaptive-hash-index", "--performance-schema=OFF",
            "--max-connections=40", "--character-set-server=utf8mb4",
        ]  # fmt: skip
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=base
        )
        server = MariaServer(port=port, log=log)
        try:
            _wait_for(lambda: _ping(server), proc, log, "mariadbd")
            _seed_mariadb(server)
            yield server
        finally:
            _stop(proc, signal.SIGTERM)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _ping(server: MariaServer) -> None:
    server.admin(db=None).close()


def _seed_mariadb(server: MariaServer) -> None:
    conn = server.admin(db=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DATABASE}")
            cur.execute(f"USE {DATABASE}")
            for statement in SCHEMA_STATEMENTS:
                cur.execute(statement)
            cur.execute(f"CREATE USER 'app_ro'@'%' IDENTIFIED BY '{PASSWORDS['app_ro']}'")
            cur.execute(f"CREATE USER 'app_rw'@'%' IDENTIFIED BY '{PASSWORDS['app_rw']}'")
            cur.execute(f"GRANT SELECT ON {DATABASE}.* TO 'app_ro'@'%'")
            cur.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON {DATABASE}.* TO 'app_rw'@'%'"
            )
    finally:
        conn.close()


# --- building connectors and queries in tests -------------------------------------------

WINDOW_START = "2026-11-23T10:00:00+00:00"
WINDOW_END = "2026-11-24T10:00:00+00:00"


def make_connector(cls: type[T], tmp_path: Path, section: dict[str, Any], env: dict[str, str]) -> T:
    """Write a config file with one connector `db`, load it the real way, build the instance."""
    import yaml

    from investigate.config import load_config
    from investigate.context import Context
    from investigate.secrets import MASKER

    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump({"connectors": {"db": section}}, sort_keys=False))
    loaded = load_config(path, env=env)
    config = loaded.connector_config("db", cls.config_model)
    MASKER.collect(config)
    return cls("db", config, Context(config=loaded))


def make_query(
    *,
    email: str | None = "dana@acme.io",
    deadline: float = 30.0,
    stage: str = "collect",
    **lists: list[str],
) -> Any:
    """A Query for ticket 4812 with the given requester and entity lists (`account_ids=[...]`)."""
    from datetime import datetime

    from investigate.models import Entities, Person, Ticket, Window
    from investigate.sdk.contract import Query

    window = Window(
        start=datetime.fromisoformat(WINDOW_START), end=datetime.fromisoformat(WINDOW_END)
    )
    ticket = Ticket(
        id="4812", subject="Billing problem", description="", requester=Person(email=email),
        created_at=window.end,
    )  # fmt: skip
    entities = Entities(requester_email=email, ticket_id="4812", **lists)
    return Query(ticket, entities, window, stage=stage, deadline=time.monotonic() + deadline)  # type: ignore[arg-type]


def by_query(evidence: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Rows of the evidence grouped by query name."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in evidence:
        out.setdefault(e.attributes["query_name"], []).append(e.record)
    return out
