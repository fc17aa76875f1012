"""CloudWatch Logs for tests: moto's real server on 127.0.0.1, plus a scripting proxy.

    with MotoLogs() as moto:                   # ThreadedMotoServer(port=0), state reset on entry
        moto.put("/ecs/api", [(ts, "ERROR payment failed for acc_1042")])
        with LogsProxy(moto.url) as proxy:      # forwards to moto, records every request
            proxy.script("FilterLogEvents", throttled())   # …or answers with a scripted reply
            ...  connector with endpoint_url=proxy.url ...
            proxy.calls                         # ["DescribeLogGroups", "FilterLogEvents", …]

Seeding goes through boto3 straight to moto (PutLogEvents), never through the connector. moto
accepts events from the last 14 days only, so tests place their window relative to now. moto
does not check credentials: AccessDenied and friends are scripted replies with AWS's error JSON.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

REGION = "eu-west-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key-0123456789",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class MotoLogs:
    """moto's server (all services, CloudWatch Logs and STS included) in a thread."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""
        self._client: Any = None

    def start(self) -> MotoLogs:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        self.server.stop()

    def __enter__(self) -> MotoLogs:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def reset(self) -> None:
        conn = http.client.HTTPConnection(urlsplit(self.url).netloc, timeout=10)
        try:
            conn.request("POST", "/moto-api/reset")
            conn.getresponse().read()
        finally:
            conn.close()

    @property
    def client(self) -> Any:
        """A plain boto3 logs client straight to moto (seeding and inspection only)."""
        if self._client is None:
            boto3 = importlib.import_module("boto3")
            self._client = boto3.client(
                "logs",
                region_name=REGION,
                endpoint_url=self.url,
                aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
        return self._client

    def group(self, name: str) -> None:
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_group(logGroupName=name)

    def put(self, group: str, events: Iterable[tuple[datetime, str]], stream: str = "main") -> int:
        """PutLogEvents in chronological batches of at most 10 000; returns events sent."""
        self.group(group)
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
        ordered: list[dict[str, Any]] = [
            {"timestamp": _ms(t), "message": m} for t, m in sorted(events, key=lambda e: e[0])
        ]
        for i in range(0, len(ordered), 10_000):
            reply = self.client.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=ordered[i : i + 10_000]
            )
            assert not reply.get("rejectedLogEventsInfo"), reply["rejectedLogEventsInfo"]
        return len(ordered)

    def count(self, group: str) -> int:
        events = self.client.filter_log_events(logGroupName=group).get("events", [])
        return len(events)


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def aws_error(status: int, code: str, message: str) -> Reply:
    """An AWS JSON-protocol error, as CloudWatch Logs sends it."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return Reply(status, body, {"x-amzn-ErrorType": code})


def throttled() -> Reply:
    return aws_error(400, "ThrottlingException", "Rate exceeded")


@dataclass
class Seen:
    operation: str
    body: dict[str, Any]
    headers: dict[str, str]


class LogsProxy:
    """Forwards AWS JSON-protocol requests to `upstream`, unless a scripted reply is queued for
    the operation (`X-Amz-Target`'s last part, or "*" for any)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.seen: list[Seen] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                target = self.headers.get("x-amz-target", "")
                operation = target.rsplit(".", 1)[-1] if target else _form_action(raw)
                try:
                    body = json.loads(raw) if raw and target else {}
                except ValueError:
                    body = {}
                reply = proxy._record(Seen(operation, body, dict(self.headers.items())))
                if reply is None:
                    reply = proxy._forward(self.command, self.path, dict(self.headers), raw)
                self.send_response(reply.status)
                headers = {"content-type": "application/x-amz-json-1.1", **reply.headers}
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LogsProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def calls(self) -> list[str]:
        return [s.operation for s in self.seen]

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        return [s.body for s in self.seen if s.operation == operation]

    def script(self, operation: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts.setdefault(operation, deque()).extend(replies)

    def _record(self, seen: Seen) -> Reply | None:
        with self._lock:
            self.seen.append(seen)
            for key in (seen.operation, "*"):
                queue = self._scripts.get(key)
                if queue:
                    return queue.popleft()
        return None

    def _forward(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            conn.request(method, path, body=raw, headers=headers)
            response = conn.getresponse()
            body = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower().startswith("x-amz")}
            kept["content-type"] = response.getheader("content-type") or "application/json"
            return Reply(response.status, body, kept)
        finally:
            conn.close()


def _form_action(raw: bytes) -> str:
    """The `Action=` of a query-protocol request (STS)."""
    for part in raw.decode("utf-8", "replace").split("&"):
        if part.startswith("Action="):
            return part[len("Action=") :]
    return ""
