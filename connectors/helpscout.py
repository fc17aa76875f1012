"""`helpscout`: Help Scout (Mailbox API 2.0) conversations with every thread, the customer and
their organisation, plus the customer's other recent conversations and other customers'
conversations quoting the same error.

    helpdesk:
      type: helpscout
      app_id: ${HELPSCOUT_APP_ID}           # Your Profile → My Apps → Create App
      app_secret: ${HELPSCOUT_APP_SECRET}
      # related_lookback: 24h
      # max_related: 10
      # max_recent: 5

Auth is OAuth client credentials: `POST /v2/oauth2/token` (form `grant_type=client_credentials`,
`client_id`, `client_secret`) — the only POST the client allows, and only with exactly that
body; the token is kept until shortly before it expires and never printed.

Ticket: `GET /v2/conversations/{id}?embed=threads` (HAL: `_embedded.threads`); when the
conversation has more threads than were embedded, `GET /v2/conversations/{id}/threads` pages
through `_links.next.href` (never off the Help Scout host). Notes are internal comments; HTML
bodies become clean text; attachments (`_embedded.attachments`) are listed, not fetched. The
customer is read (`GET /v2/customers/{id}`) for the organisation. Rate limits: a 429's
`X-RateLimit-Retry-After` is honoured within the deadline.

Evidence (kind "ticket"), via `GET /v2/conversations?query=…&status=all`: the customer's other
conversations (`(customerIds:…)`) and, per error signature, conversations created in
`related_lookback` whose body quotes it (`(body:"ERR_X" AND createdAt:[… TO *])`). Values are
phrase-quoted with quotes, backslashes, parentheses and control characters removed.

History (`investigate stats`): `GET /v2/conversations?query=(createdAt:[A TO B])&status=all&
embed=threads` (pages via `_links.next.href`): the first agent reply is the first `reply`/
`message`/`chat` thread by a user, and the threads' `status` (active, pending, closed) give the
solve, reopens and time spent pending. Ratings: the happiness ratings report
(`GET /v2/reports/happiness/ratings`, Plus and Pro plans; otherwise said): great counts as
satisfied, okay and not good do not (the good/bad scale).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import Field, SecretStr, field_validator

from investigate import sdk
from investigate.sdk import helpdesk as hd
from investigate.sdk import notes as note_kit
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.fieldchecks import http_url
from investigate.sdk.history import (
    History,
    HistoryQuery,
    HistoryTicket,
    Rating,
    StatusChange,
    from_status_changes,
)
from investigate.sdk.html_text import html_to_text
from investigate.sdk.http import Session
from investigate.sdk.jsonapi import HttpFailure, JsonResponse
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import ReadOnlyPost

TOKEN_PATH = "/v2/oauth2/token"  # noqa: S105 (a path, not a secret)
_UNSAFE = re.compile(r"[\"\\()\[\]{}\x00-\x1f\x7f\u2028\u2029]+")
_HINTS = {
    401: "set connectors.{name}.app_id and connectors.{name}.app_secret (e.g. ${HELPSCOUT_APP_ID}"
    ", ${HELPSCOUT_APP_SECRET}) to a Help Scout app's ID and secret (Your Profile → My Apps)",
    403: "the Help Scout user who owns the app in connectors.{name}.app_id cannot see this mailbox",
}
_TOKEN_KEYS = frozenset({"grant_type", "client_id", "client_secret"})


def token_body_only(content: bytes) -> None:
    """The guard's body check for the token endpoint: a client-credentials grant, nothing else."""
    try:
        fields = dict(parse_qsl(content.decode("ascii"), strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        raise sdk.ReadOnlyViolation(
            "refused POST to the Help Scout token endpoint: not a form"
        ) from None
    if set(fields) != _TOKEN_KEYS or fields.get("grant_type") != "client_credentials":
        raise sdk.ReadOnlyViolation(
            "refused POST to the Help Scout token endpoint: only a client_credentials grant "
            "may be sent"
        )


_RECORD = "number status customer_id created_at"
_RELATED = hd.RelatedSpec(
    "Help Scout", "customer", "conversation", _RECORD, "number", text="preview", created="createdAt"
)


class HelpScoutConfig(hd.RelatedConfig):
    """`write_back:` (`--post-note`) is a note thread, with an OAuth access token as `token`."""

    app_id: SecretStr
    app_secret: SecretStr
    base_url: str = "https://api.helpscout.net"
    web_url: str = Field("https://secure.helpscout.net", description="For deep links.")
    max_related: int = Field(10, ge=0, le=50)
    max_recent: int = Field(5, ge=0, le=50)
    max_pages: int = Field(20, ge=1, le=200)

    _url = field_validator("web_url")(http_url("must start with https://"))


class HelpScout(hd.HelpdeskConnector[HelpScoutConfig]):
    type_name = "helpscout"
    config_model = HelpScoutConfig
    vendor_hints = _HINTS
    description = "Help Scout conversations, the customer's and related conversations"
    read_only_posts = (ReadOnlyPost(TOKEN_PATH, token_body_only),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._expires = 0.0

    async def _sign_in(self, api: Session) -> None:
        """The app's access token (kept until shortly before it expires) on `api`'s client."""
        if not (self._token and time.monotonic() < self._expires):
            self._token, self._expires = await self._access_token(api)
        api.client.headers["Authorization"] = f"Bearer {self._token}"

    async def _access_token(self, api: Session) -> tuple[str, float]:
        c = self.config
        try:
            answer = await hd.post_json(
                api.client,
                TOKEN_PATH,
                {
                    "grant_type": "client_credentials",
                    "client_id": c.app_id.get_secret_value(),
                    "client_secret": c.app_secret.get_secret_value(),
                },
                label=self.label,
                name=self.name,
                max_bytes=c.max_response_bytes,
                hints=_HINTS,
                form=True,
            )
        except HttpFailure as exc:
            if exc.http_status in (400, 401):  # invalid_client is a 400 or a 401
                exc.hint = _HINTS[401].replace("{name}", self.name)
            raise
        body = hd.as_dict(answer.body)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise sdk.SourceError(f"{self.label}: the token endpoint returned no access_token")
        sdk.MASKER.add(token)
        expires = body.get("expires_in")
        life = float(expires) if isinstance(expires, int | float) else 3600.0
        return token, time.monotonic() + max(life - 60, 30)

    # ticket source ----------------------------------------------------------------------

    def note_channel(self) -> note_kit.NoteChannel:
        """A note thread: `POST /v2/conversations/{id}/notes` with `{"text": html}` only (a
        `status` field would change the conversation: refused)."""
        wb = self.config.write_back
        options = note_kit.note_options(self.config.base_url, self.config.timeout, bearer=wb.token)

        problem = None if wb.token else "set token (an OAuth access token of a Help Scout user)"
        return _NOTE.channel(wb, options, problem)

    async def fetch_ticket(self, ticket_id: str) -> sdk.Ticket:
        number = hd.ticket_number(ticket_id, "Help Scout")
        async with self.session(None, timeout=self.own_timeout()) as api:
            await self._sign_in(api)
            found = await hd.get_ticket(
                api,
                f"/v2/conversations/{number}",
                {"embed": "threads"},
                f"ticket {number} not found in Help Scout (conversation {number})",
                "pass the conversation ID from its URL (/conversation/<id>/<number>)",
            )
            conv = hd.as_dict(found.body)
            if "id" not in conv:
                raise sdk.SourceError(
                    f"{self.label}: /v2/conversations/{number} returned no conversation"
                )
            threads = hd.as_list(hd.as_dict(conv.get("_embedded")).get("threads"))
            notes: list[str] = []
            count = conv.get("threads")
            if isinstance(count, int) and count > len(threads):
                threads, notes = await self._threads(api, number)
            customer = await self._customer(api, conv)
        return self._to_ticket(number, conv, threads, customer, notes)

    async def _threads(self, api: Session, number: str) -> tuple[list[dict[str, Any]], list[str]]:
        url = f"/v2/conversations/{number}/threads"
        out: list[dict[str, Any]] = []
        for _ in range(self.config.max_pages):
            page = hd.as_dict((await api.get(url, ok_statuses=hd.MISSING)).body)
            out += hd.as_list(hd.as_dict(page.get("_embedded")).get("threads"))
            nxt = hd.as_dict(hd.as_dict(page.get("_links")).get("next")).get("href")
            if not isinstance(nxt, str) or not nxt:
                return out, []
            if not hd.same_origin(nxt, self.config.base_url):
                return out, [f"stopped paging threads: next link leaves {self.config.base_url}"]
            url = nxt
        return out, [f"only the first {self.config.max_pages} pages of threads were read"]

    async def _customer(self, api: Session, conv: dict[str, Any]) -> dict[str, Any]:
        who = hd.as_dict(conv.get("primaryCustomer") or conv.get("customer"))
        cid = hd.id_str(who.get("id"))
        if not cid.isdigit():
            return who
        found = await api.get(f"/v2/customers/{cid}", ok_statuses=hd.MISSING)
        return {**who, **hd.as_dict(found.body)}

    def _to_ticket(
        self,
        number: str,
        conv: dict[str, Any],
        threads: list[dict[str, Any]],
        customer: dict[str, Any],
        notes: list[str],
    ) -> sdk.Ticket:
        created = hd.created(
            parse_time(conv.get("createdAt")), self.label, f"conversation {number} has no createdAt"
        )
        ordered = sorted(threads, key=lambda t: str(t.get("createdAt") or ""))
        comments = [c for c in (_comment(t) for t in ordered) if c is not None]
        first_customer = next((c for c in comments if c.public), None)
        description = first_customer.body if first_customer else str(conv.get("preview") or "")
        if first_customer is not None:
            comments.remove(first_customer)
        email = customer.get("email") or _first_email(customer)
        name = str(customer.get("firstName") or customer.get("first") or "")
        last = str(customer.get("lastName") or customer.get("last") or "")
        raw = hd.with_notes({"conversation": conv, "threads": threads, "customer": customer}, notes)
        org_name = (
            customer.get("organization") if isinstance(customer.get("organization"), str) else None
        )
        cid = hd.id_str(conv.get("id")) or number
        return sdk.Ticket(
            id=cid,
            url=f"{self.config.web_url}/conversation/{cid}/{hd.id_str(conv.get('number')) or cid}",
            subject=str(conv.get("subject") or ""),
            description=description,
            comments=comments,
            requester=sdk.Person(name=f"{name} {last}".strip() or None, email=email),
            organization=sdk.Organization(
                id=hd.id_str(customer.get("organizationId")) or None, name=org_name or None
            ),
            created_at=created,
            updated_at=parse_time(conv.get("userUpdatedAt") or conv.get("closedAt")),
            priority=None,
            status=str(conv.get("status")) if conv.get("status") else None,
            tags=[str(t.get("tag") or t.get("name")) for t in hd.as_list(conv.get("tags"))],
            custom_fields={
                str(f.get("name") or f.get("id")): f.get("text") or f.get("value")
                for f in hd.as_list(conv.get("customFields"))
            },
            raw=raw,
        )

    # evidence ---------------------------------------------------------------------------

    async def ticket_history(self, query: HistoryQuery) -> History:
        span = f"(createdAt:[{_hs_time(query.since)} TO {_hs_time(query.until)}])"
        text = f"{span} AND ({query.query.strip()})" if query.query.strip() else span
        params = {"query": text, "status": "all", "embed": "threads", "sortField": "createdAt"}
        out = History()
        async with self.session(None, timeout=self.own_timeout()) as api:
            await self._sign_in(api)
            convs = await self._hal_pages(api, "/v2/conversations", params, out.notes)
            ratings = await self._happiness(api, query, out.notes)
        for conv in convs[: query.limit]:
            found = _history(conv, ratings.get(hd.id_str(conv.get("id"))))
            if found is not None:
                out.tickets.append(found)
        return out

    async def _hal_pages(
        self, api: Session, url: str, params: dict[str, str], notes: list[str]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        query: dict[str, str] | None = params
        for _ in range(self.config.max_pages):
            assert next_url is not None
            body = hd.as_dict((await api.get(next_url, query, ok_statuses=hd.MISSING)).body)
            items += hd.as_list(hd.as_dict(body.get("_embedded")).get("conversations"))
            href = hd.as_dict(hd.as_dict(body.get("_links")).get("next")).get("href")
            if not isinstance(href, str) or not href:
                return items
            if not hd.same_origin(href, self.config.base_url):
                notes.append(f"{self.label}: stopped paging: next link leaves the host")
                return items
            next_url, query = href, None
        notes.append(f"{self.label}: read only the first {self.config.max_pages} pages")
        return items

    async def _happiness(
        self, api: Session, query: HistoryQuery, notes: list[str]
    ) -> dict[str, int]:
        """Conversation id → ratingId (1 great, 2 okay, 3 not good)."""
        out: dict[str, int] = {}
        base = {"start": _hs_time(query.since), "end": _hs_time(query.until), "rating": "all"}
        for number in range(1, self.config.max_pages + 1):
            try:
                found = await api.get(
                    "/v2/reports/happiness/ratings",
                    {**base, "page": str(number)},
                    ok_statuses=hd.MISSING,
                )
            except sdk.SourceError as exc:
                notes.append(
                    f"{self.label}: no happiness ratings ({exc.message}; Plus and Pro plans)"
                )
                return out
            body = hd.as_dict(found.body)
            for row in hd.as_list(body.get("results")):
                if isinstance(row.get("ratingId"), int):
                    out[hd.id_str(row.get("id"))] = row["ratingId"]
            pages = body.get("pages")
            if not isinstance(pages, int) or number >= pages:
                return out
        notes.append(f"{self.label}: read only the first {self.config.max_pages} pages of ratings")
        return out

    async def gather(self, api: Session, query: Query) -> Collected:
        async def search(item: tuple[str, str, str]) -> list[sdk.Evidence]:
            relation, text, signature = item
            params = {"query": text, "status": "all", "sortField": "createdAt", "sortOrder": "desc"}
            page = await api.get("/v2/conversations", params, ok_statuses=hd.MISSING)
            return self._related(query, page, relation, signature)

        async def sign_in() -> None:
            await self._sign_in(api)

        searches = self._searches(query)
        return await hd.related_searches(
            self.label, "customer", searches, search, query, before=sign_in
        )

    def _searches(self, query: Query) -> list[tuple[str, str, str]]:
        t = query.ticket
        out: list[tuple[str, str, str]] = []
        customer = hd.id_str(hd.as_dict(t.raw.get("customer")).get("id"))
        if self.config.max_recent and customer.isdigit():
            out.append(("requester", f"(customerIds:{customer})", ""))
        if self.config.max_related:
            since = (t.created_at - self.config.related_lookback).strftime("%Y-%m-%dT%H:%M:%SZ")
            signatures = query.entities.error_codes or query.entities.error_messages
            for signature in signatures[: self.config.max_signatures]:
                phrase = " ".join(_UNSAFE.sub(" ", signature).split())[:120]
                if len(phrase) >= 3:
                    text = f'(body:"{phrase}" AND createdAt:[{since} TO *])'
                    out.append(("same_signature", text, signature))
        return out

    def _related(
        self, query: Query, page: JsonResponse, relation: str, signature: str
    ) -> list[sdk.Evidence]:
        t = query.ticket
        own_customer = hd.id_str(hd.as_dict(t.raw.get("customer")).get("id"))
        cap = self.config.max_recent if relation == "requester" else self.config.max_related

        def keep(conv: dict[str, Any]) -> bool:
            cid = hd.id_str(conv.get("id"))
            who = hd.id_str(hd.as_dict(conv.get("primaryCustomer")).get("id"))
            if not cid or cid == t.id:
                return False
            return not (relation == "same_signature" and own_customer and who == own_customer)

        return hd.first_related(
            hd.as_list(hd.as_dict(hd.as_dict(page.body).get("_embedded")).get("conversations")),
            cap,
            keep,
            lambda conv: self._evidence(conv, relation, signature, page.request),
        )

    def _evidence(
        self, conv: dict[str, Any], relation: str, signature: str, sent: str
    ) -> sdk.Evidence:
        cid, number = hd.id_str(conv.get("id")), hd.id_str(conv.get("number"))
        url = f"{self.config.web_url}/conversation/{cid}/{number or cid}"
        customer = hd.as_dict(conv.get("primaryCustomer")).get("id")
        how = (relation, signature, sent)
        return _RELATED.evidence(self.name, conv, how, url, customer_id=customer)

    # check --------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        me = await self.whoami("/v2/users/me", self._sign_in)
        if isinstance(me, Check):
            return [me]
        user = hd.as_dict(me.body)
        if "id" not in user:
            return [Check("credentials", False, f"{self.label}: /v2/users/me named no user")]
        return [
            Check(
                "credentials", True, f"app of {user.get('email')} ({user.get('role') or 'user'})"
            ),
            Check(
                "not verified",
                True,
                "which mailboxes this user can see (conversations elsewhere will be 'not found')",
                warning=True,
            ),
        ]


_AGENT_THREADS = frozenset({"reply", "message", "chat", "phone"})
_STATUS = {"active": "open", "closed": "closed", "pending": "pending", "spam": "closed"}


def _hs_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _history(conv: dict[str, Any], rating_id: int | None) -> HistoryTicket | None:
    created = parse_time(conv.get("createdAt"))
    if created is None:
        return None
    threads = sorted(
        hd.as_list(hd.as_dict(conv.get("_embedded")).get("threads")),
        key=lambda t: str(t.get("createdAt") or ""),
    )
    replies = [
        when
        for t in threads
        if t.get("type") in _AGENT_THREADS
        and hd.as_dict(t.get("createdBy")).get("type") == "user"
        and (when := parse_time(t.get("createdAt"))) is not None
    ]
    changes = [
        StatusChange(_STATUS.get(str(t.get("status")), str(t.get("status"))), when)
        for t in threads
        if t.get("status") not in (None, "", "nochange")
        and (when := parse_time(t.get("createdAt"))) is not None
    ]
    solved_at, reopens, paused = from_status_changes(changes)
    status = _STATUS.get(str(conv.get("status")), str(conv.get("status") or "")) or None
    if status == "closed" and solved_at is None:
        solved_at = parse_time(conv.get("closedAt"))
    customer = hd.id_str(hd.as_dict(conv.get("primaryCustomer")).get("id"))
    return HistoryTicket(
        id=hd.id_str(conv.get("id")),
        created_at=created,
        subject=str(conv.get("subject") or ""),
        text=str(conv.get("preview") or ""),
        customer=f"customer {customer}" if customer else None,
        channel=str(conv.get("type")) if conv.get("type") else None,
        status=status,
        first_reply_at=min(replies) if replies else None,
        solved_at=solved_at,
        reopens=reopens,
        paused=paused if changes else None,
        group=hd.id_str(conv.get("mailboxId")) or None,
        tags=[str(t.get("tag")) for t in hd.as_list(conv.get("tags")) if t.get("tag")],
        custom_fields={
            str(f.get("name")): f.get("value") for f in hd.as_list(conv.get("customFields"))
        },
        rating=Rating(score=1 if rating_id == 1 else 0, scale="good_bad")
        if rating_id in (1, 2, 3)
        else None,
    )


def _first_email(customer: dict[str, Any]) -> str | None:
    emails = hd.as_list(hd.as_dict(customer.get("_embedded")).get("emails"))
    value = emails[0].get("value") if emails else None
    return str(value) if value else None


def _comment(thread: dict[str, Any]) -> sdk.Comment | None:
    kind = str(thread.get("type") or "")
    body = html_to_text(thread.get("body")) if thread.get("body") else ""
    files = [
        hd.attachment_note(a.get("filename"), a.get("size"), a.get("mimeType"))
        for a in hd.as_list(hd.as_dict(thread.get("_embedded")).get("attachments"))
    ]
    body = hd.with_attachments(body, files)
    if not body or kind == "lineitem":
        return None  # status changes, assignments: events, not conversation
    who = hd.as_dict(thread.get("createdBy"))
    name = " ".join(str(who.get(k) or "") for k in ("first", "last")).strip()
    return sdk.Comment(
        author=name or who.get("email") or None,
        body=body,
        created_at=parse_time(thread.get("createdAt")),
        public=kind != "note",
    )


def _note_text_only(body: bytes) -> None:
    data = note_kit.require_json(body)
    note_kit.only_keys(data, {"text"}, "Help Scout note")
    if not isinstance(data.get("text"), str):
        raise sdk.ReadOnlyViolation("refused a Help Scout note without text")


_NOTE = hd.NoteRoute(
    "Help Scout",
    "POST /v2/conversations/{id}/notes (note thread only)",
    _note_text_only,
    lambda note: {"text": note},
)
