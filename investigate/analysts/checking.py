"""Turning a model's tool input into a trustworthy `Analysis`: validated against the model,
placeholders restored, every citation checked against the evidence that was actually sent."""

from __future__ import annotations

import re
from typing import Any

from investigate.analysts.claims import check_claims
from investigate.evidence.redaction import PLACEHOLDER, Redactor
from investigate.models import Analysis, Evidence

_LOWER = {"high": "medium", "medium": "low", "low": "low"}
_EVIDENCE_ID = re.compile(r"\(?\b(?:E\d{1,3})(?:\s*,\s*E\d{1,3})*\b\)?")


class InvalidOutput(ValueError):
    """The model's output does not fit the report; the message goes back in a repair round."""


def to_analysis(raw: Any, label: str, evidence: list[Evidence], redactor: Redactor) -> Analysis:
    if not isinstance(raw, dict):
        raise InvalidOutput(
            f"expected a JSON object with the report fields, got {type(raw).__name__}"
        )
    try:  # validate the redacted output, so error messages (sent back to repair) hold no PII
        analysis = Analysis.model_validate({**raw, "analyst": label})
    except ValueError as exc:
        raise InvalidOutput(str(exc)) from None
    dumped = analysis.model_dump(mode="json")
    draft, withheld = restore_for_customer(dumped.pop("draft_reply", ""), redactor)
    restored = Analysis.model_validate({**_restore(dumped, redactor), "draft_reply": draft})
    if withheld:
        note = (
            "Placeholders left in the draft reply (their values are not the requester's own "
            f"data, check before sending): {', '.join(withheld)}"
        )
        restored.internal_note = f"{restored.internal_note}\n\n{note}".strip()
    return check_citations(check_claims(restored, evidence), {e.id for e in evidence})


def check_citations(analysis: Analysis, known: set[str]) -> Analysis:
    """Unknown IDs are dropped, claims citing nothing are flagged; both lower the confidence.
    A root cause left with no supporting evidence becomes `unknown`."""
    problems: list[str] = []

    def keep(ids: list[str], where: str) -> list[str]:
        valid = [i for i in dict.fromkeys(ids) if i in known]
        unknown = [i for i in ids if i not in known]
        if unknown:
            problems.append(
                f"the model cited evidence that does not exist in {where}: {', '.join(unknown)}"
            )
        elif not valid:
            problems.append(f"the model cited no evidence for {where}")
        return valid

    rc = analysis.root_cause
    rc.evidence = keep(rc.evidence, "the root cause")
    for i, alt in enumerate(analysis.alternatives, 1):
        alt.evidence = keep(alt.evidence, f"alternative {i}")
    for entry in analysis.timeline:
        entry.evidence = keep(entry.evidence, f"timeline event “{entry.event[:60]}”")
    if not rc.evidence and rc.category != "unknown":
        problems.append(
            f"the model's root cause ({rc.category}: {rc.statement[:160]}) has no supporting evidence"
        )
        rc.category, rc.confidence = "unknown", "low"
        rc.statement = "No cited evidence supports a cause."
    elif problems:
        rc.confidence = _LOWER[rc.confidence]  # type: ignore[assignment]
    if _EVIDENCE_ID.search(analysis.draft_reply):
        analysis.draft_reply = _EVIDENCE_ID.sub("", analysis.draft_reply).replace("  ", " ")
        problems.append("evidence IDs were removed from the draft reply")
    analysis.gaps = [*analysis.gaps, *problems]
    return analysis


RESTORED_KINDS = frozenset({"EMAIL", "PHONE", "SENSITIVE", "NAME"})
"""Names and contact details come back for the agent; secrets, cards, IPs, addresses, IDs and
dates of birth stay placeholders."""


def restore_for_customer(text: str, redactor: Redactor) -> tuple[str, list[str]]:
    """Text a customer will read gets back only the requester's own data (values found in the
    ticket's own fields); every other placeholder stays, and is returned to be noted."""
    mapping = redactor.mapping
    withheld: list[str] = []

    def put_back(m: re.Match[str]) -> str:
        token = m.group(0)
        if m.group(1) in RESTORED_KINDS and redactor.is_own(token):
            return mapping[token]
        if token in mapping and token not in withheld:
            withheld.append(token)
        return token

    return PLACEHOLDER.sub(put_back, text), withheld


def _restore(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        mapping = redactor.mapping
        return PLACEHOLDER.sub(
            lambda m: (
                mapping.get(m.group(0), m.group(0)) if m.group(1) in RESTORED_KINDS else m.group(0)
            ),
            value,
        )
    if isinstance(value, list):
        return [_restore(v, redactor) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v, redactor) for k, v in value.items()}
    return value
