"""The report as Markdown: readable in a terminal pager, a ticket comment or a chat message.

Ticket text and system output are untrusted and end up in places that render Markdown (a
ticket comment, Slack, GitHub): `md()` and `md_block()` escape them so a subject cannot add
a heading, an image that phones home, a link, raw HTML or a table row; only http(s) URLs
become links."""

from __future__ import annotations

import re

from investigate.models import Report
from investigate.render import safe, when

_INLINE = re.compile(r"([\\`*\[\]<>|~])|(?<!\w)_|_(?!\w)")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def md(text: str | None, limit: int | None = None) -> str:
    """Untrusted text for one line of Markdown: whitespace collapsed, markup escaped."""
    flat = " ".join(safe(text, limit).split())
    return _INLINE.sub(lambda m: "\\" + m.group(0), flat)


def md_block(text: str | None, limit: int | None = None) -> list[str]:
    """Untrusted multi-line text: each line escaped, and no line can start a block."""
    lines = []
    for line in safe(text, limit).splitlines():
        escaped = _INLINE.sub(lambda m: "\\" + m.group(0), line.rstrip())
        lines.append(_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped))
    return lines


def _link(url: str | None) -> str | None:
    value = safe(url).strip()
    if not re.match(r"https?://[^\s<>()]+$", value, re.I):
        return None
    return value


def _cell(text: str | None, limit: int = 120) -> str:
    return md(text, limit)


def render_markdown(report: Report, verbose: bool = False) -> str:
    t, a = report.ticket, report.analysis
    rc = a.root_cause
    out = [
        f"# Ticket {md(t.id)}: {md(t.subject, 200)}",
        "",
        f"- **Requester:** {md(t.requester.name)} \\<{md(t.requester.email)}\\>"
        + (f" — {md(t.organization.name)}" if t.organization.name else ""),
        f"- **Priority / status:** {md(t.priority) or '—'} / {md(t.status) or '—'}",
        f"- **Window:** {when(report.window.start)} → {when(report.window.end)}",
        f"- **SLA:** {_sla(report)}",
        "",
        "## Root cause",
        "",
        f"**{rc.category}** · confidence **{rc.confidence}** · cites {', '.join(rc.evidence) or 'nothing'}",
        "",
        *md_block(rc.statement),
        "",
        f"_{md(a.summary)}_",
        "",
    ]
    if a.alternatives:
        out += ["### Alternatives", ""]
        out += [
            f"- {md(alt.statement)} — {md(alt.why_less_likely)} ({', '.join(alt.evidence)})"
            for alt in a.alternatives
        ]
        out.append("")
    out += [
        "## Escalation",
        "",
        f"**{a.escalation.tier}** → {md(a.escalation.team)} · severity **{a.severity}**"
        + (" · **incident suspected**" if a.incident.suspected else ""),
        "",
        *md_block(a.escalation.reason),
        "",
        f"Customer impact: {md(a.customer_impact)}",
        "",
        "## Evidence",
        "",
        "| ID | Source | Kind | Time | Title | Score |",
        "|---|---|---|---|---|---|",
    ]
    for e in report.evidence:
        title = _cell(e.title)
        url = _link(e.url)
        if url:
            title = f"[{title}](<{url}>)"
        out.append(
            f"| {e.id} | {_cell(e.source)} | {e.kind} | {when(e.timestamp)} | {title} | {e.score:.1f} |"
        )
    if report.omitted_evidence:
        out.append(f"\n_{report.omitted_evidence} more items left out by the evidence budget._")
    if verbose:
        out += ["", "### Why they ranked there", ""]
        for e in report.evidence:
            out.append(f"- **{e.id}** {md('; '.join(e.reasons))} — {_cell(e.query, 300)}")
    if a.timeline:
        out += ["", "## Timeline", ""]
        out += [
            f"- {when(item.timestamp)} — {md(item.event, 200)}"
            + (f" ({', '.join(item.evidence)})" if item.evidence else "")
            for item in a.timeline
        ]
    out += [
        "",
        "## Sources",
        "",
        "| Source | Type | Status | Items | ms | Note |",
        "|---|---|---|---|---|---|",
    ]
    out += [
        f"| {_cell(s.name)} | {s.type} | {s.status}{' (cached)' if s.cached else ''} | {s.items} | {s.elapsed_ms} | {_cell(s.error, 200)} |"
        for s in report.sources
    ]
    if a.gaps:
        out += ["", "## Gaps", ""] + [f"- {md(g, 300)}" for g in a.gaps]
    if a.next_steps or a.runbooks:
        out += ["", "## Next steps", ""] + [f"1. {md(s, 300)}" for s in a.next_steps]
        if a.runbooks:
            out += ["", f"Runbooks: {md(', '.join(a.runbooks), 300)}"]
    out += ["", "## Draft reply", ""] + [
        f"> {line}" if line else ">" for line in md_block(a.draft_reply)
    ]
    out += [
        "",
        "## Internal note",
        "",
        "```",
        safe(a.internal_note).replace("`", "'"),
        "```",
        "",
    ]
    out.append(f"_Analyst: {md(a.analyst)} · {report.usage.elapsed_ms} ms_")
    return "\n".join(out) + "\n"


def _sla(report: Report) -> str:
    sla = report.sla
    if sla.policy is None:
        return "no policy for this priority"
    due = when(sla.first_response_due)
    state = "**breached**" if sla.breached else f"{sla.minutes_left} min left"
    return f"{sla.policy}: first response due {due}, resolution due {when(sla.resolution_due)} ({state})"
