"""The fakes are faithful: the real `anthropic` SDK and a plain httpx2 client, over loopback
sockets, see what they would see from the real APIs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import TextBlock, ToolUseBlock
from busyclock import Stopwatch
from fakes import (
    FakeAnthropic,
    FakeOpenAI,
    Recorded,
    anthropic_api,
    fake_anthropic_fixture,  # noqa: F401  (registers the `fake_anthropic` fixture)
    fake_openai_fixture,  # noqa: F401  (registers the `fake_openai` fixture)
    openai_api,
)

KEY = "sk-ant-test-key"
MODEL = "claude-test-1"
TOOL = "report_analysis"
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["summary", "confidence"],
}
SYSTEM = [
    {
        "type": "text",
        "text": "You are a support analyst. " * 40,
        "cache_control": {"type": "ephemeral"},
    }
]


def forced_tool_call(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 1024,
        "system": SYSTEM,
        "tools": [{"name": TOOL, "description": "Report the analysis.", "input_schema": SCHEMA}],
        "tool_choice": {"type": "tool", "name": TOOL},
        "messages": [{"role": "user", "content": "Ticket 4812: checkout fails."}],
    }
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
async def client(fake_anthropic: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=0
    ) as client:
        yield client


# --------------------------------------------------------------------------------------------
# Anthropic: success shapes
# --------------------------------------------------------------------------------------------


async def test_forced_tool_call_returns_the_scripted_tool_use_block(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    report = {"summary": "card declined upstream", "confidence": 0.8}
    fake_anthropic.reply_tool(TOOL, report, usage={"output_tokens": 42})

    message = await client.messages.create(**forced_tool_call())

    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == MODEL
    assert message.id.startswith("msg_")
    assert message.stop_reason == "tool_use"
    assert message.stop_sequence is None
    [block] = message.content
    assert isinstance(block, ToolUseBlock)
    assert block.name == TOOL
    assert block.input == report
    assert block.id.startswith("toolu_")
    assert message.usage.output_tokens == 42
    assert message.usage.input_tokens > 0
    assert isinstance(message.usage.cache_creation_input_tokens, int)
    assert isinstance(message.usage.cache_read_input_tokens, int)
    assert message._request_id is not None
    assert message._request_id.startswith("req_")


async def test_text_reply(fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.reply_text("All good.")
    message = await client.messages.create(
        model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content == [TextBlock(type="text", text="All good.", citations=None)]
    assert message.stop_reason == "end_turn"


async def test_second_call_with_the_same_cached_system_reads_the_cache(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    for _ in range(3):
        fake_anthropic.reply_tool(TOOL, {"summary": "x", "confidence": 1})

    first = await client.messages.create(**forced_tool_call())
    second = await client.messages.create(**forced_tool_call())
    other_system = [{**SYSTEM[0], "text": "A different prompt. " * 40}]
    third = await client.messages.create(**forced_tool_call(system=other_system))

    assert first.usage.cache_creation_input_tokens
    assert first.usage.cache_creation_input_tokens > 0
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    assert third.usage.cache_read_input_tokens == 0
    assert third.usage.cache_creation_input_tokens
    assert third.usage.cache_creation_input_tokens > 0


async def test_scripted_input_usage_is_authoritative(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    # Naming any input-side count turns the cache simulation off for that reply (the cache is
    # still written: the next call with default usage reads it).
    fake_anthropic.reply_tool(TOOL, {}, usage={"input_tokens": 5000, "output_tokens": 600})
    fake_anthropic.reply_tool(TOOL, {}, usage={"input_tokens": 10, "cache_read_input_tokens": 7})
    fake_anthropic.reply_tool(TOOL, {})
    first = await client.messages.create(**forced_tool_call())
    second = await client.messages.create(**forced_tool_call())
    third = await client.messages.create(**forced_tool_call())
    assert (first.usage.input_tokens, first.usage.output_tokens) == (5000, 600)
    assert first.usage.cache_creation_input_tokens == 0
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.input_tokens == 10
    assert second.usage.cache_read_input_tokens == 7
    assert second.usage.cache_creation_input_tokens == 0
    assert third.usage.cache_read_input_tokens
    assert third.usage.cache_read_input_tokens > 0


async def test_no_cache_control_means_no_cache_tokens(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_text("a")
    fake_anthropic.reply_text("b")
    kwargs = forced_tool_call(system="plain system prompt", tool_choice={"type": "auto"})
    for _ in range(2):
        message = await client.messages.create(**kwargs)
        assert message.usage.cache_creation_input_tokens == 0
        assert message.usage.cache_read_input_tokens == 0


async def test_stream_helper_builds_the_final_tool_use_message(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    report = {"summary": "a long enough summary to be split in many deltas", "confidence": 0.5}
    fake_anthropic.reply_tool(TOOL, report, usage={"output_tokens": 17})

    async with client.messages.stream(**forced_tool_call()) as stream:
        message = await stream.get_final_message()

    assert message.stop_reason == "tool_use"
    [block] = message.content
    assert isinstance(block, ToolUseBlock)
    assert block.input == report
    assert message.usage.output_tokens == 17
    assert message.usage.cache_creation_input_tokens
    request = fake_anthropic.requests[0]
    assert request.json["stream"] is True
    assert request.headers["x-stainless-helper-method"] == "stream"


async def test_raw_stream_has_the_real_event_sequence(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_tool(TOOL, {"summary": "s" * 40, "confidence": 1}, text="Let me report.")

    stream = await client.messages.create(**forced_tool_call(), stream=True)
    events = [event async for event in stream]

    kinds = [event.type for event in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == 2
    assert kinds.count("content_block_stop") == 2
    deltas = [e.delta for e in events if e.type == "content_block_delta"]
    assert {d.type for d in deltas} == {"text_delta", "input_json_delta"}
    partial = "".join(d.partial_json for d in deltas if d.type == "input_json_delta")
    assert json.loads(partial) == {"summary": "s" * 40, "confidence": 1}
    assert sum(d.type == "input_json_delta" for d in deltas) > 2  # really chunked
    start = events[0]
    assert start.type == "message_start"
    assert start.message.stop_reason is None
    assert start.message.content == []
    assert fake_anthropic.requests[0].stream


async def test_stream_text(fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    text = "The checkout failures started after the 14:02 deploy of payments-api."
    fake_anthropic.reply_text(text)
    async with client.messages.stream(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "why?"}]
    ) as stream:
        pieces = [piece async for piece in stream.text_stream]
    assert len(pieces) > 1
    assert "".join(pieces) == text
    assert (await stream.get_final_text()) == text


async def test_tool_result_round_trip_is_accepted(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_tool(TOOL, {"summary": "", "confidence": 2})
    fake_anthropic.reply_tool(TOOL, {"summary": "fixed", "confidence": 0.9})
    kwargs = forced_tool_call()
    first = await client.messages.create(**kwargs)
    block = first.content[0]
    assert isinstance(block, ToolUseBlock)
    messages = [
        *kwargs["messages"],
        {"role": "assistant", "content": [block.model_dump(exclude_none=True)]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": block.id,
                    "is_error": True,
                    "content": "confidence must be <= 1",
                }
            ],
        },
    ]
    second = await client.messages.create(**forced_tool_call(messages=messages))
    assert second.content[0].type == "tool_use"
    assert fake_anthropic.rejections == []


async def test_reply_callable_sees_the_request(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    seen: list[Recorded] = []

    def answer(request: Recorded) -> anthropic_api.Reply:
        seen.append(request)
        return anthropic_api.text_reply(f"you said {request.json['messages'][-1]['content']}")

    fake_anthropic.reply_callable(answer)
    message = await client.messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "ping"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "you said ping"
    assert seen == fake_anthropic.requests


async def test_count_tokens(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    result = await client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "hello"}]
    )
    assert result.input_tokens > 0
    assert fake_anthropic.pending == 0  # count_tokens takes no scripted reply


# --------------------------------------------------------------------------------------------
# Anthropic: wire details, retries, errors
# --------------------------------------------------------------------------------------------


async def test_recorded_request_carries_bearer_auth_and_version(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_text("ok")
    await client.messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    [request] = fake_anthropic.requests
    assert request.method == "POST"
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in request.headers  # the 2.x SDK sends the api key as a Bearer token
    assert request.headers["anthropic-version"]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-stainless-retry-count"] == "0"
    assert json.loads(request.body) == request.json
    assert request.json == {
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
        "model": MODEL,
    }


async def test_429_then_success_is_retried_by_the_sdk(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(
        429, "rate_limit_error", "Number of requests exceeded", retry_after=0
    )
    fake_anthropic.reply_tool(TOOL, {"summary": "after retry", "confidence": 1})

    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=2
    ) as c:
        message = await c.messages.create(**forced_tool_call())

    assert message.content[0].type == "tool_use"
    assert message.content[0].input == {"summary": "after retry", "confidence": 1}
    assert len(fake_anthropic.requests) == 2
    assert [r.headers["x-stainless-retry-count"] for r in fake_anthropic.requests] == ["0", "1"]
    # the retry re-sends the same body with the same idempotency key
    assert fake_anthropic.requests[0].body == fake_anthropic.requests[1].body


async def test_retry_after_is_honoured(fake_anthropic: FakeAnthropic) -> None:
    # `retry-after: 0` is NOT "now": the SDK ignores values <= 0 and falls back to its
    # exponential backoff (0.5 s x jitter 0.75-1). A positive value is slept exactly, and
    # `retry-after-ms` wins over `retry-after`.
    fake_anthropic.reply_error(529, retry_after=0.7)
    fake_anthropic.reply_error(429, retry_after=30, retry_after_ms=10)
    fake_anthropic.reply_text("ok")
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=2
    ) as c:
        started = Stopwatch()
        await c.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert len(fake_anthropic.requests) == 3
    assert started.wall >= 0.7 and started.busy_free < 5, started


async def test_529_without_retries_raises_overloaded(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_error(529, "overloaded_error", "Overloaded", retry_after=1)
    with pytest.raises(anthropic.InternalServerError) as caught:
        await client.messages.create(**forced_tool_call())
    error = caught.value
    assert isinstance(error, anthropic.APIStatusError)
    assert isinstance(error, anthropic.OverloadedError)
    assert error.status_code == 529
    assert error.type == "overloaded_error"
    assert error.api_message == "Overloaded"
    assert error.request_id is not None
    assert error.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": error.request_id,
    }
    assert error.response.headers["retry-after"] == "1"
    assert len(fake_anthropic.requests) == 1


async def test_default_retries_are_two(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(3):
        fake_anthropic.reply_error(500, retry_after_ms=1)
    async with anthropic.AsyncAnthropic(base_url=fake_anthropic.url, api_key=KEY) as c:
        assert c.max_retries == 2
        with pytest.raises(anthropic.InternalServerError):
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    assert len(fake_anthropic.requests) == 3


async def test_x_should_retry_false_stops_retries(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(529, should_retry=False)
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=3
    ) as c:
        with pytest.raises(anthropic.OverloadedError):
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    assert len(fake_anthropic.requests) == 1


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (403, anthropic.PermissionDeniedError),
        (404, anthropic.NotFoundError),
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (529, anthropic.OverloadedError),
    ],
)
async def test_scripted_errors_map_to_sdk_exceptions(
    fake_anthropic: FakeAnthropic,
    client: anthropic.AsyncAnthropic,
    status: int,
    error_class: type[anthropic.APIStatusError],
) -> None:
    fake_anthropic.reply_error(status)
    with pytest.raises(error_class) as caught:
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == status


async def test_wrong_key_is_401(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.expected_key = KEY
    fake_anthropic.reply_text("never sent")
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key="sk-ant-wrong", max_retries=2
    ) as c:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"
    assert caught.value.api_message == "invalid x-api-key"
    assert len(fake_anthropic.requests) == 1  # 401 is not retried
    assert fake_anthropic.pending == 1  # a refused request takes no scripted reply
    fake_anthropic.expected_key = None
    fake_anthropic._queue.clear()


async def test_unknown_model_is_404(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.known_models = {MODEL}
    with pytest.raises(anthropic.NotFoundError) as caught:
        await client.messages.create(
            model="claude-nope", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.type == "not_found_error"


async def test_slow_reply_past_the_client_timeout(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_slow(5, anthropic_api.text_reply("too late"))
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=0, timeout=0.3
    ) as c:
        started = Stopwatch()
        with pytest.raises(anthropic.APITimeoutError):
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    assert started.busy_free < 3
    assert fake_anthropic.requests[0].headers["x-stainless-read-timeout"] == "0.3"


async def test_timeouts_are_retried_and_each_attempt_takes_a_reply(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_slow(5, anthropic_api.text_reply("too late"))
    fake_anthropic.reply_text("in time")
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=1, timeout=0.3
    ) as c:
        message = await c.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert message.content[0].type == "text"
    assert message.content[0].text == "in time"
    assert len(fake_anthropic.requests) == 2


async def test_disconnect_is_a_connection_error(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_disconnect()
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )


async def test_error_event_mid_stream(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_error(529, "overloaded_error", "Overloaded", mid_stream=True)
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(**forced_tool_call()) as stream:
            await stream.get_final_message()
    # the HTTP status was 200, so the SDK cannot pick OverloadedError
    assert caught.value.status_code == 200
    assert caught.value.type == "overloaded_error"


async def test_malformed_json_escapes_as_a_json_error(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.reply_raw(200, b'{"id": "msg_1", "type": "mess', {"request-id": "req_x"})
    with pytest.raises(json.JSONDecodeError):  # not an anthropic.APIError!
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )


async def test_running_out_of_replies_fails_loudly(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("the only one")
    async with anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key=KEY, max_retries=2
    ) as c:
        await c.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
        with pytest.raises(anthropic.InternalServerError, match="ran out of scripted replies"):
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    assert len(fake_anthropic.requests) == 2  # `x-should-retry: false`: not retried
    assert [r.index for r in fake_anthropic.overruns] == [1]
    with pytest.raises(AssertionError, match="found no scripted reply"):
        fake_anthropic.check()
    fake_anthropic.overruns.clear()  # the fixture's teardown check would fail otherwise


def test_fixture_teardown_check_reports_exceptions_in_callables() -> None:
    with FakeAnthropic() as fake:

        def broken(request: Recorded) -> anthropic_api.Reply:
            raise RuntimeError("boom")

        fake.reply_callable(broken)
        response = httpx2.post(
            f"{fake.url}/v1/messages",
            headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
            json={"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        )
        assert response.status_code == 500
        assert response.headers["x-should-retry"] == "false"
        assert "boom" in response.json()["error"]["message"]
        with pytest.raises(AssertionError, match="boom"):
            fake.check()


# --------------------------------------------------------------------------------------------
# Anthropic: request validation
# --------------------------------------------------------------------------------------------

USER = {"role": "user", "content": "hi"}
TOOL_USE = {"type": "tool_use", "id": "toolu_01abc", "name": TOOL, "input": {}}


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"tool_choice": {"type": "tool", "name": "nope"}}, "Tool 'nope' not found"),
        ({"tool_choice": {"type": "sometimes"}}, "tool_choice"),
        (
            {"tools": [{"name": TOOL, "description": "d"}], "tool_choice": {"type": "auto"}},
            "input_schema",
        ),
        (
            {
                "tools": [{"name": "bad name!", "input_schema": SCHEMA}],
                "tool_choice": {"type": "auto"},
            },
            "name",
        ),
        (
            {
                "tools": [
                    {"name": TOOL, "input_schema": SCHEMA},
                    {"name": TOOL, "input_schema": SCHEMA},
                ],
            },
            "unique",
        ),
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "first message"),
        ({"messages": [USER, USER]}, "roles must alternate"),
        ({"messages": [{"role": "system", "content": "hi"}]}, "role"),
        ({"messages": [{"role": "user", "content": ""}]}, "non-empty"),
        (
            {"messages": [USER, {"role": "assistant", "content": "ends with space "}]},
            "trailing whitespace",
        ),
        ({"max_tokens": 0}, "max_tokens"),
        ({"system": [{"type": "image", "text": "x"}]}, "system.0.type"),
        (
            {"system": [{"type": "text", "text": "x", "cache_control": {"type": "forever"}}]},
            "cache_control",
        ),
        (
            {
                "messages": [
                    USER,
                    {"role": "assistant", "content": [TOOL_USE]},
                    {"role": "user", "content": "no result"},
                ]
            },
            "without `tool_result` blocks",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}
                        ],
                    }
                ]
            },
            "unexpected `tool_use_id`",
        ),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "Thinking may not be enabled"),
    ],
)
async def test_invalid_requests_are_400(
    fake_anthropic: FakeAnthropic,
    client: anthropic.AsyncAnthropic,
    overrides: dict[str, Any],
    fragment: str,
) -> None:
    fake_anthropic.reply_text("never sent")
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(**forced_tool_call(**overrides))
    assert caught.value.type == "invalid_request_error"
    assert fragment in (caught.value.api_message or "")
    assert fake_anthropic.pending == 1  # refused before taking a reply
    assert len(fake_anthropic.rejections) == 1
    fake_anthropic._queue.clear()


def test_headers_are_required() -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": [USER]}
    with FakeAnthropic() as fake:
        no_auth = httpx2.post(
            f"{fake.url}/v1/messages", headers={"anthropic-version": "2023-06-01"}, json=body
        )
        no_version = httpx2.post(f"{fake.url}/v1/messages", headers={"x-api-key": KEY}, json=body)
        not_json = httpx2.post(
            f"{fake.url}/v1/messages",
            headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
            content=b"{nope",
        )
        unknown = httpx2.get(f"{fake.url}/v1/nothing-here")
    assert no_auth.status_code == 401
    assert no_auth.json()["error"] == {
        "type": "authentication_error",
        "message": "x-api-key header is required",
    }
    assert no_version.status_code == 400
    assert no_version.json()["error"]["message"] == "anthropic-version: header is required"
    assert not_json.status_code == 400
    assert unknown.status_code == 404
    for response in (no_auth, no_version, not_json, unknown):
        assert response.headers["content-type"] == "application/json"
        assert response.headers["request-id"] == response.json()["request_id"]
        assert response.json()["type"] == "error"
    assert fake.overruns == []


def test_unknown_keys_are_recorded_not_rejected() -> None:
    with FakeAnthropic() as fake:
        fake.reply_text("ok")
        response = httpx2.post(
            f"{fake.url}/v1/messages",
            headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
            json={
                "model": MODEL,
                "max_tokens": 5,
                "messages": [USER],
                "temperature": 0.2,
                "frobnicate": 1,
            },
        )
    assert response.status_code == 200
    assert fake.requests[0].json["temperature"] == 0.2


# --------------------------------------------------------------------------------------------
# OpenAI, through a plain httpx2 client
# --------------------------------------------------------------------------------------------

REPORT_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "report",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["summary", "tags"],
            "additionalProperties": False,
        },
    },
}
FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": TOOL, "description": "Report.", "parameters": SCHEMA},
}


def chat(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are a support analyst."},
            {"role": "user", "content": "Ticket 4812."},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def openai_client(fake_openai: FakeOpenAI) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        base_url=fake_openai.url + "/v1", headers={"authorization": "Bearer sk-test"}
    ) as client:
        yield client


async def test_openai_json_schema_content_reply(
    fake_openai: FakeOpenAI, openai_client: httpx2.AsyncClient
) -> None:
    report = {"summary": "declines", "tags": ["payments"]}
    fake_openai.reply_json_content(report)

    response = await openai_client.post(
        "/chat/completions", json=chat(response_format=REPORT_FORMAT)
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == "gpt-test"
    assert isinstance(data["created"], int)
    [choice] = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert json.loads(choice["message"]["content"]) == report
    assert "tool_calls" not in choice["message"]
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert fake_openai.requests[0].json["response_format"] == REPORT_FORMAT
    assert fake_openai.requests[0].path == "/v1/chat/completions"


async def test_openai_tool_call_reply(
    fake_openai: FakeOpenAI, openai_client: httpx2.AsyncClient
) -> None:
    fake_openai.reply_tool_call(
        TOOL, {"summary": "x", "confidence": 0.3}, usage={"prompt_tokens": 100}
    )
    response = await openai_client.post(
        "/chat/completions",
        json=chat(
            tools=[FUNCTION_TOOL], tool_choice={"type": "function", "function": {"name": TOOL}}
        ),
    )
    [choice] = response.json()["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == TOOL
    assert isinstance(call["function"]["arguments"], str)
    assert json.loads(call["function"]["arguments"]) == {"summary": "x", "confidence": 0.3}
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] == 100
    assert usage["total_tokens"] == 100 + usage["completion_tokens"]

    # the tool result round trip is accepted
    fake_openai.reply_text("done")
    follow_up = chat(
        tools=[FUNCTION_TOOL],
        messages=[
            *chat()["messages"],
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "ok"},
        ],
    )
    response = await openai_client.post("/chat/completions", json=follow_up)
    assert response.status_code == 200, response.text


async def test_openai_path_without_v1(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("hello")
    async with httpx2.AsyncClient(base_url=fake_openai.url) as client:
        response = await client.post("/chat/completions", json=chat())
    assert response.json()["choices"][0]["message"]["content"] == "hello"


async def test_openai_429_with_retry_after(
    fake_openai: FakeOpenAI, openai_client: httpx2.AsyncClient
) -> None:
    fake_openai.reply_error(429, "Rate limit reached for gpt-test", retry_after=2)
    response = await openai_client.post("/chat/completions", json=chat())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json() == {
        "error": {
            "message": "Rate limit reached for gpt-test",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }


async def test_openai_401_envelope(fake_openai: FakeOpenAI) -> None:
    fake_openai.expected_key = "sk-right-key-1234"
    async with httpx2.AsyncClient(base_url=fake_openai.url + "/v1") as client:
        missing = await client.post("/chat/completions", json=chat())
        wrong = await client.post(
            "/chat/completions", json=chat(), headers={"authorization": "Bearer sk-wrong-key-9876"}
        )
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert "didn't provide an API key" in missing.json()["error"]["message"]
    assert wrong.status_code == 401
    error = wrong.json()["error"]
    assert error["code"] == "invalid_api_key"
    assert error["type"] == "invalid_request_error"
    assert "9876" in error["message"]
    assert "sk-wrong-key-9876" not in error["message"]  # masked, like the real API
    assert set(error) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"model": ""}, "model"),
        ({"messages": []}, "too short"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "Supported values"),
        (
            {"messages": [{"role": "tool", "tool_call_id": "call_1", "content": "x"}]},
            "preceeding message",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "x"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": TOOL, "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "user", "content": "no tool message"},
                ],
                "tools": [FUNCTION_TOOL],
            },
            "must be followed by tool messages",
        ),
        ({"response_format": {"type": "json_object"}}, "must contain the word 'json'"),
        ({"response_format": {"type": "yaml"}}, "Supported values"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "r",
                        "strict": True,
                        "schema": {"type": "object", "properties": {}},
                    },
                }
            },
            "additionalProperties",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "r",
                        "strict": True,
                        "schema": {
                            "type": "object",
                            "properties": {"a": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    },
                }
            },
            "Missing 'a'",
        ),
        ({"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}, "name"),
        ({"tool_choice": "required"}, "only allowed when 'tools' are specified"),
        (
            {
                "tools": [FUNCTION_TOOL],
                "tool_choice": {"type": "function", "function": {"name": "nope"}},
            },
            "nope",
        ),
        ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "pattern"),
        ({"stream": True}, "stream"),
    ],
)
async def test_openai_invalid_requests_are_400(
    fake_openai: FakeOpenAI,
    openai_client: httpx2.AsyncClient,
    overrides: dict[str, Any],
    fragment: str,
) -> None:
    response = await openai_client.post("/chat/completions", json=chat(**overrides))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]


async def test_openai_json_object_with_the_word_json(
    fake_openai: FakeOpenAI, openai_client: httpx2.AsyncClient
) -> None:
    fake_openai.reply_json_content({"ok": True})
    messages = [{"role": "user", "content": "Answer in JSON."}]
    response = await openai_client.post(
        "/chat/completions", json=chat(messages=messages, response_format={"type": "json_object"})
    )
    assert json.loads(response.json()["choices"][0]["message"]["content"]) == {"ok": True}


async def test_openai_slow_reply_times_out(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_slow(5, openai_api.text_reply("too late"))
    async with httpx2.AsyncClient(base_url=fake_openai.url + "/v1", timeout=0.3) as client:
        with pytest.raises(httpx2.ReadTimeout):
            await client.post("/chat/completions", json=chat())


async def test_openai_raw_and_overrun(
    fake_openai: FakeOpenAI, openai_client: httpx2.AsyncClient
) -> None:
    fake_openai.reply_raw(200, "not json at all", {"content-type": "text/plain"})
    raw = await openai_client.post("/chat/completions", json=chat())
    assert raw.text == "not json at all"
    assert raw.headers["content-type"] == "text/plain"

    overrun = await openai_client.post("/chat/completions", json=chat())
    assert overrun.status_code == 500
    assert overrun.headers["x-should-retry"] == "false"
    assert "ran out of scripted replies" in overrun.json()["error"]["message"]
    assert len(fake_openai.overruns) == 1
    fake_openai.overruns.clear()
