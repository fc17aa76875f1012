"""The reply linter: the same rules for every draft reply, whoever wrote it (the offline
composer or an LLM). A reply must not show evidence IDs, internal host names, IP addresses,
stack traces or error codes (unless `reply.public_codes`), must not leave template
placeholders, must not promise an action nobody took or contradict the cited evidence, must
address the requester by name when the name is known, thank once, and not shout the subject
back. `enforce` repairs what it can and lists what it could not in the internal note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from investigate.config import ReplySettings
from investigate.evidence.entities import ERROR_CODE
from investigate.models import Analysis, Evidence, Ticket

_ID = re.compile(r"\bE\d{1,3}\b")
CITED_CODE = re.compile(r"\s*[\[(]?" + ERROR_CODE.pattern + r"[\])]?")
"""An error code with the brackets around it, as a reply cites it: `(E_SYNC_TIMEOUT)`."""
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_INTERNAL_HOST = re.compile(
    r"\b[\w-]+(?:\.[\w-]+)*\.(?:internal|local|lan|svc|corp|intra|cluster\.local)\b(?::\d+)?|"
    r"\b[a-z][\w-]*(?:\.[\w-]+)+:\d{2,5}\b|\blocalhost\b",
    re.I,
)
_STACK = re.compile(
    r"Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+|^\s+at [\w.$]+\(|"
    r"\b[\w/]+\.(?:py|java|go|rb|js|ts):\d+\b|Exception in thread|\w+(?:Error|Exception):\s",
    re.M,
)
_PLACEHOLDER = re.compile(
    r"<(?![A-Z]+_\d+>)[^<>\n]{2,80}>|\bTODO\b|\bTBD\b|\badd [^.\n]{0,60} here\b|\[insert", re.I
)
_PROMISE = re.compile(
    r"\b(?:we are|we're|we have|we've|our (?:team|engineers?) (?:is|are|has|have))\s+(?:now\s+|already\s+)?"
    r"(?:restart\w*|rolling back|rolled back|fix\w*|deploy\w* a fix|restor\w*|work\w* on a fix|"
    r"refund\w*|credit\w*|re-?run\w*|reprocess\w*|escalat\w*|passed (?:it|this|the details) )|"
    r"\b(?:has|have) been (?:fixed|resolved|restored|refunded)\b|\bis (?:now )?fixed\b|"
    r"\bkeeps? retrying\b|\bwill (?:be )?retr(?:y|ied) automatically\b|\bnothing (?:is|was|will be) lost\b|"
    r"\bno data (?:is|was|will be) lost\b|\bwithin \d+ (?:minutes|hours|days)\b",
    re.I,
)
_GAVE_UP = re.compile(
    r"dropped|gave up|giving up|discarded|dead[- ]letter|after \d+ (?:attempts|retries|tries)|"
    r"max(?:imum)? retries|not retried|permanent(?:ly)? fail",
    re.I,
)
_RETRY_CLAIM = re.compile(r"\bretr(?:y|ying|ies|ied)\b|\bnothing (?:is|was) lost\b", re.I)
_RESOLVED_CLAIM = re.compile(r"\b(?:resolved|back to normal|working again|restored)\b", re.I)
_SHOUT = re.compile(r"\b(?:URGENT|ASAP|CRITICAL|IMPORTANT|EMERGENCY)\b|!!+")
_THANKS = re.compile(r"\bthank(?:s| you)\b", re.I)
REPAIRED = "Reply lint repaired: "
"""How the internal note starts the line listing what `enforce` had to repair (the eval counts
a repaired reply as a failure: the composer should not need the repair)."""
UNFIXED = "Reply lint — fix before sending: "


@dataclass(frozen=True)
class Problem:
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.text}"


def lint(
    reply: str,
    *,
    ticket: Ticket | None = None,
    cited: Iterable[Evidence] = (),
    settings: ReplySettings | None = None,
    requester: str | None = None,
) -> list[Problem]:
    """Every rule the reply breaks (empty: it passes). The requester's name comes from
    `ticket` (or `requester`)."""
    s = settings or ReplySettings()
    allowed = {t.lower() for t in s.public_terms}
    out: list[Problem] = []

    def hits(rx: re.Pattern[str], rule: str) -> None:
        for m in rx.finditer(reply):
            if m.group(0).lower() not in allowed:
                out.append(Problem(rule, m.group(0).strip()[:60]))
                return

    if not reply.strip():
        return [Problem("empty", "no reply was drafted")]
    hits(_ID, "evidence-id")
    hits(_IP, "internal-host")
    hits(_INTERNAL_HOST, "internal-host")
    hits(_STACK, "stack-trace")
    hits(_PLACEHOLDER, "placeholder")
    hits(_PROMISE, "unkept-promise")
    hits(_SHOUT, "shouting")
    if not s.public_codes:
        hits(ERROR_CODE, "error-code")
    if len(_THANKS.findall(reply)) > 1:
        out.append(Problem("thanks-twice", "the reply thanks the customer more than once"))
    name = first_name(ticket.requester.name if ticket else requester)
    greeting = reply.strip().splitlines()[0] if reply.strip() else ""
    if name and name.lower() not in greeting.lower():
        out.append(Problem("greeting", f"does not address {name} by name"))
    if re.search(r"\bthe user\b", greeting, re.I):
        out.append(Problem("greeting", "addresses the customer as 'the user'"))
    evidence_text = "\n".join(f"{e.title}\n{e.detail}\n" + "\n".join(e.examples) for e in cited)
    if _GAVE_UP.search(evidence_text) and _RETRY_CLAIM.search(reply):
        out.append(Problem("contradiction", "claims retries while the evidence says it gave up"))
    firing = any(e.state in ("firing", "acknowledged") for e in cited)
    if firing and _RESOLVED_CLAIM.search(reply) and not re.search(r"\bonce\b|\bwhen\b", reply):
        out.append(Problem("contradiction", "says resolved while a cited alert is still firing"))
    return out


def first_name(name: str | None) -> str:
    first = (name or "").strip().split(" ")[0]
    return first if first.isalpha() and len(first) > 1 else ""


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)


def repair(
    reply: str,
    *,
    ticket: Ticket | None = None,
    settings: ReplySettings | None = None,
) -> str:
    """Remove what may not be shown and the sentences that break a rule; fix the greeting."""
    s = settings or ReplySettings()
    text = _ID.sub("", reply)
    text = re.sub(r"\(\s*(?:,\s*)*\)", "", text)
    if not s.public_codes:
        text = CITED_CODE.sub("", text)
    text = _IP.sub("our servers", text)
    text = _INTERNAL_HOST.sub("our servers", text)
    text = _SHOUT.sub("", text)
    lines = []
    for line in text.splitlines():
        kept = [
            sentence
            for sentence in _sentences(line)
            if not (
                _STACK.search(sentence)
                or _PLACEHOLDER.search(sentence)
                or _PROMISE.search(sentence)
            )
        ]
        lines.append(" ".join(kept))
    text = "\n".join(lines)
    thanks = 0

    def once(m: re.Match[str]) -> str:
        nonlocal thanks
        thanks += 1
        return m.group(0) if thanks == 1 else ""

    text = _THANKS.sub(once, text)
    text = re.sub(r"(?m)^\s*(?:again|so much|a lot)?[.!]?\s*$", "", text)
    name = first_name(ticket.requester.name if ticket else None)
    parts = text.strip().split("\n", 1)
    if name and parts and name.lower() not in parts[0].lower():
        if re.match(r"^(?:hi|hello|dear|hey)\b", parts[0], re.I) and len(parts[0]) < 40:
            parts[0] = f"Hi {name},"
        else:
            parts = [f"Hi {name},", "\n" + "\n".join(parts)]
    text = "\n".join(parts)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([.,;:])", r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def enforce(
    analysis: Analysis,
    evidence: list[Evidence],
    ticket: Ticket,
    settings: ReplySettings | None = None,
) -> list[Problem]:
    """Lint the analysis's reply; repair it if it fails; list what is still wrong in the
    internal note. Returns the problems left (empty: the reply passes)."""
    by_id = {e.id: e for e in evidence if e.id}
    cited = [by_id[i] for i in analysis.root_cause.evidence if i in by_id]
    problems = lint(analysis.draft_reply, ticket=ticket, cited=cited, settings=settings)
    if not problems:
        return []
    analysis.draft_reply = repair(analysis.draft_reply, ticket=ticket, settings=settings)
    left = lint(analysis.draft_reply, ticket=ticket, cited=cited, settings=settings)
    fixed = [p for p in problems if p.rule not in {q.rule for q in left}]
    note = []
    if fixed:
        note.append(REPAIRED + "; ".join(str(p) for p in fixed))
    if left:
        note.append(UNFIXED + "; ".join(str(p) for p in left))
    analysis.internal_note = "\n".join([analysis.internal_note, *note]).strip()
    return left
