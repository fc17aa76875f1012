"""`datadog_monitors`: monitors in Alert/Warn/No Data on the watched tags, states mapped to
firing/warning/no_data/ok, ticket values turned into tags safely, page paging, sites, every
failure as one line, traffic checked against Datadog's v1 spec, and a firing monitor making the
report suspect an outage."""

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
from fakes.datadog_monitors import FakeDatadogMonitors, make_monitor

from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence import signals
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.datadog_monitors import DatadogMonitors

API_KEY = "dd_api_fake_123"
APP_KEY = "dd_app_fake_456"
WINDOW = Window(
    start=datetime(2026, 11, 23, 11, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
)


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeDatadogMonitors]:
    with FakeDatadogMonitors(api_key=API_KEY, app_key=APP_KEY) as server:
        yield server
        server.check()


def seed(fake: FakeDatadogMonitors) -> None:
    fake.monitors += [
        make_monitor(
            11,
            "Checkout payment timeouts",
            "Alert",
            tags=["service:checkout", "team:payments", "region:eu"],
            groups={
                "region:eu": ("Alert", ts("2026-11-24T09:30:00Z"), None),
                "region:us": ("OK", ts("2026-11-20T09:30:00Z"), ts("2026-11-20T10:00:00Z")),
            },
        ),
        make_monitor(
            12,
            "Checkout latency",
            "Warn",
            tags=["service:checkout", "team:payments"],
            groups={"*": ("Warn", ts("2026-11-24T08:00:00Z"), None)},
            priority=None,
        ),
        make_monitor(
            13,
            "Checkout queue recovered",
            "OK",
            tags=["service:checkout", "team:payments"],
            groups={"*": ("OK", ts("2026-11-24T05:00:00Z"), ts("2026-11-24T06:00:00Z"))},
        ),
        make_monitor(
            14,
            "Checkout old blip",
            "OK",
            tags=["service:checkout", "team:payments"],
            groups={"*": ("OK", ts("2026-11-01T05:00:00Z"), ts("2026-11-01T06:00:00Z"))},
        ),
        make_monitor(
            15, "Checkout metrics gone", "No Data", tags=["service:checkout", "team:payments"]
        ),
        make_monitor(16, "Search errors", "Alert", tags=["service:search"]),
    ]


def connector(fake: FakeDatadogMonitors | str, **extra: Any) -> DatadogMonitors:
    section: dict[str, Any] = {
        "type": "datadog_monitors",
        "api_key": API_KEY,
        "app_key": APP_KEY,
        "base_url": fake if isinstance(fake, str) else fake.url,
        "monitor_tags": ["team:payments"],
        **extra,
    }
    return DatadogMonitors(
        "monitors", DatadogMonitors.config_model.model_validate(section), Context()
    )


def query(fields: dict[str, Any] | None = None, **kw: Any) -> Query:
    t = Ticket(
        id="4812",
        subject="Checkout fails",
        custom_fields=fields if fields is not None else {"service": "checkout", "region": "EU"},
        created_at=datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
    )
    return Query(t, Entities(), WINDOW, **kw)


def sent(fake: FakeDatadogMonitors, n: int = 0) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(fake.requests[n].query).items()}


async def test_a_spec_valid_int64_timestamp_loses_no_monitor(fake: FakeDatadogMonitors) -> None:
    # a Prism mock of Datadog's spec sent this int64 as `last_triggered_ts`; reading it as a
    # time raised `ValueError: year … out of range` and every monitor of the answer was lost
    seed(fake)
    fake.monitors[0]["state"]["groups"]["region:eu"]["last_resolved_ts"] = 2**63 - 1
    odd = {"*": ("Alert", 5132614940156701, None)}  # µs: triggered in 2132, after the window
    fake.monitors.append(make_monitor(17, "Odd clock", tags=["team:payments"], groups=odd))
    out = await connector(fake).collect(query())
    assert [e.title for e in out.evidence] == [
        "Datadog monitor [firing] Checkout payment timeouts",
        "Datadog monitor [warning] Checkout latency",
        "Datadog monitor [no_data] Checkout metrics gone",
    ]


async def test_alerting_monitors_on_the_watched_tags(fake: FakeDatadogMonitors) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    assert [e.title for e in out.evidence] == [
        "Datadog monitor [firing] Checkout payment timeouts",
        "Datadog monitor [warning] Checkout latency",
        "Datadog monitor [no_data] Checkout metrics gone",
    ]
    firing, warn, no_data = out.evidence
    assert firing.kind == "alert" and signals.row(firing)["status"] == "firing"
    assert signals.row(firing)["monitor_state"] == "Alert" and signals.is_problem(firing)
    assert not signals.is_problem(warn) and warn.level == "warning"
    assert signals.row(no_data)["monitor_state"] == "No Data"
    assert firing.url == "https://app.datadoghq.com/monitors/11"
    assert firing.timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert firing.services == ["checkout"] and signals.row(firing)["region"] == "eu"
    assert "group region:eu: Alert" in firing.detail and "region:us" not in firing.detail
    assert firing.level == "error" and firing.attributes["ticket_service"] is True
    params = sent(fake)
    assert params["monitor_tags"] == "team:payments"
    assert params["group_states"] == "alert,warn,no data"
    assert params["page"] == "0" and params["page_size"] == "100"
    headers = fake.requests[0].headers
    assert headers["dd-api-key"] == API_KEY and headers["dd-application-key"] == APP_KEY


async def test_include_recovered_keeps_ok_monitors_that_triggered_in_the_window(
    fake: FakeDatadogMonitors,
) -> None:
    seed(fake)
    out = await connector(fake, include_recovered=True).collect(query())
    titles = [e.title for e in out.evidence]
    assert "Datadog monitor [ok] Checkout queue recovered" in titles
    assert not any("old blip" in t for t in titles)
    recovered = next(e for e in out.evidence if e.status == "ok")
    assert not signals.is_problem(recovered)
    assert sent(fake)["group_states"] == "all"


async def test_entity_tags_mark_the_ticket_s_monitors_and_can_filter(
    fake: FakeDatadogMonitors,
) -> None:
    seed(fake)
    out = await connector(fake, entity_tags={"region": "region:{value}"}).collect(
        query({"region": "EU"})
    )
    assert out.evidence[0].attributes["ticket_tags"] == ["region:eu"]
    assert "monitor_tags" in sent(fake) and sent(fake)["monitor_tags"] == "team:payments"
    fake.requests.clear()
    out = await connector(
        fake, entity_tags={"region": "region:{value}"}, filter_by_entity_tags=True
    ).collect(query({"region": "EU"}))
    assert sent(fake)["monitor_tags"] == "team:payments,region:eu"
    assert [e.attributes["monitor_id"] for e in out.evidence] == [11]


@pytest.mark.parametrize(
    "value", ["eu,service:billing", 'eu" OR 1=1', "eu\nx", "../../etc", "50%", "a b"]
)
async def test_hostile_ticket_values_never_become_tags(
    fake: FakeDatadogMonitors, value: str
) -> None:
    seed(fake)
    c = connector(fake, entity_tags={"region": "region:{value}"}, filter_by_entity_tags=True)
    out = await c.collect(query({"region": value}))
    assert sent(fake)["monitor_tags"] == "team:payments"
    assert any("not plain tag values" in n for n in out.notes)


async def test_page_paging_reads_every_page(fake: FakeDatadogMonitors) -> None:
    fake.monitors += [
        make_monitor(100 + n, f"m{n}", "Alert", tags=["team:payments"]) for n in range(7)
    ]
    out = await connector(fake, page_size=3).collect(query())
    assert len(out.evidence) == 7
    assert [sent(fake, n)["page"] for n in range(len(fake.requests))] == ["0", "1", "2"]


async def test_page_cap_stops_and_says_so(fake: FakeDatadogMonitors) -> None:
    fake.monitors += [
        make_monitor(100 + n, f"m{n}", "Alert", tags=["team:payments"]) for n in range(7)
    ]
    out = await connector(fake, page_size=2, max_pages=2).collect(query())
    assert len(out.evidence) == 4 and len(fake.requests) == 2
    assert any("stopped after 2 pages" in n for n in out.notes)


async def test_empty_result_is_no_evidence(fake: FakeDatadogMonitors) -> None:
    out = await connector(fake).collect(query())
    assert out.evidence == [] and len(fake.requests) == 1


@pytest.mark.parametrize(
    ("site", "api", "app"),
    [
        ("datadoghq.com", "https://api.datadoghq.com", "https://app.datadoghq.com"),
        ("datadoghq.eu", "https://api.datadoghq.eu", "https://app.datadoghq.eu"),
        ("us3.datadoghq.com", "https://api.us3.datadoghq.com", "https://us3.datadoghq.com"),
        ("ddog-gov.com", "https://api.ddog-gov.com", "https://app.ddog-gov.com"),
    ],
)
def test_site_picks_the_api_and_ui_hosts(site: str, api: str, app: str) -> None:
    config = DatadogMonitors.config_model.model_validate(
        {"type": "datadog_monitors", "api_key": "k", "app_key": "a", "site": site}
    )
    assert config.base_url == api and config.app_url == app


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"site": "evil.com/x?"}, "Datadog site"),
        ({"monitor_tags": ["service:a,b"]}, "is not a Datadog tag"),
        ({"entity_tags": {"region": "region"}}, "must be a tag with {value}"),
    ],
)
def test_bad_config_is_an_error_naming_the_problem(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        connector("http://x", **extra)


@pytest.mark.parametrize(("status", "hint"), [(401, "api_key"), (403, "monitors_read")])
async def test_auth_failures_name_the_connector_and_the_fix(
    fake: FakeDatadogMonitors, status: int, hint: str
) -> None:
    fake.script(raw_reply(status, '{"errors": ["Forbidden"]}'))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith(f"datadog_monitors 'monitors': HTTP {status}")
    assert hint in (info.value.hint or "")


async def test_wrong_keys_are_rejected_and_never_shown(fake: FakeDatadogMonitors) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, app_key="secret_wrong_app_key").collect(query())
    assert "HTTP 403" in info.value.message
    assert "secret_wrong_app_key" not in info.value.message
    assert MASKER.mask("x secret_wrong_app_key y") != "x secret_wrong_app_key y"


async def test_429_with_retry_after_is_retried_then_succeeds(fake: FakeDatadogMonitors) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"errors": ["Rate limit"]}', {"retry-after": "1"}))
    started = Stopwatch()
    out = await connector(fake).collect(query())
    assert started.wall >= 0.9 and len(out.evidence) == 3
    assert len(fake.requests) == 2


async def test_an_hour_long_retry_after_does_not_wait_past_the_deadline(
    fake: FakeDatadogMonitors,
) -> None:
    fake.script(raw_reply(429, "{}", {"retry-after": "3600"}))
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query(deadline=time.monotonic() + 5))
    assert started.busy_free < 2
    assert "HTTP 429" in info.value.message and "rate limited" in (info.value.hint or "")


async def test_server_error_is_one_line(fake: FakeDatadogMonitors) -> None:
    fake.script(raw_reply(500, '{"errors": ["Internal\\nerror"]}'))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith(
        "datadog_monitors 'monitors': HTTP 500 Internal Server Error from GET"
    )
    assert "\n" not in info.value.message


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('[{"id": 1, ', "application/json", "got invalid JSON"),
        ("<html><body>login</body></html>", "text/html", "got an HTML page"),
        ('{"monitors": []}', "application/json", "expected a list of monitors"),
    ],
    ids=["truncated", "html", "wrong-shape"],
)
async def test_a_body_that_is_not_a_monitor_list_is_a_clear_error(
    fake: FakeDatadogMonitors, body: str, content_type: str, expected: str
) -> None:
    fake.script(raw_reply(200, body, {"content-type": content_type}))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert info.value.message.startswith("datadog_monitors 'monitors': ")
    assert expected in info.value.message


async def test_odd_monitor_shapes_do_not_crash(fake: FakeDatadogMonitors) -> None:
    odd = '[{"id": "x", "overall_state": "Alert", "tags": [1, null], "state": []}, 7, {}]'
    fake.script(raw_reply(200, odd))
    out = await connector(fake).collect(query())
    [e] = out.evidence
    assert e.title == "Datadog monitor [firing] monitor" and e.url is None


async def test_a_huge_response_is_capped_while_streaming(fake: FakeDatadogMonitors) -> None:
    sent_chunks: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b"["
        for n in range(20_000):
            sent_chunks.append(n)
            yield b'{"id": 1, "name": "' + b"x" * 65_000 + b'"},'
        yield b"{}]"

    class Streaming(Reply):
        def render(self, fake: Any, request: Any) -> Response:
            return Response(200, [("content-type", "application/json")], endless())

    fake.script(Streaming())
    started = Stopwatch()
    with pytest.raises(SourceError) as info:
        await connector(fake, max_response_bytes=200_000).collect(query())
    assert started.busy_free < 5
    assert "larger than 200,000 bytes" in info.value.message and len(sent_chunks) < 200


async def test_check_reports_auth(fake: FakeDatadogMonitors) -> None:
    [ok] = await connector(fake).check()
    assert ok.ok
    [bad] = await connector(fake, api_key="nope-nope-nope").check()
    assert not bad.ok and "HTTP 403" in bad.detail


async def test_the_fakes_traffic_validates_against_datadogs_spec(
    fake: FakeDatadogMonitors,
) -> None:
    if not fake.spec_active:
        pytest.skip("../shared/specs/datadog-v1.json is absent")
    seed(fake)
    await connector(fake, include_recovered=True).collect(query())
    assert fake.validated >= 1 and fake.problems == []


async def test_the_spec_check_catches_a_bad_monitor(fake: FakeDatadogMonitors) -> None:
    if not fake.spec_active:
        pytest.skip("../shared/specs/datadog-v1.json is absent")
    fake.monitors.append(make_monitor(1, "bad", "Exploded", tags=["team:payments"]))
    await connector(fake).collect(query())
    assert any("overall_state" in p for p in fake.problems)
    fake.problems.clear()


# --- end to end ---------------------------------------------------------------------------------


def test_cli_report_shows_the_monitor_and_suspects_an_outage(
    cli: Any, fake: FakeDatadogMonitors, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
            "monitors": {
                "type": "datadog_monitors",
                "api_key": "${DD_TEST_API_KEY}",
                "app_key": "${DD_TEST_APP_KEY}",
                "base_url": fake.url,
                "monitor_tags": ["team:payments"],
            },
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DD_TEST_API_KEY", API_KEY)
    monkeypatch.setenv("DD_TEST_APP_KEY", APP_KEY)
    result = cli(
        "ticket", "4812", "--config", str(path), "--format", "json", "--analyst", "offline",
        "--until", "2026-11-24T12:00:00Z",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    [source] = [s for s in report["sources"] if s["name"] == "monitors"]
    assert source["status"] == "ok" and source["type"] == "datadog_monitors"
    assert source["items"] == 3
    alert = next(e for e in report["evidence"] if "payment timeouts" in e["title"])
    assert alert["kind"] == "alert"
    assert alert["url"] == "https://app.datadoghq.com/monitors/11"
    suspicion = report["analysis"]["incident"]
    assert suspicion["suspected"] is True and alert["id"] in suspicion["alerts"]
    for secret in (API_KEY, APP_KEY):
        assert secret not in result.out and secret not in result.err
