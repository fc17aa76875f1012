"""What a ticket source that keeps its tickets in files declares for `--post-note`: the note is
a new Markdown file in a folder beside the tickets (see `investigate.notefile`), the one write.

A source implements `NoteFolderTarget` (one method, `note_folder()`) and names the folder from
its own `write_back:` section; the core does the rest (idempotency, rendering, the fenced
write, dry runs). No credential: the fence is the folder, the file name and O_EXCL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from investigate.config import ConfigPath, Strict


class FileWriteBack(Strict):
    """A file ticket source's `write_back:` section: off unless enabled."""

    enabled: bool = False
    folder: ConfigPath | None = None
    """Where notes go, as `<folder>/<ticket id>/<UTC time>-<evidence hash>.md`; by default
    `notes` beside the tickets (relative to the config's folder)."""
    redact_notes: bool = False
    """Apply the hosted-LLM redaction to the note (default: agents see real values)."""


@dataclass(frozen=True)
class NoteFolder:
    """What a file ticket source tells the core about its one write."""

    settings: FileWriteBack
    folder: Path
    declared: bool = True
    """The source's config has a `write_back:` section. Without one, `investigate check` shows
    no write row: a file source read for history or known issues is plainly read-only."""


@runtime_checkable
class NoteFolderTarget(Protocol):
    def note_folder(self) -> NoteFolder:
        """The folder that takes notes, from `write_back:`."""
        ...
