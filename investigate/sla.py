"""The `sla` block: due times from the configured policy for the ticket's priority."""

from __future__ import annotations

from datetime import datetime

from investigate.config import SLAPolicy
from investigate.models import SLA, Ticket
from investigate.sdk.history import is_agent_reply

_DONE = {"solved", "closed", "resolved"}


def sla_for(ticket: Ticket, policies: dict[str, SLAPolicy], now: datetime) -> SLA:
    priority = (ticket.priority or "normal").lower()
    policy = policies.get(priority)
    if policy is None:
        return SLA(policy=None)
    first_due = ticket.created_at + policy.first_response
    resolution_due = ticket.created_at + policy.resolution
    responded = any(is_agent_reply(c, ticket.requester) for c in ticket.comments)
    if (ticket.status or "").lower() in _DONE:
        return SLA(policy=priority, first_response_due=first_due, resolution_due=resolution_due)
    next_due = resolution_due if responded else first_due
    breached = now > resolution_due or (not responded and now > first_due)
    return SLA(
        policy=priority,
        first_response_due=first_due,
        resolution_due=resolution_due,
        breached=breached,
        minutes_left=int((next_due - now).total_seconds() // 60),
    )
