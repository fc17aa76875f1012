"""The incident radar: finds the demo's burst before its alert, ignores one noisy customer,
clusters reworded messages, and says when nothing covers a cluster."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from investigate.cli import run
from investigate.models import Evidence
from investigate.sdk.history import HistoryTicket
from investigate.stats.radar import radar

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = run(["stats", "--config", str(ROOT / "config.example.yaml"), "-f", "json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def t(tid: str, customer: str, subject: str, minutes: float, text: str = "") -> HistoryTicket:
    return HistoryTicket(
        id=tid,
        created_at=T0 + timedelta(minutes=minutes),
        subject=subject,
        text=text,
        customer=customer,
    )


def test_one_noisy_customer_is_not_an_incident() -> None:
    noisy = [
        t(str(i), "Orchid Labs", "Webhook failed: ERR_WEBHOOK_SIGNATURE", 30 * i) for i in range(8)
    ]
    other = [t("a", "Acme", "Webhook failed: ERR_WEBHOOK_SIGNATURE", 40)]
    found = radar(noisy + other, T0 + timedelta(hours=6), timedelta(hours=24), 3)
    assert found.tickets == 9 and found.clusters == []  # 9 tickets, but 2 customers
    third = [t("b", "Globex", "Webhook failed: ERR_WEBHOOK_SIGNATURE", 50)]
    found = radar(noisy + other + third, T0 + timedelta(hours=6), timedelta(hours=24), 3)
    assert [c.customers for c in found.clusters] == [["Acme", "Globex", "Orchid Labs"]]


def test_reworded_messages_cluster_and_nothing_firing_is_said() -> None:
    tickets = [
        t("1", "Acme", "Export of report 4411 failed", 0),
        t("2", "Globex", "Export of report 87 failed", 5),
        t("3", "Initech", "Export of report 9 failed", 12),
        t("4", "Umbrella", "How do I share a dashboard?", 13),
        t("5", "Hooli", "How do I share a dashboard?", 14),
        t("6", "Stark", "How do I share a dashboard?", 15),
    ]
    found = radar(tickets, T0 + timedelta(hours=1), timedelta(hours=2), 3)
    assert len(found.clusters) == 1  # questions are not incidents
    cluster = found.clusters[0]
    assert cluster.kind == "message" and cluster.tickets == ["1", "2", "3"]
    assert cluster.headline.startswith("3 customers since 09:00 UTC")
    assert cluster.headline.endswith("no alert firing")


def test_an_alert_that_ended_long_before_does_not_cover_but_a_later_one_does() -> None:
    tickets = [t(str(i), f"c{i}", "Error ERR_DB_TIMEOUT on save", 10 * i) for i in range(4)]
    old = Evidence(
        source="alerts",
        kind="alert",
        title="DiskFull [resolved]: disk",
        timestamp=T0 - timedelta(hours=9),
        attributes={"row": {"endsAt": (T0 - timedelta(hours=8)).isoformat()}},
    )
    later = Evidence(
        source="alerts",
        kind="alert",
        title="DBLatency [firing]: p95",
        timestamp=T0 + timedelta(minutes=45),
    )
    found = radar(tickets, T0 + timedelta(hours=2), timedelta(hours=3), 3, alerts=[old, later])
    (cluster,) = found.clusters
    assert [a.name for a in cluster.covered_by] == ["DBLatency"]
    assert cluster.lead_minutes == 45.0
    assert "DBLatency fired at 09:45, 45 min after the first ticket" in cluster.headline


def test_the_demo_burst_is_found_before_its_alert(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--radar")
    clusters = data["radar"]["clusters"]
    assert len(clusters) == 1, [c["headline"] for c in clusters]  # the noisy customer is not one
    burst = clusters[0]
    assert burst["signature"].startswith("ERR_UPSTREAM_UNAVAILABLE")
    assert len(burst["customers"]) == 6
    assert burst["first_at"].startswith("2026-11-24T12:58")
    assert burst["covered_by"][0]["name"] == "APIHighErrorRate"
    assert burst["lead_minutes"] > 20  # the tickets came first
    assert "Orchid Labs" not in burst["customers"]


def test_reports_citing_the_same_deploy_cluster_without_an_error_code() -> None:
    from investigate.models import (
        SLA,
        Analysis,
        Entities,
        Organization,
        Report,
        RootCause,
        TicketSummary,
        Window,
    )

    deploy = Evidence(
        id="E3", source="deploys", kind="deploy", title="Deploy web v2.14.0 by a.b", timestamp=T0
    )

    def report(tid: str, org: str) -> Report:
        return Report(
            ticket=TicketSummary(id=tid, created_at=T0, organization=Organization(name=org)),
            window=Window(start=T0, end=T0),
            entities=Entities(),
            sources=[],
            evidence=[deploy],
            analysis=Analysis(
                analyst="offline", summary="", root_cause=RootCause(statement="x", evidence=["E3"])
            ),
            sla=SLA(),
            generated_at=T0,
        )

    reports = [report(str(i), org) for i, org in enumerate(["Acme", "Globex", "Initech"])]
    tickets = [
        t(str(i), r.ticket.organization.name or "", "Page looks odd", 5 * i)
        for i, r in enumerate(reports)
    ]
    found = radar(tickets, T0 + timedelta(hours=1), timedelta(hours=2), 3, reports=reports)
    (cluster,) = found.clusters
    assert cluster.kind == "deploy" and cluster.signature.startswith("Deploy web v2.14.0")
