"""The terminal view at a fixed width: low-sample figures marked ≈ with their n, breaches to
the minute, sparklines from the weekly trend, and hostile text made terminal-safe."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from investigate.config import SLAPolicy
from investigate.sdk.history import HistoryTicket
from investigate.stats import compute
from investigate.stats.models import StatsReport
from investigate.stats.render import precise, render, sparkline

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICIES = {"urgent": SLAPolicy(first_response=timedelta(hours=1), resolution=timedelta(hours=4))}


def report(tickets: list[HistoryTicket]) -> StatsReport:
    inputs = compute.Inputs(tickets, T0 + timedelta(days=20), POLICIES, min_samples=3)
    return StatsReport(
        since=T0,
        until=T0 + timedelta(days=20),
        source="history (file)",
        tickets=len(tickets),
        min_samples=3,
        frt=compute.frt(tickets, 3),
        mttr=compute.mttr(tickets, 3),
        sla=compute.sla(inputs),
        escalation=compute.escalation(inputs),
        csat=compute.csat(tickets, 3),
        trend=compute.trend(inputs),
        generated_at=T0,
    )


def text(r: StatsReport) -> str:
    buffer = io.StringIO()
    render(r, Console(file=buffer, width=100, color_system=None))
    return buffer.getvalue()


def test_low_samples_are_marked_and_breaches_are_exact() -> None:
    tickets = [
        HistoryTicket(
            id="1",
            created_at=T0,
            priority="urgent",
            channel="\x1b[31mchat",
            first_reply_at=T0 + timedelta(minutes=61),
        ),
        HistoryTicket(
            id="2",
            created_at=T0 + timedelta(days=7),
            priority="urgent",
            first_reply_at=T0 + timedelta(days=7, minutes=10),
        ),
    ]
    out = text(report(tickets))
    assert "≈36m" in out  # median of 61 and 10 minutes, from 2 < 3 samples
    assert "n=2; too few to be precise" in out
    assert "1 urgent first response: took 1h 01m (target 60m)" in out
    assert "\x1b" not in out and "channel: chat" in out  # the escape sequence was stripped
    assert "FRT median      █▁" in out


def test_helpers() -> None:
    assert precise(241) == "4h 01m" and precise(59.6) == "1h 00m" and precise(3000) == "2d 02h"
    assert sparkline([1, None, 3]) == "▁ █"
