"""The prompt every LLM analyst sends: a static system prompt and tool (cacheable), then the
ticket and the ranked evidence fenced as untrusted data, redacted at one chokepoint."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from investigate.analysts import AnalystInput
from investigate.models import Analysis, Evidence
from investigate.prompts import load
from investigate.termsafe import invisible

if TYPE_CHECKING:
    from investigate.evidence.redaction import Redactor

CHARS_PER_TOKEN = 3.0  # conservative: real English+JSON is nearer 3.5–4
TOOL_NAME = "report_analysis"
TOOL_DESCRIPTION = (
    "Record the investigation report. Call exactly once. Every claim cites evidence IDs that "
    "appear in the evidence."
)
_FENCES = (
    r"ticket|evidence|sources|source|entities|omitted|subject|description|comment|requester|"
    r"window|notes"
)
_FENCE_RE = re.compile(rf"<(\s*/?\s*(?:{_FENCES})\b)", re.I)


@cache
def analysis_schema() -> dict[str, Any]:
    """The tool's input schema: the report's `Analysis` model without the `analyst` field."""
    schema = copy.deepcopy(Analysis.model_json_schema())
    schema["properties"].pop("analyst", None)
    schema["required"] = [r for r in schema.get("required", []) if r != "analyst"]
    return schema


def tool_definition() -> dict[str, Any]:
    return {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": analysis_schema()}


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str

    @property
    def estimated_tokens(self) -> int:
        tool = json.dumps(tool_definition())
        return int((len(self.system) + len(self.user) + len(tool)) / CHARS_PER_TOKEN) + 1

    @property
    def cacheable_share(self) -> float:
        """The share of the prompt (system + tool) that is the same for every ticket."""
        static = len(self.system) + len(json.dumps(tool_definition()))
        return static / (static + len(self.user))

    def as_text(self) -> str:
        return "\n".join(
            [
                "=== system (cached) ===",
                self.system,
                f"=== tool (cached; forced: {TOOL_NAME}) ===",
                json.dumps(tool_definition(), indent=1),
                "=== user ===",
                self.user,
                f"=== about {self.estimated_tokens} input tokens; {self.cacheable_share:.0%} cacheable ===",
            ]
        )


def fence(text: str | None) -> str:
    """Untrusted text cannot open or close our tags: `</evidence>` becomes `&lt;/evidence>`.
    Invisible characters go first, so `</no\u200btes>` cannot close a fence once they are gone."""
    return _FENCE_RE.sub(r"&lt;\1", invisible(text))


def attr(text: str | None) -> str:
    """Untrusted text inside an attribute value: it cannot close the quotes or the tag."""
    value = invisible(text)
    for raw, escaped in (("&", "&amp;"), ('"', "&quot;"), ("<", "&lt;"), (">", "&gt;")):
        value = value.replace(raw, escaped)
    return value


def build_prompt(data: AnalystInput, redactor: Redactor) -> Prompt:
    """The per-ticket message. Each untrusted field is redacted whole and only then cut to its
    limit (a cut key must not lose the END line that identifies it), and the message is
    redacted once more as a whole (the single chokepoint)."""
    t = data.ticket
    redactor.know_ticket(t)
    redactor.learn_from(_untrusted(data))  # a field's value is known before any text is cut
    r = redactor.redact
    lines = [
        f'<ticket id="{attr(t.id)}" priority="{attr(t.priority)}" status="{attr(t.status)}" '
        f'created_at="{t.created_at.isoformat()}">',
        f"<subject>{fence(r(t.subject)[:2000])}</subject>",
        f"<requester>{fence(r(t.requester.name or ''))} {fence(r(t.requester.email or ''))} / "
        f"{fence(r(t.organization.name or ''))} {fence(t.organization.id)}</requester>",
        f"<description>{fence(r(t.description)[:20_000])}</description>",
    ]
    for c in t.comments[:20]:
        visibility = "public" if c.public else "internal"
        lines.append(
            f'<comment author="{attr(r(c.author or ""))}" {visibility} at="{c.created_at or ""}">'
            f"{fence(r(c.body)[:5000])}</comment>"
        )
    lines += [
        "</ticket>",
        f'<window start="{data.window.start.isoformat()}" end="{data.window.end.isoformat()}"/>',
        "<entities>" + fence(json.dumps(_entities(data), ensure_ascii=False)) + "</entities>",
        "<sources>",
        *(
            f"{fence(s.name)} ({s.type}): {s.status}, {s.items} items"
            + (f" — {fence(s.error)}" if s.error else "")
            for s in data.sources
        ),
        "</sources>",
        *(render_evidence(e, r) for e in data.evidence),
    ]
    if data.omitted:
        lines.append(
            f"<omitted>{data.omitted} lower-ranked evidence items were left out to fit the budget.</omitted>"
        )
    if data.notes:
        lines.append("<notes>" + fence("; ".join(data.notes)) + "</notes>")
    lines.append(
        f"Investigate ticket {fence(t.id)} and call {TOOL_NAME}. Cite only these evidence IDs: "
        + (", ".join(e.id for e in data.evidence) or "none (there is no evidence)")
        + "."
    )
    system = load("system.md")
    if data.runbooks:  # the operator's own guidance: trusted, so outside the fenced data
        from investigate.evidence.runbooks import as_guidance

        system += "\n\n" + as_guidance(data.runbooks)
    return Prompt(system=system, user=redactor.redact("\n".join(lines), keep_issued=True))


def _untrusted(data: AnalystInput) -> Iterator[str]:
    yield from (data.ticket.subject, data.ticket.description)
    yield from (c.body for c in data.ticket.comments)
    for e in data.evidence:
        yield from (e.title, e.detail, *e.examples)
    yield from (s.error for s in data.sources if s.error)


def _entities(data: AnalystInput) -> dict[str, Any]:
    dumped = data.entities.model_dump(mode="json", exclude={"keywords", "resolved"})
    return {k: v for k, v in dumped.items() if v not in ([], None, {}, "")}


def render_evidence(e: Evidence, redact: Callable[[str], str] = str) -> str:
    """One evidence item as the analyst sees it (the budget measures this same text); each
    field is redacted before it is cut."""
    when = e.first_seen or e.timestamp
    attrs = [
        f'id="{e.id}"',
        f'source="{attr(e.source)}"',
        f'kind="{e.kind}"',
        f'time="{when.isoformat() if when else ""}"',
    ]
    if e.level:
        attrs.append(f'level="{e.level}"')
    if e.novelty:
        attrs.append(f'novelty="{e.novelty}"')
    if e.count > 1:
        attrs.append(f'count="{e.count}"')
    if e.matched:
        attrs.append(f'matched="{attr(", ".join(e.matched[:6]))}"')
    body = [f"title: {fence(redact(e.title)[:300])}"]
    if e.detail:
        body.append(f"detail: {fence(redact(e.detail)[:1500])}")
    body += [f"example: {fence(redact(x)[:300])}" for x in e.examples[:3]]
    if e.url:
        body.append(f"url: {fence(redact(e.url)[:300])}")
    return f"<evidence {' '.join(attrs)}>\n" + "\n".join(body) + "\n</evidence>"
