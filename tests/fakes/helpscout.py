"""A loopback fake of Help Scout's Mailbox API 2.0, from the documented shapes
(developer.helpscout.com/mailbox-api): OAuth client credentials, HAL conversations and threads.

    with FakeHelpScout(app_id="id", app_secret="secret") as fake:
        fake.add_customer(make_customer(501, first="Dana", email="dana@acme.io"))
        fake.add_conversation(make_conversation(1001, customer=501), [make_thread(1, "customer")])

Serves `POST /v2/oauth2/token` (form `grant_type=client_credentials&client_id&client_secret`,
401 `invalid_client` otherwise; `fake.tokens_issued` counts grants), then, with the bearer token
enforced: `GET /v2/conversations/{id}` (`embed=threads` puts at most `embed_limit` threads in
`_embedded.threads`), `/v2/conversations/{id}/threads` (`page`, `_links.next.href` while more
remain, `page_size` a page), `/v2/customers/{id}`, `/v2/users/me` and `/v2/conversations`
(search: `query` in Help Scout's syntax, reduced to `(customerIds:N)` and
`(body:"…" AND createdAt:[T TO *])` and `(createdAt:[A TO B])`; kept in `fake.queries`;
`embed=threads`; `page` of `list_page_size`, `_links.next.href` while more remain) and
`/v2/reports/happiness/ratings` (`start`, `end`, `rating`, `page`; Plus/Pro plans only:
`fake.reports_forbidden` answers 403). Unknown parameters or a query it
cannot parse are a 400 recorded in `fake.problems` (failing `fake.check()`).
"""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

_BODY = re.compile(r'^\(body:"([^"\\()]*)" AND createdAt:\[(\S+) TO \*\]\)$')
_CUSTOMER = re.compile(r"^\(customerIds:(\d+)\)$")
_SEARCH_PARAMS = frozenset(
    {"query", "status", "sortField", "sortOrder", "page", "mailbox", "embed"}
)
_RANGE = re.compile(r"^\(createdAt:\[(\S+) TO (\S+)\]\)$")
_RATING_PARAMS = frozenset({"start", "end", "rating", "page", "sortField", "sortOrder"})


def make_rating_row(conv_id: int, rating_id: int, created_at: str) -> dict[str, Any]:
    """One row of the happiness ratings report (ratingId 1 great, 2 okay, 3 not good)."""
    return {
        "number": conv_id - 1000 + 50,
        "threadid": conv_id * 10,
        "threadCreatedAt": created_at,
        "id": conv_id,
        "type": "email",
        "ratingId": rating_id,
        "ratingCustomerId": 501,
        "ratingComments": "",
        "ratingCreatedAt": created_at,
        "ratingCustomerName": "Dana Scully",
        "ratingUserId": 9,
        "ratingUserName": "Agent Kay",
    }


def make_customer(customer_id: int, *, first: str, email: str, **overrides: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "id": customer_id,
        "firstName": first,
        "lastName": "Scully",
        "gender": "unknown",
        "jobTitle": None,
        "location": None,
        "organization": "Acme Corp",
        "organizationId": 777,
        "photoType": "unknown",
        "photoUrl": None,
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
        "background": None,
        "_embedded": {"emails": [{"id": 1, "value": email, "type": "work"}]},
    }
    customer.update(overrides)
    return customer


def make_thread(
    thread_id: int,
    kind: str,
    body: str | None = "<p>hello</p>",
    *,
    by: tuple[str, str, str] = ("user", "Agent", "Kay"),
    when: str = "2026-11-24T11:10:00Z",
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    who_type, first, last = by
    return {
        "id": thread_id,
        "type": kind,
        "status": "active",
        "state": "published",
        "action": None,
        "body": body,
        "source": {"type": "email", "via": "customer" if kind == "customer" else "user"},
        "customer": {"id": 501, "first": "Dana", "last": "Scully", "email": "dana@acme.io"},
        "createdBy": {
            "id": 9,
            "type": who_type,
            "first": first,
            "last": last,
            "email": f"{first}@x.io",
        },
        "assignedTo": None,
        "savedReplyId": 0,
        "to": [],
        "cc": [],
        "bcc": [],
        "createdAt": when,
        "openedAt": None,
        "_embedded": {"attachments": attachments or []},
        "_links": {},
    }


def make_attachment(name: str, size: int, mime: str) -> dict[str, Any]:
    return {
        "id": 77,
        "mimeType": mime,
        "filename": name,
        "size": size,
        "width": 0,
        "height": 0,
        "_links": {"data": {"href": "https://api.helpscout.net/v2/.../data"}},
    }


def make_conversation(conv_id: int, *, customer: int = 501, **overrides: Any) -> dict[str, Any]:
    conv: dict[str, Any] = {
        "id": conv_id,
        "number": conv_id - 1000 + 50,
        "threads": 0,
        "type": "email",
        "folderId": 1,
        "status": "active",
        "state": "published",
        "subject": "CSV export fails",
        "preview": "Every export fails with ERR_EXPORT_SERIALIZE",
        "mailboxId": 10,
        "assignee": None,
        "createdBy": {"id": customer, "type": "customer", "email": "dana@acme.io"},
        "createdAt": "2026-11-24T11:00:00Z",
        "closedAt": None,
        "userUpdatedAt": "2026-11-24T11:30:00Z",
        "primaryCustomer": {"id": customer, "type": "customer", "first": "Dana", "last": "Scully"},
        "tags": [{"id": 1, "color": "#929499", "tag": "exports"}],
        "cc": [],
        "bcc": [],
        "customFields": [{"id": 8, "name": "Account", "value": "acc_1042", "text": "acc_1042"}],
        "_links": {},
    }
    conv.update(overrides)
    return conv


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeHelpScout(ScriptedServer):
    def __init__(self, *, app_id: str = "hs_app_id_123", app_secret: str = "hs_secret_456") -> None:
        super().__init__()
        self.app_id = app_id
        self.app_secret = app_secret
        self.token = ""
        self.tokens_issued = 0
        self.expires_in = 172800
        self.embed_limit = 100
        self.page_size = 50
        self.conversations: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, list[dict[str, Any]]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.me = {
            "id": 9,
            "firstName": "Agent",
            "lastName": "Kay",
            "email": "kay@acme.io",
            "role": "admin",
        }
        self.queries: list[str] = []
        self.ratings: list[dict[str, Any]] = []
        self.reports_forbidden = False
        self.list_page_size = 25
        self.problems: list[str] = []
        self._scripted: list[_Scripted] = []
        self.notes: list[dict[str, Any]] = []
        """Bodies of `POST /v2/conversations/{id}/notes` (Help Scout's "Create Note")."""
        self.note_token = "hs_note_token_789"
        """The bearer token notes must carry (a user's OAuth access token)."""

    def add_customer(self, customer: dict[str, Any]) -> None:
        self.customers[str(customer["id"])] = customer

    def add_conversation(
        self, conv: dict[str, Any], threads: list[dict[str, Any]] | None = None
    ) -> None:
        conv = {**conv, "threads": len(threads or [])}
        self.conversations[str(conv["id"])] = conv
        self.threads[str(conv["id"])] = threads or []

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeHelpScout: contract problems:\n" + "\n".join(self.problems))

    def _handle(self, request: Recorded) -> Response:
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        if request.path == "/v2/oauth2/token":
            return self._grant(request)
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 4 and parts[3] == "notes":
            return self._note(parts[2], request)
        return self._route(request)

    def _note(self, conv_id: str, request: Recorded) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.note_token}":
            return self._json(401, {"error": "Invalid access token"})
        if conv_id not in self.conversations:
            return Response(404, [("content-type", "application/json")], b"")
        body = request.json if isinstance(request.json, dict) else {}
        allowed = {"text", "user", "status", "imported", "createdAt", "attachments"}
        if set(body) - allowed or not isinstance(body.get("text"), str) or not body["text"]:
            return self._bad(f"invalid note fields: {sorted(body)}")
        with self._lock:
            self.notes.append(body)
            threads = self.threads[conv_id]
            tid = 7_000_000 + len(threads)
            threads.insert(0, make_thread(tid, "note", body["text"], when="2026-11-24T12:30:00Z"))
            self.conversations[conv_id]["threads"] = len(threads)
        return Response(201, [("resource-id", str(tid))], b"")

    def _bad(self, message: str) -> Response:
        with self._lock:
            self.problems.append(message)
        return self._json(
            400,
            {
                "logRef": "x",
                "message": "Bad request",
                "_embedded": {"errors": [{"message": message}]},
            },
        )

    def _grant(self, request: Recorded) -> Response:
        if request.method != "POST":
            return self._json(405, {"message": "POST only"})
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return self._bad("token request must be form-encoded")
        form = dict(parse_qsl(request.body.decode()))
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.app_id
            or form.get("client_secret") != self.app_secret
        ):
            return self._json(
                401, {"error": "invalid_client", "error_description": "Bad credentials"}
            )
        with self._lock:
            self.tokens_issued += 1
            self.token = "hs_at_" + secrets.token_hex(16)
        return self._json(
            200, {"token_type": "bearer", "access_token": self.token, "expires_in": self.expires_in}
        )

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._json(405, {"message": "Method not allowed"})
        if not self.token or request.headers.get("authorization") != f"Bearer {self.token}":
            return self._json(401, {"error": "Invalid access token"})
        args = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        parts = request.path.strip("/").split("/")
        if parts == ["v2", "users", "me"]:
            return self._json(200, self.me)
        if parts == ["v2", "conversations"]:
            return self._search(args, request)
        if parts == ["v2", "reports", "happiness", "ratings"]:
            return self._ratings(args, request)
        if len(parts) == 3 and parts[1] == "customers":
            found = self.customers.get(parts[2])
            return self._json(200, copy.deepcopy(found)) if found else self._json(404, {})
        if len(parts) >= 3 and parts[1] == "conversations":
            conv = self.conversations.get(parts[2])
            if conv is None:
                return Response(404, [("content-type", "application/json")], b"")
            if len(parts) == 3:
                return self._conversation(conv, args)
            if parts[3:] == ["threads"]:
                return self._threads(parts[2], args, request)
        return self._json(404, {"message": "Not found"})

    def _conversation(self, conv: dict[str, Any], args: dict[str, str]) -> Response:
        if set(args) - {"embed"} or args.get("embed", "threads") != "threads":
            return self._bad(f"unexpected parameters {sorted(args)}")
        body = copy.deepcopy(conv)
        if args.get("embed") == "threads":
            threads = sorted(
                self.threads[str(conv["id"])], key=lambda t: t["createdAt"], reverse=True
            )
            body["_embedded"] = {"threads": copy.deepcopy(threads[: self.embed_limit])}
        return self._json(200, body)

    def _threads(self, conv_id: str, args: dict[str, str], request: Recorded) -> Response:
        if set(args) - {"page"}:
            return self._bad(f"unexpected parameters {sorted(args)}")
        page = int(args.get("page", "1"))
        threads = sorted(self.threads[conv_id], key=lambda t: t["createdAt"], reverse=True)
        chunk = threads[(page - 1) * self.page_size : page * self.page_size]
        total_pages = max(1, -(-len(threads) // self.page_size))
        links: dict[str, Any] = {"self": {"href": f"{self.url}{request.path}?page={page}"}}
        if page < total_pages:
            links["next"] = {"href": f"{self.url}{request.path}?page={page + 1}"}
        return self._json(
            200,
            {
                "_embedded": {"threads": copy.deepcopy(chunk)},
                "_links": links,
                "page": {
                    "size": self.page_size,
                    "totalElements": len(threads),
                    "totalPages": total_pages,
                    "number": page,
                },
            },
        )

    def _ratings(self, args: dict[str, str], request: Recorded) -> Response:
        if self.reports_forbidden:
            return self._json(403, {"message": "Reports are available on Plus and Pro plans"})
        if set(args) - _RATING_PARAMS or not {"start", "end"} <= set(args):
            return self._bad(f"bad report parameters {sorted(args)}")
        if args.get("rating", "all") not in ("all", "great", "ok", "not-good"):
            return self._bad(f"bad rating {args['rating']!r}")
        rows = [r for r in self.ratings if args["start"] <= r["ratingCreatedAt"] <= args["end"]]
        page = int(args.get("page", "1"))
        size = self.list_page_size
        pages = max(1, -(-len(rows) // size))
        return self._json(
            200,
            {
                "facets": {},
                "results": copy.deepcopy(rows[(page - 1) * size : page * size]),
                "page": page,
                "pages": pages,
                "count": len(rows),
            },
        )

    def _search(self, args: dict[str, str], request: Recorded) -> Response:
        if set(args) - _SEARCH_PARAMS:
            return self._bad(f"unexpected parameters {sorted(set(args) - _SEARCH_PARAMS)}")
        text = args.get("query", "")
        with self._lock:
            self.queries.append(text)
        if m := _CUSTOMER.match(text):
            hits = [
                c
                for c in self.conversations.values()
                if str(c["primaryCustomer"]["id"]) == m.group(1)
            ]
        elif m := _RANGE.match(text):
            hits = [
                c for c in self.conversations.values() if m.group(1) <= c["createdAt"] <= m.group(2)
            ]
        elif m := _BODY.match(text):
            phrase, since = m.group(1).lower(), m.group(2)
            hits = [
                c
                for c in self.conversations.values()
                if c["createdAt"] > since
                and any(
                    phrase in str(t.get("body") or "").lower() for t in self.threads[str(c["id"])]
                )
            ]
        else:
            return self._bad(f"cannot parse query {text!r}")
        if args.get("embed", "threads") != "threads":
            return self._bad(f"cannot embed {args['embed']!r}")
        hits.sort(key=lambda c: c["createdAt"], reverse=True)
        size, page = self.list_page_size, int(args.get("page", "1"))
        chunk = copy.deepcopy(hits[(page - 1) * size : page * size])
        if args.get("embed") == "threads":
            for conv in chunk:
                conv["_embedded"] = {"threads": copy.deepcopy(self.threads[str(conv["id"])])}
        pages = max(1, -(-len(hits) // size))
        links: dict[str, Any] = {}
        if page < pages:
            rest = "&".join(f"{k}={quote(v)}" for k, v in args.items() if k != "page")
            links["next"] = {"href": f"{self.url}{request.path}?{rest}&page={page + 1}"}
        return self._json(
            200,
            {
                "_embedded": {"conversations": chunk},
                "_links": links,
                "page": {
                    "size": size,
                    "totalElements": len(hits),
                    "totalPages": pages,
                    "number": page,
                },
            },
        )

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, "{}")

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"message": message[:500]})
