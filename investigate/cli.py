"""The command line (product.md §5). Commands parse options and call one function of the core;
`main()` is the single error boundary that maps exceptions to the contract's exit codes."""

from __future__ import annotations

import json
import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# pydantic looks for its plugins (an entry-point scan, ~30 ms) when the first model is built;
# the CLI uses none. Set PYDANTIC_DISABLE_PLUGINS yourself to choose otherwise.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from investigate import __version__
from investigate.durations import option_duration, parse_duration
from investigate.errors import ExitCode, InvestigateError, StrictFailure, UsageError
from investigate.init import no_config
from investigate.pipes import PipeWriter, click_saw_closed_pipe
from investigate.suggest import unknown_command

if TYPE_CHECKING:  # the core is imported by each command, so `--help` stays fast
    from investigate.batch import Outcome
    from investigate.context import Context
    from investigate.models import Report
    from investigate.recording import Cache

app = typer.Typer(
    name="investigate",
    help="Investigate a support ticket: read-only evidence from logs, databases, billing, bug "
    "trackers and monitoring, ranked, explained, with a draft reply.\n\n"
    "Try the bundled demo:  investigate demo 4812",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_STATE = {"verbose": False}


class Format(str, Enum):
    rich = "rich"
    markdown = "markdown"
    json = "json"
    text = "text"


class StatsFormat(str, Enum):
    rich = "rich"
    json = "json"


class AnalystChoice(str, Enum):
    auto = "auto"
    anthropic = "anthropic"
    openai = "openai"
    offline = "offline"


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (else $INVESTIGATE_CONFIG, ./investigate.yaml, "
        "$XDG_CONFIG_HOME/investigate/config.yaml).",
        dir_okay=False,
    ),
]

PostNoteOpt = Annotated[
    bool,
    typer.Option(
        "--post-note",
        help="Post the report as an internal note on the ticket (needs write_back: in the "
        "ticket source's config).",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="With --post-note: print the exact request, send nothing."),
]


# Options `ticket` and `batch` (and `ask`, `demo`) share: defined once, so the two commands
# cannot drift apart in name, type or help.
AnalystOpt = Annotated[
    AnalystChoice | None, typer.Option(help="Who writes the analysis [default: auto].")
]
ModelOpt = Annotated[str | None, typer.Option(help="LLM model name.")]
SinceOpt = Annotated[
    str | None, typer.Option(help="Window start: ISO time or a duration ago (6h).")
]
UntilOpt = Annotated[
    str | None, typer.Option(help="Window end: ISO time or a duration ago [default: now].")
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option(help="Query only these connectors (comma-separated or repeated)."),
]
SkipOpt = Annotated[list[str] | None, typer.Option(help="Skip these connectors.")]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(help="Deadline per investigation, e.g. 30s [default: investigation.timeout]."),
]
NoRedactOpt = Annotated[
    bool, typer.Option("--no-redact", help="Send PII to a hosted LLM unredacted.")
]
StrictOpt = Annotated[
    bool,
    typer.Option(help="Exit 5 if any source or the LLM failed (reports are still written)."),
]
CacheOpt = Annotated[
    str | None,
    typer.Option(
        help="Reuse connector results younger than this (e.g. 10m), kept in "
        "$XDG_CACHE_HOME/investigate [default: off]."
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Ranking reasons, queries, and tracebacks on errors."),
]


def _context(config: Path | None, verbose: bool = False) -> Context:
    _STATE["verbose"] = verbose
    from investigate.config import find_config, load_config
    from investigate.context import Context
    from investigate.registry import discover
    from investigate.secrets import MASKER
    from investigate.urlcreds import mask_url_credentials

    loaded = load_config(find_config(config))
    MASKER.collect(loaded.settings)
    mask_url_credentials(loaded.settings)
    ctx = Context(config=loaded, verbose=verbose)
    wanted = {
        str(section.get("type"))
        for section in loaded.settings.connectors.values()
        if isinstance(section, dict)
    }
    registry = discover(only=wanted)
    for name, why in registry.broken.items():
        if name not in wanted:
            continue
        ctx.err.print(
            f"warning: connector plugin '{name}' failed to load and is skipped: {why}",
            markup=False,
            highlight=False,
        )
    return ctx


def _names(values: list[str] | None) -> list[str]:
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]


@app.command()
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
    analyst: AnalystOpt = None,
    model: ModelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    timeout: TimeoutOpt = None,
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
    from investigate.options import RunOptions
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
    deadline = option_duration("--timeout", timeout)
    options = RunOptions(
        ticket_id=ticket_id,
        analyst=analyst.value if analyst else "auto",
        reanalyse=analyst is not None,
        model=model,
        since=since,
        until=until,
        only=_names(only),
        skip=_names(skip),
        timeout=deadline,
        redact=not no_redact,
        strict=strict,
        record=record,
        replay=replay,
        cache=_cache(cache, until),
    )
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
    analyst: AnalystOpt = None,
    model: ModelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    timeout: TimeoutOpt = None,
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
    from investigate.options import RunOptions
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
    deadline = option_duration("--timeout", timeout)
    base = RunOptions(
        ticket_id="",
        analyst=analyst.value if analyst else "auto",
        model=model,
        since=since,
        until=until,
        only=_names(only),
        skip=_names(skip),
        timeout=deadline,
        redact=not no_redact,
        strict=strict,
        cache=_cache(cache, until),
    )
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
        try:
            if workers:
                from investigate.workers import run_workers

                run_workers(ctx, base, options, workers, outcomes, emit_line, advance)
            else:
                run_async(run_batch(ctx, base, options, outcomes, emit_line, advance))
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


@app.command()
def stats(
    config: ConfigOpt = None,
    query: Annotated[
        str, typer.Option(help="Only tickets matching the source's own search syntax.")
    ] = "",
    since: Annotated[
        str | None, typer.Option(help="Period start: a duration before --until (30d) or a time.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Period end [default: now].")] = None,
    reports: Annotated[
        Path | None,
        typer.Option(
            help="A folder of batch reports (escalation tiers, root causes).", file_okay=False
        ),
    ] = None,
    no_source: Annotated[
        bool, typer.Option("--no-source", help="Use only --reports, not the ticket source.")
    ] = False,
    radar: Annotated[
        bool,
        typer.Option("--radar", help="Add the incident radar: signatures shared across customers."),
    ] = False,
    format: Annotated[StatsFormat, typer.Option("--format", "-f")] = StatsFormat.rich,
    html: Annotated[
        Path | None,
        typer.Option(help="Also write a self-contained HTML page with charts.", dir_okay=False),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Support metrics: FRT, MTTR, SLA attainment, escalation, CSAT, NPS, root causes, and the
    incident radar, each with its sample size."""
    from investigate.stats.run import StatsOptions, gather, write_outputs
    from investigate.threads import run as run_async

    ctx = _context(config, verbose)
    options = StatsOptions(query, since, until, reports, radar or html is not None, not no_source)
    report = run_async(gather(ctx, options))
    write_outputs(ctx, report, format.value, html)


@app.command()
def check(
    config: ConfigOpt = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 5 on warnings too (e.g. a credential that could write).")
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check each configured connector: config, reachability, auth, read-only posture.

    Exits 0 when every check passes, 4 when one fails, 5 with --strict when one warns."""
    from investigate.checks import run_checks
    from investigate.threads import run as run_async

    ctx = _context(config, verbose)
    if ctx.config.path is None:
        raise no_config()
    outcome = run_async(run_checks(ctx))
    if not outcome.ok:
        raise typer.Exit(ExitCode.SOURCE_FAILED)
    if strict and outcome.warnings:
        ctx.err.print(
            f"--strict: {outcome.warnings} warning(s); see the posture table above",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(ExitCode.STRICT)


@app.command()
def connectors(config: ConfigOpt = None) -> None:
    """List the available connector types and the configured instances."""
    from investigate.checks import list_connectors

    ctx = _context(config)
    list_connectors(ctx)


@app.command(name="mcp")
def mcp_server(
    config: ConfigOpt = None,
    http: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio; a host "
            "other than loopback needs --token.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="INVESTIGATE_MCP_TOKEN",
            help="Bearer token every HTTP request must carry (prefer the environment variable).",
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Serve investigations to AI assistants over the Model Context Protocol (stdio or HTTP).

    Needs the optional extra: pip install "investigate[mcp]". See the README for client setup."""
    try:
        from investigate.mcp_server import ServeOptions, parse_bind, serve
    except ImportError as exc:
        if not (exc.name or "").startswith("mcp"):
            raise
        raise UsageError(
            "investigate mcp needs the MCP SDK, which is not installed",
            hint='pip install "investigate[mcp]"',
        ) from None
    bind = parse_bind(http) if http is not None else None
    ctx = _context(config, verbose)
    if ctx.config.path is None:
        raise UsageError(
            "no config file found",
            hint="try the demo: investigate mcp --config config.example.yaml",
        )
    serve(ctx, ServeOptions(http=bind, token=token))


@app.command(name="eval")
def eval_cases(
    cases_dir: Annotated[
        Path,
        typer.Argument(
            help="A folder of cases, each a folder with case.yaml (this repository's: tests/evals)."
        ),
    ],
    only: Annotated[list[str] | None, typer.Option(help="Case names or tags to run.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary.")] = False,
) -> None:
    """Run evaluation cases: decisive-evidence recall@5/@10, category accuracy, citation validity.

    case.yaml keys: ticket, config (relative to the case folder), until, category, decisive
    (a list of {source, kind, contains}), tags; docs/formats.md has the details. Cases run with
    the offline analyst. Exits 0 when every case ran (whatever its score), 1 when one could not."""
    from investigate.evals import render_table, run_cases, summary_json

    if not cases_dir.is_dir():
        raise UsageError(f"not a folder of cases: {cases_dir}")
    summary = run_cases(cases_dir, only=_names(only) or None)
    typer.echo(json.dumps(summary_json(summary), indent=2) if as_json else render_table(summary))
    if summary.overall.errors:
        raise typer.Exit(ExitCode.INTERNAL)


@app.command()
def demo(
    ticket_id: Annotated[
        str | None, typer.Argument(help="A demo ticket to investigate; none lists them.")
    ] = None,
    format: Annotated[
        Format | None, typer.Option("--format", "-f", help="Output format (as for `ticket`).")
    ] = None,
    analyst: Annotated[
        AnalystChoice | None, typer.Option(help="Who writes the analysis [default: auto].")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file.", dir_okay=False),
    ] = None,
    reply: Annotated[bool, typer.Option("--reply", help="Print only the draft reply.")] = False,
    show_prompt: Annotated[
        bool, typer.Option("--show-prompt", help="Print what would be sent to the LLM.")
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """List the bundled demo tickets, or investigate one (offline, from any folder)."""
    from investigate.demo import demo_config, demo_tickets, listing

    config = demo_config()
    tickets = demo_tickets(config)
    if ticket_id is None:
        typer.echo(listing(tickets))
        return
    if ticket_id not in {t.id for t in tickets}:
        from investigate.suggest import did_you_mean

        raise UsageError(
            f"no demo ticket {ticket_id}{did_you_mean(ticket_id, [t.id for t in tickets])}",
            hint="investigate demo lists them",
        )
    ticket(
        ticket_id, config=config, format=format, analyst=analyst, output=output, reply=reply,
        show_prompt=show_prompt, verbose=verbose,
    )  # fmt: skip


@app.command()
def init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the starter config.", dir_okay=False)
    ] = Path("investigate.yaml"),
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter config (./investigate.yaml) and say what to run next."""
    from investigate.init import write_starter

    write_starter(path, force=force)
    typer.echo(f"wrote {path}: point its connectors at your systems, then run: investigate check")


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="report (ticket, batch) or stats.")] = "report",
) -> None:
    """Print the JSON Schema of the report (`--format json`), or of `stats --format json`."""
    from pydantic import BaseModel

    from investigate.models import Report
    from investigate.stats.models import StatsReport

    models: dict[str, type[BaseModel]] = {"report": Report, "stats": StatsReport}
    if kind not in models:
        raise UsageError(f"no schema named '{kind}'", hint="investigate schema report|stats")
    typer.echo(json.dumps(models[kind].model_json_schema(), indent=2))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"investigate {__version__} (Python {sys.version.split()[0]})")


def _command_names() -> list[str]:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    return [n.replace("_", "-") for n in names if n]


def _fail(message: str, hint: str | None, code: int) -> int:
    from investigate.render import safe
    from investigate.secrets import MASKER

    err = sys.stderr
    text = safe(MASKER.mask(message))  # a config key or ticket ID may carry escape sequences
    if os.environ.get("NO_COLOR") or not err.isatty():
        print(f"error: {text}", file=err)
    else:
        print(f"\x1b[1;31merror:\x1b[0m {text}", file=err)
    if hint:
        print(f"  hint: {safe(MASKER.mask(hint))}", file=err)
    return code


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every outcome into an exit code."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    from investigate.termsafe import guard_streams

    with guard_streams():  # the one place every printed byte goes through
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if (unknown := unknown_command(args, _command_names())) is not None:
        return _fail(unknown.message, unknown.hint, unknown.exit_code)
    try:
        result = app(args=argv, prog_name="investigate", standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # the parser turns Ctrl-C into Exit(130)
            return _fail("interrupted", None, ExitCode.INTERRUPTED)
        return code
    except InvestigateError as exc:
        return _fail(exc.message, exc.hint, exc.exit_code)
    except BrokenPipeError:  # `investigate connectors | head`: the reader had enough
        from investigate.render.output import silence_stdout

        silence_stdout()
        return ExitCode.OK
    except SystemExit as exc:  # click's own way of meeting a closed pipe: exit 1
        if not click_saw_closed_pipe():
            raise
        from investigate.render.output import silence_stdout

        silence_stdout()
        return ExitCode.OK if exc.code == 1 else int(exc.code or 0)
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", None, ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # usage errors from the argument parser
        show = getattr(exc, "show", None)
        if show is not None:
            show()
            return ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code
        return _fail(exc.format_message(), "see --help", ExitCode.USAGE)
    except Exception as exc:
        if _STATE["verbose"]:
            from investigate.secrets import MASKER

            print(MASKER.mask(traceback.format_exc()), file=sys.stderr)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug; rerun with --verbose for the traceback and report it",
            ExitCode.INTERNAL,
        )
