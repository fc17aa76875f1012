"""`stripe`: customers by email / id, billing state as evidence, paging, caps and Stripe's own
failure modes, against a loopback fake whose traffic is validated against Stripe's OpenAPI spec.
The HTTP plumbing (401/403 hints, Retry-After, broken JSON, size caps, secrets) is the contract
suite's: tests/contract/contracts_data_sources.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from busyclock import Stopwatch
from fakes.stripe import (
    NOW,
    FakeStripe,
    declined_charge,
    parse_search,
    rate_limited,
    stripe_charge,
    stripe_customer,
    stripe_dispute,
    stripe_error,
    stripe_event,
    stripe_invoice,
    stripe_payment_intent,
    stripe_refund,
    stripe_subscription,
)
from spec_validation import needs_spec

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import SourceError
from investigate.evidence import entities as entity_mod
from investigate.models import Entities, Evidence, Person, Ticket, Window
from investigate.sdk.contract import Collected, Query
from investigate_connectors.stripe import Stripe, search_query

pytestmark = needs_spec("stripe.json")

KEY = "rk_test_51FakeRestrictedKey0123456789"
EMAIL = "dana@acme.io"
WINDOW = Window(
    start=datetime.fromtimestamp(NOW - 86400, tz=UTC), end=datetime.fromtimestamp(NOW, tz=UTC)
)


OPEN: list[Stripe] = []


@pytest.fixture(autouse=True)
async def _close_connectors() -> AsyncIterator[None]:
    """Connectors keep a pooled transport between stages; close it like the pipeline does."""
    yield
    while OPEN:
        await OPEN.pop().aclose()


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(api_key=KEY) as server:
        yield server
        server.check()


def config_file(tmp_path: Path, url: str, **extra: Any) -> Path:
    section = {"type": "stripe", "api_key": KEY, "base_url": url, **extra}
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump({"connectors": {"billing": section}}, sort_keys=False))
    return path


def connector(tmp_path: Path, url: str, **extra: Any) -> Stripe:
    loaded = load_config(config_file(tmp_path, url, **extra), env={})
    made = Stripe(
        "billing", loaded.connector_config("billing", Stripe.config_model), Context(config=loaded)
    )
    OPEN.append(made)
    return made


def ticket(text: str = "My card keeps failing", email: str | None = EMAIL) -> Ticket:
    return Ticket(
        id="77",
        subject="Billing",
        description=text,
        requester=Person(email=email),
        created_at=WINDOW.end,
    )


def query(
    t: Ticket | None = None, stage: str = "collect", entities: Entities | None = None
) -> Query:
    t = t or ticket()
    return Query(t, entities or entity_mod.extract(t), WINDOW, stage, time.monotonic() + 20)  # type: ignore[arg-type]


async def run_both(conn: Stripe, q: Query) -> tuple[Collected, Collected]:
    """The pipeline's two stages: resolve (its provides are added), then collect."""
    first = await conn.collect(Query(q.ticket, q.entities, q.window, "resolve", q.deadline))
    for param, values in first.provides.items():
        entity_mod.add_values(q.entities, param, values, conn.name)
    second = await conn.collect(q)
    return first, second


def by_object(evidence: list[Evidence]) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {}
    for e in evidence:
        out.setdefault(e.attributes["stripe_object"], []).append(e)
    return out


def past_due_world(fake: FakeStripe) -> dict[str, Any]:
    cus = fake.add(stripe_customer(EMAIL, delinquent=True))
    other = fake.add(stripe_customer("someone@else.io"))
    cid = cus["id"]
    sub = fake.add(stripe_subscription(cid, "past_due"))
    old = fake.add(stripe_subscription(cid, "canceled", canceled_at=NOW - 86400 * 40))
    inv = fake.add(
        stripe_invoice(
            cid,
            "open",
            attempt_count=3,
            attempted=True,
            next_payment_attempt=NOW + 86400,
            subscription=sub["id"],
            amount_due=4900,
        )
    )
    paid = fake.add(stripe_invoice(cid, "paid", created=NOW - 86400 * 30))
    failed = fake.add(declined_charge(cid, invoice=inv["id"], amount=4900))
    refunded = fake.add(stripe_charge(cid, amount_refunded=1000, refunded=False))
    disputed = fake.add(stripe_charge(cid, disputed=True))
    refund = fake.add(stripe_refund(refunded["id"]))
    dispute = fake.add(stripe_dispute(disputed["id"]))
    pi = fake.add(
        stripe_payment_intent(
            cid,
            "requires_payment_method",
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Insufficient funds.",
            },
        )
    )
    mine = fake.add(stripe_event("invoice.payment_failed", inv, created=NOW - 600))
    fake.add(
        stripe_event(
            "invoice.payment_failed", stripe_invoice(other["id"], "open"), created=NOW - 500
        )
    )
    ancient = fake.add(stripe_event("customer.updated", cus, created=NOW - 86400 * 60))
    return locals()


# --- happy paths -----------------------------------------------------------------------------


async def test_resolves_the_customer_by_email_then_reads_its_billing_state(
    tmp_path: Path, fake: FakeStripe
) -> None:
    w = past_due_world(fake)
    conn = connector(tmp_path, fake.url)
    q = query()
    first, second = await run_both(conn, q)

    # resolve: one search with a properly quoted clause, the customer provided as customer_id
    assert fake.searches == [[("email", ":", EMAIL)]]
    assert first.provides == {"customer_id": [w["cid"]]}
    [customer] = first.evidence
    assert customer.kind == "customer" and customer.level == "warning"  # delinquent
    assert customer.url == f"https://dashboard.stripe.com/test/customers/{w['cid']}"
    assert w["cid"].lower() in customer.matched and EMAIL in customer.matched
    assert customer.query.startswith("GET /v1/customers/search?query=email")

    got = by_object(second.evidence)
    assert "customer" not in got  # not reported twice
    subs = {e.attributes["id"]: e for e in got["subscription"]}
    assert subs[w["sub"]["id"]].level == "error" and "past_due" in subs[w["sub"]["id"]].title
    assert subs[w["old"]["id"]].level == "warning"  # canceled ones are read too (status=all)
    invoices = {e.attributes["id"]: e for e in got["invoice"]}
    bad = invoices[w["inv"]["id"]]
    assert (
        bad.level == "error"
        and "3 failed payment attempts" in bad.title
        and "49.00 USD" in bad.title
    )
    assert "hosted_invoice_url=https://invoice.stripe.com/" in bad.detail
    assert bad.url == f"https://dashboard.stripe.com/test/invoices/{w['inv']['id']}"
    assert invoices[w["paid"]["id"]].level == "info"
    charges = {e.attributes["id"]: e for e in got["charge"]}
    declined = charges[w["failed"]["id"]]
    assert declined.level == "error" and "card_declined" in declined.title
    assert "outcome.reason=insufficient_funds" in declined.detail
    assert "seller_message=The bank returned the decline code" in declined.detail
    assert charges[w["refunded"]["id"]].level == "warning"
    assert charges[w["disputed"]["id"]].level == "error"
    [pi] = got["payment_intent"]
    assert pi.level == "error" and "insufficient_funds" in pi.title
    [refund] = got["refund"]
    assert refund.attributes["id"] == w["refund"]["id"]
    [dispute] = got["dispute"]
    assert dispute.level == "error" and dispute.attributes["id"] == w["dispute"]["id"]
    # events: filtered client-side to this customer and to the lookback
    assert [e.attributes["id"] for e in got["event"]] == [w["mine"]["id"]]
    assert got["event"][0].level == "warning"

    # what was asked: one customer lookup in total, lists filtered by customer / charge
    assert fake.paths.count("/v1/customers/search") == 1
    assert "/v1/customers" not in fake.paths
    assert not [p for p in fake.paths if p.startswith("/v1/customers/cus_")]  # not fetched again
    sent = {r.path: r for r in fake.requests}
    assert f"customer={w['cid']}" in sent["/v1/invoices"].query
    assert "status=all" in sent["/v1/subscriptions"].query
    assert f"charge={w['refunded']['id']}" in sent["/v1/refunds"].query
    assert all(r.headers["stripe-version"] == "2023-08-16" for r in fake.requests)
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.requests)
    assert all(r.method == "GET" for r in fake.requests)


async def test_healthy_customer_is_context_not_a_warning(tmp_path: Path, fake: FakeStripe) -> None:
    cus = fake.add(stripe_customer(EMAIL))
    fake.add(stripe_subscription(cus["id"], "active"))
    fake.add(stripe_invoice(cus["id"], "paid"))
    fake.add(stripe_charge(cus["id"]))
    first, second = await run_both(connector(tmp_path, fake.url), query())
    levels = {e.attributes["stripe_object"]: e.level for e in first.evidence + second.evidence}
    assert levels == {
        "customer": "info",
        "subscription": "info",
        "invoice": "info",
        "charge": "info",
    }


async def test_trialing_subscription_shows_the_trial_end(tmp_path: Path, fake: FakeStripe) -> None:
    cus = fake.add(stripe_customer(EMAIL))
    fake.add(stripe_subscription(cus["id"], "trialing", trial_end=NOW + 3 * 86400))
    _, second = await run_both(connector(tmp_path, fake.url), query())
    [sub] = by_object(second.evidence)["subscription"]
    assert "trial ends 2026-11-" in sub.title


async def test_explicit_customer_id_in_the_ticket_is_fetched(
    tmp_path: Path, fake: FakeStripe
) -> None:
    cus = fake.add(stripe_customer("billing@acme.io"))
    personal = fake.add(stripe_customer("dana@gmail.com"))
    t = ticket(f"Our Stripe customer is {cus['id']}", email="dana@gmail.com")
    first, _ = await run_both(connector(tmp_path, fake.url), query(t))
    assert sorted(first.provides["customer_id"]) == sorted([cus["id"], personal["id"]])
    assert f"/v1/customers/{cus['id']}" in fake.paths
    by_id = {e.attributes["id"]: e for e in first.evidence}
    assert by_id[cus["id"]].query == f"GET /v1/customers/{cus['id']}"
    assert by_id[personal["id"]].query.startswith("GET /v1/customers/search")


async def test_unknown_customer_is_empty_not_an_error(tmp_path: Path, fake: FakeStripe) -> None:
    t = ticket("see cus_DoesNotExist42", email="nobody@nowhere.io")
    first, second = await run_both(connector(tmp_path, fake.url), query(t))
    assert first.evidence == [] and second.evidence == [] and first.provides == {}
    assert "/v1/customers/cus_DoesNotExist42" in fake.paths
    assert "/v1/invoices" not in fake.paths  # no customer, nothing else asked


@pytest.mark.parametrize("status", [400, 404])
async def test_search_unavailable_falls_back_to_the_email_list(
    tmp_path: Path, fake: FakeStripe, status: int
) -> None:
    fake.search_unavailable = status
    cus = fake.add(stripe_customer(EMAIL))
    fake.add(stripe_customer("dana@acme.io.evil.com"))
    first, _ = await run_both(connector(tmp_path, fake.url), query())
    assert first.provides == {"customer_id": [cus["id"]]}
    listed = [r for r in fake.requests if r.path == "/v1/customers"]
    assert len(listed) == 1 and "email=dana%40acme.io" in listed[0].query
    assert any("search unavailable" in n for n in first.notes)


async def test_lists_page_with_starting_after_up_to_the_cap(
    tmp_path: Path, fake: FakeStripe
) -> None:
    cus = fake.add(stripe_customer(EMAIL))
    invoices = [fake.add(stripe_invoice(cus["id"], "paid", created=NOW - i)) for i in range(45)]
    conn = connector(tmp_path, fake.url, page_size=20, max_pages=2)
    _, second = await run_both(conn, query())
    pages = [r for r in fake.requests if r.path == "/v1/invoices"]
    assert len(pages) == 2
    assert "starting_after" not in pages[0].query
    assert f"starting_after={invoices[19]['id']}" in pages[1].query
    got = [e.attributes["id"] for e in by_object(second.evidence)["invoice"]]
    assert got == [i["id"] for i in invoices[:40]]
    assert any("/v1/invoices has more than 40" in n for n in second.notes)


async def test_api_version_is_configurable(tmp_path: Path) -> None:
    with FakeStripe(api_key=KEY, api_version="2024-06-20") as fake:
        fake.add(stripe_customer(EMAIL))
        await run_both(connector(tmp_path, fake.url, api_version="2024-06-20"), query())
        fake.check()
        assert {r.headers["stripe-version"] for r in fake.requests} == {"2024-06-20"}


# --- bad input -------------------------------------------------------------------------------


async def test_one_forbidden_list_keeps_what_the_other_calls_found(
    tmp_path: Path, fake: FakeStripe
) -> None:
    # a restricted key without invoice access: the 403 on /v1/invoices used to drop every 200
    w = past_due_world(fake)
    fake.fail("/v1/invoices", stripe_error(403, "The provided key does not have access."))
    first, second = await run_both(connector(tmp_path, fake.url), query())
    got = by_object(second.evidence)
    assert "invoice" not in got
    assert {e.attributes["id"] for e in got["subscription"]} == {w["sub"]["id"], w["old"]["id"]}
    assert w["failed"]["id"] in {e.attributes["id"] for e in got["charge"]}
    assert got["event"] and got["payment_intent"] and got["refund"] and got["dispute"]
    [failure] = second.failures
    assert "HTTP 403" in failure.message and "/v1/invoices" in failure.message
    assert failure.hint and "permission" in failure.hint
    assert not first.failures


async def test_forbidden_names_permission(tmp_path: Path, fake: FakeStripe) -> None:
    fake.fail("/v1/customers/search", stripe_error(403, "The provided key does not have access."))
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, fake.url).collect(query(stage="resolve"))
    assert "HTTP 403" in info.value.message and "does not have access" in info.value.message
    assert info.value.hint and "permission" in info.value.hint


async def test_429_is_retried_after_retry_after_then_succeeds(
    tmp_path: Path, fake: FakeStripe
) -> None:
    cus = fake.add(stripe_customer(EMAIL))
    fake.fail("/v1/customers/search", rate_limited(1))
    started = Stopwatch()
    first = await connector(tmp_path, fake.url).collect(query(stage="resolve"))
    assert first.provides == {"customer_id": [cus["id"]]}
    assert fake.paths.count("/v1/customers/search") == 2
    assert started.wall >= 0.9  # it honoured Retry-After


async def test_server_error_is_reported_not_raised_raw(tmp_path: Path, fake: FakeStripe) -> None:
    fake.fail(
        "/v1/customers/search", stripe_error(500, "An unknown error occurred", type="api_error")
    )
    with pytest.raises(SourceError) as info:
        await connector(tmp_path, fake.url).collect(query(stage="resolve"))
    assert "HTTP 500" in info.value.message and "unknown error occurred" in info.value.message
    assert fake.paths.count("/v1/customers/search") == 1


@pytest.mark.parametrize(
    "email",
    [
        'o"neil@acme.io',
        'x" OR email:"victim@acme.io',
        "back\\slash@acme.io",
        "100%/../../v1/charges@acme.io",
    ],
)
async def test_hostile_email_cannot_inject_into_the_search(
    tmp_path: Path, fake: FakeStripe, email: str
) -> None:
    fake.add(stripe_customer("victim@acme.io"))
    q = query(entities=Entities(requester_email=email))
    first = await connector(tmp_path, fake.url).collect(
        Query(q.ticket, q.entities, WINDOW, "resolve", q.deadline)
    )
    assert fake.searches == [[("email", ":", email)]]  # one clause, the exact value
    assert first.evidence == [] and fake.paths == ["/v1/customers/search"]
    assert parse_search(search_query(email)) == [("email", ":", email)]


async def test_hostile_ids_and_newlines_never_reach_the_path(
    tmp_path: Path, fake: FakeStripe
) -> None:
    entities = Entities(
        requester_email="dana@acme.io\nHost: evil",
        customer_ids=["cus_1/../../v1/charges", "cus_%2e%2e", "cus_ok\n", "../cus_x"],
    )
    first = await connector(tmp_path, fake.url).collect(query(entities=entities, stage="resolve"))
    assert fake.requests == [] and first.evidence == []
    assert any("malformed email" in n for n in first.notes)


# --- check, through the CLI ------------------------------------------------------------------


def test_check_warns_on_a_secret_key_and_never_prints_it(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk_test_51SecretKeyWithWriteAccess000"
    monkeypatch.setenv("STRIPE_KEY", secret)
    with FakeStripe(api_key=secret) as fake:
        path = tmp_path / "investigate.yaml"
        section = {"type": "stripe", "api_key": "${STRIPE_KEY}", "base_url": fake.url}
        path.write_text(yaml.safe_dump({"connectors": {"billing": section}}))
        result = cli("check", "-c", str(path))
        fake.check()
    assert result.code == 0, result.err
    assert "⚠️" in result.out and "restricted key" in result.out and "sk_test_…" in result.out
    assert secret not in result.out + result.err
    assert [r.path for r in fake.requests] == ["/v1/customers"]


def test_check_with_a_wrong_key_fails_with_the_fix(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeStripe(api_key="rk_test_SomethingElseEntirely00") as fake:
        monkeypatch.setenv("STRIPE_KEY", KEY)
        path = tmp_path / "investigate.yaml"
        section = {"type": "stripe", "api_key": "${STRIPE_KEY}", "base_url": fake.url}
        path.write_text(yaml.safe_dump({"connectors": {"billing": section}}))
        result = cli("check", "-c", str(path))
        fake.check()
    assert result.code != 0
    assert "❌" in result.out and "401" in result.out and "api_key" in result.out
    assert KEY not in result.out + result.err


# --- the fake itself: its spec checks bite -----------------------------------------------------


def test_the_fake_rejects_what_the_spec_rejects(fake: FakeStripe) -> None:
    import httpx2

    auth = {"Authorization": f"Bearer {KEY}", "Stripe-Version": "2023-08-16"}
    bad_request = httpx2.get(f"{fake.url}/v1/customers/search", params={"limit": "3"}, headers=auth)
    assert bad_request.status_code == 400 and bad_request.json()["error"]["type"]
    assert any("Missing required query parameter: query" in v for v in fake.violations)
    fake.violations.clear()

    cus = fake.add(stripe_customer(EMAIL))
    fake.add(stripe_subscription(cus["id"], "bogus_status"))
    httpx2.get(f"{fake.url}/v1/subscriptions", params={"customer": cus["id"]}, headers=auth)
    assert any("bogus_status" in v for v in fake.violations)
    fake.violations.clear()

    no_key = httpx2.get(f"{fake.url}/v1/customers", headers={"Stripe-Version": "2023-08-16"})
    assert no_key.status_code == 401 and "API key" in no_key.json()["error"]["message"]
    assert not fake.violations  # the 401 envelope itself is valid Stripe


# --- end to end: `investigate ticket` with a file ticket and the stripe connector ---------------


def test_investigate_ticket_reports_the_past_due_subscription(
    cli: Any, tmp_path: Path, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = past_due_world(fake)
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    created = datetime.fromtimestamp(NOW, tz=UTC).isoformat()
    (tickets / "77.json").write_text(
        '{"id": "77", "subject": "Card declined, account locked", "description": "Our payment '
        f'keeps failing", "requester": {{"email": "{EMAIL}"}}, "created_at": "{created}"}}'
    )
    monkeypatch.setenv("STRIPE_KEY", KEY)
    config = {
        "ticket_source": "tickets",
        "connectors": {
            "tickets": {"type": "file", "path": str(tickets)},
            "billing": {"type": "stripe", "api_key": "${STRIPE_KEY}", "base_url": fake.url},
        },
    }
    path = tmp_path / "investigate.yaml"
    path.write_text(yaml.safe_dump(config))
    result = cli("ticket", "77", "-c", str(path), "--format", "json", "--analyst", "offline")
    assert result.code == 0, result.err
    report = result.json()
    [billing] = [s for s in report["sources"] if s["name"] == "billing"]
    assert billing["status"] == "ok" and billing["items"] >= 8
    assert w["cid"] in report["entities"]["customer_ids"]
    titles = [e["title"] for e in report["evidence"] if e["source"] == "billing"]
    assert any("past_due" in t for t in titles)
    assert any("failed payment attempts" in t for t in titles)
    assert KEY not in result.out + result.err


async def test_a_slow_stripe_stops_at_the_deadline(tmp_path: Path) -> None:
    with FakeStripe(api_key=KEY, latency=3.0) as fake:
        fake.add(stripe_customer(EMAIL))
        q = query(stage="resolve")
        q.deadline = time.monotonic() + 0.8
        started = Stopwatch()
        with pytest.raises(SourceError) as info:
            await connector(tmp_path, fake.url).collect(q)
        assert started.busy_free < 2.5
    assert info.value.status == "timeout" and "stripe connector 'billing'" in info.value.message


@pytest.mark.parametrize(
    ("key", "ok", "warning"),
    [("pk_test_publishable000000", False, False), ("rk_live_restricted0000000", True, False)],
)
async def test_check_judges_the_key_kind(tmp_path: Path, key: str, ok: bool, warning: bool) -> None:
    with FakeStripe(api_key=key) as fake:
        path = config_file(tmp_path, fake.url, api_key=key)
        loaded = load_config(path, env={})
        conn = Stripe(
            "billing",
            loaded.connector_config("billing", Stripe.config_model),
            Context(config=loaded),
        )
        checks = await conn.check()
        await conn.aclose()
        fake.check()
    assert checks[0].ok is ok and checks[0].warning is warning
    assert all(key not in c.detail for c in checks)
    assert (len(fake.requests) == 1) is ok  # a publishable key is refused before any request
