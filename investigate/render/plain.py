"""The report as plain text (`--format text`, `-o r.txt`) and the draft reply alone (`--reply`):
for pasting into a plain-text helpdesk, so no Markdown escapes and no table markup. Untrusted
text still goes through `safe()`: no terminal control sequences."""

from __future__ import annotations

from investigate.models import Report
from investigate.render import safe, when


def render_reply(report: Report) -> str:
    """Only the draft reply, as the customer would read it."""
    return safe(report.analysis.draft_reply).strip() + "\n"


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def render_text(report: Report, verbose: bool = False) -> str:
    t, a = report.ticket, report.analysis
    rc = a.root_cause
    requester = safe(t.requester.name)
    if t.requester.email:
        requester += f" <{safe(t.requester.email)}>"
    if t.organization.name:
        requester += f" — {safe(t.organization.name)}"
    out = [
        f"Ticket {safe(t.id)}: {safe(t.subject, 200)}",
        f"Requester: {requester.strip() or '—'}",
        f"Priority / status: {safe(t.priority) or '—'} / {safe(t.status) or '—'}",
        f"Window: {when(report.window.start)} → {when(report.window.end)}",
    ]
    out += _heading("Root cause")
    out.append(
        f"{rc.category} · confidence {rc.confidence} · cites {', '.join(rc.evidence) or 'nothing'}"
    )
    out.append(safe(rc.statement))
    for alt in a.alternatives:
        out.append(f"  alternative: {safe(alt.statement)} — {safe(alt.why_less_likely)}")
    out += _heading("Escalation")
    incident = " · incident suspected" if a.incident.suspected else ""
    out.append(f"{a.escalation.tier} → {safe(a.escalation.team)} · severity {a.severity}{incident}")
    out.append(safe(a.escalation.reason))
    if a.customer_impact:
        out.append(f"Customer impact: {safe(a.customer_impact)}")
    out += _heading("Evidence")
    for e in report.evidence:
        line = f"{e.id}  [{safe(e.source)}] {when(e.timestamp)}  {safe(e.title, 200)}"
        out.append(line + (f"  <{safe(e.url)}>" if e.url else ""))
        if verbose and e.reasons:
            out.append(f"      why: {safe('; '.join(e.reasons))}")
    if report.omitted_evidence:
        out.append(f"({report.omitted_evidence} more items left out by the evidence budget)")
    if a.timeline:
        out += _heading("Timeline")
        out += [f"{when(i.timestamp)}  {safe(i.event, 200)}" for i in a.timeline]
    out += _heading("Sources")
    for s in report.sources:
        note = f"  {safe(s.error, 200)}" if s.error else ""
        out.append(
            f"{safe(s.name)} ({s.type}): {s.status}{' (cached)' if s.cached else ''}, {s.items} items, {s.elapsed_ms} ms{note}"
        )
    if a.gaps:
        out += [*_heading("Gaps"), *(f"- {safe(g, 300)}" for g in a.gaps)]
    if a.next_steps or a.runbooks:
        out += _heading("Next steps")
        out += [f"{n}. {safe(s, 300)}" for n, s in enumerate(a.next_steps, 1)]
        if a.runbooks:
            out.append(f"Runbooks: {safe(', '.join(a.runbooks), 300)}")
    out += [*_heading("Draft reply"), safe(a.draft_reply).strip()]
    out += [*_heading("Internal note"), safe(a.internal_note).strip()]
    out += ["", f"Analyst: {safe(a.analyst)} · {report.usage.elapsed_ms} ms"]
    return "\n".join(out) + "\n"
