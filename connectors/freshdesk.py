"""`freshdesk`: Freshdesk tickets with every conversation (replies and private notes), the
requester and company, plus the requester's other recent tickets.

    helpdesk:
      type: freshdesk
      domain: acme                          # https://acme.freshdesk.com (or base_url: …)
      api_key: ${FRESHDESK_API_KEY}         # Profile settings → View API key
      # max_recent: 5                       # the requester's other recent tickets

Ticket: `GET /api/v2/tickets/{id}?include=requester,company,stats`, then
`GET /api/v2/tickets/{id}/conversations?page=N&per_page=100`, following the `link` header's
`rel="next"` (never off the Freshdesk host) up to `max_pages`. HTML bodies become clean text
(`description_text` / `body_text` when HTML is absent); `private` conversations are internal;
attachments are listed (name, size, type), never fetched. Auth is basic `api_key:X`; a 429's
`Retry-After` is honoured within the deadline.

Evidence (kind "ticket"): the requester's recent tickets
(`GET /api/v2/tickets?requester_id=…&order_by=created_at`). Freshdesk's ticket search filters
fields only (no free text), so other customers' tickets quoting the same error are not
searched: `collect` says so in its notes.

History (`investigate stats`): `GET /api/v2/tickets?updated_since=…&include=stats&order_by=
created_at&order_type=desc` (pages via the `link` header, stopping once older than the period)
gives `stats.first_responded_at`, `resolved_at`/`closed_at` and `reopened_at`; Freshdesk does
not expose time spent pending (only `pending_since`), which the stats say. Ratings:
`GET /api/v2/surveys/satisfaction_ratings?created_since=…`; the default question's answer
(103 … -103) counts as satisfied above 100 (neutral and below: not), on the good/bad scale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.fieldchecks import one
from investigate.sdk.history import History, HistoryQuery, HistoryTicket, Rating
from investigate.sdk.html_text import html_to_text
from investigate.sdk.http import Auth, Session
from investigate.sdk.rows import parse_time

_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.freshdesk\.com)?$")
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
STATUS = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
SOURCE = {1: "email", 2: "portal", 3: "phone", 7: "chat", 9: "feedback widget", 10: "email"}
PRIORITY = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
_HINTS = {
    401: "set connectors.{name}.api_key (e.g. ${FRESHDESK_API_KEY}) to an agent's API key "
    "(Profile settings → View API key)",
    403: "the agent behind connectors.{name}.api_key cannot read this ticket (check its role)",
}


class FreshdeskConfig(hd.HelpdeskConfig):
    """`write_back:` (`--post-note`) is a private note, with its own API key as `token`."""

    domain: str | None = None
    base_url: str = Field("", description="Overrides domain (proxies, tests).")
    api_key: SecretStr
    max_pages: int = Field(20, ge=1, le=300)
    max_recent: int = Field(5, ge=0, le=100)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        value = one(_DOMAIN.match, "domain is the 'acme' of acme.freshdesk.com")(value)
        return value.removesuffix(".freshdesk.com") if value else value

    @model_validator(mode="after")
    def _where(self) -> FreshdeskConfig:
        if not (self.domain or self.base_url):
            raise ValueError("set domain (acme for acme.freshdesk.com) or base_url")
        self.base_url = self.base_url or f"https://{self.domain}.freshdesk.com"
        return self


@dataclass(frozen=True)
class _KeyAsUser(Auth):
    """Freshdesk's HTTP Basic: the API key as the user, any password ("X")."""

    key: str = "api_key"

    def basic(self, config: Any) -> tuple[str, str]:
        return (config.api_key.get_secret_value(), "X")


class Freshdesk(hd.HelpdeskConnector[FreshdeskConfig]):
    type_name = "freshdesk"
    config_model = FreshdeskConfig
    vendor_hints = _HINTS
    description = "Freshdesk tickets and conversations, and the requester's recent tickets"
    auth = _KeyAsUser()

    def note_channel(self) -> note_kit.NoteChannel:
        """A private note: `POST /api/v2/tickets/{id}/notes` with `{"body": html, "private":
        true}` (nothing else: no notify_emails, no status)."""
        wb = self.config.write_back
        auth = (wb.token.get_secret_value(), "X") if wb.token else None
        options = note_kit.note_options(self.config.base_url, self.config.timeout, auth=auth)

        return _NOTE.channel(wb, options, None if wb.token else "set token (an agent's API key)")

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        number = hd.ticket_number(ticket_id, "Freshdesk")
        async with self.session(None, timeout=self.own_timeout()) as api:
            found = await hd.get_ticket(
                api,
                f"/api/v2/tickets/{number}",
                {"include": "requester,company,stats"},
                f"ticket {number} not found in Freshdesk ({self.config.base_url})",
                "check the ticket number (the one in /a/tickets/<number>)",
            )
            if not isinstance(found.body, dict) or "id" not in found.body:
                raise sdk.SourceError(f"{self.label}: /api/v2/tickets/{number} returned no ticket")
            conversations, notes = await self._conversations(api, number)
        return self._to_ticket(number, found.body, conversations, notes)

    async def _conversations(
        self, api: Session, number: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        url = f"/api/v2/tickets/{number}/conversations"
        params: dict[str, str] | None = {"page": "1", "per_page": "100"}
        out: list[dict[str, Any]] = []
        for _ in range(self.config.max_pages):
            page = await api.get(url, params, ok_statuses=hd.MISSING)
            out += hd.as_list(page.body)
            match = _NEXT.search(page.headers.get("link", ""))
            if match is None:
                return out, []
            url, params = match.group(1), None
            if not hd.same_origin(url, self.config.base_url):
                return out, [
                    f"stopped paging conversations: next link leaves {self.config.base_url}"
                ]
        return out, [f"only the first {self.config.max_pages} pages of conversations were read"]

    def _to_ticket(
        self, number: str, t: dict[str, Any], conversations: list[dict[str, Any]], notes: list[str]
    ) -> sdk.Ticket:
        requester = hd.as_dict(t.get("requester"))
        company = hd.as_dict(t.get("company"))
        description = _text(t.get("description"), t.get("description_text"))
        files = [_attachment(a) for a in hd.as_list(t.get("attachments"))]
        description = hd.with_attachments(description, files)
        created = hd.created(
            parse_time(t.get("created_at")), self.label, f"ticket {number} has no created_at"
        )
        raw = hd.with_notes({"ticket": t, "conversations": conversations}, notes)
        authors = {hd.id_str(requester.get("id")): requester.get("name") or requester.get("email")}
        return sdk.Ticket(
            id=hd.id_str(t.get("id")) or number,
            url=f"{self.config.base_url}/a/tickets/{number}",
            subject=str(t.get("subject") or ""),
            description=description,
            comments=[_comment(c, authors) for c in conversations],
            requester=sdk.Person(name=requester.get("name"), email=requester.get("email")),
            organization=sdk.Organization(
                id=hd.id_str(t.get("company_id")) or None, name=company.get("name")
            ),
            created_at=created,
            updated_at=parse_time(t.get("updated_at")),
            priority=PRIORITY.get(t["priority"]) if isinstance(t.get("priority"), int) else None,
            status=STATUS.get(t["status"], str(t["status"])) if t.get("status") else None,
            tags=[str(x) for x in t.get("tags") or [] if isinstance(x, str)],
            custom_fields={
                k: v for k, v in hd.as_dict(t.get("custom_fields")).items() if v not in (None, "")
            },
            raw=raw,
        )

    async def ticket_history(self, query: HistoryQuery) -> History:
        if query.query.strip():
            raise sdk.TicketSourceError(
                f"{self.label}: --query is not supported for Freshdesk history",
                hint="leave out --query (Freshdesk's list cannot filter by free text)",
            )
        out = History(notes=[f"{self.label}: Freshdesk does not expose time spent pending"])
        since = query.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {
            "updated_since": since,
            "include": "stats",
            "order_by": "created_at",
            "order_type": "desc",
            "per_page": "100",
        }

        def older(batch: list[dict[str, Any]]) -> bool:
            times = [parse_time(t.get("created_at")) for t in batch]
            return any(t is not None and t < query.since for t in times)

        async with self.session(None, timeout=self.own_timeout()) as api:
            tickets = await self._pages(api, "/api/v2/tickets", params, out.notes, older)
            ratings = await self._pages(
                api,
                "/api/v2/surveys/satisfaction_ratings",
                {"created_since": since, "per_page": "100"},
                out.notes,
            )
        by_ticket = {hd.id_str(r.get("ticket_id")): r for r in ratings}
        for t in tickets:
            created = parse_time(t.get("created_at"))
            if created is not None and query.since <= created <= query.until:
                out.tickets.append(_history(t, created, by_ticket.get(hd.id_str(t.get("id")))))
        out.tickets = out.tickets[: query.limit]
        return out

    async def _pages(
        self,
        api: Session,
        url: str,
        params: dict[str, str],
        notes: list[str],
        stop: Callable[[list[dict[str, Any]]], bool] = lambda _batch: False,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        next_url: str | None = url
        query: dict[str, str] | None = {**params, "page": "1"}
        for _ in range(self.config.max_pages):
            assert next_url is not None
            page = await api.get(next_url, query, ok_statuses=hd.MISSING)
            batch = hd.as_list(page.body)
            out += batch
            match = _NEXT.search(page.headers.get("link", ""))
            if match is None or stop(batch):
                return out
            next_url, query = match.group(1), None
            if not hd.same_origin(next_url, self.config.base_url):
                notes.append(f"{self.label}: stopped paging {url}: next link leaves the host")
                return out
        notes.append(f"{self.label}: read only the first {self.config.max_pages} pages of {url}")
        return out

    async def gather(self, api: Session, query: Query) -> Collected:
        out = Collected(
            notes=[
                f"{self.label}: Freshdesk search cannot match free text, so other customers' "
                "tickets with the same error were not looked for"
            ]
        )
        rid = hd.id_str(hd.as_dict(query.ticket.raw.get("ticket")).get("requester_id"))
        email = query.entities.requester_email or query.ticket.requester.email
        if not self.config.max_recent or not (rid.isdigit() or email):
            return out
        params = {"order_by": "created_at", "order_type": "desc", "per_page": "30"}
        params.update({"requester_id": rid} if rid.isdigit() else {"email": str(email)})
        page = await api.get("/api/v2/tickets", params, ok_statuses=hd.MISSING)
        for other in hd.as_list(page.body):
            oid = hd.id_str(other.get("id"))
            if not oid or oid == query.ticket.id:
                continue
            out.evidence.append(self._evidence(other, page.request))
            if len(out.evidence) >= self.config.max_recent:
                break
        return out

    def _evidence(self, t: dict[str, Any], sent: str) -> sdk.Evidence:
        oid = hd.id_str(t.get("id"))
        status = STATUS.get(t["status"], str(t["status"])) if t.get("status") else "unknown"
        text = " ".join(_text(t.get("description"), t.get("description_text")).split())
        return sdk.Evidence(
            source=self.name,
            kind="ticket",
            timestamp=parse_time(t.get("created_at")),
            title=f"Freshdesk #{oid}: {t.get('subject') or ''}"[:300],
            detail=f"the requester's other ticket ({status}): {text[:400]}",
            url=f"{self.config.base_url}/a/tickets/{oid}",
            query=sdk.MASKER.mask(sent),
            relation="requester",
            status=status.strip().lower(),
            record={
                "id": oid,
                "status": status,
                "requester_id": t.get("requester_id"),
                "company_id": t.get("company_id"),
                "created_at": t.get("created_at"),
            },
        )

    async def check(self) -> list[Check]:
        me = await self.whoami("/api/v2/agents/me")
        if isinstance(me, Check):
            return [me]
        if not isinstance(me.body, dict) or "id" not in me.body:
            return [Check("credentials", False, f"{self.label}: /api/v2/agents/me named no agent")]
        contact = hd.as_dict(me.body.get("contact"))
        return [
            Check("credentials", True, f"API key of agent {contact.get('email') or me.body['id']}"),
            Check(
                "not verified",
                True,
                "whether the agent's scope (global, group or restricted) covers every ticket",
                warning=True,
            ),
        ]


def _history(t: dict[str, Any], created: datetime, rating: dict[str, Any] | None) -> HistoryTicket:
    stats = hd.as_dict(t.get("stats"))
    value = hd.as_dict(hd.as_dict(rating).get("ratings")).get("default_question")
    company, group = hd.id_str(t.get("company_id")), hd.id_str(t.get("group_id"))
    return HistoryTicket(
        id=hd.id_str(t.get("id")),
        created_at=created,
        subject=str(t.get("subject") or ""),
        text=str(t.get("description_text") or "")[:2000],
        customer=f"company {company}"
        if company
        else f"requester {hd.id_str(t.get('requester_id'))}",
        priority=PRIORITY.get(t["priority"]) if isinstance(t.get("priority"), int) else None,
        channel=SOURCE.get(t["source"]) if isinstance(t.get("source"), int) else None,
        category=t.get("type") if isinstance(t.get("type"), str) else None,
        status=STATUS.get(t["status"], str(t["status"])) if t.get("status") else None,
        first_reply_at=parse_time(stats.get("first_responded_at")),
        solved_at=parse_time(stats.get("resolved_at")) or parse_time(stats.get("closed_at")),
        reopens=1 if stats.get("reopened_at") else 0,
        group=group or None,
        tags=[str(x) for x in t.get("tags") or [] if isinstance(x, str)],
        custom_fields={
            k: v for k, v in hd.as_dict(t.get("custom_fields")).items() if v not in (None, "")
        },
        rating=Rating(
            score=1 if value > 100 else 0,
            scale="good_bad",
            rated_at=parse_time(hd.as_dict(rating).get("created_at")),
        )
        if isinstance(value, int) and not isinstance(value, bool)
        else None,
    )


def _text(html: Any, plain: Any) -> str:
    if isinstance(html, str) and html.strip():
        return html_to_text(html)
    return str(plain or "").strip()


def _attachment(a: dict[str, Any]) -> str:
    return hd.attachment_note(a.get("name"), a.get("size"), a.get("content_type"))


def _comment(c: dict[str, Any], authors: dict[str, Any]) -> sdk.Comment:
    body = _text(c.get("body"), c.get("body_text"))
    files = [_attachment(a) for a in hd.as_list(c.get("attachments"))]
    body = hd.with_attachments(body, files)
    uid = hd.id_str(c.get("user_id"))
    return sdk.Comment(
        author=authors.get(uid) or c.get("from_email") or uid or None,
        body=body,
        created_at=parse_time(c.get("created_at")),
        public=not c.get("private", False),
    )


def _private_note_only(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"body", "private"}, "Freshdesk note")
    if data.get("private") is not True:
        raise sdk.ReadOnlyViolation("refused a Freshdesk note that is not private (private: true)")


_NOTE = hd.NoteRoute(
    "Freshdesk",
    "POST /api/v2/tickets/{id}/notes (private note only)",
    _private_note_only,
    lambda note: {"body": note, "private": True},
)
