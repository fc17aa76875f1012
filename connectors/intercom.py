"""`intercom`: Intercom conversations and tickets, with the contact and company, plus the
contact's other recent conversations and other customers' conversations quoting the same error.

    helpdesk:
      type: intercom
      access_token: ${INTERCOM_ACCESS_TOKEN}  # Developer Hub → your app → Authentication
      # region: us                           # us | eu | au (api.eu.intercom.io, …), or base_url
      # kind: auto                           # auto | conversation | ticket (what an ID names)
      # workspace_id: abc123de               # for deep links; read from /me when absent
      # related_lookback: 24h
      # max_related: 10
      # max_recent: 5

Every request sends `Intercom-Version: 2.14`. A ticket ID is read as a conversation
(`GET /conversations/{id}`: source + conversation parts, up to the 500 Intercom returns) and,
with `kind: auto`, as an Intercom ticket (`GET /tickets/{id}`: ticket parts) when no
conversation has it. The first contact is read (`GET /contacts/{id}`) and its first company
(`GET /companies/{id}`). Parts' HTML becomes clean text; notes are internal comments;
attachments are listed, not fetched.

Evidence (kind "ticket"): `POST /conversations/search` — read-only, and the only POST the
client allows (the body must be a search: `query` and `pagination` only) — for the contact's
other conversations and, per error signature, conversations created in `related_lookback`
whose `source.body` contains it, paged with `pages.next.starting_after`. Values travel as JSON
strings, never as query syntax.

History (`investigate stats`): the same search for conversations created in the period (and
whose `source.body` contains `--query`), 150 a page; each carries `statistics`
(`first_admin_reply_at`, `last_close_at`, `count_reopens`) and `conversation_rating` (1–5).
Intercom does not expose time spent snoozed, which the stats say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.history import History, HistoryQuery, HistoryTicket, Rating
from investigate.sdk.html_text import html_to_text
from investigate.sdk.http import Bearer, Session
from investigate.sdk.jsonapi import JsonResponse
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import ReadOnlyPost, WriteEndpoint

VERSION = "2.14"
_HOSTS = {"us": "https://api.intercom.io", "eu": "https://api.eu.intercom.io"}
_HOSTS["au"] = "https://api.au.intercom.io"
_HINTS = {
    401: "set connectors.{name}.access_token (e.g. ${INTERCOM_ACCESS_TOKEN}) to a valid "
    "Intercom access token, and check connectors.{name}.region",
    403: "the Intercom app behind connectors.{name}.access_token lacks the read scopes "
    "(conversations, contacts, companies, tickets)",
}
_SEARCH_KEYS = frozenset({"query", "pagination"})
_PRIORITY = {"priority": "high", "not_priority": "normal"}


def search_body_only(content: bytes) -> None:
    """The read-only guard's body check for the search endpoints: a search, nothing else."""
    try:
        body = json.loads(content or b"null")
    except ValueError:
        raise sdk.ReadOnlyViolation(
            "refused POST to an Intercom search: body is not JSON"
        ) from None
    if not isinstance(body, dict) or "query" not in body or set(body) - _SEARCH_KEYS:
        raise sdk.ReadOnlyViolation(
            "refused POST to an Intercom search: the body must hold only query and pagination"
        )


READ_ONLY_POSTS = (
    ReadOnlyPost("/conversations/search", search_body_only),
    ReadOnlyPost("/tickets/search", search_body_only),
    ReadOnlyPost("/contacts/search", search_body_only),
)


class IntercomWriteBack(note_kit.WriteBack):
    admin_id: str | None = Field(None, pattern=r"^[0-9]{1,20}$")
    """The teammate the note is posted as (Settings → Teammates, or GET /admins)."""


_RECORD = "status contact_ids created_at"
_RELATED = hd.RelatedSpec(
    "Intercom", "contact", "conversation", _RECORD, status="state", query_cap=1000
)


class IntercomConfig(hd.RelatedConfig):
    write_back: IntercomWriteBack = Field(default_factory=IntercomWriteBack)
    """`--post-note`: an admin note, with its own access token and the admin who writes it."""
    access_token: SecretStr
    region: Literal["us", "eu", "au"] = "us"
    base_url: str = Field("", description="Overrides region (proxies, tests).")
    kind: Literal["auto", "conversation", "ticket"] = "auto"
    workspace_id: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,40}$")
    max_related: int = Field(10, ge=0, le=150)
    max_recent: int = Field(5, ge=0, le=150)
    max_pages: int = Field(3, ge=1, le=50)
    max_history_pages: int = Field(
        20, ge=1, le=500, description="`investigate stats`: pages of 150 conversations."
    )

    @model_validator(mode="after")
    def _region(self) -> IntercomConfig:
        self.base_url = self.base_url or _HOSTS[self.region]
        return self


class Intercom(hd.HelpdeskConnector[IntercomConfig]):
    type_name = "intercom"
    config_model = IntercomConfig
    vendor_hints = _HINTS
    description = "Intercom conversations and tickets, the contact's and related conversations"
    auth = Bearer("access_token")
    headers: ClassVar[Mapping[str, str]] = {"Intercom-Version": VERSION}
    read_only_posts = READ_ONLY_POSTS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._workspace: str | None = self.config.workspace_id

    async def _get(self, api: Session, url: str) -> Any:
        return (await api.get(url, ok_statuses=hd.MISSING)).body

    # ticket source ----------------------------------------------------------------------

    def note_channel(self) -> note_kit.NoteChannel:
        """An admin note: `POST /conversations/{id}/reply` (or `/tickets/{id}/reply`) with
        `{"message_type": "note", "type": "admin", "admin_id": …, "body": html}` only."""
        wb = self.config.write_back
        options = note_kit.note_options(
            self.config.base_url,
            self.config.timeout,
            bearer=wb.token,
            headers={"Intercom-Version": VERSION},
        )

        def build(ticket: sdk.Ticket, body: str) -> note_kit.NoteRequest:
            number = hd.ticket_number(ticket.id, "Intercom")
            kind = "ticket" if "ticket" in ticket.raw else "conversation"
            note = {
                "message_type": "note",
                "type": "admin",
                "admin_id": wb.admin_id or "",
                "body": body,
            }
            return note_kit.NoteRequest("POST", f"/{kind}s/{number}/reply", note)

        missing = [n for n, v in (("token", wb.token), ("admin_id", wb.admin_id)) if not v]
        return note_kit.NoteChannel(
            vendor="Intercom",
            format="html",
            settings=wb,
            endpoint=WriteEndpoint(
                "POST", r"/(conversations|tickets)/\d{1,30}/reply", _admin_note_only
            ),
            label="POST /conversations/{id}/reply (admin note only)",
            options=options,
            build=build,
            problem=f"set {' and '.join(missing)}" if missing else None,
        )

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        number = hd.ticket_number(ticket_id, "Intercom")
        kinds = ["conversation", "ticket"] if self.config.kind == "auto" else [self.config.kind]
        async with self.session(None, timeout=self.own_timeout()) as api:
            for kind in kinds:
                body = await self._get(api, f"/{kind}s/{number}")
                if body is None:
                    continue
                if not isinstance(body, dict) or body.get("type") != kind:
                    raise sdk.SourceError(
                        f"{self.label}: /{kind}s/{number} did not return a {kind}"
                    )
                notes: list[str] = []
                contact, company = await self._people(api, body, notes)
                if self._workspace is None:
                    self._workspace = await self._workspace_id(api)
                return self._to_ticket(number, kind, body, contact, company, notes)
        raise sdk.TicketNotFound(
            f"ticket {number} not found in Intercom (looked for a {' or '.join(kinds)})",
            hint="pass the conversation ID from the inbox URL; set kind: ticket for ticket IDs",
        )

    async def _people(
        self, api: Session, body: dict[str, Any], notes: list[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The first contact and its first company; one that cannot be read (e.g. a token
        without the contacts scope) leaves it unknown, with a note, not the ticket unread."""
        refs = hd.as_list(hd.as_dict(body.get("contacts")).get("contacts"))
        cid = hd.id_str(refs[0].get("id")) if refs else ""
        if not cid or not cid.replace("-", "").isalnum():
            return {}, {}
        try:
            contact = hd.as_dict(await self._get(api, f"/contacts/{cid}"))
        except sdk.SourceError as exc:
            notes.append(f"{exc.message}: requester unknown")
            return {}, {}
        companies = hd.as_list(hd.as_dict(contact.get("companies")).get("data"))
        coid = hd.id_str(companies[0].get("id")) if companies else ""
        company: dict[str, Any] = {}
        if coid and coid.replace("-", "").isalnum():
            try:
                company = hd.as_dict(await self._get(api, f"/companies/{coid}"))
            except sdk.SourceError as exc:
                notes.append(f"{exc.message}: organization unknown")
        return contact, company

    async def _workspace_id(self, api: Session) -> str | None:
        try:
            me = hd.as_dict(await self._get(api, "/me"))
        except sdk.SourceError:
            return None
        code = hd.id_str(hd.as_dict(me.get("app")).get("id_code"))
        return code if code.isalnum() else None

    def link(self, conversation_id: str) -> str | None:
        if not self._workspace:
            return None
        return f"https://app.intercom.com/a/inbox/{self._workspace}/inbox/conversation/{conversation_id}"

    def _to_ticket(
        self,
        number: str,
        kind: str,
        body: dict[str, Any],
        contact: dict[str, Any],
        company: dict[str, Any],
        notes: list[str] | None = None,
    ) -> sdk.Ticket:
        if kind == "conversation":
            source = hd.as_dict(body.get("source"))
            description = html_to_text(source.get("body"))
            files = [_attachment(a) for a in hd.as_list(source.get("attachments"))]
            description = hd.with_attachments(description, files)
            subject = str(body.get("title") or html_to_text(source.get("subject")) or "")
            parts = hd.as_list(hd.as_dict(body.get("conversation_parts")).get("conversation_parts"))
            status = body.get("state")
            tags = [
                str(t.get("name")) for t in hd.as_list(hd.as_dict(body.get("tags")).get("tags"))
            ]
            fields = hd.as_dict(body.get("custom_attributes"))
        else:
            attrs = hd.as_dict(body.get("ticket_attributes"))
            subject = str(attrs.get("_default_title_") or "")
            description = html_to_text(str(attrs.get("_default_description_") or ""))
            parts = hd.as_list(hd.as_dict(body.get("ticket_parts")).get("ticket_parts"))
            status = hd.as_dict(body.get("ticket_state")).get("category")
            tags = []
            fields = {k: v for k, v in attrs.items() if not k.startswith("_default_")}
        if not subject:
            subject = description.split("\n", 1)[0][:120]
        created = hd.created(
            parse_time(body.get("created_at")), self.label, f"{kind} {number} has no created_at"
        )
        notes = list(notes or [])
        total = hd.as_dict(body.get(f"{kind}_parts")).get("total_count")
        if isinstance(total, int) and total > len(parts):
            notes.append(f"Intercom returned {len(parts)} of {total} parts")
        raw = hd.with_notes({kind: body, "contact": contact, "company": company}, notes)
        return sdk.Ticket(
            id=hd.id_str(body.get("id")) or number,
            url=self.link(hd.id_str(body.get("id")) or number),
            subject=subject,
            description=description,
            comments=[c for c in (_comment(p) for p in parts) if c is not None],
            requester=sdk.Person(name=contact.get("name"), email=contact.get("email")),
            organization=sdk.Organization(
                id=company.get("company_id") or company.get("id"), name=company.get("name")
            ),
            created_at=created,
            updated_at=parse_time(body.get("updated_at")),
            priority=_PRIORITY.get(str(body.get("priority"))),
            status=str(status) if status is not None else None,
            tags=tags,
            custom_fields=fields,
            raw=raw,
        )

    # history (`investigate stats`) -------------------------------------------------------

    async def ticket_history(self, query: HistoryQuery) -> History:
        terms: list[dict[str, Any]] = [
            {
                "field": "created_at",
                "operator": ">",
                "value": str(int(query.since.timestamp()) - 1),
            },
            {
                "field": "created_at",
                "operator": "<",
                "value": str(int(query.until.timestamp()) + 1),
            },
        ]
        if query.query.strip():
            terms.append(
                {"field": "source.body", "operator": "~", "value": query.query.strip()[:200]}
            )
        filters = {"operator": "AND", "value": terms}
        out = History(notes=[f"{self.label}: Intercom does not expose time spent snoozed"])
        after: str | None = None
        async with self.session(None, timeout=self.own_timeout()) as api:
            for _ in range(self.config.max_history_pages):
                page = await self._search_page(api, filters, 150, after)
                body = hd.as_dict(page.body)
                out.tickets += [
                    t
                    for c in hd.as_list(body.get("conversations"))
                    if (t := _history(c)) is not None
                ]
                nxt = hd.as_dict(hd.as_dict(body.get("pages")).get("next")).get("starting_after")
                if not nxt or len(out.tickets) >= query.limit:
                    break
                after = str(nxt)
            else:
                out.notes.append(
                    f"{self.label}: read only the first {self.config.max_history_pages} pages"
                )
        out.tickets = out.tickets[: query.limit]
        return out

    # evidence ---------------------------------------------------------------------------

    async def gather(self, api: Session, query: Query) -> Collected:
        async def search(item: tuple[str, dict[str, Any], str, int]) -> list[sdk.Evidence]:
            relation, filters, signature, cap = item
            found = await self._search(api, filters, cap, query)
            return self._related(query, found, relation, signature, cap)

        async def workspace() -> None:
            if self._workspace is None and self.config.max_related + self.config.max_recent:
                self._workspace = await self._workspace_id(api)

        searches = self._searches(query)
        return await hd.related_searches(
            self.label, "contact", searches, search, query, before=workspace
        )

    def _searches(self, query: Query) -> list[tuple[str, dict[str, Any], str, int]]:
        t = query.ticket
        out: list[tuple[str, dict[str, Any], str, int]] = []
        contact = hd.id_str(hd.as_dict(t.raw.get("contact")).get("id"))
        if self.config.max_recent and contact:
            one: dict[str, Any] = {"field": "contact_ids", "operator": "=", "value": contact}
            out.append(("requester", one, "", self.config.max_recent))
        if self.config.max_related:
            since = int((t.created_at - self.config.related_lookback).timestamp())
            signatures = query.entities.error_codes or query.entities.error_messages
            for signature in signatures[: self.config.max_signatures]:
                text = " ".join(signature.split())[:200]
                if len(text) < 3:
                    continue
                flt: dict[str, Any] = {
                    "operator": "AND",
                    "value": [
                        {"field": "created_at", "operator": ">", "value": str(since)},
                        {"field": "source.body", "operator": "~", "value": text},
                    ],
                }
                out.append(("same_signature", flt, text, self.config.max_related))
        return out

    async def _search_page(
        self, api: Session, filters: dict[str, Any], per_page: int, after: str | None
    ) -> JsonResponse:
        """One page of `POST /conversations/search` (read-only: a search body, nothing else)."""
        pagination: dict[str, Any] = {"per_page": per_page}
        if after:
            pagination["starting_after"] = after
        return await hd.post_json(
            api.client,
            "/conversations/search",
            {"query": filters, "pagination": pagination},
            label=self.label,
            name=self.name,
            max_bytes=self.config.max_response_bytes,
            hints=_HINTS,
        )

    async def _search(
        self, api: Session, filters: dict[str, Any], cap: int, query: Query
    ) -> list[tuple[dict[str, Any], str]]:
        found: list[tuple[dict[str, Any], str]] = []
        after: str | None = None
        for _ in range(self.config.max_pages):
            page = await self._search_page(api, filters, min(max(cap * 2, 5), 150), after)
            body = hd.as_dict(page.body)
            sent = f"{page.request} {json.dumps({'query': filters})}"
            found += [(c, sent) for c in hd.as_list(body.get("conversations"))]
            nxt = hd.as_dict(hd.as_dict(body.get("pages")).get("next")).get("starting_after")
            if not nxt or len(found) >= cap * 3 or query.expired():
                break
            after = str(nxt)
        return found

    def _related(
        self,
        query: Query,
        found: list[tuple[dict[str, Any], str]],
        relation: str,
        signature: str,
        cap: int,
    ) -> list[sdk.Evidence]:
        t = query.ticket
        own_contacts = {
            hd.id_str(c.get("id"))
            for c in hd.as_list(hd.as_dict(_own(t).get("contacts")).get("contacts"))
        } | {hd.id_str(hd.as_dict(t.raw.get("contact")).get("id"))}
        own_contacts.discard("")

        def keep(item: tuple[dict[str, Any], str]) -> bool:
            conv = item[0]
            cid = hd.id_str(conv.get("id"))
            if not cid or cid == t.id:
                return False
            theirs = {
                hd.id_str(c.get("id"))
                for c in hd.as_list(hd.as_dict(conv.get("contacts")).get("contacts"))
            }
            return not (relation == "same_signature" and theirs & own_contacts)

        return hd.first_related(
            found, cap, keep, lambda item: self._evidence(item[0], relation, signature, item[1])
        )

    def _evidence(
        self, conv: dict[str, Any], relation: str, signature: str, sent: str
    ) -> sdk.Evidence:
        cid = hd.id_str(conv.get("id"))
        source = hd.as_dict(conv.get("source"))
        text = " ".join(html_to_text(source.get("body")).split())
        title = str(conv.get("title") or html_to_text(source.get("subject")) or text[:80])
        ids = [
            hd.id_str(c.get("id"))
            for c in hd.as_list(hd.as_dict(conv.get("contacts")).get("contacts"))
        ]
        how, url = (relation, signature, sent), self.link(cid)
        return _RELATED.evidence(
            self.name, conv, how, url, subject=title, text=text, contact_ids=ids
        )

    # check --------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        found = await self.whoami("/me")
        if isinstance(found, Check):
            return [found]
        me = found.body
        if not isinstance(me, dict) or not me.get("id"):
            answer = (
                f"HTTP {found.status}" if me is None else f"HTTP {found.status} without an admin"
            )
            return [
                Check(
                    "credentials",
                    False,
                    f"{self.label}: {found.request} answered {answer} (check "
                    f"connectors.{self.name}.region / base_url: /me names the token's admin)",
                )
            ]
        app = hd.as_dict(me.get("app"))
        where = f" in workspace {app.get('name') or app.get('id_code')}" if app else ""
        return [
            Check("credentials", True, f"token of {me.get('email') or me.get('name')}{where}"),
            Check(
                "not verified",
                True,
                "the token's read scopes for conversations, tickets, contacts and companies "
                "(checked on the first fetch)",
                warning=True,
            ),
        ]


def _history(c: dict[str, Any]) -> HistoryTicket | None:
    created = parse_time(c.get("created_at"))
    if created is None:
        return None
    stats = hd.as_dict(c.get("statistics"))
    rating = hd.as_dict(c.get("conversation_rating")).get("rating")
    source = hd.as_dict(c.get("source"))
    text = html_to_text(source.get("body"))
    contacts = hd.as_list(hd.as_dict(c.get("contacts")).get("contacts"))
    contact = hd.id_str(contacts[0].get("id")) if contacts else ""
    closed = c.get("state") == "closed"
    return HistoryTicket(
        id=hd.id_str(c.get("id")),
        created_at=created,
        subject=str(c.get("title") or html_to_text(source.get("subject")) or text[:120]),
        text=text[:2000],
        customer=f"contact {contact}" if contact else None,
        priority=_PRIORITY.get(str(c.get("priority"))),
        channel=str(source.get("type")) if source.get("type") else None,
        status="closed" if closed else str(c.get("state") or "") or None,
        first_reply_at=parse_time(stats.get("first_admin_reply_at")),
        solved_at=parse_time(stats.get("last_close_at")) if closed else None,
        reopens=int(stats.get("count_reopens") or 0),
        group=hd.id_str(c.get("team_assignee_id")) or None,
        tags=[str(t.get("name")) for t in hd.as_list(hd.as_dict(c.get("tags")).get("tags"))],
        custom_fields=hd.as_dict(c.get("custom_attributes")),
        rating=Rating(score=float(rating), scale="1-5")
        if isinstance(rating, int) and 1 <= rating <= 5
        else None,
    )


def _own(ticket: sdk.Ticket) -> dict[str, Any]:
    return hd.as_dict(ticket.raw.get("conversation") or ticket.raw.get("ticket"))


def _attachment(a: dict[str, Any]) -> str:
    return hd.attachment_note(a.get("name"), a.get("filesize"), a.get("content_type"))


def _comment(part: dict[str, Any]) -> sdk.Comment | None:
    body = html_to_text(part.get("body")) if part.get("body") else ""
    files = [_attachment(a) for a in hd.as_list(part.get("attachments"))]
    body = hd.with_attachments(body, files)
    if not body:
        return None  # assignments, state changes, …: events, not conversation
    author = hd.as_dict(part.get("author"))
    return sdk.Comment(
        author=author.get("name") or author.get("email") or hd.id_str(author.get("id")) or None,
        body=body,
        created_at=parse_time(part.get("created_at")),
        public=part.get("part_type") != "note",
    )


def _admin_note_only(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"message_type", "type", "admin_id", "body"}, "Intercom reply")
    if data.get("message_type") != "note" or data.get("type") != "admin":
        raise sdk.ReadOnlyViolation("refused an Intercom reply that is not an admin note")
