"""`cloudwatch_logs` against moto's real server on 127.0.0.1 (seeded with PutLogEvents, never
through the connector), with a proxy in front for what moto cannot do (throttling, AccessDenied,
broken or huge replies): filter patterns built from the ticket (every value one quoted term),
patterns with novelty, nextToken paging and its cap, retries within the deadline, line and byte
caps, one-line failures, the read-only operation guard, the missing-boto3 message, `check`, and
the CLI end to end."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from busyclock import Stopwatch
from fakes.cloudwatch import (
    CREDENTIALS,
    REGION,
    LogsProxy,
    MotoLogs,
    Reply,
    aws_error,
    throttled,
)
from servers import missing

from investigate.context import Context
from investigate.errors import ReadOnlyViolation, SourceError, SourceTimeout
from investigate.evidence.entities import extract
from investigate.models import Evidence, Person, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.cloudwatch_logs import (
    INSTALL,
    LOGS_READS,
    MAX_PATTERN,
    CloudWatchLogs,
    any_of,
    console_url,
    group_service,
    insights_query,
    parse_event,
)

MOTO = all(importlib.util.find_spec(m) is not None for m in ("moto", "flask", "boto3"))
"""moto's server (the `test` extra installs moto[server,logs] and boto3)."""

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(hours=3)  # moto keeps only the last 14 days
END = NOW - timedelta(hours=2)
WINDOW = Window(start=START, end=END)
GROUP = "/ecs/api"


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoLogs]:
    if not MOTO:
        missing("moto[server] (pip install -e '.[test]')")
    with MotoLogs() as server:
        yield server


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials from the environment; nothing from the host's ~/.aws or an IMDS."""
    for key in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def boto3_installed() -> None:
    if importlib.util.find_spec("boto3") is None:
        missing("boto3 (pip install 'investigate[cloudwatch]')")


@pytest.fixture
def moto(moto_server: MotoLogs) -> MotoLogs:
    moto_server.reset()
    return moto_server


@pytest.fixture
def proxy(moto: MotoLogs) -> Iterator[LogsProxy]:
    with LogsProxy(moto.url) as server:
        yield server


def ticket(description: str = "Export fails for account acc_1042 since this morning.") -> Ticket:
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


def connector(url: str, **extra: Any) -> CloudWatchLogs:
    section = {
        "type": "cloudwatch_logs",
        "region": REGION,
        "endpoint_url": url,
        "sts_endpoint_url": url,
        "log_group_names": [GROUP],
        **extra,
    }
    return CloudWatchLogs("cw", CloudWatchLogs.config_model.model_validate(section), Context())


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def seed(moto: MotoLogs) -> None:
    events = []
    for i in range(6):
        events.append((at(-120 + i * 10), f"ERROR upstream timeout after {500 + i}ms"))
        events.append((at(5 + i * 5), f"ERROR upstream timeout after {600 + i}ms"))
    for i in range(4):
        events.append(
            (at(20 + i), f"ERROR export failed for acc_1042: ERR_EXPORT_SERIALIZE row {i}")
        )
    events.append(
        (at(21), json.dumps({"level": "info", "msg": "GET /exports 500", "user": "dana@acme.io"}))
    )
    events.append((at(30), "INFO healthcheck ok"))
    events.append((at(31), "INFO no error in batch 7"))  # an error word, but not an error line
    events.append((at(90), "ERROR export failed for acc_1042: after the window"))
    moto.put(GROUP, events)
    moto.put("/ecs/web", [(at(22), "ERROR export failed for acc_1042 (web)")])


def by_template(items: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["template"]: e for e in items}


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


# -- filter patterns (pure) ------------------------------------------------------------------

_TERM = re.compile(r'(\??)"((?:[^"\\]|\\.)*)"( |$)')


def parse_terms(pattern: str) -> list[str]:
    """A strict reader of what `any_of` may produce: `"t"` or `?"t1" ?"t2" …`, nothing else
    (a term ends only at an unescaped quote followed by a space or the end)."""
    terms, pos, marks = [], 0, set()
    while pos < len(pattern):
        match = _TERM.match(pattern, pos)
        assert match, f"not a quoted term at {pos}: {pattern!r}"
        marks.add(match.group(1))
        terms.append(re.sub(r"\\(.)", r"\1", match.group(2)))
        pos = match.end()
    assert marks == ({"?"} if len(terms) > 1 else {""}), f"mixed ? marks: {pattern!r}"
    return terms


HOSTILE = [
    ('acc_1" ?"ERROR', 'acc_1" ?"ERROR'),  # closing the term to add an OR term
    ('x" - "y', 'x" - "y'),  # an exclusion
    ('{ $.level = "error" }', '{ $.level = "error" }'),  # a JSON selector
    ("[ip, user, ...]", "[ip, user, ...]"),  # a space-delimited selector
    ("back\\slash\\", "back\\slash\\"),  # a trailing backslash must not eat the quote
    ('\\" ?"', '\\" ?"'),
    ("100% /../etc/passwd", "100% /../etc/passwd"),
    ("a\nb\r\tc", "a b  c"),  # control characters become spaces
    ("'; DROP TABLE logs; --", "'; DROP TABLE logs; --"),
    ("%{ERROR}", "%{ERROR}"),
]


@pytest.mark.parametrize(("value", "term"), HOSTILE)
def test_a_hostile_value_stays_one_quoted_term(value: str, term: str) -> None:
    [single] = any_of([value])
    assert single.startswith('"') and parse_terms(single) == [term]
    both = any_of([value, "acc_1042"])
    assert len(both) == 1 and parse_terms(both[0]) == [term, "acc_1042"]
    assert both[0].startswith('?"') and both[0].count(' ?"') == 1


def test_patterns_stay_under_the_api_limit_and_skip_unusable_values() -> None:
    values = [f"acc_{i:04d}_" + "x" * 80 for i in range(40)]
    patterns = any_of([*values, "", "\n\t", "y" * 2000])
    assert all(len(p) <= MAX_PATTERN for p in patterns) and len(patterns) > 1
    assert [t for p in patterns for t in parse_terms(p)] == values


def test_parse_event_reads_json_plain_and_lambda_lines() -> None:
    assert parse_event('{"level":"error","message":"boom","service":"billing","code":"E1"}') == (
        "boom",
        "error",
        "billing",
        {"service": "billing", "code": "E1"},
    )
    assert parse_event("2026-11-24T09:00:01.123Z ERROR [api] export failed\n") == (
        "export failed",
        "ERROR",
        "api",
        {},
    )
    lam = "2026-11-24T09:00:01.123Z\t0f6a2d8e-1c2b-4a5f-9d1e-2f3a4b5c6d7e\tERROR\tInvoke failed"
    assert parse_event(lam)[:2] == ("Invoke failed", "ERROR")
    assert parse_event("Traceback (most recent call last):")[1] == "error"
    assert parse_event("payment ok for acc_1")[1] is None
    assert parse_event('{"broken": ')[0] == '{"broken":'


def test_console_link_and_service_names() -> None:
    url = console_url("eu-west-1", "/aws/lambda/billing", '?"a b" ?"c"', START, END)
    assert url.startswith(
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#"
    )
    assert "log-group/$252Faws$252Flambda$252Fbilling/log-events" in url
    assert "$3FfilterPattern$3D$253F$2522a$2520b$2522$2520$253F$2522c$2522" in url
    assert f"$26start$3D{ms(START)}$26end$3D{ms(END)}" in url
    assert " " not in url and '"' not in url
    assert group_service("/aws/lambda/billing") == "billing" and group_service("api") == "api"


def test_config_needs_log_groups_and_checks_names() -> None:
    model = CloudWatchLogs.config_model
    with pytest.raises(ValueError, match="log_group_names"):
        model.model_validate({"type": "cloudwatch_logs"})
    with pytest.raises(ValueError, match="not a CloudWatch log group name"):
        model.model_validate({"type": "cloudwatch_logs", "log_group_names": ["a b*"]})
    with pytest.raises(ValueError, match="https://"):
        model.model_validate(
            {"type": "cloudwatch_logs", "log_group_prefix": "/", "endpoint_url": "x"}
        )
    ok = model.model_validate({"type": "cloudwatch_logs", "log_group_prefix": "/ecs/"})
    assert ok.page_size == 1000 and ok.max_attempts == 5


# -- against moto ----------------------------------------------------------------------------


async def test_entity_lines_and_new_errors_become_patterns(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    seed(moto)
    out = await connector(proxy.url).collect(query())
    found = by_template(out.evidence)
    export = found["export failed for <id>: ERR_EXPORT_SERIALIZE row <num>"]
    assert export.kind == "log_pattern" and export.count == 4 and export.novelty == "new"
    assert export.services == ["api"] and "acc_1042" in export.matched
    assert export.level == "error"
    assert any(t.startswith("GET /exports") for t in found)  # a JSON line naming the requester
    assert not any(t.startswith("upstream timeout") for t in found)  # steady: in the baseline too
    assert not any("healthcheck" in t or "no error" in t for t in found)
    assert not any("(web)" in t or "after the window" in t for t in found)
    assert export.query.startswith(f"FilterLogEvents {GROUP} filterPattern=")
    assert (export.url or "").startswith(
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#logsV2:"
        "log-groups/log-group/$252Fecs$252Fapi/log-events$3FfilterPattern$3D"
    )
    assert out.notes == [] and not out.partial
    bodies = proxy.bodies("FilterLogEvents")
    assert parse_terms(bodies[0]["filterPattern"]) == ["dana@acme.io", "acc_1042"]
    assert "ERROR" in parse_terms(bodies[1]["filterPattern"])
    assert bodies[0]["startTime"] == ms(START) and bodies[0]["endTime"] == ms(END)
    assert bodies[-1]["endTime"] == ms(START) - 1  # the baseline ends where the window starts
    assert bodies[-1]["startTime"] == ms(START - timedelta(days=3))  # investigation.baseline
    assert set(proxy.calls) == {"FilterLogEvents"}
    auth = proxy.seen[0].headers.get("Authorization", "")
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=testing/") and "/logs/aws4_request" in auth


async def test_without_a_baseline_steady_errors_look_new(moto: MotoLogs, proxy: LogsProxy) -> None:
    seed(moto)
    out = await connector(proxy.url, max_baseline_lines=0).collect(query())
    upstream = by_template(out.evidence)["upstream timeout after <num>"]
    assert upstream.novelty == "new" and upstream.count == 6
    assert len(proxy.bodies("FilterLogEvents")) == 2  # no baseline search


async def test_a_spike_over_the_baseline_is_reported(moto: MotoLogs, proxy: LogsProxy) -> None:
    events = [(at(-600 + i * 60), f"ERROR cache miss storm on shard {i % 3}") for i in range(3)]
    events += [(at(i * 0.5), f"ERROR cache miss storm on shard {i % 3}") for i in range(60)]
    moto.put(GROUP, events)
    out = await connector(proxy.url).collect(query(ticket("the app is slow")))
    storm = by_template(out.evidence)["cache miss storm on shard <num>"]
    assert storm.novelty == "spike" and storm.count == 60


async def test_prefix_finds_log_groups_and_names_services(moto: MotoLogs, proxy: LogsProxy) -> None:
    seed(moto)
    moto.put("/other/batch", [(at(22), "ERROR export failed for acc_1042 (batch)")])
    c = connector(proxy.url, log_group_names=[], log_group_prefix="/ecs/")
    out = await c.collect(query())
    services = {s for e in out.evidence for s in e.services}
    assert services == {"api", "web"}
    assert proxy.calls[0] == "DescribeLogGroups"
    groups = {b["logGroupName"] for b in proxy.bodies("FilterLogEvents")}
    assert groups == {"/ecs/api", "/ecs/web"}
    web = next(e for e in out.evidence if e.services == ["web"])
    assert "log-group/$252Fecs$252Fweb/" in (web.url or "")


async def test_paging_follows_next_token_and_stops_at_the_cap(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    moto.put(GROUP, [(at(1 + i * 0.5), f"ERROR worker crash {i}") for i in range(23)])
    c = connector(proxy.url, page_size=5, max_baseline_lines=0)
    out = await c.collect(query(ticket("nothing specific")))
    assert sum(e.count for e in out.evidence) == 23
    errors = [b for b in proxy.bodies("FilterLogEvents") if "ERROR" in b["filterPattern"]]
    tokens = [b.get("nextToken") for b in errors]
    assert tokens[0] is None and all(tokens[1:]) and len(tokens) == 5
    assert len(set(tokens[1:])) == 4

    capped = await connector(proxy.url, page_size=5, max_pages=2, max_baseline_lines=0).collect(
        query(ticket("nothing specific"))
    )
    assert sum(e.count for e in capped.evidence) == 10
    assert any("stopped after 2 pages" in n for n in capped.notes)


async def test_huge_result_is_capped_and_says_so(moto: MotoLogs, proxy: LogsProxy) -> None:
    moto.put(GROUP, [(at(i * 0.02), f"ERROR flood {i}") for i in range(2000)])
    c = connector(proxy.url, page_size=250, max_lines=600)
    out = await c.collect(query(ticket("nothing specific")))
    assert sum(e.count for e in out.evidence) == 600
    assert len(proxy.bodies("FilterLogEvents")) == 1 + 3  # matches, 3 error pages, no more
    assert any("stopped reading at 600 lines" in n for n in out.notes)


async def test_the_byte_cap_stops_reading(moto: MotoLogs, proxy: LogsProxy) -> None:
    moto.put(GROUP, [(at(i * 0.1), f"ERROR flood {i} " + "x" * 100) for i in range(200)])
    out = await connector(proxy.url, max_bytes=5_000).collect(query(ticket("x")))
    assert 0 < sum(e.count for e in out.evidence) <= 5_000 // 100
    assert any("stopped reading at 5,000 bytes" in n for n in out.notes)


async def test_a_huge_response_is_refused_while_streaming(proxy: LogsProxy) -> None:
    event = {"timestamp": ms(at(1)), "message": "ERROR " + "x" * 1000, "eventId": "1"}
    body = json.dumps({"events": [event] * 2000, "searchedLogStreams": []}).encode()
    proxy.script("FilterLogEvents", Reply(200, body))
    with pytest.raises(SourceError) as info:
        await connector(proxy.url, max_response_bytes=100_000).collect(query(ticket("x")))
    assert "larger than 100,000 bytes" in info.value.message
    assert "max_response_bytes" in (info.value.hint or "")


async def test_hostile_values_reach_cloudwatch_as_quoted_terms(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    hostile = 'acc_1" ?"ERROR'
    moto.put(
        GROUP,
        [
            (at(10), f"weird login {hostile} seen"),
            (at(11), "INFO acc_1 line that must not match"),
            (at(12), "INFO path /../etc/passwd 100% done"),
        ],
    )
    q = query(ticket("nothing"))
    q.entities.account_ids = [hostile, "/../etc/passwd 100%", "new\nline"]
    q.entities.emails = []
    out = await connector(proxy.url).collect(q)
    first = proxy.bodies("FilterLogEvents")[0]["filterPattern"]
    assert parse_terms(first) == [hostile, "/../etc/passwd 100%", "new line"]
    assert sorted(e.count for e in out.evidence) == [1, 1]
    matched = {m for e in out.evidence for m in e.matched}
    assert matched == {hostile.lower(), "/../etc/passwd 100%"}


@pytest.mark.slow
async def test_throttling_is_retried_with_backoff(moto: MotoLogs, proxy: LogsProxy) -> None:
    seed(moto)
    proxy.script("FilterLogEvents", throttled(), throttled())
    c = connector(proxy.url)
    out = await c.collect(query())
    assert "export failed for <id>: ERR_EXPORT_SERIALIZE row <num>" in by_template(out.evidence)
    assert c.stats.retries == 2
    assert proxy.calls[:3] == ["FilterLogEvents"] * 3
    assert proxy.bodies("FilterLogEvents")[0] == proxy.bodies("FilterLogEvents")[2]


async def test_throttling_gives_up_at_the_deadline(proxy: LogsProxy) -> None:
    proxy.script("*", *[throttled() for _ in range(40)])
    c = connector(proxy.url, max_attempts=20)
    began = Stopwatch()
    with pytest.raises(SourceTimeout) as info:
        await c.collect(query(deadline=time.monotonic() + 1.5))
    # twenty attempts with backoff would take a minute; the margin is the deadline again, so a
    # loaded machine's scheduling noise cannot fail it
    assert began.busy_free < 2 * 1.5
    assert "ThrottlingException" in info.value.message and "deadline" in info.value.message


@pytest.mark.parametrize("wait", ["3600", "Wed, 21 Oct 2099 07:28:00 GMT"])
async def test_a_retry_after_past_the_deadline_is_an_answer_not_a_wait(
    proxy: LogsProxy, wait: str
) -> None:
    """botocore ignores Retry-After; a 429 asking for longer than the time left ends at once
    (an error naming what was asked), neither retried blindly nor timed out."""
    reply = Reply(429, b'{"message": "slow down"}', {"Retry-After": wait})
    proxy.script("*", *[reply] * 5)
    with pytest.raises(SourceError) as info:
        await connector(proxy.url).collect(query(deadline=time.monotonic() + 30))
    assert not isinstance(info.value, SourceTimeout)
    assert "answered HTTP 429" in info.value.message
    assert "Retry-After asked for" in (info.value.hint or "")
    assert len(proxy.seen) == 1


async def test_throttling_past_max_attempts_is_one_line(proxy: LogsProxy) -> None:
    proxy.script("*", *[throttled() for _ in range(5)])
    with pytest.raises(SourceError) as info:
        await connector(proxy.url, max_attempts=2).collect(query())
    assert (
        info.value.message == "cloudwatch_logs 'cw': CloudWatch Logs kept throttling "
        "(ThrottlingException) after 2 attempts"
    )
    assert len(proxy.seen) == 2


@pytest.mark.parametrize(
    ("reply", "message", "hint"),
    [
        (
            aws_error(
                400, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"
            ),
            "access denied (AccessDeniedException): ",
            "logs:FilterLogEvents",
        ),
        (
            aws_error(
                400, "AccessDeniedException", f"signed with {CREDENTIALS['AWS_SECRET_ACCESS_KEY']}"
            ),
            "access denied (AccessDeniedException): signed with ***",
            "logs:FilterLogEvents",
        ),
        (
            aws_error(400, "UnrecognizedClientException", "The security token is invalid"),
            "AWS rejected the credentials (UnrecognizedClientException)",
            "credential chain",
        ),
        (
            aws_error(400, "ExpiredTokenException", "The security token included has expired"),
            "AWS rejected the credentials (ExpiredTokenException)",
            "SSO",
        ),
        (
            aws_error(400, "ResourceNotFoundException", "The specified log group does not exist."),
            f"log group '{GROUP}' does not exist",
            "log_group_names",
        ),
        (Reply(200, b'{"events": [{"timest'), "not valid JSON", "endpoint_url"),
        (Reply(200, b"<html>login</html>", {"content-type": "text/html"}), "not valid JSON", None),
        (Reply(503, b'{"__type": "ServiceUnavailableException"}'), "", None),
        # no AWS error code at all: the status is named, a 401 is about the credentials
        (
            Reply(401, b'{"message": "no"}'),
            "AWS rejected the credentials (HTTP 401)",
            "credential chain",
        ),
        (Reply(302, b"", {"Location": "http://thief.invalid/"}), "answered HTTP 302", None),
        # JSON of another shape trips botocore's parser: said so, not as an AttributeError
        (Reply(200, b'[1, "two", {"three": 3}]'), "response of an unexpected shape", "endpoint"),
    ],
)
async def test_failures_are_one_line_without_secrets(
    proxy: LogsProxy, reply: Reply, message: str, hint: str | None
) -> None:
    proxy.script("*", *[reply] * 3)
    with pytest.raises(SourceError) as info:
        await connector(proxy.url, max_attempts=2).collect(query())
    text = info.value.message
    assert text.startswith("cloudwatch_logs 'cw': ") and message in text and "\n" not in text
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in text + (info.value.hint or "")
    assert "Traceback" not in text
    if hint:
        assert hint in (info.value.hint or "")


async def test_unknown_log_group_against_moto(moto: MotoLogs, proxy: LogsProxy) -> None:
    with pytest.raises(SourceError) as info:
        await connector(proxy.url, log_group_names=["/ecs/nope"]).collect(query())
    assert info.value.message == (
        "cloudwatch_logs 'cw': log group '/ecs/nope' does not exist (ResourceNotFoundException)"
    )
    checks = await connector(proxy.url, log_group_names=["/ecs/nope"]).check()
    assert not checks[0].ok and "'/ecs/nope' does not exist in eu-west-1" in checks[0].detail


async def test_the_guard_refuses_writes_before_they_are_sent(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    seed(moto)
    before = moto.count(GROUP)
    c = connector(proxy.url)
    clients = await asyncio.to_thread(c.clients, None, 5.0)
    try:
        logs = clients.logs
        attempts: list[Callable[[], Any]] = [
            lambda: logs.put_log_events(
                logGroupName=GROUP,
                logStreamName="main",
                logEvents=[{"timestamp": 1, "message": "x"}],
            ),
            lambda: logs.delete_log_group(logGroupName=GROUP),
            lambda: logs.create_log_group(logGroupName="/ecs/new"),
            lambda: logs.put_retention_policy(logGroupName=GROUP, retentionInDays=1),
            lambda: logs.stop_query(queryId="x"),
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlyViolation, match="refused"):
                attempt()
        assert logs.describe_log_groups()["logGroups"]  # a read still passes
    finally:
        clients.close()
    assert proxy.calls == ["DescribeLogGroups"]
    assert moto.count(GROUP) == before
    assert "/ecs/new" not in {
        g["logGroupName"] for g in moto.client.describe_log_groups()["logGroups"]
    }
    assert {"FilterLogEvents", "DescribeLogGroups", "StartQuery"} <= LOGS_READS
    assert not {op for op in LOGS_READS if op.startswith(("Put", "Delete", "Create", "Stop"))}


async def test_missing_boto3_is_a_friendly_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now raises ImportError
    c = connector("http://127.0.0.1:9")
    with pytest.raises(SourceError) as info:
        await c.collect(query())
    assert info.value.message == (
        "cloudwatch_logs 'cw': boto3 is not installed (CloudWatch Logs is an optional extra)"
    )
    assert INSTALL in (info.value.hint or "") and INSTALL == "pip install 'investigate[cloudwatch]'"
    [check] = await c.check()
    assert not check.ok and "pip install 'investigate[cloudwatch]'" in check.detail


@pytest.mark.usefixtures("boto3_installed")
async def test_no_region_and_no_credentials_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    section = {"type": "cloudwatch_logs", "log_group_names": [GROUP]}
    c = CloudWatchLogs("cw", CloudWatchLogs.config_model.model_validate(section), Context())
    with pytest.raises(SourceError, match="no AWS region configured"):
        await c.collect(query())
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    c = connector("http://127.0.0.1:9")
    with pytest.raises(SourceError) as info:
        await c.collect(query())
    assert info.value.message == "cloudwatch_logs 'cw': no AWS credentials found"
    assert "AWS_PROFILE" in (info.value.hint or "")
    with pytest.raises(SourceError, match="profile"):
        await connector("http://127.0.0.1:9", profile="nope").collect(query())


@pytest.mark.usefixtures("boto3_installed")
async def test_a_failing_credential_source_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "aws-config"
    config.write_text("[profile broken]\ncredential_process = false\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(SourceError) as info:
        await connector("http://127.0.0.1:9", profile="broken").collect(query())
    assert info.value.message.startswith(
        "cloudwatch_logs 'cw': could not get AWS credentials (CredentialRetrievalError)"
    )
    assert "\n" not in info.value.message and "profile" in (info.value.hint or "")


async def test_check_reports_groups_identity_and_write_posture(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    seed(moto)
    groups, identity, posture = await connector(proxy.url).check()
    assert groups.ok and groups.detail == f"1 readable in {REGION}: {GROUP}"
    assert identity.ok and "arn:aws:" in identity.detail and "123456789012" in identity.detail
    assert posture.warning and "could not verify" in posture.detail and not posture.verified
    assert "logs:FilterLogEvents" in posture.detail and "before-call" in CloudWatchLogs.read_only_by
    assert proxy.calls == ["DescribeLogGroups", "GetCallerIdentity"]

    prefix = await connector(proxy.url, log_group_names=[], log_group_prefix="/ecs/").check()
    assert prefix[0].ok and prefix[0].detail.startswith("2 readable")

    proxy.script("GetCallerIdentity", Reply(403, b"<ErrorResponse/>", {"content-type": "text/xml"}))
    _, identity, _ = await connector(proxy.url).check()
    assert identity.warning and identity.detail.startswith("not readable: ")
    proxy.script("DescribeLogGroups", aws_error(400, "AccessDeniedException", "no"))
    groups, *_ = await connector(proxy.url).check()
    assert not groups.ok and "access denied" in groups.detail


async def test_insights_runs_one_query_over_all_groups(moto: MotoLogs, proxy: LogsProxy) -> None:
    seed(moto)
    c = connector(proxy.url, log_group_names=[], log_group_prefix="/ecs/", insights=True)
    out = await c.collect(query())
    found = by_template(out.evidence)
    export = found["export failed for <id>: ERR_EXPORT_SERIALIZE row <num>"]
    assert export.count == 4 and export.novelty == "new" and export.services == ["api"]
    assert not any(t.startswith("upstream timeout") for t in found)  # the baseline query ran
    assert not any("healthcheck" in t or "no error" in t for t in found)
    assert any(e.services == ["web"] for e in out.evidence)
    starts = proxy.bodies("StartQuery")
    assert len(starts) == 2 and all(
        set(b["logGroupNames"]) == {"/ecs/api", "/ecs/web"} for b in starts
    )
    assert starts[0]["queryString"] == insights_query(c.config.error_terms, 10_000)
    assert starts[0]["startTime"] == int(START.timestamp()) and starts[0]["endTime"] == int(
        END.timestamp()
    )
    assert starts[1]["endTime"] == int(START.timestamp()) - 1
    assert "GetQueryResults" in proxy.calls
    assert {b["filterPattern"] for b in proxy.bodies("FilterLogEvents")} == {
        '?"dana@acme.io" ?"acc_1042"'
    }  # the ticket's values only ever go into quoted filter-pattern terms
    assert "StartQuery /ecs/api, /ecs/web queryString=fields @timestamp" in export.query
    assert out.notes == []


def test_insights_query_and_rows() -> None:
    text = insights_query(["ERROR", "a.b*c", "x|y"], 50)
    assert text == (
        "fields @timestamp, @message, @logStream, @log | filter @message like "
        "/ERROR|a\\.b\\*c|x\\|y/ | sort @timestamp desc | limit 50"
    )
    with pytest.raises(ValueError, match="cannot contain '/'"):
        CloudWatchLogs.config_model.model_validate(
            {"type": "cloudwatch_logs", "log_group_prefix": "/", "insights": True,
             "error_terms": ["a/b"]}
        )  # fmt: skip
    c = connector("http://127.0.0.1:9")
    row = [
        {"field": "@timestamp", "value": "2026-11-24 09:20:00.125"},
        {"field": "@message", "value": "ERROR [billing] card declined"},
        {"field": "@logStream", "value": "web-1"},
        {"field": "@log", "value": "123456789012:/ecs/api"},
        {"field": "@ptr", "value": "CmAKJwoj"},
    ]
    entry = c._row(row)
    assert entry is not None
    assert entry.timestamp == datetime(2026, 11, 24, 9, 20, 0, 125000, tzinfo=UTC)
    assert (entry.message, entry.level, entry.service) == ("card declined", "ERROR", "billing")
    assert entry.fields["log_group"] == "/ecs/api"
    assert c._row([{"field": "@message", "value": "no time"}]) is None and c._row("x") is None


async def test_insights_still_running_at_the_deadline_keeps_what_was_read(
    moto: MotoLogs, proxy: LogsProxy
) -> None:
    seed(moto)
    running = Reply(200, json.dumps({"status": "Running", "results": []}).encode())
    proxy.script("GetQueryResults", *[running] * 50)
    c = connector(proxy.url, insights=True, insights_poll=0.2)
    began = Stopwatch()
    # the fifty "Running" answers would poll for ten seconds; the deadline leaves the
    # FilterLogEvents search time to finish on a loaded machine, and the margin is the deadline
    # again, so scheduling noise cannot fail it
    deadline = 4.0
    out = await c.collect(query(deadline=time.monotonic() + deadline))
    assert began.busy_free < 2 * deadline
    assert out.partial and any("still running at the deadline" in n for n in out.notes)
    assert any("acc_1042" in e.matched for e in out.evidence)  # the FilterLogEvents matches


async def test_insights_failures_and_limit(moto: MotoLogs, proxy: LogsProxy) -> None:
    moto.group(GROUP)
    proxy.script("GetQueryResults", Reply(200, b'{"status": "Failed", "results": []}'))
    with pytest.raises(SourceError, match="ended with status Failed"):
        await connector(proxy.url, insights=True).collect(query(ticket("x")))
    moto.put(GROUP, [(at(1 + i * 0.5), f"ERROR worker crash {i}") for i in range(23)])
    out = await connector(proxy.url, insights=True, insights_limit=5).collect(query(ticket("x")))
    assert sum(e.count for e in out.evidence) == 5
    assert any("returned its limit of 5 rows" in n for n in out.notes)


async def test_resolve_stage_asks_nothing(proxy: LogsProxy) -> None:
    out = await connector(proxy.url).collect(query(stage="resolve"))
    assert out.evidence == [] and proxy.seen == []


def test_cli_ticket_shows_cloudwatch_log_patterns(
    moto: MotoLogs, proxy: LogsProxy, cli: Any, write_config: Any, tmp_path: Path
) -> None:
    seed(moto)
    tickets = tmp_path / "tickets.json"
    tickets.write_text(
        json.dumps(
            [
                {
                    "id": "4812",
                    "subject": "CSV export fails",
                    "description": "Export fails for account acc_1042 since this morning.",
                    "requester": {"name": "Dana", "email": "dana@acme.io"},
                    "created_at": END.isoformat(),
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
                "cw": {
                    "type": "cloudwatch_logs",
                    "region": REGION,
                    "endpoint_url": proxy.url,
                    "log_group_names": [GROUP],
                },
            },
        }
    )
    since, until = START.strftime("%Y-%m-%dT%H:%M:%SZ"), END.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = cli(
        "ticket", "4812", "-c", str(config), "--format", "json", "--analyst", "offline",
        "--since", since, "--until", until,
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    source = next(s for s in report["sources"] if s["name"] == "cw")
    assert source["status"] == "ok" and source["items"] >= 1
    assert any(
        e["source"] == "cw"
        and e["kind"] == "log_pattern"
        and "ERR_EXPORT_SERIALIZE" in e["title"]
        and e["url"].startswith(f"https://{REGION}.console.aws.amazon.com/cloudwatch/")
        for e in report["evidence"]
    )
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in result.out + result.err
