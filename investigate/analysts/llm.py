"""What every LLM analyst shares: one prompt, one call in the common case, one repair round for
invalid output, citations checked, and the offline analyst as the fallback when anything fails
(the report says why)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from investigate.analysts import AnalystInput
from investigate.analysts.checking import InvalidOutput, to_analysis
from investigate.analysts.offline import OfflineAnalyst
from investigate.analysts.pricing import cost
from investigate.analysts.prompt import Prompt, build_prompt
from investigate.config import Settings
from investigate.evidence.redaction import Redactor
from investigate.models import Analysis, Usage


class LLMError(Exception):
    """A call failed; `reason` is one line for `analysis.analyst` and `gaps`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def redirect_refused(who: str, status: int) -> str:
    """No LLM endpoint's redirect is followed: the prompt would go wherever it points."""
    return (
        f"{who} answered HTTP {status} (a redirect), which is not followed so the prompt goes "
        "nowhere else; set llm.base_url to the final address"
    )


class Provider(Protocol):
    name: str
    model: str

    async def ask(self, prompt: Prompt, usage: Usage) -> Any:
        """Send the prompt; return the model's structured output (a dict, ideally)."""
        ...

    async def repair(self, error: str, usage: Usage) -> Any:
        """Tell the model what was wrong with its last output; return the corrected output."""
        ...

    async def aclose(self) -> None: ...


class LLMAnalyst:
    def __init__(
        self, provider: Provider, settings: Settings, *, redact: bool, warn: Any = None
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.redact = redact and settings.redaction.enabled
        self.warn = warn
        self.name = f"{provider.name}:{provider.model}"

    def redactor(self) -> Redactor:
        return Redactor.from_settings(self.settings.redaction, enabled=self.redact)

    def prompt(self, data: AnalystInput) -> tuple[Prompt, Redactor]:
        redactor = self.redactor()
        return build_prompt(data, redactor), redactor

    async def analyse(self, data: AnalystInput) -> tuple[Analysis, Usage]:
        prompt, redactor = self.prompt(data)
        usage = Usage(estimated_input_tokens=prompt.estimated_tokens, redactions=redactor.counts())
        started = time.monotonic()
        limit = self.settings.llm.timeout.total_seconds()
        try:
            async with asyncio.timeout(limit):
                analysis = await self._ask(prompt, redactor, data, usage)
        except LLMError as exc:
            analysis = await self._fallback(data, exc.reason)
        except TimeoutError:
            analysis = await self._fallback(
                data, f"{self.provider.name} gave no answer within {limit:.0f}s"
            )
        except InvalidOutput as exc:
            analysis = await self._fallback(
                data,
                f"{self.provider.name} returned an invalid report twice ({str(exc).splitlines()[0][:160]})",
            )
        except Exception as exc:  # an odd response must never lose the investigation
            analysis = await self._fallback(
                data, f"{self.provider.name} returned an unusable response ({type(exc).__name__})"
            )
        finally:
            await self.provider.aclose()
        priced = cost(self.provider.model, usage, self.settings.llm.prices)
        usage.cost_usd = priced or 0.0
        if priced is None and usage.llm_calls:
            analysis.gaps.append(
                f"no price known for model {self.provider.model}: cost not estimated"
            )
        usage.elapsed_ms = int((time.monotonic() - started) * 1000)
        return analysis, usage

    async def _ask(
        self, prompt: Prompt, redactor: Redactor, data: AnalystInput, usage: Usage
    ) -> Analysis:
        try:
            raw = await self.provider.ask(prompt, usage)
            return to_analysis(raw, self.name, data.evidence, redactor)
        except InvalidOutput as exc:  # unparsable or off-schema: one repair round
            raw = await self.provider.repair(redactor.redact(str(exc), keep_issued=True), usage)
            return to_analysis(raw, self.name, data.evidence, redactor)

    async def _fallback(self, data: AnalystInput, reason: str) -> Analysis:
        from investigate.secrets import MASKER
        from investigate.termsafe import strip

        reason = strip(MASKER.mask(reason))  # a server's error body is untrusted text
        if self.warn is not None:
            self.warn(f"warning: {reason}; the offline analyst wrote the report")
        offline = OfflineAnalyst(
            gap=f"LLM analyst failed: {reason}", label=f"offline (fallback: {reason})"
        )
        analysis, _ = await offline.analyse(data)
        analysis.outcome = "fallback"
        return analysis
