"""The protocol-neutral machinery of every loopback fake: a stdlib `ThreadingHTTPServer` on
127.0.0.1 (port 0) in a daemon thread that records each request (`Recorded`) and answers from a
FIFO of scripted replies (`Reply`: raw bytes, slow, disconnect, or computed by a callable), with
`fallback` for an empty queue and `check()` failing on overruns and on exceptions in the fake.

    class FakeThing(ScriptedServer):
        def _handle(self, request: Recorded) -> Response:
            return self._json(200, {"ok": True})

Vendor fakes (Anthropic, OpenAI, PagerDuty, Opsgenie, Grafana…) subclass `ScriptedServer`;
`anthropic_api` re-exports these names, so `from fakes.anthropic_api import ScriptedServer`
keeps working.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CallableReply",
    "DisconnectReply",
    "RawReply",
    "Recorded",
    "Reply",
    "Response",
    "ScriptedServer",
    "SlowReply",
    "callable_reply",
    "disconnect_reply",
    "raw_reply",
    "slow_reply",
]

# --------------------------------------------------------------------------------------------
# Protocol-neutral machinery
# --------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the decoded body, or None when it is not JSON
    index: int  # 0-based position in fake.requests

    @property
    def stream(self) -> bool:
        return isinstance(self.json, dict) and self.json.get("stream") is True


@dataclass
class Response:
    """What the handler writes: a bytes body (Content-Length) or an iterable (chunked)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    disconnect: bool = False  # close the socket without answering


class Reply:
    """A scripted answer. `render` runs in the server thread when a request takes it."""

    def render(self, fake: Any, request: Recorded) -> Response:
        raise NotImplementedError


@dataclass
class RawReply(Reply):
    status: int
    body: bytes
    headers: dict[str, str]

    def render(self, fake: Any, request: Recorded) -> Response:
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers.setdefault("content-type", "application/json")
        return Response(self.status, list(headers.items()), self.body)


@dataclass
class SlowReply(Reply):
    seconds: float
    then: Reply

    def render(self, fake: Any, request: Recorded) -> Response:
        if fake._stopping.wait(self.seconds):  # the fake is stopping: give up quietly
            return Response(0, disconnect=True)
        return self.then.render(fake, request)


@dataclass
class DisconnectReply(Reply):
    def render(self, fake: Any, request: Recorded) -> Response:
        return Response(0, disconnect=True)


@dataclass
class CallableReply(Reply):
    """`fn(request) -> Reply | None`; None answers with the next queued reply instead."""

    fn: Callable[[Recorded], Reply | None]

    def render(self, fake: Any, request: Recorded) -> Response:
        reply = self.fn(request)
        if reply is None:
            reply = fake._take(request)
        return reply.render(fake, request)


def raw_reply(status: int, body: bytes | str, headers: dict[str, str] | None = None) -> Reply:
    """Exactly these bytes (content-type defaults to application/json)."""
    return RawReply(status, body.encode() if isinstance(body, str) else body, dict(headers or {}))


def slow_reply(seconds: float, then: Reply) -> Reply:
    """Wait `seconds` before answering with `then` (to trip client timeouts)."""
    return SlowReply(seconds, then)


def disconnect_reply() -> Reply:
    """Close the connection without answering (the SDK sees a connection error)."""
    return DisconnectReply()


def callable_reply(fn: Callable[[Recorded], Reply | None]) -> Reply:
    return CallableReply(fn)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: ScriptedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, closed streams) are normal; anything else is recorded.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        self.fake.errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive like the real API; streams are chunked
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._connections.discard(self.connection)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        fake = self.server.fake
        body = self._read_body()
        try:
            decoded: Any = json.loads(body) if body else None
        except ValueError:
            decoded = None
        parts = urlsplit(self.path)
        with fake._lock:
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                json=decoded,
                index=len(fake.requests),
            )
            fake.requests.append(request)
        try:
            response = fake._handle(request)
        except Exception:
            fake.errors.append(traceback.format_exc())
            response = fake._internal_error(
                f"{type(fake).__name__} raised while answering: {traceback.format_exc(limit=3)}"
            )
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _send(self, response: Response) -> None:
        if response.disconnect:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(response.status)
            names = {name.lower() for name, _ in response.headers}
            for name, value in response.headers:
                self.send_header(name, value)
            if isinstance(response.body, bytes | bytearray):
                if "content-length" not in names:
                    self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
                self.wfile.flush()
                return
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            for chunk in response.body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client went away (timeout, closed stream)
            self.close_connection = True


class ScriptedServer:
    """A loopback HTTP server answering from a FIFO of scripted replies."""

    handler: type[_Handler] = _Handler
    """The request handler class (a subclass may set socket options, e.g. TCP_NODELAY)."""

    def __init__(self, *, expected_key: str | None = None) -> None:
        self.expected_key = expected_key
        self.url = ""
        self.requests: list[Recorded] = []
        self.overruns: list[Recorded] = []  # requests that found the queue empty
        self.errors: list[str] = []  # exceptions inside the fake or a reply_callable fn
        self.fallback: Reply | None = None  # answers when the queue is empty, if set
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> Any:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _HTTPServer(("127.0.0.1", 0), self.handler)
        server.fake = self
        self._server = server
        port = server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes slow replies
        server.shutdown()
        for conn in list(self._connections):  # wake keep-alive handlers blocked on a read
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # script --------------------------------------------------------------------------------

    def enqueue(self, reply: Reply) -> None:
        with self._lock:
            self._queue.append(reply)

    def reply_raw(
        self, status: int, body: bytes | str, headers: dict[str, str] | None = None
    ) -> None:
        self.enqueue(raw_reply(status, body, headers))

    def reply_slow(self, seconds: float, then: Reply) -> None:
        self.enqueue(slow_reply(seconds, then))

    def reply_disconnect(self) -> None:
        self.enqueue(disconnect_reply())

    def reply_callable(self, fn: Callable[[Recorded], Reply | None]) -> None:
        self.enqueue(callable_reply(fn))

    @property
    def pending(self) -> int:
        """Scripted replies not taken yet."""
        with self._lock:
            return len(self._queue)

    def check(self) -> None:
        """Fail if a request found no scripted reply or the fake itself raised."""
        problems = []
        for request in self.overruns:
            problems.append(
                f"request #{request.index} ({request.method} {request.path}) found no scripted reply"
            )
        problems.extend(f"the fake raised:\n{error}" for error in self.errors)
        if problems:
            raise AssertionError(f"{type(self).__name__}: " + "\n".join(problems))

    # internals -----------------------------------------------------------------------------

    def _take(self, request: Recorded) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.fallback is not None:
                return self.fallback
            self.overruns.append(request)
        return self._overrun_reply(request)

    def _handle(self, request: Recorded) -> Response:
        raise NotImplementedError

    def _overrun_reply(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def _internal_error(self, message: str) -> Response:
        raise NotImplementedError

    @staticmethod
    def _json(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
        return Response(
            status,
            [("content-type", "application/json"), *headers],
            json.dumps(payload).encode(),
        )


class VendorFake(ScriptedServer):
    """A vendor API fake that answers from its own state, with two hooks for tests: `script`
    a reply for the next request whose path contains a string, and `problems` (contract
    violations the fake noticed) that fail `check`."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._scripted: list[tuple[str, Reply]] = []

    def script(self, reply: Reply, *, path: str = "") -> None:
        """The next request whose path contains `path` takes `reply`."""
        with self._lock:
            self._scripted.append((path, reply))

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError(f"{type(self).__name__}:\n" + "\n".join(self.problems))

    def scripted(self, request: Recorded) -> Response | None:
        """The scripted reply this request takes, if any (each is used once)."""
        with self._lock:
            hit = next((s for s in self._scripted if s[0] in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        return hit[1].render(self, request) if hit is not None else None
