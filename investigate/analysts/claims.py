"""Every field of a model's report checked against the evidence that was actually sent, not
only the cited lists: a fake `E99` in the summary, an incident "backed" by an alert that does
not exist, a sev1 with nothing behind it or a refund promised to the customer on no evidence
are dropped or demoted, each with a gap that says so."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from investigate.evidence import signals
from investigate.models import Analysis, Evidence

_ID = re.compile(r"\bE\d{1,3}\b")
_SENTENCE = re.compile(r"((?<=[.!?])\s+|\n+)")
_CITATION_LEFTOVER = re.compile(
    r"\s*\(\s*(?:[,;]\s*)*\)|\s*\[\s*(?:[,;]\s*)*\]|(?<=[(\[])\s*[,;]\s*|\s*[,;]\s*(?=[)\]])"
)
"""What is left of `(E2, E77)` once E77 is gone: the comma, or the empty brackets."""
_MONEY_PROMISE = re.compile(
    r"\b(?:refund\w*|reimburs\w*|compensat\w*|credit(?:s|ed)?\b(?!\s+card)|money back|"
    r"free (?:month|months|of charge)|discount\w*|waive\w*|charge\s?back)",
    re.I,
)
_MONEY_EVIDENCE = re.compile(r"\b(?:refund\w*|credit(?:ed|s)?\b(?!\s+card)|credit note)", re.I)
_INCIDENT_KINDS = frozenset({"alert", "incident", "status"})
_SEVERE = frozenset({"sev1", "sev2"})
_NO_SUMMARY = "The model's summary was not supported by the evidence; see the root cause."
_HOLDING_REPLY = (
    "Thank you for your report. We are looking into it and will get back to you as soon as "
    "we know more."
)


@dataclass
class _Check:
    evidence: dict[str, Evidence]
    gaps: list[str] = field(default_factory=list)

    def text(self, value: str, where: str, instead: str | None = None) -> str:
        """Sentences citing only evidence that does not exist are dropped; unknown IDs in a
        sentence that also cites real evidence are removed."""
        dropped: list[str] = []

        def check(sentence: str) -> str | None:
            ids = _ID.findall(sentence)
            unknown = [i for i in ids if i not in self.evidence]
            dropped.extend(unknown)
            if not unknown:
                return sentence
            if len(unknown) == len(ids):
                return None
            return _CITATION_LEFTOVER.sub("", _ID.sub(self._keep_known, sentence))

        kept = _per_sentence(value, check, instead)
        if dropped:
            self.gaps.append(
                f"dropped from {where}: a claim citing evidence that does not exist "
                f"({', '.join(dict.fromkeys(dropped))})"
            )
        return kept

    def _keep_known(self, m: re.Match[str]) -> str:
        return m.group(0) if m.group(0) in self.evidence else ""

    def drop(
        self, value: str, gap: str, unsupported: Callable[[str], bool], instead: str | None
    ) -> str:
        kept = _per_sentence(value, lambda s: None if unsupported(s) else s, instead)
        if kept != value:
            self.gaps.append(gap)
        return kept


def _per_sentence(
    value: str, check: Callable[[str], str | None], instead: str | None = None
) -> str:
    """`check` each sentence (None drops it; the first one dropped becomes `instead`, if
    given); separators of kept sentences stay as they were."""
    parts = _SENTENCE.split(value)
    out: list[str] = []
    for i in range(0, len(parts), 2):
        sentence = check(parts[i])
        if sentence is None and instead is not None:
            sentence, instead = instead, None
        if sentence is not None:
            out += [sentence, *parts[i + 1 : i + 2]]
    return value if out == parts else "".join(out).strip()


def check_claims(analysis: Analysis, evidence: list[Evidence]) -> Analysis:
    """Every free-text field, the incident, the severity and the draft, checked."""
    check = _Check({e.id: e for e in evidence if e.id})
    a = analysis
    a.summary = check.text(a.summary, "the summary")
    a.customer_impact = check.text(a.customer_impact, "the customer impact")
    if any(i in check.evidence for i in a.root_cause.evidence):  # else it is replaced anyway
        a.root_cause.statement = check.text(a.root_cause.statement, "the root cause") or (
            "The model's statement cited only evidence that does not exist."
        )
    for alt in a.alternatives:
        alt.statement = check.text(alt.statement, "an alternative")
        alt.why_less_likely = check.text(alt.why_less_likely, "an alternative")
    for entry in a.timeline:
        entry.event = check.text(entry.event, "the timeline")
    a.escalation.reason = check.text(a.escalation.reason, "the escalation reason")
    a.incident.reason = check.text(a.incident.reason, "the incident reason")
    a.internal_note = check.text(a.internal_note, "the internal note")
    a.next_steps = [s for s in (check.text(s, "the next steps") for s in a.next_steps) if s]
    _check_incident(a, check)
    _check_severity(a, check)
    _check_draft(a, check)
    if not a.summary:
        a.summary = _NO_SUMMARY
    a.gaps = [*a.gaps, *check.gaps]
    return a


def _check_incident(a: Analysis, check: _Check) -> None:
    incident = a.incident
    alerts = [i for i in dict.fromkeys(incident.alerts) if i in check.evidence]
    fake = [i for i in incident.alerts if i not in check.evidence]
    if fake:
        check.gaps.append(f"the incident cited alerts that do not exist: {', '.join(fake)}")
    not_alerts = [i for i in alerts if check.evidence[i].kind not in _INCIDENT_KINDS]
    if not_alerts:
        check.gaps.append(
            f"the incident cited evidence that is not an alert or incident: {', '.join(not_alerts)}"
        )
    incident.alerts = [i for i in alerts if i not in not_alerts]
    seen = _ticket_ids(check.evidence.values())
    unseen = [t for t in incident.related_tickets if t.lstrip("#") not in seen]
    if unseen:
        check.gaps.append(
            f"the incident named related tickets found in no evidence: {', '.join(unseen)}"
        )
    incident.related_tickets = [t for t in incident.related_tickets if t not in unseen]
    if incident.suspected and not incident.alerts and not incident.related_tickets:
        check.gaps.append(
            "the model suspected an incident but no alert, incident or related ticket in the "
            "evidence supports it; not flagged"
        )
        incident.suspected = False


def _ticket_ids(evidence: Iterable[Evidence]) -> set[str]:
    ids: set[str] = set()
    for e in evidence:
        if e.kind == "ticket":
            ids |= {e.id, str(signals.row(e).get("id") or "")}
    return ids - {""}


def _supported(a: Analysis, check: _Check) -> list[str]:
    cited = [*a.root_cause.evidence, *a.incident.alerts]
    return [i for i in cited if i in check.evidence]


def _check_severity(a: Analysis, check: _Check) -> None:
    if a.severity in _SEVERE and not _supported(a, check):
        check.gaps.append(
            f"the model's severity {a.severity} rests on no cited evidence; lowered to sev3"
        )
        a.severity = "sev3"


def _check_draft(a: Analysis, check: _Check) -> None:
    """The customer reads the draft: no claim on fake evidence, and no promise of money
    (refund, credit, compensation) unless cited evidence shows one."""
    draft = check.text(a.draft_reply, "the draft reply", _HOLDING_REPLY)
    backed = any(_MONEY_EVIDENCE.search(_text_of(check.evidence[i])) for i in _cited(a, check))
    if not backed:
        draft = check.drop(
            draft,
            "removed from the draft reply: a promise of a refund, credit or compensation that "
            "no cited evidence supports (a person decides that)",
            lambda s: bool(_MONEY_PROMISE.search(s)),
            None if _HOLDING_REPLY in draft else _HOLDING_REPLY,
        )
    if a.draft_reply.strip() and not draft:
        draft = _HOLDING_REPLY
    a.draft_reply = draft


def _cited(a: Analysis, check: _Check) -> list[str]:
    ids = [*a.root_cause.evidence, *a.incident.alerts]
    ids += [i for alt in a.alternatives for i in alt.evidence]
    ids += [i for entry in a.timeline for i in entry.evidence]
    return [i for i in dict.fromkeys(ids) if i in check.evidence]


def _text_of(e: Evidence) -> str:
    data = e.model_dump(
        mode="json",
        include={
            "record",
            "fields",
            "attributes",
            "status",
            "error_codes",
            "http_statuses",
            "accounts_affected",
            "matched_count",
            "baseline_all",
            "payment_error",
        },
        exclude_defaults=True,
    )
    return " ".join([e.title, e.detail, *e.examples, json.dumps(data, sort_keys=True)])
