"""The offline reply composer: what the evidence shows, in the customer's terms.

Every sentence is built from a cited fact (a row's state, an error's first time, a change's
action); nothing is promised that nobody did; nothing product-specific is written here (the
product name, sign-off, tone and help links come from the `reply:` settings, extra guidance from
matching runbooks). Quotes are cut at word boundaries and cleaned of codes, hosts and IDs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime

from investigate.analysts import AnalystInput, intent
from investigate.config import ReplySettings
from investigate.evidence import causal, signals
from investigate.evidence.replylint import CITED_CODE, first_name
from investigate.models import Evidence
from investigate.sdk.rows import parse_time

_HEAD = re.compile(r"^(?:DEBUG|INFO|WARN(?:ING)?|ERROR|CRITICAL|FATAL)\s+[\w.-]*:\s*", re.I)
_QUOTED = re.compile(r"\b[\w.]+=\"([^\"]{1,200})\"")
"""`error="certificate has expired"`: a quoted value is the human-readable part; kept."""
_NOISE = [
    re.compile(r"\b[\w.]+=\S*"),  # key=value pairs (before e-mails: `user=a@b.example`)
    re.compile(r"\s+at\s+[\w$]+(?:\.[\w$<>]+)+(?:\([^)]*\))?"),  # a stack frame `at A.b(…)`
    re.compile(r"\b(?:[A-Z]\w*)?(?:Error|Exception)\b:?"),  # exception class names
    re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),  # e-mail addresses
    re.compile(r"https?://\S+"),
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"),
    re.compile(r"\b[\w-]+(?:\.[\w-]+)+:\d{2,5}\b"),
    re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:internal|local|lan|svc|corp|intra)\b", re.I),
    re.compile(r"\b[\w.]+=\S*"),  # key=value pairs
    re.compile(r"(?:/[\w.@%+~-]+){2,}/?"),  # paths
    re.compile(r"\b[0-9a-f]{8,}\b", re.I),
    re.compile(r"<[a-z]+>"),  # template placeholders
    re.compile(r"\s+at\s+\S+\.(?:py|java|go|rb|js|ts):\d+.*$"),
    re.compile(r"\bTraceback.*$"),
]
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|tr)\s*:\s*|\[[^\]]{0,30}\]\s*|(?:urgent|asap|important)\s*[:!-]*\s*)+",
    re.I,
)
_SHOUT = re.compile(r"\b(?:URGENT|ASAP|CRITICAL|IMPORTANT|EMERGENCY)\b[:!]*|!{2,}", re.I)


def cut(text: str, limit: int = 110) -> str:
    """`text` shortened at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    space = head.rfind(" ")
    head = head[:space] if space > limit // 2 else text[:limit]
    return head.rstrip(" ,;:-(") + "…"


def plain(e: Evidence, settings: ReplySettings | None = None, limit: int = 110) -> str:
    """What an item says, for a customer: the message without level, service, codes (unless
    public), hosts, addresses, IDs, key=value noise or stack frames."""
    public = settings.public_codes if settings else False
    raw = e.examples[0] if e.examples and e.kind in ("log", "log_pattern") else e.title
    text = _clean(raw, public)
    return cut(text, limit) if text else "an error"


def _clean(raw: str, public: bool = False) -> str:
    """`raw` without level and service head, codes (unless public), hosts, addresses, IDs,
    key=value noise or stack frames, and without the brackets they leave empty."""
    text = _QUOTED.sub(r"\1", _HEAD.sub("", raw.strip()))
    if not public:
        text = CITED_CODE.sub("", text)
    for rx in _NOISE:
        text = rx.sub("", text)
    text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", "", text)
    return re.sub(r"\s+([,.;:])", r"\1", " ".join(text.split())).strip(" ,;:-")


def when(ts: datetime | None) -> str:
    """`9 March, 14:05 UTC` (no ISO dates in replies)."""
    return f"{ts.day} {ts:%B}, {ts:%H:%M} UTC" if ts else "recently"


def topic(subject: str) -> str:
    text = _SHOUT.sub("", _PREFIX.sub("", subject or "")).strip(" .:-!?")
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        text = text.capitalize()
    return cut(text, 90)


def readable(action: str) -> str:
    """`webhook.secret_rotated` → `webhook secret rotated`."""
    return " ".join(re.sub(r"[._:/-]+", " ", action).split())


_CHANGE_KEYS = ("action", "event_type", "change", "changed_field", "operation", "event")


_FIELD_KEYS = ("field", "changed_field", "setting", "key", "property")


def change_words(e: Evidence) -> str:
    """`sso settings updated: idp x509 certificate` — the action and, when recorded, the field
    it changed (a cell, or a key of a JSON `details`/`changes` cell)."""
    row = signals.row(e)
    action = next(
        (readable(row[k]) for k in _CHANGE_KEYS if isinstance(row.get(k), str) and row[k]), ""
    )
    fields = [row[k] for k in _FIELD_KEYS if isinstance(row.get(k), str) and row[k]]
    for key in ("details", "changes", "metadata", "diff"):
        value = row.get(key)
        if isinstance(value, str) and value.startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict):
            fields += [str(value[k]) for k in _FIELD_KEYS if isinstance(value.get(k), str)]
    what = readable(fields[0]) if fields else ""
    if action:
        return f"{action}: {what}" if what and what not in action else action
    # no action cell: the title, without e-mail addresses (a person's e-mail in angle
    # brackets is no part of the change, and the linter would cut it as a placeholder)
    return cut(_without_emails(_HEAD.sub("", e.title)), 60)


_EMAIL = re.compile(r"\s*<?\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b>?")
_DANGLING = re.compile(r"\s+(?:by|from|to|on|for)$", re.I)


def _without_emails(text: str) -> str:
    """`Dr. Ana Ruiz <ana@x.example>: brewer, deactivated` → `Dr. Ana Ruiz: brewer, deactivated`;
    `… unpaired by sam@x.example` → `… unpaired`."""
    text = " ".join(_EMAIL.sub("", text).split())
    return _DANGLING.sub("", re.sub(r"\s+([,.;:])", r"\1", text)).strip(" ,;:-")


_REASON_KEYS = (
    "last_payment_error",
    "failure_code",
    "failure_message",
    "failure_reason",
    "payment_error",
    "decline_code",
    "return_reason",
    "status",
)
_DETAILS = (
    (re.compile(r"insufficient", re.I), "insufficient funds"),
    (re.compile(r"expired", re.I), "the card has expired"),
    (re.compile(r"incorrect (?:cvc|number)|invalid (?:cvc|number)", re.I), "card details rejected"),
)


def _payment_reason(items: Iterable[Evidence]) -> str:
    text = " ".join(str(signals.row(e).get(k) or "") for e in items for k in _REASON_KEYS)
    detail = next((words for rx, words in _DETAILS if rx.search(text)), "")
    if re.search(r"declin|do_not_honor|refused", text, re.I):
        return "your card issuer declined it" + (f" ({detail})" if detail else "")
    if detail:
        return detail
    raw = next(
        (
            str(signals.row(e)[k])
            for e in items
            for k in _REASON_KEYS[:-1]
            if signals.row(e).get(k) not in (None, "")
        ),
        "",
    )
    return f"the payment was returned ({cut(readable(raw), 60)})" if raw else ""


STATED_LINK = 0.3
"""The weakest change → error link a reply states as "right after a change"."""


def _linked_change(changes: list[Evidence], data: AnalystInput) -> Evidence | None:
    """The customer-side change a strong enough causal link ties to the error."""
    strong = {
        link.cause for _, _, link in causal.links_of(data.evidence) if link.strength >= STATED_LINK
    }
    return next((c for c in changes if c.id in strong), None)


_CHANGE_THEN_ERROR = {
    "access": (
        "I checked your account: on {when} a change was recorded in your organisation ({what}).",
        "the request is refused",
    ),
    "configuration": (
        "I checked our side: the errors began right after a change to your settings on {when} ({what}).",
        "our system reports",
    ),
}


def _change_then_error(
    category: str, change: Evidence | None, first: Evidence | None, s: ReplySettings
) -> list[str]:
    """The customer-side change, then the error since it (access and configuration)."""
    told, error = _CHANGE_THEN_ERROR[category]
    out = []
    if change is not None:
        out.append(told.format(when=when(change.timestamp), what=change_words(change)))
    if first is not None:
        said = f"{error}: “{plain(first, s)}”."
        out.append(f"Since then {said}" if change else said[:1].upper() + said[1:])
    return out


def _customer_host(logs: list[Evidence], data: AnalystInput) -> str:
    """A failing remote host that belongs to the customer (same domain as their e-mail)."""
    domains = {
        e.split("@", 1)[1].lower()
        for e in [data.ticket.requester.email or "", *data.entities.emails]
        if "@" in e
    }
    for e in logs:
        for host in sorted(signals.remote_hosts(e)):
            if any(host == d or host.endswith("." + d) for d in domains):
                return host
    return ""


def body(category: str, evidence: list[Evidence], data: AnalystInput) -> list[str]:
    """The facts, one sentence each, for the chosen category."""
    s = data.reply
    product = s.product
    by_kind: dict[str, Evidence] = {}
    for e in evidence:
        by_kind.setdefault(e.kind, e)
    logs = [e for e in evidence if e.kind in ("log", "log_pattern")]
    changes = [e for e in evidence if signals.is_change(e) and e.kind != "deploy"]
    deploys = [e for e in evidence if e.kind == "deploy"]
    first = logs[0] if logs else None
    since = when((first.first_seen or first.timestamp) if first else None)
    out: list[str] = []
    if category == "billing":
        invoice = by_kind.get("invoice")
        number = (
            str(signals.row(invoice).get("number") or signals.row(invoice).get("id") or "")
            if invoice
            else ""
        )
        what = (
            f"the most recent payment (invoice {number})" if number else "the most recent payment"
        )
        reason = _payment_reason(evidence)
        out.append(
            f"I checked your account: {what} could not be collected"
            + (f": {reason}." if reason else ".")
        )
        sub = by_kind.get("subscription")
        if sub is not None and signals.status(sub):
            out.append(f"Your subscription is currently marked as {readable(signals.status(sub))}.")
        if logs:
            out.append(f"Because of that, some of {product} is restricted for your account.")
        out.append("Updating the payment method and settling the open invoice resolves this.")
    elif category == "bug":
        if first is not None:
            out.append(f"I can see errors on our side since {since}: “{plain(first, s)}”.")
        if deploys:
            out.append(
                "It started right after a change we made, so it is not caused by anything on your side."
            )
        if any(e.kind in ("issue", "error_group") for e in evidence):
            out.append("It matches a problem we already track.")
        out.append("I will update you here as soon as I know more.")
    elif category == "outage":
        alert = next((e for e in evidence if e.kind in ("alert", "incident", "status")), None)
        started = when(
            (alert.first_seen or alert.timestamp)
            if alert
            else (first.first_seen if first else None)
        )
        out.append(
            f"There is an ongoing incident on our side since {started} that affects {product}, so this is not caused by anything on your side."
        )
        if first is not None:
            out.append(f"The errors you see (“{plain(first, s)}”) come from it.")
        out.append("I will update you here when it is resolved.")
    elif category == "access":
        out += _change_then_error(category, _linked_change(changes, data), first, s)
        out.append("An administrator in your organisation can restore the previous role or access.")
    elif category == "configuration":
        out += _change_then_error(category, _linked_change(changes, data), first, s)
        limits = [
            v
            for e in evidence
            if e.kind == "customer"
            for k, v in signals.row(e).items()
            if "rate_limit" in k and v not in (None, "")
        ]
        if first is not None and re.search(
            r"rate[_ ]limit|\b429\b|too many requests", signals.text(first), re.I
        ):
            per = f" ({limits[0]} per minute)" if limits else ""
            out.append(
                f"Your integration is sending more requests per minute than your plan allows{per}."
            )
        else:
            out.append(
                "Reviewing that setting on your side should resolve it; I am happy to check with you afterwards."
            )
    elif category == "performance":
        if first is not None:
            out.append(
                f"I can see that some requests for your account have been slow or timing out since {since} (“{plain(first, s)}”)."
            )
        out.append("This is on our side; I will keep you posted.")
    elif category == "data":
        job = next((e for e in evidence if e.kind == "db_row" and signals.is_job(e)), None)
        row = signals.row(job) if job is not None else {}
        began = parse_time(row.get("started_at") or row.get("created_at"))
        if job is not None and signals.is_stuck(job, data.ticket.created_at):
            out.append(
                f"I looked into this: a processing job for your account has been running since "
                f"{when(began or job.timestamp)} without finishing, so recent data has not arrived yet."
            )
        elif job is not None and signals.is_partial(job):
            out.append(
                f"I looked into this: a processing run for your account on {when(began or job.timestamp)} "
                f"finished with problems ({readable(signals.status(job)) or 'incomplete'})."
            )
        if first is not None:
            out.append(f"Our system reports: “{plain(first, s)}”.")
        out.append("I will let you know when the data is complete.")
    elif category == "integration":
        theirs = _customer_host(logs, data)
        if first is not None and theirs:
            out.append(
                f"I looked into this: since {since} our calls to your endpoint {theirs} fail: "
                f"“{plain(first, s)}”. The problem is on the receiving side, at {theirs}."
            )
        elif first is not None:
            out.append(
                f"I looked into this: since {since} the failures come from a third-party service "
                f"we connect to (“{plain(first, s)}”)."
            )
        else:
            out.append(
                "I looked into this: the failures come from a third-party service we connect to."
            )
        gave_up = any(
            re.search(
                r"dropped|gave up|discarded|after \d+ (?:attempts|retries)", signals.text(e), re.I
            )
            for e in data.evidence  # any of this customer's new lines, cited or not
            if e.kind in ("log", "log_pattern") and e.matched and e.novelty != "steady"
        )
        if gave_up:
            out.append(
                "Deliveries that failed during that time were not completed after several attempts."
            )
        out.append("I will let you know once it is working again.")
    elif category == "user_error":
        mistake = next((e for e in logs if e.matched), None)
        # a change the reply can state: the customer's, dated, in the window before the ticket
        # (a record with empty `changed_at`/`changed_by` cells is shaped like one, but is none)
        own = next(
            (
                e
                for e in changes
                if e.matched
                and e.timestamp is not None
                and data.window.start <= e.timestamp <= data.ticket.created_at
            ),
            None,
        )
        if own is not None and mistake is None:
            out.append(
                f"I checked your account: on {when(own.timestamp)} this change was made from "
                f"your organisation: {change_words(own)}."
            )
            out.append(f"{product[:1].upper() + product[1:]} shows no errors on our side.")
        elif mistake is not None:
            out.append(
                f"I checked our logs: the request was rejected because of its input: “{plain(mistake, s)}”."
            )
            out.append("Correcting that value and trying again should work.")
        else:
            out.append(
                f"I checked your account and {product} shows no errors or account problems on our side."
            )
    elif category == "feature_request":
        tracked = any(e.kind in ("issue", "ticket") for e in evidence)
        if tracked:
            out.append(f"{product[:1].upper() + product[1:]} does not do this today.")
            out.append("It is a request we already track, and yours adds to it.")
        else:
            out.append(f"I could not find that {product} supports this today.")
    else:
        out.append("I could not find the cause yet.")
        out.append(
            "Could you send the approximate time it happened, a screenshot, and any error message you see?"
        )
    return out


def compose(
    category: str, evidence: list[Evidence], data: AnalystInput, guidance: list[str]
) -> str:
    s = data.reply
    name = first_name(data.ticket.requester.name)
    formal = s.tone == "formal"
    greeting = (
        (f"Dear {name}," if name else "Hello,") if formal else (f"Hi {name}," if name else "Hello,")
    )
    about = topic(data.ticket.subject)
    opening = (
        (
            f"Thank you for contacting us about “{about}”."
            if formal
            else f"Thanks for contacting us about “{about}”."
        )
        if about
        else ("Thank you for contacting us." if formal else "Thanks for reaching out.")
    )
    lines = [opening, *body(category, evidence, data), *guidance]
    link = s.help_links.get(category) or s.help_links.get("default")
    if link:
        lines.append(f"More on this: {link}")
    return f"{greeting}\n\n{' '.join(lines)}\n\n{s.sign_off},\n{s.team}"


_SENTENCE = re.compile(r"[^.!?\n¿]*(?:[.!?\n]|$)")
_QUESTION_SCAN = 20_000
"""Questions are looked for in the description's first characters (a pasted megabyte of log is
no question)."""


def unanswered(category: str, data: AnalystInput) -> list[str]:
    """The ticket's questions the reply cannot answer from the evidence (for the internal note)."""
    text = f"{data.ticket.subject}\n{data.ticket.description}"
    # Every sentence with its end mark, in one linear pass (a sentence with no end mark matches
    # up to the end of the text instead of being retried from every later position).
    sentences = _SENTENCE.findall(data.ticket.description[:_QUESTION_SCAN])
    questions = [q.strip() for q in sentences if q.endswith("?") and len(q.strip()) > 8]
    asked = intent.read(text)
    out = []
    for q in questions[:3]:
        about_problem = intent.read(q).problem or (
            asked.problem and category not in ("user_error", "feature_request", "unknown")
        )
        if category in ("unknown", "user_error", "feature_request") or not about_problem:
            out.append(
                f"customer asks “{cut(q, 120)}”: not answerable from the evidence — answer before sending"
            )
    return out
