"""Issue 14: a canary corpus (personal data and secrets in every shape and place) must never reach
a hosted model, through both real SDKs against the wire-exact fakes; benign evidence must stay
readable; and a customer reply gets back only the requester's own data."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakeAnthropic, FakeOpenAI, fake_anthropic_fixture, fake_openai_fixture  # noqa: F401  (fixtures)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from llm_support import tool_input
from privacy_corpus import BENIGN, CANARIES, CONFIGURED_TOKEN, PLACEMENTS, REQUESTER

from investigate.analysts import AnalystInput
from investigate.analysts.anthropic_analyst import AnthropicProvider
from investigate.analysts.checking import to_analysis
from investigate.analysts.llm import LLMAnalyst
from investigate.analysts.openai_analyst import OpenAIProvider
from investigate.analysts.prompt import build_prompt
from investigate.config import Settings
from investigate.evidence.entities import extract
from investigate.evidence.redaction import Redactor
from investigate.models import (
    Comment,
    Evidence,
    Organization,
    Person,
    SourceResult,
    Ticket,
    Window,
)
from investigate.secrets import MASKER

NOW = datetime(2026, 11, 24, 9, 13, tzinfo=UTC)


@pytest.fixture(autouse=True)
def configured_secret() -> Any:
    """The http connector's `Authorization: Bearer ${TOKEN}` header, registered as config does."""
    MASKER.add(f"Bearer {CONFIGURED_TOKEN}")
    yield
    MASKER.clear()


def _ticket(description: str = "", comments: tuple[str, ...] = ()) -> Ticket:
    name, email, org = REQUESTER
    return Ticket(
        id="7001",
        subject="Export broken since the upgrade",
        description=description,
        comments=[Comment(author="agent", body=b, public=True) for b in comments],
        requester=Person(name=name, email=email),
        organization=Organization(id="acc_1007", name=org),
        created_at=NOW,
    )


def _input(placed: list[tuple[str, str]]) -> AnalystInput:
    """Canaries placed where each kind of source puts its text in the prompt."""
    description = "\n".join(t for kind, t in placed if kind == "ticket")
    comments = tuple(t for kind, t in placed if kind == "comment")
    evidence: list[Evidence] = []
    sources: list[SourceResult] = []
    for i, (kind, text) in enumerate(placed):
        if kind == "log":
            evidence.append(
                Evidence(source="app_logs", kind="log", title=text, detail=text, examples=[text])
            )
        elif kind in ("db", "record", "http"):
            evidence.append(
                Evidence(source=kind, kind="db_row", title=f"row {i}", detail=text, timestamp=NOW)
            )
        elif kind == "error":
            sources.append(SourceResult(name=f"http_{i}", type="http", status="error", error=text))
    for n, e in enumerate(evidence, 1):
        e.id = f"E{n}"
    ticket = _ticket(description, comments)
    return AnalystInput(
        ticket=ticket,
        entities=extract(ticket),
        window=Window(start=NOW - timedelta(days=1), end=NOW),
        evidence=evidence,
        sources=sources,
    )


def _leaks(sent: str) -> list[str]:
    return [
        f"{cls}: {needle!r}"
        for cls, _text, needles in CANARIES
        for needle in needles
        if needle in sent
    ]


@pytest.mark.parametrize(
    ("cls", "text", "needles"), CANARIES, ids=[f"{c[0]}:{c[1][:28]}" for c in CANARIES]
)
def test_each_canary_is_redacted_in_every_placement(
    cls: str, text: str, needles: tuple[str, ...]
) -> None:
    data = _input([(kind, template.format(c=text)) for kind, template in PLACEMENTS])
    prompt = build_prompt(data, Redactor())
    sent = prompt.system + prompt.user
    assert [n for n in needles if n in sent] == [], f"{cls} leaked"


def _corpus_input() -> AnalystInput:
    """Every canary in three different places (over 300 shapes), in one investigation."""
    placed = [
        (
            PLACEMENTS[(i + k * 3) % len(PLACEMENTS)][0],
            PLACEMENTS[(i + k * 3) % len(PLACEMENTS)][1].format(c=text),
        )
        for i, (_cls, text, _n) in enumerate(CANARIES)
        for k in range(3)
    ]
    assert len(placed) >= 200
    return _input(placed)


def _sent(requests: list[Any]) -> str:
    """Everything the fake received, JSON decoded (so `\\u00fc` escapes cannot hide a value)."""
    return "\n".join(
        json.dumps(r.json, ensure_ascii=False)
        if r.json is not None
        else r.body.decode("utf-8", "replace")
        for r in requests
    )


def test_the_corpus_never_reaches_anthropic(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_tool("report_analysis", tool_input())
    provider = AnthropicProvider(
        model="claude-sonnet-4-5",
        api_key="sk-ant-test",
        base_url=fake_anthropic.url,
        max_tokens=4000,
        timeout=20,
        max_retries=0,
        stream=False,
    )
    analyst = LLMAnalyst(provider, Settings(), redact=True)
    asyncio.run(analyst.analyse(_corpus_input()))
    assert fake_anthropic.requests
    assert _leaks(_sent(fake_anthropic.requests)) == []


def _openai_analyst(fake: FakeOpenAI) -> LLMAnalyst:
    """The OpenAI-compatible analyst, with the real client, against the fake."""
    provider = OpenAIProvider(
        model="llama3.1",
        base_url=f"{fake.url}/v1",
        api_key=None,
        max_tokens=4000,
        timeout=20,
        max_retries=0,
    )
    return LLMAnalyst(provider, Settings(), redact=True)


def test_the_corpus_never_reaches_an_openai_compatible_server(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json_content(tool_input())
    asyncio.run(_openai_analyst(fake_openai).analyse(_corpus_input()))
    assert fake_openai.requests
    assert _leaks(_sent(fake_openai.requests)) == []


def test_benign_evidence_stays_readable() -> None:
    assert len(BENIGN) >= 200
    changed = [s for s in BENIGN if Redactor(names=REQUESTER[::2]).redact(s) != s]
    assert len(changed) <= len(BENIGN) // 100, changed


def test_a_key_cut_by_the_field_limit_is_still_redacted_whole() -> None:
    key = next(t for c, t, _ in CANARIES if "RSA" in t)
    padded = "x" * 900 + " " + key  # the END line falls beyond the 1500-character detail limit
    data = _input([("db", padded)])
    assert "canaryRSA" not in build_prompt(data, Redactor()).user


def test_a_configured_secret_is_redacted_even_without_pii_redaction() -> None:
    line = f"2026-11-24 upstream echoed Authorization: {CONFIGURED_TOKEN}"
    assert CONFIGURED_TOKEN not in Redactor().redact(line)
    assert CONFIGURED_TOKEN not in Redactor(enabled=False).redact(line)
    assert (
        CONFIGURED_TOKEN not in MASKER.scrub(Evidence(source="logs", kind="log", title=line)).title
    )


def test_url_user_info_is_never_an_email_entity() -> None:
    ticket = _ticket("our webhook posts to https://hook:S3cretPass@hooks.example.com/in and fails")
    found = extract(ticket)
    assert not any("s3cretpass" in e or "hooks.example.com" in e for e in found.emails)
    assert not any("S3cretPass" in u for u in found.urls)
    # nor a search word: keywords go to connectors as query terms
    assert not {"hook", "s3cretpass"} & set(found.keywords), found.keywords


def _analysis_with_draft(draft: str, redactor: Redactor, data: AnalystInput) -> Any:
    raw = tool_input(draft_reply=draft)
    return to_analysis(raw, "test", data.evidence, redactor)


def test_the_draft_gets_back_only_the_requesters_own_data() -> None:
    other = "id=77; email=someone.else@other-customer.example; phone=+44 20 7946 0321"
    data = _input([("ticket", "reach me at dana.whitfield@northwind-logistics.com"), ("db", other)])
    redactor = Redactor()
    prompt = build_prompt(data, redactor).user
    mine = next(
        p for p, v in redactor.mapping.items() if v == "dana.whitfield@northwind-logistics.com"
    )
    theirs = next(
        p for p, v in redactor.mapping.items() if v == "someone.else@other-customer.example"
    )
    phone = next(p for p, v in redactor.mapping.items() if "7946 0321" in v)
    assert theirs in prompt
    analysis = _analysis_with_draft(
        f"Hi, we wrote to {mine}; {theirs} and {phone} were also affected.", redactor, data
    )
    assert "dana.whitfield@northwind-logistics.com" in analysis.draft_reply
    assert "someone.else" not in analysis.draft_reply and "7946 0321" not in analysis.draft_reply
    assert theirs in analysis.draft_reply and theirs in analysis.internal_note
    assert phone in analysis.internal_note


_SEPARATORS = st.sampled_from([" ", "\n", ": ", "\t", " (", ' "', "=", ", "])


@pytest.mark.slow  # 150 hypothesis examples
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.text(max_size=200),
    after=st.text(max_size=200),
    canary=st.sampled_from(CANARIES),
    left=_SEPARATORS,
    right=st.sampled_from([" ", "\n", ". ", ", ", ") ", '" ', "; ", ".\n"]),
    placement=st.sampled_from(PLACEMENTS),
)
@example(before="", after="", canary=CANARIES[0], left=" ", right=" ", placement=PLACEMENTS[0])
def test_no_placement_of_a_canary_reaches_the_prompt(
    before: str,
    after: str,
    canary: tuple[str, str, tuple[str, ...]],
    left: str,
    right: str,
    placement: tuple[str, str],
) -> None:
    _cls, text, needles = canary
    text_around = before + left + text + right + after
    data = _input([(placement[0], placement[1].format(c=text_around))])
    prompt = build_prompt(data, Redactor())
    assert [n for n in needles if n in prompt.user] == []


@pytest.mark.slow  # 100 hypothesis examples
@settings(max_examples=100, deadline=None)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
    noise=st.text(max_size=80),
)
def test_restoration_never_adds_a_value_not_in_the_tickets_own_fields(
    picks: list[int], noise: str
) -> None:
    other = (
        "email=someone.else@other-customer.example; name=Maria Canaryson; phone=+44 20 7946 0321"
    )
    data = _input([("ticket", "I am dana.whitfield@northwind-logistics.com"), ("db", other)])
    redactor = Redactor()
    build_prompt(data, redactor)
    tokens = sorted(redactor.mapping) + [f"<EMAIL_{n}>" for n in range(1, 4)]
    draft = noise + " ".join(tokens[i % len(tokens)] for i in picks)
    analysis = _analysis_with_draft(draft, redactor, data)
    own = redactor.own_text
    for value in redactor.mapping.values():
        if value not in draft and value in analysis.draft_reply:
            assert value.casefold() in own, value


ADMIN_TOKEN = "adminTokenValueNotAnyKnownShape"


def _leaky_config(tmp_path: Any) -> str:
    """The demo world plus an `http` connector whose header holds `Bearer ${ADMIN_API_TOKEN}`,
    and a log file that quotes that token next to the canary ticket's account."""
    import yaml
    from llm_support import demo_config

    path = demo_config(tmp_path)
    config = yaml.safe_load(path.read_text())
    logs = tmp_path / "leaky.log"
    logs.write_text(
        "2026-11-24T08:10:00.000Z ERROR [api] upstream rejected header "
        f"{ADMIN_TOKEN} for account_id=acc_1007 request failed\n"
    )
    config["connectors"]["leaky_logs"] = {"type": "log_file", "paths": [str(logs)]}
    config["connectors"]["admin_api"] = {
        "type": "http",
        "enabled": False,
        "url": "https://admin.internal/api/accounts/{account_id}/users",
        "headers": {"Authorization": "Bearer ${ADMIN_API_TOKEN}"},
        "items": "data",
        "fields": {"title": "email"},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_a_configured_secret_quoted_by_a_source_is_never_printed(
    cli, tmp_path, monkeypatch, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADMIN_API_TOKEN", ADMIN_TOKEN)
    config = _leaky_config(tmp_path)
    report = cli("ticket", "7001", "--config", config, "--format", fmt)
    assert report.code == 0, report.err
    assert "upstream rejected header" in report.out  # the evidence is there …
    assert ADMIN_TOKEN not in report.out + report.err  # … without the secret
    prompt = cli("ticket", "7001", "--config", config, "--show-prompt")
    assert "upstream rejected header" in prompt.out
    assert ADMIN_TOKEN not in prompt.out + prompt.err


def test_a_field_value_is_redacted_in_text_that_comes_before_its_field() -> None:
    """The description is cut at 20,000 characters; the name it ends with is only known from a
    database row further down, and must not survive even half-cut."""
    description = "x" * 19_990 + " Marisol Canaryson"
    data = _input([("ticket", description), ("db", "id=9; name=Marisol Canaryson; plan=pro")])
    user = build_prompt(data, Redactor()).user
    assert "Canar" not in user and "Marisol" not in user


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.text(max_size=120),
    canary=st.sampled_from(CANARIES),
    placement=st.sampled_from(PLACEMENTS),
)
def test_no_placement_of_a_canary_reaches_the_openai_fake(
    fake_openai: FakeOpenAI,
    before: str,
    canary: tuple[str, str, tuple[str, ...]],
    placement: tuple[str, str],
) -> None:
    _cls, text, needles = canary
    data = _input([(placement[0], placement[1].format(c=before + "\n" + text + " "))])
    fake_openai.reply_json_content(tool_input())
    seen = len(fake_openai.requests)
    asyncio.run(_openai_analyst(fake_openai).analyse(data))
    sent = _sent(fake_openai.requests[seen:])
    assert sent and [n for n in needles if n in sent] == []


def test_redaction_fields_extends_the_personal_data_fields() -> None:
    settings = Settings.model_validate(
        {"redaction": {"fields": ["contact_person"], "phone_region": "GB"}}
    )
    redactor = Redactor.from_settings(settings.redaction, enabled=True)
    out = redactor.redact(
        "row: contact_person=Jane Kanarienberg; plan=pro\nlater Jane Kanarienberg called 020 7946 0111"
    )
    assert "Kanarienberg" not in out and "7946 0111" not in out
    assert "plan=pro" in out
    default = Redactor().redact("row: contact_person=Jane Kanarienberg; plan=pro")
    assert "Kanarienberg" in default  # not a personal-data field unless configured
