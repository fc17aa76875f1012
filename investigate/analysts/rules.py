"""Category detectors for the offline analyst.

Each detector reads the ranked evidence and returns a `Finding`: a score, the evidence that
supports it and a plain statement. Evidence that mentions the ticket's own entities counts in
full; evidence about the system at large counts half; steady background noise hardly counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from investigate import signals
from investigate.analysts import AnalystInput
from investigate.models import Evidence
from investigate.relevance import tokens

MAX_SUPPORT = 3
_PER_CUSTOMER = frozenset({"log", "log_pattern", "db_row", "customer"})
ALERT_LEAD = timedelta(hours=6)
DEPLOY_HORIZON = timedelta(hours=3)  # "shortly after a deploy"
ALERT_LAG = timedelta(hours=1)


@dataclass
class Finding:
    category: str
    score: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    statement: str = ""
    weights: dict[str, float] = field(default_factory=dict)

    def strongest(self, limit: int = 6) -> list[Evidence]:
        """The supporting evidence, strongest contribution first."""
        order = sorted(self.evidence, key=lambda e: -self.weights.get(e.id, 0.0))
        return order[:limit]

    def add(self, e: Evidence, weight: float) -> None:
        if e in self.evidence:
            return
        factor = 1.0 if e.matched or e.kind not in _PER_CUSTOMER else 0.5
        if e.novelty == "steady":
            factor *= 0.3
        if len([x for x in self.evidence if x.kind == e.kind]) >= MAX_SUPPORT:
            factor *= 0.2
        self.score += weight * factor
        self.weights[e.id] = weight * factor
        self.evidence.append(e)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


BILLING = _rx(
    r"past[_ ]due|payment (?:failed|declined)|card[_ ]declined|insufficient[_ ]funds|"
    r"expired[_ ]card|unpaid|dunning|invoice .*(?:failed|open)|ERR_ACCOUNT_PAST_DUE|billing hold"
)
ACCESS = _rx(
    r"\b40[13]\b|forbidden|permission[_ ]denied|not authori[sz]ed|unauthori[sz]ed|access denied|"
    r"ERR_PERMISSION|insufficient (?:role|permission)|membership[_ ](?:inactive|deactivated|"
    r"removed|suspended)|(?:user|member|account|seat)[_ ](?:deactivated|suspended|disabled|"
    r"locked)|locked out"
)
ROLE_CHANGE = _rx(
    r"role|permission|revoked|demoted|member\.(?:removed|deactivated|suspended)|access\.|"
    r"deactivat|deprovision|scim"
)
CONFIG = _rx(
    r"saml|\bsso\b|oidc|idp|certificate|signature valid|misconfigur|invalid (?:redirect|callback|"
    r"webhook|setting|config)|audience|settings?\.updated|rate[_ ]limit|\b429\b|too many requests|"
    r"quota exceeded"
)
RATE = _rx(r"rate[_ ]limit|\b429\b|too many requests|quota exceeded")
PERF = _rx(
    r"time[d ]?[_ ]?out|timeout|slow (?:query|request)|latency|\b504\b|gateway time|"
    r"ERR_QUERY_TIMEOUT|deadline exceeded"
)
DATA = _rx(
    r"\blag\b|ingest(?:ion)? (?:lag|delay)|delayed|backlog|stuck|stalled|rebalanc|"
    r"ERR_INGEST|not processed|missing data|sync (?:failed|behind)|dedupe|de-dup|duplicat|"
    r"double[d -]?count|replay|backfill"
)
VENDOR = _rx(
    r"slack|salesforce|hubspot|zapier|microsoft teams|\bteams\b|twilio|sendgrid|mailgun|"
    r"snowflake|bigquery|google (?:sheets|ads|analytics)|third[- ]party|external provider|"
    r"provider returned"
)
QUESTION = _rx(
    r"\bhow (?:do|can|would|to)\b|\bis (?:it|there) (?:possible|a way)\b|\bwhere (?:do|can|is)\b|"
    r"\bcan (?:i|we)\b[^.?!]*\?|\bwhat(?:'s| is) the best way\b"
)
USER_MISTAKE = _rx(
    r"malformed|whitespace|invalid (?:format|syntax|value|characters?)|typo|not a valid|"
    r"wrong (?:format|value|field|password)|missing required|expired (?:link|token|invitation)|"
    r"already (?:used|exists)|ERR_(?:\w+_)?(?:MALFORMED|INVALID_FORMAT)"
)
FEATURE = _rx(
    r"feature request|would be (?:great|nice|helpful) if|please add|could you add|"
    r"any plans to|wish (?:list|we could)"
)


def _text(e: Evidence) -> str:
    return signals.text(e)


def detect_billing(data: AnalystInput) -> Finding:
    f = Finding("billing")
    for e in data.evidence:
        if e.kind in ("subscription", "invoice", "charge", "payment") and signals.is_problem(e):
            f.add(e, 3.0)
        elif e.kind in ("log", "log_pattern", "db_row", "customer") and BILLING.search(_text(e)):
            f.add(e, 1.5 if signals.is_problem(e) or e.kind != "log" else 1.0)
    items = {e.kind: e for e in f.evidence}
    parts = []
    if "invoice" in items:
        row = signals.row(items["invoice"])
        error = row.get("last_payment_error") or "was not paid"
        parts.append(f"invoice {row.get('id', '')} is unpaid ({error})".replace("  ", " "))
    if "charge" in items:
        row = signals.row(items["charge"])
        parts.append(f"charge {row.get('id', '')} failed ({row.get('failure_code') or 'declined'})")
    if "subscription" in items:
        parts.append(f"the subscription is {signals.status(items['subscription'])}")
    if any(e.kind in ("log", "log_pattern") for e in f.evidence):
        parts.append("the product is restricting the account because of it")
    f.statement = "Payment failure: " + "; ".join(parts) if parts else "A billing problem."
    return f


def detect_bug(data: AnalystInput) -> Finding:
    f = Finding("bug")
    novel = [e for e in data.evidence if signals.is_severe_log(e) and e.novelty in ("new", "spike")]
    patterns = [e for e in novel if e.matched]  # the customer is hit by it
    deploys = [e for e in data.evidence if e.kind == "deploy"]
    issues = [
        e for e in data.evidence if e.kind in ("issue", "error_group") and signals.is_problem(e)
    ]
    culprit: Evidence | None = None
    deploy: Evidence | None = None
    for p in patterns:
        before = _deploy_before(p, deploys)
        if before is not None and (p.matched or culprit is None):
            culprit, deploy = p, before
            if p.matched:
                break
    if culprit is not None and deploy is not None:
        f.add(culprit, 2.0)
        f.add(deploy, 3.0 if set(culprit.services) & _services(deploy) else 1.5)
    codes = set().union(*(signals.error_codes(p) for p in patterns)) if patterns else set()
    if culprit is not None:
        for e in data.evidence:
            if (
                e.kind == "db_row"
                and e.matched
                and signals.error_codes(e) & signals.error_codes(culprit)
            ):
                f.add(e, 1.0)
                break
    known = None
    for issue in issues:
        shared = signals.error_codes(issue) & codes
        score = issue.attributes.get("text_score")
        relevant = isinstance(score, int | float) and score >= 6
        if shared or relevant:
            known = issue
            f.add(issue, 3.0 if shared else 1.0)
            if culprit is None and relevant:
                issue_codes = signals.error_codes(issue)
                culprit = next((p for p in novel if signals.error_codes(p) & issue_codes), None)
                if culprit is not None:
                    f.add(culprit, 2.0)
            break
    parts = []
    if culprit is not None:
        parts.append(f"a new error ({_short(culprit)}) started at {_when(culprit)}")
    if deploy is not None:
        parts.append(f"shortly after the deploy {_short(deploy)}")
    if known is not None and known in f.evidence and f.weights.get(known.id, 0) >= 3.0:
        parts.append(f"and matches the known open bug {_short(known)}")
    elif known is not None:
        parts.append(f"(possibly related open bug: {_short(known)})")
    f.statement = ("Regression: " + " ".join(parts)) if parts else "A product bug."
    return f


def detect_outage(data: AnalystInput) -> Finding:
    f = Finding("outage")
    regions = _customer_values(data, "region")
    affected = [
        e
        for e in data.evidence
        if signals.is_severe_log(e)
        and e.matched
        and e.novelty != "steady"  # an outage is a change: not an error seen all week
        and int(e.attributes.get("accounts_affected") or 0) >= 5
        and not VENDOR.search(_text(e))
    ]
    services = {
        s
        for e in data.evidence
        if signals.is_severe_log(e) and e.matched and e.novelty in ("new", "spike")
        for s in e.services
    }
    for e in data.evidence:
        if e.kind in ("alert", "incident", "status") and signals.is_problem(e):
            if not _near_ticket(e, data.ticket.created_at):
                continue
            row = signals.row(e)
            where = " ".join(str(row.get(k) or "") for k in ("region", "labels", "service"))
            if affected or any(r in where for r in regions) or any(s in where for s in services):
                f.add(e, 4.0)
    for e in affected[:1]:
        f.add(e, 3.0)
    alerts = [e for e in f.evidence if e.kind in ("alert", "incident", "status")]
    broad = [e for e in f.evidence if e.kind in ("log", "log_pattern")]
    parts = []
    if alerts:
        parts.append(f"{alerts[0].kind} {_short(alerts[0])} is firing")
    if broad:
        n = max(int(e.attributes.get("accounts_affected") or 0) for e in broad)
        parts.append(f"{n} accounts hit the same error ({_short(broad[0])})")
    f.statement = "Service-wide incident: " + "; ".join(parts) if parts else "An outage."
    return f


def _matching_logs(
    data: AnalystInput, rx: re.Pattern[str], weight: float, exclude: Iterable[re.Pattern[str]] = ()
) -> Finding:
    f = Finding("")
    for e in data.evidence:
        if (
            e.kind not in ("log", "log_pattern")
            or not e.matched
            or e.level not in ("warning", "error", "critical")
        ):
            continue
        text = _text(e)
        if rx.search(text) and not any(x.search(text) for x in exclude):
            f.add(e, weight)
    return f


def detect_access(data: AnalystInput) -> Finding:
    f = _matching_logs(data, ACCESS, 3.0, exclude=(BILLING, CONFIG))
    f.category = "access"
    for e in data.evidence:
        if (
            e.kind == "db_row"
            and ROLE_CHANGE.search(_text(e))
            and e.timestamp
            and e.timestamp <= data.ticket.created_at
        ):
            f.add(e, 2.5)
            break
    denied = next((e for e in f.evidence if e.kind != "db_row"), None)
    change = next((e for e in f.evidence if e.kind == "db_row"), None)
    parts = []
    if denied:
        parts.append(f"requests are denied ({_short(denied)})")
    if change:
        parts.append(f"after a permission change: {_short(change)}")
    f.statement = "Permissions: " + " ".join(parts) if parts else "An access problem."
    return f


def detect_configuration(data: AnalystInput) -> Finding:
    f = _matching_logs(data, CONFIG, 3.0, exclude=(BILLING,))
    f.category = "configuration"
    for e in data.evidence:
        if e.kind == "db_row" and CONFIG.search(_text(e)):
            f.add(e, 2.5)
            break
    logs = [e for e in f.evidence if e.kind != "db_row"]
    if logs and RATE.search(_text(logs[0])):
        for e in data.evidence:
            if e.kind == "customer" and any("rate_limit" in k for k in signals.row(e)):
                f.add(e, 1.5)
                break
    change = next((e for e in f.evidence if e.kind == "db_row"), None)
    parts = []
    if logs:
        parts.append(f"requests fail with {_short(logs[0])}")
    if change:
        parts.append(f"following a settings change: {_short(change)}")
    if logs and RATE.search(_text(logs[0])):
        parts.append("(the client exceeds the plan's API rate limit)")
    f.statement = "Configuration: " + " ".join(parts) if parts else "A configuration problem."
    return f


def detect_performance(data: AnalystInput) -> Finding:
    f = _matching_logs(data, PERF, 3.0, exclude=(CONFIG,))
    f.category = "performance"
    f.statement = (
        f"Performance: requests for this account are slow or time out ({_short(f.evidence[0])})"
        if f.evidence
        else "A performance problem."
    )
    return f


def detect_data(data: AnalystInput) -> Finding:
    f = Finding("data")
    for e in data.evidence:
        if e.kind == "db_row" and signals.is_stuck(e, data.ticket.created_at):
            f.add(e, 3.5)
    g = _matching_logs(data, DATA, 2.0)
    for e in g.evidence:
        f.add(e, 2.0)
    services = {s for e in g.evidence for s in e.services}
    for e in data.evidence:  # the platform-side cause, in the same service, may name no customer
        if (
            not e.matched
            and signals.is_severe_log(e)
            and e.novelty in ("new", "spike")
            and set(e.services) & services
            and DATA.search(_text(e))
        ):
            f.add(e, 2.0)
    job = next((e for e in f.evidence if e.kind == "db_row"), None)
    logs = next((e for e in f.evidence if e.kind != "db_row"), None)
    parts = []
    if job:
        parts.append(f"a job is stuck ({_short(job)})")
    if logs:
        parts.append(f"and the pipeline reports {_short(logs)}")
    f.statement = "Data delay: " + " ".join(parts) if parts else "A data delay."
    return f


def detect_integration(data: AnalystInput) -> Finding:
    f = Finding("integration")
    for e in data.evidence:
        if signals.is_severe_log(e) and e.matched and VENDOR.search(_text(e)):
            f.add(e, 4.0)
    f.statement = (
        f"Third-party failure: {_short(f.evidence[0])}" if f.evidence else "An integration failure."
    )
    return f


def detect_user_error(data: AnalystInput) -> Finding:
    f = Finding("user_error")
    text = f"{data.ticket.subject}\n{data.ticket.description}"
    words = set(tokens(text))
    problems = [
        e
        for e in data.evidence
        if e.matched
        and signals.is_problem(e)
        and e.novelty != "steady"  # background noise seen all week explains no question
        # nor does a one-off error about something else than what the ticket asks
        and not (e.kind in ("log", "log_pattern") and not words & set(tokens(e.title)))
    ]
    mistakes = [
        e
        for e in data.evidence
        if e.kind in ("log", "log_pattern")
        and e.matched
        and e.novelty in ("new", "spike")
        and e.level in ("warning", "error")
        and USER_MISTAKE.search(e.title)
    ]
    if mistakes:
        for e in mistakes[:2]:
            f.add(e, 4.0)
        f.statement = f"The customer's input is rejected as invalid: {_short(mistakes[0])}"
        return f
    order = {"customer": 0, "subscription": 1, "db_row": 2}
    healthy = sorted(
        (e for e in data.evidence if e.matched and e.kind in order),
        key=lambda e: order[e.kind],
    )
    if QUESTION.search(text) and not problems and healthy:
        f.score = 3.0 + 0.5 * min(len(healthy), 2)
        f.evidence = healthy[:2]
        f.statement = "How-to question: no errors or account problems were found for this customer"
    if FEATURE.search(text) and not problems:
        return Finding(
            "feature_request",
            3.0 + 0.5 * min(len(healthy), 2),
            healthy[:2],
            "A request for something the product does not do yet",
        )
    return f


DETECTORS: list[Callable[[AnalystInput], Finding]] = [
    detect_billing,
    detect_bug,
    detect_outage,
    detect_access,
    detect_configuration,
    detect_performance,
    detect_data,
    detect_integration,
    detect_user_error,
]


def _deploy_before(pattern: Evidence, deploys: list[Evidence]) -> Evidence | None:
    if pattern.first_seen is None:
        return None
    for d in deploys:
        if d.timestamp and timedelta(0) <= pattern.first_seen - d.timestamp <= DEPLOY_HORIZON:
            services = _services(d)
            if not services or not pattern.services or set(pattern.services) & services:
                return d
    return None


def _near_ticket(e: Evidence, ticket_time: datetime) -> bool:
    """An alert or incident that began in the hours before the ticket (or just after it)."""
    started = e.first_seen or e.timestamp
    return started is not None and -ALERT_LEAD <= started - ticket_time <= ALERT_LAG


def _services(e: Evidence) -> set[str]:
    row = signals.row(e)
    return {str(row[k]) for k in ("service", "app", "component") if row.get(k)}


def _customer_values(data: AnalystInput, key: str) -> set[str]:
    return {
        str(signals.row(e).get(key))
        for e in data.evidence
        if e.kind == "customer" and signals.row(e).get(key)
    }


def _short(e: Evidence) -> str:
    return f"{e.id} “{e.title[:90]}”"


def _when(e: Evidence) -> str:
    ts = e.first_seen or e.timestamp
    return f"{ts:%Y-%m-%d %H:%M} UTC" if ts else "an unknown time"
