"""A closed stdout (`investigate batch | head`) is the reader saying it has enough: the
command ends quietly with exit 0, and a batch keeps running (its `--output-dir`, `--record`
and summary on stderr are not lost); only the lines nobody reads are dropped."""

from __future__ import annotations

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
