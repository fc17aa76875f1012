"""The terminal-safety chokepoint: what rich writes for colour and spinners passes, nothing
that came from outside drives the terminal."""

from __future__ import annotations

import io
import json
import sys

from rich.text import Text

from investigate.safeconsole import SafeConsole
from investigate.termsafe import (
    escape_json,
    filter_output,
    guard_streams,
    invisible,
    raw_stdout,
    strip,
)

ATTACKS = [
    "\x1b]2;title\x07",
    "\x1b]52;c;ZWNobw==\x1b\\",
    "\x1b[2J",
    "\x1b[H",
    "\x1bc",
    "\x1bP1$r\x1b\\",
    "\x9b2J",
    "\x9d0;t\x9c",
    "\u202e",
    "\u061c",
    "\u2028",
    "\U000e0041",
    "\u200b",
    "\x07",
    "\x08",
]


def test_strip_removes_every_attack_and_keeps_the_text() -> None:
    for attack in ATTACKS:
        cleaned = strip(f"a{attack}b")
        assert cleaned.startswith("a") and cleaned.endswith("b"), attack
        assert all(c.isprintable() for c in cleaned), (attack, cleaned)
        assert "title" not in cleaned and "ZWNobw" not in cleaned  # payloads go with them
    assert strip("naïve\tcafé\nline 2 · 5 €") == "naïve\tcafé\nline 2 · 5 €"


def test_an_unterminated_osc_cannot_swallow_the_next_line() -> None:
    assert strip("\x1b]2;half a title\nnext line") == "\nnext line"


def test_the_stream_filter_keeps_rich_styles_and_drops_the_rest() -> None:
    styled = "\x1b[1;31merror:\x1b[0m \x1b[?25l\x1b[2K\x1b[1A\r"
    assert filter_output(styled) == styled
    assert filter_output("x\x1b]2;t\x07\x1b[2J\u202ey") == "xy"


def test_a_safe_console_strips_untrusted_text_but_keeps_its_own_colours() -> None:
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="standard", width=80)
    console.print(Text("id \x1b[8mhidden\x1b]2;t\x1b\\ \u202eok", style="bold red"))
    written = out.getvalue()
    assert "\x1b[1;31m" in written  # rich's own style
    assert "\x1b[8m" not in written and "\x1b]" not in written and "\u202e" not in written
    assert "id hidden ok" in written


def test_guard_streams_filters_print_and_raw_stdout_bypasses_it() -> None:
    sink = io.StringIO()
    saved = sys.stdout
    sys.stdout = sink
    try:
        with guard_streams():
            print("a\x1b]52;c;eA==\x07b")
            raw_stdout().write("\x1b[2J")
    finally:
        sys.stdout = saved
    assert sink.getvalue() == "ab\n\x1b[2J"


def test_escape_json_keeps_the_document_and_hides_nothing() -> None:
    value = {"s": "x\u202ey\U000e0041\x85z"}
    text = escape_json(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert "\\u202e" in text and "\\udb40\\udc41" in text and "\\u0085" in text
    assert not any(ord(c) > 0x7E for c in text)


def test_invisible_keeps_what_a_model_should_read() -> None:
    assert invisible("Zoë\t€\r\n\u202eevil\U000e0041\x1b[2J") == "Zoë\t€\r\nevil[2J"
