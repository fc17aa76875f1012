"""What a ticket ID may look like, wherever one comes in (the command line, the MCP server)."""

from __future__ import annotations

import re

from investigate.errors import UsageError

TICKET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,127}")


def check_ticket_id(value: str) -> str:
    """The ID as given, or a UsageError: it reaches connectors as a bound value and file names."""
    if not TICKET_ID.fullmatch(value):
        from investigate.suggest import ticket_id_hint

        raise UsageError(f"not a ticket ID: {value!r}", hint=ticket_id_hint(value))
    return value
