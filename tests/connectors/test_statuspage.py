"""`statuspage`: open and recent incidents that overlap the window, degraded components, the
public API's 50-incident horizon, every failure as one line, and an open incident on the
company's own status page making the report suspect an outage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stamina
import yaml
from busyclock import Stopwatch
from fakes.anthropic_api import Reply, Response, raw_reply
from fakes.statuspage import FakeStatuspage, make_component, make_incident

from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence import signals
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.statuspage import Statuspage

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
def fake() -> Iterator[FakeStatuspage]:
    with FakeStatuspage() as server:
        yield server
        server.check()


def seed(fake: FakeStatuspage) -> None:
    fake.components += [
        make_component("API"),
        make_component("Checkout", "major_outage"),
        make_component("Dashboard", "degraded_performance"),
        make_component("EU region", "partial_outage", group=True),
    ]
    fake.incidents += [
        make_incident(
            "inc1",
            "Checkout payment timeouts",
            status="identified",
            components=["Checkout"],
            updates=[
                ("identified", "A database failover is slowing payments.", "2026-11-24T09:50:00Z"),
                ("investigating", "We are investigating checkout errors.", "2026-11-24T09:30:00Z"),
            ],
        ),
        make_incident(
            "inc2",
            "Delayed emails",
            status="resolved",
            impact="minor",
            created_at="2026-11-23T18:00:00Z",
            resolved_at="2026-11-23T19:00:00Z",
            components=["Email"],
        ),
        make_incident(
            "inc3",
            "Old outage",
            status="postmortem",
            created_at="2026-11-01T10:00:00Z",
            resolved_at="2026-11-01T12:00:00Z",
        ),
        make_incident("inc4", "Future thing", created_at="2026-11-25T10:00:00Z"),
    ]


def connector(fake: FakeStatuspage | str, **extra: Any) -> Statuspage:
    section = {"type": "statuspage", "base_url": fake if isinstance(fake, str) else fake.url}
    section.update(extra)
    return Statuspage("status", Statuspage.config_model.model_validate(section), Context())


def query(**kw: Any) -> Query:
    t = Ticket(
        id="4812",
        subject="Checkout fails",
        custom_fields={"service": "checkout"},
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )
    return Query(t, Entities(), WINDOW, **kw)


async def test_incidents_and_degraded_components(fake: FakeStatuspage) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    titles = [e.title for e in out.evidence]
    assert titles == [
        "Status page incident [identified] Checkout payment timeouts",
        "Status page incident [resolved] Delayed emails",
        "Status page: Checkout is major outage",
        "Status page: Dashboard is degraded performance",
    ]
    open_, resolved, checkout, dashboard = out.evidence
    assert open_.kind == "incident" and signals.row(open_)["status"] == "open"
    assert signals.is_problem(open_) and not signals.is_problem(resolved)
    assert signals.row(open_)["statuspage_status"] == "identified"
    assert open_.url == "https://stspg.io/inc1" and open_.level == "error"
    assert open_.attributes["ticket_service"] is True and open_.services == ["Checkout"]
    assert "A database failover is slowing payments." in open_.detail
    assert open_.timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert checkout.kind == "status" and signals.row(checkout)["status"] == "major_outage"
    assert checkout.level == "critical" and checkout.url == "https://status.acme.com"
    assert dashboard.level == "warning"
    assert sorted(r.path for r in fake.requests) == [
        "/api/v2/incidents.json",
        "/api/v2/summary.json",
    ]


async def test_components_filter_keeps_only_watched_ones(fake: FakeStatuspage) -> None:
    seed(fake)
    out = await connector(fake, components=["checkout"]).collect(query())
    assert [e.title for e in out.evidence] == [
        "Status page incident [identified] Checkout payment timeouts",
        "Status page: Checkout is major outage",
    ]


async def test_ticket_components_maps_the_ticket_service(fake: FakeStatuspage) -> None:
    seed(fake)
    fake.incidents[0]["components"] = [make_component("Payments API", "major_outage")]
    out = await connector(fake, ticket_components={"checkout": "Payments API"}).collect(query())
    assert out.evidence[0].attributes["ticket_service"] is True


async def test_base_url_with_api_suffix_is_normalised(fake: FakeStatuspage) -> None:
    seed(fake)
    out = await connector(fake.url + "/api/v2/summary.json").collect(query())
    assert len(out.evidence) == 4


async def test_the_50_incident_horizon_is_a_note(fake: FakeStatuspage) -> None:
    fake.incidents += [
        make_incident(
            f"r{n}",
            f"Blip {n}",
            status="resolved",
            created_at=f"2026-11-24T0{n % 10}:{n:02d}:00Z",
            resolved_at="2026-11-24T10:00:00Z",
        )
        for n in range(55)
    ]
    out = await connector(fake).collect(query())
    assert any("only the 50 most recent" in n for n in out.notes)
    assert len(out.evidence) == 20  # max_incidents
    assert any("55 incidents" in n or "50 incidents" in n for n in out.notes)


async def test_an_all_clear_page_is_no_evidence(fake: FakeStatuspage) -> None:
    fake.components.append(make_component("API"))
    out = await connector(fake).collect(query())
    assert out.evidence == [] and out.notes == []


BOTH = ("summary.json", "incidents.json")
"""The connector's two calls; a failure of both is the source failing."""


async def test_one_failing_call_keeps_what_the_other_found(fake: FakeStatuspage) -> None:
    seed(fake)
    fake.script(raw_reply(500, "<h1>oops</h1>", {"content-type": "text/html"}), path="summary.json")
    out = await connector(fake).collect(query())
    [failure] = out.failures
    assert "HTTP 500" in failure.message and "summary.json" in failure.message
    assert out.evidence and all(e.kind == "incident" for e in out.evidence)


@pytest.mark.parametrize(("status", "word"), [(401, "private"), (403, "private")])
async def test_a_private_page_names_the_connector_and_the_fix(
    fake: FakeStatuspage, status: int, word: str
) -> None:
    for path in BOTH:
        fake.script(
            raw_reply(status, "<html>Log in</html>", {"content-type": "text/html"}), path=path
        )
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith(f"statuspage 'status': HTTP {status}")
    assert word in (info.value.hint or "") and "base_url" in (info.value.hint or "")


async def test_not_a_status_page_is_a_404_with_the_fix(fake: FakeStatuspage) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake.url + "/wrong").collect(query())
    assert "HTTP 404" in info.value.message and "/api/v2/summary.json" in (info.value.hint or "")


async def test_429_with_retry_after_is_retried_then_succeeds(fake: FakeStatuspage) -> None:
    seed(fake)
    fake.script(raw_reply(429, "{}", {"retry-after": "1"}), path="summary.json")
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9 and len(out.evidence) == 4
    assert len([r for r in fake.requests if r.path.endswith("summary.json")]) == 2


async def test_an_hour_long_retry_after_does_not_wait_past_the_deadline(
    fake: FakeStatuspage,
) -> None:
    for path in BOTH:
        fake.script(raw_reply(429, "{}", {"retry-after": "3600"}), path=path)
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert "HTTP 429" in info.value.message and "rate limited" in (info.value.hint or "")


async def test_server_error_is_one_line(fake: FakeStatuspage) -> None:
    for path in BOTH:
        fake.script(
            raw_reply(500, "<h1>Internal error</h1>\n", {"content-type": "text/html"}), path=path
        )
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert "HTTP 500 Internal Server Error" in info.value.message
    assert "\n" not in info.value.message and "<h1>" not in info.value.message
    assert "try again later" in (info.value.hint or "")


async def test_a_passing_502_is_retried(fake: FakeStatuspage) -> None:
    seed(fake)
    fake.script(raw_reply(502, "<h1>Bad gateway</h1>", {"content-type": "text/html"}))
    out = await connector(fake).collect(query())
    assert len(out.evidence) == 4 and len(fake.requests) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"components": [', "application/json", "got invalid JSON"),
        ("<!DOCTYPE html><html>Acme status</html>", "text/html", "got an HTML page"),
        ('{"page": {}}', "application/json", "expected a Statuspage object with a components"),
    ],
    ids=["truncated", "html", "wrong-shape"],
)
async def test_a_body_that_is_not_statuspage_json_is_a_clear_error(
    fake: FakeStatuspage, body: str, content_type: str, expected: str
) -> None:
    for path in BOTH:
        fake.script(raw_reply(200, body, {"content-type": content_type}), path=path)
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith("statuspage 'status': ")
    assert expected in info.value.message and "base_url" in (info.value.hint or "")


async def test_a_huge_response_is_capped_while_streaming(fake: FakeStatuspage) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"incidents": ['
        for n in range(20_000):
            sent.append(n)
            yield b'{"id": "x", "name": "' + b"x" * 65_000 + b'"},'
        yield b"{}]}"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    for path in BOTH:
        fake.script(Streaming(), path=path)
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake, max_response_bytes=200_000).collect(query())
    assert started.busy_free < 5
    assert "larger than 200,000 bytes" in info.value.message and len(sent) < 200


async def test_hostile_text_is_one_masked_line(fake: FakeStatuspage) -> None:
    fake.incidents.append(
        make_incident("x1", "Bad\nname' OR 1=1; -- %s ../../", components=["Checkout"])
    )
    out = await connector(fake).collect(query())
    [e] = out.evidence
    assert "\n" not in e.title and "Bad name' OR 1=1; -- %s ../../" in e.title


async def test_check_says_what_the_page_reports(fake: FakeStatuspage) -> None:
    seed(fake)
    [ok] = await connector(fake).check()
    assert ok.ok and "Partial System Outage" in ok.detail
    [bad] = await connector(fake.url + "/nope").check()
    assert not bad.ok and "HTTP 404" in bad.detail


# --- end to end ---------------------------------------------------------------------------------


def test_cli_report_shows_the_status_page_incident_and_suspects_an_outage(
    cli: Any, fake: FakeStatuspage, tmp_path: Path
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
            "status": {"type": "statuspage", "base_url": fake.url},
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    result = cli(
        "ticket", "4812", "--config", str(path), "--format", "json", "--analyst", "offline",
        "--until", "2026-11-24T12:00:00Z",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    [source] = [s for s in report["sources"] if s["name"] == "status"]
    assert source["status"] == "ok" and source["type"] == "statuspage" and source["items"] == 4
    incident = next(e for e in report["evidence"] if "Checkout payment timeouts" in e["title"])
    assert incident["kind"] == "incident" and incident["url"] == "https://stspg.io/inc1"
    suspicion = report["analysis"]["incident"]
    assert suspicion["suspected"] is True and incident["id"] in suspicion["alerts"]
