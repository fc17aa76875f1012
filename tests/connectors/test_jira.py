"""`jira`: issues (Cloud v3 with ADF, Data Center v2 with a PAT) and Service Management requests
as tickets, comments paged, known-issue search over /search/jql with escaped JQL (table-driven
hostile values parsed back by a JQL grammar), rate limits, failures as one line, the edit
permission posture, and exit codes via the CLI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stamina
from busyclock import Stopwatch
from fakes.anthropic_api import raw_reply
from fakes.jira import (
    FakeJira,
    adf,
    make_comment,
    make_issue,
    make_jsm_comment,
    make_request,
    parse_jql,
    person,
)

from investigate.context import Context
from investigate.errors import ConfigError, SourceError, TicketNotFound
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.jira import Jira, jql_string, jql_text

EMAIL = "bot@acme.io"
TOKEN = "jira_fake_token_123"
PAT = "jira_dc_pat_456"
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
def fake() -> Iterator[FakeJira]:
    with FakeJira(email=EMAIL, token=TOKEN, pat=PAT) as server:
        yield server
        server.check()


def connector(fake: FakeJira, **extra: Any) -> Jira:
    section: dict[str, Any] = {
        "type": "jira",
        "base_url": fake.url,
        "deployment": "cloud",
        "email": EMAIL,
        "api_token": TOKEN,
    }
    section.update(extra)
    return Jira("bugs", Jira.config_model.model_validate(section), Context())


def dc(fake: FakeJira, **extra: Any) -> Jira:
    section = {"type": "jira", "base_url": fake.url, "deployment": "datacenter", "pat": PAT}
    section.update(extra)
    return Jira("bugs", Jira.config_model.model_validate(section), Context())


def query(entities: Entities | None = None, **kw: Any) -> Query:
    ticket = Ticket(
        id=kw.get("ticket_id", "4812"),
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


DESCRIPTION = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
        {
            "type": "orderedList",
            "content": [
                {
                    "type": "listItem",
                    "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "Open Reports"}]}
                    ],
                }
            ],
        },
        {
            "type": "codeBlock",
            "content": [{"type": "text", "text": "ERR_EXPORT_SERIALIZE row 1042"}],
        },
    ],
}


def seed(fake: FakeJira, comments: int = 3) -> None:
    fake.add_issue(
        make_issue(
            "SUP-7",
            summary="CSV export fails",
            description=DESCRIPTION,
            labels=["export"],
            assignee=person("Agent Kay"),
            attachment=[{"filename": "export.log", "size": 4096, "mimeType": "text/plain"}],
        )
    )
    fake.add_comments(
        "SUP-7",
        [make_comment(i, adf(f"Reply {i}"), jsdPublic=i % 3 != 0) for i in range(1, comments + 1)],
    )


def known(fake: FakeJira) -> None:
    fake.add_issue(
        make_issue(
            "BUG-101",
            summary="ERR_EXPORT_SERIALIZE when exporting CSV with unicode",
            description=adf("CSV export crashes with ERR_EXPORT_SERIALIZE for emoji rows."),
            status="In Progress",
            category="progress",
            assignee=person("Kay"),
            fixVersions=[{"name": "2.4.1", "id": "1"}],
            updated="2026-11-24T08:00:00.000+0000",
        )
    )
    fake.add_issue(
        make_issue(
            "BUG-102",
            summary="Dark mode",
            description=adf("a log line mentions ERR_EXPORT_SERIALIZE"),
            status="Done",
            category="done",
            updated="2026-11-20T08:00:00.000+0000",
        )
    )
    fake.add_issue(make_issue("BUG-103", summary="Unrelated", description=adf("nothing")))


# --- ticket source -------------------------------------------------------------------------


async def test_fetch_cloud_issue_renders_adf_and_pages_comments(fake: FakeJira) -> None:
    seed(fake, comments=5)
    fake.page_size_cap = 2  # 5 comments → 3 pages (startAt 0, 2, 4)
    ticket = await connector(fake).fetch_ticket("sup-7")
    assert ticket.id == "SUP-7" and ticket.url == f"{fake.url}/browse/SUP-7"
    assert ticket.subject == "CSV export fails" and ticket.status == "To Do"
    assert ticket.requester.name == "Dana Scully" and ticket.requester.email == "dana@acme.io"
    assert ticket.description == (
        "Steps\n1. Open Reports\n    ERR_EXPORT_SERIALIZE row 1042\n\n"
        "[attachments: export.log (4.0 KB, text/plain)]"
    )
    assert [c.body for c in ticket.comments] == [f"Reply {i}" for i in range(1, 6)]
    assert [c.public for c in ticket.comments] == [True, True, False, True, True]
    assert ticket.priority == "High" and ticket.tags == ["export"]
    assert ticket.custom_fields == {"assignee": "Agent Kay"}
    assert ticket.raw["issue"]["key"] == "SUP-7" and len(ticket.raw["comments"]) == 5
    pages = [r for r in fake.requests if r.path.endswith("/comment")]
    assert [r.query.split("&")[0] for r in pages] == ["startAt=0", "startAt=2", "startAt=4"]
    assert all(r.path.startswith("/rest/api/3/") for r in fake.requests)
    assert all(r.headers["authorization"].startswith("Basic ") for r in fake.requests)


async def test_data_center_uses_v2_wiki_text_and_a_bearer_pat(fake: FakeJira) -> None:
    fake.add_issue(make_issue("OPS-1", summary="DC issue", description="h2. Steps\nplain *wiki*"))
    fake.add_comments("OPS-1", [make_comment(1, "wiki comment")])
    ticket = await dc(fake).fetch_ticket("OPS-1")
    assert ticket.description == "h2. Steps\nplain *wiki*"
    assert ticket.comments[0].body == "wiki comment"
    assert all(r.path.startswith("/rest/api/2/") for r in fake.requests)
    assert fake.requests[0].headers["authorization"] == f"Bearer {PAT}"


async def test_service_desk_request_with_public_and_internal_comments(fake: FakeJira) -> None:
    fake.add_request(
        make_request("HELP-9", "Can't export", "Export fails with ERR_EXPORT_SERIALIZE"),
        comments=[make_jsm_comment(i, f"note {i}", public=i != 2) for i in range(1, 4)],
        attachments=[{"filename": "shot.png", "size": 2048, "mimeType": "image/png"}],
    )
    fake.page_size_cap = 2
    ticket = await connector(fake, service_desk=True).fetch_ticket("HELP-9")
    assert ticket.id == "HELP-9" and ticket.subject == "Can't export"
    assert ticket.url == "https://acme.atlassian.net/servicedesk/customer/portal/1/HELP-9"
    assert ticket.description.startswith("Export fails with ERR_EXPORT_SERIALIZE")
    assert "[attachments: shot.png (2.0 KB, image/png)]" in ticket.description
    assert [(c.body, c.public) for c in ticket.comments] == [
        ("note 1", True),
        ("note 2", False),
        ("note 3", True),
    ]
    assert ticket.status == "Waiting for support"
    assert ticket.custom_fields == {"customfield_10010": "acc_1042"}
    comment_pages = [r for r in fake.requests if r.path.endswith("/comment")]
    assert len(comment_pages) == 2
    assert all("public=true" in r.query and "internal=true" in r.query for r in comment_pages)


async def test_missing_issue_and_request_are_not_found(fake: FakeJira) -> None:
    with pytest.raises(TicketNotFound, match="ticket SUP-404 not found in Jira"):
        await connector(fake).fetch_ticket("SUP-404")
    with pytest.raises(TicketNotFound, match="ticket HELP-404 not found in Jira"):
        await connector(fake, service_desk=True).fetch_ticket("HELP-404")


@pytest.mark.parametrize(
    "bad", ["../SUP-1", "SUP-1/../../myself", "SUP 1", "1 OR 1=1", "SUP-1\nX", "SUP-"]
)
async def test_malformed_keys_never_reach_the_server(fake: FakeJira, bad: str) -> None:
    with pytest.raises(TicketNotFound, match="Jira keys look like ABC-123"):
        await connector(fake).fetch_ticket(bad)
    assert fake.requests == []


async def test_comment_paging_is_capped_with_a_note(fake: FakeJira) -> None:
    seed(fake, comments=9)
    fake.page_size_cap = 2
    ticket = await connector(fake, max_comment_pages=2).fetch_ticket("SUP-7")
    assert len(ticket.comments) == 4
    assert ticket.raw["investigate_notes"] == ["only the first 2 pages of comments were read"]


# --- known issues --------------------------------------------------------------------------


async def test_known_issues_via_search_jql_scored_against_the_ticket(fake: FakeJira) -> None:
    known(fake)
    out = await connector(fake, jql="project = BUG").collect(query())
    by_key = {e.title.split(":")[0]: e for e in out.evidence}
    assert list(by_key) == ["BUG-101", "BUG-102"]  # ORDER BY updated DESC
    hit, done = by_key["BUG-101"], by_key["BUG-102"]
    assert hit.kind == "issue" and hit.url == f"{fake.url}/browse/BUG-101"
    assert hit.record["status"] == "in_progress"
    assert hit.record["vendor_status"] == "In Progress"
    assert hit.record["fix_versions"] == ["2.4.1"]
    assert hit.record["assignee"] == "Kay"
    assert done.record["status"] == "resolved"
    assert hit.text_score > done.text_score > 0
    assert fake.requests[0].path == "/rest/api/3/search/jql"
    assert fake.parsed[0] == [("project", "=", "BUG"), ("text", "~", '"ERR_EXPORT_SERIALIZE"')]
    assert fake.orders[0] == ["updated"]


async def test_next_page_token_paging_to_the_cap(fake: FakeJira) -> None:
    for n in range(1, 8):
        fake.add_issue(make_issue(f"BUG-{n}", summary=f"ERR_EXPORT_SERIALIZE {n}"))
    fake.page_size_cap = 3
    out = await connector(fake, max_issues=7, max_pages=5).collect(query())
    assert len(out.evidence) == 7
    tokens = [r.query for r in fake.requests]
    assert "nextPageToken" not in tokens[0] and "nextPageToken=3" in tokens[1]
    assert "nextPageToken=6" in tokens[2] and len(tokens) == 3


async def test_data_center_search_pages_with_start_at(fake: FakeJira) -> None:
    for n in range(1, 6):
        fake.add_issue(make_issue(f"BUG-{n}", summary=f"ERR_EXPORT_SERIALIZE {n}"))
    fake.page_size_cap = 2
    out = await dc(fake, max_issues=5, max_pages=5).collect(query())
    assert len(out.evidence) == 5
    assert [r.path for r in fake.requests] == ["/rest/api/2/search"] * 3
    assert ["startAt=0" in r.query for r in fake.requests] == [True, False, False]


async def test_own_issue_is_left_out(fake: FakeJira) -> None:
    known(fake)
    fake.add_issue(make_issue("SUP-7", summary="ERR_EXPORT_SERIALIZE on export"))
    out = await connector(fake).collect(query(ticket_id="SUP-7", url=f"{fake.url}/browse/SUP-7"))
    assert "SUP-7" not in {e.title.split(":")[0] for e in out.evidence}
    assert ("key", "!=", "SUP-7") in fake.parsed[0]


HOSTILE = [
    'ERR" OR project = SECRET OR text ~ "x',
    'ERR\\" OR key = X-1 --',
    "x) OR (project = SECRET",
    "line one\nAND project = SECRET\r\nORDER BY key",
    "100% off / ../../admin?",
    "' OR 1=1; DROP TABLE issues; --",
    "trailing backslash \\",
    "AND OR NOT EMPTY NULL ORDER BY",
    "fo* ~bar^2 +must -not {a TO b} [c] field:value",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
async def test_a_hostile_value_stays_one_text_phrase(fake: FakeJira, value: str) -> None:
    known(fake)
    await connector(fake, jql="project = BUG").collect(query(Entities(error_codes=[value])))
    [clauses] = fake.parsed
    assert clauses[0] == ("project", "=", "BUG") and len(clauses) == 2
    field, op, literal = clauses[1]
    assert (field, op) == ("text", "~")
    assert literal.startswith('"') and literal.endswith('"') and literal.count('"') == 2
    inner = literal[1:-1]
    assert inner and not set(inner) & set('+-&|!(){}[]^~*?\\:"/\n\r')
    assert fake.orders == [["updated"]]


def test_jql_string_escapes_quotes_and_backslashes() -> None:
    cases = {'a"b': '"a\\"b"', "a\\b": '"a\\\\b"', "x\ny": '"x y"', "plain": '"plain"'}
    for value, expected in cases.items():
        assert jql_string(value) == expected
        _pred, clauses, _order = parse_jql(f"summary ~ {expected}")
        assert clauses == [("summary", "~", " ".join(value.split()))]
    assert jql_text("\n ~ * \n") is None


# --- rate limits and failures --------------------------------------------------------------


async def test_429_retry_after_is_honoured(fake: FakeJira) -> None:
    known(fake)
    fake.script(
        raw_reply(429, '{"errorMessages": ["Rate limit exceeded"]}', {"retry-after": "1"}),
        path="/search/jql",
    )
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9 and len(out.evidence) == 2


async def test_429_past_the_deadline_is_one_clear_line(fake: FakeJira) -> None:
    fake.script(raw_reply(429, "{}", {"retry-after": "3600"}), path="/search/jql")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert info.value.message.startswith("jira 'bugs': HTTP 429")
    assert "rate limit" in (info.value.hint or "").lower()


async def test_the_removed_search_endpoint_410_names_the_fix(fake: FakeJira) -> None:
    fake.script(raw_reply(410, '{"errorMessages": ["removed"]}'), path="/search/jql")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert "HTTP 410" in info.value.message and "deployment" in (info.value.hint or "")


async def test_bad_credentials_name_the_fix_never_the_secret(fake: FakeJira) -> None:
    MASKER.add("wrong_jira_token_999")
    with pytest.raises(SourceError) as info:
        await connector(fake, api_token="wrong_jira_token_999").fetch_ticket("SUP-7")
    text = f"{info.value.message} ({info.value.hint})"
    assert text.startswith("jira 'bugs': HTTP 401")
    assert "connectors.bugs.api_token" in text and "connectors.bugs.pat" in text
    assert "wrong_jira_token_999" not in text and TOKEN not in text


@pytest.mark.parametrize(
    ("status", "body", "ctype", "expected"),
    [
        (500, "<h1>oops</h1>", "text/html", "HTTP 500"),
        (200, '{"issues": [', "application/json", "invalid JSON"),
        (200, "<html>Log in</html>", "text/html", "got an HTML page"),
        (200, '{"values": []}', "application/json", "expected search results"),
    ],
)
async def test_broken_answers_are_one_line(
    fake: FakeJira, status: int, body: str, ctype: str, expected: str
) -> None:
    fake.script(raw_reply(status, body, {"content-type": ctype}), path="/search/jql")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert expected in info.value.message and "\n" not in info.value.message


async def test_a_declared_huge_body_is_refused(fake: FakeJira) -> None:
    fake.script(raw_reply(200, b'{"issues": [' + b" " * 300_000 + b"]}"), path="/search/jql")
    with pytest.raises(SourceError, match="larger than 100,000 bytes"):
        await connector(fake, max_response_bytes=100_000).collect(query())


# --- config and check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"base_url": "https://acme.atlassian.net"}, "set email and api_token"),
        ({"base_url": "acme.atlassian.net", "pat": "x"}, "base_url must start with https://"),
        ({"base_url": "https://j.io", "pat": "x", "jql": "project = X ORDER BY key"}, "ORDER BY"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Any, section: dict[str, Any], message: str) -> None:
    import json

    from investigate.config import load_config

    path = tmp_path / "investigate.yaml"
    path.write_text(json.dumps({"connectors": {"bugs": {"type": "jira", **section}}}))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}).connector_config("bugs", Jira.config_model)
    assert message in info.value.message


def test_deployment_defaults_by_host() -> None:
    cloud = Jira.config_model.model_validate(
        {
            "type": "jira",
            "base_url": "https://acme.atlassian.net",
            "email": "a@b.c",
            "api_token": "t",
        }
    )
    server = Jira.config_model.model_validate(
        {"type": "jira", "base_url": "https://jira.acme.io", "pat": "p"}
    )
    assert cloud.api == "/rest/api/3" and server.api == "/rest/api/2"


async def test_check_warns_when_the_account_can_edit(fake: FakeJira) -> None:
    fake.can_edit = True
    checks = await connector(fake).check()
    assert checks[0].ok and "Support Bot" in checks[0].detail
    assert checks[1].warning and not checks[1].ok and "can edit issues" in checks[1].detail
    assert fake.requests[1].path == "/rest/api/3/mypermissions"
    assert fake.requests[1].query == "permissions=EDIT_ISSUES"


async def test_check_read_only_account_and_bad_credentials(fake: FakeJira) -> None:
    checks = await connector(fake).check()
    assert checks[1].ok and not checks[1].warning
    bad = await connector(fake, api_token="nope").check()
    assert not bad[0].ok and "HTTP 401" in bad[0].detail and "api_token" in bad[0].detail


# --- ticket search ----------------------------------------------------------------------------


async def test_search_tickets_passes_the_users_jql_and_orders_newest_first(fake: FakeJira) -> None:
    for n in range(1, 6):
        fake.add_issue(make_issue(f"SUP-{n}", created=f"2026-11-2{n}T00:00:00.000+0000"))
    fake.add_issue(make_issue("OPS-1"))
    fake.page_size_cap = 2
    keys = await connector(fake).search_tickets('project = SUP AND status = "To Do"', 4)
    assert keys == ["SUP-5", "SUP-4", "SUP-3", "SUP-2"]
    assert fake.parsed[0] == [("project", "=", "SUP"), ("status", "=", "To Do")]
    assert fake.orders[0] == ["created"]


# --- end to end -------------------------------------------------------------------------------


def cli_config(fake: FakeJira, token: str = "${JIRA_TEST_TOKEN}") -> dict[str, Any]:
    return {
        "ticket_source": "bugs",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "15s"},
        "connectors": {
            "bugs": {
                "type": "jira",
                "base_url": fake.url,
                "deployment": "cloud",
                "email": EMAIL,
                "api_token": token,
            }
        },
    }


def test_cli_exit_3_for_a_missing_issue(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JIRA_TEST_TOKEN", TOKEN)
    result = cli("ticket", "SUP-404", "-c", str(write_config(cli_config(fake))))
    assert result.code == 3 and "ticket SUP-404 not found" in result.err


def test_cli_exit_4_for_bad_credentials(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JIRA_TEST_TOKEN", "jira_wrong_token_42")
    result = cli("ticket", "SUP-7", "-c", str(write_config(cli_config(fake))))
    assert result.code == 4 and "ticket source 'bugs' failed" in result.err
    assert "HTTP 401" in result.err and "api_token" in result.err
    assert "jira_wrong_token_42" not in result.out + result.err


def test_cli_report_from_a_jira_issue_lists_known_issues(  # type: ignore[no-untyped-def]
    cli, write_config, fake, monkeypatch
) -> None:
    monkeypatch.setenv("JIRA_TEST_TOKEN", TOKEN)
    seed(fake)
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
    assert report["ticket"]["url"] == f"{fake.url}/browse/SUP-7"
    keys = {e["title"].split(":")[0] for e in report["evidence"] if e["kind"] == "issue"}
    assert "BUG-101" in keys and "SUP-7" not in keys
    assert TOKEN not in result.out + result.err


# --- --post-note: a restricted comment; JSM: an internal comment ----------------------------


def test_post_note_adds_one_restricted_comment_and_a_rerun_none(
    cli, write_config, fake, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice, with_write_back

    monkeypatch.setenv("JIRA_TEST_TOKEN", TOKEN)
    seed(fake)
    config = with_write_back(cli_config(fake), email=EMAIL, token=TOKEN, visibility="Developers")
    note = post_twice(cli, write_config, config, "SUP-7", lambda: fake.notes)
    assert note["visibility"] == {"type": "role", "value": "Developers"}
    assert "h3. Root cause" in note["body"] and "{quote}" in note["body"]
    writes = [r for r in fake.requests if r.method == "POST"]
    assert [r.path for r in writes] == ["/rest/api/2/issue/SUP-7/comment"]


def test_post_note_on_jsm_adds_one_internal_comment(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice, with_write_back

    monkeypatch.setenv("JIRA_TEST_TOKEN", TOKEN)
    fake.add_request(
        make_request("HELP-9", "Can't export", "Export fails with ERR_EXPORT_SERIALIZE"),
        comments=[make_jsm_comment(1, "note 1")],
    )
    config = with_write_back(cli_config(fake), email=EMAIL, token=TOKEN)
    config["connectors"]["bugs"].update(service_desk=True, known_issues=False)
    note = post_twice(cli, write_config, config, "HELP-9", lambda: fake.notes)
    assert note["public"] is False and set(note) == {"body", "public"}
    writes = [r for r in fake.requests if r.method == "POST"]
    assert [r.path for r in writes] == ["/rest/servicedeskapi/request/HELP-9/comment"]
