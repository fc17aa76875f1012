"""`sentry`: issue search built from the ticket, escaping, Link-cursor paging, the latest event's
stack trace, every failure as one line, and the fake's traffic checked against Sentry's spec."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import stamina
import yaml
from busyclock import Stopwatch
from fakes.anthropic_api import Reply, Response, raw_reply
from fakes.sentry import FakeSentry, make_event, make_issue, parse_search
from spec_validation import needs_spec

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import ConfigError, SourceError
from investigate.evidence import entities as entity_mod
from investigate.models import Entities, Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.sentry import Sentry, next_cursor, quote_value, summarise_event

TOKEN = "sntrys_fake_token_123"
WINDOW = Window(
    start=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
)
EXPORT_FRAMES = [
    {"function": "main", "filename": "app/cli.py", "lineNo": 5, "inApp": True},
    {"function": "run_export", "filename": "app/exports.py", "lineNo": 88, "inApp": True},
    {"function": "serialize", "filename": "app/serialize.py", "lineNo": 42, "inApp": True},
    {"function": "dumps", "filename": "json/encoder.py", "lineNo": 199, "inApp": False},
]


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    """Retries on, as in production (the suite may switch stamina off elsewhere)."""
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeSentry]:
    with FakeSentry(token=TOKEN) as server:
        yield server
        server.check()


def seed(fake: FakeSentry) -> None:
    fake.add_issue(
        make_issue(
            "101",
            shortId="API-3F",
            title="ExportError: ERR_EXPORT_SERIALIZE",
            culprit="app.exports in run_export",
            count="57",
            userCount=4,
            firstSeen="2026-11-24T08:00:00Z",
            lastSeen="2026-11-24T10:30:00Z",
            permalink="https://acme.sentry.io/issues/101/",
        ),
        emails=["dana@acme.io"],
        event=make_event(
            "101",
            exc_type="ExportError",
            exc_value="ERR_EXPORT_SERIALIZE: Decimal is not JSON serializable",
            frames=EXPORT_FRAMES,
            email="dana@acme.io",
        ),
    )
    fake.add_issue(
        make_issue(
            "102",
            title="TimeoutError: upstream",
            status="resolved",
            substatus=None,
            firstSeen="2026-10-01T00:00:00Z",
            lastSeen="2026-11-24T01:00:00Z",
            level="warning",
        ),
        emails=["dana@acme.io"],
    )
    fake.add_issue(make_issue("900", title="Someone else's error"), emails=["other@x.com"])


def connector(fake: FakeSentry, **extra: Any) -> Sentry:
    section = {
        "type": "sentry",
        "organization": "acme",
        "auth_token": TOKEN,
        "base_url": fake.url,
        **extra,
    }
    config = Sentry.config_model.model_validate(section)
    return Sentry("errors", config, Context())


def ticket(description: str = "Every export fails with ERR_EXPORT_SERIALIZE.") -> Ticket:
    return Ticket(
        id="4812",
        subject="CSV export fails",
        description=description,
        requester=Person(email="dana@acme.io"),
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )


def query(t: Ticket | None = None, entities: Entities | None = None, **kw: Any) -> Query:
    t = t or ticket()
    return Query(t, entities or entity_mod.extract(t), WINDOW, **kw)


def by_id(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["issue_id"]: e for e in items}


# --- what it finds ----------------------------------------------------------------------------


async def test_issues_matching_the_ticket_become_known_issue_evidence(fake: FakeSentry) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    found = by_id(out.evidence)
    assert set(found) == {"101", "102"}  # 900 belongs to another user
    e = found["101"]
    assert e.kind == "issue" and e.source == "errors"
    assert e.title == "API-3F: ExportError: ERR_EXPORT_SERIALIZE"
    assert e.url == "https://acme.sentry.io/issues/101/"
    assert e.count == 57 and e.attributes["user_count"] == 4
    assert "57 events, 4 users affected" in e.detail
    assert e.first_seen == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert e.last_seen == e.timestamp == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert e.level == "error"
    assert e.novelty == "new"  # first seen inside the window
    assert e.status == "open" and e.attributes["sentry_status"] == "unresolved"
    assert "dana@acme.io" in e.matched and "err_export_serialize" in e.matched
    assert e.query.startswith(f"GET {fake.url}/api/0/organizations/acme/issues/?query=")
    resolved = found["102"]
    assert resolved.status == "resolved" and resolved.level == "warning"
    assert resolved.novelty is None  # started long before the window, not escalating


async def test_latest_event_stack_trace_is_summarised(fake: FakeSentry) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    e = by_id(out.evidence)["101"]
    assert e.attributes["exception"] == (
        "ExportError: ERR_EXPORT_SERIALIZE: Decimal is not JSON serializable"
    )
    # innermost in-app frames first; the library frame is left out
    assert e.attributes["frames"] == [
        "serialize (app/serialize.py:42)",
        "run_export (app/exports.py:88)",
        "main (app/cli.py:5)",
    ]
    assert "  at serialize (app/serialize.py:42)" in e.detail
    assert "release api@2026.11.24" in e.detail
    latest = sorted(r.path for r in fake.requests if r.path.endswith("/events/latest/"))
    assert latest == [
        "/api/0/organizations/acme/issues/101/events/latest/",
        "/api/0/organizations/acme/issues/102/events/latest/",
    ]
    # 102 has no event in the fake: a 404 there is a note, not a failure
    assert any("102/events/latest" in n and "404" in n for n in out.notes)


def test_chained_exception_reports_the_raised_one_and_falls_back_to_any_frames() -> None:
    event = make_event("7", frames=[{"function": "f", "module": "lib.x", "inApp": False}])
    values = event["entries"][0]["data"]["values"]
    values.insert(0, {"type": "KeyError", "value": "'id'", "stacktrace": {"frames": []}})
    summary = summarise_event(event)
    assert summary["exception"] == "RuntimeError: boom"
    assert summary["frames"] == ["f (lib.x)"]  # no in-app frame: the top frames anyway


async def test_searches_one_per_entity_kind_with_window_and_filters(fake: FakeSentry) -> None:
    ents = Entities(
        requester_email="dana@acme.io",
        emails=["DANA@acme.io", "lee@acme.io"],
        user_ids=["usr_42"],
        request_ids=["req_8f2a9c1d", "4bf92f3577b34da6a3ce929d0e0e4736"],
        error_messages=["Export failed: Decimal is not JSON serializable"],
        error_codes=["ERR_EXPORT_SERIALIZE"],
    )
    t = ticket()
    t.custom_fields["app_version"] = "api@2026.11.24"
    await connector(
        fake, filter="is:unresolved", projects=["api"], environments=["production"]
    ).collect(query(t, ents))
    assert sorted(fake.parsed) == sorted(
        [
            [("is", ["unresolved"]), ("user.email", ["dana@acme.io", "lee@acme.io"])],
            [("is", ["unresolved"]), ("user.id", ["usr_42"])],
            [("is", ["unresolved"]), ("trace", ["4bf92f3577b34da6a3ce929d0e0e4736"])],
            [("is", ["unresolved"]), ("request_id", ["req_8f2a9c1d"])],
            [("is", ["unresolved"]), ("release", ["api@2026.11.24"])],
            [
                ("is", ["unresolved"]),
                ("message", ["Export failed: Decimal is not JSON serializable"]),
            ],
            [("is", ["unresolved"]), ("message", ["ERR_EXPORT_SERIALIZE"])],
        ]
    )
    first = json.dumps([r.query for r in fake.requests])
    assert "start=2026-11-23T12%3A00%3A00Z" in first and "end=2026-11-24T12%3A00%3A00Z" in first
    assert all(
        "project=api" in r.query and "environment=production" in r.query for r in fake.requests
    )
    assert {r.method for r in fake.requests} == {"GET"}


async def test_nothing_to_search_for_sends_nothing(fake: FakeSentry) -> None:
    t = Ticket(id="1", subject="hello", created_at=WINDOW.end)
    out = await connector(fake).collect(query(t))
    assert out.evidence == [] and fake.requests == []
    assert "nothing in the ticket to search Sentry for" in out.notes[0]


async def test_resolve_stage_does_nothing_and_collect_runs_once(fake: FakeSentry) -> None:
    seed(fake)
    c = connector(fake)
    assert c.provides() == frozenset()
    assert (await c.collect(query(stage="resolve"))).evidence == []
    assert fake.requests == []
    assert len((await c.collect(query())).evidence) == 2
    sent = len(fake.requests)
    assert (await c.collect(query())).evidence == []
    assert len(fake.requests) == sent


async def test_odd_issue_shapes_do_not_crash(fake: FakeSentry) -> None:
    odd = [{"id": 7, "title": None, "project": None, "count": "many", "permalink": "javascript:x"}]
    fake.script(raw_reply(200, json.dumps(odd)), path="/issues/")
    fake.script(raw_reply(200, json.dumps({"entries": "nope", "tags": None})), path="/events/")
    [e] = (
        await connector(fake).collect(query(entities=Entities(requester_email="d@x.io")))
    ).evidence
    assert e.title == "7:" and e.count == 1 and e.url is None and e.services == []
    assert "unknown status" in e.detail


# --- paging -----------------------------------------------------------------------------------


def test_next_cursor_reads_sentrys_link_header() -> None:
    link = (
        '<https://us.sentry.io/api/0/organizations/acme/issues/?&cursor=0:0:1>; rel="previous"; '
        'results="false"; cursor="0:0:1", '
        '<https://us.sentry.io/api/0/organizations/acme/issues/?&cursor=0:100:0>; rel="next"; '
        'results="true"; cursor="0:100:0"'
    )
    assert next_cursor(link) == "0:100:0"
    assert next_cursor(link.replace('results="true"', 'results="false"')) is None
    assert next_cursor("") is None


async def test_pages_follow_the_cursor_up_to_the_page_cap(fake: FakeSentry) -> None:
    for n in range(10):
        fake.add_issue(
            make_issue(str(200 + n), lastSeen=f"2026-11-24T10:{n:02d}:00Z"), emails=["dana@acme.io"]
        )
    c = connector(fake, max_issues=3, max_pages=2, max_events=0)
    out = await c.collect(query(entities=Entities(requester_email="dana@acme.io")))
    searches = [r for r in fake.requests if r.path.endswith("/issues/")]
    assert len(searches) == 1  # 3 issues wanted, 3 on the first page: no second page
    assert len(out.evidence) == 3

    fake.requests.clear()
    c = connector(fake, max_issues=7, max_pages=2, max_events=0)
    fake.page_size = 3  # the server returns fewer than asked for
    out = await c.collect(query(entities=Entities(requester_email="dana@acme.io")))
    searches = [r for r in fake.requests if r.path.endswith("/issues/")]
    assert len(searches) == 2  # page cap
    assert "cursor=0%3A3%3A0" in searches[1].query
    assert len(out.evidence) == 6
    assert "kept" not in " ".join(out.notes)


async def test_a_link_to_another_host_is_never_followed(fake: FakeSentry) -> None:
    fake.add_issue(make_issue("1"), emails=["dana@acme.io"])
    body = json.dumps([make_issue("1")])
    evil = '<https://evil.example/steal?cursor=0:1:0>; rel="next"; results="true"; cursor="0:1:0"'
    fake.script(raw_reply(200, body, {"link": evil}), path="/issues/")
    await connector(fake, max_events=0).collect(
        query(entities=Entities(requester_email="dana@acme.io"))
    )
    searches = [r for r in fake.requests if r.path.endswith("/issues/")]
    assert len(searches) == 2  # the cursor was used, against our own base URL
    assert searches[1].headers["host"] == fake.url.removeprefix("http://")
    assert "cursor=0%3A1%3A0" in searches[1].query


# --- hostile values ---------------------------------------------------------------------------

HOSTILE = [
    'dana" is:resolved user.email:"x@y.com',
    "100% off / ../../admin",
    "line one\nis:resolved\r\nline two",
    "a?x=1&query=is:ignored#frag",
    "ops@evil.com",
    "trailing backslash \\",
    "' OR 1=1; DROP TABLE issues; --",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
async def test_a_hostile_value_stays_one_quoted_token(fake: FakeSentry, value: str) -> None:
    ents = Entities(emails=[value], error_messages=[value])
    await connector(fake).collect(query(entities=ents))
    cleaned = " ".join(value.replace("\r\n", " ").replace("\n", " ").split()).rstrip("\\").strip()
    assert sorted(fake.parsed) == sorted([[("user.email", [cleaned])], [("message", [cleaned])]])
    for request in fake.requests:
        assert request.path == "/api/0/organizations/acme/issues/"
        assert request.headers["host"] == fake.url.removeprefix("http://")


def test_quote_value_round_trips_through_sentrys_grammar() -> None:
    for value in ['a"b', 'a\\"b', "x\\", '""', "plain"]:
        quoted = quote_value(value)
        assert quoted is not None
        assert parse_search(f"key:{quoted} is:unresolved") == [
            ("key", [value.rstrip("\\")]),
            ("is", ["unresolved"]),
        ]
    assert quote_value("\n\t ") is None


# --- failures ---------------------------------------------------------------------------------


async def test_wrong_token_names_the_connector_and_the_fix(fake: FakeSentry) -> None:
    seed(fake)
    c = connector(fake)
    c.config.auth_token = type(c.config.auth_token)("sntrys_wrong_token_999")
    MASKER.add("sntrys_wrong_token_999")
    with pytest.raises(SourceError) as info:
        await c.collect(query())
    message = f"{info.value.message} ({info.value.hint})"
    assert message.startswith("sentry 'errors': HTTP 401")
    assert "connectors.errors.auth_token" in message
    assert "sntrys_wrong_token_999" not in message and TOKEN not in message
    assert "\n" not in message


async def test_missing_scope_403_says_which_scopes(fake: FakeSentry) -> None:
    fake.script(raw_reply(403, '{"detail": "You do not have permission"}'), path="/issues/")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(entities=Entities(requester_email="d@acme.io")))
    assert "HTTP 403" in info.value.message
    assert info.value.hint is not None and "event:read" in info.value.hint


async def test_one_failing_search_keeps_what_the_others_found(fake: FakeSentry) -> None:
    seed(fake)
    fake.script(raw_reply(500, '{"detail": "Internal Error"}'), path="/issues/")
    out = await connector(fake).collect(query())
    [failure] = out.failures
    assert "HTTP 500" in failure.message
    assert out.evidence  # the other searches still found issues


async def test_unknown_organisation_is_a_clear_config_error(fake: FakeSentry) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, organization="acme-typo").collect(query())
    assert "HTTP 404" in info.value.message
    assert (
        info.value.hint
        == "check connectors.errors.organization (the slug or ID) and the region / base_url"
    )


async def test_429_with_retry_after_is_retried_then_succeeds(fake: FakeSentry) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"detail": "slow down"}', {"retry-after": "1"}), path="/issues/")
    started = Stopwatch()
    out = await connector(fake, max_events=0).collect(
        query(entities=Entities(requester_email="dana@acme.io"))
    )
    assert started.wall >= 0.9
    assert len(out.evidence) == 2
    assert len([r for r in fake.requests if r.path.endswith("/issues/")]) == 2


async def test_an_hour_long_retry_after_does_not_wait_past_the_deadline(fake: FakeSentry) -> None:
    fake.script(raw_reply(429, "{}", {"retry-after": "3600"}), path="/issues/")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(
            query(entities=Entities(requester_email="d@acme.io"), deadline=time.monotonic() + 5)
        )
    assert started.busy_free < 2
    assert "HTTP 429" in info.value.message and "rate limited" in (info.value.hint or "")


async def test_server_error_is_one_line(fake: FakeSentry) -> None:
    fake.script(raw_reply(500, "<h1>Internal Server Error</h1>", {"content-type": "text/html"}))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(entities=Entities(requester_email="d@acme.io")))
    assert info.value.message.startswith("sentry 'errors': HTTP 500 Internal Server Error from GET")
    assert "<h1>" not in info.value.message


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('[{"id": "1", "title": ', "application/json", "invalid JSON (application/json"),
        ("<!doctype html><html>Sign in</html>", "text/html", "got an HTML page"),
        ('{"detail": "not a list"}', "application/json", "expected a list of issues"),
    ],
    ids=["truncated-json", "html-login-page", "wrong-shape"],
)
async def test_a_body_that_is_not_an_issue_list_is_a_clear_error(
    fake: FakeSentry, body: str, content_type: str, expected: str
) -> None:
    fake.script(raw_reply(200, body, {"content-type": content_type}), path="/issues/")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(entities=Entities(requester_email="d@acme.io")))
    assert expected in info.value.message
    assert info.value.message.startswith("sentry 'errors': ")


async def test_a_huge_response_is_capped_while_streaming(fake: FakeSentry) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b"["
        for n in range(20_000):  # ~1.3 GB if it were all read
            sent.append(n)
            yield b'{"id": "1", "title": "' + b"x" * 65_000 + b'"},'
        yield b"{}]"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    fake.script(Streaming(), path="/issues/")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake, max_response_bytes=200_000).collect(
            query(entities=Entities(requester_email="d@acme.io"))
        )
    assert started.busy_free < 5
    assert "larger than 200,000 bytes" in info.value.message
    assert "max_response_bytes" in (info.value.hint or "")
    assert len(sent) < 200  # ~13 MB at most (socket buffers) of ~1.3 GB: it stopped reading


async def test_a_declared_huge_length_is_refused(fake: FakeSentry) -> None:
    c = connector(fake, max_response_bytes=1_000_000)
    fake.script(raw_reply(200, b"[" + b" " * 1_500_000 + b"]"), path="/issues/")
    with pytest.raises(SourceError, match="larger than 1,000,000 bytes"):
        await c.collect(query(entities=Entities(requester_email="d@x.io")))


async def test_failed_latest_event_keeps_the_issue(fake: FakeSentry) -> None:
    seed(fake)
    fake.script(raw_reply(503, "{}", {"retry-after": "0"}), path="/101/events/latest/")
    fake.script(raw_reply(500, "{}"), path="/101/events/latest/")
    out = await connector(fake, max_events=1).collect(
        query(entities=Entities(requester_email="dana@acme.io"))
    )
    assert set(by_id(out.evidence)) == {"101", "102"}
    assert "exception" not in by_id(out.evidence)["101"].attributes
    assert any("HTTP 500" in n for n in out.notes)


# --- config and check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("organization", "../other", "organization must be a Sentry slug"),
        ("organization", "acme/issues", "organization must be a Sentry slug"),
        ("request_id_tag", 'x:"y"', "request_id_tag must be a plain tag name"),
        ("region", "eu", "should be 'us' or 'de' (got 'eu')"),
        ("base_url", "sentry.internal", "base_url must start with https://"),
    ],
)
def test_bad_config_is_an_error_naming_the_key(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    section = {"type": "sentry", "organization": "acme", "auth_token": "t0ken", key: value}
    path = tmp_path / "investigate.yaml"
    path.write_text(json.dumps({"connectors": {"errors": section}}))
    loaded = load_config(path, env={})
    with pytest.raises(ConfigError) as info:
        loaded.connector_config("errors", Sentry.config_model)
    assert f"connectors.errors.{key}" in info.value.message
    assert message in info.value.message


def test_region_picks_the_base_url() -> None:
    config = Sentry.config_model.model_validate(
        {"type": "sentry", "organization": "acme", "auth_token": "t0ken", "region": "de"}
    )
    assert config.root == "https://de.sentry.io"


async def test_check_reports_auth(fake: FakeSentry) -> None:
    ok = await connector(fake).check()
    assert ok[0].ok and "acme" in ok[0].detail
    c = connector(fake)
    c.config.auth_token = type(c.config.auth_token)("sntrys_wrong")
    bad = await c.check()
    assert not bad[0].ok and "HTTP 401" in bad[0].detail and "auth_token" in bad[0].detail


# --- contract -----------------------------------------------------------------------------------


@needs_spec("sentry.json")
async def test_the_fakes_traffic_validates_against_sentrys_spec(fake: FakeSentry) -> None:
    seed(fake)
    await connector(fake).collect(query())
    assert fake.spec_active and fake.validated == len(fake.requests) >= 3
    assert fake.problems == []


@needs_spec("sentry.json")
async def test_the_spec_check_catches_a_wrong_issue_shape(fake: FakeSentry) -> None:
    broken = make_issue("1")
    del broken["permalink"]
    broken["status"] = "open"  # not one of Sentry's statuses
    fake.add_issue(broken, emails=["dana@acme.io"])
    await connector(fake, max_events=0).collect(
        query(entities=Entities(requester_email="dana@acme.io"))
    )
    problems = " ".join(fake.problems)
    assert "permalink" in problems and "status" in problems
    fake.problems.clear()


@needs_spec("sentry.json")
async def test_the_spec_check_catches_a_bad_request(fake: FakeSentry) -> None:
    # limit must be an integer per the spec; a connector that sent garbage would be caught.
    async with httpx2.AsyncClient(base_url=fake.url) as client:
        await client.get(
            "/api/0/organizations/acme/issues/",
            params={"limit": "many"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert any("limit" in p for p in fake.problems)
    fake.problems.clear()


# --- end to end ---------------------------------------------------------------------------------


def test_cli_report_shows_the_sentry_issue(
    cli: Any, fake: FakeSentry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake)
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "4812.json").write_text(
        json.dumps(
            {
                "id": "4812",
                "subject": "CSV export fails",
                "description": "Every export fails with ERR_EXPORT_SERIALIZE since this morning.",
                "created_at": "2026-11-24T11:00:00Z",
                "requester": {"name": "Dana", "email": "dana@acme.io"},
            }
        )
    )
    config = {
        "ticket_source": "tickets",
        "investigation": {"timeout": "20s"},
        "connectors": {
            "tickets": {"type": "file", "path": "tickets"},
            "errors": {
                "type": "sentry",
                "organization": "acme",
                "auth_token": "${SENTRY_TEST_TOKEN}",
                "base_url": fake.url,
            },
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("SENTRY_TEST_TOKEN", TOKEN)
    result = cli(
        "ticket",
        "4812",
        "--config",
        str(path),
        "--format",
        "json",
        "--until",
        "2026-11-24T12:00:00Z",
    )
    assert result.code == 0, result.err
    report = result.json()
    [source] = [s for s in report["sources"] if s["name"] == "errors"]
    assert source["status"] == "ok" and source["type"] == "sentry" and source["items"] == 2
    issue = next(e for e in report["evidence"] if e["title"].startswith("API-3F"))
    assert issue["kind"] == "issue" and issue["url"] == "https://acme.sentry.io/issues/101/"
    assert "ExportError: ERR_EXPORT_SERIALIZE" in issue["detail"]
    assert issue["score"] > 0 and issue["id"] == "E1"  # the open, new, matching issue ranks first
    assert TOKEN not in result.out and TOKEN not in result.err
