"""`intercom`: conversation/ticket → Ticket (parts as comments, HTML → text, contact and
company), the read-only search POSTs and the guard around them, rate limits, exit codes, and
the fake's traffic validated against Intercom's OpenAPI 2.14 description."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import stamina
from fakes.anthropic_api import raw_reply
from fakes.intercom import (
    CREATED,
    FakeIntercom,
    make_attachment,
    make_company,
    make_contact,
    make_conversation,
    make_part,
    make_ticket,
)

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError, TicketNotFound
from investigate.evidence import entities as entity_mod
from investigate.evidence import incidents
from investigate.models import Window
from investigate.sdk import helpdesk as _helpdesk
from investigate.sdk.contract import Query
from investigate_connectors.intercom import Intercom, search_body_only

TOKEN = "ic_fake_token_123"
WINDOW = Window(
    start=datetime(2025, 11, 23, 12, 0, tzinfo=UTC), end=datetime(2025, 11, 24, 18, 0, tzinfo=UTC)
)


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeIntercom]:
    with FakeIntercom(token=TOKEN) as server:
        yield server
        server.check()


def seed(fake: FakeIntercom) -> None:
    fake.add_contact(make_contact("c1", name="Dana Scully", email="dana@acme.io", company="co1"))
    fake.add_company(make_company("co1", name="Acme Corp"))
    parts = [
        make_part("1", "<p>Hi Dana,<br>which file?</p>"),
        make_part(
            "2",
            "<p>This one</p>",
            author=("user", "c1", "Dana Scully"),
            attachments=[make_attachment("export.csv", 1536, "text/csv")],
        ),
        make_part("3", "<p>Internal: <i>known bug</i> EXP-12</p>", part_type="note"),
        make_part("4", None, part_type="assignment"),
    ]
    fake.add_conversation(make_conversation("101", parts=parts))


def connector(fake: FakeIntercom, **extra: Any) -> Intercom:
    section = {"type": "intercom", "base_url": fake.url, "access_token": TOKEN, **extra}
    return Intercom("helpdesk", Intercom.config_model.model_validate(section), Context())


async def test_conversation_maps_parts_contact_company_and_link(fake: FakeIntercom) -> None:
    seed(fake)
    ticket = await connector(fake).fetch_ticket("101")
    assert ticket.id == "101"
    assert ticket.url == "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/101"
    assert ticket.subject == "CSV export broken"
    assert ticket.description == "Exports fail with ERR_EXPORT_SERIALIZE"
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.organization.id == "acc_co1" and ticket.organization.name == "Acme Corp"
    assert ticket.priority == "high" and ticket.status == "open" and ticket.tags == ["exports"]
    assert [c.body for c in ticket.comments] == [
        "Hi Dana,\nwhich file?",
        "This one\n\n[attachments: export.csv (1.5 KB, text/csv)]",
        "Internal: known bug EXP-12",
    ]
    assert [c.public for c in ticket.comments] == [True, True, False]
    assert ticket.comments[1].author == "Dana Scully"
    assert ticket.created_at == datetime.fromtimestamp(CREATED, UTC)
    assert ticket.raw["conversation"]["id"] == "101" and ticket.raw["company"]["name"]
    assert all(r.headers["intercom-version"] == "2.14" for r in fake.requests)
    paths = [r.path for r in fake.requests]
    assert paths == ["/conversations/101", "/contacts/c1", "/companies/co1", "/me"]
    if fake.spec_active:
        assert fake.validated == 2 and fake.problems == []


async def test_auto_falls_back_to_an_intercom_ticket(fake: FakeIntercom) -> None:
    fake.add_contact(make_contact("c1", name="Dana"))
    fake.add_ticket(make_ticket("900"))
    ticket = await connector(fake, workspace_id="ws1").fetch_ticket("900")
    assert ticket.subject == "Cannot export"
    assert ticket.description == "Export fails: ERR_EXPORT_SERIALIZE"
    assert ticket.status == "in_progress" and ticket.custom_fields == {"account": "acc_1042"}
    assert [c.body for c in ticket.comments] == ["Looking into it"]
    assert [r.path for r in fake.requests] == ["/conversations/900", "/tickets/900", "/contacts/c1"]


async def test_a_contact_that_cannot_be_read_leaves_the_requester_unknown(
    fake: FakeIntercom,
) -> None:
    # a token without the contacts scope: the conversation is still the ticket
    seed(fake)
    fake.script(raw_reply(403, '{"type":"error.list"}'), path="/contacts/c1")
    ticket = await connector(fake).fetch_ticket("101")
    assert ticket.id == "101" and ticket.subject and ticket.comments
    assert ticket.requester.email is None and ticket.organization.name is None
    [note] = ticket.raw["investigate_notes"]
    assert "HTTP 403" in note and "/contacts/c1" in note and "requester unknown" in note


async def test_a_company_that_cannot_be_read_leaves_the_organization_unknown(
    fake: FakeIntercom,
) -> None:
    seed(fake)
    fake.script(raw_reply(500, '{"type":"error.list"}'), path="/companies/")
    ticket = await connector(fake).fetch_ticket("101")
    assert ticket.requester.email == "dana@acme.io" and ticket.organization.name is None
    assert "organization unknown" in ticket.raw["investigate_notes"][0]


async def test_missing_everywhere_is_not_found(fake: FakeIntercom) -> None:
    with pytest.raises(TicketNotFound, match="ticket 5 not found in Intercom"):
        await connector(fake).fetch_ticket("5")
    assert len(fake.requests) == 2


async def test_path_tricks_never_reach_the_server(fake: FakeIntercom) -> None:
    for bad in ("../me", "1/../../admins", "1?x=1"):
        with pytest.raises(TicketNotFound):
            await connector(fake).fetch_ticket(bad)
    assert fake.requests == []


async def test_429_waits_for_x_ratelimit_reset(
    fake: FakeIntercom, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the connector's clock is pinned: the reset is 0.75 s away however long the machine takes
    # to get from here to the 429 (against the real clock a reset "now + 1 s" rounded to the
    # second could already have passed, and then nothing is waited)
    now = 1_800_000_000.25
    monkeypatch.setattr(_helpdesk, "time", SimpleNamespace(time=lambda: now))
    seed(fake)
    reset = str(int(now) + 1)
    fake.script(raw_reply(429, '{"type":"error.list"}', {"X-RateLimit-Reset": reset}), path="/conv")
    started = time.monotonic()
    ticket = await connector(fake, workspace_id="ws1").fetch_ticket("101")
    assert ticket.id == "101" and time.monotonic() - started >= 0.9  # Retry-After: 1
    assert [r.path for r in fake.requests[:2]] == ["/conversations/101"] * 2


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (raw_reply(503, "{}"), "HTTP 503"),
        (raw_reply(200, "{oops"), "invalid JSON"),
        (raw_reply(200, '{"type": "admin"}'), "did not return a conversation"),
    ],
)
async def test_failures_are_one_line(fake: FakeIntercom, reply: Any, expected: str) -> None:
    for _ in range(4):  # 503 is retried
        fake.script(reply, path="/conversations/101")
    with pytest.raises(SourceError) as info:
        await connector(fake, timeout="2s").fetch_ticket("101")
    assert expected in info.value.message and "\n" not in info.value.message
    fake._scripted.clear()


# --- search: read-only POSTs ----------------------------------------------------------------


async def test_related_conversations_are_searched_paged_and_exclude_the_customer(
    fake: FakeIntercom,
) -> None:
    seed(fake)
    for i in range(10):  # ten other customers in the last hours
        fake.add_conversation(
            make_conversation(
                f"2{i}",
                contact=f"other{i}",
                body=f"<p>ERR_EXPORT_SERIALIZE again ({i})</p>",
                created_at=CREATED - 600 * (i + 1),
            )
        )
    fake.add_conversation(make_conversation("30", contact="c1", body="<p>ERR_EXPORT_SERIALIZE</p>"))
    fake.add_conversation(make_conversation("31", contact="zz", created_at=CREATED - 86400 * 3))
    fake.add_conversation(make_conversation("32", contact="yy", body="<p>login broken</p>"))
    z = connector(fake, max_related=4)
    ticket = await z.fetch_ticket("101")
    out = await z.collect(Query(ticket, entity_mod.extract(ticket), WINDOW))
    related = [e for e in out.evidence if e.relation == "same_signature"]
    mine = [e for e in out.evidence if e.relation == "requester"]
    assert [e.record["id"] for e in related] == ["20", "21", "22", "23"]
    assert {e.record["id"] for e in mine} == {"30"}
    signature_searches = [s for s in fake.searches if s["query"].get("operator") == "AND"]
    assert signature_searches[0]["query"]["value"][1] == {
        "field": "source.body",
        "operator": "~",
        "value": "ERR_EXPORT_SERIALIZE",
    }
    assert len(signature_searches) == 2  # 12 matches, 8 a page: the second page was read
    assert "starting_after" in signature_searches[1]["pagination"]
    assert related[0].url and related[0].url.endswith("/conversation/20")
    verdict = incidents.suspect(related, ticket)
    assert verdict.suspected and len(verdict.related_tickets) == 4


async def test_hostile_signature_is_sent_as_one_json_string(fake: FakeIntercom) -> None:
    seed(fake)
    z = connector(fake, workspace_id="ws1", max_recent=0)
    ticket = await z.fetch_ticket("101")
    hostile = '"}, {"field": "contact_ids", "operator": "!=", "value": "x'
    found = entity_mod.extract(ticket).model_copy(update={"error_codes": [hostile]})
    await z.collect(Query(ticket, found, WINDOW))
    sent = fake.searches[0]["query"]["value"]
    assert len(sent) == 2 and sent[1]["value"] == hostile


async def test_the_guard_refuses_writes_and_odd_search_bodies(fake: FakeIntercom) -> None:
    z = connector(fake)
    async with z._client() as client:
        with pytest.raises(ReadOnlyViolation):
            await client.post("/conversations/101/reply", json={"body": "hi"})
        with pytest.raises(ReadOnlyViolation):
            await client.post("/conversations/search", json={"query": {}, "message": "x"})
        with pytest.raises(ReadOnlyViolation):
            await client.delete("/contacts/c1")
    assert fake.requests == []
    with pytest.raises(ReadOnlyViolation):
        search_body_only(b"not json")
    search_body_only(b'{"query": {"field": "id", "operator": "=", "value": "1"}}')


# --- check and the CLI --------------------------------------------------------------------


async def test_check(fake: FakeIntercom) -> None:
    good = await connector(fake).check()
    assert good[0].ok and "kay@acme.io" in good[0].detail and good[1].warning
    bad = await connector(fake, access_token="nope_nope_123").check()
    assert not bad[0].ok and "access_token" in bad[0].detail
    assert "nope_nope_123" not in bad[0].detail


async def test_check_with_a_404_on_me_names_the_status(fake: FakeIntercom) -> None:
    fake.script(raw_reply(404, '{"type":"error.list"}'), path="/me")
    [check] = await connector(fake).check()
    assert not check.ok and "HTTP 404" in check.detail and "GET " in check.detail
    assert "region / base_url" in check.detail


def cli_config(fake: FakeIntercom) -> dict[str, Any]:
    return {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {
            "helpdesk": {
                "type": "intercom",
                "base_url": fake.url,
                "access_token": "${INTERCOM_ACCESS_TOKEN}",
            }
        },
    }


def test_cli_exit_codes(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seed(fake)
    path = str(write_config(cli_config(fake)))
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    missing = cli("ticket", "404404", "-c", path)
    assert missing.code == 3 and "ticket 404404 not found" in missing.err
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "wrong-token-xyz")
    denied = cli("ticket", "101", "-c", path)
    assert denied.code == 4 and "HTTP 401" in denied.err and "access_token" in denied.err
    assert "(e.g. ${INTERCOM_ACCESS_TOKEN})" in " ".join(denied.err.split())  # not ${{…}}
    assert "wrong-token-xyz" not in denied.err + denied.out


async def test_huge_responses_are_capped_on_get_and_on_search(fake: FakeIntercom) -> None:
    seed(fake)
    fake.add_conversation(make_conversation("7", body="<p>" + "z" * 30_000 + "</p>"))
    z = connector(fake, workspace_id="ws1", max_response_bytes=20_000)
    with pytest.raises(SourceError, match="larger than 20,000 bytes"):
        await z.fetch_ticket("7")
    for i in range(3):
        fake.add_conversation(
            make_conversation(f"8{i}", contact=f"o{i}", body="<p>ERR_BIG " + "q" * 9_000 + "</p>")
        )
    ticket = await z.fetch_ticket("101")
    found = entity_mod.extract(ticket).model_copy(update={"error_codes": ["ERR_BIG"]})
    with pytest.raises(SourceError, match="larger than 20,000 bytes"):
        await connector(fake, workspace_id="ws1", max_response_bytes=20_000, max_recent=0).collect(
            Query(ticket, found, WINDOW)
        )


# --- --post-note: an admin note --------------------------------------------------------------


def test_post_note_adds_one_admin_note_and_a_rerun_none(
    cli, write_config, fake, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice, with_write_back

    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    seed(fake)
    fake.note_token = "ic_note_token_777"
    config = with_write_back(cli_config(fake), token="ic_note_token_777", admin_id="274")
    note = post_twice(cli, write_config, config, "101", lambda: fake.notes)
    assert note["message_type"] == "note" and note["type"] == "admin"
    assert note["admin_id"] == "274" and "Root cause" in note["body"]
    writes = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/reply")]
    assert [r.path for r in writes] == ["/conversations/101/reply"]


def test_post_note_without_an_admin_id_is_refused(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from notes_support import with_write_back

    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    seed(fake)
    config = with_write_back(cli_config(fake), token="ic_note_token_777")
    result = cli("ticket", "101", "-c", str(write_config(config)), "--post-note")
    assert result.code == 2 and "set admin_id" in result.err
    assert fake.notes == []
