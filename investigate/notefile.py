"""`--post-note` on a ticket source of files: the report as a new Markdown file, the one write.

    connectors:
      tickets:
        type: file
        path: tickets
        write_back:
          enabled: true            # default false: nothing is ever written
          folder: notes            # default: `notes` beside the tickets
          redact_notes: false      # true: PII as placeholders, as for a hosted LLM

A note is `<folder>/<ticket id>/<UTC time>-<evidence hash>.md`, rendered as the Markdown
helpdesks get (untrusted text escaped, no links but evidence URLs), ending with the marker
`investigate-note:v<schema>:<evidence hash>`.

Fences: the ticket ID must be one folder name (`investigate.ticket_ids.TICKET_ID`) and the file
name a note's; the folder and the ticket's folder are refused when they are symbolic links
(checked, then opened with O_NOFOLLOW and the note created relative to them); the file is
created with O_EXCL | O_NOFOLLOW, so an existing file or link is never opened, let alone
overwritten; folders are 0700 and the note 0600 whatever the umask. Nothing else is written: the
ticket files are only ever read.

Idempotent: the newest note file's marker is compared with this run's; the same evidence
writes nothing, changed evidence writes a new file beside the old one.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from investigate.errors import ReadOnlyViolation
from investigate.notemarker import MARKER, marker_for
from investigate.noteoutcome import NoteOutcome
from investigate.render.note import render_note
from investigate.sdk.notefolder import NoteFolder, NoteFolderTarget
from investigate.threads import in_thread
from investigate.ticket_ids import TICKET_ID

if TYPE_CHECKING:
    from investigate.context import Context
    from investigate.models import Report

NOTE_NAME = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{16}\.md")
"""What investigate names a note: the UTC time (to the microsecond) and the evidence hash."""
_WRITABLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.md")
MAX_NOTE_BYTES = 2_000_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX; write_note_file refuses without it
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC


def note_name(now: datetime, marker: str) -> str:
    """`20261124T100000123456Z-<evidence hash>.md`: sorts by time."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{marker.rsplit(':', 1)[1]}.md"


def note_path(folder: Path, ticket_id: str, name: str) -> Path:
    """Where the note goes, or a refusal for an ID or name that could leave the folder."""
    if not TICKET_ID.fullmatch(ticket_id):
        raise ReadOnlyViolation(f"refused a note for ticket ID {ticket_id!r}: not one folder name")
    if not _WRITABLE_NAME.fullmatch(name):
        raise ReadOnlyViolation(f"refused note file name {name!r}")
    return folder / ticket_id / name


def folder_problem(*paths: Path) -> str | None:
    """Why a note cannot be written into these folders (a link, not a folder), if it cannot.
    A folder that does not exist yet is fine: the write creates it."""
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cannot use {path}: {exc.strerror or exc}"
        if stat.S_ISLNK(info.st_mode):
            return f"{path} is a symbolic link: refusing to write through it"
        if not stat.S_ISDIR(info.st_mode):
            return f"{path} is not a folder"
    return None


def write_note_file(folder: Path, ticket_id: str, name: str, body: str) -> Path:
    """Create `<folder>/<ticket id>/<name>` with `body`: a new file or a refusal, never an
    overwrite, never through a link."""
    path = note_path(folder, ticket_id, name)
    if not _NOFOLLOW or os.open not in os.supports_dir_fd:
        raise ReadOnlyViolation("note files need O_NOFOLLOW and dir_fd (Linux, macOS, BSD)")
    problem = folder_problem(folder, path.parent)
    if problem:
        raise ReadOnlyViolation(problem)
    _make_private_folders(folder)
    root = _open_folder(folder, None, folder)
    try:
        with suppress(FileExistsError):
            os.mkdir(ticket_id, 0o700, dir_fd=root)
        sub = _open_folder(ticket_id, root, path.parent)
        try:
            fd = os.open(name, _NEW_FILE, 0o600, dir_fd=sub)
        except FileExistsError:
            raise ReadOnlyViolation(f"{path} exists: a note file is never overwritten") from None
        finally:
            os.close(sub)
    finally:
        os.close(root)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write(body)
    return path


def _make_private_folders(folder: Path) -> None:
    """The folder and any missing parent, each 0700 (mkdir's mode is cut by the umask only)."""
    missing = []
    for level in (folder, *folder.parents):
        if os.path.lexists(level):
            break
        missing.append(level)
    for level in reversed(missing):
        with suppress(FileExistsError):
            level.mkdir(mode=0o700)
            level.chmod(0o700)


def _open_folder(name: str | Path, dir_fd: int | None, shown: Path) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise ReadOnlyViolation(
                f"{shown} is a symbolic link or not a folder: refusing to write through it"
            ) from None
        raise


def last_file_marker(folder: Path, ticket_id: str) -> str | None:
    """The marker of the newest note file for the ticket, if any."""
    where = folder / ticket_id
    try:
        names = sorted(p.name for p in where.iterdir() if NOTE_NAME.fullmatch(p.name))
    except OSError:
        return None
    for name in reversed(names):
        found = MARKER.findall(_read_note(where / name))
        if found:
            version, digest = found[-1]
            return f"investigate-note:v{version}:{digest}"
    return None


def _read_note(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_NOTE_BYTES).decode("utf-8", "replace")


def folder_permission(target: NoteFolder) -> tuple[str, str, str] | None:
    """For `investigate check`'s posture table: (mark, the one write, its state); None for a
    source without a `write_back:` section."""
    if not target.declared:
        return None
    what = f"write-back: a new Markdown file in {target.folder}/<ticket id>/"
    if not target.settings.enabled:
        return "➖", what, "write-back disabled (write_back.enabled: false)"
    problem = folder_problem(target.folder)
    if problem:
        return "❌", what, f"enabled but not ready: {problem}"
    return "✍️", what, "enabled: creates new files only (0600), never edits or overwrites one"


async def post_file_note(
    ctx: Context, name: str, source: NoteFolderTarget, report: Report, *, dry_run: bool
) -> NoteOutcome:
    """Write the report as a new note file (or, with `dry_run`, show the path and the body)."""

    tid = report.ticket.id
    target = source.note_folder()
    where = f"connectors.{name}.write_back"
    if not dry_run and not target.settings.enabled:
        return NoteOutcome(
            tid, "refused", f"write-back is disabled for '{name}' (set {where}.enabled: true)"
        )
    marker = marker_for(report)
    try:
        path = note_path(target.folder, tid, note_name(ctx.clock(), marker))
    except ReadOnlyViolation as exc:
        return NoteOutcome(tid, "refused", exc.message)
    problem = folder_problem(target.folder, path.parent)
    if problem and not dry_run:
        return NoteOutcome(tid, "refused", f"{where}: {problem}")
    if not problem and await in_thread(last_file_marker, target.folder, tid) == marker:
        return NoteOutcome(
            tid, "unchanged", f"the last note for {tid} has the same evidence: nothing to post"
        )
    body = _body(ctx, report, marker, target.settings.redact_notes)
    if dry_run:
        why = "write-back is disabled" if not target.settings.enabled else problem
        state = f" ({why}: a real run would refuse)" if why else ""
        return NoteOutcome(
            tid,
            "dry-run",
            f"would write this new file for ticket source '{name}'{state}; nothing was written",
            f"CREATE {path} (a new file, 0600; never overwritten)\n\n{body}",
        )
    try:
        await in_thread(write_note_file, target.folder, tid, path.name, body)
    except ReadOnlyViolation as exc:
        return NoteOutcome(tid, "refused", f"{where}: {exc.message}")
    except OSError as exc:
        return NoteOutcome(tid, "failed", f"cannot write {path}: {exc.strerror or exc}")
    return NoteOutcome(tid, "posted", f"wrote an internal note for ticket {tid} to {path}")


def _body(ctx: Context, report: Report, marker: str, redact: bool) -> str:
    redactor = None
    if redact:
        from investigate.evidence.redaction import Redactor

        redactor = Redactor(ctx.config.settings.redaction.sensitive, enabled=True)
    return render_note(report, "markdown", marker, redactor).rstrip("\n") + "\n"
