"""The note renderer: each helpdesk's markup, the sections an agent needs, and untrusted text
(ticket, systems, analyst) that cannot add a link, image, mention, macro or placeholder."""

from __future__ import annotations

import json
import re

import pytest

from investigate.evidence.redaction import Redactor
from investigate.models import Report
from investigate.notemarker import evidence_hash, last_marker, marker_for, without_our_notes
from investigate.render.note import NoteFormat, render_note
from investigate.secrets import MASKER

EVIL = (
    'see <a href="https://evil.example/a">here</a> [x](https://evil.example/b) '
    "![img](https://evil.example/c.png) @oncall [~admin] {{ticket.requester.email}} "
    "{% raw %} {color:red}hi{color} [link|https://evil.example/d] www.evil.example"
)


@pytest.fixture(scope="module")
def demo_report() -> Report:
    import contextlib
    import io

    from investigate.cli import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = run(["ticket", "4813", "--config", "config.example.yaml", "-f", "json"])
    assert code == 0
    return Report.model_validate(json.loads(out.getvalue()))


def hostile(report: Report) -> Report:
    r = report.model_copy(deep=True)
    r.analysis.root_cause.statement = EVIL
    r.analysis.summary = EVIL
    r.analysis.draft_reply = f"Hi,\n{EVIL}\n# heading\n> quote"
    r.analysis.next_steps = [EVIL]
    r.analysis.escalation.reason = EVIL
    r.ticket.subject = EVIL
    r.evidence[0].title = EVIL
    r.evidence[1].url = "javascript:alert(1)"
    return r


@pytest.mark.parametrize("fmt", ["html", "markdown", "jira"])
def test_injection_cannot_add_links_mentions_macros_or_placeholders(
    demo_report: Report, fmt: NoteFormat
) -> None:
    body = render_note(hostile(demo_report), fmt, marker_for(demo_report))
    assert "evil.example" in body  # still readable, as text
    assert "://evil" not in body and "www.evil" not in body
    assert "@oncall" not in body and "{{" not in body and "{%" not in body
    assert "javascript:" not in body
    if fmt == "html":
        assert '<a href="https://evil' not in body and "<img" not in body
        assert body.count("<a href=") == sum(
            1 for line in body.split("<li>") if '<a href="https://' in line
        )
    if fmt == "markdown":
        targets = re.findall(r"(?<!\\)\]\((\S*)\)", body)  # every link is an evidence URL
        assert targets and all(
            t.strip("<>") in {e.url for e in demo_report.evidence} for t in targets
        )
        assert "![" not in body
        assert "\n# heading" not in body and "\\[x\\]" in body
    if fmt == "jira":
        assert not re.search(r"(?<!\\)(\[~admin|\{color|\[link)", body)
        assert "\\[\\~admin\\]" in body


@pytest.mark.parametrize("fmt", ["html", "markdown", "jira"])
def test_the_note_has_what_an_agent_needs(demo_report: Report, fmt: NoteFormat) -> None:
    body = render_note(demo_report, fmt, marker_for(demo_report))
    for part in ("Root cause", "Evidence", "Escalation", "SLA", "DRAFT reply", "not sent"):
        assert part in body
    assert "https://ci.acme-metrics.example/deploys/api/v2.14.0" in body  # the deploy, linked
    assert body.rstrip().endswith(marker_for(demo_report) + ("</p>" if fmt == "html" else ""))
    cited = demo_report.analysis.root_cause.evidence
    assert all(i in body for i in cited)


def test_secrets_never_and_pii_only_when_asked(demo_report: Report) -> None:
    r = demo_report.model_copy(deep=True)
    MASKER.add("sk_live_supersecretvalue123")
    r.analysis.root_cause.statement = "key sk_live_supersecretvalue123 for dana@acme.io"
    plain = render_note(r, "html", "m")
    assert "sk_live_supersecretvalue123" not in plain and "dana" in plain
    redacted = render_note(r, "html", "m", Redactor())
    assert "dana" not in redacted and "&lt;EMAIL_1&gt;" in redacted


def test_marker_follows_the_evidence_not_the_prose(demo_report: Report) -> None:
    a = demo_report.model_copy(deep=True)
    a.analysis.summary = "different words"
    a.sla.minutes_left = 5
    assert evidence_hash(a) == evidence_hash(demo_report)
    a.evidence[0].title = "a new error"
    assert evidence_hash(a) != evidence_hash(demo_report)


def test_our_notes_are_recognised_and_left_out_of_the_ticket(demo_report: Report) -> None:
    from datetime import UTC, datetime

    from investigate.models import Comment, Ticket

    old, new = marker_for(demo_report), "investigate-note:v1:" + "0" * 16
    ticket = Ticket(
        id="1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        comments=[
            Comment(body="customer text"),
            Comment(body=f"analysis ... {old}", public=False),
            Comment(body="agent reply"),
            Comment(body=f"analysis ... {new}", public=False),
        ],
    )
    assert last_marker(ticket.comments) == new
    assert [c.body for c in without_our_notes(ticket).comments] == ["customer text", "agent reply"]
