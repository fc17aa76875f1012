"""A local fake of the OpenAI chat-completions API (and of the OpenAI-compatible servers:
Ollama, vLLM, llama.cpp, LM Studio) that speaks the real wire format.

    with FakeOpenAI(expected_key="sk-test") as fake:
        fake.reply_json_content({"summary": "..."})
        async with httpx2.AsyncClient(base_url=fake.url + "/v1") as client:
            r = await client.post("/chat/completions", json={...}, headers={"authorization": "Bearer sk-test"})

POST /v1/chat/completions (and /chat/completions, for base URLs without /v1) takes one scripted
reply from the FIFO queue. The request is validated first the way api.openai.com validates it
(model, messages and roles, tool_calls/tool pairing, tools, tool_choice, response_format
including the strict json_schema rules, the "json" word rule of json_object) and refused with
OpenAI's error envelope `{"error": {"message", "type", "param", "code"}}`; a refused request does
not take a reply. An empty queue answers 500 with `x-should-retry: false` and is kept in
`fake.overruns` (see `check()`).

`stream: true` is not implemented: such a request is refused with a 400 that says so.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .anthropic_api import (
    Recorded,
    Reply,
    Response,
    ScriptedServer,
    callable_reply,
    disconnect_reply,
    estimate_tokens,
    make_id,
    raw_reply,
    slow_reply,
)

__all__ = [
    "FakeOpenAI",
    "callable_reply",
    "disconnect_reply",
    "error_reply",
    "json_content_reply",
    "message_reply",
    "raw_reply",
    "slow_reply",
    "text_reply",
    "tool_call_reply",
]

_ROLES = ("system", "developer", "user", "assistant", "tool")
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

_ERROR_DEFAULTS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------


@dataclass
class ChatReply(Reply):
    message: dict[str, Any]  # the assistant message (role is added)
    finish_reason: str = "stop"
    usage: dict[str, Any] | None = None
    model: str | None = None  # None echoes the requested model

    def render(self, fake: Any, request: Recorded) -> Response:
        response: Response = fake._completion_response(request, self)
        return response


@dataclass
class OpenAIErrorReply(Reply):
    status: int
    message: str
    type: str
    code: str | None
    param: str | None = None
    retry_after: float | None = None
    should_retry: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def render(self, fake: Any, request: Recorded) -> Response:
        headers = [(k.lower(), v) for k, v in self.headers.items()]
        if self.retry_after is not None:
            headers.append(("retry-after", f"{self.retry_after:g}"))
        if self.should_retry is not None:
            headers.append(("x-should-retry", "true" if self.should_retry else "false"))
        response: Response = fake._error(
            self.status, self.message, self.type, self.code, self.param, headers
        )
        return response


def message_reply(
    content: str | None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    refusal: str | None = None,
) -> ChatReply:
    message: dict[str, Any] = {"content": content, "refusal": refusal}
    if tool_calls:
        message["tool_calls"] = tool_calls
    reason = finish_reason or ("tool_calls" if tool_calls else "stop")
    return ChatReply(message, reason, usage)


def text_reply(
    text: str, *, usage: dict[str, Any] | None = None, finish_reason: str = "stop"
) -> ChatReply:
    return message_reply(text, finish_reason=finish_reason, usage=usage)


def json_content_reply(obj: Any, *, usage: dict[str, Any] | None = None) -> ChatReply:
    """The assistant message content is `json.dumps(obj)` (what json_schema mode returns)."""
    return message_reply(json.dumps(obj), usage=usage)


def tool_call_reply(
    name: str,
    arguments: dict[str, Any] | str,
    *,
    usage: dict[str, Any] | None = None,
    id: str | None = None,
    content: str | None = None,
) -> ChatReply:
    """One function tool call; `arguments` is JSON-encoded unless given as a (maybe broken) str."""
    call = {
        "id": id or make_id("call_"),
        "type": "function",
        "function": {
            "name": name,
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }
    return message_reply(content, tool_calls=[call], usage=usage)


def error_reply(
    status: int,
    message: str | None = None,
    retry_after: float | None = None,
    *,
    type: str | None = None,
    code: str | None = None,
    param: str | None = None,
    should_retry: bool | None = None,
    headers: dict[str, str] | None = None,
) -> OpenAIErrorReply:
    default_type, default_code = _ERROR_DEFAULTS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    return OpenAIErrorReply(
        status,
        message if message is not None else f"fake error {status}",
        type or default_type,
        code if code is not None else default_code,
        param,
        retry_after,
        should_retry,
        dict(headers or {}),
    )


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(
        self,
        message: str,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message, self.param, self.code, self.status, self.type = (
            message,
            param,
            code,
            status,
            type,
        )


def _check_strict_schema(name: str, schema: Any, context: tuple[str, ...] = ()) -> None:
    """OpenAI's Structured Outputs rules: every object lists all its properties in `required`
    and sets `additionalProperties: false`."""
    if not isinstance(schema, dict):
        return
    where = f"Invalid schema for {name}: In context=({', '.join(repr(c) for c in context)}), "
    is_object = schema.get("type") == "object" or (
        isinstance(schema.get("type"), list) and "object" in schema["type"]
    )
    if is_object or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            raise _Invalid(
                where + "'additionalProperties' is required to be supplied and to be false.",
                param="response_format",
            )
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        missing = [key for key in properties if key not in required]
        if missing:
            raise _Invalid(
                where
                + "'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'.",
                param="response_format",
            )
        for key, sub in properties.items():
            _check_strict_schema(name, sub, (*context, "properties", key))
    if "items" in schema:
        _check_strict_schema(name, schema["items"], (*context, "items"))
    for keyword in ("anyOf", "allOf", "oneOf"):
        for i, sub in enumerate(schema.get(keyword) or []):
            _check_strict_schema(name, sub, (*context, keyword, str(i)))
    for keyword in ("$defs", "definitions"):
        for key, sub in (schema.get(keyword) or {}).items():
            _check_strict_schema(name, sub, (*context, keyword, key))


def _has_text(content: Any, needle: str) -> bool:
    if isinstance(content, str):
        return needle in content.lower()
    if isinstance(content, list):
        return any(
            isinstance(part, dict) and needle in str(part.get("text", "")).lower()
            for part in content
        )
    return False


def validate_chat_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise _Invalid("We could not parse the JSON body of your request.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Invalid("you must provide a model parameter", param="model")
    if body.get("stream") is True:
        raise _Invalid("FakeOpenAI does not implement stream=true", param="stream")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _Invalid(
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not messages:
        raise _Invalid("[] is too short - 'messages'", param="messages", code="empty_array")

    # tools -------------------------------------------------------------------------------
    tools = body.get("tools")
    names: set[str] = set()
    if tools is not None:
        if not isinstance(tools, list):
            raise _Invalid(
                "Invalid type for 'tools': expected an array.", param="tools", code="invalid_type"
            )
        for i, tool in enumerate(tools):
            param = f"tools[{i}]"
            if not isinstance(tool, dict) or tool.get("type") != "function":
                raise _Invalid(
                    f"Invalid value for '{param}.type': expected 'function'.",
                    param=f"{param}.type",
                    code="invalid_value",
                )
            function = tool.get("function")
            if not isinstance(function, dict):
                raise _Invalid(
                    f"Missing required parameter: '{param}.function'.",
                    param=f"{param}.function",
                    code="missing_required_parameter",
                )
            name = function.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise _Invalid(
                    f"Invalid '{param}.function.name': string does not match pattern. Expected a string "
                    "that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    param=f"{param}.function.name",
                    code="invalid_value",
                )
            if name in names:
                raise _Invalid(f"Duplicate tool name: '{name}'.", param="tools")
            names.add(name)
            parameters = function.get("parameters")
            if parameters is not None and not isinstance(parameters, dict):
                raise _Invalid(
                    f"Invalid type for '{param}.function.parameters': expected an object.",
                    param=f"{param}.function.parameters",
                    code="invalid_type",
                )
            if function.get("strict") is True:
                _check_strict_schema(f"function '{name}'", parameters or {})

    # tool_choice -------------------------------------------------------------------------
    choice = body.get("tool_choice")
    if choice is not None:
        if isinstance(choice, str):
            if choice not in ("none", "auto", "required"):
                raise _Invalid(
                    f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                    param="tool_choice",
                    code="invalid_value",
                )
        elif isinstance(choice, dict) and choice.get("type") == "function":
            chosen = (choice.get("function") or {}).get("name")
            if not isinstance(chosen, str):
                raise _Invalid(
                    "Missing required parameter: 'tool_choice.function.name'.",
                    param="tool_choice.function.name",
                    code="missing_required_parameter",
                )
            if names and chosen not in names:
                raise _Invalid(
                    f"Invalid value for 'tool_choice': function '{chosen}' is not among the provided tools.",
                    param="tool_choice",
                )
        else:
            raise _Invalid(
                "Invalid value for 'tool_choice'.", param="tool_choice", code="invalid_value"
            )
        if not names and choice != "none":
            raise _Invalid(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param="tool_choice",
            )

    # messages ----------------------------------------------------------------------------
    pending: list[str] = []  # tool_call ids awaiting their tool messages
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _Invalid(
                f"Invalid type for '{param}': expected an object.", param=param, code="invalid_type"
            )
        role = message.get("role")
        if role not in _ROLES:
            raise _Invalid(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                param=f"{param}.role",
                code="invalid_value",
            )
        content = message.get("content")
        if pending and role != "tool":
            raise _Invalid(
                "An assistant message with 'tool_calls' must be followed by tool messages responding "
                f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                f"{', '.join(pending)}",
                param="messages",
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                raise _Invalid(
                    "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
                    param=f"{param}.tool_call_id",
                    code="missing_required_parameter",
                )
            if call_id not in pending:
                raise _Invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    "message with 'tool_calls'.",
                    param=f"{param}.role",
                )
            pending.remove(call_id)
            if not isinstance(content, str | list):
                raise _Invalid(
                    f"Invalid type for '{param}.content': expected one of a string or array of objects.",
                    param=f"{param}.content",
                    code="invalid_type",
                )
        elif role == "assistant":
            calls = message.get("tool_calls")
            if content is None and not calls and message.get("refusal") is None:
                raise _Invalid(
                    f"Invalid value for '{param}.content': expected a string, got null.",
                    param=f"{param}.content",
                    code="invalid_value",
                )
            if content is not None and not isinstance(content, str | list):
                raise _Invalid(
                    f"Invalid type for '{param}.content'.",
                    param=f"{param}.content",
                    code="invalid_type",
                )
            for j, call in enumerate(calls or []):
                cparam = f"{param}.tool_calls[{j}]"
                function = call.get("function") if isinstance(call, dict) else None
                if (
                    not isinstance(call, dict)
                    or not isinstance(call.get("id"), str)
                    or not isinstance(function, dict)
                ):
                    raise _Invalid(
                        f"Invalid '{cparam}': expected an object with 'id', 'type' and 'function'.",
                        param=cparam,
                    )
                if not isinstance(function.get("name"), str) or not isinstance(
                    function.get("arguments"), str
                ):
                    raise _Invalid(
                        f"Invalid '{cparam}.function': 'name' and 'arguments' must be strings.",
                        param=f"{cparam}.function",
                    )
                pending.append(call["id"])
        else:
            if not isinstance(content, str | list):
                raise _Invalid(
                    f"Invalid type for '{param}.content': expected one of a string or array of objects, "
                    f"but got {type(content).__name__ if content is not None else 'null'} instead.",
                    param=f"{param}.content",
                    code="invalid_type",
                )
    if pending:
        raise _Invalid(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to "
            f"each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(pending)}",
            param="messages",
        )

    # response_format ---------------------------------------------------------------------
    fmt = body.get("response_format")
    if fmt is not None:
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in ("text", "json_object", "json_schema"):
            raise _Invalid(
                f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
                param="response_format.type",
                code="invalid_value",
            )
        if kind == "json_object" and not any(
            isinstance(m, dict) and _has_text(m.get("content"), "json") for m in messages
        ):
            raise _Invalid(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of "
                "type 'json_object'.",
                param="messages",
            )
        if kind == "json_schema":
            spec = fmt.get("json_schema")
            if not isinstance(spec, dict):
                raise _Invalid(
                    "Missing required parameter: 'response_format.json_schema'.",
                    param="response_format.json_schema",
                    code="missing_required_parameter",
                )
            name = spec.get("name")
            if not isinstance(name, str):
                raise _Invalid(
                    "Missing required parameter: 'response_format.json_schema.name'.",
                    param="response_format.json_schema.name",
                    code="missing_required_parameter",
                )
            if not _NAME.match(name):
                raise _Invalid(
                    "Invalid 'response_format.json_schema.name': string does not match pattern. "
                    "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    param="response_format.json_schema.name",
                    code="invalid_value",
                )
            schema = spec.get("schema")
            if schema is not None and not isinstance(schema, dict):
                raise _Invalid(
                    "Invalid type for 'response_format.json_schema.schema': expected an object.",
                    param="response_format.json_schema.schema",
                    code="invalid_type",
                )
            if (
                "strict" in spec
                and spec["strict"] is not None
                and not isinstance(spec["strict"], bool)
            ):
                raise _Invalid(
                    "Invalid type for 'response_format.json_schema.strict': expected a boolean.",
                    param="response_format.json_schema.strict",
                    code="invalid_type",
                )
            if spec.get("strict") is True:
                if schema is None:
                    raise _Invalid(
                        "Missing required parameter: 'response_format.json_schema.schema'.",
                        param="response_format.json_schema.schema",
                        code="missing_required_parameter",
                    )
                _check_strict_schema(f"response_format '{name}'", schema)


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeOpenAI(ScriptedServer):
    """Chat completions on loopback. `expected_key=None` (the default) accepts any or no
    Authorization header, like a local Ollama; set it to require `Authorization: Bearer <key>`.
    `known_models`, when set, answers 404 model_not_found for any other model."""

    def __init__(
        self, *, expected_key: str | None = None, known_models: Iterable[str] | None = None
    ) -> None:
        super().__init__(expected_key=expected_key)
        self.known_models = set(known_models) if known_models is not None else None
        self.rejections: list[tuple[Recorded, int, str]] = []

    def start(self) -> FakeOpenAI:
        super().start()
        return self

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    # script --------------------------------------------------------------------------------

    def reply_json_content(self, obj: Any, *, usage: dict[str, Any] | None = None) -> None:
        self.enqueue(json_content_reply(obj, usage=usage))

    def reply_tool_call(
        self,
        name: str,
        arguments: dict[str, Any] | str,
        *,
        usage: dict[str, Any] | None = None,
        id: str | None = None,
        content: str | None = None,
    ) -> None:
        self.enqueue(tool_call_reply(name, arguments, usage=usage, id=id, content=content))

    def reply_text(
        self, text: str, *, usage: dict[str, Any] | None = None, finish_reason: str = "stop"
    ) -> None:
        self.enqueue(text_reply(text, usage=usage, finish_reason=finish_reason))

    def reply_message(
        self,
        content: str | None,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        finish_reason: str | None = None,
        usage: dict[str, Any] | None = None,
        refusal: str | None = None,
    ) -> None:
        self.enqueue(
            message_reply(
                content,
                tool_calls=tool_calls,
                finish_reason=finish_reason,
                usage=usage,
                refusal=refusal,
            )
        )

    def reply_error(
        self,
        status: int,
        message: str | None = None,
        retry_after: float | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        should_retry: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.enqueue(
            error_reply(
                status,
                message,
                retry_after,
                type=type,
                code=code,
                param=param,
                should_retry=should_retry,
                headers=headers,
            )
        )

    # dispatch ------------------------------------------------------------------------------

    def _handle(self, request: Recorded) -> Response:
        if request.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return self._error(
                404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None
            )
        if request.method != "POST":
            return self._error(
                405, f"Method {request.method} not allowed", "invalid_request_error", None
            )
        try:
            self._check_auth(request)
            validate_chat_request(request.json)
            if self.known_models is not None and request.json["model"] not in self.known_models:
                raise _Invalid(
                    f"The model `{request.json['model']}` does not exist or you do not have access to it.",
                    code="model_not_found",
                    status=404,
                )
        except _Invalid as exc:
            self.rejections.append((request, exc.status, exc.message))
            return self._error(exc.status, exc.message, exc.type, exc.code, exc.param)
        return self._take(request).render(self, request)

    def _check_auth(self, request: Recorded) -> None:
        if self.expected_key is None:
            return
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise _Invalid(
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                status=401,
            )
        key = auth[7:].strip()
        if key != self.expected_key:
            masked = key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 7 else "***"
            raise _Invalid(
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
                status=401,
            )

    # responses -----------------------------------------------------------------------------

    @staticmethod
    def _ids() -> list[tuple[str, str]]:
        return [("x-request-id", make_id("req_", 32)), ("openai-processing-ms", "1")]

    def _error(
        self,
        status: int,
        message: str,
        type: str,
        code: str | None,
        param: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        envelope = {"error": {"message": message, "type": type, "param": param, "code": code}}
        return self._json(status, envelope, [*self._ids(), *headers])

    def _internal_error(self, message: str) -> Response:
        return self._error(500, message, "server_error", None, None, [("x-should-retry", "false")])

    def _overrun_reply(self, request: Recorded) -> Reply:
        return error_reply(
            500,
            f"FakeOpenAI ran out of scripted replies: request #{request.index} "
            f"({request.method} {request.path}) has none. The code under test made a call the "
            "test did not script.",
            type="server_error",
            should_retry=False,
        )

    def _completion_response(self, request: Recorded, reply: ChatReply) -> Response:
        message = {"role": "assistant", **reply.message}
        prompt = estimate_tokens(request.body)
        completion = estimate_tokens(json.dumps(reply.message))
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        usage.update(reply.usage or {})
        if reply.usage and "total_tokens" not in reply.usage:
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        body = {
            "id": make_id("chatcmpl-", 29),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or request.json["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }
        return self._json(200, body, self._ids())
