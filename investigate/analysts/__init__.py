"""Analysts turn ranked evidence into an `Analysis` (product.md §3).

`offline` is deterministic and always available; LLM analysts (a later issue) plug in here and
fall back to it when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from investigate.config import ReplySettings
from investigate.errors import ConfigError, UsageError
from investigate.evidence.incidents import suspect
from investigate.models import (
    Analysis,
    Entities,
    Evidence,
    Incident,
    SourceResult,
    Ticket,
    Usage,
    Window,
)

if TYPE_CHECKING:
    from investigate.context import Context
    from investigate.evidence.runbooks import Runbook
    from investigate.options import RunOptions


@dataclass
class AnalystInput:
    ticket: Ticket
    entities: Entities
    window: Window
    evidence: list[Evidence]
    sources: list[SourceResult]
    notes: list[str] = field(default_factory=list)
    omitted: int = 0
    reply: ReplySettings = field(default_factory=ReplySettings)
    intent_phrases: dict[str, list[str]] = field(default_factory=dict)
    """Configured extra phrases for the ticket's intent (`investigation.intent_phrases`)."""
    runbooks: list[Runbook] = field(default_factory=list)
    """Organisation runbooks that match the evidence (trusted guidance, not untrusted data)."""
    incident: Incident = field(init=False)
    """What the evidence alone says about an incident: computed once, here, for the analyst
    and for the pipeline, which adds it to whatever the analyst concluded."""

    def __post_init__(self) -> None:
        self.incident = suspect(self.evidence, self.ticket)


class Analyst(Protocol):
    name: str

    async def analyse(self, data: AnalystInput) -> tuple[Analysis, Usage]: ...


ANALYSTS = ("auto", "anthropic", "openai", "offline")


def choose_analyst(ctx: Context, options: RunOptions) -> Analyst:
    """The analyst asked for (flag, then config), with its settings checked up front."""
    from investigate.analysts.offline import OfflineAnalyst

    llm = ctx.config.settings.llm
    wanted = options.analyst if options.analyst != "auto" else llm.provider
    if wanted not in ANALYSTS:
        raise UsageError(
            f"unknown analyst '{wanted}'", hint=f"choose one of: {', '.join(ANALYSTS)}"
        )
    key = llm.api_key.get_secret_value() if llm.api_key else None
    if wanted == "auto":
        wanted = "anthropic" if key or ctx.env.get("ANTHROPIC_API_KEY") else "offline"
    if wanted == "offline":
        return OfflineAnalyst()
    if wanted == "anthropic":
        return _anthropic(ctx, options, key or ctx.env.get("ANTHROPIC_API_KEY"))
    return _openai(ctx, options, key or ctx.env.get("OPENAI_API_KEY"))


def _warn(ctx: Context) -> Any:
    return lambda text: ctx.err.print(text, markup=False, highlight=False)


def _anthropic(ctx: Context, options: RunOptions, key: str | None) -> Analyst:
    from investigate.analysts.anthropic_analyst import DEFAULT_MODEL, AnthropicProvider
    from investigate.analysts.llm import LLMAnalyst
    from investigate.secrets import MASKER

    llm = ctx.config.settings.llm
    if not key:
        raise ConfigError(
            "the anthropic analyst needs an API key",
            hint="set ANTHROPIC_API_KEY (or llm.api_key: ${ANTHROPIC_API_KEY}), or use --analyst offline",
        )
    MASKER.add(key)
    provider = AnthropicProvider(
        model=options.model or llm.model or DEFAULT_MODEL,
        api_key=key,
        base_url=llm.base_url or ctx.env.get("ANTHROPIC_BASE_URL") or None,
        max_tokens=llm.max_tokens,
        timeout=llm.timeout.total_seconds(),
        max_retries=llm.max_retries,
        stream=llm.stream,
    )
    return LLMAnalyst(provider, ctx.config.settings, redact=options.redact, warn=_warn(ctx))


def _openai(ctx: Context, options: RunOptions, key: str | None) -> Analyst:
    from investigate.analysts.llm import LLMAnalyst
    from investigate.analysts.openai_analyst import OpenAIProvider
    from investigate.secrets import MASKER

    llm = ctx.config.settings.llm
    base_url = llm.base_url or ctx.env.get("OPENAI_BASE_URL")
    model = options.model or llm.model
    if not base_url or not model:
        raise ConfigError(
            "the openai analyst needs llm.base_url and llm.model",
            hint="e.g. base_url: http://127.0.0.1:11434/v1 and model: llama3.1 for Ollama",
        )
    if key:
        MASKER.add(key)
    provider = OpenAIProvider(
        model=model,
        base_url=base_url,
        api_key=key,
        max_tokens=llm.max_tokens,
        timeout=llm.timeout.total_seconds(),
        max_retries=llm.max_retries,
        transport=ctx.transport,
    )
    return LLMAnalyst(provider, ctx.config.settings, redact=options.redact, warn=_warn(ctx))
