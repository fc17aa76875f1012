"""`loki`: LogQL built from the ticket (escaped, one selector, one stage), backward paging with
boundary de-duplication, the server's entry limit, baseline novelty, caps, Loki's own failures,
and the CLI end to end — all against a real loopback fake that parses and runs LogQL. The HTTP
plumbing (401/403 hints, Retry-After, broken JSON, size caps, secrets, check) is the contract
suite's: tests/contract/contracts_data_sources.py."""

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
from fakes.anthropic_api import raw_reply
from fakes.loki import FakeLoki

from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence.entities import extract
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.loki import Loki, _ns

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=END)
PASSWORD = "glc_s3cret_token_value"
API = {"app": "api", "level": "error"}
INFO = {"app": "api", "level": "info"}


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeLoki]:
    with FakeLoki(tenant="acme", basic=("123456", PASSWORD)) as server:
        yield server
        server.check()


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


def connector(fake: FakeLoki, **extra: Any) -> Loki:
    section = {
        "type": "loki",
        "base_url": fake.url,
        "selector": '{app="api"}',
        "tenant": "acme",
        "username": "123456",
        "password": PASSWORD,
        **extra,
    }
    return Loki("logs", Loki.config_model.model_validate(section), Context())


def at(minutes: float, base: datetime = START) -> int:
    return _ns(base + timedelta(minutes=minutes))


def seed(fake: FakeLoki) -> None:
    for i in range(6):  # steady background error, before and in the window
        fake.add(API, at(-120 + i * 10), f"upstream timeout after {500 + i}ms")
        fake.add(API, at(5 + i * 5), f"upstream timeout after {600 + i}ms")
    for i in range(4):  # new in the window, this customer's
        fake.add(API, at(20 + i), f"export failed for acc_1042: ERR_EXPORT_SERIALIZE row {i}")
    fake.add(INFO, at(21), "request req_8f2a9c1d GET /exports 500")
    fake.add(INFO, at(30), "healthcheck ok")
    fake.add({"app": "web", "level": "error"}, at(22), "export failed for acc_1042 (web)")


def by_template(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["template"]: e for e in items}


# --- what it finds ----------------------------------------------------------------------------


async def test_entity_lines_and_new_errors_become_patterns(fake: FakeLoki) -> None:
    seed(fake)
    out = await connector(fake).collect(query())
    found = by_template(out.evidence)
    export = found["export failed for <id>: ERR_EXPORT_SERIALIZE row <num>"]
    assert export.kind == "log_pattern" and export.count == 4
    assert export.novelty == "new" and export.level == "error"
    assert "acc_1042" in export.matched
    assert export.services == ["api"]
    request = found["request <id> GET /exports <num>"]  # an info line, kept: it names the ticket
    assert request.matched == ["req_8f2a9c1d"] and request.kind == "log"
    assert not any("(web)" in t for t in found)  # the selector keeps other apps out
    assert not any("healthcheck" in t for t in found)
    steady = [t for t in found if t.startswith("upstream timeout")]
    assert steady == []  # steady background errors are not news
    assert export.query.startswith(f"GET {fake.url}/loki/api/v1/query_range")
    assert out.notes == [] and not out.partial


async def test_queries_are_one_selector_and_one_stage_with_tenant_and_basic_auth(
    fake: FakeLoki,
) -> None:
    seed(fake)
    await connector(fake).collect(query())
    kinds = [(q.matchers, [op for op, _ in q.stages]) for q in fake.parsed]
    assert all(m == [("app", "=", "api")] for m, _ in kinds)
    assert all(ops in (["|~"],) for _, ops in kinds)
    first = fake.parsed[0].stages[0][1]
    assert first.startswith("(?i)(?:") and "acc_1042" in first and "dana@acme\\.io" in first
    windows = [(int(c["start"]), int(c["end"])) for c in fake.calls]
    assert windows[0] == (_ns(START), _ns(END) + 1)
    # the baseline: investigation.baseline (3 days by default) before the window
    assert windows[-1] == (_ns(START - timedelta(days=3)), _ns(START) + 1)
    assert all(c["direction"] == "backward" for c in fake.calls)
    assert all(r.headers["x-scope-orgid"] == "acme" for r in fake.requests)


async def test_the_baseline_period_follows_the_investigation_unless_the_connector_sets_one(
    fake: FakeLoki,
) -> None:
    seed(fake)
    await connector(fake).collect(query(baseline=timedelta(hours=6)))
    await connector(fake, baseline="24h").collect(query(baseline=timedelta(hours=6)))
    baselines = [int(c["start"]) for c in fake.calls if int(c["end"]) == _ns(START) + 1]
    assert baselines == [_ns(START - timedelta(hours=6)), _ns(START - timedelta(hours=24))]


async def test_hostile_values_stay_one_literal_and_match_literally(fake: FakeLoki) -> None:
    hostile = 'acc_"} |= "" | line_format "{{.x}}'
    fake.add(INFO, at(10), f"login by weird acct {hostile} done")
    fake.add(INFO, at(11), "innocent line with acc_ nothing")
    t = ticket("see below")
    q = query(t)
    q.entities.account_ids = [hostile, "a.c*_+(1)|2", "back\\slash`tick\nnewline"]
    out = await connector(fake).collect(q)
    assert len(fake.parsed[0].stages) == 1 and len(fake.parsed[0].matchers) == 1
    pattern = fake.parsed[0].stages[0][1]
    assert hostile.lower() in out.evidence[0].matched
    assert out.evidence[0].count == 1  # the regex matched the value literally, nothing wider
    assert "back\\\\slash`tick\nnewline" in pattern  # newline kept as data, backslash escaped


async def test_json_lines_are_unpacked_like_log_files(fake: FakeLoki) -> None:
    for i in range(3):
        line = json.dumps(
            {"ts": "x", "level": "error", "msg": f"charge failed id {i}", "service": "billing",
             "status": 402, "error_code": "ERR_CARD_DECLINED", "account_id": "acc_1042"}
        )  # fmt: skip
        fake.add({"app": "api"}, at(10 + i), line)  # no level label: the JSON says error
    out = await connector(fake).collect(query())
    (e,) = out.evidence
    assert e.attributes["template"] == "charge failed id <num> [ERR_CARD_DECLINED]"
    assert e.level == "error" and e.services == ["billing"] and e.count == 3
    assert e.matched == ["acc_1042"]  # found in a field, not the message
    assert e.fields["account_id"] == "acc_1042"
    assert e.http_statuses == [402]  # an HTTP status is a field, not a level


async def test_account_field_names_the_tenant_key_for_accounts_affected(fake: FakeLoki) -> None:
    """Remote log connectors take `account_field` like `log_file`: the tenant key of these
    lines is `shop`, which the default keys do not read."""
    for i, shop in enumerate(["north", "south", "north", "east"]):
        line = json.dumps({"level": "error", "msg": "checkout failed ERR_TAX_LOOKUP", "shop": shop})
        fake.add({"app": "api"}, at(10 + i), line)
    t = ticket("Checkout fails with ERR_TAX_LOOKUP for acc_1042.")
    (default,) = (await connector(fake).collect(query(t))).evidence
    (named,) = (await connector(fake, account_field="shop").collect(query(t))).evidence
    assert (default.accounts_affected, named.accounts_affected) == (0, 3)


# --- paging -----------------------------------------------------------------------------------


async def test_backward_paging_keeps_every_line_once_across_shared_timestamps(
    fake: FakeLoki,
) -> None:
    expected = 0
    for i in range(10):
        ts = at(1 + i)
        for j in range(3):  # three lines at the same nanosecond: page boundaries split them
            fake.add(API, ts, f"worker error code {i}-{j} ERR_WORKER_{i}")
            expected += 1
    out = await connector(fake, page_size=4, max_baseline_lines=0).collect(query(ticket("no ids")))
    assert sum(e.count for e in out.evidence) == expected
    assert len(fake.calls) >= expected // 4
    ends = [int(c["end"]) for c in fake.calls]
    assert ends == sorted(ends, reverse=True)  # always moving back in time
    assert all(int(c["limit"]) == 4 for c in fake.calls)


async def test_a_page_full_of_one_timestamp_does_not_loop(fake: FakeLoki) -> None:
    for j in range(9):
        fake.add(API, at(5), f"burst {j} error ERR_BURST")
    out = await connector(fake, page_size=4, max_baseline_lines=0).collect(query(ticket("x")))
    assert len(fake.calls) <= 4
    assert any("share one timestamp" in n for n in out.notes)


async def test_server_entry_limit_lowers_the_page_size(fake: FakeLoki) -> None:
    fake.max_entries = 50
    for i in range(120):
        fake.add(API, at(i * 0.1), f"db error {i} ERR_DB")
    out = await connector(fake, page_size=500, max_baseline_lines=0).collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 120
    assert [c["limit"] for c in fake.calls[:2]] == ["500", "50"]
    assert any("caps a query at 50 lines" in n for n in out.notes)


async def test_huge_result_is_capped_and_says_so(fake: FakeLoki) -> None:
    for i in range(3000):
        fake.add(API, at(i * 0.01), f"flood {i} error ERR_FLOOD")
    out = await connector(fake, page_size=200, max_lines=1000).collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 1000
    # the matches query, then pages of 199 new lines (one re-read at each boundary): 6 pages
    # reach the cap, and nothing is asked after it (not even the baseline)
    assert len(fake.calls) == 1 + 6
    assert all(int(c["start"]) == _ns(START) for c in fake.calls)
    assert any("stopped reading at 1,000 lines" in n for n in out.notes)


async def test_a_timeout_after_some_pages_keeps_them_as_partial(fake: FakeLoki) -> None:
    for i in range(40):
        fake.add(API, at(i), f"queue error {i} ERR_QUEUE")
    fake.slow_from, fake.slow_seconds = 2, 10.0  # the third request never answers in time
    c = connector(fake, page_size=10, timeout="1s")
    out = await c.collect(query(ticket("x"), deadline=time.monotonic() + 20))
    assert out.partial
    assert sum(e.count for e in out.evidence) == 10  # one error page (the first was matches)
    assert any("timed out" in n and "kept the 10 lines" in n for n in out.notes)


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [(404, "HTTP 404"), (500, "HTTP 500")],
)
async def test_http_failures_are_one_masked_line(fake: FakeLoki, status: int, words: str) -> None:
    fake.script(
        raw_reply(status, f"failed; password was {PASSWORD}\n", {"content-type": "text/plain"})
    )
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    message = info.value.message
    assert message.startswith("loki 'logs': ") and words in message and "\n" not in message
    assert PASSWORD not in message and PASSWORD not in str(info.value.hint)
    if status == 404:
        assert "connectors.logs" in (info.value.hint or "")


async def test_wrong_password_is_a_clear_401(fake: FakeLoki) -> None:
    with pytest.raises(SourceError) as info:
        await connector(fake, password="wrong-pass-123").collect(query())
    assert "HTTP 401" in info.value.message and "invalid credentials" in info.value.message
    assert "wrong-pass-123" not in info.value.message
    MASKER.clear()


async def test_429_waits_for_retry_after_then_succeeds(fake: FakeLoki) -> None:
    seed(fake)
    fake.script(raw_reply(429, "too many outstanding requests", {"retry-after": "1"}))
    began = Stopwatch()
    out = await connector(fake).collect(query())
    assert began.wall >= 1.0
    assert out.evidence


async def test_an_answer_that_is_not_streams_is_a_clear_error(fake: FakeLoki) -> None:
    fake.script(raw_reply(200, '{"status":"success","data":{"resultType":"matrix","result":[]}}'))
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert "resultType 'matrix'" in info.value.message


async def test_bad_query_is_reported_with_the_server_reason(fake: FakeLoki) -> None:
    fake.script(
        raw_reply(400, "parse error at line 1, col 9: syntax error", {"content-type": "text/plain"})
    )
    with pytest.raises(SourceError) as info:
        await connector(fake).collect(query())
    assert "Loki rejected the query: parse error" in info.value.message


async def test_empty_result(fake: FakeLoki) -> None:
    out = await connector(fake).collect(query())
    assert out.evidence == [] and out.notes == [] and not out.partial
    assert len(fake.calls) == 3  # matches, errors, baseline


def test_config_refuses_pipelines_in_the_selector_and_half_auth() -> None:
    base = {"type": "loki", "base_url": "http://x"}
    for selector in ['{app="api"} | line_format "x"', "app=api", '{app="a"}}', "{}"]:
        with pytest.raises(ValueError, match="stream selector"):
            Loki.config_model.model_validate({**base, "selector": selector})
    with pytest.raises(ValueError, match="go together"):
        Loki.config_model.model_validate({**base, "selector": '{a="b"}', "username": "u"})
    ok = Loki.config_model.model_validate({**base, "selector": '{app=~"api|web", env!="dev"}'})
    assert ok.selector == '{app=~"api|web", env!="dev"}'


async def test_deep_link_from_the_template(fake: FakeLoki) -> None:
    seed(fake)
    template = "https://grafana.example/explore?expr={query}&from={start_ms}&to={end_ms}"
    out = await connector(fake, url_template=template).collect(query())
    url = out.evidence[0].url or ""
    assert url.startswith("https://grafana.example/explore?expr=%7Bapp%3D%22api%22%7D%20%7C~")
    assert f"&from={int(START.timestamp() * 1000)}&to={int(END.timestamp() * 1000)}" in url


# --- end to end -------------------------------------------------------------------------------


def test_cli_ticket_shows_loki_log_patterns(
    fake: FakeLoki,
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
                "logs": {
                    "type": "loki",
                    "base_url": fake.url,
                    "selector": '{app="api"}',
                    "tenant": "acme",
                    "username": "123456",
                    "password": PASSWORD,
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
    source = next(s for s in report["sources"] if s["name"] == "logs")
    assert source["status"] == "ok" and source["items"] >= 1
    patterns = [e for e in report["evidence"] if e["source"] == "logs"]
    assert any(
        e["kind"] == "log_pattern" and "ERR_EXPORT_SERIALIZE" in e["title"] for e in patterns
    )
    assert PASSWORD not in result.out and PASSWORD not in result.err
