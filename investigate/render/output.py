"""Choosing the format and writing the report where it belongs (stdout or a file, atomically)."""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from investigate.context import Context
from investigate.errors import UsageError
from investigate.models import Report
from investigate.render import safe
from investigate.render.markdown import render_markdown
from investigate.render.plain import render_reply, render_text
from investigate.render.target import resolve_format
from investigate.secrets import MASKER
from investigate.termsafe import escape_json, raw_stdout


def to_text(report: Report, fmt: str, verbose: bool = False) -> str:
    report = MASKER.scrub(report)  # a configured secret quoted by a source is never written
    if fmt == "json":
        return escape_json(report.model_dump_json(indent=2)) + "\n"
    if fmt == "text":
        return render_text(report, verbose)
    if fmt == "reply":
        return render_reply(report)
    return render_markdown(report, verbose)


def emit(ctx: Context, report: Report, fmt: str | None, output: Path | None, verbose: bool) -> None:
    report = MASKER.scrub(report)  # a configured secret quoted by a source is never printed
    if output is not None:
        chosen = resolve_format(fmt, output) or "markdown"  # checked before the run too
        write_atomic(output, to_text(report, "markdown" if chosen == "rich" else chosen, verbose))
        ctx.err.print(f"report written to {output}", markup=False, highlight=False)
        return
    chosen = fmt or ("rich" if ctx.out.is_terminal else "markdown")
    try:
        if chosen == "rich":
            from investigate.render.terminal import render_terminal  # rich: terminal output only

            render_terminal(report, ctx.out, verbose)
        else:
            ctx.stdout.write(to_text(report, chosen, verbose))
            ctx.stdout.flush()
    except BrokenPipeError:  # `investigate ticket 4812 | head`: the reader had enough
        silence_stdout()


def write_prompt(text: str, *, raw: bool) -> None:
    """`--show-prompt`: what is sent, minus sequences that would drive the terminal (which
    `--raw` keeps, bypassing the stdout guard)."""
    if raw:
        stream = raw_stdout()
        stream.write(text + "\n")
        stream.flush()
    else:
        sys.stdout.write(safe(text) + "\n")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


_STREAMS = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/self/fd/\d+")


def _stream_link(path: Path) -> bool:
    """A link we write through: /dev/stdout and friends, or one to a terminal, another
    character device or a pipe. Never one to a regular file or a folder."""
    if _STREAMS.fullmatch(str(path)):
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written report."""
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_symlink() and not _stream_link(path):
        raise UsageError(
            f"refusing to write {path}: it is a symbolic link to {os.path.realpath(path)}",
            hint="give the real path, or remove the link",
        )
    if path.exists() and (path.is_symlink() or not path.is_file()):  # /dev/stdout, a FIFO
        try:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
