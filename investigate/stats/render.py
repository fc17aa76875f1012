"""The terminal view of a `StatsReport`: tables with small bars and weekly sparklines.
Every figure shows its sample size; a figure from too few samples is prefixed with `≈`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from investigate.render import safe
from investigate.stats.models import Breakdown, Durations, Funnel, Radar, Sample, StatsReport

SPARKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 20


def duration(value: float | None) -> str:
    """Minutes as 42m, 3.4h or 2.1d."""
    if value is None:
        return "–"
    if value < 90:
        return f"{value:.0f}m"
    if value < 48 * 60:
        return f"{value / 60:.1f}h"
    return f"{value / 1440:.1f}d"


def precise(value: float) -> str:
    """Minutes as 4h 01m or 2d 03h: breaches sit near their targets, so no rounding."""
    whole = round(value)
    if whole < 60:
        return f"{whole}m"
    if whole < 48 * 60:
        return f"{whole // 60}h {whole % 60:02d}m"
    return f"{whole // 1440}d {whole % 1440 // 60:02d}h"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def approx(sample: Sample, text: str) -> str:
    return f"≈{text}" if sample.low_sample and text != "–" else text


def bar(share: float | None, width: int = BAR_WIDTH) -> str:
    if share is None:
        return ""
    full = max(0.0, min(1.0, share)) * width
    return "█" * int(full) + ("▌" if full - int(full) >= 0.5 else "")


def sparkline(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values
    )


def sample_note(s: Sample) -> str:
    parts = [f"n={s.n}"]
    parts += [f"{count} {why}" for why, count in s.excluded.items()]
    if s.low_sample:
        parts.append("too few to be precise")
    return "; ".join(parts)


def _durations_table(title: str, b: Breakdown) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column, justify in (
        ("", "left"),
        ("median", "right"),
        ("p90", "right"),
        ("", "left"),
        ("sample", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    top = max(
        [d.p90 or 0 for group in b.by.values() for d in group.values()] + [b.overall.p90 or 1]
    )

    def row(label: str, d: Durations) -> None:
        table.add_row(
            safe(label),
            approx(d, duration(d.median)),
            approx(d, duration(d.p90)),
            bar((d.median or 0) / top if d.median is not None else None),
            sample_note(d),
        )

    row("all tickets", b.overall)
    for dim, groups in b.by.items():
        for value, d in groups.items():
            row(f"{dim}: {value}", d)
    return table


def _sla_table(report: StatsReport) -> Table:
    table = Table(title="SLA attainment", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("priority", "first response", "", "resolution", ""):
        table.add_column(column)
    for p in report.sla.priorities:
        cells: list[str] = []
        for t in (p.first_response, p.resolution):
            head = f"{approx(t, pct(t.attainment))} of {t.n} within {duration(t.target_minutes)}"
            extra = "".join(f"; {c} {why}" for why, c in t.excluded.items())
            cells += [head + extra, bar(t.attainment, 12)]
        table.add_row(safe(p.priority), *cells)
    return table


def _funnel_lines(funnels: Sequence[Funnel]) -> list[str]:
    lines = []
    for f in funnels:
        steps = "  →  ".join(
            f"{tier} {approx(f, pct(f.rate.get(tier)))}" for tier in ("L1", "L2", "L3")
        )
        lines.append(f"  {f.source:<9} {steps}   ({sample_note(f)})")
        for tier in ("L2", "L3"):
            lines.append(f"  {'':<9} {tier} {bar(f.rate.get(tier), 30)} {f.reached.get(tier, 0)}")
    return lines


def radar_lines(radar: Radar) -> list[str]:
    start, end = (
        radar.window_start.strftime("%Y-%m-%d %H:%M"),
        radar.window_end.strftime("%Y-%m-%d %H:%M"),
    )
    lines = [
        f"Incident radar {start} → {end} UTC: {radar.tickets} tickets, "
        f"clusters of {radar.min_customers}+ customers"
    ]
    if not radar.clusters:
        lines.append("  no signature shared by enough customers")
    for c in radar.clusters:
        lines.append(f"  ● {c.signature} [{c.kind}]: {c.headline}")
        lines.append(f"    customers: {', '.join(c.customers)}")
        lines.append(f"    tickets: {', '.join(c.tickets[:20])}")
    lines += [f"  note: {n}" for n in radar.notes]
    return lines


def render(report: StatsReport, console: Console, radar_only: bool = False) -> None:
    def say(text: str, style: str | None = None) -> None:
        console.print(Text(safe(text), style=style or ""), soft_wrap=True)

    if radar_only and report.radar is not None:
        for line in radar_lines(report.radar):
            say(line)
        return
    days = (report.until - report.since).days
    say(
        f"Support stats {report.since:%Y-%m-%d} → {report.until:%Y-%m-%d %H:%M} UTC ({days} days): "
        f"{report.tickets} tickets from {report.source}; figures from fewer than "
        f"{report.min_samples} samples are marked ≈",
        "bold",
    )
    parts: list[RenderableType] = [
        _durations_table("First response time (first public agent reply − created)", report.frt),
        _durations_table(
            "Time to resolution (final solve − created − pending/on-hold)", report.mttr
        ),
        _sla_table(report),
    ]
    console.print(Group(*parts[:2]))
    if report.mttr.note:
        say(f"  ({report.mttr.note})", "dim")
    console.print(parts[2])
    breaches = report.sla.breaches
    say(
        f"SLA breaches: {len(breaches)}"
        + (f"; {report.sla.no_policy} tickets with no policy" if report.sla.no_policy else "")
    )
    for b in breaches[:10]:
        state = "still open" if b.open else "took"
        say(
            f"  {b.ticket_id} {b.priority} {b.target.replace('_', ' ')}: {state} {precise(b.actual_minutes)} (target {duration(b.target_minutes)})"
        )
    if len(breaches) > 10:
        say(f"  … and {len(breaches) - 10} more (--format json lists all)")
    say("Escalation (share of tickets reaching each tier)", "bold")
    for line in _funnel_lines(report.escalation.funnels):
        say(line)
    for d in report.escalation.disagreements[:10]:
        say(f"  disagree: {d}")
    for n in report.escalation.notes:
        say(f"  note: {n}")
    say("Satisfaction", "bold")
    for c in report.csat:
        mean = f", mean {approx(c, f'{c.mean:.2f}')}/5" if c.mean is not None else ""
        say(
            f"  CSAT ({c.scale}): {approx(c, pct(c.satisfied))} satisfied{mean}  {bar(c.satisfied)}  ({sample_note(c)})"
        )
    if report.nps is not None:
        nps = report.nps
        score = "–" if nps.nps is None else f"{nps.nps:+.0f}"
        say(
            f"  NPS: {approx(nps, score)} ({nps.promoters} promoters, {nps.passives} passives, {nps.detractors} detractors; {sample_note(nps)}; from {nps.source})"
        )
    if report.causes is not None:
        causes = report.causes
        say(f"Root causes from batch reports ({sample_note(causes)})", "bold")
        top = max([x.tickets for x in causes.by_count] + [1])
        for x in causes.by_count[:6]:
            say(
                f"  {x.category:<16} {x.tickets:>4} {bar(x.tickets / top, 16):<16}  {x.hours_lost:.1f}h lost"
            )
    else:
        say(
            "Root causes: none without batch reports (--reports DIR, from `investigate batch -d DIR`)"
        )
    if report.trend:
        say("Weekly trend (oldest → newest)", "bold")
        rows: dict[str, list[float | None]] = {
            "tickets": [float(b.tickets) for b in report.trend],
            "FRT median": [b.frt_median for b in report.trend],
            "MTTR median": [b.mttr_median for b in report.trend],
            "SLA attainment": [b.sla_attainment for b in report.trend],
            "CSAT": [b.csat for b in report.trend],
            "NPS": [b.nps for b in report.trend],
        }
        for name, values in rows.items():
            say(f"  {name:<15} {sparkline(values)}")
    if report.radar is not None:
        for line in radar_lines(report.radar):
            say(line)
    for n in report.notes:
        say(f"note: {n}", "dim")
