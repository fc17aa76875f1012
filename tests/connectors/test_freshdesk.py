"""`freshdesk`: ticket + requester/company includes, every conversation page through the
`link` header, private notes, attachments listed, Retry-After, failures, exit codes, and the
requester's recent tickets, against a fake that enforces Freshdesk's documented contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stamina
from busyclock import Stopwatch
from fakes.anthropic_api import raw_reply
from fakes.freshdesk import (
    FakeFreshdesk,
    make_attachment,
    make_conversation,
    make_requester,
    make_ticket,
)

from investigate.context import Context
from investigate.errors import SourceError, TicketNotFound
from investigate.evidence import entities as entity_mod
from investigate.models import Window
from investigate.sdk.contract import Query
from investigate_connectors.freshdesk import Freshdesk

KEY = "fd_fake_key_123"
WINDOW = Window(
    start=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
)


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk(api_key=KEY) as server:
        yield server
        server.check()


DANA = make_requester(11, name="Dana Scully", email="dana@acme.io")


def seed(fake: FakeFreshdesk, replies: int = 5) -> None:
    convs = [
        make_conversation(
            i,
            7,
            body=f"<div>Reply {i}<br>with&nbsp;details</div><style>.x{{}}</style>",
            private=i % 2 == 0,
            user_id=11 if i == 1 else 3001,
            attachments=[make_attachment("trace.har", 3 * 1024 * 1024, "application/json")]
            if i == 1
            else None,
        )
        for i in range(1, replies + 1)
    ]
    fake.add_ticket(make_ticket(7, requester=DANA), convs, requester=DANA)


def connector(fake: FakeFreshdesk, **extra: Any) -> Freshdesk:
    section = {"type": "freshdesk", "base_url": fake.url, "api_key": KEY, **extra}
    return Freshdesk("helpdesk", Freshdesk.config_model.model_validate(section), Context())


async def test_ticket_with_every_conversation_page(fake: FakeFreshdesk) -> None:
    seed(fake, replies=5)
    fake.page_size = 2  # 5 conversations → 3 pages via the link header
    ticket = await connector(fake).fetch_ticket("7")
    assert ticket.url == f"{fake.url}/a/tickets/7"
    assert ticket.subject == "CSV export fails"
    assert ticket.description == "Every export fails with ERR_EXPORT_SERIALIZE."
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.organization.id == "55" and ticket.organization.name == "Acme Corp"
    assert ticket.status == "open" and ticket.priority == "high"
    assert ticket.custom_fields == {"cf_account_id": "acc_1042"}
    assert [c.body.split("\n")[0] for c in ticket.comments] == [f"Reply {i}" for i in range(1, 6)]
    assert ticket.comments[0].body.startswith("Reply 1\nwith details")
    assert "[attachments: trace.har (3.0 MB, application/json)]" in ticket.comments[0].body
    assert [c.public for c in ticket.comments] == [True, False, True, False, True]
    assert ticket.comments[0].author == "Dana Scully"
    assert len(ticket.raw["conversations"]) == 5
    pages = [r for r in fake.requests if r.path.endswith("/conversations")]
    assert len(pages) == 3
    assert "include=requester%2Ccompany%2Cstats" in fake.requests[0].query


async def test_missing_ticket(fake: FakeFreshdesk) -> None:
    with pytest.raises(TicketNotFound, match="ticket 8 not found in Freshdesk"):
        await connector(fake).fetch_ticket("8")


async def test_retry_after_on_429(fake: FakeFreshdesk) -> None:
    seed(fake, replies=1)
    fake.script(raw_reply(429, "{}", {"Retry-After": "1"}), path="/conversations")
    started = Stopwatch()
    ticket = await connector(fake).fetch_ticket("7")
    assert len(ticket.comments) == 1 and started.wall >= 0.9


async def test_429_beyond_the_deadline_fails_fast_with_one_line(fake: FakeFreshdesk) -> None:
    seed(fake)
    fake.script(raw_reply(429, "{}", {"Retry-After": "3600"}), path="/tickets/7")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).fetch_ticket("7")
    assert started.busy_free < 5
    assert "HTTP 429" in info.value.message and "\n" not in info.value.message


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (raw_reply(500, "{}"), "HTTP 500"),
        (raw_reply(200, "[1, 2"), "invalid JSON"),
        (raw_reply(200, "[]"), "returned no ticket"),
    ],
)
async def test_failures(fake: FakeFreshdesk, reply: Any, expected: str) -> None:
    fake.script(reply, path="/tickets/7")
    with pytest.raises(SourceError) as info:
        await connector(fake).fetch_ticket("7")
    assert expected in info.value.message and KEY not in info.value.message


async def test_huge_conversation_page_is_capped(fake: FakeFreshdesk) -> None:
    fake.add_ticket(
        make_ticket(7, requester=DANA),
        [make_conversation(1, 7, body="<p>" + "y" * 40_000 + "</p>")],
        requester=DANA,
    )
    with pytest.raises(SourceError, match="larger than 20,000 bytes"):
        await connector(fake, max_response_bytes=20_000).fetch_ticket("7")


async def test_requesters_recent_tickets_and_the_honest_note(fake: FakeFreshdesk) -> None:
    seed(fake, replies=1)
    for i, day in ((20, 20), (21, 22), (22, 23)):
        fake.add_ticket(
            make_ticket(
                i, requester=DANA, subject=f"older {i}", created_at=f"2026-11-{day}T10:00:00Z"
            )
        )
    fake.add_ticket(make_ticket(30, requester=make_requester(99)), requester=make_requester(99))
    z = connector(fake, max_recent=2)
    ticket = await z.fetch_ticket("7")
    out = await z.collect(Query(ticket, entity_mod.extract(ticket), WINDOW))
    assert [e.record["id"] for e in out.evidence] == ["22", "21"]
    assert all(e.kind == "ticket" and e.relation == "requester" for e in out.evidence)
    assert "cannot match free text" in out.notes[0]
    listing = next(r for r in fake.requests if r.path == "/api/v2/tickets")
    assert "requester_id=11" in listing.query


async def test_check(fake: FakeFreshdesk) -> None:
    good = await connector(fake).check()
    assert good[0].ok and "kay@acme.io" in good[0].detail
    bad = await connector(fake, api_key="wrongkey999").check()
    assert not bad[0].ok and "HTTP 401" in bad[0].detail and "api_key" in bad[0].detail
    assert "wrongkey999" not in bad[0].detail


def test_cli_exit_codes(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seed(fake)
    config = {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {
            "helpdesk": {
                "type": "freshdesk",
                "base_url": fake.url,
                "api_key": "${FRESHDESK_API_KEY}",
            }
        },
    }
    path = str(write_config(config))
    monkeypatch.setenv("FRESHDESK_API_KEY", KEY)
    missing = cli("ticket", "12345", "-c", path)
    assert missing.code == 3 and "ticket 12345 not found" in missing.err
    monkeypatch.setenv("FRESHDESK_API_KEY", "bad-key-000")
    denied = cli("ticket", "7", "-c", path)
    assert denied.code == 4 and "HTTP 401" in denied.err and "FRESHDESK_API_KEY" in denied.err
    assert "(e.g. ${FRESHDESK_API_KEY})" in " ".join(denied.err.split())  # not ${{…}}
    assert "bad-key-000" not in denied.err + denied.out


# --- --post-note: a private note -------------------------------------------------------------


def test_post_note_adds_one_private_note_and_a_rerun_none(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice

    seed(fake)
    fake.note_key = "fd_note_key_999"
    section = {"type": "freshdesk", "base_url": fake.url, "api_key": KEY}
    section["write_back"] = {"enabled": True, "token": "fd_note_key_999"}
    config = {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {"helpdesk": section},
    }
    note = post_twice(cli, write_config, config, "7", lambda: fake.notes)
    assert note["private"] is True and set(note) == {"body", "private"}
    assert "<h3>Root cause</h3>" in note["body"] and "investigate-note:v1:" in note["body"]
    writes = [r for r in fake.requests if r.method != "GET"]
    assert [r.path for r in writes] == ["/api/v2/tickets/7/notes"]
