"""`alertmanager` against a real Alertmanager 0.2x (alerts posted by the test through the API,
a real silence, hostile label values through the real matcher parser, Prometheus → Alertmanager
→ report), plus a loopback fake for a 429 then success, answers that are not alert lists and
resolved alerts. The HTTP plumbing (401/403 hints, 5xx, broken JSON, size caps, secrets) is the
contract suite's: tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stamina
from monitoring_servers import (
    HOSTILE,
    FakeMonitoring,
    Server,
    firing,
    http,
    make_connector,
    make_query,
    post_alerts,
    start_alertmanager,
    start_prometheus,
    wait_for,
)

from investigate.errors import SourceError
from investigate.evidence import signals
from investigate.models import Evidence, Report
from investigate_connectors.alertmanager import Alertmanager, escape_matcher, regex_matcher

EXTRA_HOSTILE = ['a,b="c"', "x=~y", '{service="api"}', "ünï €"]
VALUES = [*HOSTILE, *EXTRA_HOSTILE]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture(scope="module")
def am() -> Iterator[Server]:
    with start_alertmanager() as server:
        now = datetime.now(UTC)
        base = {"startsAt": _iso(now - timedelta(minutes=10))}
        post_alerts(
            server,
            [
                {
                    **base,
                    "labels": {
                        "alertname": "ApiErrors",
                        "service": "api",
                        "severity": "critical",
                        "region": "us-east-1",
                    },
                    "annotations": {"summary": "api 5xx above 5% in us-east-1"},
                    "generatorURL": "http://prometheus.example/graph?g0.expr=up",
                },
                {
                    **base,
                    "labels": {"alertname": "DiskFull", "service": "db", "severity": "warning"},
                    "annotations": {"summary": "disk 95% full"},
                },
                *(
                    {**base, "labels": {"alertname": f"Hostile{i}", "service": value}}
                    for i, value in enumerate(VALUES)
                ),
            ],
        )
        silence = {
            "matchers": [{"name": "alertname", "value": "DiskFull", "isRegex": False}],
            "startsAt": _iso(now - timedelta(minutes=1)),
            "endsAt": _iso(now + timedelta(hours=1)),
            "createdBy": "tests",
            "comment": "known: disk cleanup running",
        }
        silence_id = http("POST", f"{server.url}/api/v2/silences", silence)["silenceID"]
        server.folder.joinpath("silence").write_text(silence_id)

        def ready() -> bool:
            alerts = http("GET", f"{server.url}/api/v2/alerts")
            names = {a["labels"]["alertname"]: a["status"]["state"] for a in alerts}
            return len(names) == len(VALUES) + 2 and names.get("DiskFull") == "suppressed"

        wait_for(ready, 20, "the posted alerts and the silence")
        yield server


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


def connector(tmp_path: Path, url: str, **extra: Any) -> Alertmanager:
    c: Alertmanager = make_connector(
        Alertmanager, tmp_path, {"type": "alertmanager", "base_url": url, **extra}, name="alerts"
    )
    return c


def by_name(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["labels"]["alertname"]: e for e in items}


async def test_active_alert_is_firing_evidence(am: Server, tmp_path: Path) -> None:
    out = await connector(tmp_path, am.url, services=["api"]).collect(make_query())
    [api] = out.evidence
    assert api.kind == "alert" and api.status == "firing"
    assert api.record["status"] == "firing" and signals.is_problem(api)
    assert api.attributes["alertmanager_state"] == "active"
    assert api.level == "critical" and api.services == ["api"]
    assert api.title == "ApiErrors [firing] critical api: api 5xx above 5% in us-east-1"
    assert api.url == "http://prometheus.example/graph?g0.expr=up"
    assert api.timestamp is not None
    assert abs((datetime.now(UTC) - api.timestamp).total_seconds() - 600) < 60
    assert "filter=service%3D~%22%28%3Fi%29api%22" in api.query  # service=~"(?i)api"


async def test_silenced_alert_is_acknowledged_and_still_a_problem(
    am: Server, tmp_path: Path
) -> None:
    out = await connector(tmp_path, am.url, services=["db"]).collect(make_query())
    [disk] = out.evidence
    silence = am.folder.joinpath("silence").read_text()
    assert disk.status == "acknowledged" and signals.is_problem(disk)
    assert disk.attributes["alertmanager_state"] == "suppressed"
    assert disk.attributes["silenced_by"] == [silence]
    assert f"silenced by {silence}" in disk.detail


async def test_silenced_alerts_can_be_left_out(am: Server, tmp_path: Path) -> None:
    c = connector(tmp_path, am.url, include_silenced=False)
    out = await c.collect(make_query())
    assert "DiskFull" not in by_name(out.evidence) and "ApiErrors" in by_name(out.evidence)
    assert "silenced=false" in out.evidence[0].query


async def test_label_matchers_are_sent_as_filters(am: Server, tmp_path: Path) -> None:
    out = await connector(tmp_path, am.url, matchers={"region": "us-east-1"}).collect(make_query())
    assert set(by_name(out.evidence)) == {"ApiErrors"}
    assert "filter=region%3D%22us-east-1%22" in out.evidence[0].query


async def test_ticket_services_narrow_the_filter(am: Server, tmp_path: Path) -> None:
    c = connector(tmp_path, am.url, only_ticket_services=True)
    out = await c.collect(make_query(custom_fields={"service": "db"}))
    assert set(by_name(out.evidence)) == {"DiskFull"}
    upper = await c.collect(make_query(custom_fields={"service": "DB"}))  # a fresh instance below
    assert upper.evidence == []  # collect runs once per instance
    c2 = connector(tmp_path, am.url, only_ticket_services=True)
    out2 = await c2.collect(make_query(custom_fields={"service": "DB"}))
    assert set(by_name(out2.evidence)) == {"DiskFull"}  # the ticket's "DB" is the label's "db"
    everything = await connector(tmp_path, am.url).collect(
        make_query(custom_fields={"service": "db"})
    )
    assert len(everything.evidence) == len(VALUES) + 2  # every alert, none filtered
    assert everything.evidence[0].attributes["labels"]["alertname"] == "DiskFull"  # ours first


@pytest.mark.parametrize(("case", "value"), list(enumerate(VALUES)), ids=[repr(v) for v in VALUES])
@pytest.mark.parametrize("how", ["regex", "equality"])
async def test_a_hostile_service_matches_exactly_its_own_alert(
    am: Server, tmp_path: Path, case: int, value: str, how: str
) -> None:
    extra: dict[str, Any] = (
        {"only_ticket_services": True} if how == "regex" else {"matchers": {"service": value}}
    )
    out = await connector(tmp_path, am.url, **extra).collect(
        make_query(custom_fields={"service": value})
    )
    # The real matcher parser read the value back exactly: one alert, this one.
    assert set(by_name(out.evidence)) == {f"Hostile{case}"}


@pytest.mark.parametrize("value", ['api"} ,alertname=~".*', ".*", "api|db", 'x", service=~".+'])
async def test_an_injection_attempt_matches_nothing(am: Server, tmp_path: Path, value: str) -> None:
    c = connector(tmp_path, am.url, only_ticket_services=True)
    out = await c.collect(make_query(custom_fields={"service": value}))
    assert out.evidence == []
    assert any("not show here" in n for n in out.notes)  # the limitation, said once


async def test_an_alert_that_resolves_disappears_from_the_api(am: Server, tmp_path: Path) -> None:
    """The documented limitation, shown on the real server: once `endsAt` passes, Alertmanager
    no longer lists the alert, so "recently resolved" is visible only until then."""
    now = datetime.now(UTC)
    labels = {"alertname": "Flapping", "service": "flappy"}
    post_alerts(
        am, [{"labels": labels, "startsAt": _iso(now), "endsAt": _iso(now + timedelta(seconds=4))}]
    )
    before = await connector(tmp_path, am.url, services=["flappy"]).collect(make_query())
    assert [e.status for e in before.evidence] == ["firing"]
    wait_for(lambda: time.time() > now.timestamp() + 4.5, 10, "endsAt to pass")
    after = await connector(tmp_path, am.url, services=["flappy"]).collect(make_query())
    assert after.evidence == []
    assert any("not resolved ones" in n for n in after.notes)


def test_matcher_escaping() -> None:
    assert escape_matcher('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert regex_matcher("service", ["a.b", 'q"|']) == 'service=~"a\\\\.b|q\\"\\\\|"'
    assert regex_matcher("s", ["API"], ignore_case=True) == 's=~"(?i)API"'


def test_cli_report_shows_alertmanager_alert(am: Server, tmp_path: Path, cli: Any) -> None:
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    ticket = {
        "id": "T-2",
        "subject": "Everything fails with 500",
        "description": "The API has been failing for us.",
        "created_at": datetime.now(UTC).isoformat(),
        "requester": {"email": "dana@acme.io"},
        "custom_fields": {"service": "api"},
    }
    (tickets / "T-2.json").write_text(json.dumps(ticket))
    config = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "connectors": {
            "tickets": {"type": "file", "path": str(tickets)},
            "alerts": {"type": "alertmanager", "base_url": am.url, "services": ["api", "db"]},
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(json.dumps(config))
    result = cli("ticket", "T-2", "-c", str(path), "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    [source] = [s for s in report.sources if s.name == "alerts"]
    assert source.status == "ok" and source.items == 2
    first = report.evidence[0]
    assert first.title.startswith("ApiErrors [firing]") and first.kind == "alert"


@pytest.mark.slow
async def test_prometheus_alerts_reach_the_report_through_alertmanager(tmp_path: Path) -> None:
    with start_alertmanager() as server, start_prometheus(server.url) as prom:
        wait_for(lambda: firing(prom, "ApiDown"), 30, "ApiDown to fire")
        c = connector(tmp_path, server.url, services=["api"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            c._done = False  # a fresh run each poll
            found = (await c.collect(make_query())).evidence
            if found:
                break
            await asyncio.sleep(0.2)
        [alert] = found
        assert alert.title.startswith("ApiDown [firing] critical api")
        port = prom.url.rsplit(":", 1)[1]  # Prometheus links with its host name, on its port
        assert alert.url is not None
        assert alert.url.endswith(f":{port}/graph?g0.expr=vector%281%29&g0.tab=1")


# --- loopback fake ----------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[Any]:
    with FakeMonitoring() as server:
        yield server
        server.check()


def am_alert(name: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "service": "api"},
        "annotations": {},
        "startsAt": _iso(now - timedelta(minutes=30)),
        "endsAt": _iso(now + timedelta(minutes=5)),
        "updatedAt": _iso(now),
        "fingerprint": "abc",
        "receivers": [{"name": "null"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        **extra,
    }


async def test_resolved_and_inhibited_alerts_are_not_problems(fake: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    alerts = [
        am_alert("Recovered", endsAt=_iso(now - timedelta(minutes=2))),
        am_alert(
            "Covered", status={"state": "suppressed", "silencedBy": [], "inhibitedBy": ["f1"]}
        ),
        am_alert("LongGone", endsAt=_iso(now - timedelta(days=3))),
    ]
    fake.reply_raw(200, json.dumps(alerts))
    out = await connector(tmp_path, fake.url).collect(make_query())
    found = by_name(out.evidence)
    assert set(found) == {"Recovered", "Covered"}  # LongGone ended before the window
    assert found["Recovered"].status == "resolved"
    assert not signals.is_problem(found["Recovered"])
    assert "not show here" in found["Recovered"].detail
    assert found["Covered"].status == "inhibited"
    assert any("outside the window" in n for n in out.notes)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, '{"alerts": []}', "expected a list of alerts"),
        (200, '{"data": 3}', "expected a list of alerts"),
    ],
)
async def test_failures_are_one_clear_line(
    fake: Any, tmp_path: Path, status: int, body: str, expected: str
) -> None:
    fake.reply_raw(status, body)
    c = connector(tmp_path, fake.url, username="u", password="am-Secret-77")
    with pytest.raises(SourceError) as info:
        await c.collect(make_query())
    assert info.value.message.startswith("alertmanager 'alerts': ")
    assert expected in info.value.message and "\n" not in info.value.message
    assert "am-Secret-77" not in str(info.value)
    assert fake.requests[0].headers["authorization"].startswith("Basic ")


async def test_429_then_success(fake: Any, tmp_path: Path) -> None:
    fake.reply_raw(429, "{}", {"retry-after": "1"})
    fake.reply_raw(200, json.dumps([am_alert("ApiErrors")]))
    started = time.monotonic()
    out = await connector(tmp_path, fake.url).collect(make_query())
    assert time.monotonic() - started >= 0.9
    assert [e.status for e in out.evidence] == ["firing"]


async def test_items_that_are_not_alerts_are_left_out_with_a_note(
    fake: Any, tmp_path: Path
) -> None:
    fake.reply_raw(200, json.dumps(["unexpected", 1, None, {"id": None}, am_alert("Real")]))
    out = await connector(tmp_path, fake.url).collect(make_query())
    assert list(by_name(out.evidence)) == ["Real"]
    assert any("4 item(s) that are not alerts" in n for n in out.notes)


async def test_an_alert_without_an_alertname_is_kept_and_named_by_its_labels(
    fake: Any, tmp_path: Path
) -> None:
    # Alertmanager requires only some label on an alert (POST /api/v2/alerts), not alertname
    unnamed = am_alert("x", labels={"job": "api", "service": "api", "severity": "critical"})
    fake.reply_raw(200, json.dumps([unnamed, am_alert("Real")]))
    out = await connector(tmp_path, fake.url).collect(make_query())
    assert len(out.evidence) == 2, out.notes
    [alert] = [e for e in out.evidence if "alertname" not in e.attributes["labels"]]
    assert alert.title.startswith("{job=api, service=api, severity=critical} [firing] critical api")
    assert signals.is_problem(alert)
    assert not any("not alerts" in n for n in out.notes)


async def test_many_alerts_are_capped(fake: Any, tmp_path: Path) -> None:
    fake.reply_raw(200, json.dumps([am_alert(f"A{i}") for i in range(30)]))
    out = await connector(tmp_path, fake.url, max_alerts=5).collect(make_query())
    assert len(out.evidence) == 5
    assert any("30 alerts; kept 5" in n for n in out.notes)


async def test_check_reports_the_version(am: Server, tmp_path: Path) -> None:
    [ok] = await connector(tmp_path, am.url).check()
    assert ok.ok and ok.detail.startswith("Alertmanager 0.")
    [bad] = await connector(tmp_path, am.url + "/nothing-here").check()
    assert not bad.ok and "HTTP 404" in bad.detail and "base_url" in bad.detail


async def test_a_secret_inside_an_annotation_is_masked(fake: Any, tmp_path: Path) -> None:
    leaky = am_alert("Leak", annotations={"summary": "auth with am-Secret-77 failed"})
    fake.reply_raw(200, json.dumps([leaky]))
    c = connector(tmp_path, fake.url, username="u", password="am-Secret-77")
    [alert] = (await c.collect(make_query())).evidence
    assert "am-Secret-77" not in alert.title + alert.detail
    assert "auth with" in alert.title
