"""A loopback fake of the Freshdesk API v2 (tickets, conversations, ticket list, agents/me),
built from the documented shapes (developers.freshdesk.com/api): there is no machine-readable
spec, so the fake enforces what the docs say instead.

    with FakeFreshdesk(api_key="fd_key") as fake:
        fake.add_ticket(make_ticket(7, requester=make_requester(11)), [make_conversation(1, 7)])

Serves `GET /api/v2/tickets/{id}` (`include=requester,company,stats,…`),
`/api/v2/tickets/{id}/conversations` (`page`, `per_page` ≤ 100, a `link: <…>; rel="next"`
header while more remain), `/api/v2/tickets` (filters `requester_id`, `email`, `company_id`;
`updated_since`, `include=stats|requester|description`; `order_by`, `order_type`, `per_page`,
`page`; a `link` header while more remain), `/api/v2/surveys/satisfaction_ratings`
(`created_since`, `page`, `per_page`; ratings as `{"default_question": 103 … -103}`) and
`/api/v2/agents/me`. Like Freshdesk it
answers 400 `invalid_field` / `invalid_value` to unknown parameters or bad values (recorded in
`fake.problems`, which fail `fake.check()`), 401 to a wrong key (basic `key:X`), 404 with an
empty body to unknown tickets, and 405 to anything but GET.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

_INCLUDES = frozenset({"requester", "company", "stats", "conversations", "description"})
_LIST_PARAMS = frozenset(
    {
        *("requester_id", "email", "company_id", "order_by", "order_type", "per_page", "page"),
        *("updated_since", "include"),
    }
)
_LIST_INCLUDES = frozenset({"requester", "stats", "description"})
RATING_VALUES = frozenset({103, 102, 101, 100, -101, -102, -103})


def make_stats(**overrides: Any) -> dict[str, Any]:
    """A ticket's `stats` block (include=stats), as documented."""
    stats: dict[str, Any] = {
        "agent_responded_at": None,
        "requester_responded_at": None,
        "first_responded_at": None,
        "status_updated_at": None,
        "reopened_at": None,
        "resolved_at": None,
        "closed_at": None,
        "pending_since": None,
    }
    stats.update(overrides)
    return stats


def make_rating(rating_id: int, ticket_id: int, value: int, created_at: str) -> dict[str, Any]:
    """A satisfaction rating as `List All Satisfaction Ratings` documents it."""
    return {
        "id": rating_id,
        "survey_id": 1,
        "user_id": 11,
        "agent_id": 3001,
        "feedback": "",
        "group_id": None,
        "ticket_id": ticket_id,
        "ratings": {"default_question": value},
        "created_at": created_at,
        "updated_at": created_at,
    }


def make_requester(user_id: int, **overrides: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "id": user_id,
        "name": f"Contact {user_id}",
        "email": f"contact{user_id}@example.com",
        "mobile": None,
        "phone": None,
    }
    person.update(overrides)
    return person


def make_ticket(ticket_id: int, *, requester: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A ticket as `View a Ticket` documents it (without the include blocks)."""
    ticket: dict[str, Any] = {
        "id": ticket_id,
        "subject": "CSV export fails",
        "description": "<div>Every export fails with <b>ERR_EXPORT_SERIALIZE</b>.</div>",
        "description_text": "Every export fails with ERR_EXPORT_SERIALIZE.",
        "status": 2,
        "priority": 3,
        "source": 1,
        "type": "Problem",
        "requester_id": requester["id"],
        "responder_id": 3001,
        "company_id": 55,
        "group_id": None,
        "product_id": None,
        "email_config_id": None,
        "fr_escalated": False,
        "is_escalated": False,
        "spam": False,
        "urgent": False,
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "to_emails": None,
        "tags": ["export"],
        "custom_fields": {"cf_account_id": "acc_1042", "cf_plan": None},
        "attachments": [],
        "due_by": "2026-11-25T11:00:00Z",
        "fr_due_by": "2026-11-24T15:00:00Z",
        "created_at": "2026-11-24T11:00:00Z",
        "updated_at": "2026-11-24T11:20:00Z",
    }
    ticket.update(overrides)
    return ticket


def make_conversation(
    conv_id: int,
    ticket_id: int,
    *,
    body: str = "<div>We are looking into it.</div>",
    private: bool = False,
    incoming: bool = False,
    user_id: int = 3001,
    when: str = "2026-11-24T11:10:00Z",
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": conv_id,
        "body": body,
        "body_text": body.replace("<div>", "").replace("</div>", ""),
        "incoming": incoming,
        "private": private,
        "user_id": user_id,
        "support_email": "support@acme.freshdesk.com",
        "source": 2 if private else 0,
        "category": 3,
        "ticket_id": ticket_id,
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": [],
        "attachments": attachments or [],
        "created_at": when,
        "updated_at": when,
    }


def make_attachment(name: str, size: int, content_type: str) -> dict[str, Any]:
    return {
        "id": 9000 + size % 1000,
        "name": name,
        "content_type": content_type,
        "size": size,
        "attachment_url": f"https://s3.amazonaws.com/fd/{name}?X-Amz-Signature=abc",
        "created_at": "2026-11-24T11:00:00Z",
        "updated_at": "2026-11-24T11:00:00Z",
    }


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeFreshdesk(ScriptedServer):
    def __init__(self, *, api_key: str = "fd_fake_key_123") -> None:
        super().__init__()
        self.api_key = api_key
        self.page_size: int | None = None
        self.tickets: dict[str, dict[str, Any]] = {}
        self.requesters: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, list[dict[str, Any]]] = {}
        self.companies: dict[str, dict[str, Any]] = {"55": {"id": 55, "name": "Acme Corp"}}
        self.me: dict[str, Any] = {
            "id": 3001,
            "available": True,
            "occasional": False,
            "ticket_scope": 1,
            "contact": {"name": "Agent Kay", "email": "kay@acme.io", "active": True},
        }
        self.problems: list[str] = []
        self.stats: dict[str, dict[str, Any]] = {}
        self.ratings: list[dict[str, Any]] = []
        self._scripted: list[_Scripted] = []
        self.notes: list[dict[str, Any]] = []
        """Bodies of `POST /api/v2/tickets/{id}/notes` (Freshdesk's "Create a Note")."""
        self.note_key: str | None = None
        """The API key notes must use (default: the read key)."""

    def add_ticket(
        self,
        ticket: dict[str, Any],
        conversations: list[dict[str, Any]] | None = None,
        requester: dict[str, Any] | None = None,
    ) -> None:
        self.tickets[str(ticket["id"])] = ticket
        self.conversations[str(ticket["id"])] = conversations or []
        if requester is not None:
            self.requesters[str(requester["id"])] = requester

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeFreshdesk: contract problems:\n" + "\n".join(self.problems))

    def _handle(self, request: Recorded) -> Response:
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        parts = request.path.strip("/").split("/")
        if (
            request.method == "POST"
            and parts[:3] == ["api", "v2", "tickets"]
            and parts[4:] == ["notes"]
        ):
            return self._note(parts[3], request)
        return self._route(request)

    def _note(self, ticket_id: str, request: Recorded) -> Response:
        key = self.note_key or self.api_key
        expected = "Basic " + base64.b64encode(f"{key}:X".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self._json(401, {"code": "invalid_credentials", "message": "Login required"})
        if ticket_id not in self.tickets:
            return self._json(404, {"code": "access_denied", "message": "Not found"})
        body = request.json if isinstance(request.json, dict) else {}
        allowed = {"body", "incoming", "notify_emails", "private", "user_id", "attachments"}
        extra = sorted(set(body) - allowed)
        if extra:
            return self._invalid(extra[0], "Unexpected/invalid field in request", "invalid_field")
        if not isinstance(body.get("body"), str) or not body["body"]:
            return self._invalid("body", "It should be a/an String", "missing_field")
        if not isinstance(body.get("private", True), bool):
            return self._invalid("private", "It should be a/an Boolean", "datatype_mismatch")
        with self._lock:
            self.notes.append(body)
            thread = self.conversations.setdefault(ticket_id, [])
            note = make_conversation(
                8_000_000 + len(thread),
                int(ticket_id),
                body=body["body"],
                private=body.get("private", True),
                when="2026-11-24T12:30:00Z",
            )
            thread.append(note)
        return self._json(201, note)

    def _invalid(self, field: str, message: str, code: str = "invalid_field") -> Response:
        with self._lock:
            self.problems.append(f"{field}: {message}")
        return self._json(
            400,
            {
                "description": "Validation failed",
                "errors": [{"field": field, "message": message, "code": code}],
            },
        )

    def _route(self, request: Recorded) -> Response:
        if request.method != "GET":
            return self._json(405, {"code": "method_not_allowed", "message": "GET only here"})
        expected = "Basic " + base64.b64encode(f"{self.api_key}:X".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self._json(
                401,
                {
                    "code": "invalid_credentials",
                    "message": "You have to be logged in to perform this action.",
                },
            )
        args = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        parts = request.path.strip("/").split("/")
        if parts == ["api", "v2", "agents", "me"]:
            return self._json(200, self.me)
        if parts == ["api", "v2", "tickets"]:
            return self._list(args, request)
        if parts == ["api", "v2", "surveys", "satisfaction_ratings"]:
            return self._ratings(args, request)
        if len(parts) == 4 and parts[:3] == ["api", "v2", "tickets"]:
            return self._ticket(parts[3], args)
        if (
            len(parts) == 5
            and parts[:3] == ["api", "v2", "tickets"]
            and parts[4] == "conversations"
        ):
            return self._conversations(parts[3], args, request)
        return Response(404, [("content-type", "application/json")], b"")

    def _ticket(self, ticket_id: str, args: dict[str, str]) -> Response:
        for key in args:
            if key != "include":
                return self._invalid(key, "Unexpected/invalid field in request")
        includes = [i for i in args.get("include", "").split(",") if i]
        if set(includes) - _INCLUDES:
            return self._invalid(
                "include", f"It should be one of {sorted(_INCLUDES)}", "invalid_value"
            )
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return Response(404, [("content-type", "application/json")], b"")
        body = copy.deepcopy(ticket)
        if "requester" in includes:
            body["requester"] = self.requesters.get(str(ticket["requester_id"]))
        if "company" in includes:
            body["company"] = self.companies.get(str(ticket.get("company_id")))
        if "stats" in includes:
            body["stats"] = copy.deepcopy(self.stats.get(ticket_id, make_stats()))
        return self._json(200, body)

    def _page(self, args: dict[str, str], allowed: frozenset[str]) -> tuple[int, int] | Response:
        for key in args:
            if key not in allowed:
                return self._invalid(key, "Unexpected/invalid field in request")
        try:
            page, per_page = int(args.get("page", "1")), int(args.get("per_page", "30"))
        except ValueError:
            return self._invalid("page", "It should be a Positive Number", "datatype_mismatch")
        if not 1 <= per_page <= 100 or page < 1:
            return self._invalid("per_page", "Has to be between 1 and 100", "invalid_value")
        return page, min(per_page, self.page_size or 100)

    def _conversations(self, ticket_id: str, args: dict[str, str], request: Recorded) -> Response:
        paging = self._page(args, frozenset({"page", "per_page"}))
        if isinstance(paging, Response):
            return paging
        if ticket_id not in self.tickets:
            return Response(404, [("content-type", "application/json")], b"")
        page, size = paging
        items = self.conversations[ticket_id]
        chunk = items[(page - 1) * size : page * size]
        headers: list[tuple[str, str]] = []
        if page * size < len(items):
            nxt = f"{self.url}{request.path}?page={page + 1}&per_page={args.get('per_page', '30')}"
            headers.append(("link", f'<{nxt}>; rel="next"'))
        return self._json(200, copy.deepcopy(chunk), headers)

    def _ratings(self, args: dict[str, str], request: Recorded) -> Response:
        paging = self._page(args, frozenset({"created_since", "page", "per_page"}))
        if isinstance(paging, Response):
            return paging
        for r in self.ratings:
            if r["ratings"].get("default_question") not in RATING_VALUES:
                self.problems.append(f"rating {r['id']}: not a Freshdesk rating value")
        since = args.get("created_since", "")
        hits = [r for r in self.ratings if r["created_at"] >= since]
        return self._paged(hits, paging, args, request)

    def _paged(
        self,
        hits: list[dict[str, Any]],
        paging: tuple[int, int],
        args: dict[str, str],
        request: Recorded,
    ) -> Response:
        page, size = paging
        headers: list[tuple[str, str]] = []
        if page * size < len(hits):
            rest = "&".join(f"{k}={v}" for k, v in args.items() if k != "page")
            headers.append(
                ("link", f'<{self.url}{request.path}?{rest}&page={page + 1}>; rel="next"')
            )
        return self._json(200, copy.deepcopy(hits[(page - 1) * size : page * size]), headers)

    def _list(self, args: dict[str, str], request: Recorded) -> Response:
        paging = self._page(args, _LIST_PARAMS)
        if isinstance(paging, Response):
            return paging
        if args.get("order_by", "created_at") not in (
            "created_at",
            "due_by",
            "updated_at",
            "status",
        ):
            return self._invalid(
                "order_by", "It should be one of created_at, due_by, …", "invalid_value"
            )
        hits = list(self.tickets.values())
        if "requester_id" in args:
            hits = [t for t in hits if str(t["requester_id"]) == args["requester_id"]]
        if "email" in args:
            hits = [
                t
                for t in hits
                if self.requesters.get(str(t["requester_id"]), {}).get("email") == args["email"]
            ]
        if "updated_since" in args:
            hits = [t for t in hits if t["updated_at"] >= args["updated_since"]]
        includes = [i for i in args.get("include", "").split(",") if i]
        if set(includes) - _LIST_INCLUDES:
            return self._invalid("include", f"It should be one of {sorted(_LIST_INCLUDES)}")
        hits.sort(key=lambda t: t["created_at"], reverse=args.get("order_type") != "asc")
        if "stats" in includes:
            hits = [{**t, "stats": self.stats.get(str(t["id"]), make_stats())} for t in hits]
        return self._paged(hits, paging, args, request)

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, "{}")

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"message": message[:500]})
