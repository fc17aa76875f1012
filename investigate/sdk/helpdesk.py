"""Plumbing shared by the helpdesk connectors (Zendesk, Intercom, Freshdesk, Help Scout):
vendor rate-limit headers, ticket numbers, attachments listed not downloaded, same-origin
paging, and a capped JSON POST (a search, a token exchange) with one-line errors; GETs go
through `investigate.sdk.http.Session`."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx2
from pydantic import Field

from investigate.config import Duration
from investigate.errors import SourceError, TicketNotFound
from investigate.models import Evidence, Ticket
from investigate.sdk.contract import Check, Collected, Query
from investigate.sdk.http import H, HttpConfig, HttpConnector, Session
from investigate.sdk.jsonapi import HttpFailure, JsonResponse, read_upto
from investigate.sdk.notes import NoteChannel, NoteFormat, NoteRequest, WriteBack
from investigate.sdk.rows import parse_time
from investigate.sdk.transport import BodyCheck, HttpOptions, WriteEndpoint, describe, source_error
from investigate.secrets import MASKER

_RESET_HEADERS = ("x-ratelimit-retry-after", "ratelimit-reset", "x-rate-limit-reset")
S = TypeVar("S")
MISSING = frozenset({404})
"""`Session.get(..., ok_statuses=MISSING)`: a 404 is `body=None` (the caller says what is missing)."""


def vendor_wait(headers: httpx2.Headers, now: float | None = None) -> float | None:
    """Seconds to wait from a vendor's rate-limit header: Help Scout `X-RateLimit-Retry-After`,
    Zendesk `ratelimit-reset` (seconds), or `X-RateLimit-Reset` (Intercom: an epoch time)."""
    for name in (*_RESET_HEADERS, "x-ratelimit-reset"):
        value = headers.get(name, "").strip()
        try:
            number = float(value)
        except ValueError:
            continue
        if not math.isfinite(number):
            continue
        if number > 1e9:  # an epoch time
            number -= now if now is not None else time.time()
        return max(0.0, number)
    return None


class VendorRetryAfter(httpx2.AsyncBaseTransport):
    """Inner transport: a 429 without `Retry-After` gets one from the vendor's own rate-limit
    header, so `investigate.sdk.transport`'s retry (deadline-bounded) waits the right time."""

    def __init__(self, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code == 429 and "retry-after" not in response.headers:
            wait = vendor_wait(response.headers)
            if wait is not None:
                response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class HelpdeskConfig(HttpConfig):
    """Keys every helpdesk connector accepts: its response cap and `write_back:` (`--post-note`,
    with credentials of its own)."""

    max_response_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)
    write_back: WriteBack = Field(default_factory=WriteBack)


class RelatedConfig(HelpdeskConfig):
    """A helpdesk that searches other customers' tickets quoting this one's error signatures:
    how far back (`related_lookback`) and for how many signatures."""

    related_lookback: Duration = timedelta(hours=24)
    max_signatures: int = Field(3, ge=0, le=10)


class HelpdeskConnector(HttpConnector[H]):
    """An `HttpConnector` for a helpdesk: a client of its own per session (not pooled), and a
    429 without `Retry-After` waits for the vendor's rate-limit header (`VendorRetryAfter`)."""

    pooled: ClassVar[bool] = False

    def transport(self, inner: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return VendorRetryAfter(inner)

    async def whoami(
        self, path: str, sign_in: Callable[[Session], Awaitable[None]] | None = None
    ) -> JsonResponse | Check:
        """`check()`'s first call: GET `path` (the signed-in user; a 404 is `body=None`), or the
        failed "credentials" check, with its hint."""
        try:
            async with self.session(None) as api:
                if sign_in is not None:
                    await sign_in(api)
                return await api.get(path, ok_statuses=MISSING)
        except SourceError as exc:
            return Check("credentials", False, with_hint(exc))


async def get_ticket(
    api: Session, path: str, params: Mapping[str, str] | None, missing: str, hint: str
) -> JsonResponse:
    """GET one ticket; a 404 is `TicketNotFound(missing, hint=hint)`."""
    found = await api.get(path, params, ok_statuses=MISSING)
    if found.body is None:
        raise TicketNotFound(missing, hint=hint)
    return found


def ticket_number(ticket_id: str, vendor: str) -> str:
    """A numeric ticket ID (`#4812` → `4812`); anything else is 'not found' before any call."""
    value = ticket_id.strip().removeprefix("#")
    if not (value.isascii() and value.isdigit() and len(value) <= 20):
        shown = " ".join(ticket_id.split())[:40]
        raise TicketNotFound(
            f"ticket {shown!r} not found: {vendor} ticket IDs are numbers",
            hint="pass the number shown in the ticket's URL",
        )
    return value


@dataclass(frozen=True)
class NoteRoute:
    """A ticket source's one write (`--post-note`), from its `label` ("PUT /api/v2/tickets/{id}.json
    (private comment only)"): the method and the path, whose `{…}` is the ticket's `key` (by
    default its number) and matches `pattern` in the one endpoint allowed; `check` inspects the
    body that `body` makes of the note."""

    vendor: str
    label: str
    check: BodyCheck
    body: Callable[[str], dict[str, Any]]
    format: NoteFormat = "html"
    key: Callable[[Ticket], str] | None = None
    pattern: str = r"\d{1,20}"

    def channel(
        self, settings: WriteBack, options: HttpOptions, problem: str | None
    ) -> NoteChannel:
        method, path = self.label.split()[:2]
        before, _, after = re.split(r"(\{\w+\})", path, maxsplit=1)
        allowed = WriteEndpoint(
            method, re.escape(before) + self.pattern + re.escape(after), self.check
        )

        def build(ticket: Ticket, note: str) -> NoteRequest:
            key = self.key(ticket) if self.key else ticket_number(ticket.id, self.vendor)
            return NoteRequest(method, before + key + after, self.body(note))

        return NoteChannel(
            self.vendor, self.format, settings, allowed, self.label, options, build, problem=problem
        )


def attachment_note(name: Any, size: Any, content_type: Any) -> str:
    """`report.csv (12.5 KB, text/csv)`: what an attachment is, without downloading it."""
    parts = []
    if isinstance(size, int | float) and not isinstance(size, bool):
        parts.append(_size(float(size)))
    if content_type:
        parts.append(str(content_type))
    shown = " ".join(str(name or "unnamed").split())[:200]
    return f"{shown} ({', '.join(parts)})" if parts else shown


def with_attachments(text: str, files: Sequence[str]) -> str:
    """`text`, then `[attachments: a; b]` when there are any (see `attachment_note`)."""
    return f"{text}\n\n[attachments: {'; '.join(files)}]".strip() if files else text


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def created(value: datetime | None, label: str, what: str) -> datetime:
    """A ticket's creation time, which every ticket has: without it, `SourceError`
    "`label`: `what`" (e.g. "issue PAY-1 has no created time")."""
    if value is None:
        raise SourceError(f"{label}: {what}")
    return value


def with_notes(raw: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """A ticket's `raw`, with what the connector could not read as `investigate_notes`."""
    return {**raw, "investigate_notes": notes} if notes else raw


def same_origin(url: str, root: str) -> bool:
    """A paging link may be absolute; it must stay on the configured host (credentials)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    a, b = urlsplit(url), urlsplit(root)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


async def post_json(
    client: httpx2.AsyncClient,
    url: str,
    body: Mapping[str, Any],
    *,
    label: str,
    name: str,
    max_bytes: int = 5_000_000,
    hints: Mapping[int, str] | None = None,
    form: bool = False,
) -> JsonResponse:
    """POST a JSON (or, with `form`, a form-encoded) body to an allow-listed read-only endpoint (a search, a token exchange) and
    decode the capped JSON answer; failures are one-line `SourceError`s like `get_json`'s."""
    try:
        data, payload = (dict(body), None) if form else (None, dict(body))
        async with client.stream("POST", url, data=data, json=payload) as response:
            sent = MASKER.mask(f"POST {response.request.url}")
            if not response.is_success:
                error = httpx2.HTTPStatusError("", request=response.request, response=response)
                hint = (hints or {}).get(response.status_code)
                wait = response.headers.get("retry-after")
                if response.status_code == 429 and wait:
                    hint = f"rate limited: Retry-After asked for {wait}s, more than the time left"
                raise HttpFailure(
                    f"{label}: {describe(error)}",
                    hint=hint.replace("{name}", name) if hint else None,
                    http_status=response.status_code,
                )
            raw = await read_upto(response, max_bytes)
            if raw is None:
                raise SourceError(
                    f"{label}: the response from POST {url} is larger than {max_bytes:,} bytes; "
                    "stopped reading",
                    hint=f"lower the page size or raise connectors.{name}.max_response_bytes",
                )
    except httpx2.HTTPError as exc:
        failure = source_error(exc)
        failure.message = f"{label}: {failure.message}"
        raise failure from None
    try:
        decoded = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(
            f"{label}: expected JSON from {sent} but got invalid JSON",
            hint="check base_url; a proxy or login page may be answering",
        ) from None
    return JsonResponse(response.status_code, decoded, response.headers, sent)


def with_hint(exc: SourceError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def _object(body: Any, key: str, label: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise SourceError(f"{label}: the response has no '{key}' object")
    return body


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def as_any_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def id_str(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


async def related_searches(
    label: str,
    who: str,
    searches: Sequence[S],
    search: Callable[[S], Awaitable[list[Evidence]]],
    query: Query,
    *,
    expired_first: bool = False,
    before: Callable[[], Awaitable[None]] | None = None,
) -> Collected:
    """Run a helpdesk's related-ticket searches (the `who`'s other tickets, other customers'
    tickets quoting an error): a failed search is a note; all of them failing raises the first.
    The deadline is checked before each search (`expired_first`) or after each."""
    out = Collected()
    if not searches:
        out.notes.append(f"{label}: no {who} or error signature to search for")
        return out
    if before is not None:
        await before()
    errors: list[SourceError] = []
    for item in searches:
        if expired_first and query.expired():
            out.partial = True
            break
        try:
            out.evidence += await search(item)
        except SourceError as exc:
            errors.append(exc)
            out.notes.append(exc.message)
            continue
        if not expired_first and query.expired():
            out.partial = True
            break
    if errors and len(errors) == len(searches):
        raise errors[0]
    return out


def first_related(
    rows: Iterable[S], cap: int, keep: Callable[[S], bool], build: Callable[[S], Evidence]
) -> list[Evidence]:
    """Evidence for the rows `keep` accepts (not this ticket, not the same customer's for a
    signature search), in order, at most `cap` (and at least one)."""
    out: list[Evidence] = []
    for row in rows:
        if not keep(row):
            continue
        out.append(build(row))
        if len(out) >= cap:
            break
    return out


Found = tuple[str, str, str]
"""How a related ticket was found: (relation, signature, the search's request)."""


@dataclass(frozen=True)
class RelatedSpec:
    """How a vendor's ticket row reads as a related ticket (`evidence`): the title's vendor
    ("Zendesk #4812: subject"); whose other tickets (`who`) and what the vendor calls one
    (`noun`), for the lead ("the requester's other ticket", "another customer's ticket quoting
    …"); the `record`'s keys after "id" (space-separated); and the row's keys holding the number
    (none: the id), the subject (the first set of those listed), the status (also the word in
    "unknown status"), the text and the created time. `query_cap` cuts the masked query."""

    vendor: str
    who: str
    noun: str
    record: str
    number: str = ""
    subject: str = "subject"
    status: str = "status"
    text: str = "description"
    created: str = "created_at"
    query_cap: int | None = None

    def evidence(
        self, source: str, row: dict[str, Any], how: Found, url: str | None, **extra: Any
    ) -> Evidence:
        """A ticket `row` that a related search found, as evidence kind "ticket" (the search's
        request is masked here); `extra` overrides what is read from the row: its subject,
        text, or a `record` value."""
        (relation, signature, sent), rid = how, id_str(row.get("id"))
        state, subjects = row.get(self.status), (row.get(k) for k in self.subject.split())
        subject = str(next(filter(None, subjects), ""))
        text = " ".join(str(row.get(self.text) or "").split())
        subject, text = extra.pop("subject", subject), extra.pop("text", text)
        said = f"the {self.who}'s other {self.noun}"
        if relation != "requester":
            said = f"another customer's {self.noun} quoting {signature}"
        keys = {"status": self.status, "created_at": self.created}
        record = {k: extra.get(k, row.get(keys.get(k, k))) for k in self.record.split()}
        number = (self.number and row.get(self.number)) or rid
        return Evidence(
            source=source,
            kind="ticket",
            timestamp=parse_time(row.get(self.created)),
            title=f"{self.vendor} #{number}: {subject}"[:300],
            detail=f"{said} ({state or f'unknown {self.status}'}): {text[:400]}",
            url=url,
            matched=[signature] if signature else [],
            query=MASKER.mask(sent)[: self.query_cap],
            relation="requester" if relation == "requester" else "same_signature",
            status=str(state or "").strip().lower() or None,
            record={"id": rid, **record},
            attributes={"signature": signature},
        )
