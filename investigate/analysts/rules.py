"""Category detectors for the offline analyst.

Each detector reads the ranked evidence and returns a `Finding`: a score, the evidence that
supports it and a plain statement. Evidence that mentions the ticket's own entities counts in
full; evidence about the system at large counts half; steady background noise hardly counts.

The backbone is structural: the causal links the ranking found (a change → the first new error
after it, `investigate.evidence.causal`) decide bug (a deploy) versus configuration/access (a change on
the customer's side); typed signals decide the rest — a firing alert of the customer's service
and region (outage), a call to a third-party host failing (integration), an unpaid invoice or
failed charge (billing), a stuck job (data), timeouts without errors (performance), a healthy
account with a question, or a matching roadmap item (user_error / feature_request). The word
lists below are weak priors on top, never the only path to a category.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from investigate.analysts import AnalystInput, intent
from investigate.evidence import causal, signals
from investigate.models import CausalLink, Evidence
from investigate.sdk.relevance import tokens

MAX_SUPPORT = 3
_PER_CUSTOMER = frozenset({"log", "log_pattern", "db_row", "customer"})
ALERT_LEAD = timedelta(hours=6)
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
    r"time[d ]?[_ ]?out|timeout|\bslow\b|latency|\b504\b|gateway time|took too long|"
    r"exceeded (?:the )?(?:time )?budget|ERR_QUERY_TIMEOUT|deadline exceeded|\boverrun|"
    r"(?:above|over|exceed\w*) (?:the )?(?:target|threshold|budget|sla|slo)\b|queue wait"
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
USER_MISTAKE = _rx(
    r"malformed|whitespace|invalid (?:format|syntax|value|characters?)|typo|not a valid|"
    r"wrong (?:format|value|field|password)|missing required|expired (?:link|token|invitation)|"
    r"already (?:used|taken)|ERR_(?:\w+_)?(?:MALFORMED|INVALID_FORMAT)"
)
ROADMAP = _rx(r"roadmap|feature|idea|enhancement|request|planned|backlog|wishlist")
"""A tracker item that records something the product does not do yet (its type or labels)."""


def _links(data: AnalystInput) -> list[tuple[Evidence, Evidence, CausalLink]]:
    return causal.links_of(data.evidence)


def _accounts(e: Evidence) -> int:
    return e.accounts_affected or 0


def _fresh(e: Evidence) -> bool:
    """Not steady background: new or spiking, or not a log at all."""
    return e.kind not in ("log", "log_pattern") or e.novelty != "steady"


_BILLING_KINDS = frozenset({"invoice", "subscription", "charge", "payment"})
_AMOUNT_KEYS = ("total", "amount_due", "amount", "amount_total", "total_amount")
JUMP = 1.8
"""An invoice this many times the median of the customer's earlier ones is a billing signal."""


def _amount(e: Evidence) -> float | None:
    row = signals.row(e)
    for key in _AMOUNT_KEYS:
        try:
            return float(str(row[key]).replace(",", ""))
        except (KeyError, ValueError, TypeError):
            continue
    return None


def _invoice_jump(records: list[Evidence]) -> Evidence | None:
    invoices = sorted(
        (e for e in records if e.kind == "invoice" and e.timestamp and _amount(e) is not None),
        key=lambda e: e.timestamp or datetime.min,
    )
    if len(invoices) < 2:
        return None
    *before, latest = invoices
    earlier = sorted(a for e in before if (a := _amount(e)) is not None)
    median = earlier[len(earlier) // 2]
    amount = _amount(latest)
    return latest if median > 0 and amount is not None and amount >= JUMP * median else None


def detect_billing(data: AnalystInput) -> Finding:
    f = Finding("billing")
    for e in data.evidence:
        if e.kind in ("subscription", "invoice", "charge", "payment") and signals.is_problem(e):
            f.add(e, 3.0)
        elif (
            e.kind in ("log", "log_pattern", "db_row", "customer")
            and e.matched  # another tenant's payment trouble says nothing about this one
            and _fresh(e)
            and BILLING.search(signals.text(e))
        ):
            f.add(e, 1.5 if signals.is_problem(e) or e.kind != "log" else 1.0)
    records = [e for e in data.evidence if e.kind in _BILLING_KINDS and e.matched]
    for e in data.evidence:
        if signals.is_customers_new_problem(e):
            same = next((r for r in records if causal.names_same_thing(r, e, minimum=2)), None)
            if same is not None:  # "scale-up blocked: spend cap reached" ~ the invoice's cap
                f.add(same, 3.0)
                f.add(e, 2.0)
    jump = _invoice_jump(records)
    if jump is not None:
        f.add(jump, 3.0)
    items = {e.kind: e for e in f.evidence}
    parts = []
    if jump is not None:
        parts.append(f"the latest invoice {_short(jump)} is far higher than the ones before")
    if "invoice" in items:
        row = signals.row(items["invoice"])
        error = items["invoice"].payment_error or "was not paid"
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
    """A deploy followed by the first new error of the same service (the causal link), or a
    known open bug sharing the error's code; a product error new for this customer with no
    other explanation counts a little."""
    f = Finding("bug")
    novel = [e for e in data.evidence if signals.is_severe_log(e) and e.novelty in ("new", "spike")]
    patterns = [e for e in novel if e.matched]  # the customer is hit by it
    issues = [
        e for e in data.evidence if e.kind in ("issue", "error_group") and signals.is_problem(e)
    ]
    culprit: Evidence | None = None
    deploy: Evidence | None = None
    for change, error, link in _links(data):
        if link.change != "deploy" or signals.calls_third_party(error):
            continue
        if error.matched or (
            patterns and set(error.services) & {s for p in patterns for s in p.services}
        ):
            culprit, deploy = error, change
            f.add(error, 2.0)
            f.add(change, 1.5 + 2.0 * link.strength)
            if link.new_for == "everyone":
                f.score += 0.5
            break
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
        score = issue.text_score
        relevant = score is not None and score >= 6
        if shared or relevant:
            known = issue
            f.add(issue, 3.0 if shared else 1.0)
            if culprit is None and relevant:
                issue_codes = signals.error_codes(issue)
                culprit = next((p for p in novel if signals.error_codes(p) & issue_codes), None)
                if culprit is not None:
                    f.add(culprit, 2.0)
            break
    if culprit is None:
        # A product error that is new for this customer and explained by nothing else: a
        # likely defect, weakly (any better-supported category wins).
        own = [
            p
            for p in patterns
            if not signals.calls_third_party(p) and not VENDOR.search(signals.text(p))
        ]
        server = [p for p in own if any(s >= 500 for s in signals.http_statuses(p))]
        pick = (server or own)[:1]
        for p in pick:
            culprit = p
            f.add(p, 1.5 if not server else 2.0)
    parts = []
    if culprit is not None:
        parts.append(f"a new error ({_short(culprit)}) started at {_when(culprit)}")
    if deploy is not None:
        parts.append(f"after the deploy {_short(deploy)}")
    if known is not None and known in f.evidence and f.weights.get(known.id, 0) >= 3.0:
        parts.append(f"and matches the known open bug {_short(known)}")
    elif known is not None:
        parts.append(f"(possibly related open bug: {_short(known)})")
    f.statement = ("Regression: " + " ".join(parts)) if parts else "A product bug."
    return f


def detect_outage(data: AnalystInput) -> Finding:
    """A firing alert, open incident or degraded status of the customer's service (and region,
    when both are known), or one new error hitting many accounts at once."""
    f = Finding("outage")
    regions = {r.lower() for r in _customer_values(data, "region")} | {
        e.region for e in data.evidence if e.kind == "customer" and e.region
    }
    mine = [
        e
        for e in data.evidence
        if signals.is_severe_log(e) and e.matched and e.novelty in ("new", "spike")
    ]
    services = {s for e in mine for s in e.services}
    affected = [
        e
        for e in mine
        if _accounts(e) >= 5
        and not VENDOR.search(signals.text(e))
        and not signals.calls_third_party(e)  # a vendor failing is an integration problem
    ]
    aliases = causal.Aliases()
    for e in data.evidence:
        if e.kind not in ("alert", "incident", "status") or not signals.is_problem(e):
            continue
        if not _near_ticket(e, data.ticket.created_at):
            continue
        region = e.region or str(signals.row(e).get("region") or "").lower() or None
        if region and regions and region not in regions:
            continue  # an alert for another region
        alert_services = causal.services_of(e)
        row = signals.row(e)
        where = " ".join(str(row.get(k) or "") for k in ("region", "labels", "service")).lower()
        same_service = bool(alert_services and aliases.overlap(alert_services, services)) or any(
            s.lower() in where for s in services
        )
        same_region = bool(region and region in regions) or any(r in where for r in regions if r)
        if same_service or (affected and not alert_services) or (same_region and not services):
            f.add(e, 4.0)
    for e in affected[:1]:
        f.add(e, 3.0)
    alerts = [e for e in f.evidence if e.kind in ("alert", "incident", "status")]
    broad = [e for e in f.evidence if e.kind in ("log", "log_pattern")]
    parts = []
    if alerts:
        parts.append(f"{alerts[0].kind} {_short(alerts[0])} is firing")
    if broad:
        n = max(_accounts(e) for e in broad)
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
            or e.novelty == "steady"  # week-old background explains no new complaint
        ):
            continue
        text = signals.text(e)
        if rx.search(text) and not any(x.search(text) for x in exclude):
            f.add(e, weight)
    return f


STRONG_LINK = 0.5
"""A customer's change this strongly linked to a third party failing is their setting (a sender
domain that does not resolve), not the vendor's fault."""


def _customer_change(data: AnalystInput) -> tuple[Evidence, Evidence, CausalLink] | None:
    """The strongest link from a change on the customer's side to their first new error. An
    error that rejects the customer's input as invalid (a malformed value, HTTP 400/413/422) is
    their mistake whatever they changed before, and a third party failing is integration."""
    for change, error, link in _links(data):
        if link.change != "change":
            continue
        if signals.calls_third_party(error) and link.strength < STRONG_LINK:
            continue  # a vendor failing after some unrelated change of theirs
        if USER_MISTAKE.search(error.title):
            continue
        return change, error, link
    return None


_PEOPLE = _rx(
    r"^(?:member|user|seat|role|membership|group_member|scope|permission|grant|access|invite|"
    r"employee|staff|person|people|account_user)s?\b"
)


def _about_people(change: Evidence) -> bool:
    """A change to who may do what (a role, a membership, a seat, a person's scopes): access
    rather than setup. Read from the change's action (`member.scope_removed`), else its text."""
    row = signals.row(change)
    action = next(
        (str(row[k]) for k in ("action", "event_type", "event", "operation") if row.get(k)),
        change.title,
    )
    return bool(_PEOPLE.search(action.strip()) or ROLE_CHANGE.search(action))


INACTIVE = frozenset(
    {
        *("deprovisioned", "deactivated", "suspended", "disabled", "inactive"),
        *("removed", "locked", "revoked", "blocked", "archived"),
    }
)


def _person(e: Evidence) -> bool:
    """A record about a person: it carries an e-mail or a role."""
    row = signals.row(e)
    return any(k in row for k in ("email", "role", "user_email", "login")) or "@" in e.title


def detect_access(data: AnalystInput) -> Finding:
    f = _matching_logs(data, ACCESS, 3.0, exclude=(BILLING, CONFIG))
    f.category = "access"
    chain = _customer_change(data)
    if chain is not None and _about_people(chain[0]):
        change, error, link = chain
        f.add(error, 2.0)
        f.add(change, 2.5 + 2.5 * link.strength)
    elif chain is None:
        for e in data.evidence:
            if (
                e.kind == "db_row"
                and ROLE_CHANGE.search(signals.text(e))
                and e.timestamp
                and e.timestamp <= data.ticket.created_at
                and f.evidence
            ):
                f.add(e, 2.5)
                break
    for e in data.evidence:
        if e.kind == "db_row" and e.matched and _person(e) and signals.status(e) in INACTIVE:
            f.add(e, 3.0)  # the requester's own record: deprovisioned, suspended, inactive…
            for log in data.evidence:
                if (
                    log.kind in ("log", "log_pattern")
                    and log.matched
                    and _fresh(log)
                    and log.level in ("warning", "error", "critical")
                    and causal.names_same_thing(e, log)
                ):
                    f.add(log, 2.0)
                    break
            break
    rows = ("db_row", "customer")
    denied = next((e for e in f.evidence if e.kind not in rows), None)
    setting = next((e for e in f.evidence if e.kind in rows), None)
    clauses = {"requests are denied ({})": denied, "after a permission change: {}": setting}
    f.statement = _say("Permissions", clauses, otherwise="An access problem.")
    return f


def detect_configuration(data: AnalystInput) -> Finding:
    f = Finding("configuration")
    for e in _matching_logs(data, CONFIG, 3.0, exclude=(BILLING,)).evidence:
        if not signals.calls_third_party(e):  # a vendor's certificate is not the customer's setting
            f.add(e, 3.0)
    chain = _customer_change(data)
    if chain is not None and not _about_people(chain[0]):
        change, error, link = chain
        f.add(error, 2.0)
        f.add(change, 2.5 + 2.5 * link.strength)
    elif f.evidence:
        for e in data.evidence:
            if e.kind == "db_row" and CONFIG.search(signals.text(e)):
                f.add(e, 2.5)
                break
    logs = [e for e in f.evidence if e.kind in ("log", "log_pattern")]
    if logs and RATE.search(signals.text(logs[0])):
        for e in data.evidence:
            if e.kind == "customer" and any("rate_limit" in k for k in signals.row(e)):
                f.add(e, 1.5)
                break
    setting = next((e for e in f.evidence if e.kind not in ("log", "log_pattern")), None)
    parts = []
    if logs:
        parts.append(f"requests fail with {_short(logs[0])}")
    if setting:
        parts.append(f"following a settings change: {_short(setting)}")
    if logs and RATE.search(signals.text(logs[0])):
        parts.append("(the client exceeds the plan's API rate limit)")
    f.statement = "Configuration: " + " ".join(parts) if parts else "A configuration problem."
    return f


SLOW_MS = 2000.0
"""A request or step this slow (from a duration field of the log line) is a performance signal."""


GATEWAY_TIMEOUTS = frozenset({408, 504, 524})
"""HTTP statuses that say a request waited too long (client, gateway, origin timeout)."""


def _measured_wait(e: Evidence) -> bool:
    """The line measured latency itself: a duration over `SLOW_MS` or a timeout status."""
    return (signals.duration_ms(e) or 0) >= SLOW_MS or bool(GATEWAY_TIMEOUTS & set(e.http_statuses))


def detect_performance(data: AnalystInput) -> Finding:
    """Latency or timeouts for this customer without a third party to blame: a duration field
    over `SLOW_MS` in the customer's new warnings, or (weak prior) slow/timeout wording — on an
    error-level line with an error code only when the line measured the wait itself."""
    f = Finding("performance")
    for e in data.evidence:
        if (
            e.kind in ("log", "log_pattern")
            and e.matched
            and e.novelty in ("new", "spike")
            and not signals.calls_third_party(e)
            and (
                # slow, not failing (an error is a failure), or cut off for waiting too long
                (e.level in ("info", "warning") and (signals.duration_ms(e) or 0) >= SLOW_MS)
                or bool(GATEWAY_TIMEOUTS & set(e.http_statuses))
            )
        ):
            f.add(e, 2.0 if e.level == "info" else 3.0)
    for e in _matching_logs(data, PERF, 3.0, exclude=(CONFIG,)).evidence:
        if signals.calls_third_party(e):  # a vendor timing out is an integration problem
            continue
        if e.level in ("error", "critical") and e.error_codes and not _measured_wait(e):
            continue  # a failure with a code (`…_TIMEOUT` inside it included) is an error
        f.add(e, 3.0)
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
    for e in data.evidence:
        if e.kind == "db_row" and e.matched and signals.is_job(e) and signals.is_partial(e):
            f.add(e, 3.0)  # a job that finished with errors or skipped rows
    failed = next(
        (
            e
            for e in data.evidence
            if e.kind == "db_row"
            and e.matched
            and signals.is_job(e)
            and signals.status(e) in ("failed", "error", "timed_out", "timeout", "aborted")
        ),
        None,
    )
    if failed is not None:
        f.add(
            failed, 2.5
        )  # a failed run leaves its output stale (a code error with a deploy is a bug)
    g = _matching_logs(data, DATA, 2.0)
    for e in g.evidence:
        f.add(e, 2.0)
    services = {s for e in g.evidence for s in e.services}
    for e in data.evidence:  # the job run by the same component as the pipeline's warnings
        same = any(s.lower() in e.title.lower() for s in services)
        if e.kind == "db_row" and e.matched and signals.is_job(e) and same:
            f.add(e, 1.5)
    for e in data.evidence:  # the platform-side cause, in the same service, may name no customer
        if (
            not e.matched
            and signals.is_severe_log(e)
            and e.novelty in ("new", "spike")
            and set(e.services) & services
            and DATA.search(signals.text(e))
        ):
            f.add(e, 2.0)
    job = next((e for e in f.evidence if e.kind == "db_row"), None)
    logs = next((e for e in f.evidence if e.kind != "db_row"), None)
    state = (
        "is stuck"
        if job is None or signals.is_stuck(job, data.ticket.created_at)
        else "finished with errors"
        if signals.is_job(job) and signals.is_partial(job)
        else "failed"
        if job is failed
        else "is behind"
    )
    clauses = {f"a job {state} ({{}})": job, "and the pipeline reports {}": logs}
    f.statement = _say("Data delay", clauses, otherwise="A data delay.")
    return f


def detect_integration(data: AnalystInput) -> Finding:
    """The customer's new error is a call to a third party failing: a public host of someone
    else, a network-level failure, or (weak prior) a known vendor's name."""
    f = Finding("integration")
    for e in data.evidence:
        if not (
            e.kind in ("log", "log_pattern")
            and e.matched
            and e.level in ("warning", "error", "critical")
        ):
            continue
        if e.novelty == "steady":
            continue
        if signals.calls_third_party(e):
            f.add(e, 4.0 if e.level != "warning" else 3.0)
        elif signals.is_severe_log(e) and VENDOR.search(signals.text(e)):
            f.add(e, 4.0)
    f.statement = (
        f"Third-party failure: {_short(f.evidence[0])}" if f.evidence else "An integration failure."
    )
    return f


def _roadmap_items(data: AnalystInput) -> list[Evidence]:
    """Tracker items that record a capability not built yet and that match the ticket."""
    out = []
    for e in data.evidence:
        if e.kind not in ("issue", "ticket"):
            continue
        row = signals.row(e)
        kind = " ".join(
            str(row.get(k) or "") for k in ("type", "issue_type", "labels", "kind", "category")
        )
        about = f"{e.source} {kind} "
        score = e.text_score
        relevant = score is not None and score >= 2
        if relevant and ROADMAP.search(about):
            out.append(e)
    return out


def _own_action(data: AnalystInput, words: set[str]) -> Evidence | None:
    """The best-ranked change the customer made in the window before the ticket, about what
    the ticket names, that caused no new error (a change with an effect is configuration or
    access). A record's older change (who paired a sensor in March) is history, not news."""
    causes = {link.cause for _, _, link in _links(data)}
    words = words - _identity_words(data)  # "by rosa@…" and a ticket signed "Rosa" share a name
    recent = (
        e
        for e in data.evidence
        if e.kind in ("db_row", "customer", "subscription")
        and e.matched
        and signals.is_change(e)
        and e.timestamp is not None
        and data.window.start <= e.timestamp <= data.ticket.created_at
        and e.id not in causes
        and words & set(tokens(readable_change(e)))
    )
    return next(recent, None)


def _identity_words(data: AnalystInput) -> set[str]:
    """Who the ticket is from and which accounts it names: words that tie a record to the
    customer, not to what the ticket asks about."""
    who = data.ticket.requester
    e = data.entities
    names = [who.name or "", who.email or "", *e.emails, *e.account_ids, *e.org_ids, *e.user_ids]
    return set(tokens(" ".join(names)))


def readable_change(e: Evidence) -> str:
    row = signals.row(e)
    parts = [str(row.get(k) or "") for k in ("action", "event_type", "target", "object", "name")]
    return " ".join([*parts, e.title]).replace("_", " ").replace(".", " ")


_TOO_BIG = _rx(r"exceeds? (?:the )?(?:\S+ ){0,3}(?:limit|maximum|max)\b|too (?:large|big)\b")


def _input_rejected(e: Evidence) -> bool:
    """The customer's input refused as too big or invalid (HTTP 400/413/422, over a limit)."""
    return bool(signals.http_statuses(e) & {400, 413, 422}) or bool(_TOO_BIG.search(e.title))


_SETTING_VERB = _rx(
    r"\b(?:updated|changed|set|modified|rotated|enabled|disabled|configured|renamed)\b"
)


def detect_user_error(data: AnalystInput) -> Finding:
    f = Finding("user_error")
    text = f"{data.ticket.subject}\n{data.ticket.description}"
    asked = intent.read(
        text,
        extra_feature=data.intent_phrases.get("feature", ()),
        extra_howto=data.intent_phrases.get("howto", ()),
    )
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
    effects = {link.effect for _, _, link in _links(data) if link.change == "change"}
    ticket_words = causal.content_words(text)

    def asks_about(e: Evidence) -> bool:
        return bool(ticket_words & causal.content_words(e.title))

    mistakes = [
        e
        for e in data.evidence
        if e.kind in ("log", "log_pattern")
        and e.matched
        and e.novelty in ("new", "spike")
        and e.level in ("warning", "error")
        # a refusal a customer's change caused (a 422 after a setting) is configuration
        and (
            USER_MISTAKE.search(e.title)
            or (_input_rejected(e) and e.id not in effects and asks_about(e))
        )
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
    roadmap = _roadmap_items(data)
    if (asked.feature or roadmap) and not problems and (asked.feature or asked.asks):
        found = Finding("feature_request")
        for e in roadmap[:1]:
            found.add(e, 3.0)
        found.score += 3.0 if asked.feature else 1.0
        for e in healthy[:2]:
            found.add(e, 0.5)
        found.statement = (
            f"A request for something the product does not do yet (on the roadmap: {_short(roadmap[0])})"
            if roadmap
            else "A request for something the product does not do yet"
        )
        return found
    if not problems:
        own = _own_action(data, words)
        if own is not None:
            # A setting they changed is configuration; an object they removed or detached
            # themselves (deleted, unpaired, archived) is their own action.
            setting = bool(_SETTING_VERB.search(readable_change(own)))
            found = Finding("configuration" if setting else "user_error")
            found.add(own, 3.5)
            for e in healthy[:1]:
                found.add(e, 0.5)
            found.statement = (
                f"Configuration: the customer changed a setting before the symptom: {_short(own)}"
                if setting
                else f"The customer's own recent action explains it: {_short(own)}"
            )
            return found
    if asked.howto and not problems and healthy:
        f.score = 3.0 + 0.5 * min(len(healthy), 2)
        # the account's state answers "is anything wrong?"; a change that explains nothing
        # the ticket asks about is no part of the answer
        context = [e for e in healthy if not signals.is_change(e)]
        f.evidence = (context or healthy)[:2]
        f.statement = "How-to question: no errors or account problems were found for this customer"
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


def _near_ticket(e: Evidence, ticket_time: datetime) -> bool:
    """An alert or incident that began in the hours before the ticket (or just after it)."""
    started = e.first_seen or e.timestamp
    return started is not None and -ALERT_LEAD <= started - ticket_time <= ALERT_LAG


def _customer_values(data: AnalystInput, key: str) -> set[str]:
    return {
        str(signals.row(e).get(key))
        for e in data.evidence
        if e.kind == "customer" and signals.row(e).get(key)
    }


def _say(label: str, clauses: dict[str, Evidence | None], otherwise: str) -> str:
    """`label: clause clause…`, each clause whose item is there, with its short name in the
    `{}`; `otherwise` when none is."""
    said = [clause.format(_short(e)) for clause, e in clauses.items() if e is not None]
    return f"{label}: " + " ".join(said) if said else otherwise


def _short(e: Evidence) -> str:
    from investigate.analysts.reply import cut

    return f"{e.id} “{cut(e.title, 90)}”"


def _when(e: Evidence) -> str:
    ts = e.first_seen or e.timestamp
    return f"{ts:%Y-%m-%d %H:%M} UTC" if ts else "an unknown time"
