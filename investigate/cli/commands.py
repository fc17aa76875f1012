"""The other commands: `stats`, `check`, `connectors`, `mcp`, `eval`, `demo`, `init`, `schema`,
`version`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from investigate import __version__
from investigate.cli.app import (
    AnalystOpt,
    ConfigOpt,
    Format,
    StatsFormat,
    VerboseOpt,
    _context,
    _names,
    app,
)
from investigate.cli.investigations import ticket
from investigate.errors import ExitCode, UsageError
from investigate.init import no_config


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
    analyst: AnalystOpt = None,
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
