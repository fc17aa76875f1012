"""What one investigation is asked to do: the options `ticket`, `batch`, `ask`, the MCP server
and the evals hand to the pipeline (its own module so the analysts can read them without
importing the pipeline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from investigate.recording import Cache


@dataclass
class RunOptions:
    ticket_id: str
    analyst: str = "auto"
    model: str | None = None
    since: str | None = None
    until: str | None = None
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    timeout: timedelta | None = None
    redact: bool = True
    record: Path | None = None
    """Save what the connectors and the analyst returned here (see `recording`)."""
    replay: Path | None = None
    """Rebuild the investigation from a recording: no connectors, no network."""
    reanalyse: bool = False
    """With `replay`: run the analyst again instead of reusing the recorded analysis."""
    cache: Cache | None = None
