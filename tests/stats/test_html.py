"""The HTML page without a browser: hostile text from tickets and alerts is escaped, nothing is
fetched, and a period without data says so instead of drawing empty axes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from investigate.config import SLAPolicy
from investigate.models import Evidence
from investigate.sdk.history import HistoryTicket
from investigate.stats import compute
from investigate.stats.html import to_html
from investigate.stats.models import StatsReport
from investigate.stats.radar import radar

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOSTILE = "<img src=x onerror=alert(1)>"


def page(tickets: list[HistoryTicket], alerts: list[Evidence]) -> str:
    policies = {
        "high": SLAPolicy(first_response=timedelta(hours=4), resolution=timedelta(hours=24))
    }
    inputs = compute.Inputs(tickets, T0 + timedelta(hours=2), policies)
    report = StatsReport(
        since=T0 - timedelta(days=1),
        until=T0 + timedelta(hours=2),
        source=f"history {HOSTILE}",
        tickets=len(tickets),
        min_samples=5,
        frt=compute.frt(tickets, 5),
        mttr=compute.mttr(tickets, 5),
        sla=compute.sla(inputs),
        escalation=compute.escalation(inputs),
        csat=compute.csat(tickets, 5),
        trend=compute.trend(inputs),
        radar=radar(tickets, T0 + timedelta(hours=2), timedelta(hours=3), 3, alerts),
        notes=[f"note {HOSTILE}"],
        generated_at=T0,
    )
    return to_html(report)


def test_hostile_text_is_escaped_and_nothing_is_fetched() -> None:
    tickets = [
        HistoryTicket(
            id=str(i),
            created_at=T0 + timedelta(minutes=5 * i),
            subject=f"{HOSTILE} ERR_EXPORT_SERIALIZE",
            customer=f"{HOSTILE} {i}",
        )
        for i in range(3)
    ]
    alert = Evidence(source="alerts", kind="alert", title=f"{HOSTILE} [firing]", timestamp=T0)
    html = page(tickets, [alert])
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and "src=" not in html.replace("&lt;img src=x", "")
    assert "default-src 'none'" in html  # the page may load nothing, even if text slipped in
    assert "ERR_EXPORT_SERIALIZE" in html


def test_an_empty_period_says_so() -> None:
    html = page([], [])
    assert html.count("no data in this period") >= 3
    assert "class='mark'" not in html


def test_what_an_empty_chart_says_is_inside_its_drawing() -> None:
    """A chart with nothing to draw shows why; text placed below the SVG's height is clipped
    (a blank card in the browser)."""
    html = page([], [])
    empty = 0
    for height, body in re.findall(r"<svg [^>]*\bheight='(\d+)'[^>]*>(.*?)</svg>", html, re.S):
        for y, text in re.findall(r"<text [^>]*\by='([\d.]+)'[^>]*>(.*?)</text>", body):
            assert 0 < float(y) <= int(height), (text, y, height)
            empty += text == "no data in this period"
    assert empty >= 3
