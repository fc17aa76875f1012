"""`github`: issues as tickets (comments paged through Link), known-issue search with escaped
phrases, GitHub's rate-limit signals, failures as one line, read-only posture, exit codes via
the CLI, and the fake's traffic validated against GitHub's OpenAPI description."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stamina
from busyclock import Stopwatch
from fakes.anthropic_api import Reply, Response, raw_reply
from fakes.github import (
    FakeGitHub,
    cross_reference,
    label,
    make_comment,
    make_issue,
    milestone,
    parse_q,
    rate_limited,
    user,
)
from spec_validation import needs_spec

from investigate.context import Context
from investigate.errors import SourceError, TicketNotFound
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate.sdk.trackers import markdown_to_text
from investigate.secrets import MASKER
from investigate_connectors.github import GitHub, link_next, quote_phrase

TOKEN = "ghp_fake_token_123"
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
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as server:
        yield server
        server.check()


def connector(fake: FakeGitHub, **extra: Any) -> GitHub:
    section = {"type": "github", "base_url": fake.url, "token": TOKEN, "repo": "acme/app"}
    section.update(extra)
    return GitHub("bugs", GitHub.config_model.model_validate(section), Context())


def query(entities: Entities | None = None, subject: str = "CSV export fails", **kw: Any) -> Query:
    ticket = Ticket(
        id="4812",
        subject=subject,
        description="Every export fails with ERR_EXPORT_SERIALIZE since this morning.",
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )
    return Query(
        ticket=ticket,
        entities=entities or Entities(error_codes=["ERR_EXPORT_SERIALIZE"]),
        window=WINDOW,
        deadline=kw.get("deadline", time.monotonic() + 20),
    )


BODY = """<!-- template: bug -->
## Steps

1. Open **Reports**
2. Click [Export](https://app.acme.io/export)

```
ERR_EXPORT_SERIALIZE at row 1042
```

![screenshot.png](https://github.com/user-attachments/assets/abc-123)
[export.log](https://github.com/user-attachments/files/99/export.log)
"""


def seed(fake: FakeGitHub, comments: int = 5) -> None:
    fake.add_issue(
        "acme/app",
        make_issue(
            "acme/app",
            7,
            title="CSV export fails",
            body=BODY,
            user=user("dana", 5),
            labels=[label("bug")],
            assignees=[user("kay", 6)],
            assignee=user("kay", 6),
            comments=comments,
        ),
    )
    fake.add_comments(
        "acme/app",
        7,
        [
            make_comment(i, f"**Reply** {i}", "kay" if i % 2 else "dana")
            for i in range(1, comments + 1)
        ],
    )


def known(fake: FakeGitHub) -> None:
    fake.add_issue(
        "acme/app",
        make_issue(
            "acme/app",
            101,
            title="ERR_EXPORT_SERIALIZE when exporting CSV with unicode",
            body="CSV export crashes with ERR_EXPORT_SERIALIZE for rows with emoji.",
            assignee=user("kay", 6),
            milestone=milestone("v2.4.1"),
            updated_at="2026-11-24T08:00:00Z",
        ),
    )
    fake.add_issue(
        "acme/app",
        make_issue(
            "acme/app",
            102,
            title="Dark mode toggle",
            body="mentions ERR_EXPORT_SERIALIZE once in a log",
            state="closed",
            state_reason="completed",
            closed_at="2026-11-22T00:00:00Z",
        ),
    )
    fake.add_issue("acme/app", make_issue("acme/app", 103, title="Unrelated", body="nothing"))
    fake.timelines[("acme/app", 101)] = [
        cross_reference("acme/app", 55, merged=True),
        cross_reference("acme/app", 56),
    ]


# --- ticket source -------------------------------------------------------------------------


async def test_fetch_ticket_maps_the_issue_and_every_comment_page(fake: FakeGitHub) -> None:
    seed(fake, comments=5)
    fake.page_size_cap = 2  # 5 comments → 3 pages through Link rel="next"
    ticket = await connector(fake).fetch_ticket("7")
    assert ticket.id == "7" and ticket.url == "https://github.com/acme/app/issues/7"
    assert ticket.subject == "CSV export fails" and ticket.requester.name == "dana"
    assert ticket.status == "open" and ticket.tags == ["bug"]
    assert ticket.custom_fields == {"repository": "acme/app", "assignees": ["kay"]}
    d = ticket.description
    assert "<!--" not in d and "##" not in d and "**" not in d and "```" not in d
    assert "Open Reports" in d and "Export (https://app.acme.io/export)" in d
    assert "ERR_EXPORT_SERIALIZE at row 1042" in d
    assert "[attachments: screenshot.png (image/png); export.log (text/plain)]" in d
    assert [c.body for c in ticket.comments] == [f"Reply {i}" for i in range(1, 6)]
    assert ticket.comments[0].author == "kay" and ticket.comments[1].author == "dana"
    assert ticket.raw["issue"]["number"] == 7 and len(ticket.raw["comments"]) == 5
    pages = [r for r in fake.requests if r.path.endswith("/comments")]
    assert len(pages) == 3
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    assert all(r.headers["x-github-api-version"] == "2022-11-28" for r in fake.requests)


@pytest.mark.parametrize("ticket_id", ["#7", "acme/app#7", " 7 ", "ACME/app#7"])
async def test_ticket_id_forms(fake: FakeGitHub, ticket_id: str) -> None:
    seed(fake, comments=0)
    ticket = await connector(fake).fetch_ticket(ticket_id)
    assert ticket.subject == "CSV export fails"
    assert fake.requests[0].path.lower() == "/repos/acme/app/issues/7"


async def test_another_repos_issue_keeps_its_repo_in_the_id(fake: FakeGitHub) -> None:
    fake.add_issue("acme/sdk", make_issue("acme/sdk", 3, title="SDK bug"))
    ticket = await connector(fake).fetch_ticket("acme/sdk#3")
    assert ticket.id == "acme/sdk#3" and ticket.custom_fields["repository"] == "acme/sdk"


async def test_missing_issue_is_not_found(fake: FakeGitHub) -> None:
    with pytest.raises(TicketNotFound, match=r"ticket acme/app#999 not found in GitHub"):
        await connector(fake).fetch_ticket("999")


@pytest.mark.parametrize(
    "bad", ["../7", "7/../../user", "acme/../x#7", "1 OR 1=1", "7\nX", "abc", "a/b/c#7", "%2e%2e#7"]
)
async def test_malformed_ids_never_reach_the_server(fake: FakeGitHub, bad: str) -> None:
    with pytest.raises(TicketNotFound, match="GitHub issues are numbers"):
        await connector(fake).fetch_ticket(bad)
    assert fake.requests == []


async def test_comment_paging_stops_at_the_cap_with_a_note(fake: FakeGitHub) -> None:
    seed(fake, comments=9)
    fake.page_size_cap = 2
    ticket = await connector(fake, max_comment_pages=2).fetch_ticket("7")
    assert len(ticket.comments) == 4
    assert ticket.raw["investigate_notes"] == ["only the first 2 pages of comments were read"]


async def test_a_next_link_to_another_host_is_not_followed(fake: FakeGitHub) -> None:
    seed(fake, comments=1)
    fake.script(
        raw_reply(200, "[]", {"link": '<https://evil.example/steal?page=2>; rel="next"'}),
        path="/comments",
    )
    ticket = await connector(fake).fetch_ticket("7")
    assert "next link leaves" in ticket.raw["investigate_notes"][0]
    assert len(fake.requests) == 2


# --- known issues --------------------------------------------------------------------------


async def test_known_issues_are_scored_against_the_ticket(fake: FakeGitHub) -> None:
    known(fake)
    out = await connector(fake).collect(query())
    by_key = {e.title.split(":")[0]: e for e in out.evidence}
    assert set(by_key) == {"acme/app#101", "acme/app#102"}
    hit, closed = by_key["acme/app#101"], by_key["acme/app#102"]
    assert hit.kind == "issue" and hit.url == "https://github.com/acme/app/issues/101"
    assert hit.record["status"] == "open" and hit.status == "open"
    assert hit.record["assignee"] == "kay"
    assert hit.record["fix_versions"] == ["milestone v2.4.1"]
    assert "fix: milestone v2.4.1" in hit.detail and "assigned to kay" in hit.detail
    assert hit.record["linked"] == [
        "https://github.com/acme/app/pull/55 (merged)",
        "https://github.com/acme/app/pull/56 (open)",
    ]
    assert "linked: https://github.com/acme/app/pull/55 (merged)" in hit.detail
    assert closed.record["linked"] == []
    timelines = [r.path for r in fake.requests if r.path.endswith("/timeline")]
    assert sorted(timelines) == [
        "/repos/acme/app/issues/101/timeline",
        "/repos/acme/app/issues/102/timeline",
    ]
    assert closed.record["status"] == "resolved"
    assert hit.text_score > (closed.text_score or 0) > 0
    assert hit.matched == ["err_export_serialize"]
    sent = fake.requests[0]
    assert sent.path == "/search/issues" and "advanced_search=true" in sent.query
    assert fake.parsed[0] == [
        ("qualifier", "is:issue"),
        ("qualifier", "repo:acme/app"),
        ("paren", "("),
        ("phrase", "ERR_EXPORT_SERIALIZE"),
        ("paren", ")"),
    ]
    assert TOKEN not in hit.query and hit.query.startswith("GET ")


async def test_a_failed_timeline_keeps_the_issue_and_max_timelines_0_skips_it(
    fake: FakeGitHub,
) -> None:
    known(fake)
    fake.script(raw_reply(500, "{}"), path="/101/timeline")
    out = await connector(fake).collect(query())
    assert len(out.evidence) == 2 and any("HTTP 500" in n for n in out.notes)
    fake.requests.clear()
    await connector(fake, max_timelines=0).collect(query())
    assert [r.path for r in fake.requests] == ["/search/issues"]


async def test_search_scope_and_filter_come_from_config(fake: FakeGitHub) -> None:
    known(fake)
    c = connector(fake, repos=["acme/app", "acme/sdk"], search_filter="is:issue is:open")
    out = await c.collect(query(Entities(error_codes=["ERR_EXPORT_SERIALIZE", "E_TIMEOUT"])))
    quals = [v for k, v in fake.parsed[0] if k == "qualifier"]
    assert quals == ["is:issue", "is:open", "repo:acme/app", "repo:acme/sdk"]
    assert [v for k, v in fake.parsed[0] if k == "op"] == ["OR"]
    assert [e.title.split(":")[0] for e in out.evidence] == ["acme/app#101"]


async def test_no_signal_means_no_request(fake: FakeGitHub) -> None:
    out = await connector(fake).collect(query(Entities(), subject=""))
    assert out.evidence == [] and "nothing in the ticket" in out.notes[0]
    assert fake.requests == []


HOSTILE = [
    'x" repo:evil/secrets is:pr "',
    "ERR) OR (repo:evil/x",
    "line one\nrepo:evil/x\r\nis:pr",
    "100% off / ../../admin",
    "trailing backslash \\",
    "' OR 1=1; DROP TABLE issues; --",
    "label:security NOT is:issue",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
async def test_a_hostile_value_cannot_add_a_qualifier(fake: FakeGitHub, value: str) -> None:
    await connector(fake).collect(query(Entities(error_codes=[value])))
    [tokens] = fake.parsed
    assert [v for k, v in tokens if k == "qualifier"] == ["is:issue", "repo:acme/app"]
    phrases = [v for k, v in tokens if k == "phrase"]
    assert len(phrases) == 1 and [k for k, _ in tokens if k in ("op", "word")] == []
    assert phrases[0] == " ".join(value.replace('"', " ").replace("\\", " ").split())


def test_quote_phrase_removes_what_could_end_the_phrase() -> None:
    assert quote_phrase('a"b\\c\nd') == '"a b c d"'
    assert quote_phrase(' "" ') is None
    assert parse_q(f"repo:a/b {quote_phrase('x repo:c/d')}") == [
        ("qualifier", "repo:a/b"),
        ("phrase", "x repo:c/d"),
    ]


# --- rate limits and failures --------------------------------------------------------------


async def test_exhausted_rate_limit_waits_for_the_reset(fake: FakeGitHub) -> None:
    known(fake)
    status, body, headers = rate_limited(reset_in=1)
    fake.script(raw_reply(status, body, headers), path="/search/issues")
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9
    assert len(out.evidence) == 2
    assert len([r for r in fake.requests if r.path == "/search/issues"]) == 2


async def test_secondary_rate_limit_retry_after_is_honoured(fake: FakeGitHub) -> None:
    known(fake)
    fake.script(
        raw_reply(
            403, '{"message": "You have exceeded a secondary rate limit"}', {"retry-after": "1"}
        ),
        path="/search/issues",
    )
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9 and len(out.evidence) == 2


async def test_a_reset_past_the_deadline_is_one_clear_line(fake: FakeGitHub) -> None:
    status, body, headers = rate_limited(reset_in=3600)
    fake.script(raw_reply(status, body, headers), path="/search/issues")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert info.value.message.startswith("github 'bugs': HTTP 429")
    assert "rate limit" in (info.value.hint or "") and "\n" not in info.value.message


async def test_a_plain_403_is_a_permission_error_not_a_rate_limit(fake: FakeGitHub) -> None:
    fake.script(raw_reply(403, '{"message": "Resource not accessible"}'), path="/issues/7")
    with pytest.raises(SourceError) as info:
        await connector(fake).fetch_ticket("7")
    assert "HTTP 403" in info.value.message and len(fake.requests) == 1
    assert "Issues (read)" in (info.value.hint or "")


async def test_bad_token_names_the_fix_and_never_the_token(fake: FakeGitHub) -> None:
    MASKER.add("ghp_wrong_token_999")
    c = connector(fake, token="ghp_wrong_token_999")
    with pytest.raises(SourceError) as info:
        await c.fetch_ticket("7")
    text = f"{info.value.message} ({info.value.hint})"
    assert text.startswith("github 'bugs': HTTP 401") and "connectors.bugs.token" in text
    assert "ghp_wrong_token_999" not in text and TOKEN not in text


@pytest.mark.parametrize(
    ("status", "body", "ctype", "expected"),
    [
        (500, "<h1>oops</h1>", "text/html", "HTTP 500"),
        (200, '{"total_count": 1, "items": [', "application/json", "invalid JSON"),
        (200, "<html>Sign in</html>", "text/html", "got an HTML page"),
        (200, '{"message": "no items"}', "application/json", "expected search results"),
    ],
)
async def test_broken_answers_are_one_line(
    fake: FakeGitHub, status: int, body: str, ctype: str, expected: str
) -> None:
    fake.script(raw_reply(status, body, {"content-type": ctype}), path="/search/issues")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert expected in info.value.message and "\n" not in info.value.message
    assert info.value.message.startswith("github 'bugs': ")


async def test_a_huge_response_is_capped_while_streaming(fake: FakeGitHub) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"items": ['
        for n in range(20_000):
            sent.append(n)
            yield b'{"title": "' + b"x" * 65_000 + b'"},'
        yield b"{}]}"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    fake.script(Streaming(), path="/search/issues")
    with pytest.raises(SourceError, match="larger than 200,000 bytes"):
        await connector(fake, max_response_bytes=200_000).collect(query())
    assert len(sent) < 200


# --- check ----------------------------------------------------------------------------------


async def test_check_warns_about_a_write_scope(fake: FakeGitHub) -> None:
    fake.scopes = "repo, read:org"
    checks = await connector(fake).check()
    assert checks[0].ok and "support-bot" in checks[0].detail
    assert checks[1].warning and not checks[1].ok
    assert "can write (repo)" in checks[1].detail and "fine-grained" in checks[1].detail


async def test_check_accepts_read_only_scopes(fake: FakeGitHub) -> None:
    fake.scopes = "read:org"
    checks = await connector(fake).check()
    assert checks[1].ok and not checks[1].warning and "no write scope" in checks[1].detail


async def test_check_says_a_fine_grained_token_is_not_verified(fake: FakeGitHub) -> None:
    checks = await connector(fake).check()
    assert checks[1].warning and "not verified" in checks[1].detail


async def test_check_with_a_bad_token(fake: FakeGitHub) -> None:
    checks = await connector(fake, token="nope_nope_nope").check()
    assert not checks[0].ok and "HTTP 401" in checks[0].detail and "token" in checks[0].detail


async def test_check_with_a_404_on_the_identity_call_points_at_the_api_root(
    fake: FakeGitHub,
) -> None:
    # e.g. a GitHub Enterprise base_url without /api/v3: no repository is involved in GET /user
    fake.script(raw_reply(404, '{"message": "Not Found"}'), path="/user")
    [check] = await connector(fake).check()
    assert not check.ok and "HTTP 404" in check.detail
    assert "base_url" in check.detail and "/api/v3" in check.detail
    assert "repo" not in check.detail.split("(", 1)[1]  # the hint is not about a repository


# --- ticket search --------------------------------------------------------------------------


async def test_search_tickets_pages_newest_first_up_to_the_limit(fake: FakeGitHub) -> None:
    for n in range(1, 8):
        fake.add_issue(
            "acme/app",
            make_issue(
                "acme/app",
                n,
                title=f"bug {n}",
                created_at=f"2026-11-2{n % 10}T00:00:00Z",
                labels=[label("bug")],
            ),
        )
    fake.add_issue("acme/app", make_issue("acme/app", 50, title="feature"))
    ids = await connector(fake).search_tickets("label:bug", 5)
    assert ids == ["7", "6", "5", "4", "3"]
    assert [v for k, v in fake.parsed[0] if k == "qualifier"] == [
        "repo:acme/app",
        "is:issue",
        "label:bug",
    ]
    assert "sort=created" in fake.requests[0].query and "order=desc" in fake.requests[0].query


# --- helpers --------------------------------------------------------------------------------


def test_link_next() -> None:
    header = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"'
    assert link_next(header) == "https://api.github.com/x?page=2"
    assert link_next('<https://api.github.com/x?page=1>; rel="prev"') is None


@pytest.mark.parametrize(
    ("md", "text"),
    [
        ("# Title\n\nBody **bold** and __also__", "Title\n\nBody bold and also"),
        ("<details><summary>Logs</summary>\n\nE1\n</details>", "Logs\n\nE1"),
        (
            "see [docs](https://d.io) and [https://x.io](https://x.io)",
            "see docs (https://d.io) and https://x.io",
        ),
        (
            '<img alt="shot.png" src="https://github.com/user-attachments/assets/1">',
            "[attachment: shot.png]\n\n[attachments: shot.png (image/png)]",
        ),
        ("", ""),
    ],
)
def test_markdown_to_text(md: str, text: str) -> None:
    assert markdown_to_text(md) == text


# --- contract -------------------------------------------------------------------------------


@needs_spec("github.json")
async def test_the_traffic_validates_against_githubs_spec(fake: FakeGitHub) -> None:
    seed(fake, comments=3)
    known(fake)
    fake.page_size_cap = 2
    await connector(fake).fetch_ticket("7")
    await connector(fake).collect(query())
    await connector(fake).search_tickets("is:open", 3)
    # 3 ticket pages + (1 search + 3 timelines) + 1 ticket search
    assert fake.spec_active and fake.validated == len(fake.requests) == 8
    assert fake.problems == []


@needs_spec("github.json")
async def test_the_spec_check_catches_a_wrong_issue_shape(fake: FakeGitHub) -> None:
    broken = make_issue("acme/app", 9)
    del broken["html_url"]
    broken["locked"] = "no"
    fake.add_issue("acme/app", broken)
    ticket = await connector(fake).fetch_ticket("9")
    assert ticket.url is None
    problems = " ".join(fake.problems)
    assert "html_url" in problems and "locked" in problems
    fake.problems.clear()


# --- end to end -----------------------------------------------------------------------------


def cli_config(fake: FakeGitHub, token: str = "${GITHUB_TEST_TOKEN}") -> dict[str, Any]:
    return {
        "ticket_source": "bugs",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "15s"},
        "connectors": {
            "bugs": {"type": "github", "base_url": fake.url, "token": token, "repo": "acme/app"}
        },
    }


def test_cli_exit_3_for_a_missing_issue(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GITHUB_TEST_TOKEN", TOKEN)
    result = cli("ticket", "4040", "-c", str(write_config(cli_config(fake))))
    assert result.code == 3 and "acme/app#4040 not found" in result.err


def test_cli_exit_4_for_a_bad_token(cli, write_config, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GITHUB_TEST_TOKEN", "ghp_not_the_right_one_42")
    result = cli("ticket", "7", "-c", str(write_config(cli_config(fake))))
    assert result.code == 4
    assert "ticket source 'bugs' failed" in result.err and "HTTP 401" in result.err
    assert "connectors.bugs.token" in result.err
    assert "ghp_not_the_right_one_42" not in result.err + result.out


def test_cli_report_from_a_github_issue_lists_known_issues(  # type: ignore[no-untyped-def]
    cli, write_config, fake, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_TEST_TOKEN", TOKEN)
    seed(fake, comments=2)
    known(fake)
    path: Path = write_config(cli_config(fake))
    result = cli(
        "ticket", "7", "-c", str(path), "--format", "json", "--until", "2026-11-24T12:00:00Z"
    )
    assert result.code == 0, result.err
    report = result.json()
    assert report["ticket"]["url"] == "https://github.com/acme/app/issues/7"
    issues = [e for e in report["evidence"] if e["kind"] == "issue"]
    assert "acme/app#101" in {e["title"].split(":")[0] for e in issues}
    assert all(e["title"].split(":")[0] != "acme/app#7" for e in issues)  # not itself
    assert TOKEN not in result.out + result.err


def test_known_issues_off_makes_a_pure_ticket_source(  # type: ignore[no-untyped-def]
    cli, write_config, fake, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_TEST_TOKEN", TOKEN)
    seed(fake, comments=1)
    known(fake)
    config = cli_config(fake)
    config["connectors"]["bugs"]["known_issues"] = False
    result = cli(
        "ticket",
        "7",
        "-c",
        str(write_config(config)),
        "--format",
        "json",
        "--until",
        "2026-11-24T12:00:00Z",
    )
    assert result.code == 0, result.err
    report = result.json()
    assert [s["name"] for s in report["sources"] if s["name"] == "bugs"] == []
    assert not [e for e in report["evidence"] if e["kind"] == "issue"]
    assert all(r.path != "/search/issues" for r in fake.requests)


def test_a_config_without_any_repository_is_an_error(tmp_path: Path) -> None:
    import json

    from investigate.config import load_config
    from investigate.errors import ConfigError

    path = tmp_path / "investigate.yaml"
    section = {"type": "github", "token": "t0ken"}
    path.write_text(json.dumps({"connectors": {"bugs": section}}))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}).connector_config("bugs", GitHub.config_model)
    assert "set repo" in info.value.message and "t0ken" not in info.value.message
    section = {"type": "github", "token": "t0ken", "repo": "acme/../x"}
    path.write_text(json.dumps({"connectors": {"bugs": section}}))
    with pytest.raises(ConfigError, match="repo must be owner/name"):
        load_config(path, env={}).connector_config("bugs", GitHub.config_model)


# --- --post-note: public comments need public_ok ---------------------------------------------


def test_post_note_is_refused_on_public_issues_unless_public_ok(
    cli, write_config, fake, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from notes_support import post_twice, with_write_back

    monkeypatch.setenv("GITHUB_TEST_TOKEN", TOKEN)
    seed(fake)
    refused = cli(
        "ticket",
        "7",
        "-c",
        str(write_config(with_write_back(cli_config(fake), token=TOKEN), name="no.yaml")),
        "--post-note",
    )
    assert refused.code == 2 and "GitHub comments are public" in refused.err
    assert fake.notes == []
    config = with_write_back(cli_config(fake), token=TOKEN, public_ok=True)
    note = post_twice(cli, write_config, config, "7", lambda: fake.notes)
    assert set(note) == {"body"} and "### Root cause" in note["body"]
