"""A chaos HTTP server: every way a vendor API, proxy or network can misbehave, on 127.0.0.1.

Raw asyncio sockets (not http.server) so that it can stall before headers, drip a body one
byte at a time, reset a connection mid-body or stream 200 MB. Each (scenario, connector) pair
gets its own listening port, so requests are counted per pair and scenarios can run at once:

    with ChaosServer() as chaos:
        url = chaos.base_url("http_500", "stripe")   # http://127.0.0.1:PORT
        ...
        chaos.hits("http_500", "stripe")             # every request the connector sent
        chaos.thief.hits                             # requests that followed a redirect

Scenarios that need no server: `refused` (a bound, never-listening port), `dns` (a `.invalid` host) and `tls`
(https:// to this plain-HTTP server, which answers the TLS hello with plain HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import random
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

HUGE_BYTES = 200 * 1024 * 1024
DRIP_INTERVAL = 0.5
STALL_LIMIT = 60.0


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    expect: frozenset[str]
    """Acceptable source statuses in the report."""
    status: int | None = None
    """For HTTP-status scenarios: the code the reason should name."""


FAIL = frozenset({"error", "timeout"})
TOLERATE = frozenset({"error", "empty"})
NO_CRASH = frozenset({"error", "empty", "ok"})

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("refused", "connection refused (closed port)", FAIL),
        Scenario("dns", "DNS failure (.invalid host)", FAIL),
        Scenario("tls", "TLS error (https to a plain-HTTP port)", FAIL),
        Scenario("stall", "accepts, reads the request, never answers", frozenset({"timeout"})),
        Scenario("slow_drip", "headers, then one body byte every 0.5 s", frozenset({"timeout"})),
        Scenario("reset", "connection reset mid-body", FAIL),
        Scenario("http_401", "401 Unauthorized (wrong credentials)", FAIL, 401),
        Scenario("http_403", "403 Forbidden", FAIL, 403),
        Scenario("http_500", "500 Internal Server Error", FAIL, 500),
        Scenario("http_502", "502 Bad Gateway", FAIL, 502),
        Scenario("http_503", "503 Service Unavailable", FAIL, 503),
        Scenario("http_504", "504 Gateway Timeout", FAIL, 504),
        Scenario("retry_secs", "429, Retry-After: 1", FAIL, 429),
        Scenario("retry_date", "429, Retry-After as an HTTP date (+2 s)", FAIL, 429),
        Scenario("retry_hour", "429, Retry-After: 3600", frozenset({"error"}), 429),
        Scenario("redirect", "302 to another host (records credentials)", FAIL),
        Scenario("html", "200 with an HTML login page", FAIL),
        Scenario("truncated", "200 with truncated JSON", FAIL),
        Scenario("huge", "200 with a 200 MB JSON body (chunked)", FAIL),
        Scenario("wrong_type", "200 with an XML body (text/xml)", TOLERATE),
        Scenario("empty", "200 with an empty body", TOLERATE),
        Scenario("wrong_shape", "200 with JSON of the wrong shape (a list)", NO_CRASH),
    ]
}


@dataclass
class Hit:
    method: str
    target: str
    headers: dict[str, str]
    gone: Callable[[], bool] = field(default=lambda: False, repr=False, compare=False)
    """True once the client has hung up."""


@dataclass
class Endpoint:
    scenario: str
    label: str
    port: int = 0
    hits: list[Hit] = field(default_factory=list)
    tls_hellos: int = 0
    faults: int = 0
    body_bytes_sent: int = 0
    server: asyncio.Server | None = None


Behaviour = Callable[["ChaosServer", Endpoint, Hit, asyncio.StreamWriter], Awaitable[None]]

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    **extra: str,
) -> None:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **extra}
    writer.write(_head(status, headers) + body)
    await writer.drain()


async def _error(status: int, writer: asyncio.StreamWriter, **extra: str) -> None:
    body = b'{"error": {"message": "chaos says %d", "type": "chaos"}}' % status
    await _send(writer, status, body, **extra)


async def _stall(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    del chaos, ep, hit, w  # the handler waits for the client to hang up


async def _slow_drip(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    body = b'{"data": [' + b" " * 200
    w.write(_head(200, {"Content-Type": "application/json", "Content-Length": "100000"}))
    await w.drain()
    for byte in body:
        if hit.gone():
            return
        w.write(bytes([byte]))
        await w.drain()
        ep.body_bytes_sent += 1
        await asyncio.sleep(DRIP_INTERVAL)


async def _reset(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    part = b'{"data": [{"id": "1", "message": "' + b"x" * 200
    w.write(_head(200, {"Content-Type": "application/json", "Content-Length": "10000"}) + part)
    await w.drain()
    ep.body_bytes_sent += len(part)
    await asyncio.sleep(0.05)
    sock = w.get_extra_info("socket")
    if sock is not None:  # linger 0: close() sends RST instead of FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()


def _status(code: int, **extra: str) -> Behaviour:
    async def reply(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
        await _error(code, w, **extra)

    return reply


async def _retry_date(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    await _error(429, w, **{"Retry-After": when})


async def _redirect(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    where = f"http://localhost:{chaos.thief.port}/stolen/{ep.label}{hit.target}"
    await _send(w, 302, b"", Location=where)


async def _html(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    page = b"<!doctype html><html><head><title>Sign in</title></head><body>Login</body></html>"
    await _send(w, 200, page, "text/html; charset=utf-8")


async def _truncated(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await _send(w, 200, b'{"data": [{"id": "1", "email": "dana@exa')


async def _huge(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    w.write(_head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
    item = b'{"id": "evt_0000000000", "message": "' + b"m" * 400 + b'"},'
    chunk = b'{"data": [' + item * (65536 // len(item))
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    while ep.body_bytes_sent < HUGE_BYTES:
        if hit.gone():
            return
        w.write(framed)
        await w.drain()
        ep.body_bytes_sent += len(chunk)
    tail = b'{"id": "last"}]}'
    w.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))
    await w.drain()


async def _wrong_type(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await _send(w, 200, b'<?xml version="1.0"?><error>nope</error>', "text/xml")


async def _empty(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await _send(w, 200, b"")


async def _wrong_shape(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await _send(w, 200, b'["unexpected", 1, null, {"id": null}]')


async def _slow_500(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await asyncio.sleep(0.3)  # a healthy-but-not-instant API: answers in 300 ms
    await _error(500, w)


FLAKY_FAULTS = ("http_500", "retry_hour", "reset", "truncated", "stall")


async def _flaky(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    """A working API with seeded random latency where `chaos.fault_rate` of the requests
    (decided per request target, so the same ticket meets the same fault) misbehave."""
    rng = random.Random(f"{chaos.seed}:{ep.label}:{hit.target}")
    await asyncio.sleep(rng.lognormvariate(-3.0, 0.8))  # median 50 ms, long tail
    if rng.random() < chaos.fault_rate:
        fault = rng.choice(FLAKY_FAULTS)
        ep.faults += 1
        await BEHAVIOURS[fault](chaos, ep, hit, w)
        if fault == "stall":  # hold until the client gives up
            while not hit.gone():
                await asyncio.sleep(0.1)
        return
    if "/api/v2/alerts" in hit.target:
        body = b"[]"
    else:
        n = rng.randint(0, 3)
        items = [
            {"id": f"{ep.label}-{i}", "title": f"{ep.label} record {i}", "status": "active"}
            for i in range(n)
        ]
        body = json.dumps({"data": items}).encode()
    await _send(w, 200, body)


async def _thief(chaos: ChaosServer, ep: Endpoint, hit: Hit, w: asyncio.StreamWriter) -> None:
    await _send(w, 200, b"{}")


BEHAVIOURS: dict[str, Behaviour] = {
    "tls": _status(400),
    "stall": _stall,
    "slow_drip": _slow_drip,
    "reset": _reset,
    "http_401": _status(401),
    "http_403": _status(403),
    "http_500": _status(500),
    "http_502": _status(502),
    "http_503": _status(503),
    "http_504": _status(504),
    "retry_secs": _status(429, **{"Retry-After": "1"}),
    "retry_date": _retry_date,
    "retry_hour": _status(429, **{"Retry-After": "3600"}),
    "redirect": _redirect,
    "html": _html,
    "truncated": _truncated,
    "huge": _huge,
    "wrong_type": _wrong_type,
    "empty": _empty,
    "wrong_shape": _wrong_shape,
    "thief": _thief,
    "slow_500": _slow_500,  # not a matrix scenario: for the starvation test
    "flaky": _flaky,  # not a matrix scenario: the load test's working-but-flaky API
}


class ChaosServer:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="chaos")
        self._endpoints: dict[tuple[str, str], Endpoint] = {}
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[str] = []
        self.thief = Endpoint("thief", "thief")
        self._held: list[socket.socket] = []
        self.seed = 42
        self.fault_rate = 0.05

    def __enter__(self) -> ChaosServer:
        self._thread.start()
        self._listen(self.thief)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for sock in self._held:
            sock.close()
        if not self.loop.is_running():
            return

        async def shutdown() -> None:
            for ep in [self.thief, *self._endpoints.values()]:
                if ep.server is not None:
                    ep.server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()

    def _listen(self, ep: Endpoint) -> None:
        async def start() -> asyncio.Server:
            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                task = asyncio.current_task()
                assert task is not None
                self._tasks.add(task)
                try:
                    await self._handle(ep, r, w)
                except asyncio.CancelledError:
                    pass  # shutting down: end quietly (a cancelled handler is logged)
                finally:
                    self._tasks.discard(task)

            return await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)

        server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(5)
        ep.server = server
        ep.port = server.sockets[0].getsockname()[1]

    def closed_port(self) -> int:
        """A port that refuses connections: bound but never listening, and held for the
        server's lifetime so that no later endpoint can be given it."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._held.append(sock)
        port: int = sock.getsockname()[1]
        return port

    def endpoint(self, scenario: str, label: str) -> Endpoint:
        with self._lock:
            ep = self._endpoints.get((scenario, label))
            if ep is None:
                ep = self._endpoints[(scenario, label)] = Endpoint(scenario, label)
                self._listen(ep)
            return ep

    def base_url(self, scenario: str, label: str) -> str:
        """Where the connector `label` should point for `scenario`."""
        if scenario == "refused":
            return f"http://127.0.0.1:{self.closed_port()}"
        if scenario == "dns":
            return f"http://chaos-{label.replace('_', '-')}.invalid"
        ep = self.endpoint(scenario, label)
        scheme = "https" if scenario == "tls" else "http"
        return f"{scheme}://127.0.0.1:{ep.port}"

    def hits(self, scenario: str, label: str) -> list[Hit]:
        ep = self._endpoints.get((scenario, label))
        return list(ep.hits) if ep else []

    def requests(self, scenario: str, label: str) -> int | None:
        """Requests (or TLS hellos) the connector sent; None when no server could count them."""
        if scenario in ("refused", "dns"):
            return None
        ep = self._endpoints.get((scenario, label))
        if ep is None:
            return 0
        return ep.tls_hellos if scenario == "tls" else len(ep.hits)

    def bytes_sent(self, scenario: str, label: str) -> int:
        ep = self._endpoints.get((scenario, label))
        return ep.body_bytes_sent if ep else 0

    async def _handle(self, ep: Endpoint, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            first = await r.read(1)
            if not first:
                return
            if first == b"\x16":  # a TLS ClientHello sent to a plain-HTTP port
                ep.tls_hellos += 1
                await _status(400)(self, ep, Hit("TLS", "", {}), w)
                return
            head = first + await r.readuntil(b"\r\n\r\n")
            hit = _parse(head)
            hit.gone = lambda: r.at_eof() or w.is_closing()
            length = hit.headers.get("content-length", "0")
            if length.isdigit() and int(length):
                await r.readexactly(int(length))
            ep.hits.append(hit)
            await BEHAVIOURS[ep.scenario](self, ep, hit, w)
            if ep.scenario == "stall":
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STALL_LIMIT):
                        while await r.read(1024):
                            pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the chaos server must show, not hide
            self.errors.append(f"{ep.scenario}/{ep.label}: {type(exc).__name__}: {exc}")
        finally:
            with contextlib.suppress(Exception):
                w.close()


def _parse(head: bytes) -> Hit:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return Hit(method, target, headers)
