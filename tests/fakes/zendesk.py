"""A loopback fake of the Zendesk Support API (tickets, comments, search, users/me).

    with FakeZendesk(email="agent@acme.io", token="zd_tok") as fake:
        fake.add_user(make_user(501, name="Dana", email="dana@acme.io", organization_id=77))
        fake.add_ticket(make_ticket(4812, requester_id=501, organization_id=77),
                        comments=[make_comment(1, "<p>hi</p>", author_id=501)])
        ... Zendesk(base_url=fake.url, email=..., api_token=...) ...

Serves `GET /api/v2/tickets/{id}.json` (`include=users,organizations` sideloads),
`/api/v2/tickets/{id}/comments.json` (cursor paging: `page[size]`, `page[after]`, `meta.has_more`,
absolute `links.next`, `include=users`), `/api/v2/search.json` (Zendesk search syntax, parsed:
`key:value`, `key>value`, `"phrase"` — no escapes inside a phrase — and bare words; every parsed
query is kept in `fake.parsed`; offset pages of `per_page`, `next_page`), `/api/v2/users/me.json`,
and for `investigate stats` `/api/v2/ticket_metrics.json` (cursor pages, newest first) and
`/api/v2/satisfaction_ratings.json` (`score`, `start_time`, `end_time`, cursor pages; admins only:
`fake.ratings_forbidden` answers 403). Those two are not in the spec file: their objects are
checked against the property tables of developer.zendesk.com (`METRIC_SCHEMA`, `RATING_SCHEMA`). The one write: `PUT /api/v2/tickets/{id}.json` with
`{"ticket": {"comment": {"body"|"html_body": …, "public": …}}}` (Zendesk's documented way to add a
comment; the Ticket Comments API has no create endpoint) appends the comment, answers
`{"ticket": …, "audit": …}` and records the body in `fake.updates`; any other ticket field is
applied too (so a test sees a status change the guard should have stopped). Writes need
`fake.writer = (email, token)` when set. Auth is enforced like Zendesk:
`{email}/token:{token}` basic or a bearer token; a wrong one is 401, none is the anonymous user.

When ../shared/specs/zendesk.json is present every request to an operation it describes is
validated with openapi-core (the `.json` suffix stripped), and responses with the missing
components stubbed (the README recipe); ticket, user and comment objects are validated against
zendesk-jsonschema. Problems land in `fake.problems` and fail `fake.check()`.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

_TICKET = re.compile(r"^/api/v2/tickets/([^/]+)\.json$")
_COMMENTS = re.compile(r"^/api/v2/tickets/([^/]+)/comments\.json$")
HOST_URL = "https://acme.zendesk.com"
_UNSPECCED = ("/api/v2/users/me", "/api/v2/ticket_metrics", "/api/v2/satisfaction_ratings")
_MINUTES = {
    "type": "object",
    "required": ["calendar", "business"],
    "properties": {
        "calendar": {"type": ["integer", "null"]},
        "business": {"type": ["integer", "null"]},
    },
}
_TIME = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
METRIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "ticket_id", "created_at", "reopens", "replies", "reply_time_in_minutes"],
    "properties": {
        "id": {"type": "integer"},
        "ticket_id": {"type": "integer"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "solved_at": _TIME,
        "initially_assigned_at": _TIME,
        "reopens": {"type": "integer"},
        "replies": {"type": "integer"},
        "group_stations": {"type": "integer"},
        "assignee_stations": {"type": "integer"},
        "reply_time_in_minutes": _MINUTES,
        "first_resolution_time_in_minutes": _MINUTES,
        "full_resolution_time_in_minutes": _MINUTES,
        "agent_wait_time_in_minutes": _MINUTES,
        "requester_wait_time_in_minutes": _MINUTES,
        "on_hold_time_in_minutes": _MINUTES,
    },
}
RATING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "score", "ticket_id", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "score": {"enum": ["offered", "unoffered", "good", "bad"]},
        "ticket_id": {"type": "integer"},
        "assignee_id": {"type": ["integer", "null"]},
        "group_id": {"type": ["integer", "null"]},
        "requester_id": {"type": "integer"},
        "comment": {"type": ["string", "null"]},
        "created_at": _TIME,
        "updated_at": _TIME,
    },
}


def make_metric(ticket_id: int, created_at: str, **overrides: Any) -> dict[str, Any]:
    """A ticket metric set as `ListTicketMetrics` returns it (minutes: calendar and business)."""

    def minutes(value: int | None) -> dict[str, int | None]:
        return {"calendar": value, "business": value}

    metric: dict[str, Any] = {
        "id": 90000 + ticket_id,
        "url": f"{HOST_URL}/api/v2/ticket_metrics/{90000 + ticket_id}.json",
        "ticket_id": ticket_id,
        "created_at": created_at,
        "updated_at": created_at,
        "group_stations": 1,
        "assignee_stations": 1,
        "reopens": 0,
        "replies": 1,
        "assignee_updated_at": None,
        "requester_updated_at": None,
        "status_updated_at": created_at,
        "initially_assigned_at": created_at,
        "assigned_at": created_at,
        "solved_at": None,
        "latest_comment_added_at": created_at,
        "reply_time_in_minutes": minutes(None),
        "first_resolution_time_in_minutes": minutes(None),
        "full_resolution_time_in_minutes": minutes(None),
        "agent_wait_time_in_minutes": minutes(0),
        "requester_wait_time_in_minutes": minutes(None),
        "on_hold_time_in_minutes": minutes(0),
    }
    for key, value in overrides.items():
        metric[key] = minutes(value) if key.endswith("_in_minutes") else value
    return metric


def make_rating(rating_id: int, ticket_id: int, score: str, created_at: str) -> dict[str, Any]:
    return {
        "id": rating_id,
        "url": f"{HOST_URL}/api/v2/satisfaction_ratings/{rating_id}.json",
        "assignee_id": 9001,
        "group_id": 12,
        "requester_id": 501,
        "ticket_id": ticket_id,
        "score": score,
        "comment": None,
        "reason": None,
        "created_at": created_at,
        "updated_at": created_at,
    }


def make_ticket(ticket_id: int, **overrides: Any) -> dict[str, Any]:
    """A complete ticket object as `ShowTicket` returns it."""
    ticket: dict[str, Any] = {
        "id": ticket_id,
        "url": f"{HOST_URL}/api/v2/tickets/{ticket_id}.json",
        "external_id": None,
        "type": "problem",
        "subject": "CSV export fails",
        "raw_subject": "CSV export fails",
        "description": "Every export fails with ERR_EXPORT_SERIALIZE since this morning.",
        "priority": "high",
        "status": "open",
        "recipient": "support@acme.io",
        "requester_id": 501,
        "submitter_id": 501,
        "assignee_id": 9001,
        "organization_id": 77,
        "group_id": 12,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": ["export", "csv"],
        "custom_fields": [{"id": 360001, "value": "acc_1042"}, {"id": 360002, "value": None}],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": 1,
        "followup_ids": [],
        "ticket_form_id": 1,
        "brand_id": 1,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-11-24T11:00:00Z",
        "updated_at": "2026-11-24T11:30:00Z",
    }
    ticket.update(overrides)
    return ticket


def make_user(user_id: int, **overrides: Any) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "url": f"{HOST_URL}/api/v2/users/{user_id}.json",
        "name": f"User {user_id}",
        "email": f"user{user_id}@example.com",
        "phone": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "time_zone": "UTC",
        "organization_id": None,
        "role": "end-user",
        "custom_role_id": None,
        "verified": True,
        "external_id": None,
        "tags": [],
        "alias": None,
        "active": True,
        "shared": False,
        "shared_agent": False,
        "shared_phone_number": None,
        "signature": None,
        "details": None,
        "notes": None,
        "restricted_agent": False,
        "suspended": False,
        "default_group_id": None,
        "report_csv": False,
        "only_private_comments": False,
        "ticket_restriction": "requested",
        "moderator": False,
        "chat_only": False,
        "two_factor_auth_enabled": None,
        "user_fields": {},
        "last_login_at": None,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2026-11-01T00:00:00Z",
    }
    user.update(overrides)
    return user


def make_comment(
    comment_id: int,
    html: str,
    *,
    author_id: int = 501,
    public: bool = True,
    when: str = "2026-11-24T11:00:00Z",
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    plain = re.sub(r"<[^>]+>", "", html)
    return {
        "id": comment_id,
        "type": "Comment",
        "body": plain,
        "html_body": html,
        "plain_body": plain,
        "public": public,
        "author_id": author_id,
        "attachments": attachments or [],
        "created_at": when,
    }


def make_attachment(name: str, size: int, content_type: str) -> dict[str, Any]:
    return {
        "id": abs(hash(name)) % 10**9,
        "file_name": name,
        "size": size,
        "content_type": content_type,
        "content_url": f"{HOST_URL}/attachments/token/abc/?name={name}",
        "inline": False,
        "thumbnails": [],
    }


class QueryError(ValueError):
    pass


def parse_search(text: str) -> list[tuple[str, str, str]]:
    """Zendesk search syntax, reduced: `[(key, op, value)]`; phrases and words have key ''.

    A phrase is `"…"` with no escape (the next `"` ends it); `op` is `:`, `>`, `<`, `>=`, `<=`
    and a leading `-` negates the key (kept in it). An unbalanced quote is an error."""
    out: list[tuple[str, str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unbalanced quote at {i}")
            out.append(("", '"', text[i + 1 : end]))
            i = end + 1
            continue
        m = re.compile(r"(-?[a-z_]+)(>=|<=|:|>|<)").match(text, i)
        if m:
            i = m.end()
            if i < n and text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise QueryError(f"unbalanced quote at {i}")
                out.append((m.group(1), m.group(2), text[i + 1 : end]))
                i = end + 1
            else:
                w = re.compile(r"\S*").match(text, i)
                assert w is not None
                out.append((m.group(1), m.group(2), w.group(0)))
                i = w.end()
            continue
        w = re.compile(r"\S+").match(text, i)
        assert w is not None
        out.append(("", "", w.group(0)))
        i = w.end()
    return out


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeZendesk(ScriptedServer):
    def __init__(
        self,
        *,
        email: str = "agent@acme.io",
        token: str = "zd_fake_token_123",
        oauth: str | None = None,
        validate: bool = True,
    ) -> None:
        super().__init__()
        self.email = email
        self.token = token
        self.oauth = oauth
        self.tickets: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.orgs: dict[str, dict[str, Any]] = {}
        self.me: dict[str, Any] = make_user(9001, name="Agent", email=email, role="agent")
        self.page_size: int | None = None
        """Answer with at most this many comments a page, whatever `page[size]` asks for."""
        self.next_host: str | None = None
        """Write `links.next` on this host instead of the fake's own (off-host paging test)."""
        self.parsed: list[list[tuple[str, str, str]]] = []
        self.updates: list[dict[str, Any]] = []
        """The body of every ticket update (`PUT /api/v2/tickets/{id}.json`)."""
        self.writer: tuple[str, str] | None = None
        self.metrics: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.ratings_forbidden = False
        self.search_page_size = 100
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._schemas: dict[str, Any] = {}
        self._spec_lock = threading.Lock()
        if validate:
            self._load_spec()

    def _load_spec(self) -> None:
        from spec_validation import SPECS, SpecCheck, spec_missing_reason

        if spec_missing_reason("zendesk.json") is not None:
            return
        import jsonschema  # type: ignore[import-untyped]

        spec = json.loads((SPECS / "zendesk.json").read_text(encoding="utf-8"))
        for ref in spec["x-source"].get("unresolved_refs", []):
            _, _, section, name = ref.split("/")
            spec["components"].setdefault(section, {})[name] = (
                {} if section == "schemas" else {"value": {}}
            )
        _nullable_31(spec)
        check = SpecCheck.__new__(SpecCheck)
        from openapi_core import Config, OpenAPI

        check.name = "zendesk.json"
        check.api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        check.host_url = HOST_URL
        self._spec = check
        folder = SPECS / "zendesk-jsonschema"
        for kind, file in (
            ("ticket", "zendesk-ticket-schema.json"),
            ("user", "zendesk-user-schema.json"),
            ("comment", "zendesk-support-comment-schema.json"),
        ):
            schema = json.loads((folder / file).read_text(encoding="utf-8"))
            self._schemas[kind] = jsonschema.Draft202012Validator(schema)
        self._schemas["metric"] = jsonschema.Draft202012Validator(METRIC_SCHEMA)
        self._schemas["rating"] = jsonschema.Draft202012Validator(RATING_SCHEMA)

    # script ---------------------------------------------------------------------------------

    def add_user(self, user: dict[str, Any]) -> None:
        self.users[str(user["id"])] = user

    def add_org(self, org_id: int, name: str) -> None:
        self.orgs[str(org_id)] = {
            "id": org_id,
            "url": f"{HOST_URL}/api/v2/organizations/{org_id}.json",
            "name": name,
            "domain_names": [],
            "details": None,
            "notes": None,
            "tags": [],
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }

    def add_ticket(
        self, ticket: dict[str, Any], comments: list[dict[str, Any]] | None = None
    ) -> None:
        self.tickets[str(ticket["id"])] = ticket
        self.comments[str(ticket["id"])] = comments if comments is not None else []

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeZendesk: spec problems:\n" + "\n".join(self.problems))

    # serving --------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        path = unquote(request.path)
        if request.method == "PUT" and (m := _TICKET.match(path)):  # not in the trimmed spec
            return self._update(m.group(1), request)
        spec_path = path.removesuffix(".json")
        if self._spec is not None and not spec_path.startswith(_UNSPECCED):
            self._validate_request(request, spec_path)
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        response = self._route(request, path)
        if self._spec is not None and response.status == 200:
            self._validate_response(request, spec_path, response)
        return response

    def _validate_request(self, request: Recorded, spec_path: str) -> None:
        with self._spec_lock:
            self.validated += 1
            self.problems += self._spec.request(request.method, spec_path, query=request.query)

    def _validate_response(self, request: Recorded, spec_path: str, response: Response) -> None:
        assert isinstance(response.body, bytes)
        body = json.loads(response.body)
        with self._spec_lock:
            if not spec_path.startswith(_UNSPECCED):
                self.problems += self._spec.response(
                    request.method,
                    spec_path,
                    query=request.query,
                    status=200,
                    body=response.body,
                )
            objects = [("ticket", body.get("ticket"))]
            objects += [("user", u) for u in [*body.get("users", []), body.get("user")]]
            objects += [("comment", c) for c in body.get("comments", [])]
            objects += [("ticket", r) for r in body.get("results", [])]
            objects += [("metric", m) for m in body.get("ticket_metrics", [])]
            objects += [("rating", r) for r in body.get("satisfaction_ratings", [])]
            for kind, obj in objects:
                if obj is None:
                    continue
                for error in self._schemas[kind].iter_errors(obj):
                    self.problems.append(f"zendesk {kind} object: {error.message[:200]}")

    def _route(self, request: Recorded, path: str) -> Response:
        if request.method != "GET":
            return self._json(405, {"error": "MethodNotAllowed"})
        who = self._auth(request.headers.get("authorization", ""))
        if who is False:
            return self._json(401, {"error": "Couldn't authenticate you"})
        args = parse_qs(request.query, keep_blank_values=True)
        if path == "/api/v2/users/me.json":
            me = self.me if who else make_user(0, id=None, name="Anonymous user", role="end-user")
            return self._json(200, {"user": me})
        if not who:
            return self._json(401, {"error": "Couldn't authenticate you"})
        if m := _TICKET.match(path):
            return self._ticket(m.group(1), args)
        if m := _COMMENTS.match(path):
            return self._comments(m.group(1), args)
        if path == "/api/v2/search.json":
            return self._search(args)
        if path == "/api/v2/ticket_metrics.json":
            ordered = sorted(self.metrics, key=lambda m: m["created_at"], reverse=True)
            return self._cursor(path, "ticket_metrics", ordered, args)
        if path == "/api/v2/satisfaction_ratings.json":
            if self.ratings_forbidden:
                return self._json(403, {"error": "Forbidden", "description": "admins only"})
            return self._cursor(path, "satisfaction_ratings", self._rated(args), args)
        return self._json(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _update(self, ticket_id: str, request: Recorded) -> Response:
        email, token = self.writer or (self.email, self.token)
        expected = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self._json(401, {"error": "Couldn't authenticate you"})
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return self._json(404, {"error": "RecordNotFound", "description": "Not found"})
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return self._json(400, {"error": "InvalidValue", "description": "ticket is required"})
        with self._lock:
            self.updates.append(body)
        changes = dict(body["ticket"])
        comment = changes.pop("comment", None)
        if comment is not None:
            text = comment.get("html_body") or comment.get("body")
            if not isinstance(text, str) or not isinstance(comment.get("public", True), bool):
                return self._json(422, {"error": "RecordInvalid", "description": "bad comment"})
            thread = self.comments.setdefault(ticket_id, [])
            thread.append(
                make_comment(
                    9_000_000 + len(thread),
                    text,
                    author_id=int(self.me["id"]),
                    public=bool(comment.get("public", True)),
                    when="2026-11-24T12:30:00Z",
                )
            )
        ticket.update(changes)
        audit = {"id": 7_000_000 + len(self.updates), "ticket_id": int(ticket_id), "events": []}
        return self._json(200, {"ticket": copy.deepcopy(ticket), "audit": audit})

    def _auth(self, header: str) -> bool | None:
        """True for valid credentials, False for invalid ones, None for none."""
        if not header:
            return None
        if self.oauth is not None and header == f"Bearer {self.oauth}":
            return True
        if header.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return user == f"{self.email}/token" and secret == self.token
        return False

    def _ticket(self, ticket_id: str, args: dict[str, list[str]]) -> Response:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return self._json(404, {"error": "RecordNotFound", "description": "Not found"})
        body: dict[str, Any] = {"ticket": copy.deepcopy(ticket)}
        include = ",".join(args.get("include", [])).split(",")
        if "users" in include:
            ids = {
                ticket.get("requester_id"),
                ticket.get("submitter_id"),
                ticket.get("assignee_id"),
            }
            body["users"] = [u for k, u in self.users.items() if int(k) in ids]
        if "organizations" in include:
            org = self.orgs.get(str(ticket.get("organization_id")))
            body["organizations"] = [org] if org else []
        return self._json(200, body)

    def _comments(self, ticket_id: str, args: dict[str, list[str]]) -> Response:
        if ticket_id not in self.tickets:
            return self._json(404, {"error": "RecordNotFound", "description": "Not found"})
        size_text = args.get("page[size]", ["100"])[0]
        if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
            return self._json(400, {"error": "InvalidPaginationParameter"})
        size = min(int(size_text), self.page_size or 100)
        after = args.get("page[after]", [""])[0]
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        everything = self.comments[ticket_id]
        page = everything[start : start + size]
        more = start + size < len(everything)
        cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        host = self.next_host or self.url
        include = args.get("include", [""])[0]
        extra = f"&include={include}" if include else ""
        body: dict[str, Any] = {
            "comments": copy.deepcopy(page),
            "meta": {"has_more": more, "after_cursor": cursor if more else None},
            "links": {
                "next": f"{host}/api/v2/tickets/{ticket_id}/comments.json"
                f"?page%5Bsize%5D={size}&page%5Bafter%5D={cursor}{extra}"
                if more
                else None,
                "prev": None,
            },
        }
        if "users" in include.split(","):
            ids = {c.get("author_id") for c in page}
            body["users"] = [u for k, u in self.users.items() if int(k) in ids]
        return self._json(200, body)

    def _rated(self, args: dict[str, list[str]]) -> list[dict[str, Any]]:
        score = args.get("score", ["received"])[0]
        start = int(args.get("start_time", ["0"])[0])
        end = int(args.get("end_time", [str(2**40)])[0])
        wanted = {"received": {"good", "bad"}, "good": {"good"}, "bad": {"bad"}}.get(score, {score})
        return [
            r
            for r in sorted(self.ratings, key=lambda r: r["created_at"])
            if r["score"] in wanted and start <= _time(r["created_at"]).timestamp() <= end
        ]

    def _cursor(
        self, path: str, key: str, items: list[dict[str, Any]], args: dict[str, list[str]]
    ) -> Response:
        size_text = args.get("page[size]", ["100"])[0]
        if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
            return self._json(400, {"error": "InvalidPaginationParameter"})
        size = min(int(size_text), self.page_size or 100)
        after = args.get("page[after]", [""])[0]
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        more = start + size < len(items)
        cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        rest = "".join(
            f"&{k}={v[0]}" for k, v in args.items() if k not in ("page[size]", "page[after]")
        )
        host = self.next_host or self.url
        return self._json(
            200,
            {
                key: copy.deepcopy(items[start : start + size]),
                "meta": {"has_more": more, "after_cursor": cursor if more else None},
                "links": {
                    "next": f"{host}{path}?page%5Bsize%5D={size}&page%5Bafter%5D={cursor}{rest}"
                    if more
                    else None,
                    "prev": None,
                },
            },
        )

    def _search(self, args: dict[str, list[str]]) -> Response:
        text = args.get("query", [""])[0]
        try:
            tokens = parse_search(text)
        except QueryError as exc:
            return self._json(400, {"error": "unavailable", "description": str(exc)})
        with self._lock:
            self.parsed.append(tokens)
        hits = [t for t in self.tickets.values() if self._matches(t, tokens)]
        hits.sort(key=lambda t: t["created_at"], reverse=True)
        size = self.search_page_size
        page = int(args.get("page", ["1"])[0])
        chunk = hits[(page - 1) * size : page * size]
        results = [{**copy.deepcopy(t), "result_type": "ticket"} for t in chunk]
        nxt = None
        if page * size < len(hits):
            nxt = f"{self.url}/api/v2/search.json?" + urlencode(
                {**{k: v[0] for k, v in args.items()}, "page": str(page + 1)}
            )
        return self._json(
            200,
            {"results": results, "count": len(hits), "next_page": nxt, "previous_page": None},
        )

    def _matches(self, ticket: dict[str, Any], tokens: list[tuple[str, str, str]]) -> bool:
        text = f"{ticket.get('subject', '')} {ticket.get('description', '')}".lower()
        requester = self.users.get(str(ticket.get("requester_id")), {})
        for key, op, value in tokens:
            if key == "":
                ok = value.lower() in text
            elif key == "type":
                ok = value == "ticket"
            elif key == "requester_id":
                ok = str(ticket.get("requester_id")) == value
            elif key == "requester":
                ok = str(requester.get("email", "")).lower() == value.lower()
            elif key == "created":
                when = _time(ticket["created_at"])
                bound = _time(value)
                ok = {
                    ">": when > bound,
                    "<": when < bound,
                    ">=": when >= bound,
                    "<=": when <= bound,
                }.get(op, False)
            else:
                ok = False
            if not ok:
                return False
        return True

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"error": "no scripted reply"}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"error": message[:500]})


def _nullable_31(node: Any) -> None:
    """The file is OpenAPI 3.1, where `nullable: true` means nothing, yet Zendesk sends `null`
    for e.g. `next_page`: read it as the author meant, `type: [T, "null"]`."""
    if isinstance(node, dict):
        if node.pop("nullable", None) is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _nullable_31(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_31(value)


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
