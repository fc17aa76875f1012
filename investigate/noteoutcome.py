"""What `--post-note` did for one ticket: the one type the note writers share (the helpdesk
request in `investigate.writeback`, the note file in `investigate.notefile`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NoteStatus = Literal["posted", "unchanged", "dry-run", "refused", "failed"]


@dataclass
class NoteOutcome:
    ticket_id: str
    status: NoteStatus
    detail: str
    request: str = ""
    """With a dry run: the exact request (secrets masked), or the file and its body."""
