"""Renderers: rich (terminal), Markdown (pipes, tickets, chat) and JSON (scripts).

Every string that came from a ticket or a system is untrusted: `safe()` strips control
characters (ANSI escapes, RTL overrides, NULs) and rich renders it as plain `Text`, never markup.
"""

from __future__ import annotations

from datetime import datetime

from investigate.termsafe import strip


def safe(text: str | None, limit: int | None = None) -> str:
    value = strip(text)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"
