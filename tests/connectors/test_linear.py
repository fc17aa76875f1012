"""`linear`: issues as tickets (comments paged), known issues via searchIssues, read-only
GraphQL (mutations and subscriptions refused before sending), RATELIMITED honoured within the
deadline, failures as one line, and every query validated and executed against Linear's own
schema (../shared/specs/linear.graphql) by the fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graphql
import pytest
import stamina
from busyclock import Stopwatch
from fakes.anthropic_api import Reply, Response, raw_reply
from fakes.linear import FakeLinear, error_body, linear_schema, make_comment, make_issue
from spec_validation import needs_spec

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError, TicketNotFound
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.linear import DOCUMENTS, SEARCH, Linear, ensure_query, reset_wait

pytestmark = needs_spec("linear.graphql")

KEY = "lin_api_fake_key_123"
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
def fake() -> Iterator[FakeLinear]:
    with FakeLinear(api_key=KEY, oauth="lin_oauth_abc") as server:
        yield server
        server.check()


def connector(fake: FakeLinear, **extra: Any) -> Linear:
    section: dict[str, Any] = {"type": "linear", "base_url": fake.url, "api_key": KEY}
    section.update(extra)
    return Linear("bugs", Linear.config_model.model_validate(section), Context())


def query(entities: Entities | None = None, **kw: Any) -> Query:
    ticket = Ticket(
        id="4812",
        url=kw.get("url"),
        subject="CSV export fails",
        description="Every export fails with ERR_EXPORT_SERIALIZE since this morning.",
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )
    return Query(
        ticket=ticket,
        entities=entities or Entities(error_codes=["ERR_EXPORT_SERIALIZE"]),
        window=WINDOW,
        deadline=kw.get("deadline", time.monotonic() + 20),
    )


def seed(fake: FakeLinear, comments: int = 3) -> None:
    fake.add_issue(
        make_issue(
            "SUP-7",
            title="CSV export fails",
            description="## Steps\n\n1. Open **Reports**\n\n![shot.png](https://uploads.linear.app/a/b/shot.png)",
            labels={"nodes": [{"name": "export"}]},
            attachments={
                "nodes": [
                    {
                        "title": "Zendesk #4812",
                        "subtitle": None,
                        "url": "https://acme.zendesk.com/agent/tickets/4812",
                        "sourceType": "zendesk",
                    }
                ]
            },
        ),
        comments=[make_comment(i, f"**Reply** {i}") for i in range(1, comments + 1)],
    )


def known(fake: FakeLinear) -> None:
    fake.add_issue(
        make_issue(
            "ENG-101",
            title="ERR_EXPORT_SERIALIZE when exporting CSV with unicode",
            description="CSV export crashes with ERR_EXPORT_SERIALIZE for emoji rows.",
            state={"name": "In Progress", "type": "started"},
            assignee={"name": "Kay"},
            attachments={
                "nodes": [
                    {
                        "title": "Fix export",
                        "url": "https://github.com/acme/app/pull/55",
                        "sourceType": "github",
                    }
                ]
            },
            projectMilestone={"name": "2.4.1"},
            updatedAt="2026-11-24T08:00:00.000Z",
        )
    )
    fake.add_issue(
        make_issue(
            "ENG-102",
            title="Dark mode",
            description="a log line mentions ERR_EXPORT_SERIALIZE",
            state={"name": "Done", "type": "completed"},
        )
    )
    fake.add_issue(make_issue("ENG-103", title="Unrelated", description="nothing"))


# --- ticket source -------------------------------------------------------------------------


async def test_fetch_ticket_maps_the_issue_and_pages_comments(fake: FakeLinear) -> None:
    seed(fake, comments=5)
    fake.comment_page_cap = 2  # 5 comments → 3 queries
    ticket = await connector(fake).fetch_ticket("sup-7")
    assert ticket.id == "SUP-7" and ticket.url == "https://linear.app/acme/issue/sup-7"
    assert ticket.subject == "CSV export fails" and ticket.status == "Todo"
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.description.startswith("Steps\n\n1. Open Reports\n\n[attachment: shot.png]")
    assert "[attachments: shot.png (image/png)]" in ticket.description
    assert (
        "[links and attachments: Zendesk #4812 (https://acme.zendesk.com/agent/tickets/4812)]"
        in ticket.description
    )
    assert [c.body for c in ticket.comments] == [f"Reply {i}" for i in range(1, 6)]
    assert ticket.comments[0].author == "Agent Kay"
    assert ticket.tags == ["export"] and ticket.custom_fields == {"team": "SUP"}
    assert [q["root"] for q in fake.queries] == ["issue"] * 3
    assert [q["variables"].get("after") for q in fake.queries] == [None, "2", "4"]
    assert all(r.headers["authorization"] == KEY for r in fake.requests)


async def test_oauth_token_is_sent_as_bearer(fake: FakeLinear) -> None:
    seed(fake, comments=0)
    c = Linear(
        "bugs",
        Linear.config_model.model_validate(
            {"type": "linear", "base_url": fake.url, "oauth_token": "lin_oauth_abc"}
        ),
        Context(),
    )
    assert (await c.fetch_ticket("SUP-7")).id == "SUP-7"
    assert fake.requests[0].headers["authorization"] == "Bearer lin_oauth_abc"


async def test_missing_issue_is_not_found(fake: FakeLinear) -> None:
    with pytest.raises(TicketNotFound, match="ticket ENG-404 not found in Linear"):
        await connector(fake).fetch_ticket("ENG-404")


@pytest.mark.parametrize(
    "bad", ["../ENG-1", "ENG-1/../x", "ENG 1", '") { id } mutation { x', "", "a" * 80]
)
async def test_malformed_ids_never_reach_the_server(fake: FakeLinear, bad: str) -> None:
    with pytest.raises(TicketNotFound, match="Linear issues look like ENG-123"):
        await connector(fake).fetch_ticket(bad)
    assert fake.requests == []


async def test_comment_paging_is_capped_with_a_note(fake: FakeLinear) -> None:
    seed(fake, comments=9)
    fake.comment_page_cap = 2
    ticket = await connector(fake, max_comment_pages=2).fetch_ticket("SUP-7")
    assert len(ticket.comments) == 4
    assert ticket.raw["investigate_notes"] == ["only the first 2 pages of comments were read"]


# --- known issues --------------------------------------------------------------------------


async def test_known_issues_from_search_issues(fake: FakeLinear) -> None:
    known(fake)
    out = await connector(fake).collect(query())
    by_key = {e.title.split(":")[0]: e for e in out.evidence}
    assert set(by_key) == {"ENG-101", "ENG-102"}
    hit, done = by_key["ENG-101"], by_key["ENG-102"]
    assert hit.kind == "issue" and hit.url == "https://linear.app/acme/issue/eng-101"
    assert hit.record["status"] == "in_progress"
    assert hit.record["linked"] == ["https://github.com/acme/app/pull/55"]
    assert hit.record["fix_versions"] == ["milestone 2.4.1"]
    assert hit.record["assignee"] == "Kay"
    assert done.record["status"] == "resolved"
    assert hit.text_score > done.text_score > 0
    assert fake.queries == [
        {"root": "searchIssues", "variables": {"term": "ERR_EXPORT_SERIALIZE", "first": 10}}
    ]


async def test_one_search_per_term_merged_and_team_filtered(fake: FakeLinear) -> None:
    known(fake)
    fake.add_issue(make_issue("OPS-1", title="ERR_EXPORT_SERIALIZE in ops", description=""))
    out = await connector(fake, teams=["ENG"]).collect(
        query(Entities(error_codes=["ERR_EXPORT_SERIALIZE", "unicode"]))
    )
    assert sorted(e.title.split(":")[0] for e in out.evidence) == ["ENG-101", "ENG-102"]
    assert [q["variables"]["term"] for q in fake.queries] == ["ERR_EXPORT_SERIALIZE", "unicode"]
    assert all(q["variables"]["filter"] == {"team": {"key": {"in": ["ENG"]}}} for q in fake.queries)


HOSTILE = [
    '") { id } } mutation { issueDelete(id: "x") { success } } query q { issue(id: "',
    "line one\nline two\r\n",
    "100% off / ../../admin",
    "' OR 1=1; DROP TABLE issues; --",
    "$term {{ }} # comment",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
async def test_ticket_text_travels_only_as_a_variable(fake: FakeLinear, value: str) -> None:
    await connector(fake).collect(query(Entities(error_codes=[value])))
    [request] = fake.requests
    assert request.json["query"] == SEARCH  # the document never changes
    assert request.json["variables"]["term"] == " ".join(value.split())
    assert fake.writes == []


# --- read-only -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        'mutation { issueDelete(id: "x") { success } }',
        "subscription { issueUpdated { id } }",
        'query A { viewer { id } } mutation B { issueArchive(id: "x") { success } }',
        "query {",
    ],
)
def test_ensure_query_refuses_writes_and_garbage(document: str) -> None:
    with pytest.raises(ReadOnlyViolation):
        ensure_query(document)


async def test_the_http_guard_refuses_a_mutation_before_sending(fake: FakeLinear) -> None:
    c = connector(fake)
    body = json.dumps({"query": 'mutation { issueDelete(id: "x") { success } }'})
    async with c._client(time.monotonic() + 5) as client:
        with pytest.raises(ReadOnlyViolation, match="GraphQL mutation"):
            await client.post("/graphql", content=body)
        with pytest.raises(ReadOnlyViolation):
            await client.post("/graphql", content=b"not json")
        with pytest.raises(ReadOnlyViolation):
            await client.post("/other", content=b"{}")
    assert fake.requests == [] and fake.writes == []


def test_every_document_is_a_valid_query_for_linears_schema() -> None:
    schema = linear_schema()
    for document in DOCUMENTS:
        assert graphql.validate(schema, graphql.parse(document)) == []
        assert ensure_query(document) == document
    broken = SEARCH.replace("projectMilestone { name }", "fixVersion { name }")
    assert graphql.validate(schema, graphql.parse(broken))  # the check is real


# --- rate limits and failures --------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400])
async def test_ratelimited_is_retried_after_the_reset(fake: FakeLinear, status: int) -> None:
    known(fake)
    reset = str(int((time.time() + 1) * 1000))
    fake.script(
        raw_reply(
            status,
            json.dumps(error_body("Rate limit exceeded", "RATELIMITED")),
            {"x-ratelimit-requests-reset": reset},
        )
    )
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.5
    assert len(out.evidence) == 2 and len(fake.requests) == 2


async def test_ratelimited_past_the_deadline_is_one_clear_line(fake: FakeLinear) -> None:
    reset = str(int((time.time() + 3600) * 1000))
    fake.script(
        raw_reply(
            200,
            json.dumps(error_body("Rate limit exceeded", "RATELIMITED")),
            {"x-ratelimit-requests-reset": reset},
        )
    )
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert info.value.message.startswith("linear 'bugs': HTTP 429")
    assert "Rate limit exceeded" in info.value.message
    assert "rate limit" in (info.value.hint or "").lower()


def test_reset_wait_reads_epoch_milliseconds() -> None:
    import httpx2

    now = 1_800_000_000.0
    assert (
        reset_wait(
            httpx2.Headers({"x-ratelimit-requests-reset": str(int((now + 12.2) * 1000))}), now
        )
        == 13
    )
    assert reset_wait(httpx2.Headers({}), now) == 60


async def test_bad_key_names_the_fix_never_the_key(fake: FakeLinear) -> None:
    MASKER.add("lin_api_wrong_999")
    with pytest.raises(SourceError) as info:
        await connector(fake, api_key="lin_api_wrong_999").fetch_ticket("SUP-7")
    text = f"{info.value.message} ({info.value.hint})"
    assert text.startswith("linear 'bugs': HTTP 400") and "Authentication required" in text
    assert "connectors.bugs.api_key" in text
    assert "lin_api_wrong_999" not in text and KEY not in text


@pytest.mark.parametrize(
    ("status", "body", "ctype", "expected"),
    [
        (500, "<h1>oops</h1>", "text/html", "expected JSON from POST /graphql but got HTTP 500"),
        (200, '{"data": {', "application/json", "expected JSON"),
        (502, '{"errors": [{"message": "upstream"}]}', "application/json", "HTTP 502"),
    ],
)
async def test_broken_answers_are_one_line(
    fake: FakeLinear, status: int, body: str, ctype: str, expected: str
) -> None:
    fake.fallback = None
    for _ in range(4):  # 502 is retried by the shared client; every attempt fails
        fake.script(raw_reply(status, body, {"content-type": ctype, "retry-after": "0"}))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert expected in info.value.message and "\n" not in info.value.message
    with fake._lock:
        fake._scripted.clear()


async def test_a_declared_huge_body_is_refused(fake: FakeLinear) -> None:
    fake.script(raw_reply(200, b'{"data": ' + b" " * 300_000 + b"{}}"))
    with pytest.raises(SourceError, match="larger than 100,000 bytes"):
        await connector(fake, max_response_bytes=100_000).collect(query())


async def test_a_streamed_huge_body_is_capped_while_reading(fake: FakeLinear) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"data": {"searchIssues": {"nodes": ['
        for n in range(20_000):
            sent.append(n)
            yield b'{"title": "' + b"x" * 65_000 + b'"},'
        yield b"{}]}}}"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    fake.script(Streaming())
    with pytest.raises(SourceError, match="larger than 200,000 bytes"):
        await connector(fake, max_response_bytes=200_000).collect(query())
    assert len(sent) < 200


async def test_a_streamed_ratelimited_answer_is_still_a_clear_line(fake: FakeLinear) -> None:
    body = json.dumps(error_body("Rate limit exceeded", "RATELIMITED")).encode()

    class Chunked(Reply):  # no Content-Length: not peeked by the transport
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], iter([body]))

    fake.script(Chunked())
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert "Rate limit exceeded" in info.value.message
    assert "rate limit" in (info.value.hint or "").lower()


# --- check and ticket search -----------------------------------------------------------------


async def test_check_signs_in_and_says_what_is_not_verified(fake: FakeLinear) -> None:
    checks = await connector(fake).check()
    assert checks[0].ok and "Support Bot" in checks[0].detail
    assert checks[1].warning and "not verified" in checks[1].detail
    assert fake.queries[0]["root"] == "viewer"
    bad = await connector(fake, api_key="nope").check()
    assert not bad[0].ok and "api_key" in bad[0].detail


async def test_search_tickets_by_state_name_newest_first(fake: FakeLinear) -> None:
    for n in range(1, 6):
        fake.add_issue(make_issue(f"SUP-{n}", createdAt=f"2026-11-2{n}T00:00:00.000Z"))
    fake.add_issue(make_issue("SUP-9", state={"name": "Done", "type": "completed"}))
    ids = await connector(fake).search_tickets("todo", 4)
    assert ids == ["SUP-5", "SUP-4", "SUP-3", "SUP-2"]
    assert fake.queries[0]["variables"]["filter"] == {"state": {"name": {"eqIgnoreCase": "todo"}}}


# --- end to end -------------------------------------------------------------------------------


def cli_config(fake: FakeLinear, key: str = "${LINEAR_TEST_KEY}") -> dict[str, Any]:
    return {
        "ticket_source": "bugs",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "15s"},
        "connectors": {"bugs": {"type": "linear", "base_url": fake.url, "api_key": key}},
    }


def test_cli_exit_3_for_a_missing_issue(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEAR_TEST_KEY", KEY)
    result = cli("ticket", "ENG-404", "-c", str(write_config(cli_config(fake))))
    assert result.code == 3 and "ticket ENG-404 not found" in result.err


def test_cli_exit_4_for_a_bad_key(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEAR_TEST_KEY", "lin_api_wrong_42")
    result = cli("ticket", "SUP-7", "-c", str(write_config(cli_config(fake))))
    assert result.code == 4 and "ticket source 'bugs' failed" in result.err
    assert "api_key" in result.err and "lin_api_wrong_42" not in result.out + result.err


def test_cli_report_from_a_linear_issue_lists_known_issues(  # type: ignore[no-untyped-def]
    cli, write_config, fake, monkeypatch
) -> None:
    monkeypatch.setenv("LINEAR_TEST_KEY", KEY)
    seed(fake)
    fake.issues["SUP-7"]["description"] = "Export fails with ERR_EXPORT_SERIALIZE"
    known(fake)
    result = cli(
        "ticket",
        "SUP-7",
        "-c",
        str(write_config(cli_config(fake))),
        "--format",
        "json",
        "--until",
        "2026-11-24T12:00:00Z",
    )
    assert result.code == 0, result.err
    report = result.json()
    keys = {e["title"].split(":")[0] for e in report["evidence"] if e["kind"] == "issue"}
    assert "ENG-101" in keys and "SUP-7" not in keys
    assert KEY not in result.out + result.err


async def test_an_unreachable_server_is_one_line_within_the_deadline() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    c = Linear(
        "bugs",
        Linear.config_model.model_validate(
            {"type": "linear", "base_url": f"http://127.0.0.1:{port}", "api_key": KEY}
        ),
        Context(),
    )
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await c.collect(query(deadline=time.monotonic() + 2))
    assert started.busy_free < 3
    assert info.value.message.startswith("linear 'bugs': cannot connect to POST")
    assert "\n" not in info.value.message and KEY not in info.value.message


# --- --post-note: commentCreate, the one mutation ---------------------------------------------


def test_post_note_sends_one_comment_create_and_a_rerun_none(
    cli, write_config, fake, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice, with_write_back

    monkeypatch.setenv("LINEAR_TEST_KEY", KEY)
    seed(fake)
    config = with_write_back(cli_config(fake), token=KEY)
    note = post_twice(cli, write_config, config, "SUP-7", lambda: fake.notes)
    assert note["issueId"] == "uuid-sup-7" and "### Root cause" in note["body"]
    assert fake.writes == [] and fake.problems == []  # valid against Linear's schema


def test_the_note_client_refuses_any_other_mutation() -> None:
    from investigate_connectors.linear import COMMENT_CREATE, only_comment_create

    ok = {"query": COMMENT_CREATE, "variables": {"input": {"issueId": "x", "body": "hi"}}}
    only_comment_create(json.dumps(ok).encode())
    bad = [
        {"query": 'mutation { issueUpdate(id: "x", input: {stateId: "done"}) { success } }'},
        {"query": COMMENT_CREATE.replace("commentCreate(", "issueDelete(")},
        {"query": COMMENT_CREATE + " query Q { viewer { id } }"},
        {**ok, "variables": {"input": {"issueId": "x", "body": "hi", "parentId": "p"}}},
        {"query": "{ viewer { id } }"},
    ]
    for body in bad:
        with pytest.raises(ReadOnlyViolation):
            only_comment_create(json.dumps(body).encode())
