"""Analysts turn ranked evidence into an `Analysis` (product.md §3).

`offline` is deterministic and always available; LLM analysts (a later issue) plug in here and
fall back to it when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from investigate.errors import UsageError
from investigate.models import Analysis, Entities, Evidence, SourceResult, Ticket, Usage, Window

if TYPE_CHECKING:
    from investigate.context import Context
    from investigate.pipeline import RunOptions


@dataclass
class AnalystInput:
    ticket: Ticket
    entities: Entities
    window: Window
    evidence: list[Evidence]
    sources: list[SourceResult]
    notes: list[str] = field(default_factory=list)
    omitted: int = 0


class Analyst(Protocol):
    name: str

    async def analyse(self, data: AnalystInput) -> tuple[Analysis, Usage]: ...


ANALYSTS = ("auto", "anthropic", "openai", "offline")


def choose_analyst(ctx: Context, options: RunOptions) -> Analyst:
    from investigate.analysts.offline import OfflineAnalyst

    llm = ctx.config.settings.llm
    wanted = options.analyst if options.analyst != "auto" else llm.provider
    if wanted not in ANALYSTS:
        raise UsageError(
            f"unknown analyst '{wanted}'", hint=f"choose one of: {', '.join(ANALYSTS)}"
        )
    if wanted == "offline":
        return OfflineAnalyst()
    has_key = llm.api_key is not None or bool(ctx.env.get("ANTHROPIC_API_KEY"))
    if wanted == "auto" and not has_key:
        return OfflineAnalyst()
    # The LLM analysts arrive with issue #3; until then say so instead of pretending.
    if options.analyst in ("anthropic", "openai"):
        raise UsageError(
            f"the {options.analyst} analyst is not available in this version",
            hint="use --analyst offline (the default when no LLM is configured)",
        )
    return OfflineAnalyst(gap="an LLM is configured, but this version only has the offline analyst")
