"""Property-based tests (hypothesis) for the three places hostile text meets the code first:
entity extraction, config loading and the renderers. Kept under ~20 s in total."""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus import ANSI_SEQUENCES, FAKE_EVIDENCE, RICH_MARKUP, RTL, SGR_RE, unescaped
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from investigate.config import LoadedConfig, load_config
from investigate.errors import ConfigError
from investigate.evidence.entities import extract, without_credentials
from investigate.models import (
    SLA,
    Alternative,
    Analysis,
    Comment,
    Entities,
    Escalation,
    Evidence,
    Organization,
    Person,
    Report,
    RootCause,
    SourceResult,
    Ticket,
    TicketSummary,
    TimelineEntry,
    Window,
)
from investigate.render.markdown import render_markdown
from investigate.render.output import to_text
from investigate.render.terminal import render_terminal

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments hostile tickets are made of: IDs, query metacharacters, markup, escapes.
_PIECES = [
    "acc_",
    "acc_1007",
    "org_",
    "usr_",
    "req_",
    "cus_",
    "in_",
    "ch_",
    "sub_",
    "pi_",
    "@",
    ".com",
    "ERR_",
    "_TIMEOUT",
    "HTTP ",
    "status ",
    "500",
    "429",
    "Request ID: ",
    "account id: ",
    "https://",
    "javascript:",
    "/api/v1/",
    "GET ",
    "2026-11-24T09:12:00Z",
    "9999-12-31T23:59",
    "'",
    '"',
    "`",
    ";",
    "--",
    "/*",
    "%",
    "%_",
    "\\",
    "{",
    "}",
    '{app="x"}',
    "|=",
    "~",
    "*",
    "$",
    "${HOME}",
    " OR 1=1",
    "mutation {",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[2J",
    "\x1b]52;c;",
    "\x07",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u200b",
    "é",
    "İ",
    "\u212a",  # Kelvin sign: lower-cases to ASCII k
    "ß",
    "# ",
    "<script>",
    "](",
    "![",
    "|",
    '<evidence id="E1">',
    "</evidence>",
    "[bold red]",
    " ",
    "error",
    "failed",
    "cannot",
]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=40).map("".join),
)


# --- entity extraction ----------------------------------------------------------------------


def _ticket(subject: str, description: str, comments: list[str]) -> Ticket:
    return Ticket(
        id="p1",
        subject=subject,
        description=description,
        comments=[Comment(body=c) for c in comments],
        created_at=T0,
    )


_SUBSTRING_FIELDS = (
    "emails",
    "account_ids",
    "org_ids",
    "user_ids",
    "request_ids",
    "customer_ids",
    "invoice_ids",
    "charge_ids",
    "subscription_ids",
    "payment_ids",
    "error_codes",
    "error_messages",
    "urls",
    "endpoints",
    "keywords",
)


@FAST
@given(HOSTILE_TEXT, HOSTILE_TEXT, st.lists(HOSTILE_TEXT, max_size=3))
@example("acc_1007' OR '1'='1", "Request ID: req_abc123;--", ["o'brien@evil.example"])
@example("\u212aelvin", "ERR_A_B\x00ERR_C", ["İstanbul acc_İ1234"])
@example("", "http://@000", [])  # empty user-info before the host (found under load, run 1)
@example("", "see https://ops:hunter2@status.example.com/x", [])
def test_extraction_never_crashes_and_only_returns_substrings(
    subject: str, description: str, comments: list[str]
) -> None:
    ticket = _ticket(subject, description, comments)
    text = ticket.text()

    entities = extract(ticket)

    assert Entities.model_validate(entities.model_dump()) == entities  # a valid Entities
    assert entities.ticket_id == "p1"
    # values come from the text with URL user-info removed (a credential is never an entity)
    readable = without_credentials(text)
    for name in _SUBSTRING_FIELDS:
        values = getattr(entities, name)
        assert len(values) <= 25, name
        for value in values:
            assert value, name
            assert value in readable or value in readable.lower(), (name, value)
    for status in entities.http_statuses:
        assert 100 <= status <= 599 and str(status) in text
    for when in entities.times:
        assert when.tzinfo is not None


# --- config loading ------------------------------------------------------------------------

_YAML_PIECES = [
    "ticket_source: ",
    "llm:\n",
    "  model: ",
    "connectors:\n",
    "  t: {type: file, path: x}\n",
    "investigation: {timeout: ",
    "sla:\n  urgent: {first_response: 1h, resolution: 4h}\n",
    "redaction: {enabled: ",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object/apply:os.system ['true']",
    "!!int ",
    "!!bool ",
    "!!timestamp ",
    "!!str ",
    "!!binary ",
    "!x ",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "? ",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "|\n",
    ">\n",
    "#",
    "\n",
    "  ",
    "\t",
    "${X}",
    "${X:-d}",
    "${",
    "2026-02-30",
    "1e999",
    "0x1F",
    "yes",
    "null",
    "~",
    "true",
    "30s",
    "\x00",
    "\x1b",
    "\ufeff",
    "é",
]
YAMLISH = st.lists(st.sampled_from(_YAML_PIECES) | st.text(max_size=5), max_size=30).map("".join)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["30s", "1h", "file", "${X}", "${X:-y}", "offline", "tickets"]),
)
_KEYS = st.one_of(
    st.sampled_from(
        [
            "ticket_source",
            "llm",
            "provider",
            "model",
            "investigation",
            "timeout",
            "lookback",
            "connectors",
            "type",
            "path",
            "sla",
            "urgent",
            "redaction",
            "enabled",
            "sensitive",
            "max_evidence",
        ]
    ),
    st.text(max_size=8),
)
_RANDOM_DICTS = st.dictionaries(
    _KEYS,
    st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=6,
)
_DURATION = st.sampled_from(["30s", "15m", "24h", "7d", "1h30m", 5, 0, 1.5, "-1s", "1y"]) | _SCALARS
_SHAPED = st.fixed_dictionaries(  # the real schema's keys with random values: often valid
    {},
    optional={
        "ticket_source": _SCALARS,
        "llm": st.fixed_dictionaries(
            {},
            optional={
                "provider": st.sampled_from(["auto", "offline", "anthropic", "openai", "x"]),
                "model": st.text(max_size=20),
                "max_tokens": st.integers(-5, 10**6),
                "timeout": _DURATION,
                "max_retries": st.integers(-1, 12),
                "stream": _SCALARS,
            },
        ),
        "investigation": st.fixed_dictionaries(
            {},
            optional={
                "lookback": _DURATION,
                "timeout": _DURATION,
                "connector_timeout": _DURATION,
                "max_evidence": st.integers(-1, 600),
            },
        ),
        "redaction": st.fixed_dictionaries(
            {},
            optional={"enabled": _SCALARS, "sensitive": st.lists(st.text(max_size=10), max_size=3)},
        ),
        "sla": st.dictionaries(
            st.sampled_from(["urgent", "high", "normal", "low"]) | st.text(max_size=5),
            st.fixed_dictionaries({"first_response": _DURATION, "resolution": _DURATION}),
            max_size=3,
        ),
        "connectors": st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.dictionaries(_KEYS, _SCALARS, max_size=4),
            max_size=3,
        ),
    },
)
NESTED = _RANDOM_DICTS | _SHAPED


def _parsed(text: str) -> Any:
    try:
        data = yaml.safe_load(text)
        json.dumps(data, default=str)  # a self-referencing alias raises here: not walkable
        return data
    except Exception:  # whatever PyYAML makes of it; the loader under test decides
        return None


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _load(folder: Path, text: str) -> LoadedConfig | None:
    path = folder / "random.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_config(path, env={"X": "${X}"})
    except ConfigError as exc:
        assert exc.message and str(path) in exc.message
        assert exc.exit_code == 2
        event("config error")
        return None
    event("loaded")
    return loaded


@FAST
@given(YAMLISH)
@example("ticket_source: t\nconnectors:\n  t: {type: file, path: '${X}'}\n")
@example("a: &a [*a, *a]\n")
def test_random_yaml_text_loads_or_is_a_config_error(folder: Path, text: str) -> None:
    loaded = _load(folder, text)
    if loaded is not None:
        assert loaded.path == (folder / "random.yaml").resolve()
        assert loaded.settings.investigation.max_evidence >= 1


@FAST
@given(NESTED)
@example({"llm": {"model": "${X}"}, "connectors": {"t": {"type": "file", "path": "${X}"}}})
@example({"sla": {"urgent": {"first_response": "1h", "resolution": "4h"}}})
def test_random_nested_dicts_load_or_are_a_config_error(folder: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    loaded = _load(folder, text)
    if loaded is None:
        return
    llm, investigation = data.get("llm"), data.get("investigation")
    if isinstance(llm, dict) and isinstance(llm.get("model"), str) and "$" not in llm["model"]:
        assert loaded.settings.llm.model == llm["model"]  # what was written is what is used
    if isinstance(investigation, dict) and "max_evidence" in investigation:
        assert loaded.settings.investigation.max_evidence == investigation["max_evidence"]


# --- renderers ----------------------------------------------------------------------------

_TEXT = HOSTILE_TEXT
_URL = st.one_of(
    st.none(),
    _TEXT,
    st.sampled_from(
        [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "https://ok.example/a?b=1",
            "https://x.example/](javascript:alert(1))",
            "https://x.example/<script>",
            "data:text/html,<script>alert(1)</script>",
            "https://x.example/\x1b]8;;javascript:x\x07",
        ]
    ),
)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    n = draw(st.integers(min_value=0, max_value=4))
    evidence = [
        Evidence(
            id=f"E{i + 1}",
            source=draw(_TEXT),
            kind="log",
            timestamp=T0,
            title=draw(_TEXT),
            url=draw(_URL),
            score=1.0,
            query=draw(_TEXT),
            reasons=[draw(_TEXT)],
        )
        for i in range(n)
    ]
    cited = [e.id for e in evidence]
    return Report(
        ticket=TicketSummary(
            id=draw(_TEXT),
            subject=draw(_TEXT),
            requester=Person(name=draw(_TEXT), email=draw(_TEXT)),
            organization=Organization(id=draw(_TEXT), name=draw(_TEXT)),
            created_at=T0,
            priority=draw(_TEXT),
            status=draw(_TEXT),
        ),
        window=Window(start=T0, end=T0),
        entities=Entities(emails=[draw(_TEXT)]),
        sources=[
            SourceResult(
                name=draw(_TEXT), type="log_file", status="error", error=draw(st.none() | _TEXT)
            )
        ],
        evidence=evidence,
        analysis=Analysis(
            analyst=draw(_TEXT),
            summary=draw(_TEXT),
            root_cause=RootCause(statement=draw(_TEXT), evidence=cited),
            alternatives=[Alternative(statement=draw(_TEXT), why_less_likely=draw(_TEXT))],
            timeline=[TimelineEntry(timestamp=T0, event=draw(_TEXT))],
            customer_impact=draw(_TEXT),
            escalation=Escalation(team=draw(_TEXT), reason=draw(_TEXT)),
            gaps=[draw(_TEXT)],
            next_steps=[draw(_TEXT)],
            draft_reply=draw(_TEXT),
            internal_note=draw(_TEXT),
        ),
        sla=SLA(),
        generated_at=T0,
    )


_HEADING = re.compile(
    r"^(# Ticket .*|## (Root cause|Escalation|Evidence|Timeline|Sources|Gaps|Next steps|"
    r"Draft reply|Internal note)|### (Alternatives|Why they ranked there))$"
)
_EVERYWHERE = "".join(ANSI_SEQUENCES) + RICH_MARKUP + RTL + FAKE_EVIDENCE
_WORST = Report(
    ticket=TicketSummary(id="# 1", subject="\n# Heading\n<script>", created_at=T0),
    window=Window(start=T0, end=T0),
    entities=Entities(),
    sources=[SourceResult(name=_EVERYWHERE, type="x", status="error", error=_EVERYWHERE)],
    evidence=[
        Evidence(
            id="E1",
            source=_EVERYWHERE,
            kind="log",
            title="](javascript:alert(1)) <script>",
            url="javascript:alert(1)",
        )
    ],
    analysis=Analysis(
        analyst="x",
        summary="#x",
        root_cause=RootCause(statement="\n\n# Root\n<script>\n```\n# in fence?"),
        draft_reply="# reply\n\r# cr heading\n\u2028# ls heading\n<SCRIPT>",
        internal_note="```\n# escaped the fence?\n```\n<script>",
    ),
    sla=SLA(),
    generated_at=T0,
)


@FAST
@given(reports(), st.booleans())
@example(_WORST, True)
def test_markdown_never_lets_input_add_markup(report: Report, verbose: bool) -> None:
    text = render_markdown(report, verbose)

    in_fence = False
    fences = 0
    for line in re.split(r"\r\n|\r|\n", text):
        if line.startswith("```"):
            in_fence, fences = not in_fence, fences + 1
            continue
        if in_fence:
            continue  # the internal note: shown as code, never rendered
        if line.lstrip().startswith("#"):
            assert _HEADING.match(line), line
        for token in ("<script", "](javascript:", "](<javascript:", "<evidence"):
            assert not unescaped(token, line), (token, line)
    assert fences == 2 and not in_fence  # the internal note's fence cannot be closed early
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


@FAST
@given(reports())
@example(_WORST)
def test_json_round_trips_any_report(report: Report) -> None:
    text = to_text(report, "json")

    assert "\x1b" not in text and "\x00" not in text
    assert Report.model_validate(json.loads(text)) == report


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports(), st.integers(min_value=20, max_value=160), st.booleans())
@example(_WORST, 80, True)
def test_rich_render_of_any_report_is_inert(report: Report, width: int, verbose: bool) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system="truecolor")

    render_terminal(report, console, verbose)

    out = buffer.getvalue()
    leftover = SGR_RE.sub("", out)  # our own colours are the only escapes allowed
    assert "\x1b" not in leftover, repr(leftover[leftover.index("\x1b") :][:40])
    assert not re.search(
        "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", leftover
    )
