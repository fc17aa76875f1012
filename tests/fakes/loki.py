"""A loopback fake of Grafana Loki's `query_range` API that really parses and runs LogQL.

    with FakeLoki(tenant="acme", max_entries=5000) as fake:
        fake.add({"app": "api", "level": "error"}, ts_ns, "payment failed for acc_1042")
        ... Loki(base_url=fake.url, selector='{app="api"}', tenant="acme") ...
        assert fake.parsed[0].stages == [("|~", "(?i)(?:acc_1042)")]

`GET /loki/api/v1/query_range` (also POST with a form body): `query` is parsed with a small
LogQL grammar — one stream selector of `=`, `!=`, `=~`, `!~` matchers, then line filters
`|=`, `!=`, `|~`, `!~`, each with a Go string literal (double-quoted with escapes, or backticks).
Anything else is a 400 `parse error` like Loki's. `start` is inclusive, `end` exclusive (ns),
`direction` backward (newest first, default) or forward, `limit` (default 100) above
`max_entries` is the 400 Loki writes. `X-Scope-OrgID` and basic auth are enforced when set.
Failures are injected with `fake.script(reply)` (see `anthropic_api` reply builders).
"""

from __future__ import annotations

import base64
import re
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .anthropic_api import Recorded, Reply, Response, ScriptedServer

_OPS = ("=~", "!~", "!=", "=")
_STAGE_OPS = ("|=", "|~", "!=", "!~")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
                   "b": "\b", "f": "\f", "v": "\v"}  # fmt: skip


class LogQLError(ValueError):
    pass


@dataclass
class LogQL:
    matchers: list[tuple[str, str, str]]
    stages: list[tuple[str, str]]


def go_unquote(text: str, i: int) -> tuple[str, int]:
    """A Go string literal starting at `text[i]`: its value and the index after it."""
    if text[i] == "`":
        end = text.find("`", i + 1)
        if end < 0:
            raise LogQLError(f"parse error at {i}: unterminated raw string")
        return text[i + 1 : end], end + 1
    if text[i] != '"':
        raise LogQLError(f"parse error at {i}: expected a string")
    out: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == '"':
            return "".join(out), j + 1
        if ch == "\n":
            raise LogQLError(f"parse error at {j}: newline in string")
        if ch != "\\":
            out.append(ch)
            j += 1
            continue
        nxt = text[j + 1 : j + 2]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            j += 2
        elif nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[j + 2 : j + 4]):
            out.append(chr(int(text[j + 2 : j + 4], 16)))
            j += 4
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
            out.append(chr(int(text[j + 2 : j + 6], 16)))
            j += 6
        else:
            raise LogQLError(f"parse error at {j}: invalid escape \\{nxt}")
    raise LogQLError(f"parse error at {i}: unterminated string")


def parse_logql(text: str) -> LogQL:
    """Selector + line filters, or `LogQLError`."""
    i = _skip(text, 0)
    if text[i : i + 1] != "{":
        raise LogQLError("parse error: a query starts with a stream selector {...}")
    i += 1
    matchers: list[tuple[str, str, str]] = []
    while True:
        i = _skip(text, i)
        if text[i : i + 1] == "}":
            i += 1
            break
        name = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
        if name is None:
            raise LogQLError(f"parse error at {i}: expected a label name")
        i = _skip(text, name.end())
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is None:
            raise LogQLError(f"parse error at {i}: expected a matcher operator")
        value, i = go_unquote(text, _skip(text, i + len(op)))
        matchers.append((name.group(0), op, value))
        i = _skip(text, i)
        if text[i : i + 1] == ",":
            i += 1
    if not matchers:
        raise LogQLError("parse error: empty stream selector")
    stages: list[tuple[str, str]] = []
    while (i := _skip(text, i)) < len(text):
        op = next((o for o in _STAGE_OPS if text.startswith(o, i)), None)
        if op is None:
            raise LogQLError(f"parse error at {i}: only line filters are supported here")
        value, i = go_unquote(text, _skip(text, i + 2))
        stages.append((op, value))
    return LogQL(matchers, stages)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def matches(q: LogQL, labels: dict[str, str], line: str) -> bool:
    for name, op, value in q.matchers:
        have = labels.get(name, "")
        ok = {
            "=": have == value,
            "!=": have != value,
            "=~": re.fullmatch(value, have) is not None,
            "!~": re.fullmatch(value, have) is None,
        }[op]
        if not ok:
            return False
    for op, value in q.stages:
        ok = {
            "|=": value in line,
            "!=": value not in line,
            "|~": re.search(value, line) is not None,
            "!~": re.search(value, line) is None,
        }[op]
        if not ok:
            return False
    return True


@dataclass
class _Scripted:
    path: str
    reply: Reply


@dataclass
class LogFakeBase(ScriptedServer):
    """Scripted replies first (`script(reply, path=...)`), then the fake's own routing."""

    def __post_init__(self) -> None:
        super().__init__()

    _scripted: list[_Scripted] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    served: int = 0
    busy: list[float] = field(default_factory=list)
    """Seconds spent answering each request (for the benchmark)."""
    slow_from: int | None = None
    """Requests from this 0-based index on wait `slow_seconds` first (deadline tests)."""
    slow_seconds: float = 0.0

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError(f"{type(self).__name__}: problems:\n" + "\n".join(self.problems))

    def _handle(self, request: Recorded) -> Response:
        started = time.perf_counter()
        slow = self.slow_from is not None and request.index >= self.slow_from
        if slow and self._stopping.wait(self.slow_seconds):
            return Response(0, disconnect=True)
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
            self.served += 1
        try:
            if hit is not None:
                return hit.reply.render(self, request)
            return self._route(request)
        finally:
            self.busy.append(time.perf_counter() - started)

    def _route(self, request: Recorded) -> Response:
        raise NotImplementedError

    def _internal_error(self, message: str) -> Response:
        return Response(500, [("content-type", "text/plain")], message.encode())

    @staticmethod
    def _text(status: int, text: str) -> Response:
        return Response(status, [("content-type", "text/plain; charset=utf-8")], text.encode())


@dataclass
class FakeLoki(LogFakeBase):
    tenant: str | None = None
    basic: tuple[str, str] | None = None
    max_entries: int = 5000
    entries: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    parsed: list[LogQL] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    _sorted: bool = True
    _times: list[int] = field(default_factory=list)
    _data_lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, labels: dict[str, str], ts_ns: int, line: str) -> None:
        with self._data_lock:
            self.entries.append((ts_ns, dict(labels), line))
            self._sorted = False

    def _route(self, request: Recorded) -> Response:
        known = ("/loki/api/v1/query_range", "/loki/api/v1/labels")
        if request.path not in known or request.method not in ("GET", "POST"):
            return self._text(404, "404 page not found\n")
        if self.tenant is not None and request.headers.get("x-scope-orgid") != self.tenant:
            return self._text(401, "no org id\n")
        if self.basic is not None:
            token = base64.b64encode(":".join(self.basic).encode()).decode()
            if request.headers.get("authorization") != f"Basic {token}":
                return self._text(401, "authentication error: invalid credentials\n")
        if request.path == "/loki/api/v1/labels":
            names = sorted({k for _, labels, _ in self.entries for k in labels})
            return self._json(200, {"status": "success", "data": names})
        raw = request.query if request.method == "GET" else request.body.decode()
        args = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        with self._lock:
            self.calls.append(args)
        try:
            q = parse_logql(args.get("query", ""))
        except LogQLError as exc:
            return self._text(400, f"{exc}\n")
        with self._lock:
            self.parsed.append(q)
        limit = int(args.get("limit", "100"))
        if limit > self.max_entries:
            return self._text(
                400,
                "max entries limit per query exceeded, limit > max_entries_limit_per_query "
                f"({limit} > {self.max_entries})\n",
            )
        start, end = int(args["start"]), int(args["end"])
        backward = args.get("direction", "backward") == "backward"
        with self._data_lock:
            if not self._sorted:
                self.entries.sort(key=lambda e: e[0])
                self._times = [e[0] for e in self.entries]
                self._sorted = True
            lo, hi = bisect_left(self._times, start), bisect_left(self._times, end)
            order = range(hi - 1, lo - 1, -1) if backward else range(lo, hi)
            found = []
            for index in order:
                ts, labels, line = self.entries[index]
                if matches(q, labels, line):
                    found.append(self.entries[index])
                    if len(found) >= limit:
                        break
        streams: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
        for ts, labels, line in found:
            streams.setdefault(tuple(sorted(labels.items())), []).append([str(ts), line])
        body: dict[str, Any] = {
            "status": "success",
            "data": {
                "resultType": "streams",
                "result": [{"stream": dict(k), "values": v} for k, v in streams.items()],
                "stats": {},
            },
        }
        return self._json(200, body)
