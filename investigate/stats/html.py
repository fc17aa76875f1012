"""`investigate stats --html FILE`: one self-contained page (inline CSS and SVG; no script, no
font, no network) with the trend charts, SLA attainment, the escalation funnel, CSAT/NPS and
the incident radar. Every chart is an `<svg class="chart">`; every drawn value is a `.mark`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape

from investigate.render import safe
from investigate.stats.models import StatsReport
from investigate.stats.render import duration, pct, radar_lines, sample_note

W, H, PAD = 560, 220, 42
COLORS = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed")
CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2937;
background:#f8fafc}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 8px}
.sub{color:#6b7280;margin-bottom:16px}.grid{display:grid;grid-template-columns:repeat(auto-fill,
minmax(580px,1fr));gap:16px}.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;
padding:14px}.note{color:#6b7280;font-size:12px}svg{display:block}svg text{font-size:11px;
fill:#374151}.axis{stroke:#9ca3af;stroke-width:1}.grid-line{stroke:#eef0f3}table{border-collapse:
collapse;font-size:13px}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #f1f5f9}
.warn{color:#b45309}.ok{color:#047857}ul{margin:4px 0;padding-left:18px}
"""


def to_html(report: StatsReport) -> str:
    cards = [
        _card("FRT and MTTR by week (median, hours)", _frt_mttr(report), _frt_note(report)),
        _card("Tickets by week", _tickets(report), f"{report.tickets} tickets"),
        _card("SLA attainment by priority", _sla(report), f"{len(report.sla.breaches)} breaches"),
        _card("Escalation funnel", _funnel(report), _esc_note(report)),
        _card("CSAT by week (% satisfied)", _csat(report), _csat_note(report)),
        _card("NPS by week", _nps(report), _nps_note(report)),
        _card("Root causes (batch reports)", _causes(report), _cause_note(report)),
        _card("Incident radar", _radar(report), _radar_note(report)),
    ]
    head = (
        f"{report.since:%Y-%m-%d} → {report.until:%Y-%m-%d %H:%M} UTC · {report.tickets} tickets "
        f"from {_t(report.source)} · figures from fewer than {report.min_samples} samples are marked ≈"
    )
    notes = "".join(f"<li>{_t(n)}</li>" for n in report.notes)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Support stats</title><style>{CSS}</style></head><body>"
        f"<h1>Support stats</h1><div class='sub'>{head}</div><div class='grid'>{''.join(cards)}</div>"
        + (
            f"<div class='card' style='margin-top:16px'><h2>Notes</h2><ul>{notes}</ul></div>"
            if notes
            else ""
        )
        + "</body></html>\n"
    )


def _t(text: str) -> str:
    return escape(safe(text))


def _card(title: str, svg: str, note: str) -> str:
    return f"<div class='card'><h2>{_t(title)}</h2>{svg}<div class='note'>{_t(note)}</div></div>"


def _svg(name: str, body: str, height: int = H) -> str:
    return (
        f"<svg class='chart' data-chart='{name}' viewBox='0 0 {W} {height}' width='{W}' "
        f"height='{height}' role='img' aria-label='{name}' xmlns='http://www.w3.org/2000/svg'>"
        f"{body}</svg>"
    )


def _empty(name: str, why: str, height: int = 80) -> str:
    """A chart with nothing to draw: why, centred in a short drawing (inside it, not clipped)."""
    text = f"<text x='{W / 2}' y='{height / 2 + 4}' text-anchor='middle'>{_t(why)}</text>"
    return _svg(name, text, height)


Series = tuple[str, Sequence[float | None], Sequence[int]]
"""Label, one value a week, and the sample size behind each value."""


def _lines(
    name: str,
    labels: Sequence[str],
    series: Sequence[Series],
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    min_samples: int = 1,
) -> str:
    """Lines with a dot a week; a dot from fewer than `min_samples` samples is hollow, and
    every dot's tooltip gives its sample size."""
    known = [v for _, values, _ in series for v in values if v is not None]
    if not known:
        return _empty(name, "no data in this period")
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    hi = hi if hi > lo else lo + 1
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return PAD + i * (W - 2 * PAD) / (n - 1)

    def y(v: float) -> float:
        return H - PAD + 10 - (v - lo) / (hi - lo) * (H - PAD - 20)

    out = [_grid(lo, hi, y, unit)]
    for i, label in enumerate(labels):
        if i % max(1, len(labels) // 7) == 0:
            out.append(f"<text x='{x(i):.1f}' y='{H - 12}' text-anchor='middle'>{_t(label)}</text>")
    for k, (label, values, counts) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = [(x(i), y(v), counts[i]) for i, v in enumerate(values) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
        out.append(
            f"<polyline class='mark' points='{path}' fill='none' stroke='{color}' stroke-width='2'/>"
        )
        for px, py, count in points:
            few = count < min_samples
            out.append(
                f"<circle class='mark' cx='{px:.1f}' cy='{py:.1f}' r='3' "
                f"fill='{'#fff' if few else color}' stroke='{color}'>"
                f"<title>n={count}{' (too few)' if few else ''}</title></circle>"
            )
        out.append(f"<rect x='{PAD + 120 * k}' y='4' width='10' height='10' fill='{color}'/>")
        out.append(f"<text x='{PAD + 120 * k + 14}' y='13'>{_t(label)}</text>")
    return _svg(name, "".join(out))


def _grid(lo: float, hi: float, y: Callable[[float], float], unit: str) -> str:
    out = []
    for step in range(5):
        v = lo + (hi - lo) * step / 4
        out.append(
            f"<line class='grid-line' x1='{PAD}' x2='{W - 10}' y1='{y(v):.1f}' y2='{y(v):.1f}'/>"
        )
        out.append(f"<text x='{PAD - 4}' y='{y(v) + 4:.1f}' text-anchor='end'>{v:.0f}{unit}</text>")
    return "".join(out)


def _bars(
    name: str,
    rows: Sequence[tuple[str, float | None, str]],
    high: float = 1.0,
    graded: bool = False,
) -> str:
    """Horizontal bars: (label, value 0..high, text shown after the bar)."""
    if not any(v is not None for _, v, _ in rows):
        return _empty(name, "no data in this period")
    height = 24 * len(rows) + 16
    left, right = 150, 150
    out = []
    for i, (label, value, text) in enumerate(rows):
        top = 8 + 24 * i
        out.append(f"<text x='{left - 6}' y='{top + 13}' text-anchor='end'>{_t(label)}</text>")
        if value is not None:
            width = max(1.0, (W - left - right) * max(0.0, value) / (high or 1))
            color = COLORS[0]
            if graded:  # attainment: green from 90%, amber from 75%, else red
                color = COLORS[2] if value >= 0.9 else COLORS[1] if value >= 0.75 else COLORS[3]
            out.append(
                f"<rect class='mark' x='{left}' y='{top}' width='{width:.1f}' height='16' rx='2' fill='{color}'/>"
            )
        out.append(f"<text x='{W - right + 6}' y='{top + 13}'>{_t(text)}</text>")
    return _svg(name, "".join(out), height)


def _week_labels(report: StatsReport) -> list[str]:
    return [f"{b.start:%b %d}" for b in report.trend]


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


def _frt_mttr(report: StatsReport) -> str:
    t = report.trend
    series: list[Series] = [
        ("FRT median", [_hours(b.frt_median) for b in t], [b.frt_n for b in t]),
        ("MTTR median", [_hours(b.mttr_median) for b in t], [b.mttr_n for b in t]),
    ]
    return _lines("frt-mttr", _week_labels(report), series, 0, None, "h", report.min_samples)


def _frt_note(r: StatsReport) -> str:
    f, m = r.frt.overall, r.mttr.overall
    return (
        f"FRT median {duration(f.median)}, p90 {duration(f.p90)} ({sample_note(f)}); "
        f"MTTR median {duration(m.median)}, p90 {duration(m.p90)} ({sample_note(m)}); "
        f"{r.mttr.note}"
    )


def _tickets(report: StatsReport) -> str:
    top = max([b.tickets for b in report.trend] + [1])
    rows = [(f"week of {b.start:%b %d}", float(b.tickets), str(b.tickets)) for b in report.trend]
    return _bars("tickets", rows, high=float(top))


def _sla(report: StatsReport) -> str:
    rows: list[tuple[str, float | None, str]] = []
    for p in report.sla.priorities:
        for label, t in (("first response", p.first_response), ("resolution", p.resolution)):
            mark = "≈" if t.low_sample and t.attainment is not None else ""
            rows.append(
                (
                    f"{p.priority} {label}",
                    t.attainment,
                    f"{mark}{pct(t.attainment)} of {t.n} ≤ {duration(t.target_minutes)}",
                )
            )
    return _bars("sla", rows, graded=True)


def _funnel(report: StatsReport) -> str:
    rows: list[tuple[str, float | None, str]] = []
    for f in report.escalation.funnels:
        for tier in ("L1", "L2", "L3"):
            rows.append(
                (
                    f"{f.source} {tier}",
                    f.rate.get(tier),
                    f"{pct(f.rate.get(tier))} ({f.reached.get(tier, 0)} of {f.n})",
                )
            )
    return _bars("escalation", rows) if rows else _empty("escalation", "no escalation data")


def _esc_note(r: StatsReport) -> str:
    parts = [*r.escalation.notes]
    if r.escalation.disagreements:
        parts.append(
            f"{len(r.escalation.disagreements)} tickets where helpdesk and report disagree"
        )
    return "; ".join(parts)


def _csat(report: StatsReport) -> str:
    values = [None if b.csat is None else round(100 * b.csat, 1) for b in report.trend]
    series: list[Series] = [("CSAT % satisfied", values, [b.csat_n for b in report.trend])]
    return _lines("csat", _week_labels(report), series, 0, 100, "%", report.min_samples)


def _csat_note(r: StatsReport) -> str:
    return (
        "; ".join(f"{c.scale}: {pct(c.satisfied)} satisfied ({sample_note(c)})" for c in r.csat)
        or "no ratings"
    )


def _nps(report: StatsReport) -> str:
    series: list[Series] = [("NPS", [b.nps for b in report.trend], [b.nps_n for b in report.trend])]
    return _lines("nps", _week_labels(report), series, -100, 100, "", report.min_samples)


def _nps_note(r: StatsReport) -> str:
    if r.nps is None:
        return "no survey source configured (stats.nps)"
    score = "–" if r.nps.nps is None else f"{r.nps.nps:+.0f}"
    return f"NPS {score}: {r.nps.promoters} promoters, {r.nps.detractors} detractors ({sample_note(r.nps)})"


def _causes(report: StatsReport) -> str:
    if report.causes is None:
        return _empty("causes", "no batch reports (--reports DIR)")
    top = max([c.hours_lost for c in report.causes.by_time] + [1.0])
    rows = [
        (
            c.category,
            c.hours_lost,
            f"{c.hours_lost:.0f}h, {c.tickets} ticket{'' if c.tickets == 1 else 's'}",
        )
        for c in report.causes.by_time[:8]
    ]
    return _bars("causes", rows, high=top)


def _cause_note(r: StatsReport) -> str:
    return sample_note(r.causes) + " · ranked by time lost" if r.causes else ""


def _radar(report: StatsReport) -> str:
    radar = report.radar
    if radar is None:
        return _empty("radar", "run with --radar")
    if not radar.clusters:
        return _empty("radar", "no signature shared by enough customers")
    shown = radar.clusters[:8]
    moments = [m for c in shown for m in (c.first_at, c.last_at)]
    moments += [a.started_at for c in shown for a in c.covered_by[:1] if a.started_at is not None]
    pad = max((max(moments) - min(moments)) * 0.15, timedelta(minutes=10))
    start, end = min(moments) - pad, max(moments) + pad
    span = (end - start).total_seconds()
    left = 190
    height = 34 * len(shown) + 40

    def x(t: datetime) -> float:
        return left + (W - left - 16) * (t - start).total_seconds() / span

    out = [f"<line class='axis' x1='{left}' x2='{W - 16}' y1='{height - 24}' y2='{height - 24}'/>"]
    out.append(f"<text x='{left}' y='{height - 8}'>{start:%b %d %H:%M}</text>")
    out.append(
        f"<text x='{W - 16}' y='{height - 8}' text-anchor='end'>{end:%b %d %H:%M} UTC</text>"
    )
    for i, c in enumerate(shown):
        top = 14 + 34 * i
        out.append(
            f"<text x='{left - 6}' y='{top + 4}' text-anchor='end'>{_t(_short(c.signature))}</text>"
        )
        out.append(
            f"<rect class='mark' x='{x(c.first_at):.1f}' y='{top - 6}' height='12' rx='3' fill='{COLORS[3]}' "
            f"opacity='0.25' width='{max(4.0, x(c.last_at) - x(c.first_at)):.1f}'/>"
        )
        for ticket_time in c.times:
            out.append(
                f"<circle class='mark' cx='{x(ticket_time):.1f}' cy='{top}' r='4' fill='{COLORS[3]}'/>"
            )
        for a in c.covered_by[:1]:
            if a.started_at is not None:
                ax = x(a.started_at)
                out.append(
                    f"<line class='mark' x1='{ax:.1f}' x2='{ax:.1f}' y1='{top - 10}' y2='{top + 10}' stroke='{COLORS[4]}' stroke-width='2'/>"
                )
                out.append(
                    f"<text x='{ax + 4:.1f}' y='{top + 16}'>alert {a.started_at:%H:%M}</text>"
                )
    return _svg("radar", "".join(out), height)


def _short(signature: str, limit: int = 26) -> str:
    return signature if len(signature) <= limit else signature[: limit - 1] + "…"


def _radar_note(r: StatsReport) -> str:
    if r.radar is None:
        return ""
    return (
        " · ".join(line.strip("● ").strip() for line in radar_lines(r.radar)[1:] if "●" in line)
        or radar_lines(r.radar)[0]
    )
