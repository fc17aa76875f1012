"""`--post-note`: the report as an internal note on the ticket it came from — the one write.

A ticket source that can take notes implements `NoteTarget` (one method, `note_channel()`):
it describes, as data, the documented create-note endpoint (method, path pattern, a body
check that refuses anything but an internal note), the markup its helpdesk renders, the write
credential from its own `write_back:` section, and how to build the request. The core does the
rest: idempotency, rendering, the guarded client, dry runs. Connectors are never imported here.

    connectors:
      helpdesk:
        type: zendesk
        ...                                   # the read-only credential, as before
        write_back:
          enabled: true                       # default false: nothing is ever written
          email: ${ZENDESK_NOTE_EMAIL}
          token: ${ZENDESK_NOTE_TOKEN}        # a separate credential, used for the note only
          redact_notes: false                 # true: PII as placeholders, as for a hosted LLM

Fences: the write client's guard (`investigate.sdk.transport.WriteEndpoint`) allows exactly that one
method and path, with the body check, and refuses every other write (status, assignee, tags,
a public reply); it sends once (no retry: a retried POST could post twice). A public channel
(GitHub issue comments) is refused unless `public_ok: true`. A ticket source of files
(`NoteFolderTarget`) takes the note as a new file instead: `investigate.notefile`.

Idempotent: the note ends with `investigate-note:v<schema>:<evidence hash>`. Before posting, the
ticket is read again (read-only) and nothing is posted when its last marker is the same; a
changed evidence set posts a new note (never an edit). The pipeline leaves our own notes out
of the ticket text it investigates, so a note never feeds the next run.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from investigate.errors import ReadOnlyViolation, UsageError
from investigate.models import Report, Ticket
from investigate.notemarker import last_marker, marker_for
from investigate.noteoutcome import NoteOutcome as NoteOutcome
from investigate.render.note import render_note
from investigate.sdk.contract import TicketSource
from investigate.sdk.notefolder import NoteFolderTarget
from investigate.sdk.notes import (
    NoteChannel,
    NoteTarget,
)
from investigate.sdk.transport import ReadOnlyGuard, describe
from investigate.secrets import MASK, MASKER

if TYPE_CHECKING:
    from investigate.context import Context

_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "private-token"})


def write_permission(connector: object) -> tuple[str, str, str] | None:
    """For `investigate check`'s posture table: (mark, the one write, its state), or None for a
    connector that cannot take notes."""
    if isinstance(connector, NoteFolderTarget):  # a source of files: notes as new files
        from investigate.notefile import folder_permission

        return folder_permission(connector.note_folder())
    if not isinstance(connector, NoteTarget):
        return None
    channel = connector.note_channel()
    what = f"write-back: {channel.label}"
    if not channel.settings.enabled:
        return "➖", what, "write-back disabled (write_back.enabled: false)"
    if channel.public and not channel.settings.public_ok:
        return "➖", what, f"refused: {channel.vendor} comments are public (public_ok: false)"
    if channel.problem:
        return "❌", what, f"enabled but not ready: {channel.problem}"
    return "✍️", what, "enabled, with its own write_back credential"


def show_request(request: Any) -> str:
    """`METHOD URL`, the headers (secrets masked) and the body: what would be sent."""
    lines = [f"{request.method} {request.url}"]
    for name, value in request.headers.items():
        shown = MASK if name.lower() in _SECRET_HEADERS else value
        lines.append(f"{name}: {shown}")
    lines += ["", request.content.decode("utf-8", "replace")]
    return MASKER.mask("\n".join(lines))


async def post_note(ctx: Context, report: Report, *, dry_run: bool = False) -> NoteOutcome:
    """Post the report as an internal note on its ticket (or, with `dry_run`, show the request).

    Refusals (no channel, disabled, public) come back as outcomes, not exceptions, so a batch
    carries on; the CLI turns a refusal of a single ticket into a usage error."""
    from investigate.instances import build_connectors

    tid = report.ticket.id
    name = ctx.config.settings.ticket_source or ""
    connectors = build_connectors(ctx)
    try:
        source = connectors.instances.get(name)
        if source is None:
            return NoteOutcome(tid, "refused", f"no enabled ticket source '{name}'")
        if isinstance(source, NoteFolderTarget):  # a source of files: the note as a new file
            from investigate.notefile import post_file_note

            return await post_file_note(ctx, name, source, report, dry_run=dry_run)
        if not isinstance(source, NoteTarget):
            text = f"ticket source '{name}' ({source.type_name}) cannot take notes"
            if not dry_run:
                return NoteOutcome(tid, "refused", text)
            body = render_note(report, "markdown", marker_for(report))
            return NoteOutcome(
                tid, "dry-run", f"{text}: nothing would be sent. The note would read:", body
            )
        channel = source.note_channel()
        settings = channel.settings
        where = f"connectors.{name}.write_back"
        if channel.public and not settings.public_ok:
            return NoteOutcome(
                tid,
                "refused",
                f"{channel.vendor} comments are public: refusing to post the report there "
                f"(set {where}.public_ok: true to allow it)",
            )
        if not dry_run and not settings.enabled:
            return NoteOutcome(
                tid, "refused", f"write-back is disabled for '{name}' (set {where}.enabled: true)"
            )
        if not dry_run and channel.problem:
            return NoteOutcome(tid, "refused", f"{where}: {channel.problem}")
        if not isinstance(source, TicketSource):
            return NoteOutcome(tid, "refused", f"connector '{name}' cannot supply tickets")
        ticket = await source.fetch_ticket(tid)  # read-only: what is on the ticket now
        marker = marker_for(report)
        if last_marker(ticket.comments) == marker:
            return NoteOutcome(
                tid, "unchanged", f"the last note on {tid} has the same evidence: nothing to post"
            )
        return await _send(ctx, channel, report, ticket, marker, dry_run)
    finally:
        await connectors.aclose()


async def _send(
    ctx: Context,
    channel: NoteChannel,
    report: Report,
    ticket: Ticket,
    marker: str,
    dry_run: bool,
) -> NoteOutcome:
    sensitive = ctx.config.settings.redaction.sensitive
    from investigate.evidence.redaction import Redactor

    redactor = Redactor(sensitive, enabled=True) if channel.settings.redact_notes else None
    body = render_note(report, channel.format, marker, redactor)
    note = channel.build(ticket, body)
    options = replace(channel.options, write=channel.endpoint, max_attempts=1, read_only_posts=())
    if isinstance(options.auth, tuple):  # a header, so that the dry run shows what is sent
        user, password = options.auth
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        options = replace(
            options, auth=None, headers={**options.headers, "Authorization": f"Basic {basic}"}
        )
    async with ctx.http(options) as client:
        request = client.build_request(note.method, note.path, json=note.json)
        ReadOnlyGuard((), channel.endpoint).check(request)  # a dry run proves the guard passes
        if dry_run:
            state = (
                ""
                if channel.settings.enabled
                else " (write-back is disabled: a real run would refuse)"
            )
            return NoteOutcome(
                report.ticket.id,
                "dry-run",
                f"would send this request to {channel.vendor}{state}; nothing was sent",
                show_request(request),
            )
        try:
            response = await client.send(request)
        except ReadOnlyViolation:
            raise
        except Exception as exc:
            return NoteOutcome(report.ticket.id, "failed", describe(exc))
        await response.aread()
        if not response.is_success:
            failure = f"HTTP {response.status_code} from {note.method} {request.url}"
            return NoteOutcome(report.ticket.id, "failed", MASKER.mask(failure))
    return NoteOutcome(
        report.ticket.id,
        "posted",
        f"posted an internal note on {channel.vendor} ticket {report.ticket.id}",
    )


def print_outcome(ctx: Context, outcome: NoteOutcome) -> None:
    """One line on stderr (and the request with a dry run); a refusal is a usage error."""
    from investigate.render import safe

    if outcome.status == "refused":
        raise UsageError(outcome.detail, hint="see 'Post to the helpdesk' in the README")
    text = f"note: {safe(outcome.detail)}\n"
    if outcome.request:  # as is: rich would wrap the lines of the request
        text += "\n".join(safe(line) for line in outcome.request.rstrip("\n").split("\n")) + "\n"
    ctx.err.file.write(text)
    ctx.err.file.flush()
