"""The metrics, as pure functions of typed tickets, reports and settings (no I/O, no clock).

Percentiles interpolate linearly between the closest ranks (`statistics.quantiles`,
inclusive method: the p90 of 1…10 is 9.1); the median is the usual one. Durations are minutes.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from investigate.config import EscalationFields, SLAPolicy
from investigate.models import Report
from investigate.sdk.history import DONE, HistoryTicket, Rating, utc
from investigate.stats.models import (
    Breach,
    Breakdown,
    Bucket,
    Cause,
    CauseStats,
    CSATScale,
    Durations,
    EscalationStats,
    Funnel,
    NPSStats,
    SLAPriority,
    SLAStats,
    SLATarget,
)

TIERS = ("L1", "L2", "L3")
NO_REPLY = "no agent reply yet"
UNSOLVED = "not solved yet"


@dataclass
class Inputs:
    tickets: list[HistoryTicket]
    now: datetime
    policies: dict[str, SLAPolicy]
    min_samples: int = 5
    escalation: EscalationFields = field(default_factory=EscalationFields)
    reports: list[Report] = field(default_factory=list)
    nps_scores: list[tuple[datetime | None, float]] | None = None


def minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def durations(values: Sequence[float], min_samples: int, excluded: Counter[str]) -> Durations:
    ok = sorted(values)
    out = Durations(n=len(ok), excluded=dict(excluded), low_sample=len(ok) < min_samples)
    if not ok:
        return out
    out.median = round(statistics.median(ok), 1)
    out.p90 = (
        round(statistics.quantiles(ok, n=10, method="inclusive")[8], 1) if len(ok) > 1 else ok[0]
    )
    return out


# FRT and MTTR --------------------------------------------------------------------------


def frt_minutes(t: HistoryTicket) -> float | None:
    return minutes(t.first_reply_at - t.created_at) if t.first_reply_at else None


def mttr_minutes(t: HistoryTicket) -> float | None:
    """Final solve − created, less pending/on-hold time where the source exposes it."""
    if t.solved_at is None or (t.status or "").lower() not in DONE | {""}:
        return None
    return minutes(t.solved_at - t.created_at - (t.paused or timedelta()))


def breakdown(
    tickets: Sequence[HistoryTicket],
    value: Callable[[HistoryTicket], float | None],
    missing: str,
    dims: dict[str, Callable[[HistoryTicket], str | None]],
    min_samples: int,
) -> Breakdown:
    def stats(group: Iterable[HistoryTicket]) -> Durations:
        values: list[float] = []
        excluded: Counter[str] = Counter()
        for t in group:
            v = value(t)
            if v is None:
                excluded[missing] += 1
            elif v < 0:
                excluded["negative time (clock or data error)"] += 1
            else:
                values.append(v)
        return durations(values, min_samples, excluded)

    by: dict[str, dict[str, Durations]] = {}
    for dim, key in dims.items():
        groups: dict[str, list[HistoryTicket]] = defaultdict(list)
        for t in tickets:
            groups[(key(t) or "unknown").lower()].append(t)
        by[dim] = {k: stats(v) for k, v in sorted(groups.items())}
    return Breakdown(overall=stats(tickets), by=by)


def frt(tickets: Sequence[HistoryTicket], min_samples: int) -> Breakdown:
    dims = {"priority": _priority, "channel": lambda t: t.channel}
    return breakdown(tickets, frt_minutes, NO_REPLY, dims, min_samples)


def mttr(tickets: Sequence[HistoryTicket], min_samples: int) -> Breakdown:
    dims = {"priority": _priority, "category": lambda t: t.category}
    out = breakdown(tickets, mttr_minutes, UNSOLVED, dims, min_samples)
    solved = [t for t in tickets if mttr_minutes(t) is not None]
    known = sum(t.paused is not None for t in solved)
    if solved:
        out.note = f"pending/on-hold time excluded for {known} of {len(solved)} solved tickets" + (
            f"; not exposed for {len(solved) - known} (counted in)" if known < len(solved) else ""
        )
    return out


def _priority(t: HistoryTicket) -> str:
    return (t.priority or "normal").lower()


# SLA -------------------------------------------------------------------------------------


def sla(inputs: Inputs) -> SLAStats:
    out = SLAStats()
    per: dict[str, list[HistoryTicket]] = defaultdict(list)
    for t in inputs.tickets:
        if _priority(t) in inputs.policies:
            per[_priority(t)].append(t)
        else:
            out.no_policy += 1
    for name, policy in inputs.policies.items():
        first, first_breaches = _target(per[name], policy.first_response, inputs, "first_response")
        res, res_breaches = _target(per[name], policy.resolution, inputs, "resolution")
        out.priorities.append(SLAPriority(priority=name, first_response=first, resolution=res))
        out.breaches += first_breaches + res_breaches
    order = {name: i for i, name in enumerate(inputs.policies)}  # as configured: urgent first
    out.breaches.sort(
        key=lambda b: (order[b.priority], b.target, -(b.actual_minutes - b.target_minutes))
    )
    return out


def _target(
    tickets: list[HistoryTicket], due: timedelta, inputs: Inputs, target: str
) -> tuple[SLATarget, list[Breach]]:
    met = breached = 0
    excluded: Counter[str] = Counter()
    breaches: list[Breach] = []
    limit = minutes(due)
    for t in tickets:
        if target == "first_response":
            actual, pending = frt_minutes(t), NO_REPLY + ", not yet due"
            elapsed = minutes(inputs.now - t.created_at)
        else:
            actual, pending = mttr_minutes(t), UNSOLVED + ", not yet due"
            elapsed = minutes(inputs.now - t.created_at - (t.paused or timedelta()))
        is_open = actual is None
        if is_open:
            if elapsed <= limit:
                excluded[pending] += 1
                continue
            actual = elapsed
        assert actual is not None
        if actual <= limit:
            met += 1
            continue
        breached += 1
        breaches.append(
            Breach(
                ticket_id=t.id,
                priority=_priority(t),
                target="first_response" if target == "first_response" else "resolution",
                target_minutes=limit,
                actual_minutes=actual,
                open=is_open,
            )
        )
    n = met + breached
    stats = SLATarget(
        n=n,
        excluded=dict(excluded),
        low_sample=n < inputs.min_samples,
        target_minutes=limit,
        met=met,
        breached=breached,
        attainment=round(met / n, 3) if n else None,
    )
    return stats, breaches


# escalation ----------------------------------------------------------------------------


def helpdesk_tier(t: HistoryTicket, fields: EscalationFields) -> str:
    found = ["L1"]
    if fields.field and str(t.custom_fields.get(fields.field) or "").upper() in TIERS:
        found.append(str(t.custom_fields[fields.field]).upper())
    tags = {tag.lower() for tag in t.tags}
    found += [tier for tag, tier in fields.tags.items() if tag.lower() in tags]
    if t.group:
        found += [tier for g, tier in fields.groups.items() if g.lower() == t.group.lower()]
    return max(found)


def configured(fields: EscalationFields) -> bool:
    return bool(fields.field or fields.tags or fields.groups)


def funnel(tiers: Sequence[str], source: str, min_samples: int) -> Funnel:
    n = len(tiers)
    reached = {tier: sum(t >= tier for t in tiers) for tier in TIERS}
    rate = {tier: round(c / n, 3) for tier, c in reached.items()} if n else {}
    return Funnel(
        n=n,
        low_sample=n < min_samples,
        source="helpdesk" if source == "helpdesk" else "reports",
        reached=reached,
        rate=rate,
    )


def escalation(inputs: Inputs) -> EscalationStats:
    out = EscalationStats()
    helpdesk: dict[str, str] = {}
    if not configured(inputs.escalation):
        out.notes.append(
            "helpdesk escalation not configured (stats.escalation: field, tags or groups)"
        )
    elif not inputs.tickets:
        out.notes.append("no helpdesk tickets in the period for the helpdesk's tiers")
    else:
        helpdesk = {t.id: helpdesk_tier(t, inputs.escalation) for t in inputs.tickets}
        out.funnels.append(funnel(list(helpdesk.values()), "helpdesk", inputs.min_samples))
    reported = {r.ticket.id: r.analysis.escalation.tier for r in inputs.reports}
    if reported:
        out.funnels.append(funnel(list(reported.values()), "reports", inputs.min_samples))
    else:
        out.notes.append("no batch reports given (--reports DIR) for the reports' tiers")
    both = sorted(set(helpdesk) & set(reported))
    out.disagreements = [
        f"{i}: helpdesk {helpdesk[i]}, report {reported[i]}"
        for i in both
        if helpdesk[i] != reported[i]
    ]
    return out


# CSAT and NPS --------------------------------------------------------------------------


def csat(tickets: Sequence[HistoryTicket], min_samples: int) -> list[CSATScale]:
    by_scale: dict[str, list[Rating]] = defaultdict(list)
    for t in tickets:
        if t.rating is not None:
            by_scale[t.rating.scale].append(t.rating)
    unrated = sum(t.rating is None for t in tickets)
    out = []
    for scale, ratings in sorted(by_scale.items()):
        n = len(ratings)
        out.append(
            CSATScale(
                n=n,
                excluded={"not rated": unrated} if unrated else {},
                low_sample=n < min_samples,
                scale="1-5" if scale == "1-5" else "good_bad",
                satisfied=round(sum(r.satisfied for r in ratings) / n, 3),
                mean=round(statistics.fmean(r.score for r in ratings), 2)
                if scale == "1-5"
                else None,
            )
        )
    return out


def nps(scores: Sequence[float], min_samples: int, source: str, invalid: int = 0) -> NPSStats:
    n = len(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return NPSStats(
        n=n,
        excluded={"not a 0–10 score": invalid} if invalid else {},
        low_sample=n < min_samples,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        nps=round(100 * (promoters - detractors) / n, 1) if n else None,
        source=source,
    )


# root causes from reports ----------------------------------------------------------------


def causes(inputs: Inputs) -> CauseStats | None:
    if not inputs.reports:
        return None
    solved = {t.id: t for t in inputs.tickets}
    count: Counter[str] = Counter()
    hours: defaultdict[str, float] = defaultdict(float)
    unknown = 0
    for r in inputs.reports:
        category = r.analysis.root_cause.category
        if category == "unknown":
            unknown += 1
            continue
        count[category] += 1
        t = solved.get(r.ticket.id)
        spent = mttr_minutes(t) if t is not None else None
        if spent is None:  # still open, or not in the ticket history: open time so far
            end = t.solved_at if t is not None and t.solved_at else min(r.generated_at, inputs.now)
            spent = minutes(utc(end) - utc(r.ticket.created_at))
        hours[category] += max(spent, 0) / 60
    rows = [Cause(category=c, tickets=count[c], hours_lost=round(hours[c], 1)) for c in count]
    n = sum(count.values())
    return CauseStats(
        n=n,
        excluded={"category unknown": unknown} if unknown else {},
        low_sample=n < inputs.min_samples,
        by_count=sorted(rows, key=lambda c: (-c.tickets, c.category)),
        by_time=sorted(rows, key=lambda c: (-c.hours_lost, c.category)),
    )


# trend -----------------------------------------------------------------------------------


def week_start(when: datetime) -> datetime:
    day = utc(when).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def trend(inputs: Inputs) -> list[Bucket]:
    weeks: dict[datetime, list[HistoryTicket]] = defaultdict(list)
    for t in inputs.tickets:
        weeks[week_start(t.created_at)].append(t)
    nps_weeks: dict[datetime, list[float]] = defaultdict(list)
    for when, score in inputs.nps_scores or []:
        if when is not None:
            nps_weeks[week_start(when)].append(score)
    out = []
    for start in sorted(set(weeks) | set(nps_weeks)):
        group = weeks.get(start, [])
        first = [v for v in map(frt_minutes, group) if v is not None and v >= 0]
        solve = [v for v in map(mttr_minutes, group) if v is not None and v >= 0]
        ratings = [t.rating for t in group if t.rating is not None]
        week_sla = sla(Inputs(group, inputs.now, inputs.policies, 1)).priorities
        met = sum(p.first_response.met + p.resolution.met for p in week_sla)
        total = sum(p.first_response.n + p.resolution.n for p in week_sla)
        scores = nps_weeks.get(start, [])
        out.append(
            Bucket(
                start=start,
                tickets=len(group),
                frt_median=round(statistics.median(first), 1) if first else None,
                frt_n=len(first),
                mttr_median=round(statistics.median(solve), 1) if solve else None,
                mttr_n=len(solve),
                sla_attainment=round(met / total, 3) if total else None,
                sla_n=total,
                csat=round(sum(r.satisfied for r in ratings) / len(ratings), 3)
                if ratings
                else None,
                csat_n=len(ratings),
                nps=nps(scores, 1, "").nps if scores else None,
                nps_n=len(scores),
            )
        )
    return out
