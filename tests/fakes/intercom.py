"""A loopback fake of the Intercom REST API 2.14 (conversations, tickets, contacts, companies,
conversation search, /me).

    with FakeIntercom(token="ic_tok") as fake:
        fake.add_contact(make_contact("c1", name="Dana", email="dana@acme.io", company="co1"))
        fake.add_company(make_company("co1", name="Acme"))
        fake.add_conversation(make_conversation("101", contact="c1", parts=[make_part("1", ...)]))

Serves `GET /conversations/{id}`, `/tickets/{id}`, `/contacts/{id}`, `/companies/{id}`, `/me`
and `POST /conversations/search` (single filters and nested AND/OR; fields `created_at`
(`>`/`<`, epoch strings), `source.body` (`~` contains), `contact_ids` (`=`); cursor paging with
`pagination.starting_after` and `pages.next`). The bearer token is enforced (401 error.list),
`Intercom-Version: 2.14` is required (400 otherwise), unknown IDs are 404 error.list. Search
bodies are kept in `fake.searches`.

When ../shared/specs/intercom.json is present every request and 2xx JSON response to an
operation it describes is validated with openapi-core; problems fail `fake.check()`.
"""

from __future__ import annotations

import base64
import copy
import threading
from dataclasses import dataclass
from typing import Any

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply

HOST_URL = "https://api.intercom.io"
CREATED = 1764000000  # 2025-11-24T16:00:00Z


def make_part(
    part_id: str,
    body: str | None,
    *,
    part_type: str = "comment",
    author: tuple[str, str, str] = ("admin", "274", "Agent Kay"),
    created_at: int = CREATED + 60,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    kind, aid, name = author
    return {
        "type": "conversation_part",
        "id": part_id,
        "part_type": part_type,
        "body": body,
        "created_at": created_at,
        "updated_at": created_at,
        "notified_at": created_at,
        "author": {"type": kind, "id": aid, "name": name, "email": f"{aid}@example.com"},
        "attachments": attachments or [],
        "external_id": None,
        "redacted": False,
        "state": "open",
        "tags": [],
    }


def make_attachment(name: str, size: int, content_type: str) -> dict[str, Any]:
    return {
        "type": "upload",
        "name": name,
        "url": f"https://downloads.intercomcdn.com/i/o/{name}",
        "content_type": content_type,
        "filesize": size,
    }


def make_conversation(
    conversation_id: str,
    *,
    contact: str = "c1",
    body: str = "<p>Exports fail with <b>ERR_EXPORT_SERIALIZE</b></p>",
    parts: list[dict[str, Any]] | None = None,
    created_at: int = CREATED,
    **overrides: Any,
) -> dict[str, Any]:
    """A conversation as `GET /conversations/{id}` returns it (the spec example, adapted)."""
    conv: dict[str, Any] = {
        "type": "conversation",
        "id": conversation_id,
        "created_at": created_at,
        "updated_at": created_at + 600,
        "waiting_since": None,
        "snoozed_until": None,
        "source": {
            "type": "conversation",
            "id": f"src{conversation_id}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": body,
            "author": {"type": "user", "id": contact, "name": "Dana", "email": "dana@acme.io"},
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": contact, "external_id": None}],
        },
        "first_contact_reply": None,
        "admin_assignee_id": 274,
        "team_assignee_id": None,
        "open": True,
        "state": "open",
        "read": True,
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "1", "name": "exports"}]},
        "priority": "priority",
        "sla_applied": None,
        "statistics": None,
        "conversation_rating": None,
        "teammates": None,
        "title": "CSV export broken",
        "custom_attributes": {"plan": "pro"},
        "topics": {},
        "ticket": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent_participated": False,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts or [],
            "total_count": len(parts or []),
        },
    }
    conv.update(overrides)
    return conv


def make_ticket(ticket_id: str, *, contact: str = "c1", **overrides: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "type": "ticket",
        "id": ticket_id,
        "ticket_id": "42",
        "category": "Customer",
        "ticket_attributes": {
            "_default_title_": "Cannot export",
            "_default_description_": "<p>Export fails: ERR_EXPORT_SERIALIZE</p>",
            "account": "acc_1042",
        },
        "ticket_state": {
            "type": "ticket_state",
            "id": "1",
            "category": "in_progress",
            "internal_label": "In progress",
            "external_label": "In progress",
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": contact, "external_id": None}],
        },
        "admin_assignee_id": "274",
        "team_assignee_id": "0",
        "created_at": CREATED,
        "updated_at": CREATED + 100,
        "open": True,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ticket_parts": {
            "type": "ticket_part.list",
            "ticket_parts": [
                {
                    "type": "ticket_part",
                    "id": "t1",
                    "part_type": "comment",
                    "body": "<p>Looking into it</p>",
                    "previous_ticket_state": "submitted",
                    "ticket_state": "in_progress",
                    "created_at": CREATED + 50,
                    "updated_at": CREATED + 50,
                    "author": {
                        "type": "admin",
                        "id": "274",
                        "name": "Agent Kay",
                        "email": "k@x.io",
                    },
                    "attachments": [],
                    "external_id": None,
                    "redacted": False,
                }
            ],
            "total_count": 1,
        },
        "is_shared": True,
    }
    ticket.update(overrides)
    return ticket


def make_contact(
    contact_id: str, *, company: str | None = None, **overrides: Any
) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "type": "contact",
        "id": contact_id,
        "external_id": None,
        "workspace_id": "abc123de",
        "role": "user",
        "email": f"{contact_id}@example.com",
        "email_domain": "example.com",
        "phone": None,
        "name": f"Contact {contact_id}",
        "owner_id": None,
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": CREATED - 86400,
        "updated_at": CREATED,
        "signed_up_at": CREATED - 86400,
        "last_seen_at": CREATED,
        "last_replied_at": CREATED,
        "last_contacted_at": CREATED,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": None,
        "browser_version": None,
        "browser_language": None,
        "os": None,
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": {},
        "avatar": None,
        "companies": {
            "type": "list",
            "data": [{"type": "company", "id": company, "url": f"/companies/{company}"}]
            if company
            else [],
            "url": f"/contacts/{contact_id}/companies",
            "total_count": 1 if company else 0,
            "has_more": False,
        },
    }
    contact.update(overrides)
    return contact


def make_company(company_id: str, *, name: str) -> dict[str, Any]:
    return {
        "type": "company",
        "id": company_id,
        "company_id": f"acc_{company_id}",
        "name": name,
        "created_at": CREATED - 86400 * 30,
    }


@dataclass
class _Scripted:
    path: str
    reply: Reply


class FakeIntercom(ScriptedServer):
    def __init__(self, *, token: str = "ic_fake_token_123", validate: bool = True) -> None:
        super().__init__()
        self.token = token
        self.conversations: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {}
        self.me: dict[str, Any] = {
            "type": "admin",
            "id": "274",
            "name": "Agent Kay",
            "email": "kay@acme.io",
            "app": {"type": "app", "id_code": "abc123de", "name": "Acme"},
        }
        self.searches: list[Any] = []
        self.notes: list[dict[str, Any]] = []
        """Bodies of `POST /conversations/{id}/reply` (and tickets) with message_type note."""
        self.note_token: str | None = None
        self.problems: list[str] = []
        self.validated = 0
        self._scripted: list[_Scripted] = []
        self._spec: Any = None
        self._spec_lock = threading.Lock()
        if validate:
            from spec_validation import SpecCheck, spec_missing_reason

            if spec_missing_reason("intercom.json") is None:
                self._spec = SpecCheck("intercom.json", host_url=HOST_URL)

    def add_conversation(self, conv: dict[str, Any]) -> None:
        self.conversations[conv["id"]] = conv

    def add_ticket(self, ticket: dict[str, Any]) -> None:
        self.tickets[ticket["id"]] = ticket

    def add_contact(self, contact: dict[str, Any]) -> None:
        self.contacts[contact["id"]] = contact

    def add_company(self, company: dict[str, Any]) -> None:
        self.companies[company["id"]] = company

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append(_Scripted(path, reply))

    @property
    def spec_active(self) -> bool:
        return self._spec is not None

    def check(self) -> None:
        super().check()
        if self.problems:
            raise AssertionError("FakeIntercom: spec problems:\n" + "\n".join(self.problems))

    # serving --------------------------------------------------------------------------------

    def _in_spec(self, path: str) -> bool:
        return path.startswith(("/conversations", "/contacts", "/tickets"))

    def _headers(self, request: Recorded) -> dict[str, str]:
        return {
            "Authorization": request.headers.get("authorization", ""),
            "Intercom-Version": request.headers.get("intercom-version", ""),
        }

    def _handle(self, request: Recorded) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 3 and parts[2] == "reply":
            return self._reply(parts[0], parts[1], request)  # not in the trimmed spec
        if self._spec is not None and self._in_spec(request.path):
            with self._spec_lock:
                self.validated += 1
                self.problems += self._spec.request(
                    request.method,
                    request.path,
                    query=request.query,
                    headers=self._headers(request),
                    body=request.body or None,
                )
        with self._lock:
            hit = next((s for s in self._scripted if s.path in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit.reply.render(self, request)
        response = self._route(request)
        if self._spec is not None and self._in_spec(request.path) and response.status == 200:
            assert isinstance(response.body, bytes)
            with self._spec_lock:
                self.problems += self._spec.response(
                    request.method,
                    request.path,
                    query=request.query,
                    headers=self._headers(request),
                    status=200,
                    body=response.body,
                )
        return response

    def _reply(self, kind: str, item_id: str, request: Recorded) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.note_token or self.token}":
            return self._error(401, "unauthorized", "Access Token Invalid")
        store = {"conversations": self.conversations, "tickets": self.tickets}.get(kind)
        found = store.get(item_id) if store is not None else None
        if found is None:
            return self._error(404, "not_found", "Resource Not Found")
        body = request.json if isinstance(request.json, dict) else {}
        if (
            body.get("type") != "admin"
            or body.get("message_type") not in ("comment", "note", "quick_reply")
            or not str(body.get("admin_id") or "").isdigit()
            or not isinstance(body.get("body"), str)
        ):
            return self._error(400, "parameter_invalid", "invalid admin reply")
        with self._lock:
            self.notes.append(body)
            parts = found.setdefault(f"{kind[:-1]}_parts", {"type": "conversation_part.list"})
            items = parts.setdefault(f"{kind[:-1]}_parts", [])
            items.append(
                make_part(
                    f"part_{len(self.notes)}",
                    body["body"],
                    part_type=body["message_type"],
                    author=("admin", str(body["admin_id"]), "Support Bot"),
                )
            )
            parts["total_count"] = len(items)
        return self._json(200, copy.deepcopy(found))

    def _error(self, status: int, code: str, message: str) -> Response:
        return self._json(
            status,
            {
                "type": "error.list",
                "request_id": "req_fake",
                "errors": [{"code": code, "message": message}],
            },
        )

    def _route(self, request: Recorded) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "unauthorized", "Access Token Invalid")
        if request.headers.get("intercom-version") != "2.14":
            return self._error(400, "intercom_version_invalid", "Intercom-Version required")
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and request.path == "/conversations/search":
            return self._search(request.json)
        if request.method != "GET":
            return self._error(405, "method_not_allowed", "Method not allowed")
        if parts == ["me"]:
            return self._json(200, self.me)
        if len(parts) == 2:
            store = {
                "conversations": self.conversations,
                "tickets": self.tickets,
                "contacts": self.contacts,
                "companies": self.companies,
            }.get(parts[0])
            if store is not None:
                found = store.get(parts[1])
                if found is None:
                    return self._error(404, "not_found", "Resource Not Found")
                return self._json(200, copy.deepcopy(found))
        return self._error(404, "not_found", "Resource Not Found")

    def _search(self, body: Any) -> Response:
        with self._lock:
            self.searches.append(body)
        if not isinstance(body, dict) or "query" not in body:
            return self._error(400, "parameter_invalid", "query is required")
        try:
            hits = [c for c in self.conversations.values() if _match(c, body["query"])]
        except (KeyError, TypeError, ValueError) as exc:
            return self._error(400, "parameter_invalid", f"bad query: {exc}")
        hits.sort(key=lambda c: c["created_at"], reverse=True)
        paging = body.get("pagination") or {}
        per_page = int(paging.get("per_page", 20))
        after = paging.get("starting_after")
        start = int(base64.b64decode(after).decode()) if after else 0
        page = hits[start : start + per_page]
        more = start + per_page < len(hits)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // per_page + 1,
            "per_page": per_page,
            "total_pages": max(1, -(-len(hits) // per_page)),
        }
        if more:
            cursor = base64.b64encode(str(start + per_page).encode()).decode()
            pages["next"] = {"per_page": per_page, "starting_after": cursor}
        return self._json(
            200,
            {
                "type": "conversation.list",
                "conversations": copy.deepcopy(page),
                "total_count": len(hits),
                "pages": pages,
            },
        )

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"type": "error.list", "errors": []}')

    def _internal_error(self, message: str) -> Response:
        return self._error(500, "server_error", message[:500])


def _match(conv: dict[str, Any], q: dict[str, Any]) -> bool:
    op = q["operator"]
    if op in ("AND", "OR"):
        results = [_match(conv, sub) for sub in q["value"]]
        return all(results) if op == "AND" else any(results)
    field, value = q["field"], q["value"]
    if field == "created_at":
        when, bound = conv["created_at"], int(value)
        return bool(when > bound if op == ">" else when < bound if op == "<" else when == bound)
    if field == "source.body":
        text = str(conv["source"].get("body") or "").lower()
        return op == "~" and str(value).lower() in text
    if field == "contact_ids":
        ids = {c["id"] for c in conv["contacts"]["contacts"]}
        return op == "=" and value in ids
    raise ValueError(f"unsupported field {field}")
