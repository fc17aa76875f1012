"""The Anthropic analyst: the official SDK (`AsyncAnthropic`), a forced `report_analysis` tool
whose input schema is the report's `Analysis` model, and a cache breakpoint on the static prefix
(tool definition + system prompt). The SDK is imported only when this analyst is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from investigate.analysts.checking import InvalidOutput
from investigate.analysts.llm import LLMError, redirect_refused
from investigate.analysts.prompt import TOOL_NAME, Prompt, tool_definition
from investigate.models import Usage

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message

DEFAULT_MODEL = "claude-sonnet-5-5"


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None,
        max_tokens: int,
        timeout: float,
        max_retries: int,
        stream: bool = False,
    ) -> None:
        from anthropic import AsyncAnthropic, DefaultAsyncHttpxClient

        self.model = model
        self.max_tokens = max_tokens
        self.stream = stream
        self.tries = max_retries + 1
        self.base_url = base_url
        self.client: AsyncAnthropic = AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            # a redirect to another origin would carry the whole prompt (and the key) there
            http_client=DefaultAsyncHttpxClient(follow_redirects=False),
        )
        self.system: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.last_tool_use: dict[str, Any] | None = None

    async def ask(self, prompt: Prompt, usage: Usage) -> Any:
        self.system = [
            {"type": "text", "text": prompt.system, "cache_control": {"type": "ephemeral"}}
        ]
        self.messages = [{"role": "user", "content": prompt.user}]
        return await self._call(usage)

    async def repair(self, error: str, usage: Usage) -> Any:
        if self.last_tool_use is None:
            self.messages.append({"role": "assistant", "content": "(no tool call)"})
            self.messages.append({"role": "user", "content": f"Call {TOOL_NAME} now. {error}"})
        else:
            self.messages.append({"role": "assistant", "content": [self.last_tool_use]})
            self.messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": self.last_tool_use["id"],
                            "is_error": True,
                            "content": f"The report is invalid; call {TOOL_NAME} again with it fixed.\n{error[:4000]}",
                        }
                    ],
                }
            )
        return await self._call(usage)

    async def _call(self, usage: Usage) -> Any:
        import anthropic

        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "tools": [tool_definition()],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": self.messages,
        }
        try:
            if self.stream:
                async with self.client.messages.stream(**kwargs) as stream:
                    message = await stream.get_final_message()
            else:
                message = await self.client.messages.create(**kwargs)
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc) from None
        except anthropic.APITimeoutError:
            raise LLMError(f"anthropic timed out after {self.tries} tries") from None
        except anthropic.APIConnectionError:
            raise LLMError(
                f"anthropic unreachable at {self.base_url or 'api.anthropic.com'}"
            ) from None
        except ValueError as exc:  # a 200 whose body is not the JSON the SDK expects
            raise LLMError(f"anthropic returned a malformed response ({str(exc)[:120]})") from None
        self._count(message, usage)
        for block in message.content:
            if block.type == "tool_use" and block.name == TOOL_NAME:
                self.last_tool_use = {
                    "type": "tool_use",
                    "id": block.id,
                    "name": block.name,
                    "input": block.input,
                }
                return block.input
        self.last_tool_use = None
        raise InvalidOutput(
            f"the model did not call {TOOL_NAME} (stop_reason {message.stop_reason})"
        )

    def _status_error(self, exc: Any) -> LLMError:
        status = exc.status_code
        kind = ""
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            kind = str((body.get("error") or {}).get("type") or "")
        if status == 200:  # an `error` event in the middle of a stream
            return LLMError(f"anthropic {kind or 'error'} during streaming")
        if 300 <= status < 400:
            return LLMError(redirect_refused("anthropic", status))
        if status == 401:
            return LLMError(
                "anthropic 401: the API key was rejected (set ANTHROPIC_API_KEY or llm.api_key)"
            )
        if status == 403:
            return LLMError(f"anthropic 403: the key lacks access to model {self.model}")
        if status == 404:
            return LLMError(f"anthropic 404: model {self.model} not found (check llm.model)")
        if status in (429, 529) or status >= 500:
            what = {429: "rate limited", 529: "overloaded"}.get(status, kind or "server error")
            return LLMError(f"anthropic {status} {what} after {self.tries} tries")
        return LLMError(f"anthropic {status} {kind}: {str(exc)[:200]}")

    @staticmethod
    def _count(message: Message, usage: Usage) -> None:
        u = message.usage
        usage.llm_calls += 1
        usage.input_tokens += u.input_tokens
        usage.output_tokens += u.output_tokens
        usage.cache_read_tokens += u.cache_read_input_tokens or 0
        usage.cache_write_tokens += u.cache_creation_input_tokens or 0

    async def aclose(self) -> None:
        await self.client.close()
