"""Incident suspicion from the evidence, whatever the analyst."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from investigate.evidence.incidents import merge, suspect
from investigate.models import Evidence, Incident, Ticket

T = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def ticket(
    subject: str = "Dashboards fail to load", description: str = "Every tile shows an error."
) -> Ticket:
    return Ticket(id="1", subject=subject, description=description, created_at=T)


def alert(
    title: str, hours: float = -1, status: str = "firing", eid: str = "E2", **row: Any
) -> Evidence:
    return Evidence(
        id=eid,
        source="alerts",
        kind="alert",
        title=title,
        timestamp=T + timedelta(hours=hours),
        attributes={"row": {"status": status, **row}},
    )


def mine(
    title: str = "ERROR api: upstream reset [ERR_UPSTREAM_RESET]", accounts: int = 1
) -> Evidence:
    return Evidence(
        id="E1",
        source="logs",
        kind="log_pattern",
        title=title,
        level="error",
        novelty="new",
        matched=["acc_1"],
        services=["api"],
        first_seen=T - timedelta(hours=1),
        attributes={"accounts_affected": accounts},
    )


def test_a_firing_alert_on_the_service_of_the_customers_new_errors_is_an_incident() -> None:
    found = suspect([mine(), alert("HighErrorRate", service="api")], ticket())
    assert found.suspected
    assert found.alerts == ["E2"]
    assert "E2" in found.reason and "service" in found.reason


def test_an_alert_that_shares_the_tickets_error_code_matches_without_a_service() -> None:
    t = ticket("Exports fail with ERR_EXPORT_TIMEOUT", "since 10am")
    found = suspect([alert("Exports failing: ERR_EXPORT_TIMEOUT rate 30%", service="worker")], t)
    assert found.suspected and "ERR_EXPORT_TIMEOUT" in found.reason


def test_resolved_stale_and_unrelated_alerts_are_not_incidents() -> None:
    items = [
        mine(),
        alert("HighErrorRate", status="resolved", service="api", eid="E2"),
        alert("HighErrorRate", hours=-72, service="api", eid="E3"),  # firing for three days
        alert("DiskFull on backup host", service="backup", eid="E4"),
    ]
    found = suspect(items, ticket())
    assert not found.suspected
    assert found.alerts == []


def test_the_customers_new_error_hitting_many_accounts_is_an_incident() -> None:
    found = suspect([mine(accounts=14)], ticket())
    assert found.suspected and "14 accounts" in found.reason and found.alerts == []


def test_an_error_new_only_for_this_customer_is_not_everyones_outage() -> None:
    familiar = mine(accounts=14)
    familiar.baseline_all = 120  # everyone else has had it all week
    assert not suspect([familiar], ticket()).suspected


def test_a_warning_on_the_service_does_not_tie_the_customer_to_a_service_alert() -> None:
    denied = mine("WARNING api: 403 forbidden [ERR_PERMISSION_DENIED]")
    denied.level = "warning"
    assert not suspect([denied, alert("HighErrorRate 5xx", service="api")], ticket()).suspected


def test_other_customers_tickets_with_the_same_signature_count() -> None:
    others = [
        Evidence(
            id=f"E{i}",
            source="helpdesk",
            kind="ticket",
            title=f"Ticket {i}: dashboards fail with ERR_UPSTREAM_RESET",
            timestamp=T - timedelta(minutes=30 * i),
            attributes={"row": {"id": str(900 + i)}},
        )
        for i in (5, 6)
    ]
    found = suspect([mine(), *others], ticket())
    assert found.suspected
    assert (
        "2 other customers reported the same problem in the last 3 h (#905, #906)" in found.reason
    )
    assert found.related_tickets == ["905", "906"]


def test_merge_keeps_the_analysts_view_and_adds_what_it_missed() -> None:
    found = Incident(suspected=True, reason="alert E2 is open", alerts=["E2"])
    llm = Incident(suspected=False, reason="")
    merged = merge(found, llm)
    assert merged.suspected and merged.alerts == ["E2"] and merged.reason == "alert E2 is open"
    both = merge(found, Incident(suspected=True, reason="status page incident", alerts=["E7"]))
    assert both.alerts == ["E7", "E2"] and both.reason == "status page incident; alert E2 is open"
    assert merge(Incident(), llm) is llm


def test_a_degraded_status_page_component_counts_as_open() -> None:
    component = Evidence(
        id="E3",
        source="status",
        kind="status",
        title="Component Dashboards: partial_outage",
        timestamp=T - timedelta(minutes=30),
        attributes={"row": {"status": "partial_outage", "component": "dashboards"}},
    )
    found = suspect([component], ticket("Dashboards fail to load", "every dashboard tile errors"))
    assert found.suspected and found.alerts == ["E3"]
    component = Evidence.model_validate(
        {**component.model_dump(), "status": "operational", "state": None}
    )
    assert not suspect([component], ticket()).suspected


def test_the_requesters_own_other_tickets_are_not_other_customers() -> None:
    own = [
        Evidence(
            id=f"E{i}",
            source="helpdesk",
            kind="ticket",
            title=f"Ticket {i}: dashboards fail with ERR_UPSTREAM_RESET",
            attributes={"row": {"id": str(900 + i)}, "relation": "requester"},
        )
        for i in (5, 6, 7)
    ]
    assert not suspect([mine(), *own], ticket()).suspected
