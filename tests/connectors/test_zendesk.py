"""`zendesk`: ticket + sideloads + every comment page, related tickets by error signature,
the requester's recent tickets, rate limits, failures as one line, exit codes via the CLI, and
the fake's traffic checked against the (unofficial) Zendesk spec and object schemas."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stamina
from fakes.anthropic_api import raw_reply
from fakes.zendesk import (
    FakeZendesk,
    make_attachment,
    make_comment,
    make_ticket,
    make_user,
    parse_search,
)

from investigate.context import Context
from investigate.errors import SourceError, TicketNotFound
from investigate.evidence import entities as entity_mod
from investigate.evidence import incidents
from investigate.models import Ticket, Window
from investigate.sdk.contract import Query
from investigate.sdk.helpdesk import ticket_number, vendor_wait
from investigate_connectors.zendesk import Zendesk, quote_phrase

EMAIL = "agent@acme.io"
TOKEN = "zd_fake_token_123"
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
def fake() -> Iterator[FakeZendesk]:
    with FakeZendesk(email=EMAIL, token=TOKEN) as server:
        yield server
        server.check()


def seed(fake: FakeZendesk, comments: int = 3) -> None:
    fake.add_user(make_user(501, name="Dana Scully", email="dana@acme.io", organization_id=77))
    fake.add_user(make_user(9001, name="Agent Kay", email=EMAIL, role="agent"))
    fake.add_org(77, "Acme Corp")
    thread = [
        make_comment(
            1,
            "<p>Every export fails with ERR_EXPORT_SERIALIZE since this morning.</p>",
            author_id=501,
        )
    ]
    for i in range(2, comments + 1):
        thread.append(
            make_comment(
                i,
                f"<div>Reply&nbsp;{i}<br>line two<script>evil()</script></div>"
                f"<ul><li>step a</li><li>step b</li></ul>",
                author_id=9001 if i % 2 else 501,
                public=i % 3 != 0,
                when=f"2026-11-24T11:{i % 60:02d}:00Z",
                attachments=[make_attachment(f"log{i}.txt", 2048 * i, "text/plain")]
                if i == 2
                else None,
            )
        )
    fake.add_ticket(make_ticket(4812), comments=thread)


def connector(fake: FakeZendesk, **extra: Any) -> Zendesk:
    section = {"type": "zendesk", "base_url": fake.url, "email": EMAIL, "api_token": TOKEN}
    section.update(extra)
    return Zendesk("helpdesk", Zendesk.config_model.model_validate(section), Context())


async def test_fetch_ticket_maps_sideloads_comments_and_link(fake: FakeZendesk) -> None:
    seed(fake, comments=7)
    fake.page_size = 2  # 7 comments → 4 pages, followed through links.next
    ticket = await connector(fake).fetch_ticket("4812")
    assert ticket.id == "4812"
    assert ticket.url == f"{fake.url}/agent/tickets/4812"
    assert ticket.subject == "CSV export fails"
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.organization.id == "77" and ticket.organization.name == "Acme Corp"
    assert ticket.priority == "high" and ticket.status == "open"
    assert ticket.tags == ["export", "csv"]
    assert ticket.custom_fields == {"360001": "acc_1042"}
    # the first comment is the description: not repeated; the other six all arrive, in order
    assert len(ticket.comments) == 6
    assert [c.public for c in ticket.comments] == [i % 3 != 0 for i in range(2, 8)]
    first = ticket.comments[0]
    assert first.body.startswith("Reply 2\nline two\n\n- step a\n- step b")
    assert "evil" not in first.body and "<" not in first.body
    assert "[attachments: log2.txt (4.0 KB, text/plain)]" in first.body
    assert first.author == "Dana Scully" and ticket.comments[1].author == "Agent Kay"
    assert ticket.raw["ticket"]["id"] == 4812 and len(ticket.raw["comments"]) == 7
    comment_pages = [r for r in fake.requests if r.path.endswith("/comments.json")]
    assert len(comment_pages) == 4
    assert "include=users%2Corganizations" in fake.requests[0].query
    assert all(r.headers["authorization"].startswith("Basic ") for r in fake.requests)
    if fake.spec_active:
        assert fake.validated == 5


async def test_oauth_bearer_token(fake: FakeZendesk) -> None:
    fake.oauth = "zd_oauth_abcdef123"
    seed(fake)
    section = {"type": "zendesk", "base_url": fake.url, "oauth_token": "zd_oauth_abcdef123"}
    z = Zendesk("helpdesk", Zendesk.config_model.model_validate(section), Context())
    ticket = await z.fetch_ticket("#4812")
    assert ticket.id == "4812"
    assert fake.requests[0].headers["authorization"] == "Bearer zd_oauth_abcdef123"


async def test_missing_ticket_is_not_found(fake: FakeZendesk) -> None:
    seed(fake)
    with pytest.raises(TicketNotFound, match="ticket 999 not found in Zendesk"):
        await connector(fake).fetch_ticket("999")


@pytest.mark.parametrize("bad", ["../4812", "4812/../../users", "1 OR 1=1", "4812\nX", "abc"])
async def test_non_numeric_ids_never_reach_the_server(fake: FakeZendesk, bad: str) -> None:
    with pytest.raises(TicketNotFound, match="Zendesk ticket IDs are numbers"):
        await connector(fake).fetch_ticket(bad)
    assert fake.requests == []


async def test_429_retry_after_is_honoured(fake: FakeZendesk) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"error":"TooManyRequests"}', {"Retry-After": "1"}), path="/tick")
    started = time.monotonic()
    ticket = await connector(fake).fetch_ticket("4812")
    assert ticket.id == "4812"
    assert time.monotonic() - started >= 0.9
    assert [r.path for r in fake.requests[:2]] == ["/api/v2/tickets/4812.json"] * 2


async def test_429_with_only_zendesk_ratelimit_reset(fake: FakeZendesk) -> None:
    seed(fake)
    fake.script(raw_reply(429, "{}", {"ratelimit-reset": "1"}), path="/comments")
    started = time.monotonic()
    await connector(fake).fetch_ticket("4812")
    assert time.monotonic() - started >= 0.9
    assert sum(r.path.endswith("/comments.json") for r in fake.requests) == 2


def test_vendor_wait_reads_each_vendor_header() -> None:
    import httpx2

    assert vendor_wait(httpx2.Headers({"ratelimit-reset": "7"})) == 7
    assert vendor_wait(httpx2.Headers({"x-ratelimit-retry-after": "3"})) == 3
    assert vendor_wait(httpx2.Headers({"x-ratelimit-reset": "2000000010"}), now=2e9) == 10
    assert vendor_wait(httpx2.Headers({"x-ratelimit-reset": "nonsense"})) is None


# HTTP errors, invalid JSON, HTML, size caps, 401/403 hints and secrets on both the ticket and
# the evidence path: the contract suite (tests/contract/contracts_tickets.py).


async def test_a_ticket_answer_without_a_ticket_object_is_one_line(fake: FakeZendesk) -> None:
    seed(fake)
    fake.script(raw_reply(200, '{"nope": 1}'), path="/tickets/4812.json")
    with pytest.raises(SourceError) as info:
        await connector(fake).fetch_ticket("4812")
    assert "has no 'ticket' object" in info.value.message
    assert "\n" not in info.value.message and TOKEN not in info.value.message


async def test_paging_never_follows_a_link_off_the_zendesk_host(fake: FakeZendesk) -> None:
    seed(fake, comments=5)
    fake.page_size = 2
    fake.next_host = "https://evil.example.com"
    ticket = await connector(fake).fetch_ticket("4812")
    assert len(ticket.raw["comments"]) == 2
    assert "next link leaves" in ticket.raw["investigate_notes"][0]
    assert all(r.path.startswith("/api/v2/") for r in fake.requests)


# --- evidence: the requester's tickets and the same error elsewhere --------------------------


def other(ticket_id: int, org: int, requester: int, minutes_ago: int, text: str) -> dict[str, Any]:
    created = datetime(2026, 11, 24, 11, 0, tzinfo=UTC).timestamp() - minutes_ago * 60
    when = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return make_ticket(
        ticket_id,
        organization_id=org,
        requester_id=requester,
        subject=f"Export broken #{ticket_id}",
        description=text,
        created_at=when,
        updated_at=when,
    )


async def test_collect_related_tickets_feed_incident_suspicion(fake: FakeZendesk) -> None:
    seed(fake)
    fake.add_user(make_user(601, email="bo@globex.com"))
    fake.add_ticket(other(5001, 88, 601, 30, "ERR_EXPORT_SERIALIZE on every CSV export"))
    fake.add_ticket(other(5002, 89, 602, 90, "we see ERR_EXPORT_SERIALIZE too"))
    fake.add_ticket(other(5003, 77, 503, 20, "ERR_EXPORT_SERIALIZE (same org, a colleague)"))
    fake.add_ticket(other(5004, 90, 604, 60 * 48, "ERR_EXPORT_SERIALIZE two days ago"))
    fake.add_ticket(other(5005, 91, 605, 10, "Unrelated: cannot log in"))
    fake.add_ticket(other(4700, 77, 501, 60 * 24 * 5, "Dana's older ticket about invoices"))
    z = connector(fake)
    ticket = await z.fetch_ticket("4812")
    found = entity_mod.extract(ticket)
    assert "ERR_EXPORT_SERIALIZE" in found.error_codes
    out = await z.collect(Query(ticket, found, WINDOW))
    related = [e for e in out.evidence if e.relation == "same_signature"]
    mine = [e for e in out.evidence if e.relation == "requester"]
    assert sorted(e.record["id"] for e in related) == ["5001", "5002"]
    assert [e.record["id"] for e in mine] == ["4700"]
    assert all(e.kind == "ticket" for e in out.evidence)
    assert related[0].url == f"{fake.url}/agent/tickets/5001"
    assert related[0].matched == ["ERR_EXPORT_SERIALIZE"]
    signature_query = next(p for p in fake.parsed if ("", '"', "ERR_EXPORT_SERIALIZE") in p)
    assert ("created", ">", "2026-11-23T11:00:00Z") in signature_query
    assert ("requester_id", ":", "501") in next(p for p in fake.parsed if len(p) == 2)
    verdict = incidents.suspect(related, ticket)
    assert verdict.suspected and "2 other customers" in verdict.reason
    assert sorted(verdict.related_tickets) == ["5001", "5002"]


@pytest.mark.parametrize(
    "hostile",
    [
        'ERR_X" requester_id:1 "',
        'ERR_X\\" status:closed',
        "ERR_X\nrequester:*",
        'ERR_X" -type:ticket',
    ],
)
async def test_hostile_signature_stays_one_phrase(fake: FakeZendesk, hostile: str) -> None:
    seed(fake)
    ticket = Ticket(id="1", subject="x", created_at=datetime(2026, 11, 24, 11, tzinfo=UTC))
    found = entity_mod.extract(ticket).model_copy(update={"error_codes": [hostile]})
    await connector(fake, max_recent=0).collect(Query(ticket, found, WINDOW))
    assert len(fake.parsed) == 1
    keys = [k for k, _, _ in fake.parsed[0]]
    assert keys == ["type", "created", ""]  # the value added no keyword
    phrase = fake.parsed[0][2]
    assert phrase[1] == '"' and phrase[2].startswith("ERR_X")


def test_quote_phrase() -> None:
    assert quote_phrase('a "b" c') == '"a b c"'
    assert quote_phrase("x\\") == '"x"' or quote_phrase("x\\") is None
    assert quote_phrase('""') is None
    assert parse_search(f"type:ticket {quote_phrase('ERR ' * 100)}")[1][0] == ""


async def test_collect_without_anything_to_search_sends_nothing(fake: FakeZendesk) -> None:
    ticket = Ticket(id="1", subject="hello", created_at=datetime(2026, 11, 24, tzinfo=UTC))
    out = await connector(fake).collect(Query(ticket, entity_mod.extract(ticket), WINDOW))
    assert out.evidence == [] and "no requester or error signature" in out.notes[0]
    assert fake.requests == []


def test_ticket_number() -> None:
    assert ticket_number(" #42 ", "Zendesk") == "42"
    with pytest.raises(TicketNotFound):
        ticket_number("４２", "Zendesk")  # full-width digits are not ASCII


# --- check ---------------------------------------------------------------------------------


async def test_check_reports_the_identity_and_what_it_cannot_verify(fake: FakeZendesk) -> None:
    checks = await connector(fake).check()
    assert checks[0].ok and "agent@acme.io (agent)" in checks[0].detail
    assert any(c.warning and c.name == "not verified" and "group" in c.detail for c in checks)


async def test_a_401_hint_names_the_variable_as_written_in_the_config(fake: FakeZendesk) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, api_token="wrong_token_999").fetch_ticket("4812")
    assert "(e.g. ${ZENDESK_API_TOKEN})" in (info.value.hint or ""), info.value.hint


def test_config_requires_credentials() -> None:
    with pytest.raises(ValueError, match="email and api_token"):
        Zendesk.config_model.model_validate({"type": "zendesk", "subdomain": "acme"})
    with pytest.raises(ValueError, match="subdomain"):
        Zendesk.config_model.model_validate(
            {"type": "zendesk", "subdomain": "acme.evil.com/x", "oauth_token": "t" * 10}
        )


# --- through the CLI: exit codes ----------------------------------------------------------


def cli_config(fake: FakeZendesk, token: str = "${ZENDESK_API_TOKEN}") -> dict[str, Any]:
    return {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "10s"},
        "connectors": {
            "helpdesk": {
                "type": "zendesk",
                "base_url": fake.url,
                "email": EMAIL,
                "api_token": token,
            }
        },
    }


def test_cli_exit_3_for_a_missing_ticket(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    seed(fake)
    result = cli("ticket", "777", "-c", str(write_config(cli_config(fake))))
    assert result.code == 3
    assert "ticket 777 not found" in result.err


def test_cli_exit_4_for_bad_credentials_names_the_fix(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZENDESK_API_TOKEN", "not-the-right-token-42")
    seed(fake)
    result = cli("ticket", "4812", "-c", str(write_config(cli_config(fake))))
    assert result.code == 4
    assert "ticket source 'helpdesk' failed" in result.err and "HTTP 401" in result.err
    assert "api_token" in result.err
    assert "not-the-right-token-42" not in result.err + result.out


def test_cli_report_from_a_zendesk_ticket(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    seed(fake)
    fake.add_ticket(other(5001, 88, 601, 30, "ERR_EXPORT_SERIALIZE on every CSV export"))
    fake.add_ticket(other(5002, 89, 602, 90, "we see ERR_EXPORT_SERIALIZE too"))
    path: Path = write_config(cli_config(fake))
    result = cli(
        "ticket", "4812", "-c", str(path), "--format", "json", "--until", "2026-11-24T12:00:00Z"
    )
    assert result.code == 0, result.err
    report = result.json()
    assert report["ticket"]["url"] == f"{fake.url}/agent/tickets/4812"
    assert report["analysis"]["incident"]["suspected"] is True
    assert {"5001", "5002"} <= set(report["analysis"]["incident"]["related_tickets"])


def test_cli_check_passes_then_fails_with_a_bad_token(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(cli_config(fake)))
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    good = cli("check", "-c", path)
    assert good.code == 0, good.err
    assert "agent@acme.io" in good.out + good.err
    monkeypatch.setenv("ZENDESK_API_TOKEN", "bad-token-for-check")
    bad = cli("check", "-c", path)
    assert bad.code == 4 and "HTTP 401" in bad.out + bad.err
    assert "bad-token-for-check" not in bad.out + bad.err
