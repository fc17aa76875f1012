"""Incident radar: recent tickets from different customers that share a signature.

A ticket's signatures are its error codes, its HTTP error statuses (with its service), the
alerts and deploys its batch report matched, and otherwise its normalised subject (masked as
log lines are, `patterns.template`, then mined with Drain so "export 4411 failed" and "export
9 failed" are one message). A signature reported by at least `min_customers` customers in the
window is a cluster: one customer filing ten tickets is noise, not an incident. Each cluster
says whether an alert or incident already covers it, and how long after the first ticket it
started ("5 customers since 12:58; no alert firing").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from investigate.evidence.entities import extract
from investigate.models import Evidence, Report, Ticket
from investigate.sdk.drain import Drain
from investigate.sdk.history import HistoryTicket, utc
from investigate.sdk.patterns import DRAIN, template
from investigate.sdk.rows import parse_time
from investigate.stats.models import Radar, RadarAlert, RadarCluster

_PROBLEM = re.compile(
    r"error|fail|broken|\bdown\b|not (?:load|work|open)|can'?t|cannot|unable|time[sd]? ?out|"
    r"timing out|\b5\d\d\b|crash|stuck|slow|missing|unavailable",
    re.I,
)
"""Only tickets that report a problem are clustered by their wording ("how do I share a
dashboard?" from three customers is not an incident)."""
COVER_SLACK = timedelta(hours=2)
"""An alert that ends this long before the first ticket does not cover it."""


@dataclass(frozen=True)
class Signature:
    kind: str
    key: str
    service: str | None = None

    @property
    def label(self) -> str:
        return f"{self.key} ({self.service})" if self.service else self.key


def signatures(t: HistoryTicket, report: Report | None, drain: Drain) -> set[Signature]:
    probe = Ticket(id=t.id, subject=t.subject, description=t.text, created_at=t.created_at)
    found = extract(probe)
    service = (t.service or (found.product_areas[0] if found.product_areas else None) or "").lower()
    out = {Signature("error_code", code, service or None) for code in found.error_codes}
    out |= {
        Signature("http_status", f"HTTP {s}", service or None)
        for s in found.http_statuses
        if s >= 500
    }
    if report is not None:
        for e in report.evidence:
            if e.kind in ("alert", "incident", "deploy") and e.id in _cited(report):
                kind = "deploy" if e.kind == "deploy" else "alert"
                out.add(Signature(kind, e.title[:80], e.services[0] if e.services else None))
    if not out and _PROBLEM.search(f"{t.subject} {t.text}"):
        cluster = drain.add(template(t.subject.lower()))
        out.add(Signature("message", str(cluster.id), service or None))  # named once mined
    return out


def _cited(report: Report) -> set[str]:
    a = report.analysis
    return set(a.root_cause.evidence) | set(a.incident.alerts)


def radar(
    tickets: Sequence[HistoryTicket],
    until: datetime,
    window: timedelta,
    min_customers: int,
    alerts: Sequence[Evidence] = (),
    reports: Sequence[Report] = (),
) -> Radar:
    start = until - window
    recent = [t for t in tickets if start <= t.created_at <= until]
    by_id = {r.ticket.id: r for r in reports}
    drain = Drain(DRAIN)
    groups: dict[Signature, list[HistoryTicket]] = defaultdict(list)
    for t in sorted(recent, key=lambda t: t.created_at):
        for sig in signatures(t, by_id.get(t.id), drain):
            groups[sig].append(t)
    clusters: list[RadarCluster] = []
    for sig, members in groups.items():
        if sig.kind == "message":  # Drain templates widen as lines join: name it now
            sig = Signature("message", drain.cluster(int(sig.key)).template, sig.service)
        customers = sorted({_customer(t) for t in members})
        if len(customers) < min_customers:
            continue
        clusters.append(_cluster(sig, members, customers, alerts))
    clusters = _dedupe(clusters)
    clusters.sort(key=lambda c: (-len(c.customers), c.first_at))
    notes = [] if alerts else ["no alert source (stats.radar.alerts) or matched alerts to check"]
    return Radar(
        window_start=start,
        window_end=until,
        tickets=len(recent),
        min_customers=min_customers,
        clusters=clusters,
        notes=notes,
    )


def _customer(t: HistoryTicket) -> str:
    return (t.customer or f"ticket {t.id}").strip()


def _cluster(
    sig: Signature, members: list[HistoryTicket], customers: list[str], alerts: Sequence[Evidence]
) -> RadarCluster:
    first = min(t.created_at for t in members)
    last = max(t.created_at for t in members)
    covering = sorted(
        (a for a in alerts if _covers(a, first, last)),
        key=lambda a: (not _on_service(a, sig), a.first_seen or a.timestamp or first),
    )
    covered = [
        RadarAlert(name=_alert_name(a), source=a.source, started_at=a.first_seen or a.timestamp)
        for a in covering
    ]
    began = covered[0].started_at if covered else None
    lead = round((utc(began) - first).total_seconds() / 60, 1) if began else None
    kind = sig.kind if sig.kind in ("error_code", "http_status", "message", "deploy") else "alert"
    cluster = RadarCluster(
        signature=sig.label,
        kind=kind,
        service=sig.service,
        customers=customers,
        tickets=[t.id for t in members],
        times=[t.created_at for t in members],
        first_at=first,
        last_at=last,
        covered_by=covered,
        lead_minutes=lead,
    )
    cluster.headline = headline(cluster)
    return cluster


def _alert_name(alert: Evidence) -> str:
    """The alert's name: the title up to its first ` [` or `:` (`APIHighErrorRate [firing] …`)."""
    return alert.title.split(" [")[0].split(":")[0].strip()[:120] or alert.title[:120]


def _covers(alert: Evidence, first: datetime, last: datetime) -> bool:
    """The alert was firing around the cluster: began before its last ticket (plus slack) and
    had not ended long before its first. Any alert counts ("is anything firing?"); the ones on
    the cluster's service are listed first."""
    began = alert.first_seen or alert.timestamp
    if began is None:
        return False
    ended = alert_end(alert)
    return utc(began) <= last + COVER_SLACK and (ended is None or ended >= first - COVER_SLACK)


_END_KEYS = ("endsAt", "ends_at", "resolved_at", "end", "ended_at")


def alert_end(alert: Evidence) -> datetime | None:
    """When the alert stopped: `last_seen`, or an end field of the exported row."""
    if alert.last_seen is not None and alert.last_seen != (alert.first_seen or alert.timestamp):
        return utc(alert.last_seen)
    for key in _END_KEYS:
        end = parse_time(alert.record.get(key))
        if end is not None:
            return utc(end)
    return None


def _on_service(alert: Evidence, sig: Signature) -> bool:
    if not sig.service:
        return False
    row = alert.record
    services = [*alert.services, *([str(row.get("service"))] if row else [])]
    text = f"{alert.title} {alert.detail}".lower()
    return sig.service.lower() in {s.lower() for s in services} or sig.key.lower() in text


def headline(c: RadarCluster) -> str:
    since = c.first_at.strftime("%H:%M")
    day = c.first_at.strftime("%Y-%m-%d")
    who = f"{len(c.customers)} customers since {since} UTC on {day} ({len(c.tickets)} tickets)"
    if not c.covered_by:
        return f"{who}; no alert firing"
    a = c.covered_by[0]
    if c.lead_minutes is None or a.started_at is None:
        return f"{who}; covered by {a.name}"
    when = a.started_at.strftime("%H:%M")
    if c.lead_minutes > 0:
        return f"{who}; {a.name} fired at {when}, {c.lead_minutes:.0f} min after the first ticket"
    return f"{who}; {a.name} already firing since {when}"


def _dedupe(clusters: list[RadarCluster]) -> list[RadarCluster]:
    """One cluster per set of tickets: an error code and its HTTP status on the same tickets
    are one incident (the error code is kept)."""
    rank = {"error_code": 0, "alert": 1, "deploy": 2, "http_status": 3, "message": 4}
    kept: dict[tuple[str, ...], RadarCluster] = {}
    for c in sorted(clusters, key=lambda c: rank[c.kind]):
        kept.setdefault(tuple(sorted(c.tickets)), c)
    return list(kept.values())
