"""`chargebee`: customers by email / id filters, subscriptions, invoices (dunning) and
transactions as evidence, next_offset paging, caps and Chargebee's own failure modes, against a
loopback fake built from Chargebee's documented shapes. The HTTP plumbing (401/403 hints,
Retry-After, broken JSON, size caps, secrets) is the contract suite's:
tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from busyclock import Stopwatch
from fakes.chargebee import (
    NOW,
    FakeChargebee,
    cb_customer,
    cb_error,
    cb_invoice,
    cb_rate_limited,
    cb_subscription,
    cb_transaction,
)

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import ConfigError, SourceError
from investigate.evidence import entities as entity_mod
from investigate.models import Entities, Evidence, Person, Ticket, Window
from investigate.sdk.contract import Collected, Query
from investigate_connectors.chargebee import Chargebee

KEY = "test_cbReadOnlyKey0123456789abc"
EMAIL = "dana@acme.io"
WINDOW = Window(
    start=datetime.fromtimestamp(NOW - 86400, tz=UTC), end=datetime.fromtimestamp(NOW, tz=UTC)
)


OPEN: list[Chargebee] = []


@pytest.fixture(autouse=True)
async def _close_connectors() -> AsyncIterator[None]:
    """Connectors keep a pooled transport between stages; close it like the pipeline does."""
    yield
    while OPEN:
        await OPEN.pop().aclose()


@pytest.fixture
def fake() -> Iterator[FakeChargebee]:
    with FakeChargebee(api_key=KEY) as server:
        yield server
        server.check()


def connector(tmp_path: Path, url: str | None, **extra: Any) -> Chargebee:
    section = {"type": "chargebee", "api_key": KEY, **({"base_url": url} if url else {}), **extra}
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump({"connectors": {"billing": section}}, sort_keys=False))
    loaded = load_config(path, env={})
    made = Chargebee(
        "billing",
        loaded.connector_config("billing", Chargebee.config_model),
        Context(config=loaded),
    )
    OPEN.append(made)
    return made


def query(
    text: str = "payment failed", email: str | None = EMAIL, entities: Entities | None = None
) -> Query:
    t = Ticket(
        id="9",
        subject="Billing",
        description=text,
        requester=Person(email=email),
        created_at=WINDOW.end,
    )
    return Query(t, entities or entity_mod.extract(t), WINDOW, "collect", time.monotonic() + 20)


def resolve(q: Query) -> Query:
    return Query(q.ticket, q.entities, q.window, "resolve", q.deadline)


async def run_both(conn: Chargebee, q: Query) -> tuple[Collected, Collected]:
    first = await conn.collect(resolve(q))
    for param, values in first.provides.items():
        entity_mod.add_values(q.entities, param, values, conn.name)
    return first, await conn.collect(q)


def by_object(evidence: list[Evidence]) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {}
    for e in evidence:
        out.setdefault(e.attributes["chargebee_object"], []).append(e)
    return out


async def test_dunning_customer_end_to_end(tmp_path: Path, fake: FakeChargebee) -> None:
    cus = fake.add(cb_customer(EMAIL))
    other = fake.add(cb_customer("other@acme.io"))
    cid = cus["id"]
    sub = fake.add(
        cb_subscription(
            cid, "active", due_invoices_count=1, due_since=NOW - 86400 * 3, total_dues=4900
        )
    )
    fake.add(
        cb_subscription(cid, "cancelled", cancelled_at=NOW - 86400 * 90, cancel_reason="not_paid")
    )
    due = fake.add(
        cb_invoice(cid, "payment_due", dunning_status="in_progress", next_retry_at=NOW + 86400)
    )
    fake.add(cb_invoice(cid, "paid"))
    failed = fake.add(
        cb_transaction(cid, "failure", error_code="card_declined", error_text="Insufficient funds")
    )
    fake.add(cb_transaction(other["id"], "failure"))
    conn = connector(tmp_path, fake.api_url, site="acme")
    first, second = await run_both(conn, query())

    assert first.provides == {"customer_id": [cid]}
    [customer] = first.evidence
    assert customer.url == f"https://acme.chargebee.com/d/customers/{cid}"
    assert EMAIL in customer.matched
    assert ("email[is]", EMAIL) in fake.args(0) and fake.paths[0] == "/api/v2/customers"

    got = by_object(second.evidence)
    subs = {e.attributes["id"]: e for e in got["subscription"]}
    assert subs[sub["id"]].level == "error" and "1 invoice(s) due" in subs[sub["id"]].title
    assert any(e.level == "warning" and "cancelled" in e.title for e in subs.values())
    invoices = {e.attributes["id"]: e for e in got["invoice"]}
    assert invoices[due["id"]].level == "error"
    assert (
        "dunning in_progress" in invoices[due["id"]].title
        and "next retry" in invoices[due["id"]].title
    )
    assert {e.level for e in invoices.values()} == {"error", "info"}
    [txn] = got["transaction"]  # the other customer's transaction is not ours
    assert txn.attributes["id"] == failed["id"] and txn.level == "error"
    assert "card_declined" in txn.title and "error_text=Insufficient funds" in txn.detail
    for r in fake.requests[1:]:
        assert ("customer_id[is]", cid) in parse(r.query)


def parse(query_string: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query_string)


async def test_customer_id_entity_uses_the_id_filter_not_the_path(
    tmp_path: Path, fake: FakeChargebee
) -> None:
    cus = fake.add(cb_customer("billing@acme.io", id="acme/../../invoices"))
    q = query(email=None, entities=Entities(customer_ids=["acme/../../invoices"]))
    first = await connector(tmp_path, fake.api_url).collect(resolve(q))
    assert first.provides == {"customer_id": [cus["id"]]}
    assert fake.paths == ["/api/v2/customers"]
    assert ("id[is]", "acme/../../invoices") in fake.args(0)


async def test_unknown_customer_is_empty_not_an_error(tmp_path: Path, fake: FakeChargebee) -> None:
    first, second = await run_both(connector(tmp_path, fake.api_url), query(email="nobody@acme.io"))
    assert first.evidence == [] and second.evidence == [] and first.provides == {}
    assert fake.paths == ["/api/v2/customers"]


async def test_next_offset_paging_up_to_the_cap(tmp_path: Path, fake: FakeChargebee) -> None:
    cus = fake.add(cb_customer(EMAIL))
    invoices = [fake.add(cb_invoice(cus["id"], "paid", date=NOW - i)) for i in range(25)]
    conn = connector(tmp_path, fake.api_url, page_size=10, max_pages=2)
    _, second = await run_both(conn, query())
    pages = [i for i, r in enumerate(fake.requests) if r.path == "/api/v2/invoices"]
    assert len(pages) == 2
    offset = dict(fake.args(pages[1]))["offset"]
    assert offset.startswith('["') and "," in offset  # opaque, quoted, sent back intact
    got = [e.attributes["id"] for e in by_object(second.evidence)["invoice"]]
    assert got == [i["id"] for i in invoices[:20]]
    assert any("/invoices has more than 20" in n for n in second.notes)


def test_config_needs_a_plain_site_or_a_base_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"site .* or base_url") as missing:
        connector(tmp_path, None)
    with pytest.raises(ConfigError, match="subdomain only") as bad:
        connector(tmp_path, None, site="evil.com/x")
    assert KEY[:10] not in missing.value.message + bad.value.message
    assert (
        connector(tmp_path, None, site="acme").config.api_base
        == "https://acme.chargebee.com/api/v2"
    )


async def test_one_failing_list_keeps_what_the_other_calls_found(
    tmp_path: Path, fake: FakeChargebee
) -> None:
    cus = fake.add(cb_customer(EMAIL))
    sub = fake.add(cb_subscription(cus["id"], "active", due_invoices_count=1))
    fake.add(cb_invoice(cus["id"], "payment_due"))
    fake.fail("/api/v2/invoices", cb_error(500, "Sorry, something went wrong", "internal_error"))
    _, second = await run_both(connector(tmp_path, fake.api_url, site="acme"), query())
    got = by_object(second.evidence)
    assert "invoice" not in got and [e.attributes["id"] for e in got["subscription"]] == [sub["id"]]
    [failure] = second.failures
    assert "HTTP 500" in failure.message and "/invoices" in failure.message


async def test_wrong_key_names_the_connector_and_the_fix(
    tmp_path: Path, fake: FakeChargebee
) -> None:
    fake.expected_key = "another_key_entirely_000"
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, fake.api_url).collect(resolve(query()))
    err = info.value
    assert "chargebee connector 'billing'" in err.message and "HTTP 401" in err.message
    assert "api_authentication_failed" in err.message
    assert err.hint and "connectors.billing.api_key" in err.hint
    assert KEY not in err.message + err.hint


async def test_wrong_site_is_a_404_with_a_hint(tmp_path: Path, fake: FakeChargebee) -> None:
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, f"{fake.url}/api/v1").collect(resolve(query()))
    assert "HTTP 404" in info.value.message and "site" in (info.value.hint or "")
    fake.overruns.clear()


async def test_429_retry_after_then_success(tmp_path: Path, fake: FakeChargebee) -> None:
    cus = fake.add(cb_customer(EMAIL))
    fake.fail("/api/v2/customers", cb_rate_limited(1))
    started = Stopwatch()
    first = await connector(tmp_path, fake.api_url).collect(resolve(query()))
    assert first.provides == {"customer_id": [cus["id"]]}
    assert fake.paths.count("/api/v2/customers") == 2 and started.wall >= 0.9


async def test_server_error(tmp_path: Path, fake: FakeChargebee) -> None:
    fake.fail("/api/v2/customers", cb_error(500, "Sorry, something went wrong", "internal_error"))
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, fake.api_url).collect(resolve(query()))
    assert "HTTP 500" in info.value.message and "something went wrong" in info.value.message


@pytest.mark.parametrize(
    "email", ['o"neil@acme.io', "50%off@acme.io", "a/../../b@acme.io", "x&limit=100@acme.io"]
)
async def test_hostile_values_stay_one_exact_filter(
    tmp_path: Path, fake: FakeChargebee, email: str
) -> None:
    fake.add(cb_customer(email))
    first = await connector(tmp_path, fake.api_url).collect(
        resolve(query(entities=Entities(requester_email=email)))
    )
    assert fake.paths == ["/api/v2/customers"]
    assert dict(fake.args(0))["email[is]"] == email and dict(fake.args(0))["limit"] == "20"
    assert len(first.provides["customer_id"]) == 1


async def test_newlines_are_skipped(tmp_path: Path, fake: FakeChargebee) -> None:
    entities = Entities(requester_email="dana@acme.io\r\nX: y", customer_ids=["abc\n"])
    first = await connector(tmp_path, fake.api_url).collect(resolve(query(entities=entities)))
    assert fake.requests == [] and any("malformed" in n for n in first.notes)


def test_check_through_the_cli(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CB_KEY", KEY)
    with FakeChargebee(api_key=KEY) as fake:
        path = tmp_path / "investigate.yaml"
        section = {"type": "chargebee", "api_key": "${CB_KEY}", "base_url": fake.api_url}
        path.write_text(yaml.safe_dump({"connectors": {"billing": section}}))
        good = cli("check", "-c", str(path))
        fake.expected_key = "rotated_key_0000000000"
        bad = cli("check", "-c", str(path))
        fake.check()
    assert good.code == 0 and "✅" in good.out
    assert bad.code != 0 and "❌" in bad.out and "401" in bad.out
    assert KEY not in good.out + good.err + bad.out + bad.err


def test_the_fake_rejects_undocumented_parameters(fake: FakeChargebee) -> None:
    import base64

    import httpx2

    auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
    bad = httpx2.get(f"{fake.api_url}/invoices", params={"customer_id": "x"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["api_error_code"] == "param_wrong_value"
    too_many = httpx2.get(f"{fake.api_url}/invoices", params={"limit": "500"}, headers=auth)
    assert too_many.status_code == 400
    assert len(fake.violations) == 2
    fake.violations.clear()
    with pytest.raises(ValueError, match="not a documented Chargebee invoice"):
        fake.add(cb_invoice("c1", "overdue"))


async def test_a_slow_chargebee_stops_at_the_deadline(tmp_path: Path) -> None:
    with FakeChargebee(api_key=KEY, latency=3.0) as fake:
        q = resolve(query())
        q.deadline = time.monotonic() + 0.8
        started = Stopwatch()
        with pytest.raises(SourceError) as info:
            await connector(tmp_path, fake.api_url).collect(q)
        assert started.busy_free < 2.5
    assert info.value.status == "timeout" and "chargebee connector" in info.value.message
