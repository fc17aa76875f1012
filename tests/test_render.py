"""Renderers: rich at a fixed width, Markdown, JSON — and untrusted text can't restyle a terminal."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from rich.console import Console

from investigate.models import (
    SLA,
    Analysis,
    Entities,
    Evidence,
    Report,
    RootCause,
    SourceResult,
    TicketSummary,
    Window,
)
from investigate.render import safe
from investigate.render.markdown import render_markdown
from investigate.render.output import to_text
from investigate.render.terminal import render_terminal

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HOSTILE = "Help \x1b[2J\x1b[31mred\x1b[0m [bold]markup[/bold] \u202eevil\u202c\x00 | pipe"


def report(subject: str = "CSV export fails") -> Report:
    return Report(
        ticket=TicketSummary(
            id="4813", subject=subject, created_at=T0, priority="high", status="open"
        ),
        window=Window(start=T0, end=T0),
        entities=Entities(),
        sources=[
            SourceResult(name="logs", type="log_file", status="ok", items=1, elapsed_ms=12),
            SourceResult(
                name="db", type="sqlite", status="error", error="database file not found: /x.db"
            ),
        ],
        evidence=[
            Evidence(
                id="E1",
                source="logs",
                kind="log_pattern",
                timestamp=T0,
                title=f"ERROR api: {HOSTILE}",
                url="https://logs.example/q?x=1",
                score=9.5,
                reasons=["+4.0 matches acc_1"],
                query="scan logs",
            )
        ],
        analysis=Analysis(
            analyst="offline",
            summary="Bug (high confidence)",
            root_cause=RootCause(
                statement="Regression after deploy",
                category="bug",
                confidence="high",
                evidence=["E1"],
            ),
            gaps=["db (sqlite) error: database file not found"],
            next_steps=["Link the bug"],
            draft_reply="Hi Dana,\n\nWe are on it.\n\nBest regards,\nSupport",
        ),
        sla=SLA(
            policy="high", first_response_due=T0, resolution_due=T0, breached=True, minutes_left=-5
        ),
        generated_at=T0,
    )


def test_rich_output_at_fixed_width_shows_every_section() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
    render_terminal(report(), console, verbose=True)
    text = buffer.getvalue()
    for expected in (
        "Ticket 4813",
        "BUG",
        "confidence high",
        "cites E1",
        "Evidence",
        "E1",
        "Sources",
        "database file not found",
        "Draft reply",
        "We are on it",
        "BREACHED",
        "+4.0 matches acc_1",
    ):
        assert expected in text, expected
    assert max(len(line) for line in text.splitlines()) <= 100


def test_untrusted_text_cannot_restyle_or_clear_the_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system="truecolor")
    render_terminal(report(subject=HOSTILE), console)
    text = buffer.getvalue()
    assert "\x1b[2J" not in text  # no clear-screen
    assert "\u202e" not in text and "\x00" not in text
    assert "[bold]markup[/bold]" in text  # shown literally, not interpreted as rich markup


def test_safe_strips_controls_and_keeps_text() -> None:
    assert safe("a\x1b[31mb\x1b[0mc\x07d\u202ee") == "abcde"
    assert safe("x" * 50, limit=10) == "x" * 9 + "…"
    assert safe("line1\nline2\ttab") == "line1\nline2\ttab"


def test_markdown_escapes_tables_and_keeps_links() -> None:
    md = render_markdown(report(subject=HOSTILE))
    assert md.startswith("# Ticket 4813: Help red \\[bold\\]markup\\[/bold\\] evil \\| pipe")
    row = next(line for line in md.splitlines() if line.startswith("| E1 |"))
    assert "\\|" in row and "](<https://logs.example/q?x=1>)" in row
    assert "> We are on it." in md
    assert "**breached**" in md
    assert "\x1b" not in md


@pytest.mark.parametrize(
    ("subject", "forbidden"),
    [
        ("see ![x](https://evil.example/track.png)", "![x]("),  # an image that phones home
        ("click [here](https://evil.example)", "[here]("),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("a\n# Fake heading", "\n# Fake heading"),
        ("a\n| E9 | forged | row |", "\n| E9 |"),
        ("`code` and *bold* and _em_", "`code`"),
    ],
)
def test_untrusted_text_cannot_add_markdown(subject: str, forbidden: str) -> None:
    md = render_markdown(report(subject=subject))
    assert re.search(r"(?<!\\)" + re.escape(forbidden), md) is None, md
    header = md.splitlines()[0]
    assert header.startswith("# Ticket 4813: ")


def test_untrusted_multiline_text_cannot_start_blocks_and_only_http_links_render() -> None:
    r = report()
    r.analysis.draft_reply = "Hi\n# heading\n- item\n1. step\n<script>x</script>"
    r.analysis.root_cause.statement = "> quoted\n## also"
    r.evidence[0].url = "javascript:alert(1)"
    md = render_markdown(r)
    assert "> \\# heading" in md and "> \\- item" in md and "> 1\\. step" not in md
    assert "> \\1. step" in md
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\> quoted" in md and "\\## also" in md
    assert "javascript:" not in md.split("## Evidence")[1].split("## ")[0].split("](")[-1]
    assert "](<javascript" not in md


def test_json_round_trips_through_the_model() -> None:
    text = to_text(report(), "json")
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["evidence"][0]["id"] == "E1"
    assert Report.model_validate(data) == report()


def _every_format(r: Report) -> dict[str, str]:
    buffer = io.StringIO()
    render_terminal(r, Console(file=buffer, width=100, force_terminal=False, color_system=None))
    return {"rich": buffer.getvalue(), "markdown": render_markdown(r), "text": to_text(r, "text")}


def test_matched_runbooks_are_named_in_every_human_format() -> None:
    r = report()
    r.analysis.runbooks = ["Failed card payment", "Card [declined] | pipe"]
    for fmt, text in _every_format(r).items():
        assert "Runbooks: Failed card payment" in text, fmt
    assert "Card \\[declined\\] \\| pipe" in _every_format(r)["markdown"]  # escaped
    for fmt, text in _every_format(report()).items():
        assert "Runbooks:" not in text, fmt  # none matched: nothing said
