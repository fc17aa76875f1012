"""`elasticsearch` (and OpenSearch): a JSON bool query built from the ticket (values stay JSON
strings), the read-only POST allow-list, search_after paging with and without a tiebreaker,
baseline novelty, caps, Elasticsearch's own failures, the fake's traffic checked against
Elastic's specs, and the CLI end to end. The HTTP plumbing (401/403 hints, 5xx, Retry-After,
broken JSON, size caps, secrets, check) is the contract suite's:
tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
import stamina
from fakes.anthropic_api import raw_reply
from fakes.elasticsearch import FakeElasticsearch, spec_validators
from spec_validation import spec_missing_reason

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError
from investigate.evidence.entities import extract
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.elasticsearch import Elasticsearch

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=END)
KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
INDEX = "logs-2026.11.24"
SPEC_ACTIVE = spec_missing_reason("elasticsearch/search.json") is None


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch(api_key=KEY) as server:
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


def connector(fake: FakeElasticsearch, **extra: Any) -> Elasticsearch:
    section = {"type": "elasticsearch", "base_url": fake.url, "index": "logs-*", "api_key": KEY}
    config = Elasticsearch.config_model.model_validate({**section, **extra})
    return Elasticsearch("search", config, Context())


def iso(minutes: float, base: datetime = START) -> str:
    return (base + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def doc(
    minutes: float, level: str, message: str, service: str = "api", **more: Any
) -> dict[str, Any]:
    return {
        "@timestamp": iso(minutes),
        "message": message,
        "log": {"level": level},
        "service": {"name": service},
        **more,
    }


def seed(fake: FakeElasticsearch) -> None:
    for i in range(6):
        fake.add(
            "logs-2026.11.23", doc(-120 + i * 10, "error", f"upstream timeout after {500 + i}ms")
        )
        fake.add(INDEX, doc(5 + i * 5, "error", f"upstream timeout after {600 + i}ms"))
    for i in range(4):
        fake.add(
            INDEX, doc(20 + i, "error", f"export failed for acc_1042: ERR_EXPORT_SERIALIZE row {i}")
        )
    fake.add(INDEX, doc(21, "info", "request req_8f2a9c1d GET /exports 500"))
    fake.add(INDEX, doc(30, "info", "healthcheck ok"))
    fake.add("audit-2026", doc(22, "error", "export failed for acc_1042 (audit)"))


def by_template(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["template"]: e for e in items}


async def test_entity_documents_and_new_errors_become_patterns(fake: FakeElasticsearch) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    found = by_template(out.evidence)
    export = found["export failed for <id>: ERR_EXPORT_SERIALIZE row <num>"]
    assert export.kind == "log_pattern" and export.count == 4 and export.novelty == "new"
    assert export.services == ["api"] and "acc_1042" in export.matched
    assert found["request <id> GET /exports <num>"].matched == ["req_8f2a9c1d"]
    assert not any(t.startswith("upstream timeout") for t in found)  # steady: in the baseline
    assert not any("audit" in t for t in found)  # other indices stay out
    assert export.query.startswith(f"POST {fake.url}/logs-*/_search {{")
    assert out.notes == []
    if SPEC_ACTIVE:
        assert fake.validated == len(fake.requests)


async def test_the_query_is_json_with_values_as_strings(fake: FakeElasticsearch) -> None:
    hostile = 'acc_1" OR *:* ) AND NOT ("x'
    fake.add(INDEX, doc(10, "info", f"login for {hostile} ok"))
    fake.add(INDEX, doc(11, "info", "another acc_1 line OR something else"))
    q = query(ticket("nothing"))
    q.entities.account_ids = [hostile, "a\\b\nc/../%2F"]
    q.entities.emails = []
    await connector(fake).collect(q)
    first = fake.bodies[0]
    should = first["query"]["bool"]["should"]
    assert {c["multi_match"]["query"] for c in should} == {hostile, "a\\b\nc/../%2F"}
    assert "query_string" not in json.dumps(fake.bodies)
    assert first["query"]["bool"]["minimum_should_match"] == 1
    time_range = first["query"]["bool"]["filter"][0]["range"]["@timestamp"]
    assert time_range["gte"] == int(START.timestamp() * 1000)
    assert time_range["lte"] == int(END.timestamp() * 1000)


async def test_only_search_posts_pass_the_read_only_guard(fake: FakeElasticsearch) -> None:
    c = connector(fake)
    async with c._client(None, 5) as client:
        for method, path in [
            ("POST", "/logs-*/_delete_by_query"),
            ("POST", "/logs-*/_doc"),
            ("PUT", "/logs-x"),
            ("DELETE", "/logs-x"),
            ("POST", "/_bulk"),
            ("POST", "/logs-*/_search/../_delete_by_query"),
        ]:
            with pytest.raises(ReadOnlyViolation):
                await client.request(method, path, json={})
        response = await client.post("/logs-*/_search", json={"size": 0})
        assert response.status_code == 200
    assert all(r.path.endswith("/_search") for r in fake.requests)


@pytest.mark.parametrize("tiebreaker", [None, "event.sequence"])
async def test_paging_keeps_every_document_once(
    fake: FakeElasticsearch, tiebreaker: str | None
) -> None:
    n = 0
    for i in range(8):
        for j in range(3):  # three documents per millisecond: page boundaries split them
            fake.add(INDEX, doc(1 + i, "error", f"worker crash {i}-{j}", event={"sequence": n}))
            n += 1
    extra = {"tiebreaker": tiebreaker} if tiebreaker else {}
    out = await connector(fake, page_size=5, max_baseline_lines=0, **extra).collect(
        query(ticket("x"))
    )
    assert sum(e.count for e in out.evidence) == n
    paged = [b for b in fake.bodies if b["size"] == 5]
    assert len(paged) >= n // 5
    if tiebreaker:
        assert all(b["sort"][1] == {"event.sequence": {"order": "desc"}} for b in paged)
        afters = [b["search_after"] for b in paged if "search_after" in b]
        assert afters and all(len(a) == 2 for a in afters)
    else:
        assert all("search_after" not in b for b in paged)


async def test_huge_result_is_capped_and_says_so(fake: FakeElasticsearch) -> None:
    for i in range(2500):
        fake.add(INDEX, doc(i * 0.02, "error", f"flood {i}", event={"sequence": i}))
    c = connector(fake, page_size=200, max_lines=700, tiebreaker="event.sequence")
    out = await c.collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 700
    assert len(fake.bodies) == 1 + 4  # the matches search, then 4 pages; none after the cap
    assert any("stopped reading at 700 lines" in n for n in out.notes)


@pytest.mark.parametrize(
    ("status", "kind", "hint"),
    [
        (404, "index_not_found_exception", "index"),
        (500, "search_phase_execution_exception", None),
    ],
)
async def test_http_failures_are_one_masked_line(
    fake: FakeElasticsearch, status: int, kind: str, hint: str | None
) -> None:
    body = {"error": {"type": kind, "reason": f"bad things with key {KEY}"}, "status": status}
    fake.script(raw_reply(status, json.dumps(body)))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    message = info.value.message
    assert message.startswith("elasticsearch 'search': ") and f"HTTP {status}" in message
    assert "bad things with key" in message and KEY not in message and "\n" not in message
    if hint:
        assert hint in (info.value.hint or "") and "connectors.search" in (info.value.hint or "")


async def test_wrong_api_key_and_unknown_index(fake: FakeElasticsearch) -> None:
    seed(fake)
    with pytest.raises(SourceError) as info:
        await connector(fake, api_key="bm9wZQ==").collect(query())
    assert "HTTP 401" in info.value.message and "unable to authenticate" in info.value.message
    with pytest.raises(SourceError) as info:
        await connector(fake, index="nosuch").collect(query())
    assert "HTTP 404" in info.value.message and "no such index [nosuch]" in info.value.message


async def test_429_waits_for_retry_after(fake: FakeElasticsearch) -> None:
    seed(fake)
    fake.script(raw_reply(429, '{"error":"too many requests"}', {"retry-after": "1"}))
    began = time.monotonic()
    out = await connector(fake).collect(query())
    assert time.monotonic() - began >= 1.0 and out.evidence


async def test_an_answer_without_hits_is_a_clear_error(fake: FakeElasticsearch) -> None:
    fake.script(raw_reply(200, '{"acknowledged": true}'))
    with pytest.raises(SourceError, match=r"no hits\.hits list"):
        await connector(fake).collect(query())


async def test_empty_result(fake: FakeElasticsearch) -> None:
    fake.add(INDEX, doc(-5000, "info", "ancient"))
    out = await connector(fake).collect(query())
    assert out.evidence == [] and out.notes == [] and not out.partial
    assert len(fake.bodies) == 3


def test_config_refuses_unsafe_index_and_field_names() -> None:
    base = {"type": "elasticsearch", "base_url": "http://x"}
    for index in ["*", "_all", "../secret", "logs/_doc", "a b", "_internal", "logs,*"]:
        with pytest.raises(ValueError, match="index must name"):
            Elasticsearch.config_model.model_validate({**base, "index": index})
    with pytest.raises(ValueError, match="not a field name"):
        Elasticsearch.config_model.model_validate(
            {**base, "index": "logs-*", "fields": {"message": 'msg"]}'}}
        )
    ok = Elasticsearch.config_model.model_validate({**base, "index": "logs-*,app-2026.*"})
    assert ok.index == "logs-*,app-2026.*"


async def test_basic_auth_for_opensearch(fake: FakeElasticsearch) -> None:
    fake.api_key, fake.basic = None, ("reader", "pa55-w0rd")
    seed(fake)
    out = await connector(fake, api_key=None, username="reader", password="pa55-w0rd").collect(
        query()
    )
    assert out.evidence
    assert all(r.headers["authorization"].startswith("Basic ") for r in fake.requests)


async def test_transport_errors_are_one_line() -> None:
    config = Elasticsearch.config_model.model_validate(
        {"type": "elasticsearch", "base_url": "http://127.0.0.1:9", "index": "logs-*"}
    )
    c = Elasticsearch("search", config, Context())
    with pytest.raises(SourceError) as info:
        await c.collect(query(deadline=time.monotonic() + 2))
    assert info.value.message.startswith("elasticsearch 'search': ")
    assert isinstance(info.value, SourceError) and not isinstance(info.value, httpx2.HTTPError)


def test_cli_ticket_shows_elasticsearch_log_patterns(
    fake: FakeElasticsearch,
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
                "search": {
                    "type": "elasticsearch",
                    "base_url": fake.url,
                    "index": "logs-*",
                    "api_key": KEY,
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
    source = next(s for s in report["sources"] if s["name"] == "search")
    assert source["status"] == "ok" and source["items"] >= 1
    assert any(
        e["source"] == "search"
        and e["kind"] == "log_pattern"
        and "ERR_EXPORT_SERIALIZE" in e["title"]
        for e in report["evidence"]
    )
    assert KEY not in result.out and KEY not in result.err


@pytest.mark.skipif(not SPEC_ACTIVE, reason="../shared/specs/elasticsearch is absent")
def test_the_fake_flags_requests_the_specs_reject() -> None:
    with FakeElasticsearch() as server:
        httpx2.post(f"{server.url}/logs-x/_search?bogus=1", json={"size": "ten"})
        httpx2.request("PATCH", f"{server.url}/logs-x/_search")
        problems = list(server.problems)
    assert any("'bogus' is not in search.json" in p for p in problems)
    assert any("size" in p and "not of type" in p for p in problems)
    loaded = spec_validators()
    assert loaded is not None
    answer = loaded[2]
    assert not list(answer.iter_errors({"took": 1, "timed_out": False, "_shards": {
        "total": 1, "successful": 1, "failed": 0}, "hits": {"hits": [], "max_score": None}}))  # fmt: skip
    assert list(answer.iter_errors({"hits": {"hits": [{"_index": 7, "_score": "high"}]}}))
