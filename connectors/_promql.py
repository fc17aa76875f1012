"""PromQL templates for the `prometheus` connector: placeholders such as `{region}` may stand
only inside the quoted value of a label matcher (`label="{x}"`, `label=~"{x}"`), and each value
is escaped for that string literal (regex-quoted first after `=~` / `!~`), so it is always one
literal label value: it can never close the string, add a matcher or a pipeline stage."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from investigate.sdk.alerts import regex_quote

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPERATOR = re.compile(r"(=~|!~|!=|=)\s*$")


def escape_string(value: str, quote_char: str = '"') -> str:
    """The inside of a PromQL string literal that reads back as exactly `value`."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote_char:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Slot:
    """A placeholder inside a quoted label-matcher value."""

    name: str
    regex: bool
    quote: str


Segment = str | Slot


def parse_template(promql: str) -> list[Segment]:
    """Split a PromQL template into literal text and placeholders; refuse misplaced ones."""
    segments: list[Segment] = []
    i, start, depth = 0, 0, 0
    while i < len(promql):
        ch = promql[i]
        if ch in "\"'`":
            end = _string_end(promql, i)
            inner = promql[i + 1 : end]
            if _PLACEHOLDER.search(inner):
                op = _OPERATOR.search(promql[start:i])
                if ch == "`" or op is None or depth <= 0:
                    raise ValueError(
                        "placeholders may appear only inside a double- or single-quoted label "
                        'matcher value, e.g. region="{region}"'
                    )
                segments.append(promql[start : i + 1])
                regex = op.group(1) in ("=~", "!~")
                pos = 0
                for match in _PLACEHOLDER.finditer(inner):
                    segments.append(inner[pos : match.start()])
                    segments.append(Slot(match.group(1), regex, ch))
                    pos = match.end()
                segments.append(inner[pos:] + ch)
                start = end + 1
            i = end + 1
            continue
        if ch == "#":  # a comment runs to the end of the line
            newline = promql.find("\n", i)
            i = len(promql) if newline < 0 else newline
            continue
        if ch == "{":
            depth += 1
            if bare := _PLACEHOLDER.match(promql, i):
                raise ValueError(
                    f"placeholder {bare.group(0)} must be inside a quoted label matcher value, "
                    'e.g. region="{region}"'
                )
        elif ch == "}":
            depth -= 1
        i += 1
    segments.append(promql[start:])
    return [s for s in segments if s != ""]


def _string_end(text: str, open_at: int) -> int:
    quote_char = text[open_at]
    i = open_at + 1
    while i < len(text):
        if text[i] == "\\" and quote_char != "`":
            i += 2
            continue
        if text[i] == quote_char:
            return i
        if text[i] == "\n" and quote_char != "`":
            break
        i += 1
    raise ValueError("unterminated string in the PromQL")


def render(segments: Sequence[Segment], binding: Mapping[str, str]) -> str:
    """The PromQL with every placeholder replaced by its escaped value."""
    out = []
    for segment in segments:
        if isinstance(segment, Slot):
            value = binding[segment.name]
            if segment.regex:
                value = regex_quote(value)
            out.append(escape_string(value, segment.quote))
        else:
            out.append(segment)
    return "".join(out)


def slots(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.name for s in segments if isinstance(s, Slot)))
