"""`grafana`: rule instances mapped to evidence states (firing, pending, resolved Normal
instances, NoData), the service filter, and annotations as change (`deploy`) evidence that the
causal linking reads. Generic promises are the SDK contract suite in tests/contract/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.grafana import FakeGrafana, make_annotation, make_instance, make_rule

from investigate.context import Context
from investigate.evidence.entities import extract
from investigate.models import Evidence, Ticket, Window
from investigate.sdk.contract import Query
from investigate_connectors.grafana import Grafana

TOKEN = "glsa_test_token_123"
CREATED = datetime(2026, 11, 24, 8, 14, tzinfo=UTC)
WINDOW = Window(
    start=datetime(2026, 11, 23, 8, 0, tzinfo=UTC), end=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
)
AT_7 = int(datetime(2026, 11, 24, 7, 0, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def fake() -> Iterator[FakeGrafana]:
    with FakeGrafana(token=TOKEN) as server:
        yield server
        server.check()


def connector(fake: FakeGrafana, **extra: Any) -> Grafana:
    section = {"type": "grafana", "base_url": fake.url, "token": TOKEN, **extra}
    return Grafana("graf", Grafana.config_model.model_validate(section), Context())


def query(area: str = "api") -> Query:
    t = Ticket(
        id="1",
        subject="Checkout is failing",
        created_at=CREATED,
        custom_fields={"product_area": area},
    )
    return Query(t, extract(t), WINDOW)


async def collect(c: Grafana, q: Query | None = None) -> list[Evidence]:
    try:
        return (await c.collect(q or query())).evidence
    finally:
        await c.aclose()


async def test_instance_states_map_to_evidence_states(fake: FakeGrafana) -> None:
    fake.rules += [
        make_rule("Checkout 5xx", [make_instance("Alerting", uid="r1")]),
        make_rule("Latency", [make_instance("Pending", uid="r2")]),
        make_rule("Queue depth", [make_instance("Normal", uid="r3")]),
        make_rule("No traffic", [make_instance("Alerting (NoData)", uid="r4")]),
        make_rule("Errors query", [make_instance("Error", uid="r5")]),
    ]
    found = {e.title.split(" [")[0]: e for e in await collect(connector(fake, annotations=False))}
    assert {k: (e.state, e.status) for k, e in found.items()} == {
        "Grafana alert Checkout 5xx": ("firing", "alerting"),
        "Grafana alert Latency": ("context", "pending"),  # not firing yet: no problem shown
        "Grafana alert Queue depth": ("resolved", "normal"),
        "Grafana alert No traffic": ("firing", "alerting"),
        "Grafana alert Errors query": ("context", "error"),  # the rule failed to evaluate
    }
    firing = found["Grafana alert Checkout 5xx"]
    assert firing.services == ["api"] and firing.level == "error"
    assert firing.url == f"{fake.url}/alerting/grafana/r1/view"
    assert firing.timestamp == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert "__alert_rule_uid__" not in firing.detail and "service=api" in firing.detail
    resolved = found["Grafana alert Queue depth"]
    assert resolved.timestamp is None and resolved.level == "info"


async def test_resolved_instances_can_be_left_out(fake: FakeGrafana) -> None:
    fake.rules.append(make_rule("Mixed", [make_instance("Alerting"), make_instance("Normal")]))
    states = [e.state for e in await collect(connector(fake, annotations=False))]
    assert states == ["firing", "resolved"]  # problems first
    states = [
        e.state for e in await collect(connector(fake, annotations=False, include_normal=False))
    ]
    assert states == ["firing"]


async def test_only_the_tickets_services(fake: FakeGrafana) -> None:
    fake.rules.append(
        make_rule("5xx", [make_instance(service="api"), make_instance(service="billing")])
    )
    c = connector(fake, annotations=False, only_ticket_services=True)
    assert [e.services for e in await collect(c)] == [["api"]]
    c = connector(fake, annotations=False, services=["billing"])
    assert [e.services for e in await collect(c)] == [["billing"]]


async def test_annotations_are_change_evidence_for_their_service(fake: FakeGrafana) -> None:
    fake.annotations += [
        make_annotation(
            1, "Deploy api v2.3.1\nchangelog…", time_ms=AT_7, tags=["deploy", "service:api"]
        ),
        make_annotation(2, "Alert fired", time_ms=AT_7, tags=["deploy"], alert=True),
        make_annotation(3, "Dashboard note", time_ms=AT_7, tags=["note"]),
        make_annotation(4, "Deploy api v2.3.0", time_ms=AT_7 - 86_400_000 * 3, tags=["deploy"]),
    ]
    found = await collect(connector(fake))
    assert len(found) == 1
    change = found[0]
    assert (change.kind, change.title, change.services) == (
        "deploy",
        "Change: Deploy api v2.3.1",
        ["api"],
    )
    assert change.timestamp == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert "by deploy-bot" in change.detail and change.url == f"{fake.url}/d/cIBgcSjkk"
    assert change.record["service"] == "api"


async def test_a_deploy_before_the_first_new_error_is_linked_to_it(fake: FakeGrafana) -> None:
    """The change evidence is what `investigate.evidence.causal` reads: a deploy of the same service
    shortly before an error gets a link."""
    from investigate.evidence.causal import find_links

    fake.annotations.append(
        make_annotation(1, "Deploy api v2.3.1", time_ms=AT_7, tags=["deploy", "service:api"])
    )
    change = (await collect(connector(fake)))[0]
    change.id = "E1"
    error = Evidence(
        id="E2",
        source="logs",
        kind="log_pattern",
        title="ERR_EXPORT_SERIALIZE",
        timestamp=datetime(2026, 11, 24, 7, 20, tzinfo=UTC),
        level="error",
        novelty="new",
        services=["api"],
        first_seen=datetime(2026, 11, 24, 7, 20, tzinfo=UTC),
    )
    links = find_links([change, error])
    assert [(link.cause.id, link.effect.id, link.model.same_service) for link in links] == [
        ("E1", "E2", True)
    ]
