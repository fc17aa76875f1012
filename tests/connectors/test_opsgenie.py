"""`opsgenie`: vendor states mapped to evidence states (acknowledged, snoozed, closed), the
region picking the API host, the filters reaching Opsgenie's query, incidents, links and the
window. The generic promises (faults, caps, hints, paging, secrets) are the SDK contract suite
in tests/contract/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from fakes.opsgenie import FakeOpsgenie, make_alert, make_incident

from investigate.context import Context
from investigate.evidence.entities import extract
from investigate.models import Evidence, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.opsgenie import Opsgenie

KEY = "og_test_key_123"
CREATED = datetime(2026, 11, 24, 8, 14, tzinfo=UTC)
WINDOW = Window(
    start=datetime(2026, 11, 23, 8, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
)


@pytest.fixture
def fake() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(key=KEY) as server:
        yield server
        server.check()


def connector(base_url: str | None, transport: Any = None, **extra: Any) -> Opsgenie:
    section = {"type": "opsgenie", "api_key": KEY, **extra}
    if base_url:
        section["base_url"] = base_url
    return Opsgenie(
        "og", Opsgenie.config_model.model_validate(section), Context(transport=transport)
    )


def query(text: str = "Checkout fails with ERR_PAY_42", area: str = "api") -> Query:
    t = Ticket(id="1", subject=text, created_at=CREATED, custom_fields={"product_area": area})
    return Query(t, extract(t), WINDOW)


async def collect(c: Opsgenie, q: Query | None = None) -> list[Evidence]:
    try:
        return (await c.collect(q or query())).evidence
    finally:
        await c.aclose()


def by_id(found: list[Evidence]) -> dict[str, Evidence]:
    return {e.attributes["id"]: e for e in found}


async def test_alert_states_follow_acknowledged_snoozed_and_closed(fake: FakeOpsgenie) -> None:
    fake.alerts += [
        make_alert("open1"),
        make_alert("ack1", acknowledged=True),
        make_alert("snz1", snoozed=True),
        make_alert("cls1", status="closed", last="2026-11-24T08:30:00Z"),
    ]
    found = by_id(await collect(connector(fake.url, incidents=False)))
    assert {k: e.state for k, e in found.items()} == {
        "open1": "firing",
        "ack1": "acknowledged",
        "snz1": "acknowledged",
        "cls1": "resolved",
    }
    assert "acknowledged_by=jo@example.com" in found["ack1"].detail
    assert found["snz1"].attributes["snoozed"] is True
    assert "snoozed_until=2026-11-24T12:00:00Z" in found["snz1"].detail
    assert found["cls1"].level == "info" and found["open1"].level == "error"  # P2
    assert [e.attributes["id"] for e in await collect(connector(fake.url, incidents=False))][
        -1
    ] == "cls1"


@pytest.mark.parametrize(
    ("extra", "host"),
    [
        ({}, "api.opsgenie.com"),
        ({"region": "eu"}, "api.eu.opsgenie.com"),
        ({"region": "eu", "base_url": "https://og-proxy.example.com/"}, "og-proxy.example.com"),
    ],
)
async def test_the_region_picks_the_api_host(extra: dict[str, Any], host: str) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"data": [], "took": 0.1, "requestId": "r"})

    extra = dict(extra)
    c = connector(extra.pop("base_url", None), httpx2.MockTransport(handler), **extra)
    assert c.config.base_url == f"https://{host}"
    await collect(c)
    assert {r.url.host for r in seen} == {host}
    assert {r.url.path for r in seen} == {"/v2/alerts", "/v1/incidents/"}
    assert all(r.headers["authorization"] == f"GenieKey {KEY}" for r in seen)


async def test_filters_reach_the_query_and_filter(fake: FakeOpsgenie) -> None:
    fake.alerts += [
        make_alert("p1", priority="P1", tags=["api"]),
        make_alert("p3", priority="P3", tags=["api"]),
        make_alert("other", priority="P1", tags=["billing"]),
        make_alert("ack", priority="P1", tags=["api"], acknowledged=True),
        make_alert("snz", priority="P1", tags=["api"], snoozed=True),
        make_alert("cls", priority="P1", tags=["api"], status="closed"),
    ]
    c = connector(
        fake.url,
        status="open",
        acknowledged=False,
        include_snoozed=False,
        priorities=["P1", "P2"],
        only_ticket_services=True,
    )
    assert list(by_id(await collect(c))) == ["p1"]
    sent, incidents = fake.queries
    assert "acknowledged:" not in incidents and "snoozed:" not in incidents  # alert-only fields
    for term in ("status: open", "acknowledged: false", "snoozed: false"):
        assert term in sent
    assert "(priority: P1 OR priority: P2)" in sent and 'tag: "api"' in sent
    assert not fake.unparsed


async def test_the_window_keeps_open_alerts_and_drops_ones_over_before_it(
    fake: FakeOpsgenie,
) -> None:
    fake.alerts += [
        make_alert("old-open", created="2026-11-20T08:00:00Z"),  # still open: kept
        make_alert("old-closed", status="closed", created="2026-11-20T08:00:00Z"),  # over before
        make_alert("late", created="2026-11-24T10:00:00Z"),  # after the window
    ]
    assert list(by_id(await collect(connector(fake.url, incidents=False)))) == ["old-open"]


async def test_incidents_links_and_matches(fake: FakeOpsgenie) -> None:
    fake.alerts.append(make_alert("a1", message="Payments failing with ERR_PAY_42"))
    fake.incidents += [
        make_incident("i1", status="open"),
        make_incident("i2", status="resolved", priority="P3"),
    ]
    found = by_id(await collect(connector(fake.url, app_url="https://acme.app.opsgenie.com/")))
    assert (found["i1"].kind, found["i1"].state, found["i2"].state) == (
        "incident",
        "firing",  # typed: an open incident is a problem
        "resolved",
    )
    assert (found["i1"].status, found["i2"].status) == ("open", "resolved")  # Opsgenie's word
    assert found["i1"].url == "https://acme.app.opsgenie.com/incident/detail/i1"
    assert found["a1"].url == "https://acme.app.opsgenie.com/alert/detail/a1/details"
    assert found["a1"].matched == ["err_pay_42"]
    assert found["a1"].query.startswith("GET ") and "/v2/alerts?query=" in found["a1"].query
    assert any(q.startswith("createdAt <= ") for q in fake.queries)
