"""`datadog_logs`: the search query built from the ticket (every value one quoted phrase), the
read-only POST allow-list, cursor paging, sites, baseline novelty, caps, Datadog's own failures
(a wrong application key is a 403), the fake's traffic validated against Datadog's OpenAPI spec,
and the CLI end to end. The HTTP plumbing (401/403 hints, Retry-After, broken JSON, size caps,
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
from fakes.anthropic_api import raw_reply
from fakes.datadog import FakeDatadog, parse_search
from spec_validation import spec_missing_reason

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError
from investigate.evidence.entities import extract
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.datadog_logs import DatadogLogs

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=END)
API_KEY = "0123456789abcdef0123456789abcdef"
APP_KEY = "fedcba9876543210fedcba9876543210fedcba98"
SPEC_ACTIVE = spec_missing_reason("datadog-v2.json") is None


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeDatadog]:
    with FakeDatadog(api_key=API_KEY, app_key=APP_KEY) as server:
        yield server
        server.check()  # fails on spec problems too


def ticket(description: str = "Export fails for account acc_1042, request req_8f2a9c1d.") -> Ticket:
    return Ticket(
        id="4812",
        subject="CSV export fails",
        description=description,
        requester=Person(name="Dana", email="dana@acme.io"),
        created_at=END,
    )


def query(t: Ticket | None = None, **kw: Any) -> Query:
    t = t or ticket()
    return Query(t, extract(t), WINDOW, **kw)


def connector(fake: FakeDatadog, **extra: Any) -> DatadogLogs:
    section = {
        "type": "datadog_logs",
        "base_url": fake.url,
        "api_key": API_KEY,
        "app_key": APP_KEY,
        "query": "service:api",
        **extra,
    }
    config = DatadogLogs.config_model.model_validate(section)
    return DatadogLogs("dd", config, Context())


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def seed(fake: FakeDatadog) -> None:
    for i in range(6):
        fake.add(at(-120 + i * 10), f"upstream timeout after {500 + i}ms", status="error")
        fake.add(at(5 + i * 5), f"upstream timeout after {600 + i}ms", status="error")
    for i in range(4):
        fake.add(
            at(20 + i), f"export failed for acc_1042: ERR_EXPORT_SERIALIZE row {i}", status="error"
        )
    fake.add(at(21), "GET /exports 500", attributes={"usr": {"email": "dana@acme.io"}})
    fake.add(at(30), "healthcheck ok")
    fake.add(at(22), "export failed for acc_1042 (web)", service="web", status="error")


def by_template(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["template"]: e for e in items}


async def test_entity_logs_and_new_errors_become_patterns(fake: FakeDatadog) -> None:
    seed(fake)
    out = await connector(fake, attributes=["@usr.email"]).collect(query())
    found = by_template(out.evidence)
    export = found["export failed for <id>: ERR_EXPORT_SERIALIZE row <num>"]
    assert export.kind == "log_pattern" and export.count == 4 and export.novelty == "new"
    assert export.services == ["api"] and "acc_1042" in export.matched
    assert "GET /exports <num>" in found  # found through @usr.email, not the message
    assert not any(t.startswith("upstream timeout") for t in found)
    assert not any("(web)" in t for t in found)  # the base query keeps other services out
    assert export.query.startswith(f"POST {fake.url}/api/v2/logs/events/search filter.query=")
    url = export.url or ""
    assert url.startswith("https://app.datadoghq.com/logs?query=service%3Aapi%20%28")
    assert f"from_ts={int(START.timestamp() * 1000)}" in url
    assert out.notes == []
    if SPEC_ACTIVE:
        assert fake.validated == len(fake.requests)


async def test_requests_carry_both_keys_and_the_window(fake: FakeDatadog) -> None:
    await connector(fake).collect(query())
    assert all(r.headers["dd-api-key"] == API_KEY for r in fake.requests)
    assert all(r.headers["dd-application-key"] == APP_KEY for r in fake.requests)
    first = fake.bodies[0]
    assert first["filter"]["from"] == str(int(START.timestamp() * 1000))
    assert first["sort"] == "-timestamp" and first["page"]["limit"] == 1000
    assert fake.bodies[-1]["filter"]["to"] == str(int(START.timestamp() * 1000))  # baseline


async def test_hostile_values_stay_one_phrase(fake: FakeDatadog) -> None:
    hostile = 'acc_1" OR service:* OR "'
    fake.add(at(10), f"weird login {hostile} seen", status="info")
    fake.add(at(11), "acc_1 OR service line that must not match", status="info")
    q = query(ticket("nothing"))
    q.entities.account_ids = [hostile, "back\\slash (paren) -minus *star*", "new\nline"]
    q.entities.emails = []
    out = await connector(fake).collect(q)
    tree = fake.parsed[0]
    assert tree[0] == "and" and tree[1] == ("field", "service", [("word", "api")])
    texts = {n[1] for n in tree[2][1:]}
    assert texts == {hostile, "back\\slash (paren) -minus *star*", "new line"}
    assert [e.count for e in out.evidence] == [1]
    assert hostile.lower() in out.evidence[0].matched


async def test_cursor_paging_reads_every_log_once(fake: FakeDatadog) -> None:
    for i in range(23):
        fake.add(at(1 + i * 0.5), f"worker crash {i}", status="error")
    out = await connector(fake, page_size=5, max_baseline_lines=0).collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 23
    cursors = [b["page"].get("cursor") for b in fake.bodies if "status:" in b["filter"]["query"]]
    assert cursors[0] is None and all(cursors[1:]) and len(cursors) == 5


async def test_huge_result_is_capped_and_says_so(fake: FakeDatadog) -> None:
    for i in range(2000):
        fake.add(at(i * 0.02), f"flood {i}", status="error")
    out = await connector(fake, page_size=250, max_lines=600).collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 600
    assert len(fake.bodies) == 1 + 3  # matches, then 3 error pages; nothing after the cap
    assert any("stopped reading at 600 lines" in n for n in out.notes)


async def test_only_the_search_post_passes_the_guard(fake: FakeDatadog) -> None:
    async with connector(fake)._client(None, 5) as client:
        for path in ["/api/v2/logs", "/api/v2/logs/config/indexes", "/api/v1/monitor"]:
            with pytest.raises(ReadOnlyViolation):
                await client.post(path, json={})
        with pytest.raises(ReadOnlyViolation):
            await client.delete("/api/v2/logs/events/search")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "hint"),
    [(404, "site"), (500, None)],
)
async def test_http_failures_are_one_masked_line(
    fake: FakeDatadog, status: int, hint: str | None
) -> None:
    fake.script(raw_reply(status, json.dumps({"errors": [f"nope for key {API_KEY}"]})))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    message = info.value.message
    assert message.startswith("datadog_logs 'dd': ") and f"HTTP {status}" in message
    assert "nope for key" in message and API_KEY not in message and "\n" not in message
    if hint:
        assert hint in (info.value.hint or "")


async def test_wrong_app_key_is_forbidden(fake: FakeDatadog) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, app_key="0" * 40).collect(query())
    assert "HTTP 403" in info.value.message and "Forbidden" in info.value.message
    assert "logs_read_data" in (info.value.hint or "")


async def test_429_waits_for_retry_after(fake: FakeDatadog) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"errors":["Too many requests"]}', {"retry-after": "1"}))
    began = time.monotonic()
    out = await connector(fake).collect(query())
    assert time.monotonic() - began >= 1.0 and out.evidence


async def test_an_answer_without_data_is_a_clear_error(fake: FakeDatadog) -> None:
    fake.script(raw_reply(200, '{"status": "ok"}'))
    with pytest.raises(SourceError, match="no data list"):
        await connector(fake).collect(query())


async def test_empty_result(fake: FakeDatadog) -> None:
    out = await connector(fake).collect(query())
    assert out.evidence == [] and out.notes == [] and not out.partial
    assert len(fake.bodies) == 3


async def test_check_reports_auth(fake: FakeDatadog) -> None:
    assert (await connector(fake).check())[0].ok
    failed = (await connector(fake, api_key="0" * 32).check())[0]
    assert not failed.ok and "HTTP 403" in failed.detail and "logs_read_data" in failed.detail


def test_sites_and_config_checks() -> None:
    base = {"type": "datadog_logs", "api_key": "k", "app_key": "a"}
    eu = DatadogLogs.config_model.model_validate({**base, "site": "eu"})
    assert eu.root == "https://api.datadoghq.eu" and eu.site == "datadoghq.eu"
    us3 = DatadogLogs.config_model.model_validate({**base, "site": "us3.datadoghq.com"})
    assert us3.root == "https://api.us3.datadoghq.com"
    assert us3.link_template.startswith("https://app.us3.datadoghq.com/logs?query=")
    with pytest.raises(ValueError, match="unknown Datadog site"):
        DatadogLogs.config_model.model_validate({**base, "site": "datadoghq.evil"})
    with pytest.raises(ValueError, match="not a Datadog attribute"):
        DatadogLogs.config_model.model_validate({**base, "attributes": ['@x" OR *']})


@pytest.mark.skipif(not SPEC_ACTIVE, reason="../shared/specs/datadog-v2.json is absent")
def test_the_fake_flags_requests_the_spec_rejects() -> None:
    import httpx2

    with FakeDatadog() as server:
        httpx2.post(
            f"{server.url}/api/v2/logs/events/search",
            json={"sort": "newest", "page": {"limit": 5000}},
            headers={"DD-API-KEY": "dd-api-key", "DD-APPLICATION-KEY": "dd-app-key"},
        )
        httpx2.post(f"{server.url}/api/v2/logs/events/search", json={})
        problems = list(server.problems)
    assert any("sort" in p or "limit" in p for p in problems)
    assert any("apiKeyAuth" in p or "ecurity" in p or "DD-API-KEY" in p for p in problems)


def test_the_fake_rejects_queries_that_do_not_parse() -> None:
    for bad in ['"open', "service:(a OR", "(a", "x:"]:
        with pytest.raises(ValueError):
            parse_search(bad)


def test_cli_ticket_shows_datadog_log_patterns(
    fake: FakeDatadog,
    cli: Any,
    write_config: Any,
    tmp_path: Path,
) -> None:
    seed(fake)
    tickets = tmp_path / "tickets.json"
    tickets.write_text(
        json.dumps(
            [
                {
                    "id": "4812",
                    "subject": "CSV export fails",
                    "description": "Export fails for account acc_1042 since 09:20.",
                    "requester": {"name": "Dana", "email": "dana@acme.io"},
                    "created_at": "2026-11-24T10:00:00Z",
                }
            ]
        )
    )
    config = write_config(
        {
            "ticket_source": "helpdesk",
            "investigation": {"timeout": "20s"},
            "connectors": {
                "helpdesk": {"type": "file", "path": str(tickets)},
                "dd": {
                    "type": "datadog_logs",
                    "base_url": fake.url,
                    "api_key": API_KEY,
                    "app_key": APP_KEY,
                    "query": "service:api",
                },
            },
        }
    )
    result = cli(
        "ticket", "4812", "-c", str(config), "--format", "json", "--analyst", "offline",
        "--since", "2026-11-24T09:00:00Z", "--until", "2026-11-24T10:00:00Z",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    source = next(s for s in report["sources"] if s["name"] == "dd")
    assert source["status"] == "ok" and source["items"] >= 1
    assert any(
        e["source"] == "dd" and e["kind"] == "log_pattern" and "ERR_EXPORT_SERIALIZE" in e["title"]
        for e in report["evidence"]
    )
    assert API_KEY not in result.out + result.err and APP_KEY not in result.out + result.err
