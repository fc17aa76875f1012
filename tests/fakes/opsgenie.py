"""A loopback fake of Opsgenie's Alert API (v2) and Incident API (v1), shaped per the vendor's
OpenAPI description (`tests/fixtures/specs/opsgenie.json`, trimmed from opsgenie/opsgenie-oas).

    with FakeOpsgenie(key="og_key") as fake:
        fake.alerts.append(make_alert("a1", message="Checkout 5xx", acknowledged=True))
        ... Opsgenie(base_url=fake.url, api_key="og_key") ...

Serves `GET /v2/alerts` and `GET /v1/incidents/` (`query` required there) with `offset`/`limit`
paging (default 20, at most 100, else 422) and `paging.next` while more remain. The key must come
as `Authorization: GenieKey <key>` (else Opsgenie's 401 body). The `query` is parsed the way
Opsgenie reads it (top-level `AND`, parenthesised `OR` groups, quoted phrases with `\\` escapes)
and these terms filter: `createdAt <= N`, `(<field> >= N OR status: open)`, `status: x`,
`acknowledged: b`, `snoozed: b`, `tag: "x"` groups, `priority: Pn` groups; every phrase read
back is kept in `fake.phrases` (so a test can see a value arrived whole). Every 2xx body is
validated against the vendor schema; `fake.check()` fails on any problem.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode

from .server import Recorded, Reply, Response, VendorFake, raw_reply
from .vendored import body_check

CHECK_ALERTS = body_check("opsgenie.json", "#/definitions/ListAlertsResponse")
CHECK_INCIDENTS = body_check("opsgenie.json", "#/definitions/ListIncidentsResponse")


def make_alert(
    alert_id: str,
    *,
    message: str = "Checkout API 5xx above 5%",
    status: str = "open",
    acknowledged: bool = False,
    snoozed: bool = False,
    tags: list[str] | None = None,
    priority: str = "P2",
    created: str = "2026-11-24T08:00:00Z",
    last: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An alert as `GET /v2/alerts` lists it (a `BaseAlert`)."""
    alert: dict[str, Any] = {
        "id": alert_id,
        "tinyId": str(abs(hash(alert_id)) % 10_000),
        "alias": f"alias-{alert_id}",
        "message": message,
        "status": status,
        "acknowledged": acknowledged,
        "isSeen": acknowledged,
        "tags": tags if tags is not None else ["api", "production"],
        "snoozed": snoozed,
        "count": 3,
        "lastOccurredAt": last or created,
        "createdAt": created,
        "updatedAt": last or created,
        "source": "prometheus",
        "owner": "jo@example.com" if acknowledged else "",
        "priority": priority,
        "responders": [{"type": "team", "id": "team-1"}],
        "integration": {"id": "int-1", "name": "Prometheus", "type": "Prometheus"},
        "report": {"ackTime": 60_000, "acknowledgedBy": "jo@example.com"} if acknowledged else {},
    }
    if snoozed:
        alert["snoozedUntil"] = "2026-11-24T12:00:00Z"
    return {**alert, **extra}


def make_incident(
    incident_id: str,
    *,
    message: str = "Checkout degraded",
    status: str = "open",
    priority: str = "P1",
    created: str = "2026-11-24T08:05:00Z",
    updated: str | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """An incident as `GET /v1/incidents/` lists it (a `BaseIncident`)."""
    return {
        "id": incident_id,
        "tinyId": str(abs(hash(incident_id)) % 1000),
        "message": message,
        "status": status,
        "isSeen": True,
        "tags": tags if tags is not None else ["api"],
        "createdAt": created,
        "updatedAt": updated or created,
        "source": "web",
        "owner": "jo@example.com",
        "priority": priority,
        "responders": [{"type": "team", "id": "team-1"}],
        "ownerTeam": "payments",
        "extraProperties": {"region": "eu-west-1"},
    }


_TERM = re.compile(r"^(\w+)\s*(<=|>=|:)\s*(.+)$")


def split_top(text: str, word: str) -> list[str]:
    """`text` split at ` <word> ` outside quotes and parentheses."""
    parts, depth, quoted, escaped, start = [], 0, False, False, 0
    i = 0
    sep = f" {word} "
    while i < len(text):
        ch = text[i]
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def unphrase(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _ms(value: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class FakeOpsgenie(VendorFake):
    def __init__(self, *, key: str = "og_fake_key_123") -> None:
        super().__init__()
        self.key = key
        self.alerts: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self.phrases: list[str] = []
        self.unparsed: list[str] = []

    def _handle(self, request: Recorded) -> Response:
        scripted = self.scripted(request)
        if scripted is not None:
            return scripted
        if request.method != "GET":
            return self._error(405, "Method not allowed")
        if request.headers.get("authorization") != f"GenieKey {self.key}":
            return self._error(401, "Could not authenticate")
        args = {k: v[-1] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        if request.path == "/v2/alerts":
            return self._list(request.path, args, self.alerts, CHECK_ALERTS)
        if request.path == "/v1/incidents/":
            if "query" not in args:
                return self._error(422, "Query should not be empty")
            return self._list(request.path, args, self.incidents, CHECK_INCIDENTS)
        return self._error(404, "No handler found for path")

    def _list(
        self, path: str, args: dict[str, str], rows: list[dict[str, Any]], check: Any
    ) -> Response:
        offset, limit = int(args.get("offset", "0")), int(args.get("limit", "20"))
        if not 1 <= limit <= 100 or offset < 0:
            return self._error(422, "limit must be between 1 and 100")
        query = args.get("query", "")
        self.queries.append(query)
        for term in split_top(query, "AND"):
            self._collect(term)
        found = [r for r in rows if self._matches(r, query)]
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"data": page, "took": 0.012, "requestId": str(uuid.uuid4())}
        paging = {"first": f"{self.url}{path}?{urlencode({**args, 'offset': 0})}"}
        if offset + limit < len(found):
            paging["next"] = f"{self.url}{path}?{urlencode({**args, 'offset': offset + limit})}"
        body["paging"] = paging
        self.problems += check(body)
        return self._json(200, body)

    def _collect(self, term: str) -> None:
        if term.startswith("(") and term.endswith(")"):
            for inner in split_top(term[1:-1], "OR"):
                self._collect(inner)
        elif (match := _TERM.match(term)) and match.group(3).startswith('"'):
            self.phrases.append(unphrase(match.group(3)))

    def _matches(self, row: dict[str, Any], query: str) -> bool:
        return all(self._term(row, t) for t in split_top(query, "AND") if t)

    def _term(self, row: dict[str, Any], term: str) -> bool:
        if term.startswith("(") and term.endswith(")"):
            return any(self._term(row, t) for t in split_top(term[1:-1], "OR"))
        match = _TERM.match(term)
        if match is None:
            self.unparsed.append(term)
            return True
        name, op, raw = match.groups()
        value = unphrase(raw)
        if op in ("<=", ">="):
            have = _ms(str(row.get(name) or row["createdAt"]))
            return have <= int(value) if op == "<=" else have >= int(value)
        if name == "tag":
            return value in row.get("tags", [])
        if name in ("acknowledged", "snoozed"):
            return str(bool(row.get(name))).lower() == value
        if name in ("status", "priority"):
            return str(row.get(name)) == value
        self.unparsed.append(term)
        return True

    def _error(self, status: int, message: str) -> Response:
        body = {"message": message, "took": 0.001, "requestId": str(uuid.uuid4())}
        return self._json(status, body)

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, b'{"message":"no reply"}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"message": message, "took": 0, "requestId": "fake"})
