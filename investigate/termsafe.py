"""Every printed byte terminal-safe, at one chokepoint.

Untrusted text (tickets, connector answers, an LLM server's error body, IDs from `--query`)
must never drive the terminal: no OSC 2 title, no OSC 52 clipboard write, no screen clear, no
bidi override that reorders what the reader sees, no invisible Unicode tag characters.

- `strip(text)` removes escape sequences and unsafe characters from one untrusted string.
- `invisible(text)` removes only the characters a reader (or a model) cannot see.
- `escape_json(text)` turns the unsafe characters of a JSON document into `\\uXXXX` escapes.
- `guard_streams()` wraps `sys.stdout`/`sys.stderr` for a whole run: whatever is written there
  (rich consoles, `print`, `typer.echo`, warnings) keeps only the few sequences rich itself
  emits for colour and spinners; `SafeConsole` makes sure untrusted text printed through rich
  carries none of those either.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
"""Soft hyphen, Arabic letter mark, zero-width and bidi controls, line/paragraph separators,
word joiners, BOM, interlinear annotations and the Unicode tag block (U+E0000–U+E007F)."""
_C1 = "\x80-\x9f"
_UNSAFE_CHARS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_C1}{_INVISIBLE}]")
"""C0 controls except tab and newline, DEL, C1 controls and the invisible characters."""
_INVISIBLE_CHARS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_C1}{_INVISIBLE}]")
_ESCAPE = re.compile(
    r"\x1b(?:"
    r"\[[0-?]*[ -/]*[@-~]?"  # CSI (colour, cursor moves, clear screen)
    r"|[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC (title, clipboard, links), DCS, SOS, PM, APC
    r"|[ -/]*[0-~]?"  # two- and three-byte sequences (ESC c resets the terminal)
    r")"
)
_RICH_OWN = re.compile(r"\x1b\[(?:[0-9;]*m|\?25[hl]|[0-9]*[AGK])\Z")
"""What rich writes itself: colours, cursor show/hide, cursor up, column and erase-line."""
_JSON_UNSAFE = re.compile(f"[\x7f{_C1}{_INVISIBLE}]")


def strip(text: str | None) -> str:
    """Untrusted text with every escape sequence and unsafe character removed."""
    return _UNSAFE_CHARS.sub("", _ESCAPE.sub("", text or ""))


def invisible(text: str | None) -> str:
    """Text minus what no reader sees: tag characters, bidi and zero-width controls, C1 and
    C0 controls other than tab, newline and carriage return. For what is sent to a model."""
    return _INVISIBLE_CHARS.sub("", text or "")


def filter_output(text: str) -> str:
    """What may reach a stream: rich's own styling sequences, nothing else that is control."""
    kept = _ESCAPE.sub(lambda m: m.group(0) if _RICH_OWN.match(m.group(0)) else "", text)
    return _UNSAFE_CHARS.sub(lambda m: m.group(0) if m.group(0) in "\r\x1b" else "", kept)


def escape_json(text: str) -> str:
    """A JSON document with the unsafe characters escaped (`\\u202e`, `\\udb40\\udc41`): still
    the same JSON to a parser, but nothing invisible or terminal-driving in the bytes."""

    def escape(m: re.Match[str]) -> str:
        code = ord(m.group(0))
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

    return _JSON_UNSAFE.sub(escape, text)


class SafeStream:
    """A text stream that filters every write; everything else is the wrapped stream's."""

    def __init__(self, inner: IO[str]) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(filter_output(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def raw_stdout() -> IO[str]:
    """The unfiltered stdout, for `--show-prompt --raw` only."""
    out = sys.stdout
    return out.inner if isinstance(out, SafeStream) else out


@contextmanager
def guard_streams() -> Iterator[None]:
    """For the length of a run, stdout and stderr carry only terminal-safe bytes."""
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeStream(saved[0])
    sys.stderr = SafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
