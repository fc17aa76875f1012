"""`helpscout`: the OAuth client-credentials grant (the one allow-listed POST), HAL threads with
`_links.next` paging, notes as internal comments, the customer's organisation, related
conversations, X-RateLimit-Retry-After, failures and exit codes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stamina
from fakes.anthropic_api import raw_reply
from fakes.helpscout import (
    FakeHelpScout,
    make_attachment,
    make_conversation,
    make_customer,
    make_thread,
)

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError, TicketNotFound
from investigate.evidence import entities as entity_mod
from investigate.evidence import incidents
from investigate.models import Window
from investigate.sdk.contract import Query
from investigate_connectors.helpscout import HelpScout, token_body_only

APP_ID, SECRET = "hs_app_id_123", "hs_secret_456"
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
def fake() -> Iterator[FakeHelpScout]:
    with FakeHelpScout(app_id=APP_ID, app_secret=SECRET) as server:
        yield server
        server.check()


def seed(fake: FakeHelpScout, replies: int = 3) -> None:
    fake.add_customer(make_customer(501, first="Dana", email="dana@acme.io"))
    threads = [
        make_thread(
            1,
            "customer",
            "<p>Every export fails with <b>ERR_EXPORT_SERIALIZE</b></p>",
            by=("customer", "Dana", "Scully"),
            when="2026-11-24T11:00:00Z",
            attachments=[make_attachment("shot.png", 204800, "image/png")],
        ),
        make_thread(2, "lineitem", None, when="2026-11-24T11:01:00Z"),
    ]
    for i in range(3, replies + 3):
        threads.append(
            make_thread(
                i,
                "note" if i % 2 else "message",
                f"<div>Reply {i}</div><script>x()</script>",
                when=f"2026-11-24T11:{i:02d}:00Z",
            )
        )
    fake.add_conversation(make_conversation(1001), threads)


def connector(fake: FakeHelpScout, **extra: Any) -> HelpScout:
    section = {
        "type": "helpscout",
        "base_url": fake.url,
        "app_id": APP_ID,
        "app_secret": SECRET,
        **extra,
    }
    return HelpScout("helpdesk", HelpScout.config_model.model_validate(section), Context())


async def test_conversation_threads_customer_and_link(fake: FakeHelpScout) -> None:
    seed(fake, replies=3)
    ticket = await connector(fake).fetch_ticket("1001")
    assert ticket.url == "https://secure.helpscout.net/conversation/1001/51"
    assert ticket.subject == "CSV export fails"
    assert ticket.description == (
        "Every export fails with ERR_EXPORT_SERIALIZE\n\n[attachments: shot.png (200.0 KB, image/png)]"
    )
    assert [(c.body, c.public) for c in ticket.comments] == [
        ("Reply 3", False),
        ("Reply 4", True),
        ("Reply 5", False),
    ]
    assert ticket.comments[0].author == "Agent Kay"
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.organization.id == "777" and ticket.organization.name == "Acme Corp"
    assert ticket.tags == ["exports"] and ticket.custom_fields == {"Account": "acc_1042"}
    assert ticket.status == "active" and ticket.raw["conversation"]["id"] == 1001
    token_call = fake.requests[0]
    assert token_call.method == "POST" and token_call.path == "/v2/oauth2/token"
    assert all(r.method == "GET" for r in fake.requests[1:])
    assert "embed=threads" in fake.requests[1].query


async def test_threads_page_through_links_next_and_token_is_reused(fake: FakeHelpScout) -> None:
    seed(fake, replies=10)  # 12 threads
    fake.embed_limit, fake.page_size = 5, 5
    z = connector(fake)
    ticket = await z.fetch_ticket("1001")
    assert [c.body for c in ticket.comments] == [f"Reply {i}" for i in range(3, 13)]
    pages = [r for r in fake.requests if r.path.endswith("/threads")]
    assert len(pages) == 3
    await z.fetch_ticket("1001")
    assert fake.tokens_issued == 1


async def test_bad_app_credentials(fake: FakeHelpScout) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, app_secret="nope-nope-nope").fetch_ticket("1001")
    assert "HTTP 401" in info.value.message and "app_secret" in (info.value.hint or "")
    assert "(e.g. ${HELPSCOUT_APP_ID}, ${HELPSCOUT_APP_SECRET})" in (info.value.hint or "")
    assert "nope-nope-nope" not in info.value.message


async def test_missing_conversation(fake: FakeHelpScout) -> None:
    with pytest.raises(TicketNotFound, match="ticket 4040 not found in Help Scout"):
        await connector(fake).fetch_ticket("4040")


async def test_rate_limit_header(fake: FakeHelpScout) -> None:
    seed(fake)
    fake.script(raw_reply(429, "{}", {"X-RateLimit-Retry-After": "1"}), path="/conversations/1001")
    started = time.monotonic()
    await connector(fake).fetch_ticket("1001")
    assert time.monotonic() - started >= 0.9


async def test_malformed_json_is_one_line(fake: FakeHelpScout) -> None:
    seed(fake)
    fake.script(raw_reply(200, "{{{"), path="/conversations/1001")
    with pytest.raises(SourceError, match="invalid JSON"):
        await connector(fake).fetch_ticket("1001")


async def test_guard_allows_only_the_client_credentials_grant(fake: FakeHelpScout) -> None:
    z = connector(fake)
    async with z._client(None, None) as client:
        with pytest.raises(ReadOnlyViolation):
            await client.post("/v2/conversations", json={"subject": "x"})
        with pytest.raises(ReadOnlyViolation):
            await client.post(
                "/v2/oauth2/token",
                data={"grant_type": "password", "client_id": "a", "client_secret": "b"},
            )
        with pytest.raises(ReadOnlyViolation):
            await client.post("/v2/oauth2/token/../../conversations", data={})
    assert fake.requests == []
    with pytest.raises(ReadOnlyViolation):
        token_body_only(b"grant_type=client_credentials&client_id=a&client_secret=b&x=1")
    token_body_only(b"grant_type=client_credentials&client_id=a&client_secret=b")


async def test_related_conversations(fake: FakeHelpScout) -> None:
    seed(fake)
    for i, (cust, created) in enumerate(
        [
            (601, "2026-11-24T10:30:00Z"),
            (602, "2026-11-24T09:00:00Z"),
            (501, "2026-11-24T08:00:00Z"),
        ]
    ):
        fake.add_conversation(
            make_conversation(2000 + i, customer=cust, createdAt=created, subject=f"broken {i}"),
            [make_thread(50 + i, "customer", "<p>ERR_EXPORT_SERIALIZE here too</p>", when=created)],
        )
    fake.add_conversation(
        make_conversation(2100, customer=603, createdAt="2026-11-20T08:00:00Z"),
        [make_thread(60, "customer", "<p>ERR_EXPORT_SERIALIZE long ago</p>")],
    )
    z = connector(fake)
    ticket = await z.fetch_ticket("1001")
    out = await z.collect(Query(ticket, entity_mod.extract(ticket), WINDOW))
    related = [e for e in out.evidence if e.relation == "same_signature"]
    mine = [e for e in out.evidence if e.relation == "requester"]
    assert [e.record["id"] for e in related] == ["2000", "2001"]
    assert [e.record["id"] for e in mine] == ["2002"]
    assert '(body:"ERR_EXPORT_SERIALIZE" AND createdAt:[2026-11-23T11:00:00Z TO *])' in fake.queries
    assert incidents.suspect(related, ticket).suspected


async def test_hostile_signature_cannot_break_the_query(fake: FakeHelpScout) -> None:
    seed(fake)
    z = connector(fake, max_recent=0)
    ticket = await z.fetch_ticket("1001")
    hostile = 'ERR_X") OR (customerIds:1'
    found = entity_mod.extract(ticket).model_copy(update={"error_codes": [hostile]})
    await z.collect(Query(ticket, found, WINDOW))
    assert fake.queries == [
        '(body:"ERR_X OR customerIds:1" AND createdAt:[2026-11-23T11:00:00Z TO *])'
    ]


async def test_check(fake: FakeHelpScout) -> None:
    good = await connector(fake).check()
    assert good[0].ok and "kay@acme.io" in good[0].detail and good[1].warning
    bad = await connector(fake, app_id="wrong-app").check()
    assert not bad[0].ok and "app_id" in bad[0].detail


def test_cli_exit_codes(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seed(fake)
    config = {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {
            "helpdesk": {
                "type": "helpscout",
                "base_url": fake.url,
                "app_id": "${HELPSCOUT_APP_ID}",
                "app_secret": "${HELPSCOUT_APP_SECRET}",
            }
        },
    }
    path = str(write_config(config))
    monkeypatch.setenv("HELPSCOUT_APP_ID", APP_ID)
    monkeypatch.setenv("HELPSCOUT_APP_SECRET", SECRET)
    missing = cli("ticket", "31337", "-c", path)
    assert missing.code == 3 and "ticket 31337 not found" in missing.err
    monkeypatch.setenv("HELPSCOUT_APP_SECRET", "leaked-secret-zz")
    denied = cli("ticket", "1001", "-c", path)
    assert denied.code == 4 and "HELPSCOUT_APP_SECRET" in denied.err
    assert "leaked-secret-zz" not in denied.err + denied.out


async def test_huge_conversation_is_capped(fake: FakeHelpScout) -> None:
    fake.add_conversation(
        make_conversation(1001), [make_thread(1, "customer", "<p>" + "w" * 30_000 + "</p>")]
    )
    with pytest.raises(SourceError, match="larger than 20,000 bytes"):
        await connector(fake, max_response_bytes=20_000).fetch_ticket("1001")


# --- --post-note: a note thread --------------------------------------------------------------


def test_post_note_adds_one_note_thread_and_a_rerun_none(cli, write_config, fake) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice

    seed(fake)
    section = {"type": "helpscout", "base_url": fake.url, "app_id": APP_ID, "app_secret": SECRET}
    section["write_back"] = {"enabled": True, "token": fake.note_token}
    config = {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {"helpdesk": section},
    }
    note = post_twice(cli, write_config, config, "1001", lambda: fake.notes)
    assert set(note) == {"text"} and "DRAFT reply" in note["text"]
    writes = [r for r in fake.requests if r.path.endswith("/notes")]
    assert len(writes) == 1 and writes[0].headers["authorization"] == f"Bearer {fake.note_token}"
