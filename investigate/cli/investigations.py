"""`ticket`, `batch` and `ask`: the commands that investigate."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from investigate.cli.app import (
    DEFAULT_SCOPE,
    AnalystChoice,
    CacheOpt,
    ConfigOpt,
    DryRunOpt,
    Format,
    ModelOpt,
    NoRedactOpt,
    PostNoteOpt,
    Scope,
    StrictOpt,
    VerboseOpt,
    _context,
    _names,
    app,
    takes_scope,
)
from investigate.durations import option_duration, parse_duration
from investigate.errors import ExitCode, StrictFailure, UsageError
from investigate.init import no_config
from investigate.pipes import PipeWriter

if TYPE_CHECKING:  # the core is imported by each command, so `--help` stays fast
    from investigate.batch import Outcome
    from investigate.context import Context
    from investigate.models import Report
    from investigate.options import RunOptions
    from investigate.recording import Cache


@app.command()
@takes_scope
def ticket(
    ticket_id: Annotated[
        str, typer.Argument(help="The ticket ID in the configured ticket source.")
    ],
    config: ConfigOpt = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: rich on a terminal, markdown when piped].",
        ),
    ] = None,
    scope: Scope = DEFAULT_SCOPE,  # --analyst … --timeout
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file (format from --format or the extension: "
            ".json, .md, .txt).",
            dir_okay=False,
        ),
    ] = None,
    reply: Annotated[
        bool, typer.Option("--reply", help="Print only the draft reply, as plain text.")
    ] = False,
    no_redact: NoRedactOpt = False,
    strict: StrictOpt = False,
    show_prompt: Annotated[
        bool,
        typer.Option(
            "--show-prompt",
            help="Print exactly what would be sent to the LLM (after redaction); send nothing.",
        ),
    ] = False,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="With --show-prompt: print control characters as they are."),
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option(
            help="Save what every connector and the analyst returned to this folder "
            "(secrets masked; PII redacted unless --no-redact).",
            file_okay=False,
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="Rerun from a --record folder: no connectors, no network; the recorded "
            "analysis is reused unless --analyst is given.",
            file_okay=False,
        ),
    ] = None,
    cache: CacheOpt = None,
    post_note: PostNoteOpt = False,
    dry_run: DryRunOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Investigate one ticket and print the report."""
    from investigate.pipeline import investigate, strict_failures
    from investigate.render.output import emit
    from investigate.render.progress import connector_progress
    from investigate.render.target import resolve_format
    from investigate.threads import run as run_async
    from investigate.ticket_ids import check_ticket_id

    check_ticket_id(ticket_id)
    chosen = resolve_format(format.value if format else None, output, reply=reply)
    ctx = _context(config, verbose)
    if ctx.config.path is None and replay is None:
        raise no_config()
    if record is not None and replay is not None:
        raise UsageError("--record and --replay cannot be combined")
    if dry_run and not post_note:
        raise UsageError("--dry-run goes with --post-note")
    options = _run_options(ticket_id, scope, no_redact, cache)
    options = replace(options, reanalyse=scope.analyst is not None, record=record, replay=replay)
    if replay is not None:
        _check_replay(replay, ticket_id)
    if show_prompt:
        from investigate.pipeline import preview_prompt

        with connector_progress(ctx) as progress:
            text = run_async(preview_prompt(ctx, options, progress))
        from investigate.render.output import write_prompt

        write_prompt(text, raw=raw)
        return
    quiet = output is None and chosen in ("json", "reply")
    with connector_progress(ctx, enabled=not quiet) as progress:
        report = run_async(investigate(ctx, options, progress))
    emit(ctx, report, chosen, output, verbose)
    if post_note:
        _post_note(ctx, report, dry_run)
    if strict and (failed := strict_failures(report)):
        raise StrictFailure(
            f"--strict: {', '.join(failed)} failed", hint="the report above is complete otherwise"
        )


@app.command()
@takes_scope
def batch(
    ticket_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Ticket IDs; '-' or none (with stdin piped) reads one per line."),
    ] = None,
    config: ConfigOpt = None,
    query: Annotated[
        str | None,
        typer.Option(help="Pick tickets with the ticket source's own search, e.g. 'status:new'."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many tickets from --query.")] = 100,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Investigations at once (mind LLM rate limits).")
    ] = 4,
    per_connector: Annotated[
        int, typer.Option(min=1, max=64, help="Concurrent calls per connector, shared by all.")
    ] = 2,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-d",
            help="One report file per ticket here (else one JSON report per line on stdout).",
            file_okay=False,
        ),
    ] = None,
    format: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="File format with --output-dir [default: json]."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Redo tickets whose report file already exists.")
    ] = False,
    scope: Scope = DEFAULT_SCOPE,  # --analyst … --timeout
    no_redact: NoRedactOpt = False,
    strict: StrictOpt = False,
    cache: CacheOpt = None,
    record: Annotated[
        Path | None,
        typer.Option(
            help="Record each ticket's run into DIR/<id> (replay one with "
            "`investigate ticket ID --replay DIR/<id>`).",
            file_okay=False,
        ),
    ] = None,
    post_note: PostNoteOpt = False,
    dry_run: DryRunOpt = False,
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=64,
            help="Processes for the CPU-bound work; with N >= 1 reports come out in the "
            "order of the IDs, the same for any N [default: 0, one process, in completion order].",
        ),
    ] = 0,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Only this machine's share K/N of the IDs (stable hash of each ID; "
            "auto/N reads JOB_COMPLETION_INDEX). See docs/ci.md."
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Investigate many tickets concurrently: JSON lines on stdout or one file per ticket.

    Reports come in completion order (match them by .ticket.id), not argument order.
    A summary goes to stderr. Exits 0 unless a ticket failed entirely (3 when every failure
    was a missing ticket, else 4); Ctrl-C stops cleanly, keeping the finished reports (130)."""
    from investigate.batch import (
        BatchOptions,
        exit_code,
        run_batch,
        summary_lines,
        summary_table,
    )
    from investigate.threads import run as run_async

    ctx = _context(config, verbose)
    if ctx.config.path is None:
        raise no_config()
    if dry_run and not post_note:
        raise UsageError("--dry-run goes with --post-note")
    ids = _batch_ids(ctx, ticket_ids or [], query, limit)
    if shard is not None:
        from investigate.shard import parse_shard

        share = parse_shard(shard, ctx.env)
        total, ids = len(ids), share.select(ids)
        ctx.err.print(f"shard {share}: {len(ids)} of {total} tickets", markup=False)
        if total and not ids:
            return  # nothing of this queue is ours: a success, not a usage error
    if not ids:
        raise UsageError(
            "no tickets to investigate",
            hint="give IDs as arguments, one per line on stdin, or --query",
        )
    fmt = format.value if format else "json"
    if fmt == "rich":
        raise UsageError("--format rich is for a terminal; use json, markdown or text for files")
    if output_dir is not None:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {output_dir}: {exc.strerror or exc}") from None
    base = _run_options("", scope, no_redact, cache)
    options = BatchOptions(
        ids=ids,
        concurrency=concurrency,
        per_connector=per_connector,
        output_dir=output_dir,
        file_format=fmt,
        force=force,
        record=record,
        post_note=post_note,
        dry_run=dry_run,
    )
    outcomes: list[Outcome] = []

    emit_line = PipeWriter(ctx.out.file)  # `| head`: the rest runs on, its lines dropped

    from investigate.render.progress import batch_progress

    interrupted = False
    with batch_progress(ctx, len(ids)) as advance:

        def done(outcome: Outcome) -> None:
            outcomes.append(outcome)
            advance(outcome)

        try:
            if workers:
                from investigate.workers import run_workers

                run_workers(ctx, base, options, workers, emit_line, done)
            else:
                run_async(run_batch(ctx, base, options, emit_line, done))
        except KeyboardInterrupt:
            interrupted = True
    table = summary_table(outcomes)
    if table is not None:
        ctx.err.print(table)
    for line in summary_lines(outcomes, len(ids)):
        ctx.err.print(line, markup=False, highlight=False)
    from investigate.stats.run import batch_radar_lines

    for line in batch_radar_lines(ctx, [o.report for o in outcomes if o.report is not None]):
        ctx.err.print(line, markup=False, highlight=False)
    if interrupted:
        raise typer.Exit(ExitCode.INTERRUPTED)
    code = exit_code(outcomes, strict)
    if code:
        raise typer.Exit(code)


def _run_options(ticket_id: str, scope: Scope, no_redact: bool, cache: str | None) -> RunOptions:
    """What `ticket` and `batch` share of one investigation's options."""
    from investigate.options import RunOptions

    deadline = option_duration("--timeout", scope.timeout)
    return RunOptions(
        ticket_id=ticket_id,
        analyst=scope.analyst.value if scope.analyst else "auto",
        model=scope.model,
        since=scope.since,
        until=scope.until,
        only=_names(scope.only),
        skip=_names(scope.skip),
        timeout=deadline,
        redact=not no_redact,
        cache=_cache(cache, scope.until),
    )


def _post_note(ctx: Context, report: Report, dry_run: bool) -> None:
    from investigate.threads import run as run_async
    from investigate.writeback import post_note, print_outcome

    outcome = run_async(post_note(ctx, report, dry_run=dry_run))
    print_outcome(ctx, outcome)
    if outcome.status == "failed":
        raise typer.Exit(ExitCode.SOURCE_FAILED)


def _cache(value: str | None, until: str | None) -> Cache | None:
    if value is None:
        return None
    from investigate.recording import Cache, default_cache_dir

    try:
        ttl = parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"--cache: {exc}") from None
    return Cache(default_cache_dir(), ttl, live_end=until is None)


def _check_replay(folder: Path, ticket_id: str) -> None:
    from investigate.recording import load_replay

    recorded = load_replay(folder).ticket.id
    if recorded != ticket_id:
        raise UsageError(
            f"--replay: {folder} is a recording of ticket {recorded}, not {ticket_id}",
            hint=f"investigate ticket {recorded} --replay {folder}",
        )


def _batch_ids(ctx: Context, given: list[str], query: str | None, limit: int) -> list[str]:
    from investigate.threads import run as run_async

    ids: list[str] = []
    read_stdin = given == ["-"] or (not given and query is None and not sys.stdin.isatty())
    if read_stdin:
        ids = [line.strip() for line in sys.stdin if line.strip() and not line.startswith("#")]
    else:
        ids = [i for i in given if i != "-"]
    if query is not None:
        from investigate.pipeline import search_tickets

        ids += run_async(search_tickets(ctx, query, limit))
    return list(dict.fromkeys(ids))  # once each, in order


@app.command()
def ask(
    ticket_id: Annotated[str, typer.Argument(help="The ticket ID.")],
    question: Annotated[
        str | None, typer.Argument(help="The question (optional with --interactive).")
    ] = None,
    config: ConfigOpt = None,
    analyst: Annotated[
        AnalystChoice | None, typer.Option(help="Who answers [default: auto].")
    ] = None,
    model: ModelOpt = None,
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i", help="Keep asking until an empty line or Ctrl-D."),
    ] = False,
    fresh: Annotated[
        bool, typer.Option(help="Investigate again instead of using the kept investigation.")
    ] = False,
    replay: Annotated[
        Path | None,
        typer.Option(help="Answer from a --record folder instead.", file_okay=False),
    ] = None,
    no_redact: NoRedactOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Ask a follow-up question about the last investigation of a ticket (evidence cited).

    Uses the investigation kept from the last `ask` (or --replay DIR), else runs one."""
    from investigate.ask import AskOptions, ask_session
    from investigate.ticket_ids import check_ticket_id

    check_ticket_id(ticket_id)
    if not (question and question.strip()) and not interactive:
        raise UsageError(
            "no question", hint='investigate ask 4813 "what changed before the errors?"'
        )
    ctx = _context(config, verbose)
    if ctx.config.path is None and replay is None:
        raise no_config()
    if replay is not None:
        _check_replay(replay, ticket_id)
    options = AskOptions(
        ticket_id=ticket_id,
        analyst=analyst.value if analyst else "auto",
        model=model,
        redact=not no_redact,
        fresh=fresh,
        replay=replay,
    )
    ask_session(ctx, options, question.strip() if question else None, interactive)
