"""`investigate batch`: many tickets, concurrently, for scripts and cron jobs.

Each connector gets a concurrency cap shared by every investigation, so twenty tickets do
not hit the billing API twenty times at once. Reports
stream out as they finish (one JSON line each, or one file each, written atomically), so a
killed run keeps everything it finished, and a rerun skips what is already on disk.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from rich.table import Table

from investigate.context import Context
from investigate.errors import ExitCode, InvestigateError, TicketNotFound
from investigate.evidence.entities import extract
from investigate.instances import Connectors, build_connectors
from investigate.models import Report
from investigate.options import RunOptions
from investigate.pipeline import Limits, fetch_ticket, investigate, strict_failures
from investigate.render.output import to_text, write_atomic
from investigate.secrets import MASKER
from investigate.termsafe import escape_json
from investigate.ticket_ids import TICKET_ID
from investigate.writeback import NoteOutcome, post_note

"""Use with `match`: `\\Z`, not `$`, so an ID with a trailing newline is refused."""
Status = Literal["ok", "partial", "failed", "skipped"]


@dataclass
class BatchOptions:
    ids: list[str]
    concurrency: int = 4
    per_connector: int = 2
    output_dir: Path | None = None
    file_format: str = "json"
    force: bool = False
    record: Path | None = None
    """Record each ticket's run into its own folder here (`--replay DIR/<id>`)."""
    post_note: bool = False
    """Post each report as an internal note on its ticket (`investigate.writeback`)."""
    dry_run: bool = False


@dataclass
class Outcome:
    ticket_id: str
    status: Status
    category: str = ""
    tier: str = ""
    incident: bool = False
    error: str = ""
    not_found: bool = False
    note: NoteOutcome | None = None
    report: Report | None = field(default=None, repr=False)
    """Kept for the summary's incident radar."""


def target(options: BatchOptions, ticket_id: str) -> Path | None:
    if options.output_dir is None:
        return None
    suffix = {"markdown": ".md", "text": ".txt"}.get(options.file_format, ".json")
    return options.output_dir / f"{_file_name(ticket_id)}{suffix}"


def _file_name(ticket_id: str) -> str:
    return ticket_id.replace(":", "_").replace("#", "_")


async def run_batch(
    ctx: Context,
    base: RunOptions,
    options: BatchOptions,
    emit: Callable[[str], None],
    done: Callable[[Outcome], None],
) -> None:
    """Investigate every ID; `done` gets each outcome as it finishes (so an interrupted run
    still knows what it did)."""
    connectors = await plan(ctx, base, options)
    slots = asyncio.Semaphore(max(options.concurrency, 1))
    limits: Limits = {
        name: asyncio.Semaphore(max(options.per_connector, 1)) for name in connectors.instances
    }

    async def one(ticket_id: str) -> None:
        done(await _investigate_one(ctx, base, options, ticket_id, slots, limits, emit))

    with long_run_gc():
        await asyncio.gather(*(one(t) for t in options.ids))


LONG_RUN_GC = (10_000, 20, 20)
"""The collector's thresholds during a batch (Python's default: 700, 10, 10)."""


@contextmanager
def long_run_gc() -> Iterator[None]:
    """A batch holds its reports and the log lines its tickets share until it ends, and the
    collector's full passes over that growing heap took ~15 % of the CPU of 1,000 tickets on
    one log. Objects made before the batch (modules, configuration) are frozen out of the
    passes, and young collections come every 10,000 allocations instead of 700; both are
    restored after (cyclic garbage is collected all the same, later)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*LONG_RUN_GC)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _to_do(options: BatchOptions, ticket_id: str) -> bool:
    path = target(options, ticket_id)
    skip = path is not None and path.exists() and not options.force
    return bool(TICKET_ID.fullmatch(ticket_id)) and not skip


async def plan(ctx: Context, base: RunOptions, options: BatchOptions) -> Connectors:
    """Before the first investigation of a batch (configuration errors come out here): when a
    selected connector uses a plan (`plans_batches`), the tickets are fetched first (each then
    taken by its investigation, not fetched again) and every ticket's entity values go in
    `ctx.planned`. A ticket that cannot be fetched now is left to its investigation, which
    says why. Returns the (closed) connectors."""
    ctx.batch = True  # per-run caches (parsed log lines) pay off
    connectors = build_connectors(ctx, base.only, base.skip)
    try:
        ids = [i for i in options.ids if _to_do(options, i)]
        wanted = any(c.plans_batches for c in connectors.instances.values())
        if wanted and base.replay is None and len(ids) > 1 and not ctx.planned:
            await _prefetch(ctx, connectors, ids, asyncio.Semaphore(max(options.concurrency, 1)))
    finally:
        await connectors.aclose()
    return connectors


async def _prefetch(
    ctx: Context, connectors: Connectors, ids: list[str], slots: asyncio.Semaphore
) -> None:
    deadline = time.monotonic() + ctx.config.settings.investigation.timeout.total_seconds()

    async def fetch(ticket_id: str) -> None:
        async with slots:
            try:
                ticket = await fetch_ticket(ctx, connectors, ticket_id, deadline)
            except Exception:  # its investigation fetches it again and says why
                return
        ctx.prefetched[ticket_id] = ticket, extract(ticket)

    await asyncio.gather(*(fetch(i) for i in dict.fromkeys(ids)))
    values = {
        v.lower()
        for _, entities in ctx.prefetched.values()
        for v in entities.matchable()
        if len(v) >= 4
    }
    ctx.planned = tuple(sorted(values))


async def _investigate_one(
    ctx: Context,
    base: RunOptions,
    options: BatchOptions,
    ticket_id: str,
    slots: asyncio.Semaphore,
    limits: Limits,
    emit: Callable[[str], None],
) -> Outcome:
    if not TICKET_ID.fullmatch(ticket_id):
        return Outcome(ticket_id, "failed", error="not a ticket ID")
    path = target(options, ticket_id)
    if path is not None and path.exists() and not options.force:
        return Outcome(ticket_id, "skipped", error=f"{path.name} exists (use --force to redo)")
    async with slots:
        try:
            record = options.record / _file_name(ticket_id) if options.record else None
            report = await investigate(
                ctx, replace(base, ticket_id=ticket_id, record=record), limits=limits
            )
        except TicketNotFound as exc:
            return Outcome(ticket_id, "failed", error=exc.message, not_found=True)
        except InvestigateError as exc:
            return Outcome(ticket_id, "failed", error=exc.message)
        except Exception as exc:  # one ticket's bug must not sink the batch
            return Outcome(
                ticket_id,
                "failed",
                error=MASKER.mask(f"internal error: {type(exc).__name__}: {exc}"),
            )
    if path is not None:
        write_atomic(path, to_text(report, options.file_format, False))
    else:
        emit(escape_json(json.dumps(report.model_dump(mode="json"), ensure_ascii=False)))
    outcome = _outcome(report)
    if options.post_note:
        try:
            outcome.note = await post_note(ctx, report, dry_run=options.dry_run)
        except InvestigateError as exc:
            outcome.note = NoteOutcome(ticket_id, "failed", exc.message)
    return outcome


def _outcome(report: Report) -> Outcome:
    a = report.analysis
    return Outcome(
        ticket_id=report.ticket.id,
        status="partial" if strict_failures(report) else "ok",
        category=a.root_cause.category,
        tier=a.escalation.tier,
        incident=a.incident.suspected,
        report=report,
    )


def exit_code(outcomes: list[Outcome], strict: bool) -> int:
    """Non-zero only when a ticket failed entirely (3 if every failure was a missing ticket),
    or with --strict when a source failed."""
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        return ExitCode.NOT_FOUND if all(o.not_found for o in failed) else ExitCode.SOURCE_FAILED
    if any(o.note is not None and o.note.status in ("failed", "refused") for o in outcomes):
        return ExitCode.SOURCE_FAILED
    if strict and any(o.status == "partial" for o in outcomes):
        return ExitCode.STRICT
    return ExitCode.OK


def summary_lines(outcomes: list[Outcome], total: int) -> list[str]:
    """The headline (`12 tickets: 10 ok, 1 partial, 1 failed`) and one line per failure."""
    counts = Counter(o.status for o in outcomes)
    noun = "ticket" if total == 1 else "tickets"
    done = f"{len(outcomes)} of {total} {noun}" if len(outcomes) < total else f"{total} {noun}"
    lines = [
        f"{done}: {counts['ok']} ok, {counts['partial']} partial, {counts['failed']} failed"
        + (f", {counts['skipped']} skipped (already done)" if counts["skipped"] else "")
    ]
    incidents = [o.ticket_id for o in outcomes if o.incident]
    if incidents:
        lines.append(f"incident suspected: {', '.join(incidents[:20])}")
    lines += [f"failed {o.ticket_id}: {o.error}" for o in outcomes if o.status == "failed"][:50]
    notes = [o.note for o in outcomes if o.note is not None]
    if notes:
        by = Counter(n.status for n in notes)
        lines.append("notes: " + ", ".join(f"{n} {status}" for status, n in sorted(by.items())))
        lines += [
            f"note {n.ticket_id}: {n.detail}" + (f"\n{n.request.rstrip()}" if n.request else "")
            for n in notes
            if n.status in ("refused", "failed", "dry-run")
        ][:50]
    return lines


def summary_table(outcomes: list[Outcome]) -> Table | None:
    """Categories × escalation tiers, with how many were partial or suspected incidents."""
    done = [o for o in outcomes if o.category]
    if not done:
        return None
    tiers = sorted({o.tier for o in done if o.tier})
    table = Table(title="Batch summary", title_justify="left")
    for column in ("Category", "Tickets", *tiers, "Partial", "Incident"):
        table.add_column(column, justify="left" if column == "Category" else "right")
    for category, count in Counter(o.category for o in done).most_common():
        rows = [o for o in done if o.category == category]
        table.add_row(
            category,
            str(count),
            *(str(sum(o.tier == t for o in rows)) for t in tiers),
            str(sum(o.status == "partial" for o in rows)),
            str(sum(o.incident for o in rows)),
        )
    return table
