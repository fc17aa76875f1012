"""Each metric computed by hand on a small fixture and compared: FRT, MTTR (pending excluded,
reopens), SLA attainment and breaches, escalation funnels (helpdesk and reports, and where
they disagree), CSAT on 1–5 and good/bad scales, NPS, root causes, low-sample flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from investigate.config import EscalationFields, SLAPolicy
from investigate.models import (
    SLA,
    Analysis,
    Entities,
    Escalation,
    Report,
    RootCause,
    TicketSummary,
    Window,
)
from investigate.sdk.history import HistoryTicket, Rating, StatusChange, from_status_changes
from investigate.stats import compute

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
POLICIES = {
    "urgent": SLAPolicy(first_response=timedelta(hours=1), resolution=timedelta(hours=4)),
    "normal": SLAPolicy(first_response=timedelta(hours=8), resolution=timedelta(hours=72)),
}


def ticket(tid: str, **kw: Any) -> HistoryTicket:
    return HistoryTicket(id=tid, created_at=kw.pop("created_at", T0), **kw)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_frt_median_p90_by_priority_and_channel_in_minutes() -> None:
    tickets = [
        ticket("1", priority="urgent", channel="email", first_reply_at=h(0.5)),  # 30
        ticket("2", priority="urgent", channel="chat", first_reply_at=h(1)),  # 60
        ticket("3", priority="normal", channel="email", first_reply_at=h(2)),  # 120
        ticket("4", priority="normal", channel="email", first_reply_at=h(4)),  # 240
        ticket("5", priority="normal", channel="email"),  # no reply: excluded
    ]
    frt = compute.frt(tickets, min_samples=3)
    assert frt.overall.n == 4
    assert frt.overall.median == 90.0  # (60 + 120) / 2
    # inclusive quantile: position 0.9 * (4 - 1) = 2.7 → 120 + 0.7 * (240 - 120) = 204
    assert frt.overall.p90 == 204.0
    assert frt.overall.excluded == {"no agent reply yet": 1}
    assert frt.by["priority"]["urgent"].median == 45.0
    assert frt.by["priority"]["urgent"].low_sample  # 2 < 3
    assert frt.by["channel"]["email"].n == 3 and frt.by["channel"]["email"].median == 120.0


def test_times_in_other_zones_are_compared_in_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    t = ticket(
        "1",
        created_at=datetime(2026, 11, 2, 11, 0, tzinfo=plus2),  # 09:00 UTC
        first_reply_at=datetime(2026, 11, 2, 9, 45),  # naive: UTC
        solved_at=datetime(2026, 11, 2, 7, 0, tzinfo=timezone(timedelta(hours=-5))),  # 12:00 UTC
    )
    assert compute.frt_minutes(t) == 45.0
    assert compute.mttr_minutes(t) == 180.0


def test_pending_time_and_reopens_from_a_status_history() -> None:
    changes = [
        StatusChange("open", h(1)),
        StatusChange("pending", h(2)),  # waiting on the customer 2h → 10h: 8h paused
        StatusChange("open", h(10)),
        StatusChange("solved", h(12)),
        StatusChange("open", h(20)),  # reopened
        StatusChange("on-hold", h(21)),  # 21h → 23h: 2h paused
        StatusChange("open", h(23)),
        StatusChange("solved", h(30)),
    ]
    solved_at, reopens, paused = from_status_changes(changes)
    assert (solved_at, reopens, paused) == (h(30), 1, timedelta(hours=10))
    t = ticket("1", solved_at=solved_at, reopens=reopens, paused=paused, status="solved")
    assert compute.mttr_minutes(t) == 20 * 60.0  # 30h − 10h paused


def test_mttr_excludes_unsolved_and_keeps_pending_when_not_exposed() -> None:
    tickets = [
        ticket("1", status="solved", solved_at=h(10), paused=timedelta(hours=4)),  # 360
        ticket("2", status="solved", solved_at=h(5)),  # paused None: 300, not reduced
        ticket("3", status="open"),  # excluded
        ticket("4", status="open", solved_at=h(3)),  # reopened, solved_at stale: excluded
    ]
    mttr = compute.mttr(tickets, min_samples=1)
    assert mttr.overall.n == 2 and mttr.overall.median == 330.0
    assert mttr.overall.excluded == {"not solved yet": 2}


def test_sla_attainment_per_priority_and_breaches_listed() -> None:
    now = h(100)
    tickets = [
        ticket("u1", priority="urgent", first_reply_at=h(0.5), solved_at=h(3)),  # both met
        ticket("u2", priority="urgent", first_reply_at=h(2), solved_at=h(5)),  # both breached
        ticket("u3", priority="urgent"),  # never answered: open breach of both
        ticket("n1", priority="normal", first_reply_at=h(1), created_at=h(90)),  # res not due
        ticket("x", priority="weird"),  # no policy
    ]
    stats = compute.sla(compute.Inputs(tickets, now, POLICIES, min_samples=2))
    urgent = next(p for p in stats.priorities if p.priority == "urgent")
    assert (urgent.first_response.met, urgent.first_response.breached) == (1, 2)
    assert urgent.first_response.attainment == pytest.approx(1 / 3, abs=1e-3)
    assert (urgent.resolution.met, urgent.resolution.breached) == (1, 2)
    normal = next(p for p in stats.priorities if p.priority == "normal")
    assert normal.first_response.met == 1 and normal.first_response.low_sample
    assert normal.resolution.n == 0 and normal.resolution.excluded == {
        "not solved yet, not yet due": 1
    }
    assert stats.no_policy == 1
    breached = {(b.ticket_id, b.target, b.open) for b in stats.breaches}
    assert breached == {
        ("u2", "first_response", False),
        ("u2", "resolution", False),
        ("u3", "first_response", True),
        ("u3", "resolution", True),
    }
    u2 = next(b for b in stats.breaches if b.ticket_id == "u2" and b.target == "resolution")
    assert (u2.target_minutes, u2.actual_minutes) == (240.0, 300.0)


def report(tid: str, tier: str, category: str = "bug", hours_open: float = 0) -> Report:
    return Report(
        ticket=TicketSummary(id=tid, created_at=T0),
        window=Window(start=T0, end=T0),
        entities=Entities(),
        sources=[],
        evidence=[],
        analysis=Analysis(
            analyst="offline",
            summary="",
            root_cause=RootCause(statement="x", category=category),  # type: ignore[arg-type]
            escalation=Escalation(tier=tier),  # type: ignore[arg-type]
        ),
        sla=SLA(),
        generated_at=h(hours_open),
    )


def test_escalation_funnels_from_helpdesk_fields_and_reports_with_disagreements() -> None:
    fields = EscalationFields(field="tier", tags={"jira_escalated": "L3"}, groups={"Tier 2": "L2"})
    tickets = [
        ticket("1"),
        ticket("2", group="tier 2"),
        ticket("3", tags=["JIRA_ESCALATED"], group="Tier 2"),  # highest wins: L3
        ticket("4", custom_fields={"tier": "l2"}),
    ]
    inputs = compute.Inputs(
        tickets, h(1), POLICIES, 1, fields, reports=[report("1", "L2"), report("3", "L3")]
    )
    esc = compute.escalation(inputs)
    helpdesk, reports = esc.funnels
    assert helpdesk.source == "helpdesk" and helpdesk.n == 4
    assert helpdesk.reached == {"L1": 4, "L2": 3, "L3": 1}
    assert helpdesk.rate == {"L1": 1.0, "L2": 0.75, "L3": 0.25}
    assert reports.reached == {"L1": 2, "L2": 2, "L3": 1}
    assert esc.disagreements == ["1: helpdesk L1, report L2"]


def test_escalation_not_configured_is_said() -> None:
    esc = compute.escalation(compute.Inputs([ticket("1")], h(1), POLICIES))
    assert esc.funnels == []
    assert any("not configured" in n for n in esc.notes)


def test_csat_on_both_scales_and_nps() -> None:
    tickets = [
        ticket("1", rating=Rating(score=5)),
        ticket("2", rating=Rating(score=4)),
        ticket("3", rating=Rating(score=2)),
        ticket("4", rating=Rating(score=1, scale="good_bad")),
        ticket("5", rating=Rating(score=0, scale="good_bad")),
        ticket("6"),
    ]
    one_to_five, good_bad = compute.csat(tickets, min_samples=3)
    assert one_to_five.scale == "1-5" and one_to_five.n == 3
    assert one_to_five.satisfied == pytest.approx(0.667, abs=1e-3)
    assert one_to_five.mean == pytest.approx(3.67, abs=1e-2)
    assert not one_to_five.low_sample
    assert good_bad.satisfied == 0.5 and good_bad.mean is None and good_bad.low_sample
    assert one_to_five.excluded == {"not rated": 1}
    nps = compute.nps([10, 9, 8, 7, 6, 0, 9, 10], min_samples=5, source="s.csv", invalid=2)
    assert (nps.promoters, nps.passives, nps.detractors, nps.n) == (4, 2, 2, 8)
    assert nps.nps == 25.0  # 50% − 25%
    assert nps.excluded == {"not a 0–10 score": 2}


def test_root_causes_by_count_and_by_time_lost() -> None:
    tickets = [
        ticket("1", status="solved", solved_at=h(10)),
        ticket("2", status="solved", solved_at=h(2)),
    ]
    reports = [
        report("1", "L1", "billing"),  # 10h from the history
        report("2", "L1", "bug"),  # 2h
        report("3", "L1", "bug", hours_open=1),  # not in history: 1h open so far
        report("4", "L1", "unknown"),
    ]
    causes = compute.causes(compute.Inputs(tickets, h(20), POLICIES, 1, reports=reports))
    assert causes is not None
    assert [(c.category, c.tickets) for c in causes.by_count] == [("bug", 2), ("billing", 1)]
    assert [(c.category, c.hours_lost) for c in causes.by_time] == [("billing", 10.0), ("bug", 3.0)]
    assert causes.excluded == {"category unknown": 1}


def test_weekly_trend_buckets_start_on_monday() -> None:
    tickets = [
        ticket("1", first_reply_at=h(1)),
        ticket("2", created_at=h(24 * 7), first_reply_at=h(24 * 7 + 3)),
    ]
    trend = compute.trend(compute.Inputs(tickets, h(24 * 8), POLICIES))
    assert [b.start.weekday() for b in trend] == [0, 0]
    assert [b.frt_median for b in trend] == [60.0, 180.0]


def test_mttr_says_where_pending_time_was_excluded() -> None:
    tickets = [
        ticket("1", status="solved", solved_at=h(10), paused=timedelta(hours=4)),
        ticket("2", status="solved", solved_at=h(5)),
        ticket("3", status="open"),
    ]
    note = compute.mttr(tickets, min_samples=1).note
    assert (
        note
        == "pending/on-hold time excluded for 1 of 2 solved tickets; not exposed for 1 (counted in)"
    )
