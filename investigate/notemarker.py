"""The marker every note investigate posts ends with: `investigate-note:v<schema>:<evidence
hash>`. It makes posting idempotent (a rerun with the same evidence posts nothing) and keeps
our own notes out of the evidence of the next run. Its own module so that reading a ticket
needs none of the write path."""

from __future__ import annotations

import hashlib
import json
import re

from investigate.models import SCHEMA_VERSION, Comment, Report, Ticket

MARKER = re.compile(r"investigate-note:v(\d+):([0-9a-f]{16})")


def evidence_hash(report: Report) -> str:
    """A fingerprint of the evidence (not of scores, counts or times that drift)."""
    items = [
        [e.id, e.source, e.kind, e.title, e.url, e.timestamp.isoformat() if e.timestamp else None]
        for e in report.evidence
    ]
    data = json.dumps(items, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def marker_for(report: Report) -> str:
    return f"investigate-note:v{SCHEMA_VERSION}:{evidence_hash(report)}"


def is_our_note(text: str) -> bool:
    return MARKER.search(text) is not None


def last_marker(comments: list[Comment]) -> str | None:
    """The marker of the newest note we posted (comments in order), if any."""
    for comment in reversed(comments):
        found = MARKER.findall(comment.body)
        if found:
            version, digest = found[-1]
            return f"investigate-note:v{version}:{digest}"
    return None


def without_our_notes(ticket: Ticket) -> Ticket:
    """The ticket minus the notes investigate posted: they are not evidence about the ticket."""
    kept = [c for c in ticket.comments if not is_our_note(c.body)]
    return (
        ticket
        if len(kept) == len(ticket.comments)
        else ticket.model_copy(update={"comments": kept})
    )
