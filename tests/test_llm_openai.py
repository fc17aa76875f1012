"""The OpenAI-compatible analyst (Ollama, vLLM, llama.cpp, LM Studio) end to end against a fake
`/v1/chat/completions` server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from fakes import fake_openai_fixture  # noqa: F401  (fixture)
from llm_support import CANARIES, demo_config, tool_input

from investigate.models import Report


@pytest.fixture
def run(cli, monkeypatch, tmp_path, fake_openai):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def invoke(ticket: str = "4812", *extra: str, llm: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        settings = {
            "provider": "openai",
            "base_url": f"{fake_openai.url}/v1",
            "model": "llama3.1",
            "timeout": "20s",
            "max_retries": 1,
            **(llm or {}),
        }
        return cli(
            "ticket",
            ticket,
            "--config",
            str(demo_config(tmp_path, settings)),
            "--format",
            "json",
            *extra,
        )

    return invoke


def bodies(fake) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [r.json for r in fake.requests]


def test_json_schema_answer_builds_the_report(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply_json_content(tool_input())
    result = run()
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.analysis.analyst == "openai:llama3.1"
    assert report.analysis.root_cause.evidence == ["E1", "E2"]
    assert report.usage.llm_calls == 1
    (body,) = bodies(fake_openai)
    assert body["model"] == "llama3.1"
    assert body["response_format"]["type"] == "json_schema"
    assert "root_cause" in body["response_format"]["json_schema"]["schema"]["properties"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "authorization" not in fake_openai.requests[0].headers  # no key configured, none sent


def test_a_tool_call_answer_is_accepted_too(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply_tool_call("report_analysis", tool_input())
    report = Report.model_validate_json(run().out)
    assert report.analysis.analyst == "openai:llama3.1"


def test_invalid_json_is_repaired_once(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply_text("Sure! Here is the report: {not json")
    fake_openai.reply_json_content(tool_input())
    report = Report.model_validate_json(run().out)
    assert report.analysis.analyst == "openai:llama3.1"
    assert report.usage.llm_calls == 2
    repair = bodies(fake_openai)[1]["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-1]["role"] == "user"
    assert "not valid JSON" in repair[-1]["content"]


def test_server_errors_fall_back_to_offline(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply_error(500, "model crashed")
    fake_openai.reply_error(500, "model crashed")
    result = run()
    a = Report.model_validate_json(result.out).analysis
    assert result.code == 0
    assert (
        a.analyst
        == "offline (fallback: openai-compatible endpoint answered HTTP 500 after 2 tries)"
    )


def test_key_is_sent_when_configured_and_never_printed(run, fake_openai, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-canary-0123456789abcdef")
    fake_openai.reply_error(401, "bad key")
    result = run()
    assert (
        fake_openai.requests[0].headers["authorization"]
        == "Bearer sk-local-canary-0123456789abcdef"
    )
    assert "sk-local-canary" not in result.out + result.err
    assert "the key was rejected" in Report.model_validate_json(result.out).analysis.analyst


def test_redaction_applies_to_local_models_too(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.reply_json_content(tool_input())
    assert run("7001").code == 0
    sent = json.dumps(bodies(fake_openai))
    for name, value in CANARIES.items():
        assert value not in sent, name


def test_openai_needs_base_url_and_model(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = demo_config(tmp_path, {"provider": "openai", "model": None})
    result = cli("ticket", "4812", "--config", str(config))
    assert result.code == 2
    assert "llm.base_url and llm.model" in result.err


def test_a_redirect_from_the_endpoint_is_not_followed(run, fake_openai) -> None:  # type: ignore[no-untyped-def]
    from fakes import FakeOpenAI

    with FakeOpenAI() as elsewhere:
        elsewhere.reply_json_content(tool_input())
        fake_openai.reply_raw(
            307, b"", {"location": f"{elsewhere.url}/v1/chat/completions", "content-length": "0"}
        )
        result = run("7001", llm={"max_retries": 0})
        assert result.code == 0, result.err
        assert elsewhere.requests == []
    analyst = Report.model_validate_json(result.out).analysis.analyst
    assert analyst.startswith("offline (fallback: openai-compatible endpoint answered HTTP 307")
