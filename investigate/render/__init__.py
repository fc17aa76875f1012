"""Renderers: rich (terminal), Markdown (pipes, tickets, chat) and JSON (scripts).

Every string that came from a ticket or a system is untrusted: `safe()` strips control
characters (ANSI escapes, RTL overrides, NULs) and rich renders it as plain `Text`, never markup.
"""

from __future__ import annotations

import re
from datetime import datetime

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def safe(text: str | None, limit: int | None = None) -> str:
    value = _CONTROL.sub("", _ANSI.sub("", text or ""))
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"
