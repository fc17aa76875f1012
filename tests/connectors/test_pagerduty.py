"""`pagerduty`: incidents overlapping the window on the watched services, offset paging, log-entry
summaries, every failure as one line naming the connector and the fix, traffic checked against
PagerDuty's spec, and an open incident making the report suspect an outage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import stamina
import yaml
from busyclock import Stopwatch
from fakes.anthropic_api import Reply, Response, raw_reply
from fakes.pagerduty import FakePagerDuty, make_incident, make_log_entry

from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence import signals
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.pagerduty import PagerDuty

TOKEN = "pd_fake_token_123"
WINDOW = Window(
    start=datetime(2026, 11, 23, 11, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
)


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(token=TOKEN) as server:
        yield server
        server.check()


def seed(fake: FakePagerDuty) -> None:
    fake.add_incident(
        make_incident(
            "PINC1",
            number=101,
            title="Checkout payment timeouts",
            status="triggered",
            created_at="2026-11-24T09:30:00Z",
        ),
        log_entries=[
            make_log_entry("trigger_log_entry", "Triggered through the API"),
            make_log_entry(
                "annotate_log_entry",
                "Note added",
                when="2026-11-24T09:40:00Z",
                note="DB failover in progress",
                agent={"id": "PUSR1", "type": "user_reference", "summary": "Jo Oncall"},
            ),
        ],
    )
    fake.add_incident(
        make_incident(
            "PINC2",
            number=102,
            title="Disk almost full",
            status="resolved",
            urgency="low",
            created_at="2026-11-23T20:00:00Z",
            resolved_at="2026-11-23T21:00:00Z",
        )
    )
    fake.add_incident(  # another service
        make_incident("PINC3", number=103, title="Search slow", service=("PSVC9", "search"))
    )
    fake.add_incident(  # open since before the window
        make_incident(
            "PINC4",
            number=104,
            title="Webhooks delayed",
            status="acknowledged",
            urgency="low",
            created_at="2026-11-20T08:00:00Z",
        )
    )
    fake.add_incident(  # resolved before the window: listed by nothing
        make_incident(
            "PINC5",
            number=105,
            title="Old thing",
            status="resolved",
            created_at="2026-11-10T08:00:00Z",
            resolved_at="2026-11-10T09:00:00Z",
        )
    )


def connector(fake: FakePagerDuty | str, **extra: Any) -> PagerDuty:
    section = {
        "type": "pagerduty",
        "api_token": TOKEN,
        "base_url": fake if isinstance(fake, str) else fake.url,
        "service_ids": ["PSVC1"],
        **extra,
    }
    return PagerDuty("oncall", PagerDuty.config_model.model_validate(section), Context())


def query(**kw: Any) -> Query:
    t = Ticket(
        id="4812",
        subject="Checkout fails",
        custom_fields={"service": "checkout"},
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )
    return Query(t, Entities(), WINDOW, **kw)


async def test_incidents_overlapping_the_window_on_watched_services(fake: FakePagerDuty) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    titles = [e.title for e in out.evidence]
    assert titles == [
        "PagerDuty #101 [triggered] Checkout payment timeouts",
        "PagerDuty #104 [acknowledged] Webhooks delayed",
        "PagerDuty #102 [resolved] Disk almost full",
    ]
    first, open_before, resolved = out.evidence
    assert first.kind == "incident" and first.url == "https://acme.pagerduty.com/incidents/PINC1"
    assert signals.row(first)["status"] == "triggered" and signals.is_problem(first)
    assert signals.is_problem(open_before) and not signals.is_problem(resolved)
    assert first.services == ["checkout"] and first.level == "error"
    assert first.timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert "log: 09:40 annotate Note added by Jo Oncall DB failover in progress" in first.detail
    assert resolved.last_seen == datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    assert "resolved 2026-11-23 21:00:00 UTC" in resolved.detail
    listing = [r for r in fake.requests if r.path == "/incidents"]
    assert len(listing) == 2  # the window, and what is still open (concurrently)
    [window_q] = [r.query for r in listing if "since=" in r.query]
    [open_q] = [r.query for r in listing if "date_range=all" in r.query]
    assert "service_ids%5B%5D=PSVC1" in window_q and "time_zone=UTC" in window_q
    assert "since=2026-11-23T11%3A00%3A00Z" in window_q and "until=2026-11-24T12" in window_q
    assert "statuses%5B%5D=resolved" in window_q
    assert "statuses%5B%5D=resolved" not in open_q and "since=" not in open_q
    headers = listing[0].headers
    assert headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert headers["authorization"] == f"Token token={TOKEN}"


async def test_ticket_service_maps_to_an_extra_service_id(fake: FakePagerDuty) -> None:
    seed(fake)
    out = await connector(fake, service_ids=[], ticket_services={"Checkout": "PSVC1"}).collect(
        query()
    )
    assert {e.attributes["incident_id"] for e in out.evidence} == {"PINC1", "PINC2", "PINC4"}
    assert all(e.attributes["ticket_service"] for e in out.evidence)


async def test_offset_paging_reads_every_page(fake: FakePagerDuty) -> None:
    for n in range(7):
        fake.add_incident(
            make_incident(
                f"PX{n}", number=n, title=f"inc {n}", created_at=f"2026-11-24T0{n}:00:00Z"
            )
        )
    out = await connector(fake, page_size=3, include_open=False, max_log_incidents=0).collect(
        query()
    )
    assert len(out.evidence) == 7
    offsets = [r.query.split("offset=")[1] for r in fake.requests if r.path == "/incidents"]
    assert offsets == ["0", "3", "6"]


async def test_page_cap_stops_and_says_so(fake: FakePagerDuty) -> None:
    for n in range(5):
        fake.add_incident(make_incident(f"PX{n}", number=n, created_at="2026-11-24T01:00:00Z"))
    out = await connector(
        fake, page_size=2, max_pages=2, include_open=False, max_log_incidents=0
    ).collect(query())
    assert len(out.evidence) == 4
    assert any("stopped after 2 pages" in n and "max_pages" in n for n in out.notes)


async def test_log_entries_are_capped(fake: FakePagerDuty) -> None:
    entries = [make_log_entry("notify_log_entry", f"Notified {n}") for n in range(30)]
    fake.add_incident(make_incident("PINC1"), log_entries=entries)
    out = await connector(fake, max_log_entries=4).collect(query())
    assert out.evidence[0].attributes["log_entries"] == [
        f"09:31 notify Notified {n}" for n in range(4)
    ]
    [logs] = [r for r in fake.requests if "log_entries" in r.path]
    assert "limit=4" in logs.query and "is_overview=true" in logs.query


async def test_a_failed_log_listing_keeps_the_incident(fake: FakePagerDuty) -> None:
    seed(fake)
    fake.script(raw_reply(500, "{}"), path="/PINC1/log_entries")
    out = await connector(fake).collect(query())
    assert out.evidence[0].attributes["incident_id"] == "PINC1"
    assert out.evidence[0].attributes["log_entries"] == []
    assert any("HTTP 500" in n and "log entries of PINC1 left out" in n for n in out.notes)


async def test_empty_result_is_no_evidence(fake: FakePagerDuty) -> None:
    out = await connector(fake).collect(query())
    assert out.evidence == [] and len(fake.requests) == 2


async def test_resolve_stage_sends_nothing(fake: FakePagerDuty) -> None:
    out = await connector(fake).collect(query(stage="resolve"))
    assert out.evidence == [] and fake.requests == []


LISTINGS = ("window", "still open")
"""The connector's two incident listings (`include_open`); a failure of both is the source failing."""


async def test_one_failing_listing_keeps_what_the_other_found(fake: FakePagerDuty) -> None:
    seed(fake)
    fake.script(raw_reply(403, '{"error": {"message": "Access Denied"}}'), path="/incidents")
    out = await connector(fake).collect(query())
    [failure] = out.failures
    assert "HTTP 403" in failure.message and failure.hint
    assert out.evidence


@pytest.mark.parametrize(
    ("status", "expected_hint"),
    [(401, "api_token to a valid PagerDuty REST API key"), (403, "may not read incidents")],
)
async def test_auth_failures_name_the_connector_and_the_fix(
    fake: FakePagerDuty, status: int, expected_hint: str
) -> None:
    body = '{"error": {"message": "Authentication required", "code": 2006}}'
    for _ in LISTINGS:
        fake.script(raw_reply(status, body), path="/incidents")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith(f"pagerduty 'oncall': HTTP {status} ")
    assert "\n" not in info.value.message
    assert expected_hint in (info.value.hint or "")
    assert TOKEN not in info.value.message


async def test_wrong_token_is_rejected_by_the_fake_too(fake: FakePagerDuty) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, api_token="wrong_token_value").collect(query())
    assert "HTTP 401" in info.value.message and "wrong_token_value" not in info.value.message


async def test_429_with_retry_after_is_retried_then_succeeds(fake: FakePagerDuty) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"error": {"message": "Rate Limit"}}', {"retry-after": "1"}))
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9
    assert len(out.evidence) == 3
    assert len([r for r in fake.requests if r.path == "/incidents"]) == 3


async def test_an_hour_long_retry_after_does_not_wait_past_the_deadline(
    fake: FakePagerDuty,
) -> None:
    for _ in LISTINGS:
        fake.script(raw_reply(429, "{}", {"retry-after": "3600"}))
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert "HTTP 429" in info.value.message and "rate limited" in (info.value.hint or "")


async def test_server_error_is_one_line(fake: FakePagerDuty) -> None:
    for _ in LISTINGS:
        fake.script(raw_reply(500, "<h1>oops</h1>\n<p>trace</p>", {"content-type": "text/html"}))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith(
        "pagerduty 'oncall': HTTP 500 Internal Server Error from GET"
    )
    assert "<h1>" not in info.value.message and "\n" not in info.value.message
    assert "try again later" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"incidents": [{"id": ', "application/json", "got invalid JSON (application/json"),
        ("<!doctype html><html>Sign in</html>", "text/html", "got an HTML page (text/html)"),
        ('{"error": "nope"}', "application/json", "expected an object with an incidents list"),
    ],
    ids=["truncated", "html", "wrong-shape"],
)
async def test_a_body_that_is_not_an_incident_list_is_a_clear_error(
    fake: FakePagerDuty, body: str, content_type: str, expected: str
) -> None:
    for _ in LISTINGS:
        fake.script(raw_reply(200, body, {"content-type": content_type}), path="/incidents")
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith("pagerduty 'oncall': ") and expected in info.value.message
    assert "base_url" in (info.value.hint or "")


async def test_a_huge_response_is_capped_while_streaming(fake: FakePagerDuty) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"incidents": ['
        for n in range(20_000):
            sent.append(n)
            yield b'{"id": "P1", "title": "' + b"x" * 65_000 + b'"},'
        yield b"{}]}"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    for _ in LISTINGS:
        fake.script(Streaming(), path="/incidents")
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake, max_response_bytes=200_000).collect(query())
    assert started.busy_free < 5
    assert "larger than 200,000 bytes" in info.value.message
    assert "max_response_bytes" in (info.value.hint or "")
    assert len(sent) < 200


async def test_unreachable_server_is_one_line() -> None:
    with pytest.raises(SourceError) as info:
        await connector("http://127.0.0.1:9").collect(query(deadline=time.monotonic() + 3))
    assert info.value.message.startswith("pagerduty 'oncall': ")


async def test_hostile_incident_ids_are_not_put_in_a_path(fake: FakePagerDuty) -> None:
    fake.add_incident(make_incident("../../users"))
    out = await connector(fake).collect(query())
    assert len(out.evidence) == 1
    assert not any("log_entries" in r.path for r in fake.requests)


@pytest.mark.parametrize("value", ["checkout' OR 1=1", "PSVC1&statuses[]=x", "../x\ny", "50%"])
async def test_ticket_text_never_reaches_the_request(fake: FakePagerDuty, value: str) -> None:
    c = connector(fake, service_ids=["PSVC2"], ticket_services={"checkout": "PSVC1"})
    t = Ticket(id="1", custom_fields={"service": value}, created_at=WINDOW.end)
    await c.collect(Query(t, Entities(), WINDOW))
    for r in fake.requests:
        args = parse_qs(r.query)
        assert args["service_ids[]"] == ["PSVC2"] and set(args) <= {
            "service_ids[]", "statuses[]", "since", "until", "time_zone", "limit", "offset",
            "date_range",
        }  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"service_ids": ["P1&x=1"]}, "is not a PagerDuty ID"),
        ({"urgencies": ["urgent"]}, "choose high or low"),
        ({"base_url": "api.pagerduty.com"}, "must start with http"),
    ],
)
def test_bad_config_is_an_error_naming_the_problem(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        connector("http://x", **extra)


async def test_check_reports_auth(fake: FakePagerDuty) -> None:
    [ok] = await connector(fake).check()
    assert ok.ok
    [bad] = await connector(fake, api_token="nope-nope").check()
    assert not bad.ok and "HTTP 401" in bad.detail and "api_token" in bad.detail


async def test_the_fakes_traffic_validates_against_pagerdutys_spec(fake: FakePagerDuty) -> None:
    if not fake.spec_active:
        pytest.skip("../shared/specs/pagerduty.json is absent")
    seed(fake)
    await connector(fake).collect(query())
    assert fake.validated >= 4 and fake.problems == []


async def test_the_spec_check_catches_a_bad_incident(fake: FakePagerDuty) -> None:
    if not fake.spec_active:
        pytest.skip("../shared/specs/pagerduty.json is absent")
    fake.add_incident(make_incident("PBAD", incident_number="101"))
    await connector(fake, max_log_incidents=0).collect(query())
    assert any("incident_number" in p for p in fake.problems)
    fake.problems.clear()


# --- end to end ---------------------------------------------------------------------------------


def test_cli_report_shows_the_incident_and_suspects_an_outage(
    cli: Any, fake: FakePagerDuty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake)
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "4812.json").write_text(
        json.dumps(
            {
                "id": "4812",
                "subject": "Checkout fails with payment timeouts",
                "description": "Since this morning every checkout ends in a payment timeout.",
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
            "oncall": {
                "type": "pagerduty",
                "api_token": "${PD_TEST_TOKEN}",
                "base_url": fake.url,
                "service_ids": ["PSVC1"],
            },
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("PD_TEST_TOKEN", TOKEN)
    result = cli(
        "ticket", "4812", "--config", str(path), "--format", "json", "--analyst", "offline",
        "--until", "2026-11-24T12:00:00Z",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    [source] = [s for s in report["sources"] if s["name"] == "oncall"]
    assert source["status"] == "ok" and source["type"] == "pagerduty" and source["items"] == 3
    incident = next(e for e in report["evidence"] if "#101" in e["title"])
    assert incident["kind"] == "incident"
    assert incident["url"] == "https://acme.pagerduty.com/incidents/PINC1"
    suspicion = report["analysis"]["incident"]
    assert suspicion["suspected"] is True
    assert incident["id"] in suspicion["alerts"]
    assert TOKEN not in result.out and TOKEN not in result.err
