"""A loopback fake of Sentry's organisation issues API, checked against the vendor spec.

    with FakeSentry(org="acme", token="sntrys_test") as fake:
        fake.add_issue(make_issue("101", title="ExportError: ..."), emails=["dana@x.com"],
                       event=make_event("101", exc_type="ExportError", ...))
        ... Sentry(base_url=fake.url, organization="acme", auth_token="sntrys_test") ...
        assert fake.requests[0].path == "/api/0/organizations/acme/issues/"

It serves `GET /api/0/organizations/{org}/issues/` (search, `start`/`end`, `limit`, `Link`
cursor paging exactly as Sentry writes it) and `.../issues/{id}/events/latest/`. The `query`
parameter is parsed with Sentry's search grammar (`key:value`, `key:"quoted \\" value"`,
`key:[a, "b"]`, raw text); a query that does not parse is a 400 like Sentry's, and
`fake.parsed` keeps every parsed query so tests can prove a hostile value stayed one token.
The bearer token is enforced (401), an unknown organisation is a 404.

When `../shared/specs/sentry.json` is present every request and every 2xx JSON response is
validated with openapi-core; problems land in `fake.problems` and `fake.check()` (run by the
fixture) fails on them. Failures are injected with `fake.script(reply, path=...)`: the next
request whose path contains `path` takes the reply instead (see `anthropic_api` reply builders).
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

HOST_URL = "https://us.sentry.io"
_ISSUES = re.compile(r"^/api/0/organizations/([^/]+)/issues/$")
_LATEST = re.compile(r"^/api/0/organizations/([^/]+)/issues/([^/]+)/events/latest/$")


class QueryError(ValueError):
    pass


def parse_search(text: str) -> list[tuple[str, list[str]]]:
    """Sentry's issue search grammar, reduced: `[(key, [values])]`; raw text has key ''."""
    tokens: list[tuple[str, list[str]]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        key_match = re.compile(r"(!?[A-Za-z0-9_.\-]+):").match(text, i)
        if key_match is None:  # raw search: the rest of the text, one token
            tokens.append(("", [text[i:].strip()]))
            break
        key = key_match.group(1)
        i = key_match.end()
        if i < n and text[i] == "[":
            values, i = _list(text, i + 1)
        elif i < n and text[i] == '"':
            value, i = _quoted(text, i)
            values = [value]
        else:
            m = re.compile(r"[^()\s]*").match(text, i)
            assert m is not None
            values, i = [m.group(0)], m.end()
        tokens.append((key, values))
    return tokens


def _quoted(text: str, i: int) -> tuple[str, int]:
    j = i + 1
    out = []
    while j < len(text):
        if text.startswith('\\"', j):
            out.append('"')
            j += 2
        elif text[j] == '"':
            return "".join(out), j + 1
        else:
            out.append(text[j])
            j += 1
    raise QueryError(f"unterminated quoted value at {i}")


def _list(text: str, i: int) -> tuple[list[str], int]:
    values = []
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == '"':
            value, i = _quoted(text, i)
        else:
            m = re.compile(r"[^,\]\s\"]+").match(text, i)
            if m is None:
                raise QueryError(f"bad list value at {i}")
            value, i = m.group(0), m.end()
        values.append(value)
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
        elif i < len(text) and text[i] == "]":
            return values, i + 1
        else:
            raise QueryError(f"unterminated list at {i}")


def make_issue(issue_id: str, **overrides: Any) -> dict[str, Any]:
    """A complete issue as `listOrganizationIssues` returns it (the spec's example, adapted)."""
    issue: dict[str, Any] = {
        "annotations": [],
        "assignedTo": None,
        "count": "1",
        "culprit": "app.exports in run",
        "firstSeen": "2026-11-24T08:00:00Z",
        "filtered": None,
        "hasSeen": False,
        "id": issue_id,
        "isBookmarked": False,
        "isPublic": False,
        "isSubscribed": False,
        "lastSeen": "2026-11-24T10:00:00Z",
        "level": "error",
        "logger": None,
        "metadata": {"title": "Error"},
        "numComments": 0,
        "permalink": f"https://acme.sentry.io/issues/{issue_id}/",
        "project": {"id": "2", "name": "API", "slug": "api", "platform": "python"},
        "shareId": None,
        "shortId": f"API-{issue_id}",
        "stats": {"24h": [[1764000000, 1]]},
        "priority": "high",
        "priorityLockedAt": None,
        "platform": "python",
        "lifetime": {
            "count": "1",
            "userCount": 1,
            "firstSeen": "2026-11-24T08:00:00Z",
            "lastSeen": "2026-11-24T10:00:00Z",
        },
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "seerFixabilityScore": None,
        "status": "unresolved",
        "substatus": "ongoing",
        "statusDetails": {},
        "subscriptionDetails": None,
        "title": "Error",
        "type": "error",
        "userCount": 1,
        "integrationIssues": [],
        "sentryAppIssues": [],
        "isUnhandled": True,
        "issueCategory": "error",
        "issueType": "error",
        "sessionCount": 0,
        "latestEventHasAttachments": False,
        "matchingEventId": None,
        "matchingEventEnvironment": None,
        "inbox": {"reason": 0, "reason_details": None, "date_added": "2026-11-24T08:00:00Z"},
        "owners": {"type": "user", "owner": "1", "date_added": "2026-11-24T08:00:00Z"},
        "derivedData": {
            "blocker": "none",
            "progress": "none",
            "status": "open",
            "viewCount": 0,
            "hasOpenFixPr": False,
            "isAssigned": False,
            "hasRootCause": False,
            "lastCompletedAutofixStep": "none",
            "lastProgressedAt": None,
        },
    }
    issue.update(overrides)
    return issue


def make_event(
    issue_id: str,
    *,
    exc_type: str = "RuntimeError",
    exc_value: str = "boom",
    frames: list[dict[str, Any]] | None = None,
    email: str | None = None,
    release: str = "api@2026.11.24",
    when: str = "2026-11-24T10:00:00Z",
) -> dict[str, Any]:
    """A complete `getOrganizationIssueEvent` body with one exception entry."""
    frames = frames or [
        {"function": "handle", "filename": "app/web.py", "lineNo": 10, "inApp": True},
        {"function": "call", "filename": "lib/framework.py", "lineNo": 99, "inApp": False},
    ]
    return {
        "id": "e" * 31 + issue_id[-1],
        "groupID": issue_id,
        "eventID": "e" * 31 + issue_id[-1],
        "projectID": "2",
        "message": "",
        "title": f"{exc_type}: {exc_value}",
        "location": frames[-1].get("filename"),
        "user": {
            "id": "usr_1",
            "email": email,
            "username": None,
            "ip_address": None,
            "name": None,
            "geo": None,
            "data": None,
        }
        if email
        else None,
        "tags": [
            {"key": "environment", "value": "production"},
            {"key": "level", "value": "error"},
            {"key": "release", "value": release},
        ],
        "platform": "python",
        "dateReceived": when,
        "dateCreated": when,
        "contexts": {},
        "size": 1234,
        "entries": [
            {
                "type": "exception",
                "data": {
                    "values": [
                        {
                            "type": exc_type,
                            "value": exc_value,
                            "module": None,
                            "mechanism": {"type": "generic", "handled": False},
                            "stacktrace": {
                                "frames": frames,
                                "framesOmitted": None,
                                "hasSystemFrames": True,
                            },
                        }
                    ],
                    "hasSystemFrames": True,
                },
            }
        ],
        "dist": None,
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
        "context": {},
        "packages": {},
        "type": "error",
        "metadata": {"type": exc_type, "value": exc_value},
        "errors": [],
        "occurrence": None,
        "_meta": {},
        "crashFile": None,
        "culprit": "app.web in handle",
        "fingerprints": ["{{ default }}"],
        "groupingConfig": {"enhancements": "x", "id": "newstyle:2023-01-11"},
        "release": None,
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": None,
        "previousEventID": None,
    }


@dataclass
class _Issue:
    body: dict[str, Any]
    facts: dict[str, list[str]]
    event: dict[str, Any] | None


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeSentry(ScriptedServer):
    def __init__(
        self,
        *,
        org: str = "acme",
        token: str = "sntrys_fake_token_123",
        validate: bool = True,
        latency: float = 0.0,
    ) -> None:
        super().__init__()
        self.org = org
        self.token = token
        self.latency = latency
        self.busy: list[tuple[float, float]] = []
        """`time.monotonic()` (start, end) of every request served (for the overhead benchmark)."""
        self.page_size: int | None = None
        """Answer with at most this many issues a page, whatever `limit` asks for."""
        self.issues: list[_Issue] = []
        self.parsed: list[list[tuple[str, list[str]]]] = []
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("sentry.json") is None:
                self._spec = SpecCheck("sentry.json", host_url=HOST_URL)

    # script ---------------------------------------------------------------------------------

    def add_issue(
        self,
        body: dict[str, Any],
        *,
        event: dict[str, Any] | None = None,
        message: str = "",
        **facts: list[str],
    ) -> None:
        """An issue and what search keys match it (`emails=`, `user_ids=`, `traces=`,
        `request_ids=`, `releases=`); `message` is searched by `message:` (with the title)."""
        keys = {
            "emails": "user.email",
            "user_ids": "user.id",
            "traces": "trace",
            "request_ids": "request_id",
            "releases": "release",
        }
        mapped = {keys.get(k, k): [v.lower() for v in vals] for k, vals in facts.items()}
        mapped["message"] = [f"{body.get('title', '')} {message}".lower()]
        self.issues.append(_Issue(body, mapped, event))

    def script(self, reply: Reply, *, path: str = "") -> None:
        """The next request whose path contains `path` takes `reply`."""
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeSentry: spec problems:\n" + "\n".join(self.problems))

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        started = time.monotonic()
        try:
            return self._answer(request)
        finally:
            with self._lock:
                self.busy.append((started, time.monotonic()))

    def _answer(self, request: Recorded) -> Response:
        if self.latency:
            time.sleep(self.latency)
        if self._spec is not None:
            self._check_request(request)
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        response = self._route(request)
        if self._spec is not None and 200 <= response.status < 300:
            self._check_response(request, response)
        return response

    def _check_request(self, request: Recorded) -> None:
        with self._spec_lock:
            self.validated += 1
            self.problems += self._spec.request(
                request.method,
                unquote(request.path),
                query=request.query,
                headers={"Authorization": request.headers.get("authorization", "")},
            )

    def _check_response(self, request: Recorded, response: Response) -> None:
        assert isinstance(response.body, bytes)
        with self._spec_lock:
            self.problems += self._spec.response(
                request.method,
                unquote(request.path),
                query=request.query,
                headers={"Authorization": request.headers.get("authorization", "")},
                status=response.status,
                body=response.body,
            )

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._json(405, {"detail": f'Method "{request.method}" not allowed.'})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._json(401, {"detail": "Invalid token"})
        latest = _LATEST.match(request.path)
        route = latest or _ISSUES.match(request.path)
        if route is None:
            return self._json(404, {"detail": "Not found"})
        if unquote(route.group(1)) != self.org:
            return self._json(404, {"detail": "The requested resource does not exist"})
        if latest:
            return self._latest(unquote(latest.group(2)))
        return self._search(request)

    def _latest(self, issue_id: str) -> Response:
        for issue in self.issues:
            if issue.body["id"] == issue_id and issue.event is not None:
                return self._json(200, issue.event)
        return self._json(404, {"detail": "Event not found"})

    def _search(self, request: Recorded) -> Response:
        args = parse_qs(request.query, keep_blank_values=True)
        text = args.get("query", ["is:unresolved"])[0]
        try:
            tokens = parse_search(text)
        except QueryError as exc:
            return self._json(400, {"detail": f"Error parsing search query: {exc}"})
        with self._lock:
            self.parsed.append(tokens)
        start = _time(args.get("start", [None])[0])
        end = _time(args.get("end", [None])[0])
        hits = [i.body for i in self.issues if _matches(i, tokens, start, end)]
        hits.sort(key=lambda b: b["lastSeen"], reverse=True)
        limit_text = args.get("limit", ["100"])[0]
        if not limit_text.isdigit():
            return self._json(400, {"detail": "Invalid limit: must be an integer"})
        limit = min(int(limit_text), self.page_size or 100)
        offset = int(args.get("cursor", ["0:0:0"])[0].split(":")[1])
        page = hits[offset : offset + limit]
        base = f"{HOST_URL}{request.path}?query={text}"
        more = offset + limit < len(hits)
        link = (
            f'<{base}&cursor=0:{max(offset - limit, 0)}:1>; rel="previous"; '
            f'results="{"true" if offset else "false"}"; cursor="0:{max(offset - limit, 0)}:1", '
            f'<{base}&cursor=0:{offset + limit}:0>; rel="next"; '
            f'results="{"true" if more else "false"}"; cursor="0:{offset + limit}:0"'
        )
        return self._json(200, [copy.deepcopy(b) for b in page], [("link", link)])

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"detail": "no scripted reply"}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"detail": message[:500]})


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(
    issue: _Issue,
    tokens: list[tuple[str, list[str]]],
    start: datetime | None,
    end: datetime | None,
) -> bool:
    first, last = _time(issue.body["firstSeen"]), _time(issue.body["lastSeen"])
    if (start and last and last < start) or (end and first and first > end):
        return False
    checks: dict[str, Callable[[list[str]], bool]] = {
        "is": lambda vs: any(issue.body["status"] == v for v in vs),
        "message": lambda vs: any(v.lower() in issue.facts["message"][0] for v in vs),
        "": lambda vs: any(v.lower() in issue.facts["message"][0] for v in vs),
    }
    for key, values in tokens:
        if key in checks:
            ok = checks[key](values)
        else:
            ok = bool({v.lower() for v in values} & set(issue.facts.get(key, [])))
        if not ok:
            return False
    return True
