"""A closed stdout (`investigate batch | head`) is the reader saying it has enough: the
command ends quietly with exit 0, and a batch keeps running (its `--output-dir`, `--record`
and summary on stderr are not lost); only the lines nobody reads are dropped."""

from __future__ import annotations

import sys
from typing import IO


class PipeWriter:
    """Writes one line at a time to `stream` until the reader goes away, then drops lines."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.closed = False

    def __call__(self, line: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except BrokenPipeError:
            from investigate.render.output import silence_stdout

            self.closed = True
            silence_stdout()


def click_saw_closed_pipe() -> bool:
    """Click turns a closed stdout into `sys.exit(1)`, wrapping both streams in its
    "pacify flush" wrapper first; undo the wrapping and say so, so that the CLI can end with 0
    like every other closed pipe. (Duck-typed: the wrapper's class is private to click.)"""
    wrapped = getattr(sys.stdout, "wrapped", None)
    if "PacifyFlushWrapper" not in type(sys.stdout).__name__ or wrapped is None:
        return False
    sys.stdout = wrapped
    sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
    return True
