"""A local fake of the Anthropic Messages API that speaks the real wire format.

It is a stdlib `ThreadingHTTPServer` on 127.0.0.1 (port 0) in a daemon thread, so the real
`anthropic.AsyncAnthropic(base_url=fake.url, api_key=..., max_retries=...)` talks to it over a
socket exactly as it talks to api.anthropic.com: same headers, same JSON, same SSE events, same
error envelopes, same retry headers.

    with FakeAnthropic() as fake:
        fake.reply_tool("report_analysis", {"summary": "..."})
        client = AsyncAnthropic(base_url=fake.url, api_key="sk-test", max_retries=0)
        ...
        assert fake.requests[0].json["tool_choice"] == {"type": "tool", "name": "report_analysis"}

Replies are a FIFO queue; every POST /v1/messages takes one (each SDK retry is a new request and
takes another). An empty queue answers 500 `api_error` with `x-should-retry: false` (so the SDK
does not retry it) and the request is kept in `fake.overruns`; `fake.check()` (called by the
pytest fixture at teardown) fails on overruns and on exceptions raised inside the fake.

Every request is validated the way the real API validates it (headers, auth, body shape, role
alternation, tool_use/tool_result pairing, tool_choice, cache_control) and rejected with the real
400/401/404 envelope, so a malformed request fails in tests as it would in production.

The protocol-neutral machinery (`ScriptedServer`, `Recorded`, `Response`, `Reply` and the
raw/slow/disconnect/callable replies) lives in `fakes.server`; it is re-exported here, so the
old imports (`from fakes.anthropic_api import ScriptedServer`) keep working.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .server import (  # the protocol-neutral machinery, re-exported under its old names
    CallableReply,
    DisconnectReply,
    RawReply,
    Recorded,
    Reply,
    Response,
    ScriptedServer,
    SlowReply,
    callable_reply,
    disconnect_reply,
    raw_reply,
    slow_reply,
)

__all__ = [
    "CallableReply",
    "DisconnectReply",
    "FakeAnthropic",
    "RawReply",
    "Recorded",
    "Reply",
    "Response",
    "ScriptedServer",
    "SlowReply",
    "callable_reply",
    "disconnect_reply",
    "error_reply",
    "message_reply",
    "raw_reply",
    "slow_reply",
    "text_reply",
    "tool_reply",
]


_ALPHABET = string.ascii_letters + string.digits


_INPUT_SIDE = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def make_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def estimate_tokens(text: str | bytes) -> int:
    """The fakes' token count: about four characters a token, never below 1."""
    return max(1, len(text) // 4)


# --------------------------------------------------------------------------------------------
# Anthropic replies
# --------------------------------------------------------------------------------------------

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass
class MessageReply(Reply):
    content: list[dict[str, Any]]
    stop_reason: str | None = "end_turn"
    usage: dict[str, Any] | None = None
    stop_sequence: str | None = None
    model: str | None = None  # None echoes the requested model
    chunk_size: int = 16  # characters per text_delta / input_json_delta when streaming

    def render(self, fake: Any, request: Recorded) -> Response:
        response: Response = fake._message_response(request, self)
        return response


@dataclass
class ErrorReply(Reply):
    status: int
    error_type: str
    message: str
    retry_after: float | None = None
    retry_after_ms: float | None = None
    should_retry: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)
    mid_stream: bool = False  # for stream requests: 200, message_start, then `event: error`

    def render(self, fake: Any, request: Recorded) -> Response:
        response: Response = fake._error_response(request, self)
        return response


def message_reply(
    content: list[dict[str, Any]],
    *,
    stop_reason: str | None = "end_turn",
    usage: dict[str, Any] | None = None,
    stop_sequence: str | None = None,
    model: str | None = None,
) -> MessageReply:
    """A Message with these content blocks; tool_use blocks without an id get a `toolu_` id."""
    blocks = []
    for block in content:
        block = dict(block)
        if block.get("type") == "tool_use":
            block.setdefault("id", make_id("toolu_01"))
        blocks.append(block)
    return MessageReply(blocks, stop_reason, usage, stop_sequence, model)


def tool_reply(
    name: str,
    input: dict[str, Any],
    *,
    usage: dict[str, Any] | None = None,
    stop_reason: str = "tool_use",
    id: str | None = None,
    text: str | None = None,
) -> MessageReply:
    """The model calls `name` with `input` (optionally after a text block)."""
    block = {"type": "tool_use", "id": id or make_id("toolu_01"), "name": name, "input": input}
    content = ([{"type": "text", "text": text}] if text else []) + [block]
    return message_reply(content, stop_reason=stop_reason, usage=usage)


def text_reply(
    text: str, *, usage: dict[str, Any] | None = None, stop_reason: str = "end_turn"
) -> MessageReply:
    return message_reply([{"type": "text", "text": text}], stop_reason=stop_reason, usage=usage)


def error_reply(
    status: int,
    error_type: str | None = None,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
    should_retry: bool | None = None,
    headers: dict[str, str] | None = None,
    mid_stream: bool = False,
) -> ErrorReply:
    """The real error envelope. `retry_after` → `retry-after` (seconds), `retry_after_ms` →
    `retry-after-ms`, `should_retry` → `x-should-retry: true|false`."""
    error_type = error_type or _ERROR_TYPES.get(status, "api_error")
    return ErrorReply(
        status,
        error_type,
        message if message is not None else error_type.replace("_", " "),
        retry_after,
        retry_after_ms,
        should_retry,
        dict(headers or {}),
        mid_stream,
    )


# --------------------------------------------------------------------------------------------
# Anthropic request validation
# --------------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str, status: int = 400, error_type: str = "invalid_request_error"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type


_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_BLOCK_TYPES = {
    "text",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
}
_ASSISTANT_ONLY = {"tool_use", "thinking", "redacted_thinking", "server_tool_use"}
_USER_ONLY = {"tool_result", "image", "document"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_cache_control(where: str, block: dict[str, Any], count: list[int]) -> None:
    if "cache_control" not in block or block["cache_control"] is None:
        return
    cc = block["cache_control"]
    if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
        raise _Invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
    if "ttl" in cc and cc["ttl"] not in ("5m", "1h"):
        raise _Invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    count[0] += 1


def _check_text_block(where: str, block: dict[str, Any]) -> None:
    if not isinstance(block.get("text"), str):
        raise _Invalid(f"{where}.text: Field required")
    if not block["text"]:
        raise _Invalid(f"{where}: text content blocks must be non-empty")


def validate_messages_request(
    body: Any, *, count_tokens: bool = False, strict_alternation: bool = True
) -> None:
    """Raise `_Invalid` with the real API's wording for a request it would reject."""
    if not isinstance(body, dict):
        raise _Invalid("There was an issue with your request body: expected a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Invalid("model: Field required")
    if not count_tokens:
        if "max_tokens" not in body:
            raise _Invalid("max_tokens: Field required")
        if not _is_int(body["max_tokens"]):
            raise _Invalid("max_tokens: Input should be a valid integer")
        if body["max_tokens"] < 1:
            raise _Invalid("max_tokens: Input should be greater than or equal to 1")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise _Invalid("stream: Input should be a valid boolean")

    breakpoints = [0]
    if isinstance(body.get("cache_control"), dict):
        _check_cache_control("request", body, [0])

    # system ------------------------------------------------------------------------------
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        if not isinstance(system, list):
            raise _Invalid("system: Input should be a valid string or a list of text blocks")
        for i, block in enumerate(system):
            where = f"system.{i}"
            if not isinstance(block, dict) or block.get("type") != "text":
                raise _Invalid(f"{where}.type: Input should be 'text'")
            _check_text_block(where, block)
            _check_cache_control(where, block, breakpoints)

    # tools -------------------------------------------------------------------------------
    tools = body.get("tools")
    names: set[str] = set()
    if tools is not None:
        if not isinstance(tools, list):
            raise _Invalid("tools: Input should be a valid list")
        for i, tool in enumerate(tools):
            where = f"tools.{i}"
            if not isinstance(tool, dict):
                raise _Invalid(f"{where}: Input should be a valid dictionary")
            name = tool.get("name")
            if not isinstance(name, str) or not _TOOL_NAME.match(name):
                raise _Invalid(
                    f"{where}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
                )
            if name in names:
                raise _Invalid("tools: Tool names must be unique.")
            names.add(name)
            _check_cache_control(where, tool, breakpoints)
            if tool.get("type") not in (None, "custom"):
                continue  # a server tool (web_search_20250305, ...): nothing more to check
            if "description" in tool and not isinstance(tool["description"], str):
                raise _Invalid(f"{where}.custom.description: Input should be a valid string")
            schema = tool.get("input_schema")
            if not isinstance(schema, dict):
                raise _Invalid(f"{where}.custom.input_schema: Field required")
            if schema.get("type") != "object":
                raise _Invalid(f"{where}.custom.input_schema.type: Input should be 'object'")
            _check_json_schema(f"{where}.custom.input_schema", schema)

    # tool_choice -------------------------------------------------------------------------
    choice = body.get("tool_choice")
    if choice is not None:
        if not isinstance(choice, dict) or choice.get("type") not in (
            "auto",
            "any",
            "tool",
            "none",
        ):
            raise _Invalid(
                "tool_choice: Input tag found using 'type' does not match any of the expected tags: "
                "'auto', 'any', 'tool', 'none'"
            )
        if "disable_parallel_tool_use" in choice and not isinstance(
            choice["disable_parallel_tool_use"], bool
        ):
            raise _Invalid("tool_choice.disable_parallel_tool_use: Input should be a valid boolean")
        if choice["type"] in ("any", "tool") and not names:
            raise _Invalid("tool_choice: tool_choice may only be specified while providing tools.")
        if choice["type"] == "tool":
            if not isinstance(choice.get("name"), str):
                raise _Invalid("tool_choice.tool.name: Field required")
            if choice["name"] not in names:
                raise _Invalid(f"tool_choice: Tool '{choice['name']}' not found in provided tools")
        thinking = body.get("thinking")
        if (
            choice["type"] in ("any", "tool")
            and isinstance(thinking, dict)
            and thinking.get("type") in ("enabled", "adaptive")
        ):
            raise _Invalid("Thinking may not be enabled when tool_choice forces tool use.")

    # messages ----------------------------------------------------------------------------
    messages = body.get("messages")
    if messages is None:
        raise _Invalid("messages: Field required")
    if not isinstance(messages, list):
        raise _Invalid("messages: Input should be a valid list")
    if not messages:
        raise _Invalid("messages: at least one message is required")
    previous_role = None
    pending_tool_uses: list[str] = []  # from the previous assistant turn
    for i, message in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(message, dict):
            raise _Invalid(f"{where}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _Invalid(f"{where}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user" and strict_alternation:
            raise _Invalid('messages: first message must use the "user" role')
        if role == previous_role and strict_alternation:
            raise _Invalid(
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
        if "content" not in message:
            raise _Invalid(f"{where}.content: Field required")
        content = message["content"]
        blocks: list[dict[str, Any]]
        if isinstance(content, str):
            last_assistant = role == "assistant" and i == len(messages) - 1
            if not content and not last_assistant:
                raise _Invalid(
                    f"{where}: all messages must have non-empty content except for the optional final assistant message"
                )
            blocks = [{"type": "text", "text": content}] if content else []
        elif isinstance(content, list):
            blocks = content
            if not blocks and not (role == "assistant" and i == len(messages) - 1):
                raise _Invalid(
                    f"{where}: all messages must have non-empty content except for the optional final assistant message"
                )
        else:
            raise _Invalid(
                f"{where}.content: Input should be a valid string or a list of content blocks"
            )
        if role == "assistant" and i == len(messages) - 1:
            last_text = blocks[-1].get("text") if blocks and isinstance(blocks[-1], dict) else None
            if isinstance(last_text, str) and last_text != last_text.rstrip():
                raise _Invalid("final assistant content cannot end with trailing whitespace")

        answered: list[str] = []
        tool_uses: list[str] = []
        for j, block in enumerate(blocks):
            bwhere = f"{where}.content.{j}"
            if not isinstance(block, dict):
                raise _Invalid(f"{bwhere}: Input should be a valid dictionary")
            kind = block.get("type")
            if kind not in _BLOCK_TYPES:
                raise _Invalid(
                    f"{bwhere}: Input tag '{kind}' found using 'type' does not match any of the expected tags"
                )
            if role == "user" and kind in _ASSISTANT_ONLY:
                raise _Invalid(
                    f"{bwhere}.type: '{kind}' blocks may only appear in assistant messages"
                )
            if role == "assistant" and kind in _USER_ONLY:
                raise _Invalid(f"{bwhere}.type: '{kind}' blocks may only appear in user messages")
            _check_cache_control(bwhere, block, breakpoints)
            if kind == "text":
                _check_text_block(bwhere, block)
            elif kind == "tool_use":
                tool_id = block.get("id")
                if not isinstance(tool_id, str) or not _TOOL_USE_ID.match(tool_id):
                    raise _Invalid(
                        f"{bwhere}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
                    )
                if not isinstance(block.get("name"), str):
                    raise _Invalid(f"{bwhere}.tool_use.name: Field required")
                if not isinstance(block.get("input"), dict):
                    raise _Invalid(f"{bwhere}.tool_use.input: Input should be a valid dictionary")
                if tools is None:
                    raise _Invalid(
                        "Requests which include `tool_use` or `tool_result` blocks must define tools."
                    )
                tool_uses.append(tool_id)
            elif kind == "tool_result":
                tool_use_id = block.get("tool_use_id")
                if not isinstance(tool_use_id, str):
                    raise _Invalid(f"{bwhere}.tool_result.tool_use_id: Field required")
                if tools is None:
                    raise _Invalid(
                        "Requests which include `tool_use` or `tool_result` blocks must define tools."
                    )
                if tool_use_id not in pending_tool_uses:
                    raise _Invalid(
                        f"{bwhere}: unexpected `tool_use_id` found in `tool_result` blocks: {tool_use_id}. "
                        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                    )
                result = block.get("content")
                if result is not None and not isinstance(result, str | list):
                    raise _Invalid(
                        f"{bwhere}.tool_result.content: Input should be a valid string or list"
                    )
                if "is_error" in block and not isinstance(block["is_error"], bool):
                    raise _Invalid(
                        f"{bwhere}.tool_result.is_error: Input should be a valid boolean"
                    )
                answered.append(tool_use_id)
        if pending_tool_uses:
            missing = [t for t in pending_tool_uses if t not in answered]
            if missing:
                raise _Invalid(
                    f"{where}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}. Each `tool_use` block must have a corresponding "
                    "`tool_result` block in the next message."
                )
        pending_tool_uses = tool_uses if role == "assistant" else []
        previous_role = role
    if breakpoints[0] > 4:
        raise _Invalid(
            f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints[0]}."
        )


def _check_json_schema(where: str, schema: dict[str, Any]) -> None:
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - jsonschema is a test dependency
        return
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise _Invalid(
            f"{where}: JSON schema is invalid. It must match JSON Schema draft 2020-12 ({exc.message})"
        ) from None


def cache_prefixes(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(prefix JSON, ttl) for every cache breakpoint, in the API's prefix order:
    tools, then system, then messages. A top-level `cache_control` marks the last block."""
    walked: list[Any] = []
    points: list[tuple[int, str]] = []

    def visit(block: Any) -> None:
        walked.append(block)
        cc = block.get("cache_control") if isinstance(block, dict) else None
        if isinstance(cc, dict):
            points.append((len(walked), str(cc.get("ttl", "5m"))))

    for tool in body.get("tools") or []:
        visit(tool)
    system = body.get("system")
    if isinstance(system, str):
        walked.append(system)
    elif isinstance(system, list):
        for block in system:
            visit(block)
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for block in content:
                visit(block)
        else:
            walked.append(content)
    top = body.get("cache_control")
    if isinstance(top, dict) and walked:
        points.append((len(walked), str(top.get("ttl", "5m"))))
    model = body.get("model")
    return [(json.dumps([model, walked[:n]], sort_keys=True), ttl) for n, ttl in points]


# --------------------------------------------------------------------------------------------
# The Anthropic fake
# --------------------------------------------------------------------------------------------


class FakeAnthropic(ScriptedServer):
    """The Messages API on loopback. See the module docstring.

    Options (attributes, settable after construction too):
      expected_key: when set, any other key → 401 authentication_error.
      known_models: when set, any other model → 404 not_found_error.
      min_cacheable_tokens: prefixes shorter than this are not cached (the real minimum is
        1024-4096 tokens depending on the model; the fake defaults to 0).
      strict_alternation: require user-first, alternating roles (default True).

    Usage: by default input_tokens ~ request bytes / 4 and output_tokens ~ content JSON / 4,
    with the prompt cache simulated (the prefix up to each `cache_control` breakpoint, in the
    API's tools → system → messages order: seen before → cache_read_input_tokens, else
    cache_creation_input_tokens). A scripted `usage` overrides what it names; naming any
    input-side count makes the input side exactly as scripted (unnamed cache counts → 0).

    Refused requests (`fake.rejections`) take no scripted reply, as the real API refuses them
    before the model runs.
    """

    def __init__(
        self,
        *,
        expected_key: str | None = None,
        known_models: Iterable[str] | None = None,
        min_cacheable_tokens: int = 0,
        strict_alternation: bool = True,
    ) -> None:
        super().__init__(expected_key=expected_key)
        self.known_models = set(known_models) if known_models is not None else None
        self.min_cacheable_tokens = min_cacheable_tokens
        self.strict_alternation = strict_alternation
        self.rejections: list[tuple[Recorded, int, str]] = []  # requests the validator refused
        self._cache: set[str] = set()

    def start(self) -> FakeAnthropic:
        super().start()
        return self

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    # script --------------------------------------------------------------------------------

    def reply_message(
        self,
        content: list[dict[str, Any]],
        *,
        stop_reason: str | None = "end_turn",
        usage: dict[str, Any] | None = None,
    ) -> None:
        self.enqueue(message_reply(content, stop_reason=stop_reason, usage=usage))

    def reply_tool(
        self,
        name: str,
        input: dict[str, Any],
        *,
        usage: dict[str, Any] | None = None,
        stop_reason: str = "tool_use",
        id: str | None = None,
        text: str | None = None,
    ) -> None:
        self.enqueue(
            tool_reply(name, input, usage=usage, stop_reason=stop_reason, id=id, text=text)
        )

    def reply_text(
        self, text: str, *, usage: dict[str, Any] | None = None, stop_reason: str = "end_turn"
    ) -> None:
        self.enqueue(text_reply(text, usage=usage, stop_reason=stop_reason))

    def reply_error(
        self,
        status: int,
        error_type: str | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        should_retry: bool | None = None,
        headers: dict[str, str] | None = None,
        mid_stream: bool = False,
    ) -> None:
        self.enqueue(
            error_reply(
                status,
                error_type,
                message,
                retry_after=retry_after,
                retry_after_ms=retry_after_ms,
                should_retry=should_retry,
                headers=headers,
                mid_stream=mid_stream,
            )
        )

    @property
    def messages_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    # dispatch ------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        routes = {"/v1/messages": self._messages, "/v1/messages/count_tokens": self._count_tokens}
        route = routes.get(request.path.rstrip("/"))
        if route is None:
            return self._error(
                404, "not_found_error", f"Not found: {request.method} {request.path}"
            )
        if request.method != "POST":
            return self._error(405, "invalid_request_error", f"Method {request.method} not allowed")
        try:
            self._check_headers(request)
            if request.json is None:
                raise _Invalid("There was an issue with your request body: it is not valid JSON")
            validate_messages_request(
                request.json,
                count_tokens=route == self._count_tokens,
                strict_alternation=self.strict_alternation,
            )
            if self.known_models is not None and request.json["model"] not in self.known_models:
                raise _Invalid(f"model: {request.json['model']}", 404, "not_found_error")
        except _Invalid as exc:
            self.rejections.append((request, exc.status, exc.message))
            return self._error(exc.status, exc.error_type, exc.message)
        return route(request)

    def _check_headers(self, request: Recorded) -> None:
        headers = request.headers
        key = headers.get("x-api-key")
        auth = headers.get("authorization", "")
        if key is None and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        if not key:
            raise _Invalid("x-api-key header is required", 401, "authentication_error")
        if self.expected_key is not None and key != self.expected_key:
            raise _Invalid("invalid x-api-key", 401, "authentication_error")
        if not headers.get("anthropic-version"):
            raise _Invalid("anthropic-version: header is required")

    def _messages(self, request: Recorded) -> Response:
        return self._take(request).render(self, request)

    def _count_tokens(self, request: Recorded) -> Response:
        return self._json(200, {"input_tokens": estimate_tokens(request.body)}, self._ids())

    # responses -----------------------------------------------------------------------------

    @staticmethod
    def _ids() -> list[tuple[str, str]]:
        return [("request-id", make_id("req_011C")), ("anthropic-organization-id", "org-fake")]

    def _envelope(self, error_type: str, message: str, request_id: str) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": request_id,
        }

    def _error(
        self, status: int, error_type: str, message: str, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        ids = self._ids()
        return self._json(status, self._envelope(error_type, message, ids[0][1]), [*ids, *headers])

    def _internal_error(self, message: str) -> Response:
        return self._error(500, "api_error", message, [("x-should-retry", "false")])

    def _overrun_reply(self, request: Recorded) -> Reply:
        return error_reply(
            500,
            "api_error",
            f"FakeAnthropic ran out of scripted replies: request #{request.index} "
            f"({request.method} {request.path}) has none. The code under test made a call the "
            "test did not script.",
            should_retry=False,
        )

    def _error_response(self, request: Recorded, reply: ErrorReply) -> Response:
        headers = [(k.lower(), v) for k, v in reply.headers.items()]
        if reply.retry_after is not None:
            headers.append(("retry-after", f"{reply.retry_after:g}"))
        if reply.retry_after_ms is not None:
            headers.append(("retry-after-ms", f"{reply.retry_after_ms:g}"))
        if reply.should_retry is not None:
            headers.append(("x-should-retry", "true" if reply.should_retry else "false"))
        if not (reply.mid_stream and request.stream):
            return self._error(reply.status, reply.error_type, reply.message, headers)
        # An error after the stream started: HTTP 200, then an `error` event.
        ids = self._ids()
        start = self._message_body(request, MessageReply([], None))
        start["usage"]["output_tokens"] = 1
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            _sse("error", self._envelope(reply.error_type, reply.message, ids[0][1])),
        ]
        return Response(200, [("content-type", "text/event-stream"), *ids, *headers], iter(events))

    def _usage(self, request: Recorded, reply: MessageReply) -> dict[str, Any]:
        """Simulated usage. A scripted `usage` that names any input-side count (`input_tokens`,
        `cache_creation_input_tokens`, `cache_read_input_tokens`) is authoritative for the
        input side: the cache counts it leaves out are 0, not simulated. The cache is still
        written either way, so a later call with default usage reads it."""
        given = dict(reply.usage or {})
        total = estimate_tokens(request.body)
        created = read = 0
        ttl = "5m"
        prefixes = [
            (p, t)
            for p, t in cache_prefixes(request.json)
            if estimate_tokens(p) >= self.min_cacheable_tokens
        ]
        if prefixes:
            with self._lock:
                hits = [p for p, _ in prefixes if p in self._cache]
                self._cache.update(p for p, _ in prefixes)
            longest, ttl = prefixes[-1]
            cached = min(estimate_tokens(longest), total)
            read = min(max((estimate_tokens(p) for p in hits), default=0), cached)
            created = cached - read
        if any(key in given for key in _INPUT_SIDE):
            created = int(given.get("cache_creation_input_tokens") or 0)
            read = int(given.get("cache_read_input_tokens") or 0)
        usage: dict[str, Any] = {
            "input_tokens": max(1, total - created - read),
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": created if ttl != "1h" else 0,
                "ephemeral_1h_input_tokens": created if ttl == "1h" else 0,
            },
            "output_tokens": estimate_tokens(json.dumps(reply.content)),
            "service_tier": "standard",
        }
        usage.update(given)
        return usage

    def _message_body(self, request: Recorded, reply: MessageReply) -> dict[str, Any]:
        return {
            "id": make_id("msg_01"),
            "type": "message",
            "role": "assistant",
            "model": reply.model or request.json["model"],
            "content": reply.content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": reply.stop_sequence,
            "usage": self._usage(request, reply),
        }

    def _message_response(self, request: Recorded, reply: MessageReply) -> Response:
        message = self._message_body(request, reply)
        if not request.stream:
            return self._json(200, message, self._ids())
        return Response(
            200,
            [("content-type", "text/event-stream; charset=utf-8"), *self._ids()],
            _stream_events(message, reply.chunk_size),
        )


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _stream_events(message: dict[str, Any], chunk_size: int) -> Iterator[bytes]:
    """The real event sequence for `message`:
    message_start, ping, (content_block_start, content_block_delta*, content_block_stop)*,
    message_delta, message_stop."""
    usage = dict(message["usage"])
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**usage, "output_tokens": 1}
    yield _sse("message_start", {"type": "message_start", "message": start})
    yield _sse("ping", {"type": "ping"})
    for index, block in enumerate(message["content"]):
        kind = block.get("type")
        if kind == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in _chunks(block["text"], chunk_size)]
        elif kind in ("tool_use", "server_tool_use"):
            opening = {**block, "input": {}}
            partial = _chunks(json.dumps(block.get("input", {})), chunk_size)
            deltas = [{"type": "input_json_delta", "partial_json": c} for c in ["", *partial]]
        elif kind == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": c}
                for c in _chunks(block.get("thinking", ""), chunk_size)
            ]
            deltas.append({"type": "signature_delta", "signature": block.get("signature", "")})
        else:
            opening, deltas = block, []
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        for delta in deltas:
            yield _sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    final_usage = {
        k: usage[k]
        for k in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        )
        if k in usage
    }
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message["stop_reason"],
                "stop_sequence": message["stop_sequence"],
            },
            "usage": final_usage,
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})
