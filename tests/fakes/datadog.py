"""A loopback fake of Datadog's logs search API that parses and runs the log search syntax.

    with FakeDatadog(api_key="k", app_key="a") as fake:
        fake.add(ts, "export failed for acc_1042", service="api", status="error",
                 attributes={"usr": {"email": "dana@acme.io"}})
        ... DatadogLogs(base_url=fake.url, api_key="k", app_key="a") ...

`POST /api/v2/logs/events/search`: `filter.query` is parsed with Datadog's search grammar,
reduced — quoted sequences (`\\"` and `\\\\` escapes) and bare words (free text, case-insensitive,
in the message), `key:value` and `@attr:value` (value quoted, bare, or a `(a OR b)` group),
`AND`/`OR`/`NOT`/`-`, parentheses. A query that does not parse is the 400 Datadog writes
(`{"errors": [...]}`), and `fake.parsed` keeps every parsed tree so tests can prove a hostile
value stayed one phrase. `filter.from`/`to` (millisecond strings or ISO), `sort`, `page.limit`
(max 1000) and `page.cursor` / `meta.page.after` paging. `DD-API-KEY` and `DD-APPLICATION-KEY`
are enforced (403, as Datadog answers).

When `../shared/specs/datadog-v2.json` is present every request and every 2xx response is
validated with openapi-core (`spec_validation.SpecCheck`); problems fail the test at teardown.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .anthropic_api import Recorded, Response
from .loki import LogFakeBase

SEARCH = "/api/v2/logs/events/search"
HOST_URL = "https://api.datadoghq.com"
Node = tuple[Any, ...]


class SearchSyntaxError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append((ch, ch))
            i += 1
        elif ch == '"':
            value, i = _quoted(text, i)
            out.append(("phrase", value))
        elif ch == "-" and i + 1 < len(text) and not text[i + 1].isspace():
            out.append(("NOT", "-"))
            i += 1
        else:
            m = re.compile(r"(@?[A-Za-z_][\w.\-]*):").match(text, i)
            if m:
                out.append(("key", m.group(1)))
                i = m.end()
                continue
            m = re.compile(r'(?:\\.|[^\s()":\\])+').match(text, i)
            if m is None:
                raise SearchSyntaxError(f"Invalid query: unexpected {ch!r} at {i}")
            word = re.sub(r"\\(.)", r"\1", m.group(0))
            out.append((word if word in ("AND", "OR", "NOT") else "word", word))
            i = m.end()
    return out


def _quoted(text: str, i: int) -> tuple[str, int]:
    out, j = [], i + 1
    while j < len(text):
        if text[j] == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
        elif text[j] == '"':
            return "".join(out), j + 1
        else:
            out.append(text[j])
            j += 1
    raise SearchSyntaxError(f"Invalid query: unterminated quote at {i}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            return ("all",)
        node = self.or_()
        if self.peek() is not None:
            raise SearchSyntaxError(f"Invalid query: unexpected {self.toks[self.i][1]!r}")
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", *parts)

    def and_(self) -> Node:
        parts = [self.unary()]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else ("and", *parts)

    def unary(self) -> Node:
        if self.peek() == "NOT":
            self.take()
            return ("not", self.unary())
        return self.atom()

    def atom(self) -> Node:
        kind = self.peek()
        if kind is None:
            raise SearchSyntaxError("Invalid query: unexpected end")
        if kind == "(":
            self.take()
            node = self.or_()
            if self.peek() != ")":
                raise SearchSyntaxError("Invalid query: missing )")
            self.take()
            return node
        kind, value = self.take()
        if kind in ("phrase", "word"):
            return ("text", value)
        if kind == "key":
            return ("field", value, self.values())
        raise SearchSyntaxError(f"Invalid query: unexpected {value!r}")

    def values(self) -> list[tuple[str, str]]:
        """(kind, value): a quoted phrase is literal, a bare word may hold `*` wildcards."""
        if self.peek() in ("phrase", "word"):
            return [self.take()]
        if self.peek() != "(":
            raise SearchSyntaxError("Invalid query: a value must follow ':'")
        self.take()
        out = []
        while True:
            if self.peek() not in ("phrase", "word"):
                raise SearchSyntaxError("Invalid query: bad value group")
            out.append(self.take())
            if self.peek() == "OR":
                self.take()
            elif self.peek() == ")":
                self.take()
                return out
            else:
                raise SearchSyntaxError("Invalid query: bad value group")


def parse_search(text: str) -> Node:
    return _Parser(text).parse()


def _dig(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _wild(pattern: str, value: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), value, re.I) is not None


def evaluate(node: Node, log: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "all":
        return True
    if kind == "and":
        return all(evaluate(n, log) for n in node[1:])
    if kind == "or":
        return any(evaluate(n, log) for n in node[1:])
    if kind == "not":
        return not evaluate(node[1], log)
    if kind == "text":
        return str(node[1]).lower() in str(log.get("message", "")).lower()
    name, values = node[1], node[2]
    have = _dig(log.get("attributes", {}), name[1:]) if name.startswith("@") else log.get(name)
    if have is None:
        return False
    return any(str(have) == v if kind == "phrase" else _wild(v, str(have)) for kind, v in values)


def _ms(value: str) -> int:
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class FakeDatadog(LogFakeBase):
    api_key: str = "dd-api-key"
    app_key: str = "dd-app-key"
    validate: bool = True
    logs: list[dict[str, Any]] = field(default_factory=list)
    parsed: list[Node] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    validated: int = 0
    _spec: Any = None
    _memo: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("datadog-v2.json") is None:
                self._spec = SpecCheck("datadog-v2.json", host_url=HOST_URL)

    def add(
        self,
        ts: datetime,
        message: str,
        *,
        service: str = "api",
        status: str = "info",
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self.logs.append({
            "id": f"AAAA{len(self.logs):08d}",
            "timestamp": ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "ms": int(ts.timestamp() * 1000),
            "message": message,
            "service": service,
            "status": status,
            "host": "i-0abc",
            "attributes": attributes or {},
        })  # fmt: skip

    def _route(self, request: Recorded) -> Response:
        sent = {"DD-API-KEY": "dd-api-key", "DD-APPLICATION-KEY": "dd-application-key"}
        headers = {k: request.headers[v] for k, v in sent.items() if v in request.headers}
        if self._spec is not None:
            with self._lock:
                self.validated += 1
                self.problems.extend(
                    self._spec.request("POST", request.path, headers=headers, body=request.body)
                )
        if request.path != SEARCH:
            return self._json(404, {"errors": ["Not found"]})
        if request.method != "POST":
            return self._json(405, {"errors": ["Method Not Allowed"]})
        if (headers.get("DD-API-KEY"), headers.get("DD-APPLICATION-KEY")) != (
            self.api_key,
            self.app_key,
        ):
            return self._json(403, {"errors": ["Forbidden"]})
        body = request.json if isinstance(request.json, dict) else {}
        with self._lock:
            self.bodies.append(body)
        flt = body.get("filter") or {}
        try:
            tree = parse_search(flt.get("query", "*") if flt.get("query") != "*" else "")
        except SearchSyntaxError as exc:
            return self._json(400, {"errors": [str(exc)]})
        with self._lock:
            self.parsed.append(tree)
        start, end = _ms(flt.get("from", "0")), _ms(flt.get("to", str(2**42)))
        page = body.get("page") or {}
        limit = int(page.get("limit", 10))
        if limit > 1000:
            return self._json(400, {"errors": ["page[limit] must be <= 1000"]})
        memo = (json.dumps(flt, sort_keys=True), body.get("sort"), len(self.logs))
        found = self._memo.get(memo)  # the same search's next pages reuse the result
        if found is None:
            found = [log for log in self.logs if start <= log["ms"] < end and evaluate(tree, log)]
            found.sort(
                key=lambda log: (log["ms"], log["id"]), reverse=body.get("sort") == "-timestamp"
            )
            self._memo = {memo: found}
        offset = int(base64.b64decode(page["cursor"]).decode()) if page.get("cursor") else 0
        chunk = found[offset : offset + limit]
        data = [
            {"id": log["id"], "type": "log", "attributes": {
                k: log[k] for k in ("timestamp", "message", "service", "status", "host", "attributes")
            } | {"tags": [f"service:{log['service']}"]}}
            for log in chunk
        ]  # fmt: skip
        meta: dict[str, Any] = {"elapsed": 3, "request_id": "req-1", "status": "done"}
        if offset + limit < len(found):
            meta["page"] = {"after": base64.b64encode(str(offset + limit).encode()).decode()}
        response = self._json(200, {"data": data, "meta": meta, "links": {}})
        if self._spec is not None:
            assert isinstance(response.body, bytes)
            with self._lock:
                self.problems.extend(
                    self._spec.response(
                        "POST", request.path, headers=headers, status=200, body=response.body
                    )
                )
        return response
