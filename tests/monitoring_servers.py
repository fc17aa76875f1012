"""Real Prometheus and Alertmanager servers for tests, on free 127.0.0.1 ports in a temp folder.

    from monitoring_servers import start_prometheus, start_alertmanager, post_alerts

Prometheus evaluates rules every second (`ApiDown` fires at once with service="api"), scrapes
itself (so `prometheus_http_requests_total` is a real series), records `hostile_series` whose
label `v` holds hostile values (quotes, backslashes, braces, newlines, regex metacharacters), and
requires basic auth (`USER` / `PASSWORD`). A missing binary skips the test locally and fails it
when CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes.anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

USER = "investigator"
PASSWORD = "pr0m-S3cret!"
# bcrypt (cost 4) of PASSWORD, computed once with crypt(3); Prometheus's web config needs a hash.
PASSWORD_HASH = "$2b$04$rGAtdegC6r6XkztwRdxQFeIyiJSQOtt/7UM/NnuIpuhM0hBYso/A2"
STARTUP_TIMEOUT = 60.0
HOSTILE = [
    'quote"inside',
    "back\\slash",
    "trailing\\",
    "brace}",
    "pipe|bar",
    '"}) or vector(1)',
    'x"} or vector(1) or foo{a="',
    "new\nline",
    "back`tick",
    "dots.and*stars+?",
    "(paren)[bracket]{2}^$",
    "tab\there",
    "percent%2F/../etc",
    "' OR 1=1 --",
]
RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "tests",
            "interval": "1s",
            "rules": [
                {
                    "alert": "ApiDown",
                    "expr": "vector(1)",
                    "for": "0s",
                    "labels": {"service": "api", "severity": "critical", "region": "us-east-1"},
                    "annotations": {"summary": "api is failing in us-east-1"},
                },
                {
                    "alert": "BillingSlowPending",
                    "expr": "vector(1)",
                    "for": "1h",
                    "labels": {"service": "billing", "severity": "warning"},
                    "annotations": {"summary": "billing latency high"},
                },
                {
                    "alert": "WorkerLag",
                    "expr": "vector(1)",
                    "for": "0s",
                    "labels": {"service": "worker", "severity": "warning"},
                    "annotations": {"summary": "queue lag"},
                },
                *(
                    {
                        "record": "hostile_series",
                        # json.dumps: a PromQL double-quoted string (\\", \\\\, \\n, \\uXXXX);
                        # `$` doubled because label_replace expands $1-style references.
                        "expr": f'label_replace(vector({i}), "v", '
                        f'{json.dumps(value.replace("$", "$$"))}, "", "")',
                        "labels": {"case": str(i)},
                    }
                    for i, value in enumerate(HOSTILE)
                ),
            ],
        }
    ]
}


def missing(what: str) -> None:
    """Skip locally, fail in CI, when a server binary is not installed."""
    reason = f"{what} is not installed (apt-get install prometheus prometheus-alertmanager)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true requires it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic_auth(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode()


def http(
    method: str, url: str, body: Any = None, auth: str | None = None, timeout: float = 5
) -> Any:
    """A tiny stdlib client for the tests' own setup calls (never the connectors')."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:  # e.g. 503 while starting: close its socket
        body = exc.read()[:200]
        exc.close()
        raise RuntimeError(f"HTTP {exc.code} from {method} {url}: {body!r}") from None
    return json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw.decode()


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    folder: Path
    log: Path
    step_at: float = 0.0
    """Unix time at which `step_series` (Prometheus) steps from 1 to 10."""

    def tail(self) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-8:])
        except OSError:
            return "(no log)"


def _wait_ready(server: Server, what: str, auth: str | None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({server.proc.returncode}): {server.tail()}")
        try:
            http("GET", f"{server.url}/-/ready", auth=auth, timeout=2)
            return
        except Exception as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"{what} not ready in {STARTUP_TIMEOUT:.0f}s: {last}; {server.tail()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def _run(cmd: list[str], folder: Path, what: str, auth: str | None) -> Iterator[Server]:
    log = folder / f"{Path(cmd[0]).name}.log"
    port = cmd[-1].rsplit(":", 1)[-1]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    server = Server(f"http://127.0.0.1:{port}", proc, folder, log)
    try:
        _wait_ready(server, what, auth)
        yield server
    finally:
        _stop(proc)


@contextlib.contextmanager
def start_alertmanager() -> Iterator[Server]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        missing("prometheus-alertmanager")
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="am-") as tmp:
        folder = Path(tmp)
        config = {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}
        (folder / "alertmanager.yml").write_text(yaml.safe_dump(config))
        cmd = [
            binary,
            f"--config.file={folder / 'alertmanager.yml'}",
            f"--storage.path={folder / 'data'}",
            "--cluster.listen-address=",
            f"--web.listen-address=127.0.0.1:{free_port()}",
        ]
        with _run(cmd, folder, "alertmanager", None) as server:
            yield server


@contextlib.contextmanager
def start_prometheus(
    alertmanager: str | None = None, rules: dict[str, Any] | None = None
) -> Iterator[Server]:
    """Prometheus with basic auth, scraping itself, evaluating `rules` (default `RULES`)."""
    binary = shutil.which("prometheus")
    if binary is None:
        missing("prometheus")
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="prom-") as tmp:
        folder = Path(tmp)
        port = free_port()
        step_at = round(time.time() + 6)
        chosen = RULES if rules is None else rules
        step = {"record": "step_series", "expr": f"1 + 9 * (vector(time()) > bool {step_at})"}
        groups = [{**g, "rules": [*g["rules"], step]} for g in chosen["groups"]] or [
            {"name": "step", "interval": "1s", "rules": [step]}
        ]
        (folder / "rules.yml").write_text(yaml.safe_dump({"groups": groups}))
        (folder / "web.yml").write_text(yaml.safe_dump({"basic_auth_users": {USER: PASSWORD_HASH}}))
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(folder / "rules.yml")],
            "scrape_configs": [
                {
                    "job_name": "prometheus",
                    "basic_auth": {"username": USER, "password": PASSWORD},
                    "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
                }
            ],
        }
        if alertmanager:
            target = alertmanager.removeprefix("http://")
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        cmd = [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.config.file={folder / 'web.yml'}",
            "--rules.alert.resend-delay=1s",  # resend at once (the first send may precede SD)
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with _run(cmd, folder, "prometheus", basic_auth()) as server:
            server.step_at = step_at
            yield server


def reload(server: Server) -> None:
    """Re-read the config and rule files (SIGHUP)."""
    server.proc.send_signal(signal.SIGHUP)


def wait_for(check: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def firing(server: Server, name: str) -> dict[str, Any] | None:
    """The Prometheus alert `name` once it is firing."""
    body = http("GET", f"{server.url}/api/v1/alerts", auth=basic_auth())
    for alert in body["data"]["alerts"]:
        if alert["labels"].get("alertname") == name and alert["state"] == "firing":
            return dict(alert)
    return None


def post_alerts(server: Server, alerts: list[dict[str, Any]]) -> None:
    """Push alerts into Alertmanager the way Prometheus would (the test's write, not ours)."""
    http("POST", f"{server.url}/api/v2/alerts", alerts)


# --- building connectors and queries --------------------------------------------------------


def make_connector(cls: Any, tmp_path: Path, section: dict[str, Any], name: str = "mon") -> Any:
    """Write a config with one connector `name`, load it the real way, build the instance."""
    from investigate.config import load_config
    from investigate.context import Context
    from investigate.secrets import MASKER

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"connectors": {name: section}}, sort_keys=False))
    loaded = load_config(path, env={})
    config = loaded.connector_config(name, cls.config_model)
    MASKER.collect(config)
    return cls(name, config, Context(config=loaded))


def make_query(
    *,
    start: Any = None,
    end: Any = None,
    custom_fields: dict[str, Any] | None = None,
    deadline: float = 20.0,
    subject: str = "API calls fail",
    **lists: Any,
) -> Any:
    """A Query for ticket 4812 over [start, end] (default: the last hour up to now)."""
    from datetime import UTC, datetime, timedelta

    from investigate.models import Entities, Ticket, Window
    from investigate.sdk.contract import Query

    end = end or datetime.now(UTC) + timedelta(seconds=5)
    start = start or end - timedelta(hours=1)
    ticket = Ticket(
        id="4812",
        subject=subject,
        created_at=end,
        custom_fields=custom_fields or {},
    )
    entities = Entities(ticket_id="4812", **lists)
    return Query(
        ticket, entities, Window(start=start, end=end), deadline=time.monotonic() + deadline
    )


class FakeMonitoring(ScriptedServer):
    """A loopback server answering from scripted replies (for what real servers can't do:
    403, 429, 5xx, broken JSON, endless bodies). `fake.requests` records what arrived."""

    def _handle(self, request: Recorded) -> Response:
        reply: Reply = self._take(request)
        return reply.render(self, request)

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"status": "error", "error": "no scripted reply"}')

    def _internal_error(self, message: str) -> Response:
        return Response(500, [("content-type", "application/json")], message.encode())
