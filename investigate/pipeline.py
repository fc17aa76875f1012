"""The investigation, end to end (product.md §2):

ticket ─► entities ─► resolve identities ─► fan-out (concurrent, deadlines) ─► evidence
─► dedupe + rank ─► budget ─► analyst ─► report
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable
from typing import Any

from investigate.analysts import AnalystInput, choose_analyst
from investigate.budget import apply_budget
from investigate.context import Context
from investigate.durations import parse_time
from investigate.errors import (
    ConfigError,
    InvestigateError,
    SourceError,
    SourceTimeout,
    TicketSourceError,
    UsageError,
)
from investigate.evidence import entities as entity_mod
from investigate.evidence import incidents, replylint, runbooks
from investigate.evidence.causal import Aliases
from investigate.evidence.ranking import dedupe, merged_notes, number, order
from investigate.instances import AnyConnector, Connectors, build_connectors
from investigate.models import (
    Analysis,
    Entities,
    Report,
    SourceResult,
    Ticket,
    TicketSummary,
    Usage,
    Window,
)
from investigate.notemarker import without_our_notes
from investigate.options import RunOptions
from investigate.recording import Cache, Recorder, Replay, load_replay
from investigate.sdk.contract import Collected, Query, Stage, TicketSearch, TicketSource
from investigate.secrets import MASKER
from investigate.sla import sla_for

CACHED_MS = -1
"""The elapsed time `_run_one` gives a cache hit: shown as "cached", counted as 0 ms."""
Progress = Callable[[str, str, str], None]
"""progress(connector name, "start" | "done", status or "")."""
RESOLVE_SHARE = 0.4
"""Identity resolution may use this share of the time left; the fan-out gets the rest."""
Limits = dict[str, asyncio.Semaphore]
"""Per-connector concurrency caps shared by the investigations of a batch."""


async def fetch_ticket(
    ctx: Context, connectors: Connectors, ticket_id: str, deadline: float
) -> Ticket:
    name = ctx.config.settings.ticket_source
    if not name:
        raise ConfigError(
            "no ticket source configured",
            hint="set `ticket_source:` to the name of a connector that supplies tickets",
        )
    source = connectors.instances.get(name)
    if source is None:
        raise ConfigError(f"ticket_source '{name}' is not a configured, enabled connector")
    if not isinstance(source, TicketSource):
        raise ConfigError(f"connector '{name}' ({source.type_name}) cannot supply tickets")
    try:
        async with asyncio.timeout(max(deadline - time.monotonic(), 0.1)):
            # the notes investigate posted (--post-note) are not evidence about the ticket
            return without_our_notes(await source.fetch_ticket(ticket_id))
    except TimeoutError:
        raise TicketSourceError(f"ticket source '{name}' did not answer in time") from None
    except SourceError as exc:
        raise TicketSourceError(
            f"ticket source '{name}' failed: {exc.message}", hint=exc.hint
        ) from None


async def search_tickets(ctx: Context, query: str, limit: int) -> list[str]:
    """Ticket IDs from the ticket source's own search (`batch --query`, the MCP server)."""

    name = ctx.config.settings.ticket_source
    connectors = build_connectors(ctx)
    try:
        source = connectors.instances.get(name or "")
        if source is None or not isinstance(source, TicketSearch):
            kind = source.type_name if source is not None else "none"
            raise UsageError(
                f"the ticket source '{name}' ({kind}) cannot search tickets",
                hint="give the IDs as arguments or on stdin instead",
            )
        return await source.search_tickets(query, limit)
    finally:
        await connectors.aclose()


def window_for(ctx: Context, ticket: Ticket, options: RunOptions) -> Window:
    now = ctx.clock()
    try:
        end = parse_time(options.until, now=now) if options.until else now
        start = (
            parse_time(options.since, now=now)
            if options.since
            else ticket.created_at - ctx.config.settings.investigation.lookback
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OverflowError:  # created_at at the edge of the calendar, minus the lookback
        raise TicketSourceError(
            f"ticket {ticket.id}: created_at {ticket.created_at.isoformat()} is out of range"
        ) from None
    if start >= end:
        raise UsageError(
            f"the window is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}"
        )
    return Window(start=start, end=end)


async def _run_one(
    ctx: Context,
    connector: AnyConnector,
    query: Query,
    progress: Progress | None,
    limits: Limits | None = None,
    cache: Cache | None = None,
) -> tuple[Collected | SourceError, int]:
    key = (
        cache.key_for(connector.config, query.stage, query.ticket.id, query.window, query.entities)
        if cache is not None
        else ""
    )
    if cache is not None and (hit := cache.get(key)) is not None:
        if progress:
            progress(connector.name, "done", "cached")
        return hit[0], CACHED_MS
    started = time.monotonic()
    budget = max(query.deadline - started, 0.05)
    gate = limits.get(connector.name) if limits is not None else None
    try:
        async with asyncio.timeout(budget):
            if gate is None:
                result: Collected | SourceError = await connector.collect(query)
            else:  # a batch shares each connector between concurrent investigations
                async with gate:
                    result = await connector.collect(query)
    except TimeoutError:
        result = SourceTimeout(f"no answer within {budget:.1f}s")
    except SourceError as exc:
        result = exc
    except InvestigateError as exc:
        result = SourceError(exc.message, hint=exc.hint)
    except Exception as exc:  # a connector bug must not sink the investigation
        if ctx.verbose:
            ctx.err.print(MASKER.mask(traceback.format_exc()), markup=False, highlight=False)
        result = SourceError(f"internal error in connector: {type(exc).__name__}: {exc}")
    if progress:
        status = (
            result.status
            if isinstance(result, SourceError)
            else "ok"
            if result.evidence
            else "empty"
        )
        progress(connector.name, "done", status)
    elapsed = int((time.monotonic() - started) * 1000)
    if cache is not None:
        cache.put(key, result, elapsed)
    return result, elapsed


async def _stage(
    ctx: Context,
    names: list[str],
    connectors: Connectors,
    make_query: Callable[[AnyConnector], Query],
    progress: Progress | None,
    limits: Limits | None = None,
    cache: Cache | None = None,
) -> dict[str, tuple[Collected | SourceError, int]]:
    for name in names:
        if progress:
            progress(name, "start", "")
    tasks = [
        _run_one(
            ctx,
            connectors.instances[n],
            make_query(connectors.instances[n]),
            progress,
            limits,
            cache,
        )
        for n in names
    ]
    results = await asyncio.gather(*tasks)
    return dict(zip(names, results, strict=True))


async def investigate(
    ctx: Context,
    options: RunOptions,
    progress: Progress | None = None,
    *,
    limits: Limits | None = None,
) -> Report:
    """The whole run: gather the evidence, ask the analyst, build the report. A batch passes
    per-connector `limits` shared by its investigations."""
    started = time.monotonic()
    replay = load_replay(options.replay) if options.replay is not None else None
    if replay is not None and replay.analysis is not None and not options.reanalyse:
        data = await gather(ctx, options, progress, limits=limits, replay=replay)
        analysis, usage = replay.analysis, replay.usage or Usage()
        analysis.analyst = f"{analysis.analyst} (replayed)"
        analysis.outcome = "replayed"
    else:
        analyst = choose_analyst(ctx, options)  # its configuration errors come before any work
        recorder = _recorder(ctx, options) if options.record is not None else None
        data = await gather(ctx, options, progress, limits=limits, replay=replay, recorder=recorder)
        label = f"analyst {analyst.name}"
        if progress and analyst.name != "offline":
            progress(label, "start", "")
        analysis, usage = await analyst.analyse(data)
        analysis.incident = incidents.merge(data.incident, analysis.incident)
        if not analysis.runbooks:
            analysis.runbooks = runbooks_for(data, analysis)
        replylint.enforce(analysis, data.evidence, data.ticket, data.reply)
        if progress and analyst.name != "offline":
            progress(label, "done", "error" if analysis.outcome == "fallback" else "ok")
        if recorder is not None:
            recorder.analysis(analysis, usage)
    usage.elapsed_ms = int((time.monotonic() - started) * 1000)
    return Report(
        ticket=TicketSummary(**data.ticket.model_dump(include=set(TicketSummary.model_fields))),
        window=data.window,
        entities=data.entities,
        sources=data.sources,
        evidence=data.evidence,
        omitted_evidence=data.omitted,
        analysis=analysis,
        sla=sla_for(data.ticket, ctx.config.settings.sla, ctx.clock()),
        usage=usage,
        generated_at=ctx.clock(),
    )


async def gather(
    ctx: Context,
    options: RunOptions,
    progress: Progress | None = None,
    *,
    limits: Limits | None = None,
    replay: Replay | None = None,
    recorder: Recorder | None = None,
) -> AnalystInput:
    """Fetch the ticket, resolve identities, fan out to every connector, rank, budget."""
    settings = ctx.config.settings
    deadline = (
        time.monotonic()
        + (
            options.timeout if options.timeout is not None else settings.investigation.timeout
        ).total_seconds()
    )
    if replay is not None:
        return _assemble(
            ctx,
            replay.ticket,
            replay.entities,
            replay.window,
            replay.types,
            replay.stages["resolve"],
            replay.stages["collect"],
            [],
        )
    # Built per investigation: connectors keep per-run state (which queries already ran).
    connectors = build_connectors(ctx, options.only, options.skip)
    try:
        held = ctx.prefetched.pop(options.ticket_id, None)  # fetched and read by the plan
        if held is not None:
            ticket, found = held
        else:
            ticket = await fetch_ticket(ctx, connectors, options.ticket_id, deadline)
            found = entity_mod.extract(ticket)
        window = window_for(ctx, ticket, options)
        evidence_sources = {
            n: c
            for n, c in connectors.instances.items()
            if c.collects_evidence
            and (not options.only or n in options.only)
            and n not in options.skip
        }
        skipped = list(connectors.skipped) + [
            SourceResult(
                name=n, type=c.type_name, status="skipped", error="not selected (--only/--skip)"
            )
            for n, c in connectors.instances.items()
            if c.collects_evidence and n not in evidence_sources
        ]

        def query_for(stage: Stage) -> Callable[[AnyConnector], Query]:
            def make(c: AnyConnector) -> Query:
                now = time.monotonic()
                own = (c.config.timeout or settings.investigation.connector_timeout).total_seconds()
                end = deadline
                if stage == "resolve":  # a stalled resolver must leave the others their time
                    end = now + RESOLVE_SHARE * max(deadline - now, 0.0)
                return Query(
                    ticket,
                    found,
                    window,
                    stage,
                    min(now + own, end),
                    baseline=settings.investigation.baseline,
                )

            return make

        resolvers = [n for n, c in evidence_sources.items() if c.provides()]
        first = await _stage(
            ctx, resolvers, connectors, query_for("resolve"), None, limits, options.cache
        )
        for name, (result, _) in first.items():
            if isinstance(result, Collected):
                for param, values in result.provides.items():
                    entity_mod.add_values(found, param, values, name)
        second = await _stage(
            ctx,
            list(evidence_sources),
            connectors,
            query_for("collect"),
            progress,
            limits,
            options.cache,
        )
    finally:
        await connectors.aclose()

    types = {n: c.type_name for n, c in evidence_sources.items()}
    if recorder is not None:
        recorder.evidence_run(ticket, found, window, types, {"resolve": first, "collect": second})
    return _assemble(ctx, ticket, found, window, types, first, second, skipped)


def _recorder(ctx: Context, options: RunOptions) -> Recorder:
    """One recorder (and one redaction mapping) per run, so a value is the same placeholder in
    every file of the recording."""
    assert options.record is not None
    from investigate.evidence.redaction import Redactor

    redaction = ctx.config.settings.redaction
    redactor = (
        Redactor.from_settings(redaction, enabled=True)
        if options.redact and redaction.enabled
        else None
    )
    return Recorder(options.record, redactor)


def _assemble(
    ctx: Context,
    ticket: Ticket,
    found: Entities,
    window: Window,
    types: dict[str, str],
    first: dict[str, tuple[Collected | SourceError, int]],
    second: dict[str, tuple[Collected | SourceError, int]],
    skipped: list[SourceResult],
) -> AnalystInput:
    """Stage results → ranked, budgeted evidence (shared by live runs and replays)."""
    settings = ctx.config.settings
    sources, items, notes = _combine(types, first, second)
    inv = settings.investigation
    ranked, links = order(
        dedupe(items),
        found,
        ticket.created_at,
        horizon=inv.link_horizon,
        aliases=Aliases(inv.service_aliases),
    )
    for e in ranked:
        if e.merged:
            e.reasons.append(f"+0.0 folded {e.merged} true duplicate(s): same source and identity")
    if ctx.verbose:
        for line in merged_notes(ranked):
            ctx.err.print(line, markup=False, highlight=False)
    kept, omitted = apply_budget(
        ranked, settings.investigation.max_evidence, settings.investigation.evidence_budget_tokens
    )
    number(kept, links)
    books, book_notes = runbooks.load_or_note(settings.runbooks)
    notes += book_notes
    return AnalystInput(
        ticket=ticket,
        entities=found,
        window=window,
        evidence=kept,
        sources=[*sources, *skipped],
        notes=notes,
        omitted=omitted,
        reply=settings.reply,
        intent_phrases={str(k): v for k, v in inv.intent_phrases.items()},
        runbooks=runbooks.matching(books, kept, types),
    )


def runbooks_for(data: AnalystInput, analysis: Analysis) -> list[str]:
    """The runbooks that fit a finished diagnosis that named none (an LLM's): its category and
    the evidence it cites, a runbook's `connector` matched by the connector's name or type."""
    by_id = {e.id: e for e in data.evidence}
    cited = [by_id[i] for i in analysis.root_cause.evidence if i in by_id]
    types = {s.name: s.type for s in data.sources}
    books = runbooks.for_analysis(data.runbooks, analysis.root_cause.category, cited, types)
    return [b.name for b in books]


async def preview_prompt(
    ctx: Context, options: RunOptions, progress: Progress | None = None
) -> str:
    """`--show-prompt`: the exact LLM prompt after redaction, with its token estimate. Nothing
    is sent: the connectors are queried (read-only) but no analyst is called."""
    from investigate.analysts.llm import LLMAnalyst
    from investigate.analysts.prompt import build_prompt
    from investigate.evidence.redaction import Redactor

    analyst = choose_analyst(ctx, options)
    data = await gather(ctx, options, progress)
    if isinstance(analyst, LLMAnalyst):
        prompt, redactor = analyst.prompt(data)
        await analyst.provider.aclose()
        head = f"# prompt for {analyst.name} (not sent)"
    else:
        redaction = ctx.config.settings.redaction
        redactor = Redactor(redaction.sensitive, enabled=options.redact and redaction.enabled)
        prompt = build_prompt(data, redactor)
        head = "# prompt an LLM analyst would receive (the analyst is offline; nothing is sent)"
    counts = ", ".join(f"{n} {kind}" for kind, n in redactor.counts().items()) or "nothing"
    return f"{head}\n# redacted: {counts}\n{prompt.as_text()}"


def strict_failures(report: Report) -> list[str]:
    """What `--strict` counts as a failure: a source that errored or timed out, an LLM fallback."""
    failed = [s.name for s in report.sources if s.status in ("error", "timeout")]
    if report.analysis.outcome == "fallback":
        failed.append("the LLM analyst")
    return failed


def _combine(
    types: dict[str, str],
    first: dict[str, tuple[Collected | SourceError, int]],
    second: dict[str, tuple[Collected | SourceError, int]],
) -> tuple[list[SourceResult], list[Any], list[str]]:
    sources: list[SourceResult] = []
    items: list[Any] = []
    notes: list[str] = []
    for name, type_name in types.items():
        runs = [r for r in (first.get(name), second.get(name)) if r is not None]
        elapsed = sum(max(ms, 0) for _, ms in runs)
        cached = bool(runs) and all(ms == CACHED_MS for _, ms in runs)
        errors = [r for r, _ in runs if isinstance(r, SourceError)]
        found = [e for r, _ in runs if isinstance(r, Collected) for e in r.evidence]
        notes += [n for r, _ in runs if isinstance(r, Collected) for n in r.notes]
        if errors:
            status = errors[-1].status
            message = MASKER.mask(errors[-1].message)
            if errors[-1].hint:
                message += f" ({errors[-1].hint})"
        elif failures := [f for r, _ in runs if isinstance(r, Collected) for f in r.failures]:
            # some of the source's own calls failed, others answered: what they found is kept
            status = failures[0].status
            message = MASKER.mask(failures[0].message)
            if failures[0].hint:
                message += f" ({failures[0].hint})"
            message += f"; partial: {len(found)} item(s) from the calls that answered"
            if len(failures) > 1:
                message += f", {len(failures) - 1} more call(s) failed"
        elif any(isinstance(r, Collected) and r.partial for r, _ in runs):
            status, message = "timeout", "stopped at the deadline: results are partial"
        else:
            status, message = ("ok" if found else "empty"), None
        result = SourceResult(
            name=name,
            type=type_name,
            status=status,
            items=len(found),
            elapsed_ms=elapsed,
            cached=cached,
            error=message,
        )
        sources.append(result)
        items += found
    return sources, items, notes
