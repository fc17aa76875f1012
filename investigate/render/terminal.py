"""The report for a terminal, with rich. Untrusted text is always `Text`, never markup."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from investigate.models import Report
from investigate.render import safe, when

_CONFIDENCE = {"high": "bold green", "medium": "yellow", "low": "red"}
_STATUS = {"ok": "green", "empty": "dim", "error": "bold red", "timeout": "red", "skipped": "dim"}


def _t(text: str | None, style: str = "", limit: int | None = None) -> Text:
    return Text(safe(text, limit), style=style)


def render_terminal(report: Report, console: Console, verbose: bool = False) -> None:
    for part in renderables(report, verbose):
        console.print(part)


def renderables(report: Report, verbose: bool = False) -> list[RenderableType]:
    t, a = report.ticket, report.analysis
    rc = a.root_cause
    header = Text.assemble(
        ("Ticket ", "bold"),
        _t(t.id, "bold cyan"),
        ("  ", ""),
        _t(t.subject, "bold", 160),
        "\n",
        _t(f"{t.requester.name or ''} <{t.requester.email or ''}>", "dim"),
        _t(f"  {t.organization.name}" if t.organization.name else "", "dim"),
        _t(f"  priority {t.priority or '—'} · {t.status or '—'}", "dim"),
        "\n",
        _sla_text(report),
    )
    cause = Text.assemble(
        _t(rc.category.upper(), "bold magenta"),
        "  ",
        _t(f"confidence {rc.confidence}", _CONFIDENCE[rc.confidence]),
        "  ",
        _t(f"cites {', '.join(rc.evidence) or 'nothing'}", "cyan"),
        "\n\n",
        _t(rc.statement),
    )
    for alt in a.alternatives:
        cause.append_text(_t(f"\n• alt: {alt.statement} — {alt.why_less_likely}", "dim", 300))
    escalation = Text.assemble(
        _t(a.escalation.tier, "bold"),
        " → ",
        _t(a.escalation.team),
        "  ",
        _t(a.severity, "bold red" if a.severity in ("sev1", "sev2") else "yellow"),
        _t("  INCIDENT SUSPECTED" if a.incident.suspected else "", "bold red"),
        "\n",
        _t(a.escalation.reason, "dim"),
        "\n",
        _t(f"Impact: {a.customer_impact}"),
    )
    parts: list[RenderableType] = [
        Panel(header, border_style="cyan"),
        Panel(cause, title="Root cause", title_align="left", border_style="magenta"),
        Panel(escalation, title="Escalation", title_align="left"),
        _evidence_table(report, verbose),
    ]
    if a.timeline:
        timeline = Table(title="Timeline", title_justify="left", show_header=False, box=None)
        timeline.add_column(style="dim", no_wrap=True)
        timeline.add_column()
        for item in a.timeline:
            timeline.add_row(
                when(item.timestamp),
                _t(
                    item.event + (f"  ({', '.join(item.evidence)})" if item.evidence else ""),
                    limit=200,
                ),
            )
        parts.append(timeline)
    parts.append(_sources_table(report))
    if a.gaps:
        parts.append(
            Panel(
                Group(*[_t(f"• {g}", limit=300) for g in a.gaps]),
                title="Gaps",
                title_align="left",
                border_style="yellow",
            )
        )
    if a.next_steps or a.runbooks:
        steps = [_t(f"{i}. {s}", limit=300) for i, s in enumerate(a.next_steps, 1)]
        if a.runbooks:
            steps.append(_t(f"Runbooks: {', '.join(a.runbooks)}", limit=300))
        parts.append(
            Panel(
                Group(*steps),
                title="Next steps",
                title_align="left",
            )
        )
    parts.append(
        Panel(_t(a.draft_reply), title="Draft reply", title_align="left", border_style="green")
    )
    footer = f"analyst {a.analyst} · {len(report.evidence)} evidence items"
    if report.omitted_evidence:
        footer += f" (+{report.omitted_evidence} left out)"
    parts.append(_t(f"{footer} · {report.usage.elapsed_ms} ms", "dim"))
    return parts


def _sla_text(report: Report) -> Text:
    sla = report.sla
    if sla.policy is None:
        return _t("SLA: no policy for this priority", "dim")
    state = ("BREACHED", "bold red") if sla.breached else (f"{sla.minutes_left} min left", "green")
    return Text.assemble(
        _t(
            f"SLA {sla.policy}: first response due {when(sla.first_response_due)}, resolution due {when(sla.resolution_due)}  "
        ),
        state,
    )


TERMINAL_EVIDENCE = 15


def _evidence_table(report: Report, verbose: bool) -> Table:
    shown = report.evidence if verbose else report.evidence[:TERMINAL_EVIDENCE]
    hidden = len(report.evidence) - len(shown)
    caption = f"{hidden} more: --verbose or --format json" if hidden else None
    table = Table(
        title="Evidence", title_justify="left", expand=True, caption=caption, caption_justify="left"
    )
    table.add_column("ID", style="cyan", no_wrap=True)
    table.add_column("Source", no_wrap=True)
    table.add_column("Time", style="dim", no_wrap=True)
    table.add_column("Title", ratio=1)
    table.add_column("Score", justify="right")
    for e in shown:
        title = _t(e.title, limit=160)
        if e.url:
            title.append_text(_t(f"\n{e.url}", "dim blue", 200))
        if verbose and e.reasons:
            title.append_text(_t("\n" + "; ".join(e.reasons), "dim", 400))
            title.append_text(_t(f"\nquery: {e.query}", "dim", 300))
        table.add_row(e.id, _t(e.source), when(e.timestamp), title, f"{e.score:.1f}")
    return table


def _sources_table(report: Report) -> Table:
    table = Table(title="Sources", title_justify="left")
    for name in ("Source", "Type", "Status", "Items", "ms", "Note"):
        table.add_column(name, justify="right" if name in ("Items", "ms") else "left")
    for s in report.sources:
        table.add_row(
            _t(s.name),
            s.type,
            Text(f"{s.status} (cached)" if s.cached else s.status, style=_STATUS[s.status]),
            str(s.items),
            str(s.elapsed_ms),
            _t(s.error, "dim", 160),
        )
    return table
