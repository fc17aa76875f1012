"""Incident suspicion: is this ticket one customer's view of everyone's outage?

Deterministic, from the ranked evidence, whatever analyst runs (an LLM may add to it, never
take it away):

- a firing alert or an open incident that began in the hours before the ticket (not one that
  has been firing for days) and matches the ticket: the service of the customer's own new
  errors, the customer's region, an error code the ticket or those errors carry, or the
  ticket's words;
- the customer's own new error pattern hitting many accounts;
- other customers' tickets with the same error signature (helpdesk connectors).

Each reason cites evidence IDs, so the suspicion can be checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from investigate.evidence import signals
from investigate.models import Evidence, Incident, Ticket
from investigate.sdk.relevance import tokens

ALERT_LEAD = timedelta(hours=6)
"""An alert that began up to this long before the ticket can be its cause."""
ALERT_LAG = timedelta(hours=1)
BROAD = 5
"""Accounts hit by the customer's own new error before it counts as widespread."""
RELATED = 2
"""Other customers' tickets with the same signature before it counts as widespread."""
_GLOBAL = ("alert", "incident", "status")
_GENERIC = frozenset(
    {"error", "errors", "rate", "high", "api", "service", "firing", "critical", "warning"}
)


def suspect(evidence: list[Evidence], ticket: Ticket) -> Incident:
    mine = [e for e in evidence if signals.is_customers_new_problem(e)]
    # A 403 or a warning is the customer's own; only their errors point at a sick service.
    services = {s for e in mine if e.level in ("error", "critical") for s in e.services}
    codes = set().union(*(signals.error_codes(e) for e in mine)) if mine else set()
    words = set(tokens(f"{ticket.subject}\n{ticket.description}")) - _GENERIC
    codes |= {w.upper() for w in words if "_" in w}
    regions = {
        str(signals.row(e).get("region"))
        for e in evidence
        if e.kind == "customer" and signals.row(e).get("region")
    }
    reasons: list[str] = []
    alerts: list[str] = []
    for e in evidence:
        if e.kind not in _GLOBAL or not signals.is_problem(e) or not _began_near(e, ticket):
            continue
        why = _match(e, services, codes, regions, words)
        if why:
            alerts.append(e.id)
            if len(alerts) == 1:
                reasons.append(f"{e.kind} {e.id} “{e.title[:80]}” is open and {why}")
    broad = [
        e
        for e in mine
        if e.novelty == "new"  # a spike of a familiar error is more often noise than an outage
        and not e.baseline_all  # new for everyone, not just this customer
        and e.level in ("error", "critical")
        and (e.accounts_affected or 0) >= BROAD
    ]
    if broad:
        top = max(broad, key=lambda e: e.accounts_affected or 0)
        reasons.append(
            f"{top.accounts_affected} accounts hit the same new error ({top.id} “{top.title[:80]}”)"
        )
    related = [
        e
        for e in evidence
        if e.kind == "ticket"
        and e.relation != "requester"  # their own other tickets are not others
        and _same_signature(e, codes, words)
    ]
    if len(related) >= RELATED:
        reasons.append(_related_reason(related, ticket))
    return Incident(
        suspected=bool(reasons),
        reason="; ".join(reasons),
        alerts=alerts,
        related_tickets=[str(signals.row(e).get("id") or e.id) for e in related],
    )


def _related_reason(related: list[Evidence], ticket: Ticket) -> str:
    """ "3 other customers reported the same problem in the last 2 h (#901, #902, #903)"."""
    times = [e.timestamp for e in related if e.timestamp is not None]
    span = ""
    if times:
        hours = max((ticket.created_at - min(times)).total_seconds() / 3600, 0)
        span = f" in the last {hours:.0f} h" if hours >= 1 else " in the last hour"
    ids = [str(signals.row(e).get("id") or e.id) for e in related[:5]]
    more = f", +{len(related) - 5} more" if len(related) > 5 else ""
    return (
        f"{len(related)} other customers reported the same problem{span} "
        f"({', '.join('#' + i for i in ids)}{more})"
    )


def merge(found: Incident, analyst: Incident) -> Incident:
    """The analyst's view, plus whatever the evidence shows that it missed."""
    if not found.suspected:
        return analyst
    reason = analyst.reason if analyst.suspected and analyst.reason else ""
    if found.reason and found.reason not in reason:
        reason = f"{reason}; {found.reason}" if reason else found.reason
    return Incident(
        suspected=True,
        reason=reason,
        alerts=_union(analyst.alerts, found.alerts),
        related_tickets=_union(analyst.related_tickets, found.related_tickets),
    )


def _began_near(e: Evidence, ticket: Ticket) -> bool:
    started: datetime | None = e.first_seen or e.timestamp
    if started is None:
        return True  # an open incident without a start time is still open
    return -ALERT_LEAD <= started - ticket.created_at <= ALERT_LAG


def _match(
    e: Evidence, services: set[str], codes: set[str], regions: set[str], words: set[str]
) -> str:
    row = signals.row(e)
    labels = row.get("labels")
    where = " ".join(
        [*e.services, *(str(row.get(k) or "") for k in ("service", "region", "component"))]
        + (
            [f"{k}={v}" for k, v in labels.items()]
            if isinstance(labels, dict)
            else [str(labels or "")]
        )
    )
    text = signals.text(e)
    if services and any(_word_in(s, where) for s in services):
        return "matches the service of this customer's new errors"
    if regions and any(_word_in(r, where) for r in regions):
        return "matches the customer's region"
    component = str(row.get("component") or row.get("name") or "")
    if component and words & set(tokens(component)):
        return f"is about {component}, which the ticket names"
    shared = sorted(c for c in codes if c in text)
    if shared:
        return f"carries {shared[0]}"
    overlap = words & set(tokens(text)) - _GENERIC
    if len(overlap) >= 2:
        return f"matches the ticket's words ({', '.join(sorted(overlap)[:3])})"
    return ""


def _word_in(needle: str, haystack: str) -> bool:
    return bool(needle) and needle.lower() in set(tokens(haystack)) | set(haystack.lower().split())


def _same_signature(e: Evidence, codes: set[str], words: set[str]) -> bool:
    text = signals.text(e)
    if any(c in text for c in codes):
        return True
    return len(words & set(tokens(text))) >= 3


def _union(a: list[str], b: list[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))
