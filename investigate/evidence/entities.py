"""Entity extraction: what a ticket is about, pulled out of its text with plain regexes.

Deterministic and bounded: at most `MAX_TEXT` characters are scanned and each list is capped,
so hostile tickets cannot make it slow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from investigate.durations import as_utc
from investigate.models import LIST_PARAMS, Entities, Ticket

MAX_TEXT = 200_000
MAX_PER_LIST = 20

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}\b")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://)[^\s/?#@]{0,256}@")
_KEY_BEFORE = re.compile(r"(?i)(?:key|token|secret|password|passwd)[\"']?\s{0,3}[:=]\s{0,3}[\"']?$")
"""A UUID right after `api_key:` is a credential, not a request ID to search for."""
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
"""A UUID, either case: a request ID here, and the shape redaction tells from a key."""


def _prefixed(prefix: str, shortest: int, longest: int = 40) -> re.Pattern[str]:
    """`prefix_` and an ID with a digit or a capital in it (`acc_8HkL2`, not `acc_settings`)."""
    return re.compile(rf"\b{prefix}_(?=[A-Za-z0-9]*[0-9A-Z])[A-Za-z0-9]{{{shortest},{longest}}}\b")


_PREFIXED = {
    "account_ids": _prefixed("acc(?:ount|t)?", 3),
    "org_ids": _prefixed("org", 3),
    "user_ids": _prefixed("(?:usr|user)", 3),
    "request_ids": _prefixed("(?:req|request|trace|corr)", 6, 64),
    "customer_ids": _prefixed("cus", 6),
    "invoice_ids": _prefixed("in", 8),
    "charge_ids": _prefixed("(?:ch|py)", 8),
    "subscription_ids": _prefixed("sub", 6),
    "payment_ids": _prefixed("pi", 8),
}
_LABELLED_ID = re.compile(
    r"(?i)\b(request|trace|correlation|account|org(?:anization)?|user)[ _-]?(?:id|#|number)\s*[:#=]?\s*"
    r"[\"'`]?([A-Za-z0-9][A-Za-z0-9_.:-]{3,63})"
)
_LABEL_TO_LIST = {
    "request": "request_ids",
    "trace": "request_ids",
    "correlation": "request_ids",
    "account": "account_ids",
    "org": "org_ids",
    "organization": "org_ids",
    "organisation": "org_ids",
    "user": "user_ids",
}
ERROR_CODE = re.compile(r"\b(?:[A-Z][A-Z0-9]{1,15}_){1,6}[A-Z0-9]{2,20}\b")
"""An upper-case error code (`CARD_DECLINED`, `E_SYNC_TIMEOUT`)."""
_NOT_ERROR_CODES = re.compile(r"^(?:UTF|ISO|HTTP|API|GMT|UTC)_|_(?:ID|URL)$")
_SNAKE_CODE = re.compile(
    r"\b(card_declined|insufficient_funds|expired_card|rate_limit(?:ed|_exceeded)?|"
    r"invalid_grant|invalid_auth|access_denied|permission_denied|account_past_due)\b",
    re.I,
)
_STATUS = re.compile(
    r"(?i)(?:\b(?:http|status|error|code|got an?|returns?|returned|receiving|getting)\s*:?\s*"
    r"([1-5]\d\d)\b)|(?:\b([45]\d\d)\s*(?:error|internal|forbidden|unauthori[sz]ed|not found|"
    r"bad gateway|service unavailable|gateway time-?out|too many requests|conflict))"
)
_URL = re.compile(r"\bhttps?://[^\s<>\"'`)\]]{3,300}")
_ENDPOINT = re.compile(
    r"(?:\b(?:GET|POST|PUT|PATCH|DELETE|HEAD)\s+|[\s(`'\"])(/[A-Za-z0-9._~/{}:-]{2,200})"
)
_ISO_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b"
)
_ERROR_LINE = re.compile(
    r"(?i)[^.!?\n]{0,120}\b(?:error|exception|failed|failure|denied|cannot|can't|unable)\b"
    r"[^.!?\n]{0,200}"
)
_AREAS = {
    "billing": r"invoice|billing|payment|card|charge|subscription|plan|refund|receipt",
    "exports": r"export|csv|xlsx|download",
    "reports": r"report|pdf|schedul",
    "dashboards": r"dashboard|chart|widget",
    "login": r"log ?in|sign ?in|sso|saml|okta|password|2fa|mfa",
    "permissions": r"permission|role|access|forbidden|not allowed",
    "api": r"\bapi\b|rate limit|429|token|webhook",
    "integrations": r"slack|teams|webhook|zapier|integration|salesforce|hubspot",
    "data": r"ingest|sync|import|missing data|delay|stale|pipeline",
    "notifications": r"notification|alert email|digest",
}
_AREA_RES = {name: re.compile(rf"(?i)(?:{rx})") for name, rx in _AREAS.items()}
_STOP = frozenset(
    "a an and are as at be been but by can cannot could did do does for from get got had has have "
    "hello hi how i i'm if in into is it it's its just me my no not of on or our please since so "
    "some than thanks thank that the their them then there this to today too up us was we we're "
    "were what when where which while who why will with would yesterday you your any all also "
    "again still now team help issue problem".split()
)


def without_credentials(text: str) -> str:
    """The text with every URL's user-info (`user:password@`) removed: what entities are read
    from, so a credential never becomes an e-mail, a URL or a search value."""
    return _USERINFO.sub(r"\1", text)


def extract(ticket: Ticket) -> Entities:
    """Entities from the ticket's text, requester, organisation and custom fields."""
    # `scheme://user:password@host`: user-info is a credential, never an e-mail or part of a URL
    text = without_credentials("\n".join(_texts(ticket))[:MAX_TEXT])
    found: dict[str, list[Any]] = {name: [] for name in _PREFIXED}
    for name, pattern in _PREFIXED.items():
        found[name] += pattern.findall(text)
    found["request_ids"] += [
        m.group().lower()
        for m in UUID.finditer(text)
        if not _KEY_BEFORE.search(text, max(0, m.start() - 40), m.start())
    ]
    for label, value in _LABELLED_ID.findall(text):
        target = _LABEL_TO_LIST[label.lower()]
        if any(ch.isdigit() for ch in value):
            found[target].append(value.rstrip(".:,"))
    if ticket.organization.id:
        found["org_ids"].append(ticket.organization.id)
    emails = _EMAIL.findall(text)
    if ticket.requester.email:
        emails.insert(0, ticket.requester.email)
    codes = [c for c in ERROR_CODE.findall(text) if not _NOT_ERROR_CODES.search(c)]
    codes += [c.lower() for c in _SNAKE_CODE.findall(text)]
    statuses = [int(a or b) for a, b in _STATUS.findall(text)]
    urls = [u.rstrip(".,;:!?") for u in _URL.findall(text)]
    endpoints = [e.rstrip(".,;:!?") for e in _ENDPOINT.findall(text) if not e.startswith("//")]
    return Entities(
        emails=_unique(e.lower() for e in emails),
        requester_email=ticket.requester.email.lower() if ticket.requester.email else None,
        ticket_id=ticket.id,
        error_codes=_unique(codes),
        error_messages=_unique(m.strip() for m in _ERROR_LINE.findall(text)),
        http_statuses=_unique(s for s in statuses if 100 <= s <= 599),
        urls=_unique(urls),
        endpoints=_unique(endpoints),
        product_areas=_areas(ticket),
        times=_unique(_times(text)),
        keywords=keywords(without_credentials(f"{ticket.subject}\n{ticket.description}")),
        **{name: _unique(values) for name, values in found.items()},
    )


def keywords(text: str, limit: int = 25) -> list[str]:
    """Significant lower-case words, in order of first appearance."""
    words = re.findall(r"[a-z][a-z0-9_'-]{2,30}", text.lower()[:MAX_TEXT])
    plain = (
        w for w in words if w not in _STOP and "_" not in w and not any(c.isdigit() for c in w)
    )
    return _unique(plain, limit=limit)


def _texts(ticket: Ticket) -> Iterable[str]:
    yield ticket.text()
    if ticket.organization.id:
        yield ticket.organization.id
    for key, value in list(ticket.custom_fields.items())[:100]:
        if isinstance(value, str | int | float):
            yield f"{key}: {str(value)[:1000]}"


def _areas(ticket: Ticket) -> list[str]:
    areas = [str(ticket.custom_fields.get("product_area") or "")]
    head = f"{ticket.subject}\n{ticket.description}"[:20_000]
    areas += [name for name, rx in _AREA_RES.items() if rx.search(head)]
    return _unique(a for a in areas if a)


def _times(text: str) -> Iterable[datetime]:
    for raw in _ISO_TIME.findall(text):
        try:
            yield as_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
        except (ValueError, OverflowError):
            continue


def _unique(values: Iterable[Any], limit: int = MAX_PER_LIST) -> list[Any]:
    out: list[Any] = []
    seen: set[Any] = set()
    for value in values:
        key = value.lower() if isinstance(value, str) else value
        if key in seen or value in ("", None):
            continue
        seen.add(key)
        out.append(value)
        if len(out) >= limit:
            break
    return out


def add_values(entities: Entities, param: str, values: Iterable[str], source: str) -> list[str]:
    """Add values found by identity resolution; returns the ones that were new."""
    field = LIST_PARAMS[param]
    current: list[str] = getattr(entities, field)
    known = {v.lower() for v in current}
    new = [
        v for v in _unique(str(v) for v in values if v not in (None, "")) if v.lower() not in known
    ]
    current.extend(new)
    for value in new:
        entities.resolved[value] = source
    return new
