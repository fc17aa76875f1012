"""A loopback fake of Jira Cloud / Data Center REST and the Service Management request API, in
the documented shapes.

    with FakeJira(email="bot@acme.io", token="jira_tok") as fake:
        fake.add_issue(make_issue("SUP-1", summary="Export fails", description=adf("...")))
        fake.add_comments("SUP-1", [make_comment(1, adf("me too"))])
        ... Jira(base_url=fake.url, email=..., api_token=..., deployment="cloud") ...

Serves `/rest/api/{2,3}/issue/{key}` and `/comment` (`startAt`/`maxResults`/`total`),
`/rest/api/3/search/jql` (`nextPageToken`/`isLast`; the removed `/rest/api/3/search` answers
410 as Jira Cloud does), `/rest/api/2/search` (Data Center, `startAt`), `/myself`,
`/mypermissions`, and `/rest/servicedeskapi/request/{key}` with `/comment` (`start`/`limit`/
`isLastPage`, `public`/`internal`) and `/attachment`. JQL is parsed (with `>=`, `<=`, `>`, `<`
on `created`, `updated` and `resolutiondate`, quoted "yyyy-MM-dd HH:mm" dates) by a small JQL grammar
(clauses `field op value`, `AND`/`OR`/`NOT`, parentheses, `ORDER BY`, strings with `\\`
escapes); a query that does not parse is a 400 with Jira's error body, and `fake.parsed` keeps
the clauses of every query so tests can prove a hostile value stayed one string. Auth: Basic
`email:token` (Cloud) or `Bearer <pat>` (Data Center).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer

Clause = tuple[str, str, str]  # (field, operator, value)
Pred = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|!~|>=|<=|[=~<>(),])'
    r"|(?P<word>[A-Za-z0-9_.\-]+))",
    re.S,
)


class JqlError(ValueError):
    pass


def tokenize(jql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(jql):
        if jql[i:].strip() == "":
            break
        m = _TOKEN.match(jql, i)
        if m is None or m.end() == i:
            raise JqlError(
                f"Error in the JQL Query: the character '{jql[i:].strip()[:1]}' is a reserved JQL character (position {i})"
            )
        kind = m.lastgroup
        assert kind is not None
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.S)
        out.append((kind, value))
        i = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.t = tokens
        self.i = 0
        self.clauses: list[Clause] = []
        self.order: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def word(self, *words: str) -> bool:
        p = self.peek()
        return p is not None and p[0] == "word" and p[1].upper() in words

    def take(self) -> tuple[str, str]:
        p = self.peek()
        if p is None:
            raise JqlError("Error in the JQL Query: expecting more input")
        self.i += 1
        return p

    def parse(self) -> Pred:
        pred: Pred = (lambda _i: True) if self.word("ORDER") or self.peek() is None else self.expr()
        if self.word("ORDER"):
            self.take()
            if not self.word("BY"):
                raise JqlError("Error in the JQL Query: expecting 'BY'")
            self.take()
            while self.peek() is not None:
                kind, value = self.take()
                if kind in ("word", "str") and value.upper() not in ("ASC", "DESC"):
                    self.order.append(value)
                elif kind == "op" and value != ",":
                    raise JqlError(f"Error in the JQL Query: unexpected '{value}' in ORDER BY")
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: unexpected '{self.peek()}'")
        return pred

    def expr(self) -> Pred:
        left = self.term()
        while self.word("AND", "OR"):
            op = self.take()[1].upper()
            right = self.term()
            left = _and(left, right) if op == "AND" else _or(left, right)
        return left

    def term(self) -> Pred:
        if self.word("NOT"):
            self.take()
            inner = self.term()
            return lambda issue: not inner(issue)
        p = self.peek()
        if p == ("op", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise JqlError("Error in the JQL Query: expecting ')'")
            return inner
        return self.clause()

    def clause(self) -> Pred:
        kind, field = self.take()
        if kind not in ("word", "str"):
            raise JqlError(f"Error in the JQL Query: expecting a field name, got '{field}'")
        if self.word("IN"):
            self.take()
            if self.take() != ("op", "("):
                raise JqlError("Error in the JQL Query: expecting '('")
            values = []
            while True:
                k, v = self.take()
                if k not in ("word", "str"):
                    raise JqlError("Error in the JQL Query: bad list")
                values.append(v)
                sep = self.take()
                if sep == ("op", ")"):
                    break
            self.clauses.append((field, "in", ",".join(values)))
            return lambda issue: _field(issue, field) in {v.lower() for v in values}
        k, op = self.take()
        if k == "op" and op in (">=", "<=", ">", "<") and field.lower() in _DATES:
            k, value = self.take()
            self.clauses.append((field, op, value))
            bound = _jql_date(value)
            return lambda issue: _compare(_issue_date(issue, field), op, bound)
        if k != "op" or op not in ("=", "!=", "~", "!~"):
            raise JqlError(f"Error in the JQL Query: expecting an operator after '{field}'")
        k, value = self.take()
        if k not in ("word", "str"):
            raise JqlError(f"Error in the JQL Query: expecting a value after '{op}'")
        self.clauses.append((field, op, value))
        if op in ("~", "!~"):
            needle = value.strip('"').lower()
            hit: Pred = lambda issue: needle in _text(issue)  # noqa: E731
            return hit if op == "~" else (lambda issue: not hit(issue))
        if op == "=":
            return lambda issue: _field(issue, field) == value.lower()
        return lambda issue: _field(issue, field) != value.lower()


_DATES = frozenset({"created", "updated", "resolutiondate"})


def _jql_date(value: str) -> datetime:
    """`"2026-11-01 09:00"` or `"2026/11/01"`: a JQL date (the fake's user is on UTC)."""
    text = value.replace("/", "-")
    fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except ValueError:
        raise JqlError(f"Date value '{value}' for field 'created' is invalid.") from None


def _issue_date(issue: dict[str, Any], field: str) -> datetime | None:
    raw = issue["fields"].get(field.lower())
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z") if raw else None


def _compare(when: datetime | None, op: str, bound: datetime) -> bool:
    if when is None:
        return False
    return {">=": when >= bound, "<=": when <= bound, ">": when > bound, "<": when < bound}[op]


def _and(a: Pred, b: Pred) -> Pred:
    return lambda issue: a(issue) and b(issue)


def _or(a: Pred, b: Pred) -> Pred:
    return lambda issue: a(issue) or b(issue)


def _text(issue: dict[str, Any]) -> str:
    import json

    f = issue["fields"]
    return f"{f.get('summary')} {json.dumps(f.get('description'))}".lower()


def _field(issue: dict[str, Any], name: str) -> str:
    f = issue["fields"]
    name = name.lower()
    if name == "key":
        return str(issue["key"]).lower()
    if name == "project":
        return str(issue["key"]).split("-")[0].lower()
    if name == "statuscategory":
        return str(f["status"]["statusCategory"]["name"]).lower()
    if name == "status":
        return str(f["status"]["name"]).lower()
    if name == "type":
        return str((f.get("issuetype") or {}).get("name", "")).lower()
    return str(f.get(name, "")).lower()


def parse_jql(jql: str) -> tuple[Pred, list[Clause], list[str]]:
    parser = _Parser(tokenize(jql))
    pred = parser.parse()
    return pred, parser.clauses, parser.order


# --- documents ------------------------------------------------------------------------------


def adf(*paragraphs: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }


_CATEGORY = {
    "open": ("new", "To Do"),
    "progress": ("indeterminate", "In Progress"),
    "done": ("done", "Done"),
}


def person(name: str, email: str | None = None) -> dict[str, Any]:
    return {
        "accountId": f"acc-{name.lower().replace(' ', '-')}",
        "displayName": name,
        "emailAddress": email,
        "active": True,
        "timeZone": "UTC",
    }


def make_issue(
    key: str,
    *,
    summary: str = "Something broke",
    description: Any = None,
    status: str = "To Do",
    category: str = "open",
    created: str = "2026-11-24T11:00:00.000+0000",
    updated: str = "2026-11-24T11:30:00.000+0000",
    **fields: Any,
) -> dict[str, Any]:
    """An issue as `GET /rest/api/3/issue/{key}` returns it (the fields we ask for)."""
    cat_key, cat_name = _CATEGORY[category]
    body: dict[str, Any] = {
        "id": str(10000 + abs(hash(key)) % 10000),
        "key": key,
        "self": f"https://acme.atlassian.net/rest/api/3/issue/{key}",
        "fields": {
            "summary": summary,
            "description": description,
            "status": {
                "name": status,
                "statusCategory": {"key": cat_key, "name": cat_name, "id": 2},
            },
            "priority": {"name": "High", "id": "2"},
            "reporter": person("Dana Scully", "dana@acme.io"),
            "assignee": None,
            "fixVersions": [],
            "labels": [],
            "attachment": [],
            "issuetype": {"name": "Bug"},
            "created": created,
            "updated": updated,
        },
    }
    body["fields"].update(fields)
    return body


def make_comment(cid: int, body: Any, author: str = "Agent Kay", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(cid),
        "author": person(author),
        "body": body,
        "created": f"2026-11-24T12:{cid % 60:02d}:00.000+0000",
        "updated": f"2026-11-24T12:{cid % 60:02d}:00.000+0000",
        **extra,
    }


def jsm_time(iso: str) -> dict[str, Any]:
    return {"iso8601": iso, "jira": iso, "friendly": "Today", "epochMillis": 1764000000000}


def make_request(key: str, summary: str, description: str, **extra: Any) -> dict[str, Any]:
    """A customer request as `GET /rest/servicedeskapi/request/{key}` returns it."""
    return {
        "issueId": "10042",
        "issueKey": key,
        "requestTypeId": "11",
        "serviceDeskId": "1",
        "createdDate": jsm_time("2026-11-24T11:00:00+0000"),
        "reporter": person("Dana Scully", "dana@acme.io"),
        "requestFieldValues": [
            {"fieldId": "summary", "label": "What do you need?", "value": summary},
            {"fieldId": "description", "label": "Why?", "value": description},
            {"fieldId": "customfield_10010", "label": "Account", "value": "acc_1042"},
        ],
        "currentStatus": {
            "status": "Waiting for support",
            "statusCategory": "NEW",
            "statusDate": jsm_time("2026-11-24T11:00:00+0000"),
        },
        "_links": {
            "jiraRest": "https://acme.atlassian.net/rest/api/2/issue/10042",
            "web": f"https://acme.atlassian.net/servicedesk/customer/portal/1/{key}",
            "self": "https://acme.atlassian.net/rest/servicedeskapi/request/10042",
        },
        **extra,
    }


def make_jsm_comment(cid: int, body: str, public: bool = True) -> dict[str, Any]:
    return {
        "id": str(cid),
        "body": body,
        "public": public,
        "author": person("Agent Kay" if cid % 2 else "Dana Scully"),
        "created": jsm_time(f"2026-11-24T12:{cid % 60:02d}:00+0000"),
    }


@dataclass
class _Scripted:
    path: str
    reply: Reply


_ISSUE = re.compile(r"^/rest/api/([23])/issue/([^/]+)(/comment)?$")
_REQUEST = re.compile(r"^/rest/servicedeskapi/request/([^/]+)(/comment|/attachment)?$")


class FakeJira(ScriptedServer):
    def __init__(
        self,
        *,
        email: str = "bot@acme.io",
        token: str = "jira_fake_token_123",
        pat: str | None = None,
        can_edit: bool = False,
    ) -> None:
        super().__init__()
        self.email = email
        self.token = token
        self.pat = pat
        self.can_edit = can_edit
        self.page_size_cap = 100
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.requests_jsm: dict[str, dict[str, Any]] = {}
        self.jsm_comments: dict[str, list[dict[str, Any]]] = {}
        self.jsm_attachments: dict[str, list[dict[str, Any]]] = {}
        self.parsed: list[list[Clause]] = []
        self.orders: list[list[str]] = []
        self.notes: list[dict[str, Any]] = []
        """Bodies of `POST …/issue/{key}/comment` and `POST …/request/{key}/comment`."""
        self._scripted: list[_Scripted] = []

    def add_issue(self, issue: dict[str, Any]) -> None:
        self.issues[issue["key"]] = issue

    def add_comments(self, key: str, comments: list[dict[str, Any]]) -> None:
        self.comments.setdefault(key, []).extend(comments)

    def add_request(
        self,
        request: dict[str, Any],
        comments: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> None:
        key = request["issueKey"]
        self.requests_jsm[key] = request
        self.jsm_comments[key] = comments or []
        self.jsm_attachments[key] = attachments or []

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        return self._route(request)

    def _errors(self, status: int, *messages: str) -> Response:
        return self._json(status, {"errorMessages": list(messages), "errors": {}})

    def _authorised(self, request: Recorded) -> bool:
        header = request.headers.get("authorization", "")
        if self.pat is not None and header == f"Bearer {self.pat}":
            return True
        basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return header == f"Basic {basic}"

    def _route(self, request: Recorded) -> Response:
        if request.method == "POST" and request.path.endswith("/comment"):
            return self._add_comment(request)
        if request.method != "GET":
            return self._errors(405, "Method not allowed")
        if not self._authorised(request):
            return self._json(
                401, {"message": "Client must be authenticated to access this resource."}
            )
        args = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        path = request.path
        if path == "/rest/api/3/search":
            return self._errors(
                410,
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.",
            )
        if path in ("/rest/api/3/search/jql", "/rest/api/2/search"):
            return self._search(args, token_paging=path.endswith("/jql"))
        if path in ("/rest/api/3/myself", "/rest/api/2/myself"):
            return self._json(200, person("Support Bot", self.email))
        if path in ("/rest/api/3/mypermissions", "/rest/api/2/mypermissions"):
            if "permissions" not in args:
                return self._errors(400, "The permissions query parameter is required.")
            perms = {
                p: {
                    "id": "12",
                    "key": p,
                    "name": p.title(),
                    "type": "PROJECT",
                    "havePermission": self.can_edit,
                }
                for p in args["permissions"].split(",")
            }
            return self._json(200, {"permissions": perms})
        if m := _ISSUE.match(path):
            key = unquote(m.group(2)).upper()
            issue = self.issues.get(key)
            if issue is None:
                return self._errors(
                    404, "Issue does not exist or you do not have permission to see it."
                )
            if not m.group(3):
                return self._json(200, issue)
            start = int(args.get("startAt", "0"))
            size = min(int(args.get("maxResults", "50")), self.page_size_cap)
            items = self.comments.get(key, [])
            return self._json(
                200,
                {
                    "startAt": start,
                    "maxResults": size,
                    "total": len(items),
                    "comments": items[start : start + size],
                },
            )
        if m := _REQUEST.match(path):
            return self._jsm(unquote(m.group(1)).upper(), m.group(2), args)
        return self._errors(404, "null for uri: " + path)

    def _add_comment(self, request: Recorded) -> Response:
        if not self._authorised(request):
            return self._json(401, {"message": "Client must be authenticated."})
        body = request.json if isinstance(request.json, dict) else {}
        if not isinstance(body.get("body"), str | dict):
            return self._errors(400, "Comment body can not be empty!")
        if m := _ISSUE.match(request.path):
            key = unquote(m.group(2)).upper()
            if key not in self.issues:
                return self._errors(404, "Issue does not exist or you do not have permission.")
            visibility = body.get("visibility")
            if visibility is not None and (
                not isinstance(visibility, dict) or visibility.get("type") not in ("role", "group")
            ):
                return self._errors(400, "Invalid visibility")
            if set(body) - {"body", "visibility", "properties"}:
                return self._errors(400, f"Unrecognized fields: {sorted(body)}")
            with self._lock:
                self.notes.append(body)
                items = self.comments.setdefault(key, [])
                comment = make_comment(9000 + len(items), body["body"], "Support Bot")
                if visibility is not None:
                    comment["visibility"] = visibility
                items.append(comment)
            return self._json(201, comment)
        if m := _REQUEST.match(request.path):
            key = unquote(m.group(1)).upper()
            if key not in self.requests_jsm:
                return self._errors(404, "The request could not be found.")
            if set(body) - {"body", "public"} or not isinstance(body.get("public", True), bool):
                return self._errors(400, f"Unrecognized fields: {sorted(body)}")
            with self._lock:
                self.notes.append(body)
                items = self.jsm_comments[key]
                comment = make_jsm_comment(
                    9001 + 2 * len(items), body["body"], body.get("public", True)
                )
                items.append(comment)
            return self._json(201, comment)
        return self._errors(404, "null for uri: " + request.path)

    def _jsm(self, key: str, sub: str | None, args: dict[str, str]) -> Response:
        found = self.requests_jsm.get(key)
        if found is None:
            return self._errors(404, "The request could not be found.")
        if sub is None:
            return self._json(200, found)
        items = self.jsm_comments[key] if sub == "/comment" else self.jsm_attachments[key]
        if sub == "/comment":
            if args.get("internal") == "false":
                items = [c for c in items if c["public"]]
            if args.get("public") == "false":
                items = [c for c in items if not c["public"]]
        start = int(args.get("start", "0"))
        size = min(int(args.get("limit", "50")), self.page_size_cap)
        chunk = items[start : start + size]
        return self._json(
            200,
            {
                "size": len(chunk),
                "start": start,
                "limit": size,
                "isLastPage": start + size >= len(items),
                "values": chunk,
                "_links": {"base": self.url, "context": ""},
            },
        )

    def _search(self, args: dict[str, str], *, token_paging: bool) -> Response:
        jql = args.get("jql", "")
        try:
            pred, clauses, order = parse_jql(jql)
        except JqlError as exc:
            return self._errors(400, str(exc))
        with self._lock:
            self.parsed.append(clauses)
            self.orders.append(order)
        hits = [i for i in self.issues.values() if pred(i)]
        for name in reversed(order):
            field = {"updated": "updated", "created": "created"}.get(name.lower(), name)
            hits.sort(key=lambda i: str(i["fields"].get(field, "")), reverse=True)
        size = min(int(args.get("maxResults", "50")), self.page_size_cap)
        if token_paging:
            start = int(args.get("nextPageToken", "0") or 0)
        else:
            start = int(args.get("startAt", "0"))
        wanted = [f for f in args.get("fields", "").split(",") if f]
        chunk = [
            {**i, "fields": {k: v for k, v in i["fields"].items() if not wanted or k in wanted}}
            for i in hits[start : start + size]
        ]
        if token_paging:
            body: dict[str, Any] = {"issues": chunk, "isLast": start + size >= len(hits)}
            if start + size < len(hits):
                body["nextPageToken"] = str(start + size)
            return self._json(200, body)
        return self._json(
            200, {"startAt": start, "maxResults": size, "total": len(hits), "issues": chunk}
        )
