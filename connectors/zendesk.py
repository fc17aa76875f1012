"""`zendesk`: tickets from Zendesk Support, plus the requester's other recent tickets and other
customers' recent tickets that share this ticket's error signature.

    helpdesk:
      type: zendesk
      subdomain: acme                       # https://acme.zendesk.com (or base_url: …)
      email: ${ZENDESK_EMAIL}               # the agent the API token belongs to
      api_token: ${ZENDESK_API_TOKEN}       # Admin Center → Apps and integrations → Zendesk API
      # oauth_token: ${ZENDESK_OAUTH_TOKEN} # instead of email + api_token (scope: read)
      # related_lookback: 24h               # how far back "same error, other customers" looks
      # max_related: 10                     # tickets per signature search
      # max_recent: 5                       # the requester's other recent tickets

Ticket: `GET /api/v2/tickets/{id}.json?include=users,organizations` (requester and organisation
sideloaded), then every comment, public and internal: `GET /api/v2/tickets/{id}/comments.json`
with cursor paging (`page[size]=100`, `meta.has_more`, `links.next`, never off the Zendesk
host). HTML bodies become clean text; attachments are listed (name, size, type), never fetched.

Evidence (kind "ticket"), via `GET /api/v2/search.json`: the requester's other recent tickets
(`type:ticket requester_id:…`) and, for each error code (or message) in the ticket, tickets
created in `related_lookback` before it that quote it (`type:ticket created>… "ERR_X"`), from
other organisations. Values are phrase-quoted with every `"`, `\\` and control character
removed, so ticket text can never add a search keyword.

Built on `investigate.sdk.http.HttpConnector` (client, auth, capped reads, hints); a 429
without `Retry-After` waits for Zendesk's `ratelimit-reset` (`helpdesk.VendorRetryAfter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.fieldchecks import one
from investigate.sdk.history import History, HistoryQuery, HistoryTicket, Rating
from investigate.sdk.html_text import html_to_text
from investigate.sdk.http import Basic, Bearer, Session, either
from investigate.sdk.jsonapi import JsonResponse
from investigate.sdk.rows import parse_time

_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,}$")
_UNSAFE = re.compile(r"[\"\\\x00-\x1f\x7f\u2028\u2029]+")
_HINTS = {
    401: "set connectors.{name}.email and connectors.{name}.api_token (e.g. ${ZENDESK_API_TOKEN}) "
    "to an agent's email and a valid API token, or connectors.{name}.oauth_token",
    403: "the Zendesk user of connectors.{name}.api_token (or oauth_token) cannot read this; "
    "use an agent or admin",
    404: "check connectors.{name}.subdomain / base_url",
}


_RECORD = "status priority requester_id organization_id created_at"
_RELATED = hd.RelatedSpec("Zendesk", "requester", "ticket", _RECORD, subject="subject raw_subject")


class ZendeskConfig(hd.RelatedConfig):
    """`write_back:` (`--post-note`) is a private comment, with its own agent email + API token."""

    subdomain: str | None = None
    base_url: str = Field("", description="Overrides subdomain (proxies, tests).")
    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    max_related: int = Field(10, ge=0, le=100)
    max_recent: int = Field(5, ge=0, le=100)
    max_comment_pages: int = Field(20, ge=1, le=200)
    max_history_pages: int = Field(
        10, ge=1, le=500, description="`investigate stats`: pages of tickets, metrics, ratings."
    )

    _sub = field_validator("subdomain")(
        one(_SUBDOMAIN.match, "subdomain is the 'acme' of acme.zendesk.com (letters, digits, -)")
    )

    @model_validator(mode="after")
    def _auth(self) -> ZendeskConfig:
        if not (self.subdomain or self.base_url):
            raise ValueError("set subdomain (acme for acme.zendesk.com) or base_url")
        if self.oauth_token is None and (self.api_token is None or not self.email):
            raise ValueError("set email and api_token (an API token), or oauth_token")
        self.base_url = self.base_url or f"https://{self.subdomain}.zendesk.com"
        return self


class Zendesk(hd.HelpdeskConnector[ZendeskConfig]):
    type_name = "zendesk"
    config_model = ZendeskConfig
    vendor_hints = _HINTS
    description = "Zendesk Support tickets, the requester's recent tickets and related tickets"
    auth = either(Bearer("oauth_token"), Basic("api_token", user_key="email", user_suffix="/token"))

    # write-back: the one write ------------------------------------------------------------

    def note_channel(self) -> note_kit.NoteChannel:
        """A private comment: `PUT /api/v2/tickets/{id}.json` with `{"ticket": {"comment":
        {"html_body": …, "public": false}}}` — the body check refuses any other ticket field."""
        wb = self.config.write_back
        auth = (f"{wb.email}/token", wb.token.get_secret_value()) if wb.token else None
        options = note_kit.note_options(self.config.base_url, self.config.timeout, auth=auth)

        problem = None if wb.token and wb.email else "set email and token (an agent's API token)"
        return _NOTE.channel(wb, options, problem)

    # ticket source ----------------------------------------------------------------------

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        number = hd.ticket_number(ticket_id, "Zendesk")
        async with self.session(None, timeout=self.own_timeout()) as api:
            found = await hd.get_ticket(
                api,
                f"/api/v2/tickets/{number}.json",
                {"include": "users,organizations"},
                f"ticket {number} not found in Zendesk ({self.config.base_url})",
                "check the ticket number, and that the agent can see it",
            )
            body = hd._object(found.body, "ticket", self.label)
            comments, users, notes = await self._comments(api, number)
        for user in hd.as_list(body.get("users")):
            users.setdefault(str(user.get("id")), user)
        return self._to_ticket(number, body, comments, users, notes)

    async def _comments(
        self, api: Session, number: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
        url: str | None = f"/api/v2/tickets/{number}/comments.json"
        params: dict[str, str] | None = {"page[size]": "100", "include": "users"}
        comments: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        for _ in range(self.config.max_comment_pages):
            assert url is not None
            page = await api.get(url, params, ok_statuses=hd.MISSING)
            body = page.body if isinstance(page.body, dict) else {}
            comments += hd.as_list(body.get("comments"))
            users.update({str(u.get("id")): u for u in hd.as_list(body.get("users"))})
            meta, links = hd.as_dict(body.get("meta")), hd.as_dict(body.get("links"))
            nxt = links.get("next")
            url = nxt if meta.get("has_more") and isinstance(nxt, str) else None
            params = None  # the next link carries its own query
            if not url:
                return comments, users, notes
            if not hd.same_origin(url, self.config.base_url):
                notes.append(f"stopped paging comments: next link leaves {self.config.base_url}")
                return comments, users, notes
        notes.append(f"only the first {self.config.max_comment_pages} pages of comments were read")
        return comments, users, notes

    def _to_ticket(
        self,
        number: str,
        body: dict[str, Any],
        comments: list[dict[str, Any]],
        users: dict[str, dict[str, Any]],
        notes: list[str],
    ) -> sdk.Ticket:
        t = body["ticket"]
        orgs = {str(o.get("id")): o for o in hd.as_list(body.get("organizations"))}
        requester = users.get(str(t.get("requester_id")), {})
        org = orgs.get(str(t.get("organization_id")), {})
        description = str(t.get("description") or "")
        mapped = [self._comment(c, users) for c in comments]
        if mapped and mapped[0].body.strip() == description.strip():
            mapped = mapped[1:]  # Zendesk's first comment is the description
        fields = {
            str(f.get("id")): f.get("value")
            for f in hd.as_list(t.get("custom_fields"))
            if f.get("value") not in (None, "", [])
        }
        raw = hd.with_notes({**body, "comments": comments}, notes)
        created = hd.created(
            parse_time(t.get("created_at")), self.label, f"ticket {number} has no created_at"
        )
        return sdk.Ticket(
            id=str(t.get("id") or number),
            url=f"{self.config.base_url}/agent/tickets/{number}",
            subject=str(t.get("subject") or t.get("raw_subject") or ""),
            description=description,
            comments=mapped,
            requester=sdk.Person(name=requester.get("name"), email=requester.get("email")),
            organization=sdk.Organization(
                id=t.get("organization_id"), name=org.get("name") if org else None
            ),
            created_at=created,
            updated_at=parse_time(t.get("updated_at")),
            priority=t.get("priority"),
            status=t.get("status"),
            tags=[str(x) for x in hd.as_any_list(t.get("tags"))],
            custom_fields=fields,
            raw=raw,
        )

    def _comment(self, c: dict[str, Any], users: dict[str, dict[str, Any]]) -> sdk.Comment:
        html = c.get("html_body")
        text = html_to_text(html) if html else str(c.get("plain_body") or c.get("body") or "")
        files = [
            hd.attachment_note(a.get("file_name"), a.get("size"), a.get("content_type"))
            for a in hd.as_list(c.get("attachments"))
        ]
        text = hd.with_attachments(text, files)
        author = users.get(str(c.get("author_id")), {})
        return sdk.Comment(
            author=author.get("name") or author.get("email") or hd.id_str(c.get("author_id")),
            body=text,
            created_at=parse_time(c.get("created_at")),
            public=bool(c.get("public", True)),
        )

    # evidence ---------------------------------------------------------------------------

    async def gather(self, api: Session, query: Query) -> Collected:
        async def search(item: tuple[str, str, str]) -> list[sdk.Evidence]:
            relation, text, signature = item
            page = await api.get(
                "/api/v2/search.json",
                {"query": text, "sort_by": "created_at", "sort_order": "desc"},
                ok_statuses=hd.MISSING,
            )
            return self._related(query, page, relation, signature)

        searches = self._searches(query)
        return await hd.related_searches(
            self.label, "requester", searches, search, query, expired_first=True
        )

    def _searches(self, query: Query) -> list[tuple[str, str, str]]:
        t = query.ticket
        mine = _own_ticket(t)
        out: list[tuple[str, str, str]] = []
        if self.config.max_recent:
            rid = hd.id_str(mine.get("requester_id"))
            email = query.entities.requester_email or t.requester.email
            if rid and rid.isdigit():
                out.append(("requester", f"type:ticket requester_id:{rid}", ""))
            elif email and _EMAIL.match(email):
                out.append(("requester", f"type:ticket requester:{email}", ""))
        if self.config.max_related:
            since = (t.created_at - self.config.related_lookback).strftime("%Y-%m-%dT%H:%M:%SZ")
            signatures = query.entities.error_codes or query.entities.error_messages
            for signature in signatures[: self.config.max_signatures]:
                phrase = quote_phrase(signature)
                if phrase:
                    out.append(
                        ("same_signature", f"type:ticket created>{since} {phrase}", signature)
                    )
        return out

    def _related(
        self, query: Query, page: JsonResponse, relation: str, signature: str
    ) -> list[sdk.Evidence]:
        t = query.ticket
        mine = _own_ticket(t)
        body = page.body if isinstance(page.body, dict) else {}
        cap = self.config.max_recent if relation == "requester" else self.config.max_related
        own_org = hd.id_str(mine.get("organization_id")) or (t.organization.id or "")

        def keep(r: dict[str, Any]) -> bool:
            rid = hd.id_str(r.get("id"))
            if not rid or rid == t.id or r.get("result_type", "ticket") != "ticket":
                return False
            # the same customer is not "another customer"
            return not (
                relation == "same_signature"
                and (
                    (own_org and hd.id_str(r.get("organization_id")) == own_org)
                    or (mine.get("requester_id") and r.get("requester_id") == mine["requester_id"])
                )
            )

        return hd.first_related(
            hd.as_list(body.get("results")),
            cap,
            keep,
            lambda r: self._evidence(r, relation, signature, page.request),
        )

    def _evidence(
        self, r: dict[str, Any], relation: str, signature: str, sent: str
    ) -> sdk.Evidence:
        url = f"{self.config.base_url}/agent/tickets/{hd.id_str(r.get('id'))}"
        return _RELATED.evidence(self.name, r, (relation, signature, sent), url)

    # history (`investigate stats`) --------------------------------------------------------

    async def ticket_history(self, query: HistoryQuery) -> History:
        """Tickets created in the period (`GET /api/v2/search.json`, offset pages, Zendesk's cap
        of 1000 results), their metrics (`GET /api/v2/ticket_metrics.json`, cursor pages,
        newest first, read until older than the period) and satisfaction ratings
        (`GET /api/v2/satisfaction_ratings.json?score=received`, admins only: otherwise the
        rating on the ticket)."""
        out = History()
        async with self.session(None, timeout=self.own_timeout()) as api:
            found = await self._history_tickets(api, query, out.notes)
            metrics = await self._metrics(api, query, out.notes)
            ratings = await self._ratings(api, query, out.notes)
        for t in found:
            tid = hd.id_str(t.get("id"))
            if tid:
                rating = ratings.get(tid) if ratings is not None else t.get("satisfaction_rating")
                out.tickets.append(_history_ticket(t, metrics.get(tid, {}), hd.as_dict(rating)))
        missing = sum(1 for t in out.tickets if t.first_reply_at is None and t.solved_at is None)
        if found and len(metrics) == 0:
            out.notes.append(
                f"{self.label}: no ticket metrics were readable; FRT and MTTR are empty"
            )
        elif missing:
            out.notes.append(f"{self.label}: {missing} tickets have no metrics (archived or new)")
        return out

    async def _pages(
        self,
        api: Session,
        url: str,
        params: dict[str, str] | None,
        key: str,
        notes: list[str],
        stop: Callable[[list[dict[str, Any]]], bool] = lambda _page: False,
    ) -> list[dict[str, Any]]:
        """Every item under `key`, following `links.next` (cursor) or `next_page` (offset) on
        the Zendesk host, at most `max_history_pages` pages."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(self.config.max_history_pages):
            assert next_url is not None
            page = await api.get(next_url, params, ok_statuses=hd.MISSING)
            body = page.body if isinstance(page.body, dict) else {}
            batch = hd.as_list(body.get(key))
            items += batch
            links, meta = hd.as_dict(body.get("links")), hd.as_dict(body.get("meta"))
            cursor = links.get("next") if meta.get("has_more") else None
            nxt = cursor if isinstance(cursor, str) else body.get("next_page")
            next_url, params = (nxt if isinstance(nxt, str) and nxt else None), None
            if next_url is None or stop(batch):
                return items
            if not hd.same_origin(next_url, self.config.base_url):
                notes.append(f"{self.label}: stopped paging {key}: next link leaves the host")
                return items
        notes.append(
            f"{self.label}: read only the first {self.config.max_history_pages} pages of {key}"
        )
        return items

    async def _history_tickets(
        self, api: Session, query: HistoryQuery, notes: list[str]
    ) -> list[dict[str, Any]]:
        text = f"type:ticket created>={_zd_time(query.since)} created<={_zd_time(query.until)}"
        if query.query.strip():
            text += " " + query.query.strip()
        params = {"query": text, "sort_by": "created_at", "sort_order": "desc"}
        results = await self._pages(api, "/api/v2/search.json", params, "results", notes)
        tickets = [r for r in results if r.get("result_type", "ticket") == "ticket"]
        if len(tickets) >= 1000:
            notes.append(
                f"{self.label}: Zendesk search returns at most 1000 tickets; narrow --since"
            )
        return tickets[: query.limit]

    async def _metrics(
        self, api: Session, query: HistoryQuery, notes: list[str]
    ) -> dict[str, dict[str, Any]]:
        def older(batch: list[dict[str, Any]]) -> bool:
            times = [parse_time(m.get("created_at")) for m in batch]
            known = [t for t in times if t is not None]
            return bool(known) and min(known) < query.since

        params = {"page[size]": "100"}
        try:
            found = await self._pages(
                api, "/api/v2/ticket_metrics.json", params, "ticket_metrics", notes, older
            )
        except sdk.SourceError as exc:
            notes.append(f"{self.label}: ticket metrics unreadable: {exc.message}")
            return {}
        return {hd.id_str(m.get("ticket_id")): m for m in found if hd.id_str(m.get("ticket_id"))}

    async def _ratings(
        self, api: Session, query: HistoryQuery, notes: list[str]
    ) -> dict[str, dict[str, Any]] | None:
        """Received ratings by ticket, or None when the list cannot be read."""
        params = {
            "score": "received",
            "start_time": str(int(query.since.timestamp())),
            "end_time": str(int(query.until.timestamp())),
            "page[size]": "100",
        }
        try:
            found = await self._pages(
                api, "/api/v2/satisfaction_ratings.json", params, "satisfaction_ratings", notes
            )
        except sdk.SourceError as exc:
            notes.append(
                f"{self.label}: satisfaction ratings list unreadable ({exc.message}); "
                "using the rating on each ticket"
            )
            return None
        return {hd.id_str(r.get("ticket_id")): r for r in found if hd.id_str(r.get("ticket_id"))}

    # check --------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        me = await self.whoami("/api/v2/users/me.json")
        if isinstance(me, Check):
            return [me]
        if me.body is None:
            return [
                Check(
                    "credentials", False, f"{self.label}: {self.config.base_url} has no Zendesk API"
                )
            ]
        user = me.body.get("user") if isinstance(me.body, dict) else None
        if not isinstance(user, dict) or user.get("id") is None:
            return [
                Check(
                    "credentials",
                    False,
                    f"{self.label}: Zendesk answered as an anonymous user; "
                    f"set connectors.{self.name}.email and api_token (or oauth_token)",
                )
            ]
        role = str(user.get("role") or "unknown role")
        checks = [Check("credentials", True, f"signed in as {user.get('email')} ({role})")]
        if role == "end-user":
            checks.append(
                Check("role", False, "an end-user cannot read tickets; use an agent", warning=True)
            )
        checks.append(
            Check(
                "not verified",
                True,
                "whether this agent can see every ticket (group or brand restrictions) and "
                "internal notes; fetch one ticket to confirm",
                warning=True,
            )
        )
        return checks


# --- history --------------------------------------------------------------------------------


def _zd_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _calendar(metric: dict[str, Any], key: str) -> float | None:
    value = hd.as_dict(metric.get(key)).get("calendar")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _history_ticket(
    t: dict[str, Any], metric: dict[str, Any], rating: dict[str, Any]
) -> HistoryTicket:
    """A search result plus its metric set: the first reply and the solve from Zendesk's own
    calendar minutes, pending (agent wait) plus on-hold time as the paused time."""
    created = parse_time(t.get("created_at")) or datetime.now(UTC)
    reply = _calendar(metric, "reply_time_in_minutes")
    waits = [
        _calendar(metric, "agent_wait_time_in_minutes"),
        _calendar(metric, "on_hold_time_in_minutes"),
    ]
    known = [w for w in waits if w is not None]
    score = rating.get("score")
    org, requester = hd.id_str(t.get("organization_id")), hd.id_str(t.get("requester_id"))
    fields = {
        str(f.get("id")): f.get("value")
        for f in hd.as_list(t.get("custom_fields"))
        if f.get("value") not in (None, "", [])
    }
    return HistoryTicket(
        id=hd.id_str(t.get("id")),
        created_at=created,
        subject=str(t.get("subject") or t.get("raw_subject") or ""),
        text=str(t.get("description") or "")[:2000],
        customer=f"organization {org}" if org else f"requester {requester}" if requester else None,
        priority=t.get("priority"),
        channel=hd.as_dict(t.get("via")).get("channel"),
        category=t.get("type"),
        status=t.get("status"),
        first_reply_at=created + timedelta(minutes=reply) if reply is not None else None,
        solved_at=parse_time(metric.get("solved_at")),
        reopens=int(metric.get("reopens") or 0),
        paused=timedelta(minutes=sum(known)) if metric and known else None,
        group=hd.id_str(t.get("group_id")) or None,
        tags=[str(x) for x in hd.as_any_list(t.get("tags"))],
        custom_fields=fields,
        rating=Rating(score=1 if score == "good" else 0, scale="good_bad")
        if score in ("good", "bad")
        else None,
    )


# --- Zendesk search syntax ------------------------------------------------------------------


def quote_phrase(value: str, limit: int = 120) -> str | None:
    """A Zendesk search phrase (`"…"`) that is always one term: Zendesk has no escape inside a
    phrase, so `"`, `\\` and control characters are removed and whitespace collapsed."""
    text = " ".join(_UNSAFE.sub(" ", value).split())[:limit].strip()
    return f'"{text}"' if len(text) >= 3 else None


def _own_ticket(ticket: sdk.Ticket) -> dict[str, Any]:
    value = ticket.raw.get("ticket")
    return value if isinstance(value, dict) else {}


# --- shared by the helpdesk connectors ------------------------------------------------------


def _private_comment_only(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"ticket"}, "Zendesk ticket update")
    ticket = data.get("ticket")
    if not isinstance(ticket, dict):
        raise sdk.ReadOnlyViolation("refused a Zendesk ticket update without a ticket object")
    note_kit.only_keys(ticket, {"comment"}, "Zendesk ticket update")
    comment = ticket.get("comment")
    if not isinstance(comment, dict) or comment.get("public") is not False:
        raise sdk.ReadOnlyViolation("refused a Zendesk comment that is not private (public: false)")
    note_kit.only_keys(comment, {"html_body", "body", "public"}, "Zendesk comment")


_NOTE = hd.NoteRoute(
    "Zendesk",
    "PUT /api/v2/tickets/{id}.json (private comment only)",
    _private_comment_only,
    lambda note: {"ticket": {"comment": {"html_body": note, "public": False}}},
)
