"""The OpenAI-compatible analyst: any `/v1/chat/completions` endpoint (Ollama, vLLM, llama.cpp
server, LM Studio, hosted gateways) over our HTTP client, asking for JSON that follows the
report schema (`response_format: json_schema`); a tool call in the answer is accepted too."""

from __future__ import annotations

import json
from typing import Any

import httpx2

from investigate.analysts.checking import InvalidOutput
from investigate.analysts.llm import LLMError, redirect_refused
from investigate.analysts.prompt import TOOL_NAME, Prompt, analysis_schema
from investigate.models import Usage
from investigate.sdk.transport import HttpOptions, ReadOnlyPost, describe, make_client


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None,
        max_tokens: int,
        timeout: float,
        max_retries: int,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.base_url = base_url.rstrip("/")
        self.tries = max_retries + 1
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = make_client(
            HttpOptions(
                base_url=self.base_url,
                timeout=timeout,
                headers=headers,
                read_only_posts=[ReadOnlyPost("*/chat/completions")],
                max_attempts=self.tries,
            ),
            transport=transport,
        )
        self.messages: list[dict[str, Any]] = []

    async def ask(self, prompt: Prompt, usage: Usage) -> Any:
        self.messages = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        return await self._call(usage)

    async def repair(self, error: str, usage: Usage) -> Any:
        self.messages.append(
            {
                "role": "user",
                "content": f"Your report is invalid. Answer again with only the corrected JSON object.\n{error[:4000]}",
            }
        )
        return await self._call(usage)

    async def _call(self, usage: Usage) -> Any:
        body = {
            "model": self.model,
            "messages": self.messages,
            "max_tokens": self.max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": TOOL_NAME, "schema": analysis_schema()},
            },
        }
        try:
            response = await self.client.post("/chat/completions", json=body)
        except httpx2.TimeoutException:
            raise LLMError(
                f"openai-compatible endpoint timed out after {self.tries} tries"
            ) from None
        except httpx2.HTTPError as exc:
            raise LLMError(f"openai-compatible endpoint unreachable: {describe(exc)}") from None
        if response.status_code in (401, 403):
            raise LLMError(
                f"openai-compatible endpoint {response.status_code}: the key was rejected (llm.api_key)"
            )
        if response.is_redirect:
            raise LLMError(redirect_refused("openai-compatible endpoint", response.status_code))
        if not response.is_success:
            raise LLMError(
                f"openai-compatible endpoint answered HTTP {response.status_code} after {self.tries} tries"
            )
        try:
            data = response.json()
            message = data["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError("openai-compatible endpoint returned a malformed response") from None
        self._count(data, usage)
        self.messages.append({"role": "assistant", "content": message.get("content") or ""})
        return _output(message)

    @staticmethod
    def _count(data: dict[str, Any], usage: Usage) -> None:
        u = data.get("usage") or {}
        usage.llm_calls += 1
        usage.input_tokens += int(u.get("prompt_tokens") or 0)
        usage.output_tokens += int(u.get("completion_tokens") or 0)
        details = u.get("prompt_tokens_details") or {}
        usage.cache_read_tokens += int(details.get("cached_tokens") or 0)

    async def aclose(self) -> None:
        await self.client.aclose()


def _output(message: dict[str, Any]) -> Any:
    """The JSON object in the answer: the content, or the arguments of a tool call."""
    calls = message.get("tool_calls") or []
    text = calls[0].get("function", {}).get("arguments") if calls else message.get("content")
    if not isinstance(text, str) or not text.strip():
        raise InvalidOutput("the answer was empty; return the report as one JSON object")
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidOutput(f"the answer is not valid JSON ({exc})") from None
