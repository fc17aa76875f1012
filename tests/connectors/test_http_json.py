"""`http`: a read-only JSON endpoint — URL templates that values cannot escape, JMESPath field
mapping, identity resolution, caps, secrets masked, and its own failure handling (a 401 fails once
for every value, a 5xx for one value keeps the others). The HTTP plumbing (401/403 hints, 5xx,
Retry-After, broken JSON, size caps, secrets) is the contract suite's:
tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import stamina
import yaml
from busyclock import Stopwatch
from fakes.admin_api import FakeAdminAPI
from fakes.anthropic_api import raw_reply

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import ConfigError, SourceError
from investigate.models import Entities, Ticket, Window
from investigate.sdk.contract import Query
from investigate.secrets import MASKER
from investigate_connectors.http_json import HttpJson, fill_url

TOKEN = "adm_secret_token_1"
WINDOW = Window(
    start=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
)
ACME = {
    "id": "acc_1042",
    "name": "Acme",
    "status": "suspended",
    "plan": {"name": "pro", "seats": 120},
    "org": {"id": "org_acme01"},
    "updated_at": "2026-11-24T09:30:00Z",
    "links": {"admin": "https://admin.internal/accounts/acc_1042"},
}
FIELDS = {
    "title": "join(' ', ['Account', id, name, status])",
    "detail": "plan",
    "time": "updated_at",
    "url": "links.admin",
    "severity": "status == 'suspended' && 'error' || 'info'",
}


@pytest.fixture(autouse=True)
def retries_active() -> Iterator[None]:
    was_active = stamina.is_active()
    stamina.set_active(True)
    with stamina.set_testing(False):
        yield
    stamina.set_active(was_active)


@pytest.fixture
def fake() -> Iterator[FakeAdminAPI]:
    with FakeAdminAPI(token=TOKEN) as server:
        server.accounts["acc_1042"] = dict(ACME)
        server.accounts["acc_2001"] = {"id": "acc_2001", "name": "Globex", "status": "active"}
        yield server
        server.check()


def section(fake: FakeAdminAPI, **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "url": fake.url + "/api/accounts/{account_id}",
        "headers": {"Authorization": "Bearer ${ADMIN_TOKEN}"},
        "kind": "customer",
        "items": "data",
        "fields": FIELDS,
        **extra,
    }


def load(tmp_path: Path, cfg: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump({"connectors": {"admin": cfg}}, sort_keys=False))
    loaded = load_config(path, env={"ADMIN_TOKEN": TOKEN} if env is None else env)
    return loaded.connector_config("admin", HttpJson.config_model)


def connector(tmp_path: Path, cfg: dict[str, Any], env: dict[str, str] | None = None) -> HttpJson:
    return HttpJson("admin", load(tmp_path, cfg, env), Context())


def query(stage: str = "collect", deadline: float | None = None, **entities: Any) -> Query:
    t = Ticket(id="4812", subject="Account locked", created_at=WINDOW.end)
    return Query(
        t,
        Entities(**entities),
        WINDOW,
        stage=stage,  # type: ignore[arg-type]
        deadline=time.monotonic() + 30 if deadline is None else deadline,
    )


# --- mapping --------------------------------------------------------------------------------


async def test_one_get_per_value_mapped_to_evidence(tmp_path: Path, fake: FakeAdminAPI) -> None:
    c = connector(tmp_path, section(fake, params={"include": "plan"}))
    out = await c.collect(query(account_ids=["acc_1042", "acc_2001"]))
    by_title = {e.title: e for e in out.evidence}
    assert set(by_title) == {"Account acc_1042 Acme suspended", "Account acc_2001 Globex active"}
    e = by_title["Account acc_1042 Acme suspended"]
    assert e.kind == "customer" and e.source == "admin"
    assert json.loads(e.detail) == {"name": "pro", "seats": 120}
    assert e.timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert e.url == "https://admin.internal/accounts/acc_1042"
    assert e.level == "error"
    assert e.matched == ["acc_1042"]
    assert e.query == f"GET {fake.url}/api/accounts/acc_1042?include=plan"
    assert e.record["status"] == "suspended"
    assert e.status == "suspended" and e.state == "problem"  # the typed fields signals read
    assert by_title["Account acc_2001 Globex active"].level == "info"
    assert sorted(r.path for r in fake.requests) == [
        "/api/accounts/acc_1042",
        "/api/accounts/acc_2001",
    ]
    assert {r.method for r in fake.requests} == {"GET"}
    assert all(r.query == "include=plan" for r in fake.requests)


async def test_defaults_without_a_field_map(tmp_path: Path, fake: FakeAdminAPI) -> None:
    fake.users["acc_1042"] = [{"id": "usr_1", "role": "owner"}, {"id": "usr_2", "role": "viewer"}]
    cfg = section(fake, url=fake.url + "/api/accounts/{account_id}/users", fields={})
    out = await connector(tmp_path, cfg).collect(query(account_ids=["acc_1042"]))
    assert [e.title for e in out.evidence] == [
        "admin: id=usr_1, role=owner",
        "admin: id=usr_2, role=viewer",
    ]
    assert out.evidence[0].detail == "id=usr_1; role=owner"
    assert out.evidence[0].level is None and out.evidence[0].url is None


async def test_time_and_end_of_a_span_are_mapped(tmp_path: Path, fake: FakeAdminAPI) -> None:
    """A ferry operator's crossings API: nested start and end times, the end by a dotted path."""
    fake.users["acc_1042"] = [
        {"id": "crossing_12", "slot": {"depart": "2026-11-24T07:00:00Z", "arrive": None}},
        {
            "id": "crossing_13",
            "slot": {"depart": "2026-11-24T08:00:00Z", "arrive": "2026-11-24T09:20:00Z"},
        },
    ]
    cfg = section(
        fake,
        url=fake.url + "/api/accounts/{account_id}/users",
        fields={"title": "id", "time": "slot.depart"},
        end_field="slot.arrive",
    )
    out = await connector(tmp_path, cfg).collect(query(account_ids=["acc_1042"]))
    by_title = {e.title: e for e in out.evidence}
    assert by_title["crossing_13"].timestamp == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert by_title["crossing_13"].last_seen == datetime(2026, 11, 24, 9, 20, tzinfo=UTC)
    assert by_title["crossing_12"].last_seen is None


async def test_time_field_names_the_time_like_records_and_sql(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    """The same key names as the records and SQL sources: `time_field` (a key or a dotted
    path) and `end_field`, without writing a JMESPath."""
    fake.users["acc_1042"] = [
        {"id": "crossing_13", "slot": {"depart": "2026-11-24T08:00:00Z", "arrive": None}}
    ]
    cfg = section(
        fake,
        url=fake.url + "/api/accounts/{account_id}/users",
        fields={"title": "id"},
        time_field="slot.depart",
        end_field="slot.arrive",
    )
    out = await connector(tmp_path, cfg).collect(query(account_ids=["acc_1042"]))
    assert out.evidence[0].timestamp == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert out.evidence[0].last_seen is None  # still going


async def test_non_http_links_are_dropped(tmp_path: Path, fake: FakeAdminAPI) -> None:
    fake.accounts["acc_1042"]["links"] = {"admin": "javascript:alert(1)"}
    out = await connector(tmp_path, section(fake)).collect(query(account_ids=["acc_1042"]))
    assert out.evidence[0].url is None


async def test_caps_values_requests_and_items(tmp_path: Path, fake: FakeAdminAPI) -> None:
    ids = [f"acc_{n}" for n in range(3000, 3010)]
    c = connector(tmp_path, section(fake, max_values=4))
    await c.collect(query(account_ids=ids))
    assert len(fake.requests) == 4
    fake.requests.clear()
    cfg = section(
        fake,
        url=fake.url + "/api/accounts/{account_id}/users?user={user_id}",
        max_requests=3,
        fields={},
    )
    await connector(tmp_path, cfg).collect(query(account_ids=ids[:2], user_ids=["usr_1", "usr_2"]))
    assert len(fake.requests) == 3  # 2 x 2 combinations, capped at 3
    fake.users["acc_1042"] = [{"id": f"usr_{n}"} for n in range(50)]
    cfg = section(fake, url=fake.url + "/api/accounts/{account_id}/users", max_items=5, fields={})
    out = await connector(tmp_path, cfg).collect(query(account_ids=["acc_1042"]))
    assert len(out.evidence) == 5
    assert "50 items" in out.notes[0] and "kept 5" in out.notes[0]


async def test_no_placeholder_means_one_request(tmp_path: Path, fake: FakeAdminAPI) -> None:
    cfg = section(fake, url=fake.url + "/api/accounts/acc_2001", fields={})
    out = await connector(tmp_path, cfg).collect(query())
    assert len(fake.requests) == 1 and len(out.evidence) == 1


async def test_no_value_for_the_placeholder_sends_nothing(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    out = await connector(tmp_path, section(fake)).collect(query(emails=["x@y.io"]))
    assert out.evidence == [] and fake.requests == []


# --- identity resolution --------------------------------------------------------------------


async def test_provides_resolves_ids_and_never_repeats_a_request(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    c = connector(tmp_path, section(fake, provides={"org_id": "org.id"}))
    assert c.provides() == frozenset({"org_id"})
    first = await c.collect(query("resolve", account_ids=["acc_1042"]))
    assert first.provides == {"org_id": ["org_acme01"]}
    assert len(first.evidence) == 1
    # collect stage: the same value is not fetched again; a newly resolved one is
    second = await c.collect(query(account_ids=["acc_1042", "acc_2001"]))
    assert [e.attributes["request"] for e in second.evidence] == [{"account_id": "acc_2001"}]
    assert sorted(r.path for r in fake.requests) == [
        "/api/accounts/acc_1042",
        "/api/accounts/acc_2001",
    ]


async def test_without_provides_the_resolve_stage_sends_nothing(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    c = connector(tmp_path, section(fake))
    assert (await c.collect(query("resolve", account_ids=["acc_1042"]))).evidence == []
    assert fake.requests == []


# --- hostile values -------------------------------------------------------------------------

HOSTILE = [
    "../../admin/users",
    "acc_1/../../etc/passwd",
    "%2F..%2Fadmin",
    "acc_1?x=1&include=secrets",
    "acc_1#fragment",
    "@evil.com",
    "acc_1@evil.com:80/x",
    "acc_\"quoted'",
    "acc_1\nHost: evil.com",
    "100% sure",
    "'; DROP TABLE accounts; --",
    "..;/admin",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:24])
async def test_a_value_never_changes_host_path_or_query(
    tmp_path: Path, fake: FakeAdminAPI, value: str
) -> None:
    cfg = section(fake, params={"include": "plan"})
    out = await connector(tmp_path, cfg).collect(query(account_ids=[value]))
    assert out.evidence == []  # an unknown account: 404, no evidence, no error
    [request] = fake.requests
    host = fake.url.removeprefix("http://")
    assert request.headers["host"] == host
    assert request.path == "/api/accounts/" + quote(value, safe="")
    assert request.path.count("/") == 3  # still exactly one segment after /api/accounts
    assert request.query == "include=plan"


@pytest.mark.parametrize("value", ["..", ".", "..."])
async def test_a_dot_only_value_is_never_sent(
    tmp_path: Path, fake: FakeAdminAPI, value: str
) -> None:
    out = await connector(tmp_path, section(fake)).collect(query(account_ids=[value, "acc_2001"]))
    assert [r.path for r in fake.requests] == ["/api/accounts/acc_2001"]
    assert any("not an identifier" in n for n in out.notes)


def test_fill_url_encodes_everything() -> None:
    url = fill_url(
        "https://a.internal/x/{account_id}?q={email}", {"account_id": "a/b", "email": "c&d=e#f"}
    )
    assert url == "https://a.internal/x/a%2Fb?q=c%26d%3De%23f"


async def test_placeholders_in_params_are_encoded_by_the_client(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    cfg = section(fake, url=fake.url + "/api/accounts/acc_2001", params={"email": "{email}"})
    await connector(tmp_path, cfg).collect(query(emails=["a+b&admin=1@x.io"]))
    assert fake.requests[0].query == "email=a%2Bb%26admin%3D1%40x.io"


# --- failures -------------------------------------------------------------------------------


async def test_404_for_a_value_is_no_evidence_not_an_error(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    out = await connector(tmp_path, section(fake)).collect(
        query(account_ids=["acc_404", "acc_2001"])
    )
    assert [e.attributes["request"]["account_id"] for e in out.evidence] == ["acc_2001"]
    assert out.notes == []


async def test_wrong_credentials_fail_once_naming_the_connector_and_the_fix(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    c = connector(tmp_path, section(fake), env={"ADMIN_TOKEN": "adm_wrong_value_9"})
    with pytest.raises(SourceError) as info:
        await c.collect(query(account_ids=["acc_1042", "acc_2001"]))
    message = f"{info.value.message} ({info.value.hint})"
    assert message.startswith("http 'admin': HTTP 401 Unauthorized from GET")
    assert "check connectors.admin.headers (e.g. Authorization)" in message
    assert "adm_wrong_value_9" not in message and "\n" not in message


def test_header_values_are_secrets_masked_everywhere(tmp_path: Path, fake: FakeAdminAPI) -> None:
    load(tmp_path, section(fake, headers={"X-Api-Key": "k3y-${ADMIN_TOKEN}"}))
    assert (
        MASKER.mask(f"sent X-Api-Key: k3y-{TOKEN} to the server")
        == "sent X-Api-Key: *** to the server"
    )


async def test_429_is_retried_after_retry_after(tmp_path: Path, fake: FakeAdminAPI) -> None:
    fake.script(raw_reply(429, '{"error": "slow down"}', {"retry-after": "1"}))
    started = Stopwatch()
    out = await connector(tmp_path, section(fake)).collect(query(account_ids=["acc_1042"]))
    assert started.wall >= 0.9
    assert len(out.evidence) == 1 and len(fake.requests) == 2


async def test_a_5xx_for_one_value_keeps_the_others(tmp_path: Path, fake: FakeAdminAPI) -> None:
    fake.script(raw_reply(500, "{}"), path="acc_1042")
    out = await connector(tmp_path, section(fake)).collect(
        query(account_ids=["acc_1042", "acc_2001"])
    )
    assert [e.attributes["request"]["account_id"] for e in out.evidence] == ["acc_2001"]
    assert len(out.notes) == 1 and "HTTP 500" in out.notes[0] and "acc_1042" in out.notes[0]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [("\xff\xfe not utf8", "application/json", "invalid JSON")],
    ids=["binary"],
)
async def test_a_body_that_is_not_json_is_one_clear_line(
    tmp_path: Path, fake: FakeAdminAPI, body: str, content_type: str, expected: str
) -> None:
    fake.script(raw_reply(200, body.encode("latin-1"), {"content-type": content_type}))
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, section(fake)).collect(query(account_ids=["acc_1042"]))
    assert info.value.message.startswith("http 'admin': expected JSON from GET ")
    assert expected in info.value.message
    assert "\n" not in info.value.message


# --- config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "https://{account_id}.internal/api"}, "never in the scheme or host"),
        ({"url": "https://admin.internal:{account_id}/api"}, "never in the scheme or host"),
        ({"url": "{account_id}://admin.internal/api"}, "absolute http(s) URL"),
        ({"url": "ftp://admin.internal/{account_id}"}, "absolute http(s) URL"),
        ({"url": "https://admin.internal/{acount_id}"}, "unknown placeholder(s) {acount_id}"),
        ({"url": "https://admin.internal/{account_id!r}"}, "no format spec or conversion"),
        ({"url": "https://admin.internal/{account_id"}, "invalid template"),
        ({"params": {"q": "{secret}"}}, "unknown placeholder(s) {secret}"),
        ({"items": "data[?"}, "invalid JMESPath"),
        ({"fields": {"title": "a..b"}}, "invalid JMESPath"),
        ({"provides": {"org_id": "org[="}}, "invalid JMESPath"),
        ({"provides": {"password": "x"}}, "cannot provide ['password']"),
        ({"method": "POST"}, "unknown key 'method'"),
        ({"kind": "banana"}, "kind"),
    ],
)
def test_bad_config_is_a_clear_error(
    tmp_path: Path, fake: FakeAdminAPI, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, section(fake, **change))
    assert message in info.value.message
    assert "connectors.admin" in info.value.message


async def test_check_describes_the_endpoint_without_secrets(
    tmp_path: Path, fake: FakeAdminAPI
) -> None:
    [line] = await connector(tmp_path, section(fake)).check()
    host = fake.url.removeprefix("http://")
    assert line.ok, line.detail
    assert line.detail == (
        f"GET {host}, one request per account_id: answered 404, no record for the probe value"
    )
    assert TOKEN not in line.detail


async def test_check_makes_one_real_read_only_request(tmp_path: Path, fake: FakeAdminAPI) -> None:
    """`check` contacts the endpoint (a GET with the probe value) instead of saying
    "configured": a wrong token or a dead server fails the check."""
    [line] = await connector(tmp_path, section(fake, params={"include": "plan"})).check()
    assert line.ok
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/api/accounts/investigate-check")
    ]
    [bad] = await connector(tmp_path, section(fake), env={"ADMIN_TOKEN": "wrong"}).check()
    assert not bad.ok and "401" in bad.detail
    assert "check connectors.admin.headers (e.g. Authorization)" in bad.detail
    fake.accounts["investigate-check"] = {"id": "x"}
    [found] = await connector(tmp_path, section(fake)).check()
    assert found.ok and found.detail.endswith("answered 200")


async def test_check_fails_when_nothing_listens(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = {"type": "http", "url": f"http://127.0.0.1:{port}/api/{{account_id}}", "timeout": "3s"}
    [line] = await connector(tmp_path, cfg).check()
    assert not line.ok and line.name == "reachable"
    assert f"GET 127.0.0.1:{port}, one request per account_id:" in line.detail


# --- end to end -----------------------------------------------------------------------------


def test_cli_report_shows_the_admin_api_evidence(
    cli: Any, fake: FakeAdminAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "4812.json").write_text(
        json.dumps(
            {
                "id": "4812",
                "subject": "We are locked out",
                "description": "Nobody on account acc_1042 can log in since this morning.",
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
            "admin": section(fake, provides={"org_id": "org.id"}),
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
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
    [source] = [s for s in report["sources"] if s["name"] == "admin"]
    assert source["status"] == "ok" and source["type"] == "http" and source["items"] == 1
    [item] = [e for e in report["evidence"] if e["source"] == "admin"]
    assert item["title"] == "Account acc_1042 Acme suspended" and item["kind"] == "customer"
    assert item["url"] == "https://admin.internal/accounts/acc_1042"
    assert "acc_1042" in item["matched"]
    assert report["entities"]["org_ids"] == ["org_acme01"]  # resolved through `provides`
    assert [r.path for r in fake.requests] == ["/api/accounts/acc_1042"]  # once, not per stage
    assert TOKEN not in result.out and TOKEN not in result.err
