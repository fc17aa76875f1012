"""`investigate ask`: follow-up questions answered from the last investigation, citing evidence
IDs — offline (BM25 over the evidence) and with the Anthropic analyst (one call, against the
wire-exact fake) — with the history kept privately under the cache folder."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from fakes import fake_anthropic_fixture  # noqa: F401  (fixture)
from llm_support import demo_config, tool_input

from investigate.ask import SYSTEM, offline_answer
from investigate.models import Report

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "config.example.yaml"
QUESTION = "what changed before the errors?"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "investigate" / "ask"


def kept_report(cache: Path) -> Report:
    (folder,) = cache.iterdir()
    return Report.model_validate_json((folder / "report.json").read_text())


def evidence_id(report: Report | str, kind: str, title: str = "") -> str:
    """The ID the ranking gave an item (IDs follow the ranking; tests do not pin them)."""
    if isinstance(report, str):
        report = Report.model_validate_json(report)
    return next(e.id for e in report.evidence if e.kind == kind and title in e.title)


def test_offline_answer_cites_the_deploy_before_the_errors(cli, cache: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("ask", "4813", QUESTION, "--config", str(DEMO_CONFIG))
    assert result.code == 0, result.err
    deploy = evidence_id(kept_report(cache), "deploy", "Deploy api v2.14.0")
    first = result.out.splitlines()[0]
    assert first.startswith(f"[{deploy}] deploy") and "Deploy api v2.14.0" in first
    assert "5 min before the first error [E1]" in first and "the root cause cites it" in first
    assert f"(evidence: {deploy}" in result.out
    assert "a new investigation" in result.err


def test_the_investigation_and_history_are_kept_privately(cli, cache: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("ask", "4813", QUESTION, "--config", str(DEMO_CONFIG)).code == 0
    second = cli("ask", "4813", "which invoice was paid?", "--config", str(DEMO_CONFIG))
    assert second.code == 0, second.err
    assert "answering from the investigation of" in second.err  # not a new run
    cited = second.out.split("]", 1)[0].removeprefix("[")
    assert second.out.startswith(f"[{cited}] invoice")
    assert any(e.id == cited and e.kind == "invoice" for e in kept_report(cache).evidence)
    (folder,) = cache.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    history = folder / "history.jsonl"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "report.json").stat().st_mode) == 0o600
    turns = [json.loads(line) for line in history.read_text().splitlines()]
    assert [t["question"] for t in turns] == [QUESTION, "which invoice was paid?"]
    assert turns[0]["cited"][0] == evidence_id(kept_report(cache), "deploy", "Deploy api v2.14.0")
    fresh = cli("ask", "4813", QUESTION, "--config", str(DEMO_CONFIG), "--fresh")
    assert "a new investigation" in fresh.err


def test_interactive_keeps_asking_until_an_empty_line(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("which deploy?\nany billing problem?\n\nignored\n")
    )
    result = cli("ask", "4813", "--interactive", "--config", str(DEMO_CONFIG))
    assert result.code == 0, result.err
    assert result.out.count("(evidence: ") == 2
    assert "ignored" not in result.out


def test_interactive_stops_at_end_of_input(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("which deploy?"))
    result = cli("ask", "4813", QUESTION, "-i", "--config", str(DEMO_CONFIG))
    assert result.code == 0, result.err
    assert result.out.count("(evidence: ") == 2


def test_a_question_is_required_without_interactive(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("ask", "4813", "  ", "--config", str(DEMO_CONFIG))
    assert result.code == 2 and "no question" in result.err


def test_answers_from_a_recording(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "rec"
    recorded = cli(
        "ticket", "4813", "--config", str(DEMO_CONFIG), "-f", "json", "--record", str(folder)
    )
    assert recorded.code == 0, recorded.err
    result = cli("ask", "4813", QUESTION, "--replay", str(folder))
    assert result.code == 0, result.err
    assert f"the recording in {folder}" in result.err
    deploy = evidence_id(recorded.out, "deploy", "Deploy api v2.14.0")
    assert result.out.startswith(f"[{deploy}] deploy")


def test_llm_answer_is_one_call_with_the_packed_evidence_and_analysis(  # type: ignore[no-untyped-def]
    cli, monkeypatch, tmp_path, fake_anthropic
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-canary-key-0001")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    config = str(demo_config(tmp_path, {"timeout": "20s"}))
    offline = cli("ticket", "4813", "--config", config, "--analyst", "offline", "-f", "json")
    deploy = evidence_id(offline.out, "deploy", "Deploy api v2.14.0")  # no LLM call
    fake_anthropic.reply_tool("report_analysis", tool_input())  # the investigation
    fake_anthropic.reply_text(
        f"The api deploy v2.14.0 [{deploy}] went out at 07:42, five minutes before the first "
        "serializer error [E1]; [E99] is not real. Contact <EMAIL_1>."
    )
    result = cli("ask", "4813", QUESTION, "--config", config)
    assert result.code == 0, result.err
    assert len(fake_anthropic.requests) == 2  # one investigation, one answer
    body = fake_anthropic.requests[1].json
    assert body["system"] == SYSTEM and "tools" not in body
    (message,) = body["messages"]
    prompt = message["content"]
    assert f"<question>{QUESTION}</question>" in prompt
    assert f"[{deploy}] deploy deploys" in prompt and "<analysis>" in prompt
    assert "luis.kowalski@brightlinedental.co.uk" not in prompt  # redacted before sending
    assert "<EMAIL_" in prompt
    assert f"[{deploy}]" in result.out and f"(evidence: {deploy}, E1;" in result.out  # not E99
    assert "answered by anthropic:" in result.out
    assert "<EMAIL_1>" not in result.out  # restored locally

    fake_anthropic.reply_text(f"Nothing else changed [{deploy}].")
    again = cli("ask", "4813", "anything else?", "--config", config)
    assert again.code == 0, again.err
    assert len(fake_anthropic.requests) == 3, again.err  # the kept investigation, one more call
    follow_up = fake_anthropic.requests[2].json["messages"][0]["content"]
    assert "<earlier_questions>" in follow_up and QUESTION in follow_up


def test_llm_failure_falls_back_to_the_offline_answer(
    cli, monkeypatch, tmp_path, fake_anthropic, cache
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-canary-key-0001")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    config = str(demo_config(tmp_path, {"timeout": "20s", "max_retries": 0}))
    fake_anthropic.reply_tool("report_analysis", tool_input())
    fake_anthropic.reply_error(401, "authentication_error")
    result = cli("ask", "4813", QUESTION, "--config", config)
    assert result.code == 0, result.err
    expected = offline_answer(kept_report(cache), QUESTION).text  # the offline answer
    assert result.out.startswith(expected.splitlines()[0])
    assert "offline (fallback: anthropic failed" in result.out
    assert "sk-ant-test-canary-key-0001" not in result.out + result.err
