"""Where the report goes and in which format, decided before any work is done: a bad `-o`
(missing folder, not writable, unknown extension) fails before a connector or an LLM runs."""

from __future__ import annotations

import os
from pathlib import Path

from investigate.errors import UsageError

EXTENSIONS = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
"""File extension → report format for `-o FILE` when `--format` is not given."""


def resolve_format(fmt: str | None, output: Path | None, *, reply: bool = False) -> str | None:
    """The format to write (None: rich on a terminal, else Markdown); checks `output` now."""
    if reply:
        if fmt not in (None, "text"):
            raise UsageError(
                f"--reply prints the draft reply as plain text; it cannot be --format {fmt}",
                hint="drop --format, or drop --reply for the whole report",
            )
        fmt = "reply"
    if output is None:
        return fmt
    check_writable(output)
    if fmt is not None:
        return "markdown" if fmt == "rich" else fmt
    chosen = EXTENSIONS.get(output.suffix.lower())
    if chosen is None and not output.suffix and output.exists() and not output.is_file():
        chosen = "markdown"  # /dev/stdout, a FIFO: a stream, not a file with a type
    if chosen is None:
        shown = f"extension '{output.suffix}'" if output.suffix else "no extension"
        raise UsageError(
            f"-o {output}: {shown}, so the format is unknown",
            hint="name the file .json, .md or .txt, or give --format json|markdown|text",
        )
    return chosen


def check_writable(path: Path) -> None:
    """Fail now, with the reason, if `path` cannot be written later."""
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder", hint="give a file name")
    if path.exists() and not path.is_file():  # /dev/stdout, a FIFO
        if not os.access(path, os.W_OK):
            raise UsageError(f"cannot write {path}: permission denied")
        return
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise UsageError(
            f"cannot write {path}: folder {folder} does not exist",
            hint=f"create it first: mkdir -p {folder}",
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: permission denied")
