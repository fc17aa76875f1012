"""The offline analyst: deterministic rules over the ranked evidence, no network.

It picks the best-supported category (see `rules`), cites the evidence behind it, lists the
runners-up as alternatives, and writes the escalation, gaps, next steps, an internal note and a
customer reply that carries no internal details.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

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


@dataclass(frozen=True)
class _Category:
    """What the analyst says for one category: a table of `categories.toml`."""

    tier: str
    team: str
    why: str
    severity: str
    impact: str
    next_steps: list[str]


@cache
def _categories() -> dict[str, _Category]:
    text = (files("investigate.analysts") / "categories.toml").read_text(encoding="utf-8")
    return {name: _Category(**row) for name, row in tomllib.loads(text).items()}


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
    row = _categories()[category]
    team = _team(category, best, row.team)
    incident = _incident(category, best, data)
    from investigate.evidence.runbooks import for_analysis

    books = for_analysis(data.runbooks, category, best.evidence)
    steps = [step for book in books for step in book.steps] + row.next_steps
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
        customer_impact=_impact(category, best),
        severity=_severity(category, data),
        escalation=Escalation(tier=row.tier, team=team, reason=row.why),
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
    severity = _categories()[category].severity
    if (data.ticket.priority or "").lower() == "urgent" and severity in ("sev3", "sev4"):
        return "sev2" if category not in ("user_error", "feature_request") else severity
    return severity


_BROAD_CAUSES = frozenset({"bug", "outage", "integration", "performance", "data"})
"""Causes that can reach other customers; a customer-side cause (their role change, their
setting, their card) affects them alone, whatever else the same error message hits."""


def _impact(category: str, finding: Finding) -> str:
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
    text = _categories()[category].impact
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
