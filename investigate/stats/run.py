"""`investigate stats`: gather tickets (the ticket source's history), batch reports, survey
answers and alerts, then compute every metric (`compute`) and the radar (`radar`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from investigate.context import Context
from investigate.durations import parse_duration, parse_time
from investigate.errors import UsageError
from investigate.models import Evidence, Report, Window
from investigate.sdk.history import History, HistoryQuery, HistoryTicket, TicketHistorySource, utc
from investigate.stats import compute
from investigate.stats.models import Radar, StatsReport
from investigate.stats.radar import radar


@dataclass
class StatsOptions:
    query: str = ""
    since: str | None = None
    """A duration before `until` (30d) or a time."""
    until: str | None = None
    reports_dir: Path | None = None
    radar: bool = False
    use_source: bool = True


def period(ctx: Context, options: StatsOptions) -> tuple[datetime, datetime]:
    cfg = ctx.config.settings.stats
    now = utc(cfg.as_of or ctx.clock())
    try:
        until = utc(parse_time(options.until, now=now)) if options.until else now
        if options.since is None:
            since = until - cfg.since
        elif options.since.strip()[-1:].isalpha() and options.since.strip()[:1].isdigit():
            since = until - parse_duration(options.since)
        else:
            since = utc(parse_time(options.since, now=now))
    except ValueError as exc:
        raise UsageError(
            f"--since/--until: {exc}", hint="e.g. --since 30d --until 2026-11-25"
        ) from None
    if since >= until:
        raise UsageError("--since must be before --until")
    return since, until


async def gather(ctx: Context, options: StatsOptions) -> StatsReport:
    settings = ctx.config.settings
    cfg = settings.stats
    since, until = period(ctx, options)
    notes: list[str] = []
    reports: list[Report] = []
    if options.reports_dir is not None:
        from investigate.stats.inputs import read_reports

        reports, more = read_reports(options.reports_dir)
        reports = [r for r in reports if since <= utc(r.ticket.created_at) <= until]
        notes += more
    history, where = History(), "none"
    if options.use_source:
        history, where = await _history(ctx, HistoryQuery(since, until, options.query))
        notes += history.notes
    elif not reports:
        raise UsageError("nothing to compute: no ticket source and no --reports")
    tickets = [t for t in history.tickets if since <= t.created_at <= until]
    nps_scores: list[tuple[datetime | None, float]] | None = None
    nps_stats = None
    if cfg.nps is not None:
        from investigate.stats.inputs import read_nps

        answers, invalid, nps_where = await read_nps(ctx, cfg.nps)
        nps_scores = [(t, s) for t, s in answers if t is None or since <= utc(t) <= until]
        nps_stats = compute.nps([s for _, s in nps_scores], cfg.min_samples, nps_where, invalid)
    else:
        notes.append("NPS: no survey source configured (stats.nps)")
    inputs = compute.Inputs(
        tickets=tickets,
        now=until,
        policies=settings.sla,
        min_samples=cfg.min_samples,
        escalation=cfg.escalation,
        reports=reports,
        nps_scores=nps_scores,
    )
    if tickets and all(t.paused is None for t in tickets):
        notes.append(
            f"MTTR and resolution SLA include pending/on-hold time: {where} does not expose it"
        )
    report = StatsReport(
        since=since,
        until=until,
        source=where + (f" + {len(reports)} reports from {options.reports_dir}" if reports else ""),
        tickets=len(tickets),
        reports=len(reports),
        min_samples=cfg.min_samples,
        frt=compute.frt(tickets, cfg.min_samples),
        mttr=compute.mttr(tickets, cfg.min_samples),
        sla=compute.sla(inputs),
        escalation=compute.escalation(inputs),
        csat=compute.csat(tickets, cfg.min_samples),
        nps=nps_stats,
        causes=compute.causes(inputs),
        trend=compute.trend(inputs),
        notes=notes,
        generated_at=ctx.clock(),
    )
    if not any(t.rating for t in tickets):
        report.notes.append("CSAT: no satisfaction ratings in these tickets")
    if options.radar:
        report.radar = await _radar(ctx, history.tickets, reports, until)
    return report


async def _history(ctx: Context, query: HistoryQuery) -> tuple[History, str]:
    from investigate.instances import build_connectors

    settings = ctx.config.settings
    name = settings.stats.source or settings.ticket_source
    if not name:
        raise UsageError(
            "no ticket source to read history from",
            hint="set stats.source or ticket_source in the config, or pass --reports DIR --no-source",
        )
    connectors = build_connectors(ctx, only=[name])
    try:
        source = connectors.instances.get(name)
        if source is None or not isinstance(source, TicketHistorySource):
            kind = source.type_name if source is not None else "not configured"
            raise UsageError(
                f"the ticket source '{name}' ({kind}) cannot list ticket history",
                hint="use --reports DIR --no-source, or a source that can (file, zendesk)",
            )
        return await source.ticket_history(query), f"{name} ({source.type_name})"
    finally:
        await connectors.aclose()


async def _radar(
    ctx: Context, tickets: list[HistoryTicket], reports: list[Report], until: datetime
) -> Radar:
    from investigate.stats.inputs import collect_alerts

    cfg = ctx.config.settings.stats.radar
    window = Window(start=until - cfg.window, end=until)
    alerts, notes = await collect_alerts(ctx, cfg.alerts, window)
    alerts += _report_alerts(reports)
    known = {t.id for t in tickets}
    extra = [_from_report(r) for r in reports if r.ticket.id not in known]
    found = radar([*tickets, *extra], until, cfg.window, cfg.min_customers, alerts, reports)
    found.notes += notes
    return found


def _report_alerts(reports: list[Report]) -> list[Evidence]:
    seen: dict[str, Evidence] = {}
    for r in reports:
        for e in r.evidence:
            if e.kind in ("alert", "incident"):
                seen.setdefault(f"{e.source}:{e.title}", e)
    return list(seen.values())


def _from_report(r: Report) -> HistoryTicket:
    e = r.entities
    return HistoryTicket(
        id=r.ticket.id,
        created_at=r.ticket.created_at,
        subject=r.ticket.subject,
        text=" ".join([*e.error_codes, *(str(s) for s in e.http_statuses)]),
        customer=r.ticket.organization.name or _domain(r.ticket.requester.email),
        priority=r.ticket.priority,
        status=r.ticket.status,
        service=e.product_areas[0] if e.product_areas else None,
    )


def _domain(email: str | None) -> str | None:
    return email.rpartition("@")[2].lower() if email and "@" in email else None


def write_outputs(ctx: Context, report: StatsReport, fmt: str, html: Path | None) -> None:
    """Print the report (rich or JSON) and write the HTML page when asked."""
    import json

    if html is not None:
        from investigate.render.output import write_atomic
        from investigate.stats.html import to_html

        write_atomic(html, to_html(report))
        ctx.err.print(f"wrote {html}", markup=False, highlight=False)
    if fmt == "json":
        ctx.out.file.write(
            json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
        )
        return
    from investigate.stats.render import render

    render(report, ctx.out, radar_only=False)


def batch_radar_lines(ctx: Context, reports: list[Report]) -> list[str]:
    """The radar over a batch's reports (the summary section of `batch`): clusters of the
    tickets investigated, with the alerts their reports matched; one line when there is none."""
    from investigate.stats.render import radar_lines

    if len(reports) < 2:
        return []
    cfg = ctx.config.settings.stats.radar
    tickets = [_from_report(r) for r in reports]
    until = max(t.created_at for t in tickets)
    window = max(cfg.window, until - min(t.created_at for t in tickets))
    found = radar(tickets, until, window, cfg.min_customers, _report_alerts(reports), reports)
    if not found.clusters:
        return [
            f"incident radar: no signature shared by {cfg.min_customers}+ customers "
            f"across these {len(reports)} tickets"
        ]
    return radar_lines(found)
