"""`prometheus` against a real Prometheus 2.x (alerts from real rules, query_range over real
recorded series, hostile values through real PromQL parsing, real basic auth), plus a loopback
fake for what a healthy server never does (a 429 then success, answers without the envelope, 50
series), and the CLI end to end. The HTTP plumbing (401/403 hints, 5xx, broken JSON, size caps,
secrets) is the contract suite's: tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stamina
from busyclock import Stopwatch
from fakes.anthropic_api import callable_reply, raw_reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from monitoring_servers import (
    HOSTILE,
    PASSWORD,
    USER,
    FakeMonitoring,
    Server,
    firing,
    make_connector,
    make_query,
    start_prometheus,
    wait_for,
)

from investigate.errors import ConfigError, SourceError
from investigate.evidence import signals
from investigate.models import Evidence, Report
from investigate.sdk.rows import parse_time
from investigate_connectors.prometheus import (
    Prometheus,
    escape_string,
    parse_template,
    regex_quote,
    render,
)

AUTH = {"username": USER, "password": PASSWORD}


@pytest.fixture(scope="module")
def prom() -> Iterator[Server]:
    with start_prometheus() as server:
        wait_for(lambda: firing(server, "ApiDown"), 30, "ApiDown to fire")
        wait_for(lambda: firing(server, "WorkerLag"), 30, "WorkerLag to fire")
        yield server


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


def connector(tmp_path: Path, url: str, **extra: Any) -> Prometheus:
    section = {"type": "prometheus", "base_url": url, **AUTH, **extra}
    c: Prometheus = make_connector(Prometheus, tmp_path, section, name="metrics")
    return c


def alerts(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["labels"]["alertname"]: e for e in items if e.kind == "alert"}


# --- alerts on the real server -----------------------------------------------------------------


async def test_firing_alert_is_alert_evidence_the_ranking_reads_as_a_problem(
    prom: Server, tmp_path: Path
) -> None:
    out = await connector(tmp_path, prom.url).collect(make_query())
    found = alerts(out.evidence)
    api = found["ApiDown"]
    assert api.status == "firing" and api.record["status"] == "firing"
    assert signals.is_problem(api)
    assert api.level == "critical"
    assert api.services == ["api"]
    assert api.record["region"] == "us-east-1"
    assert "api is failing in us-east-1" in api.title
    active = firing(prom, "ApiDown")
    assert active is not None and api.timestamp is not None
    assert api.timestamp == parse_time(active["activeAt"])
    assert api.url == f"{prom.url}/alerts?search=ApiDown"
    assert api.query.startswith(f"GET {prom.url}/api/v1/alerts")
    pending = found["BillingSlowPending"]
    assert pending.status == "pending" and not signals.is_problem(pending)
    assert pending.level == "warning"
    assert PASSWORD not in json.dumps([e.model_dump(mode="json") for e in out.evidence])


async def test_pending_can_be_left_out(prom: Server, tmp_path: Path) -> None:
    out = await connector(tmp_path, prom.url, include_pending=False).collect(make_query())
    assert set(alerts(out.evidence)) == {"ApiDown", "WorkerLag"}


@pytest.mark.parametrize(
    ("extra", "fields", "expected"),
    [
        ({"services": ["api"]}, {}, {"ApiDown"}),
        ({"matchers": {"region": "us-east-1"}}, {}, {"ApiDown"}),
        ({"only_ticket_services": True}, {"service": "worker"}, {"WorkerLag"}),
        ({"only_ticket_services": True}, {}, {"ApiDown", "WorkerLag", "BillingSlowPending"}),
        ({"service_label": "severity", "services": ["warning"]}, {}, {"WorkerLag", "BillingSlowPending"}),
    ],
    ids=["static-services", "label-matcher", "ticket-service", "ticket-names-none", "other-label"],
)  # fmt: skip
async def test_alerts_are_filtered_by_service_and_labels(
    prom: Server, tmp_path: Path, extra: dict[str, Any], fields: dict[str, str], expected: set[str]
) -> None:
    out = await connector(tmp_path, prom.url, **extra).collect(make_query(custom_fields=fields))
    assert set(alerts(out.evidence)) == expected


async def test_the_tickets_own_service_comes_first(prom: Server, tmp_path: Path) -> None:
    out = await connector(tmp_path, prom.url).collect(
        make_query(custom_fields={"service": "worker"})
    )
    assert out.evidence[0].attributes["labels"]["alertname"] == "WorkerLag"
    assert out.evidence[0].attributes["ticket_service"] is True


async def test_url_template_percent_encodes_label_values(prom: Server, tmp_path: Path) -> None:
    c = connector(
        tmp_path,
        prom.url,
        url_template="https://grafana.example.com/alerting/list?q={alertname}&r={region}",
    )
    out = await c.collect(make_query())
    assert alerts(out.evidence)["ApiDown"].url == (
        "https://grafana.example.com/alerting/list?q=ApiDown&r=us-east-1"
    )


async def test_alerts_that_began_after_the_window_are_left_out(
    prom: Server, tmp_path: Path
) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    out = await connector(tmp_path, prom.url).collect(make_query(end=past))
    assert not [e for e in out.evidence if e.kind == "alert"]
    assert any("after the window" in n for n in out.notes)


async def test_wrong_password_is_a_clear_401(prom: Server, tmp_path: Path) -> None:
    c = connector(tmp_path, prom.url, password="wrong-Secret-123")
    with pytest.raises(SourceError) as info:
        await c.collect(make_query())
    assert info.value.message.startswith("prometheus 'metrics': HTTP 401")
    assert "connectors.metrics.bearer_token or username/password" in (info.value.hint or "")
    assert "wrong-Secret-123" not in info.value.message


async def test_check_reports_version_and_auth(prom: Server, tmp_path: Path) -> None:
    ok = await connector(tmp_path, prom.url).check()
    assert ok[0].ok and "Prometheus 2." in ok[0].detail
    bad = await connector(tmp_path, prom.url, password="nope-nope-1").check()
    assert not bad[0].ok and "401" in bad[0].detail


# --- PromQL queries on the real server ---------------------------------------------------------


async def test_query_range_finds_when_the_series_stepped_up(prom: Server, tmp_path: Path) -> None:
    wait_for(lambda: time.time() > prom.step_at + 3, 20, "the step")
    start = datetime.fromtimestamp(prom.step_at - 1, UTC)
    query = {"name": "step", "promql": "step_series", "title": "Step {job}", "factor": 3}
    c = connector(tmp_path, prom.url, baseline="30s", queries=[query])
    out = await c.collect(make_query(start=start, end=datetime.now(UTC)))
    [metric] = [e for e in out.evidence if e.kind == "status"]
    assert metric.status == "firing" and signals.is_problem(metric)
    assert metric.attributes["baseline"] == 1.0
    assert metric.attributes["window_max"] == 10.0
    assert metric.attributes["threshold"] == 3.0
    changed = datetime.fromisoformat(metric.attributes["changed_at"]).timestamp()
    assert prom.step_at <= changed <= prom.step_at + 3
    assert metric.first_seen == metric.timestamp
    assert metric.novelty == "spike" and metric.level == "warning"
    assert metric.title.startswith("Step : 10 at ")
    assert metric.url is not None and metric.url.startswith(f"{prom.url}/graph?g0.expr=step_series")
    assert "/api/v1/query_range?query=step_series" in metric.query


async def test_an_unchanged_real_series_is_reported_as_ok(prom: Server, tmp_path: Path) -> None:
    query = {"name": "up", "promql": 'up{job="{job}"}', "threshold": 5}
    c = connector(tmp_path, prom.url, baseline="10s", queries=[query], vars={"job": "prometheus"})
    start = datetime.now(UTC) - timedelta(seconds=5)
    out = await c.collect(make_query(start=start, end=datetime.now(UTC)))
    [metric] = [e for e in out.evidence if e.kind == "status"]
    assert metric.status == "ok" and not signals.is_problem(metric)
    assert metric.attributes["window_last"] == 1.0
    assert metric.attributes["labels"]["job"] == "prometheus"
    assert "no change" in metric.title and metric.level == "info"


async def test_a_query_over_a_real_counter_runs_with_the_tickets_custom_field(
    prom: Server, tmp_path: Path
) -> None:
    query = {
        "name": "requests",
        "promql": 'sum by (handler) (prometheus_http_requests_total{handler=~"{handler}"})',
    }
    c = connector(tmp_path, prom.url, baseline="1m", queries=[query])
    out = await c.collect(make_query(custom_fields={"handler": "/api/v1/alerts"}))
    metrics = [e for e in out.evidence if e.kind == "status"]
    assert [m.attributes["labels"] for m in metrics] == [{"handler": "/api/v1/alerts"}]
    assert metrics[0].attributes["window_max"] >= 1


async def test_vars_fill_a_placeholder_the_ticket_leaves_empty(
    prom: Server, tmp_path: Path
) -> None:
    query = {"name": "svc", "promql": 'up{job="{service}"}'}
    c = connector(tmp_path, prom.url, queries=[query], vars={"service": "prometheus"})
    out = await c.collect(make_query())
    [metric] = [e for e in out.evidence if e.kind == "status"]
    assert metric.attributes["promql"] == 'up{job="prometheus"}'
    assert metric.timestamp is None  # unchanged: context, not an event


async def test_a_query_missing_its_value_is_skipped_with_a_note(
    prom: Server, tmp_path: Path
) -> None:
    query = {"name": "by_region", "promql": 'up{region="{region}"}'}
    out = await connector(tmp_path, prom.url, queries=[query]).collect(make_query())
    assert not [e for e in out.evidence if e.kind == "status"]
    assert any("'by_region' skipped" in n and "{region}" in n for n in out.notes)


async def test_the_servers_reason_for_a_bad_query_is_a_note_not_a_crash(
    prom: Server, tmp_path: Path
) -> None:
    query = {"name": "broken", "promql": "sum(rate(up[5m])"}
    out = await connector(tmp_path, prom.url, queries=[query]).collect(make_query())
    assert "ApiDown" in alerts(out.evidence)  # the alerts still arrive
    [note] = [n for n in out.notes if "rejected" in n]
    assert note.startswith("prometheus 'metrics': the server rejected the request (")
    assert "parse error" in note


async def test_empty_result_is_a_note(prom: Server, tmp_path: Path) -> None:
    query = {"name": "none", "promql": 'up{job="no-such-job"}'}
    out = await connector(tmp_path, prom.url, queries=[query]).collect(make_query())
    assert any("'none' returned no series" in n for n in out.notes)


# --- hostile values: escaping proven by the real PromQL parser ----------------------------------


@pytest.mark.parametrize(
    "promql",
    ['hostile_series{v="{v}"}', 'hostile_series{v=~"{v}"}', "hostile_series{v='{v}'}",
     "hostile_series{v=~'{v}', case!=\"x\"}"],
    ids=["eq", "regex", "single-quoted", "single-quoted-regex"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("case", "value"), list(enumerate(HOSTILE)), ids=[repr(v) for v in HOSTILE]
)
async def test_a_hostile_value_matches_exactly_its_own_label_value(
    prom: Server, tmp_path: Path, promql: str, case: int, value: str
) -> None:
    query = {"name": "hostile", "promql": promql}
    c = connector(tmp_path, prom.url, baseline="1m", queries=[query])
    out = await c.collect(make_query(custom_fields={"v": value}))
    metrics = [e for e in out.evidence if e.kind == "status"]
    assert not [n for n in out.notes if "rejected" in n], out.notes
    # one series: its own. An injected `or vector(1)` or a widened regex would add others.
    assert [m.attributes["labels"]["case"] for m in metrics] == [str(case)]
    assert metrics[0].attributes["labels"]["v"] == value


@pytest.mark.parametrize(
    "value",
    ['nomatch"}) or vector(1) or up{job="', "x|.*", ".*", 'a\\"} or up', "prom.*"],
)
async def test_an_injection_attempt_returns_nothing(
    prom: Server, tmp_path: Path, value: str
) -> None:
    query = {"name": "inj", "promql": 'hostile_series{v=~"{v}"} or up{job="{v}"}'}
    c = connector(tmp_path, prom.url, baseline="1m", queries=[query])
    out = await c.collect(make_query(custom_fields={"v": value}))
    assert not [e for e in out.evidence if e.kind == "status"], out.notes
    assert any("returned no series" in n for n in out.notes)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(min_size=1, max_size=40))
async def test_any_text_is_one_literal_label_value(
    prom: Server, tmp_path: Path, value: str
) -> None:
    query = {"name": "any", "promql": 'hostile_series{v="{v}"} or hostile_series{v=~"{v}"}'}
    c = connector(tmp_path, prom.url, baseline="1m", queries=[query])
    out = await c.collect(make_query(custom_fields={"v": value}))
    assert not [n for n in out.notes if "rejected" in n], out.notes  # always valid PromQL
    cases = {e.attributes["labels"]["case"] for e in out.evidence if e.kind == "status"}
    assert cases == ({str(HOSTILE.index(value))} if value in HOSTILE else set())


def test_escaping_rules() -> None:
    assert escape_string('a"b\\c\nd\te\x01') == 'a\\"b\\\\c\\nd\\te\\x01'
    assert escape_string("it's", "'") == "it\\'s"
    assert regex_quote("a.b*c|d(e)[f]{g}^h$i+j?k\\") == (
        "a\\.b\\*c\\|d\\(e\\)\\[f\\]\\{g\\}\\^h\\$i\\+j\\?k\\\\"
    )
    segments = parse_template('sum(rate(x{a="{v}",b=~"{v}.*"}[5m]))')
    assert render(segments, {"v": 'q"|'}) == 'sum(rate(x{a="q\\"|",b=~"q\\"\\\\|.*"}[5m]))'


@pytest.mark.parametrize(
    ("promql", "expected"),
    [
        ("up{job={job}}", "placeholder {job} must be inside a quoted label matcher value"),
        ('label_replace(up, "dst", "{job}", "", "")', "placeholders may appear only inside"),
        ("up{job=`{job}`}", "placeholders may appear only inside a double- or single-quoted"),
        ('up{job="x"} + {job}', "placeholder {job} must be inside"),
        ('up{job="{job}', "unterminated string in the PromQL"),
    ],
    ids=["bare", "function-argument", "raw-string", "outside-braces", "unterminated"],
)
def test_placeholders_outside_matcher_values_are_refused_at_load(
    tmp_path: Path, promql: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        connector(tmp_path, "http://127.0.0.1:9", queries=[{"name": "q", "promql": promql}])
    assert "connectors.metrics.queries.0.promql" in info.value.message
    assert expected in info.value.message


# --- failures a healthy server won't produce (loopback fake) ------------------------------------


@pytest.fixture
def fake() -> Iterator[Any]:
    with FakeMonitoring() as server:
        yield server
        server.check()


ALERTS_OK = json.dumps({"status": "success", "data": {"alerts": []}})


async def test_429_retry_after_is_honoured(fake: Any, tmp_path: Path) -> None:
    fake.reply_raw(429, "{}", {"retry-after": "1"})
    fake.reply_raw(200, ALERTS_OK)
    started = Stopwatch()
    out = await connector(tmp_path, fake.url).collect(make_query())
    assert started.wall >= 0.9
    assert out.evidence == [] and len(fake.requests) == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"status": "success"}', "no data object"),
        ('{"status": "success", "data": {"alerts": 3}}', "no alert list"),
    ],
    ids=["no-data", "wrong-shape"],
)
async def test_malformed_answers_are_clear_errors(
    fake: Any, tmp_path: Path, body: str, expected: str
) -> None:
    fake.reply_raw(200, body)
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, fake.url).collect(make_query())
    assert info.value.message.startswith("prometheus 'metrics': ")
    assert expected in info.value.message and "\n" not in info.value.message


async def test_many_series_are_capped_to_the_highest(fake: Any, tmp_path: Path) -> None:
    now = time.time()
    series = [
        {"metric": {"pod": f"p{i}"}, "values": [[now - 1, str(i)], [now, str(i)]]}
        for i in range(50)
    ]
    matrix = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": series}})
    # the alerts and the range query are sent concurrently: answer by path
    fake.fallback = callable_reply(
        lambda r: raw_reply(200, ALERTS_OK if r.path.endswith("/alerts") else matrix)
    )
    c = connector(tmp_path, fake.url, queries=[{"name": "pods", "promql": "x"}], max_series=3)
    out = await c.collect(make_query(start=datetime.now(UTC) - timedelta(minutes=5)))
    pods = [e.attributes["labels"]["pod"] for e in out.evidence]
    assert pods == ["p49", "p48", "p47"]
    assert any("returned 50 series; kept the 3 highest" in n for n in out.notes)


def test_basic_auth_needs_both_halves(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="both username and password"):
        make_connector(
            Prometheus, tmp_path, {"type": "prometheus", "base_url": "http://x", "username": "u"}
        )


# --- the CLI end to end -------------------------------------------------------------------------


def test_cli_report_shows_the_firing_alert_and_the_outage(
    prom: Server, tmp_path: Path, cli: Any
) -> None:
    now = datetime.now(UTC)
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    ticket = {
        "id": "T-1",
        "subject": "API returns errors for everything",
        "description": "Since a few minutes every API call fails for us.",
        "created_at": now.isoformat(),
        "requester": {"name": "Dana", "email": "dana@acme.io"},
        "custom_fields": {"service": "api"},
    }
    (tickets / "T-1.json").write_text(json.dumps(ticket))
    (tmp_path / "customers.json").write_text(
        json.dumps([{"id": "acc_1042", "email": "dana@acme.io", "region": "us-east-1"}])
    )
    config = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "20s"},
        "connectors": {
            "tickets": {"type": "file", "path": str(tickets)},
            "customers": {
                "type": "records",
                "path": str(tmp_path / "customers.json"),
                "kind": "customer",
                "match_fields": ["email"],
            },
            "metrics": {"type": "prometheus", "base_url": prom.url, **AUTH},
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(json.dumps(config))
    result = cli("ticket", "T-1", "-c", str(path), "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    [source] = [s for s in report.sources if s.name == "metrics"]
    assert source.status == "ok" and source.items >= 2
    api = next(e for e in report.evidence if e.title.startswith("ApiDown [firing]"))
    assert api.kind == "alert" and api.status == "firing"
    print(api.reasons, report.analysis.model_dump_json(indent=1))
    assert report.analysis.incident.suspected
    assert (
        api.id in report.analysis.incident.alerts or api.id in report.analysis.root_cause.evidence
    )
    assert PASSWORD not in result.out
