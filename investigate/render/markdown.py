"""The report as Markdown: readable in a terminal pager, a ticket comment or a chat message."""

from __future__ import annotations

from investigate.models import Report
from investigate.render import safe, when


def _cell(text: str | None, limit: int = 120) -> str:
    return safe(text, limit).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, verbose: bool = False) -> str:
    t, a = report.ticket, report.analysis
    rc = a.root_cause
    out = [
        f"# Ticket {safe(t.id)}: {safe(t.subject, 200)}",
        "",
        f"- **Requester:** {safe(t.requester.name)} <{safe(t.requester.email)}>"
        + (f" — {safe(t.organization.name)}" if t.organization.name else ""),
        f"- **Priority / status:** {safe(t.priority) or '—'} / {safe(t.status) or '—'}",
        f"- **Window:** {when(report.window.start)} → {when(report.window.end)}",
        f"- **SLA:** {_sla(report)}",
        "",
        "## Root cause",
        "",
        f"**{rc.category}** · confidence **{rc.confidence}** · cites {', '.join(rc.evidence) or 'nothing'}",
        "",
        safe(rc.statement),
        "",
        f"_{safe(a.summary)}_",
        "",
    ]
    if a.alternatives:
        out += ["### Alternatives", ""]
        out += [
            f"- {safe(alt.statement)} — {safe(alt.why_less_likely)} ({', '.join(alt.evidence)})"
            for alt in a.alternatives
        ]
        out.append("")
    out += [
        "## Escalation",
        "",
        f"**{a.escalation.tier}** → {safe(a.escalation.team)} · severity **{a.severity}**"
        + (" · **incident suspected**" if a.incident.suspected else ""),
        "",
        safe(a.escalation.reason),
        "",
        f"Customer impact: {safe(a.customer_impact)}",
        "",
        "## Evidence",
        "",
        "| ID | Source | Kind | Time | Title | Score |",
        "|---|---|---|---|---|---|",
    ]
    for e in report.evidence:
        title = _cell(e.title)
        if e.url:
            title = f"[{title}]({safe(e.url).replace(')', '%29')})"
        out.append(
            f"| {e.id} | {_cell(e.source)} | {e.kind} | {when(e.timestamp)} | {title} | {e.score:.1f} |"
        )
    if report.omitted_evidence:
        out.append(f"\n_{report.omitted_evidence} more items left out by the evidence budget._")
    if verbose:
        out += ["", "### Why they ranked there", ""]
        for e in report.evidence:
            out.append(f"- **{e.id}** {'; '.join(e.reasons)} — `{_cell(e.query, 300)}`")
    if a.timeline:
        out += ["", "## Timeline", ""]
        out += [
            f"- {when(item.timestamp)} — {safe(item.event, 200)}"
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
        f"| {_cell(s.name)} | {s.type} | {s.status} | {s.items} | {s.elapsed_ms} | {_cell(s.error, 200)} |"
        for s in report.sources
    ]
    if a.gaps:
        out += ["", "## Gaps", ""] + [f"- {safe(g, 300)}" for g in a.gaps]
    if a.next_steps:
        out += ["", "## Next steps", ""] + [f"1. {safe(s, 300)}" for s in a.next_steps]
    out += ["", "## Draft reply", ""] + [
        f"> {line}" if line else ">" for line in safe(a.draft_reply).splitlines()
    ]
    out += [
        "",
        "## Internal note",
        "",
        "```",
        safe(a.internal_note).replace("```", "'''"),
        "```",
        "",
    ]
    out.append(f"_Analyst: {safe(a.analyst)} · {report.usage.elapsed_ms} ms_")
    return "\n".join(out) + "\n"


def _sla(report: Report) -> str:
    sla = report.sla
    if sla.policy is None:
        return "no policy for this priority"
    due = when(sla.first_response_due)
    state = "**breached**" if sla.breached else f"{sla.minutes_left} min left"
    return f"{sla.policy}: first response due {due}, resolution due {when(sla.resolution_due)} ({state})"
