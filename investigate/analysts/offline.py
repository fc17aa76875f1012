"""The offline analyst: deterministic rules over the ranked evidence, no network.

It picks the best-supported category (see `rules`), cites the evidence behind it, lists the
runners-up as alternatives, and writes the escalation, gaps, next steps, an internal note and a
customer reply that carries no internal details.
"""

from __future__ import annotations

from investigate.analysts import AnalystInput, reply
from investigate.analysts.rules import DETECTORS, Finding
from investigate.evidence import causal
from investigate.models import (
    Alternative,
    Analysis,
    Escalation,
    Evidence,
    Incident,
    RootCause,
    TimelineEntry,
    Usage,
)

_ESCALATION = {
    "billing": (
        "L2",
        "billing",
        "The fix needs account or billing changes (retry payment, update card, lift the restriction).",
    ),
    "bug": ("L3", "engineering", "A product defect needs an engineering fix."),
    "outage": ("L3", "on-call SRE", "A service-wide incident; link this ticket to it."),
    "access": (
        "L1",
        "support",
        "The customer's own admin changed the user's role; support can explain.",
    ),
    "configuration": (
        "L1",
        "support",
        "The fix is a setting on the customer's side; support can guide them.",
    ),
    "performance": (
        "L3",
        "engineering",
        "Slow or timing-out requests need engineering to investigate.",
    ),
    "data": (
        "L2",
        "data platform",
        "A stuck or delayed pipeline job needs to be restarted or investigated.",
    ),
    "integration": (
        "L2",
        "integrations",
        "A third-party service is failing; monitor it and inform the customer.",
    ),
    "user_error": ("L1", "support", "A how-to question support can answer directly."),
    "feature_request": ("L1", "support", "Log the request for product management."),
    "unknown": (
        "L2",
        "support",
        "The evidence does not explain the problem; a person needs to triage it.",
    ),
}
_SEVERITY = {
    "outage": "sev1",
    "bug": "sev2",
    "performance": "sev2",
    "data": "sev2",
    "billing": "sev3",
    "access": "sev3",
    "configuration": "sev3",
    "integration": "sev3",
    "user_error": "sev4",
    "feature_request": "sev4",
    "unknown": "sev3",
}
_IMPACT = {
    "billing": "The account is restricted until the outstanding invoice is paid.",
    "bug": "The affected feature fails for this customer (and possibly others) since the change.",
    "outage": "Many customers are affected while the incident lasts.",
    "access": "The user cannot reach the features their role no longer allows.",
    "configuration": "The affected feature fails until the setting is corrected.",
    "performance": "Pages and API calls are slow or time out for this customer.",
    "data": "Recent data is missing or late in the customer's dashboards.",
    "integration": "Notifications or syncs through the third-party service are not delivered.",
    "user_error": "None found: the product works as designed for this customer.",
    "feature_request": "None: a request for a capability.",
    "unknown": "Unknown from the available evidence.",
}
_NEXT = {
    "billing": [
        "Confirm the failed payment in the billing system",
        "Ask the customer to update the payment method, then retry the invoice",
        "Lift the restriction once the invoice is paid",
    ],
    "bug": [
        "Link the ticket to the known bug (or file one with the cited evidence)",
        "Ask engineering whether a rollback of the deploy is possible",
        "Tell the customer when a fix ships; offer a workaround if one exists",
    ],
    "outage": [
        "Link this ticket to the incident",
        "Post or check the status page",
        "Reply to the customer with the incident update; follow up when resolved",
    ],
    "access": [
        "Confirm the role change in the audit log with the customer's admin",
        "Explain that an admin on their side can restore the role",
    ],
    "configuration": [
        "Point the customer to the setting that needs correcting (see the cited evidence)",
        "Verify the fix by checking for new errors after they change it",
    ],
    "performance": [
        "Hand the slow requests (cited) to engineering",
        "Check whether the account's data volume recently grew",
        "Offer a workaround such as a smaller date range",
    ],
    "data": [
        "Restart or unstick the cited job",
        "Check the pipeline's lag until it has caught up",
        "Tell the customer when the data is complete",
    ],
    "integration": [
        "Check the third party's status page",
        "Confirm retries are queued so nothing is lost",
        "Update the customer when the provider recovers",
    ],
    "user_error": ["Answer with the how-to steps and a link to the documentation"],
    "feature_request": [
        "Log the request in the product feedback tracker",
        "Offer the closest existing workaround",
    ],
    "unknown": [
        "Ask the customer for a request ID, a screenshot and the time it happened",
        "Check the sources that failed or were skipped",
    ],
}


MIN_ALTERNATIVE = 2.0


class OfflineAnalyst:
    name = "offline"

    def __init__(self, gap: str | None = None, label: str = "offline") -> None:
        self.gap = gap
        self.label = label

    async def analyse(self, data: AnalystInput) -> tuple[Analysis, Usage]:
        return analyse(data, label=self.label, extra_gap=self.gap), Usage()


_FROM_TEXT = frozenset({"user_error", "feature_request"})


def analyse(data: AnalystInput, label: str = "offline", extra_gap: str | None = None) -> Analysis:
    findings = sorted((d(data) for d in DETECTORS), key=lambda f: -f.score)
    findings = [
        f
        for f in findings
        # A how-to question or a feature request needs no evidence: the ticket text is enough.
        if (f.score > 0 and f.evidence) or (f.category in _FROM_TEXT and f.score > 0)
    ]
    best = findings[0] if findings else Finding("unknown")
    runner_up = findings[1].score if len(findings) > 1 else 0.0
    confidence = _confidence(best.score, runner_up)
    cited = _cite(best.strongest())
    category = best.category if best.score > 0 else "unknown"
    statement = (
        best.statement if category != "unknown" else "The evidence does not point to a cause."
    )
    tier, team, why = _ESCALATION[category]
    team = _team(category, best, team)
    incident = _incident(category, best, data)
    from investigate.evidence.runbooks import for_analysis

    books = for_analysis(data.runbooks, category, best.evidence)
    steps = [step for book in books for step in book.steps] + _NEXT[category]
    guidance = [book.reply for book in books if book.reply]
    others = [f for f in findings[1:3] if f.score >= MIN_ALTERNATIVE and _linked(f, data)]
    return Analysis(
        analyst=label,
        summary=_summary(category, statement, confidence, data),
        root_cause=RootCause(
            statement=statement,
            category=category,
            confidence=confidence if category != "unknown" else "low",
            evidence=cited,
        ),
        alternatives=[
            Alternative(
                statement=f.statement,
                why_less_likely=f"weaker support ({f.score:.1f} vs {best.score:.1f})",
                evidence=_cite(f.strongest(3)),
            )
            for f in others
        ],
        timeline=_timeline(best.evidence, data),
        customer_impact=_impact(category, best, data),
        severity=_severity(category, data),
        escalation=Escalation(tier=tier, team=team, reason=why),
        incident=incident,
        gaps=_gaps(data, extra_gap),
        next_steps=list(dict.fromkeys(steps)),
        draft_reply=reply.compose(category, best.strongest(), data, guidance),
        internal_note=_note(category, statement, confidence, best, others, data),
        runbooks=[book.name for book in books],
    )


def _linked(finding: Finding, data: AnalystInput) -> bool:
    """An alternative must rest on evidence tied to this ticket: the customer's own items, a
    causal link, or an alert/incident; steady background of other tenants is no alternative."""
    linked = {link.cause for _, _, link in causal.links_of(data.evidence)} | {
        link.effect for _, _, link in causal.links_of(data.evidence)
    }
    return any(
        (e.matched and e.novelty != "steady")
        or e.id in linked
        or e.kind in ("alert", "incident", "status", "issue")
        for e in finding.evidence
    )


def _confidence(score: float, runner_up: float) -> str:
    if score >= 7 and score - runner_up >= 3:
        return "high"
    if score >= 4 and score > runner_up:
        return "medium"
    return "low"


def _cite(items: list[Evidence]) -> list[str]:
    return [e.id for e in items if e.id][:6]


def _team(category: str, finding: Finding, default: str) -> str:
    if category in ("bug", "performance"):
        services = sorted({s for e in finding.evidence for s in e.services})
        if services:
            return f"{default} ({', '.join(services[:2])})"
    return default


def _incident(category: str, finding: Finding, data: AnalystInput) -> Incident:
    found = data.incident
    if category != "outage" or found.suspected:
        return found
    alerts = [e.id for e in finding.evidence if e.kind in ("alert", "incident") and e.id]
    return Incident(suspected=True, reason=finding.statement, alerts=alerts)


def _severity(category: str, data: AnalystInput) -> str:
    severity = _SEVERITY[category]
    if (data.ticket.priority or "").lower() == "urgent" and severity in ("sev3", "sev4"):
        return "sev2" if category not in ("user_error", "feature_request") else severity
    return severity


_BROAD_CAUSES = frozenset({"bug", "outage", "integration", "performance", "data"})
"""Causes that can reach other customers; a customer-side cause (their role change, their
setting, their card) affects them alone, whatever else the same error message hits."""


def _impact(category: str, finding: Finding, data: AnalystInput) -> str:
    """The category's impact, plus the breadth of the cited error when it is this customer's
    own, non-steady error (another tenant's background says nothing about this ticket)."""
    broad = max(
        (
            e.accounts_affected or 0
            for e in finding.evidence
            if e.kind in ("log", "log_pattern") and e.matched and e.novelty in ("new", "spike")
        ),
        default=0,
    )
    text = _IMPACT[category]
    if broad > 1 and category in _BROAD_CAUSES:
        text += f" The same error affects {broad} accounts."
    return text


def _timeline(items: list[Evidence], data: AnalystInput) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(timestamp=e.first_seen or e.timestamp, event=_event(e), evidence=[e.id])
        for e in items
        if (e.first_seen or e.timestamp) and e.id
    ]
    entries.append(
        TimelineEntry(timestamp=data.ticket.created_at, event="Ticket created", evidence=[])
    )
    return sorted(entries, key=lambda t: t.timestamp or data.ticket.created_at)


def _event(e: Evidence) -> str:
    if e.kind in ("log", "log_pattern"):
        return f"First seen: {reply.cut(e.title, 120)} ({e.count}×)"
    return f"{e.kind.replace('_', ' ').capitalize()}: {reply.cut(e.title, 120)}"


def _gaps(data: AnalystInput, extra: str | None) -> list[str]:
    gaps = [
        f"{s.name} ({s.type}) {s.status}: {s.error}"
        for s in data.sources
        if s.status in ("error", "timeout")
        or (s.status == "skipped" and s.error != "disabled in config")
    ]
    gaps += data.notes
    if data.omitted:
        gaps.append(
            f"{data.omitted} lower-ranked evidence items were left out by the evidence budget"
        )
    if not (data.entities.account_ids or data.entities.org_ids or data.entities.customer_ids):
        gaps.append("no account could be identified from the ticket or the requester's email")
    gaps.append(extra if extra else "deterministic analysis: no LLM was used")
    return gaps


def _summary(category: str, statement: str, confidence: str, data: AnalystInput) -> str:
    if category == "unknown":
        return f"No cause found for “{data.ticket.subject[:80]}” in {len(data.evidence)} evidence items."
    return f"{category.replace('_', ' ').capitalize()} ({confidence} confidence): {statement}"


def _note(
    category: str,
    statement: str,
    confidence: str,
    best: Finding,
    others: list[Finding],
    data: AnalystInput,
) -> str:
    lines = [f"Likely {category} ({confidence}): {statement}"]
    lines += [f"- {e.id} [{e.source}] {e.title[:140]}" for e in best.evidence if e.id]
    for f in others:
        lines.append(f"Also considered {f.category} ({f.score:.1f}): {f.statement[:160]}")
    failed = [s.name for s in data.sources if s.status in ("error", "timeout")]
    if failed:
        lines.append(f"Not checked (failed): {', '.join(failed)}")
    lines += [f"Note: {q}" for q in reply.unanswered(category, data)]
    howto = not any(e.kind in ("log", "log_pattern") for e in best.evidence)
    linked = data.reply.help_links.get("user_error") or data.reply.help_links.get("default")
    if category == "user_error" and howto and not linked:
        lines.append("Note: add the how-to steps (or a help link: reply.help_links) before sending")
    return "\n".join(lines)
