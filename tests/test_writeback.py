"""`--post-note` against the Zendesk fake, end to end through the CLI: one private comment on a
real run, none on a rerun, the dry run's request equal to the real one, refusals when disabled,
the guard refusing every other write, and ticket text that cannot inject markup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fakes.zendesk import FakeZendesk, make_comment, make_ticket, make_user

from investigate.context import Context
from investigate.errors import ReadOnlyViolation
from investigate_connectors.zendesk import Zendesk

EMAIL = "agent@acme.io"
TOKEN = "zd_read_token_123"
NOTE_EMAIL = "bot@acme.io"
NOTE_TOKEN = "zd_note_token_456"


@pytest.fixture
def fake() -> Iterator[FakeZendesk]:
    with FakeZendesk(email=EMAIL, token=TOKEN) as server:
        server.writer = (NOTE_EMAIL, NOTE_TOKEN)
        server.add_user(make_user(501, name="Dana Scully", email="dana@acme.io"))
        server.add_ticket(
            make_ticket(4812),
            comments=[make_comment(1, "<p>Every export fails with ERR_EXPORT_SERIALIZE.</p>")],
        )
        yield server
        server.check()


def config(fake: FakeZendesk, **write_back: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "type": "zendesk",
        "base_url": fake.url,
        "email": EMAIL,
        "api_token": "${ZD_READ}",
    }
    section["write_back"] = {"email": NOTE_EMAIL, "token": "${ZD_NOTE}", **write_back}
    return {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {"helpdesk": section},
    }


@pytest.fixture(autouse=True)
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZD_READ", TOKEN)
    monkeypatch.setenv("ZD_NOTE", NOTE_TOKEN)


def notes(fake: FakeZendesk) -> list[dict[str, Any]]:
    return [u["ticket"]["comment"] for u in fake.updates]


def test_a_real_run_posts_one_private_note_and_a_rerun_none(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(fake, enabled=True)))
    first = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert first.code == 0, first.err
    assert "posted an internal note on Zendesk ticket 4812" in first.err
    assert len(fake.updates) == 1
    assert fake.updates[0] == {"ticket": {"comment": fake.updates[0]["ticket"]["comment"]}}
    comment = notes(fake)[0]
    assert comment["public"] is False
    body = comment["html_body"]
    assert "Root cause" in body and "DRAFT reply" in body and "investigate-note:v1:" in body
    assert fake.comments["4812"][-1]["public"] is False
    written = [r for r in fake.requests if r.method != "GET"]
    assert len(written) == 1 and written[0].path == "/api/v2/tickets/4812.json"

    again = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert again.code == 0, again.err
    assert "same evidence: nothing to post" in again.err
    assert len(fake.updates) == 1
    # the note on the ticket is not evidence for the rerun: the report is the same
    assert again.json()["evidence"] == first.json()["evidence"]


def test_changed_evidence_posts_a_new_note_never_an_edit(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(fake, enabled=True)))
    assert cli("ticket", "4812", "-c", path, "-f", "json", "--post-note").code == 0
    fake.add_ticket(
        make_ticket(5001, organization_id=88, requester_id=601, created_at="2026-11-24T10:30:00Z"),
        comments=[],
    )
    fake.tickets["5001"]["description"] = "ERR_EXPORT_SERIALIZE here too"
    result = cli(
        "ticket", "4812", "-c", path, "-f", "json", "--post-note", "--until", "2026-11-24T12:00:00Z"
    )
    assert result.code == 0, result.err
    assert len(fake.updates) == 2
    assert [r.method for r in fake.requests if r.method != "GET"] == ["PUT", "PUT"]
    first, second = notes(fake)
    assert (
        first["html_body"].rsplit("investigate-note", 1)[1]
        != second["html_body"].rsplit("investigate-note", 1)[1]
    )


def _dry_request(err: str) -> tuple[str, dict[str, Any], str]:
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PUT "))
    blank = lines.index("", start)
    return lines[start], json.loads("\n".join(lines[blank + 1 :])), "\n".join(lines[start:blank])


def test_dry_run_prints_the_exact_request_and_sends_nothing(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(fake, enabled=True)))
    dry = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note", "--dry-run")
    assert dry.code == 0, dry.err
    assert fake.updates == [] and all(r.method == "GET" for r in fake.requests)
    line, body, headers = _dry_request(dry.err)
    assert NOTE_TOKEN not in dry.err and "authorization: ***" in headers.lower()

    real = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert real.code == 0, real.err
    sent = next(r for r in fake.requests if r.method == "PUT")
    assert line == f"PUT {fake.url}{sent.path}"
    assert body == sent.json
    assert f"content-type: {sent.headers['content-type']}" in headers.lower()


def test_dry_run_shows_the_request_even_when_disabled_but_a_real_run_refuses(
    cli, write_config, fake
) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(fake)))
    dry = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note", "--dry-run")
    assert dry.code == 0, dry.err
    assert "write-back is disabled: a real run would refuse" in dry.err
    real = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert real.code == 2
    assert "write-back is disabled for 'helpdesk'" in real.err
    assert "write_back.enabled: true" in real.err
    assert fake.updates == []


def test_dry_run_needs_post_note(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(fake, enabled=True)))
    result = cli("ticket", "4812", "-c", path, "--dry-run")
    assert result.code == 2 and "--dry-run goes with --post-note" in result.err


def test_batch_over_the_same_ids_twice_posts_once(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    fake.add_ticket(make_ticket(4813, subject="Login loop"), comments=[])
    path = str(write_config(config(fake, enabled=True)))
    first = cli("batch", "4812", "4813", "-c", path, "--post-note")
    assert first.code == 0, first.err
    assert "notes: 2 posted" in first.err
    second = cli("batch", "4812", "4813", "-c", path, "--post-note")
    assert second.code == 0, second.err
    assert "notes: 2 unchanged" in second.err
    assert len(fake.updates) == 2


SUBJECT = '<a href="https://evil.example/x">x</a> @admin {{ticket.requester.email}} {% if %}'
HOSTILE = (
    'Export fails <a href="https://evil.example/x">click</a> [docs](https://evil.example/y) '
    "@admin please {{ticket.requester.email}} {% if x %} <img src=https://evil.example/p.png> "
    "see https://evil.example/z"
)


def test_ticket_text_cannot_inject_links_mentions_or_placeholders(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    fake.add_ticket(
        make_ticket(4900, subject=SUBJECT, description=HOSTILE + " ERR_EXPORT_SERIALIZE"),
        comments=[make_comment(5, f"<p>{HOSTILE}</p>")],
    )
    path = str(write_config(config(fake, enabled=True)))
    result = cli("ticket", "4900", "-c", path, "-f", "json", "--post-note")
    assert result.code == 0, result.err
    body = notes(fake)[0]["html_body"]
    assert "evil.example" in body  # the subject is there, as text
    assert '<a href="https://evil' not in body and "<img" not in body
    assert "https://evil" not in body and "@admin" not in body
    assert "{{" not in body and "{%" not in body
    assert "&lt;a href=&quot;https[:]//evil.example/x&quot;&gt;" in body


def zendesk(fake: FakeZendesk, **write_back: Any) -> Zendesk:
    section = config(fake, **write_back)["connectors"]["helpdesk"]
    section = {
        **section,
        "api_token": TOKEN,
        "write_back": {**section["write_back"], "token": NOTE_TOKEN},
    }
    return Zendesk("helpdesk", Zendesk.config_model.model_validate(section), Context())


@pytest.mark.parametrize(
    ("method", "url", "body", "why"),
    [
        ("PUT", "/api/v2/tickets/4812.json", {"ticket": {"status": "solved"}}, "status"),
        (
            "PUT",
            "/api/v2/tickets/4812.json",
            {"ticket": {"comment": {"body": "hi", "public": False}, "assignee_id": 1}},
            "assignee_id",
        ),
        (
            "PUT",
            "/api/v2/tickets/4812.json",
            {"ticket": {"comment": {"body": "hi", "public": True}}},
            "not private",
        ),
        (
            "PUT",
            "/api/v2/tickets/4812.json",
            {"ticket": {"comment": {"body": "hi"}}},
            "not private",
        ),
        (
            "PUT",
            "/api/v2/tickets/4812.json",
            {"ticket": {"comment": {"body": "x", "public": False}, "tags": ["a"]}},
            "tags",
        ),
        ("DELETE", "/api/v2/tickets/4812.json", None, "create-note"),
        ("POST", "/api/v2/tickets.json", {"ticket": {"subject": "x"}}, "create-note"),
        ("PUT", "/api/v2/tickets/update_many.json?ids=1,2", {"ticket": {}}, "create-note"),
        ("PUT", "/api/v2/tickets/4812%2F..%2Fbulk.json", {"ticket": {}}, "create-note"),
        ("PATCH", "/api/v2/tickets/4812.json", {"ticket": {}}, "create-note"),
    ],
)
async def test_the_write_client_refuses_every_other_write(
    fake: FakeZendesk, method: str, url: str, body: Any, why: str
) -> None:
    channel = zendesk(fake, enabled=True).note_channel()
    options = replace(channel.options, write=channel.endpoint, max_attempts=1)
    async with Context().http(options) as client:
        with pytest.raises(ReadOnlyViolation, match=why):
            await client.request(method, url, json=body)
    assert fake.updates == [] and fake.requests == []


async def test_the_data_client_refuses_the_note_request_even_with_write_back_on(
    fake: FakeZendesk,
) -> None:
    connector = zendesk(fake, enabled=True)
    note = {"ticket": {"comment": {"html_body": "<p>x</p>", "public": False}}}
    async with connector.client(None) as client:
        with pytest.raises(ReadOnlyViolation, match="only reads"):
            await client.put("/api/v2/tickets/4812.json", json=note)
    assert fake.requests == []


def test_check_shows_the_write_permission(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")  # one table row per line
    on = cli("check", "-c", str(write_config(config(fake, enabled=True))))
    assert on.code == 0, on.err
    assert "PUT /api/v2/tickets/{id}.json (private comment only)" in " ".join(on.out.split())
    off = cli("check", "-c", str(write_config(config(fake), name="off.yaml")))
    assert "write-back disabled" in " ".join(off.out.split())


@pytest.mark.usefixtures("example_plugin")
def test_a_source_that_cannot_take_notes_renders_the_note_and_says_so(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    # the demo's `file` source takes notes as files now (tests/connectors/test_file_notes.py);
    # a plugin ticket source without a note channel still renders the note on a dry run only
    from example_connector import ticket

    path = str(
        write_config(
            {
                "ticket_source": "tickets",
                "llm": {"provider": "offline"},
                "connectors": {"tickets": {"type": "example", "tickets": {"4813": ticket()}}},
            }
        )
    )
    result = cli("ticket", "4813", "--config", path, "-f", "json", "--post-note", "--dry-run")
    assert result.code == 0, result.err
    assert (
        "ticket source 'tickets' (example) cannot take notes: nothing would be sent" in result.err
    )
    assert "### Root cause" in result.err and "investigate-note:v1:" in result.err
    real = cli("ticket", "4813", "--config", path, "--post-note")
    assert real.code == 2 and "cannot take notes" in real.err


def test_redact_notes_applies_the_llm_redaction_to_the_note(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    fake.add_ticket(
        make_ticket(4901, description="ERR_EXPORT_SERIALIZE for ops@brightline.example"),
        comments=[],
    )
    plain_cfg = config(fake, enabled=True)
    assert cli("ticket", "4901", "-c", str(write_config(plain_cfg)), "--post-note").code == 0
    assert "Dana" in notes(fake)[0]["html_body"]  # agents see real values by default
    redacted_cfg = config(fake, enabled=True, redact_notes=True)
    redacted_cfg["redaction"] = {"sensitive": ["Dana Scully", "Dana"]}
    fake.add_ticket(make_ticket(4902, description="ERR_EXPORT_SERIALIZE again"), comments=[])
    path = str(write_config(redacted_cfg, name="redacted.yaml"))
    assert cli("ticket", "4902", "-c", path, "--post-note").code == 0
    body = notes(fake)[1]["html_body"]
    assert "Dana" not in body and "&lt;SENSITIVE_1&gt;" in body


def test_batch_dry_run_prints_each_request_and_sends_nothing(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    fake.add_ticket(make_ticket(4813, subject="Login loop"), comments=[])
    path = str(write_config(config(fake, enabled=True)))
    result = cli("batch", "4812", "4813", "-c", path, "--post-note", "--dry-run")
    assert result.code == 0, result.err
    assert "notes: 2 dry-run" in result.err
    assert result.err.count("PUT ") == 2 and NOTE_TOKEN not in result.err
    assert fake.updates == [] and all(r.method == "GET" for r in fake.requests)


def test_a_failed_post_is_exit_4_with_the_reason(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    fake.writer = (NOTE_EMAIL, "a-different-token-000")
    path = str(write_config(config(fake, enabled=True)))
    result = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert result.code == 4
    assert "HTTP 401 from PUT" in result.err and NOTE_TOKEN not in result.err
    assert result.json()["ticket"]["id"] == "4812"  # the report was still printed
